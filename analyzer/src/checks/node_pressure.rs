//! Ready nodes that report MemoryPressure, DiskPressure or PIDPressure: the conditions and
//! their messages, the pressure taints, the kubelet's node events (EvictionThresholdMet,
//! NodeHasDiskPressure ...) as corroboration, the pods it evicted, and the pods bound to
//! the node with their requests and limits of the resource under pressure.
//!
//! A node that is not Ready is node-not-ready's: its summary already names the pressure.

use std::collections::BTreeMap;

use crate::engine::{Hit, Inputs};
use crate::finding::{Evidence, Table};
use crate::model::{Node, Pod};

/// The pressure conditions, the resource each one is about and its taint.
const PRESSURES: &[(&str, &str, &str)] = &[
    (
        "MemoryPressure",
        "memory",
        "node.kubernetes.io/memory-pressure",
    ),
    (
        "DiskPressure",
        "ephemeral-storage",
        "node.kubernetes.io/disk-pressure",
    ),
    ("PIDPressure", "pid", "node.kubernetes.io/pid-pressure"),
];

/// Node event reasons the kubelet records while a node is under pressure.
const PRESSURE_EVENTS: &[&str] = &[
    "EvictionThresholdMet",
    "NodeHasDiskPressure",
    "NodeHasInsufficientMemory",
    "NodeHasInsufficientPID",
    "FreeDiskSpaceFailed",
    "ImageGCFailed",
];

/// Facts every node finding carries: the node's name, OS, and for a VMSS node its scale
/// set and instance ID (for `az vmss` commands).
pub(super) fn node_facts(node: &Node) -> BTreeMap<String, String> {
    let name = node.metadata.name.clone();
    let mut facts = BTreeMap::new();
    facts.insert("node".to_string(), name.clone());
    facts.insert("name".to_string(), name.clone());
    facts.insert("kind".to_string(), "node".to_string());
    if let Some(vmss) = super::image_pull_auth::vmss_of(&name) {
        if let Some(i) = name
            .strip_prefix(&vmss)
            .and_then(|s| u64::from_str_radix(s, 36).ok())
        {
            facts.insert("instance_id".to_string(), i.to_string());
        }
        facts.insert("vmss".to_string(), vmss);
    }
    if let Some(os) = node.os() {
        facts.insert("os".to_string(), os.to_string());
    }
    if let Some(pool) = node.metadata.labels.get("kubernetes.azure.com/agentpool") {
        facts.insert("nodepool".to_string(), pool.clone());
    }
    facts
}

/// True when the node's Ready condition is True.
pub(super) fn is_ready(node: &Node) -> bool {
    node.ready_condition().is_some_and(|c| c.status == "True")
}

/// The `node_pressure` check: one structural hit per Ready node under pressure.
pub fn check(inputs: &Inputs, _rule: usize, mut hits: Vec<Hit>) -> Vec<Hit> {
    let nodes_file = inputs.index.nodes_file();
    for node in inputs.index.nodes.iter().flatten() {
        if !is_ready(node) {
            continue;
        }
        let on: Vec<(&crate::model::Condition, &str, &str)> = PRESSURES
            .iter()
            .filter_map(|(t, res, taint)| {
                node.status
                    .conditions
                    .iter()
                    .find(|c| c.type_ == *t && c.status == "True")
                    .map(|c| (c, *res, *taint))
            })
            .collect();
        if on.is_empty() {
            continue;
        }
        let name = node.metadata.name.clone();
        let object = format!("cluster/node/{name}");
        let mut facts = node_facts(node);
        let types: Vec<&str> = on.iter().map(|(c, _, _)| c.type_.as_str()).collect();
        let resources: Vec<&str> = on.iter().map(|(_, r, _)| *r).collect();
        facts.insert("pressure".into(), types.join(", "));
        facts.insert("resource".into(), resources.join(", "));
        let (first, _, _) = on[0];
        if let Some(r) = &first.reason {
            facts.insert("reason".into(), r.clone());
        }
        if let Some(m) = &first.message {
            facts.insert("message".into(), m.clone());
        }
        if let Some(t) = &first.last_transition_time {
            facts.insert("since".into(), inputs.time(t));
        }
        let taints: Vec<String> = node
            .spec
            .taints
            .iter()
            .filter(|t| on.iter().any(|(_, _, k)| t.key == *k))
            .map(|t| t.to_string())
            .collect();
        if !taints.is_empty() {
            facts.insert("taints".into(), taints.join(", "));
        }

        let mut evidence: Vec<Evidence> = on
            .iter()
            .map(|(c, _, _)| {
                super::node_not_ready::condition_evidence(inputs, &nodes_file, &name, c)
            })
            .collect();

        // The kubelet's own events about this node corroborate the condition.
        for (ns, ev) in inputs.index.events() {
            let about_node = ev.involved_object.kind.as_deref() == Some("Node")
                && ev.involved_object.name.as_deref() == Some(name.as_str());
            let reason = ev.reason.as_deref().unwrap_or("");
            if !about_node || !PRESSURE_EVENTS.contains(&reason) {
                continue;
            }
            if let Some(m) = ev
                .message
                .as_deref()
                .and_then(|m| m.strip_prefix("Attempting to reclaim "))
            {
                facts
                    .entry("reclaiming".into())
                    .or_insert_with(|| m.trim().to_string());
            }
            evidence.push(Evidence {
                file: inputs.object_file(ns, "events.json"),
                line: None,
                excerpt: crate::engine::cut(&format!(
                    "{reason}: {}",
                    ev.message.as_deref().unwrap_or("")
                )),
                count: ev.occurrences(),
                first_seen: ev.first_seen().map(|t| inputs.time(t)),
                last_seen: ev.last_seen().map(|t| inputs.time(t)),
                object: Some(object.clone()),
                role: "signal".into(),
            });
        }

        let pods: Vec<&Pod> = inputs
            .index
            .pods()
            .filter(|p| p.spec.node_name.as_deref() == Some(name.as_str()))
            .collect();
        let evicted = pods
            .iter()
            .filter(|p| p.status.reason.as_deref() == Some("Evicted"))
            .count();
        if evicted > 0 {
            facts.insert("evicted_count".into(), evicted.to_string());
        }
        let resource = resources
            .iter()
            .copied()
            .find(|r| *r != "pid")
            .unwrap_or("memory");
        let live: Vec<&&Pod> = pods
            .iter()
            .filter(|p| {
                !matches!(
                    p.status.phase.as_deref(),
                    Some("Succeeded") | Some("Failed")
                )
            })
            .collect();
        let unbounded = live
            .iter()
            .filter(|p| {
                p.spec
                    .containers
                    .iter()
                    .any(|c| !c.resources.limits.contains_key(resource))
            })
            .count();
        if inputs.index.has(crate::index::Input::Pods) {
            facts.insert("pod_count".into(), live.len().to_string());
            facts.insert("unbounded_count".into(), unbounded.to_string());
        }
        let table = (!live.is_empty()).then(|| Table {
            columns: vec![
                "Pod".into(),
                format!("{resource} requests"),
                format!("{resource} limits"),
            ],
            rows: live
                .iter()
                .map(|p| {
                    let sum = |limits: bool| {
                        let v: Vec<String> = p
                            .spec
                            .containers
                            .iter()
                            .map(|c| {
                                let m = if limits {
                                    &c.resources.limits
                                } else {
                                    &c.resources.requests
                                };
                                m.get(resource)
                                    .map(|q| match q {
                                        serde_json::Value::String(s) => s.clone(),
                                        other => other.to_string(),
                                    })
                                    .unwrap_or_else(|| "none".into())
                            })
                            .collect();
                        v.join(" + ")
                    };
                    vec![p.object_ref(), sum(false), sum(true)]
                })
                .collect(),
        });
        hits.push(Hit {
            weak_object: false,
            object: Some(object),
            node: Some(name),
            facts,
            evidence,
            table,
        });
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{Index, NamespaceObjects};
    use crate::rules::Catalogue;
    use crate::scan::ScanResults;

    fn index(nodes: &str, pods: &str, events: &str) -> Index {
        let mut index = Index {
            nodes: Some(serde_json::from_str(nodes).unwrap()),
            ..Default::default()
        };
        index.namespaces.insert(
            "default".into(),
            NamespaceObjects {
                pods: Some(serde_json::from_str(pods).unwrap()),
                events: Some(serde_json::from_str(events).unwrap()),
                ..Default::default()
            },
        );
        index
    }

    #[test]
    fn ready_node_with_disk_pressure_is_reported_with_events_and_unbounded_pods() {
        let index = index(
            r#"[{"metadata":{"name":"aks-np-1-vmss00000a"},
                 "spec":{"taints":[{"key":"node.kubernetes.io/disk-pressure","effect":"NoSchedule"}]},
                 "status":{"conditions":[
                   {"type":"MemoryPressure","status":"False","reason":"KubeletHasSufficientMemory"},
                   {"type":"DiskPressure","status":"True","reason":"KubeletHasDiskPressure",
                    "message":"kubelet has disk pressure","lastTransitionTime":"2026-11-22T03:10:00Z",
                    "lastHeartbeatTime":"2026-11-22T03:58:00Z"},
                   {"type":"Ready","status":"True","reason":"KubeletReady"}]}},
                {"metadata":{"name":"aks-np-1-vmss00000b"},"status":{"conditions":[
                   {"type":"DiskPressure","status":"False"},{"type":"Ready","status":"True"}]}}]"#,
            r#"[{"metadata":{"name":"web","namespace":"default"},"spec":{"nodeName":"aks-np-1-vmss00000a",
                  "containers":[{"name":"web","resources":{"limits":{"ephemeral-storage":"1Gi"}}}]},
                 "status":{"phase":"Running"}},
                {"metadata":{"name":"logger","namespace":"default"},"spec":{"nodeName":"aks-np-1-vmss00000a",
                  "containers":[{"name":"logger"}]},"status":{"phase":"Running"}},
                {"metadata":{"name":"old","namespace":"default"},"spec":{"nodeName":"aks-np-1-vmss00000a",
                  "containers":[{"name":"old"}]},"status":{"phase":"Failed","reason":"Evicted"}}]"#,
            r#"[{"involvedObject":{"kind":"Node","name":"aks-np-1-vmss00000a"},"reason":"EvictionThresholdMet",
                 "message":"Attempting to reclaim ephemeral-storage","type":"Warning","count":4,
                 "lastTimestamp":"2026-11-22T03:55:00Z"},
                {"involvedObject":{"kind":"Node","name":"aks-np-1-vmss00000b"},"reason":"NodeHasDiskPressure",
                 "message":"Node aks-np-1-vmss00000b status is now: NodeHasDiskPressure","type":"Normal"}]"#,
        );
        let (scan, cat) = (ScanResults::default(), Catalogue::default());
        let hits = check(&Inputs::of(&index, &scan, &cat), 0, Vec::new());
        assert_eq!(hits.len(), 1);
        let h = &hits[0];
        assert_eq!(
            h.object.as_deref(),
            Some("cluster/node/aks-np-1-vmss00000a")
        );
        assert_eq!(h.facts["pressure"], "DiskPressure");
        assert_eq!(h.facts["resource"], "ephemeral-storage");
        assert_eq!(h.facts["reclaiming"], "ephemeral-storage");
        assert_eq!(
            h.facts["taints"],
            "node.kubernetes.io/disk-pressure:NoSchedule"
        );
        assert_eq!(h.facts["evicted_count"], "1");
        assert_eq!(h.facts["pod_count"], "2");
        assert_eq!(h.facts["unbounded_count"], "1");
        assert_eq!(h.facts["instance_id"], "10");
        assert_eq!(h.evidence.len(), 2, "the condition and the node's event");
        let rows = &h.table.as_ref().unwrap().rows;
        assert_eq!(rows[1], vec!["default/pod/logger", "none", "none"]);
    }

    #[test]
    fn not_ready_node_with_pressure_is_left_to_node_not_ready() {
        let index = index(
            r#"[{"metadata":{"name":"n1"},"status":{"conditions":[
                   {"type":"MemoryPressure","status":"True"},
                   {"type":"Ready","status":"False","reason":"KubeletNotReady"}]}}]"#,
            "[]",
            "[]",
        );
        let (scan, cat) = (ScanResults::default(), Catalogue::default());
        assert!(check(&Inputs::of(&index, &scan, &cat), 0, Vec::new()).is_empty());
    }
}
