//! Nodes whose Ready condition is False or Unknown: the condition's reason and message,
//! since when, the pressure conditions that are on, and the pods bound to the node.
//! `NodeNotReady` events, the kubelet's `Node became not ready` journal line and a pasted
//! `kubectl describe node` (its Conditions) or `kubectl get nodes` (its STATUS) join the
//! node's finding as evidence; they stand in for the condition only when the bundle has no
//! nodes.json (a node that is Ready again, or gone, is not reported from them). A pasted
//! Ready condition says more than an event, so its status, reason and message win.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};
use crate::finding::{Evidence, Table};

/// The `node_not_ready` check: one structural hit per node that is not Ready.
pub fn check(inputs: &Inputs, _rule: usize, text_hits: Vec<Hit>) -> Vec<Hit> {
    let mut hits: Vec<Hit> = Vec::new();
    let nodes_file = inputs.index.nodes_file();
    for node in inputs.index.nodes.iter().flatten() {
        let Some(ready) = node.ready_condition() else {
            continue;
        };
        if ready.status != "False" && ready.status != "Unknown" {
            continue;
        }
        let name = node.metadata.name.clone();
        let mut facts = BTreeMap::new();
        facts.insert("node".to_string(), name.clone());
        facts.insert("name".to_string(), name.clone());
        facts.insert("kind".to_string(), "node".to_string());
        facts.insert("status".to_string(), ready.status.clone());
        if let Some(r) = &ready.reason {
            facts.insert("reason".to_string(), r.clone());
        }
        if let Some(m) = &ready.message {
            facts.insert("message".to_string(), m.clone());
        }
        let since = ready
            .last_transition_time
            .as_deref()
            .map(|t| inputs.time(t));
        if let Some(s) = &since {
            facts.insert("since".to_string(), s.clone());
        }
        if let Some(hb) = &ready.last_heartbeat_time {
            facts.insert("last_heartbeat".to_string(), inputs.time(hb));
        }
        let pressure: Vec<String> = node
            .status
            .conditions
            .iter()
            .filter(|c| c.type_ != "Ready" && c.status == "True")
            .map(|c| c.type_.clone())
            .collect();
        if !pressure.is_empty() {
            facts.insert("pressure".to_string(), pressure.join(", "));
        }
        if node.spec.unschedulable {
            facts.insert("cordoned".to_string(), "true".to_string());
        }
        if let Some(os) = node.os() {
            facts.insert("os".to_string(), os.to_string());
        }
        let table = node_facts(inputs, &name, &mut facts);
        let object = format!("cluster/node/{name}");
        hits.push(Hit {
            weak_object: false,
            object: Some(object.clone()),
            node: Some(name.clone()),
            facts,
            evidence: vec![condition_evidence(inputs, &nodes_file, &name, ready)],
            table,
        });
    }
    let have_nodes = inputs.index.nodes.is_some();
    let mut stand_ins: BTreeMap<String, Hit> = BTreeMap::new();
    for h in text_hits {
        let Some(name) = node_named(&h) else { continue };
        if let Some(s) = hits
            .iter_mut()
            .find(|s| s.node.as_deref() == Some(name.as_str()))
        {
            s.evidence.extend(h.evidence);
            continue;
        }
        if have_nodes {
            // Ready again, or no longer in the cluster.
            continue;
        }
        match stand_ins.get_mut(&name) {
            Some(s) => {
                // The newest line or event describes the node.
                let newer = last_seen(&h) > last_seen(s);
                s.evidence.extend(h.evidence.clone());
                if newer {
                    for (k, v) in stand_in_facts(&h) {
                        s.facts.insert(k, v);
                    }
                }
            }
            None => {
                let mut s = stand_in(inputs, &name);
                s.facts.extend(stand_in_facts(&h));
                if let Some(since) = h.evidence.iter().filter_map(|e| e.first_seen.clone()).min() {
                    s.facts.insert("since".to_string(), since);
                }
                s.evidence = h.evidence;
                for e in &mut s.evidence {
                    e.object = s.object.clone();
                }
                stand_ins.insert(name, s);
            }
        }
    }
    for (paste, name, node) in pasted_nodes(inputs) {
        let evidence = pasted_evidence(paste, name, node);
        if let Some(s) = hits.iter_mut().find(|s| s.node.as_deref() == Some(name)) {
            s.evidence.push(Evidence {
                role: "context".into(),
                ..evidence
            });
            continue;
        }
        if have_nodes {
            continue;
        }
        let s = stand_ins
            .entry(name.to_string())
            .or_insert_with(|| stand_in(inputs, name));
        // A describe's condition names its reason; a `get nodes` row only says NotReady.
        let described = node.reason.is_some();
        let mut set = |k: &str, v: Option<&String>| {
            if let Some(v) = v {
                if described || !s.facts.contains_key(k) {
                    s.facts.insert(k.to_string(), v.clone());
                }
            }
        };
        set("status", node.ready.as_ref());
        set("reason", node.reason.as_ref());
        set("message", node.message.as_ref());
        set("since", node.since.as_ref());
        set("last_heartbeat", node.last_heartbeat.as_ref());
        let pressure = node.pressure.join(", ");
        set("pressure", Some(&pressure).filter(|p| !p.is_empty()));
        if node.unschedulable {
            s.facts.insert("cordoned".to_string(), "true".to_string());
        }
        s.evidence.insert(0, evidence);
    }
    hits.extend(stand_ins.into_values());
    hits
}

/// A finding for node `name` that no nodes.json speaks for, before its evidence: its name,
/// VMSS, instance and pods.
fn stand_in(inputs: &Inputs, name: &str) -> Hit {
    let mut facts = BTreeMap::new();
    facts.insert("node".to_string(), name.to_string());
    facts.insert("name".to_string(), name.to_string());
    facts.insert("kind".to_string(), "node".to_string());
    let table = node_facts(inputs, name, &mut facts);
    Hit {
        weak_object: false,
        object: Some(format!("cluster/node/{name}")),
        node: Some(name.to_string()),
        facts,
        evidence: Vec::new(),
        table,
    }
}

/// Nodes a paste shows not Ready: `(paste, node name, what it says)`.
fn pasted_nodes<'a>(
    inputs: &'a Inputs,
) -> impl Iterator<
    Item = (
        &'a crate::paste::Paste,
        &'a str,
        &'a crate::paste::PastedNode,
    ),
> {
    inputs.index.pastes.iter().flat_map(|p| {
        p.objects.iter().filter_map(move |o| {
            let node = o.node.as_ref().filter(|n| n.not_ready())?;
            Some((p, o.name.as_str(), node))
        })
    })
}

/// The pasted line a node's readiness is read from.
fn pasted_evidence(
    paste: &crate::paste::Paste,
    name: &str,
    node: &crate::paste::PastedNode,
) -> Evidence {
    Evidence {
        first_seen: node.since.clone(),
        last_seen: node.last_heartbeat.clone().or(node.since.clone()),
        ..Evidence::of_line(
            paste.file.clone(),
            node.line,
            node.text.clone(),
            Some(format!("cluster/node/{name}")),
        )
    }
}

/// Adds the VMSS, instance and pod-count facts of node `name`; returns its pods table.
fn node_facts(inputs: &Inputs, name: &str, facts: &mut BTreeMap<String, String>) -> Option<Table> {
    if let Some(vmss) = super::image_pull_auth::vmss_of(name) {
        facts.insert("vmss".to_string(), vmss.clone());
        if let Some(i) = name
            .strip_prefix(&vmss)
            .and_then(|s| u64::from_str_radix(s, 36).ok())
        {
            facts.insert("instance_id".to_string(), i.to_string());
        }
    }
    let pods: Vec<&crate::model::Pod> = inputs
        .index
        .pods()
        .filter(|p| p.spec.node_name.as_deref() == Some(name))
        .collect();
    if inputs.index.has(crate::index::Input::Pods) {
        facts.insert("pod_count".to_string(), pods.len().to_string());
    }
    (!pods.is_empty()).then(|| Table {
        columns: vec!["Pod".into(), "Phase".into(), "Ready".into()],
        rows: pods
            .iter()
            .map(|p| {
                vec![
                    p.object_ref(),
                    p.status.phase.clone().unwrap_or_default(),
                    if p.is_ready() { "yes" } else { "no" }.to_string(),
                ]
            })
            .collect(),
    })
}

/// The node a `NodeNotReady` event or a kubelet line is about: the event's object, the
/// line's `node="..."`, or the node whose journal the line comes from.
fn node_named(h: &Hit) -> Option<String> {
    if h.facts.get("kind").map(String::as_str) == Some("node") {
        if let Some(n) = h.facts.get("name") {
            return Some(n.clone());
        }
    }
    h.facts
        .get("node")
        .cloned()
        .or_else(|| h.facts.get("file").and_then(|f| node_of_file(f)))
        .filter(|n| !n.is_empty())
}

/// `<node>` of a `nodes/<node>/...` bundle path (the `--node-logs` journals).
pub(super) fn node_of_file(file: &str) -> Option<String> {
    let mut parts = file.split('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("nodes"), Some(node), Some(_)) if !node.is_empty() => Some(node.to_string()),
        _ => None,
    }
}

fn last_seen(h: &Hit) -> Option<String> {
    h.evidence.iter().filter_map(|e| e.last_seen.clone()).max()
}

/// `Status:False` / `"status":"False"` in the kubelet's printed condition.
static STATUS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:\bStatus:|"status":")(False|Unknown)"#).expect("static regex")
});
static REASON: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?:\bReason:|"reason":")(\w+)"#).expect("static regex"));
/// The condition's message runs to the closing brace of the Go struct or the JSON string.
static MESSAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:\bMessage:(.*?)\}\s*$|"message":"((?:[^"\\]|\\.)*)")"#).expect("static regex")
});

/// Status, reason and message of a stand-in: parsed from the kubelet's printed condition,
/// or the event's reason and message.
fn stand_in_facts(h: &Hit) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let message = h.facts.get("message").cloned().unwrap_or_default();
    if h.facts.contains_key("file") {
        if let Some(c) = STATUS.captures(&message) {
            out.push(("status".to_string(), c[1].to_string()));
        }
        if let Some(c) = REASON.captures(&message) {
            out.push(("reason".to_string(), c[1].to_string()));
        }
        if let Some(c) = MESSAGE.captures(&message) {
            let m = c
                .get(1)
                .or(c.get(2))
                .map(|m| m.as_str().trim())
                .unwrap_or("");
            if !m.is_empty() {
                out.push(("message".to_string(), m.to_string()));
            }
        }
    } else {
        for k in ["reason", "message"] {
            if let Some(v) = h.facts.get(k) {
                out.push((k.to_string(), v.clone()));
            }
        }
    }
    out
}

/// A node condition as evidence: `node N Type=Status reason=R message=M`, from its last
/// transition to its last heartbeat (the kubelet renews it while the condition holds).
pub(super) fn condition_evidence(
    inputs: &Inputs,
    nodes_file: &str,
    node: &str,
    c: &crate::model::Condition,
) -> Evidence {
    let since = c.last_transition_time.as_deref().map(|t| inputs.time(t));
    Evidence {
        file: nodes_file.to_string(),
        line: None,
        excerpt: format!(
            "node {node} {}={} reason={} message={}",
            c.type_,
            c.status,
            c.reason.as_deref().unwrap_or("-"),
            c.message.as_deref().unwrap_or("-")
        ),
        count: 1,
        first_seen: since.clone(),
        last_seen: c
            .last_heartbeat_time
            .as_deref()
            .map(|t| inputs.time(t))
            .or(since),
        object: Some(format!("cluster/node/{node}")),
        role: "signal".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::Index;
    use crate::model::{Node, Pod};
    use crate::rules::Catalogue;
    use crate::scan::ScanResults;

    fn line_hit(file: &str, line: &str) -> Hit {
        let mut facts = BTreeMap::new();
        facts.insert("file".to_string(), file.to_string());
        facts.insert("message".to_string(), line.to_string());
        Hit {
            facts,
            ..Default::default()
        }
    }

    #[test]
    fn kubelet_condition_is_read_in_its_go_and_json_forms() {
        let old = line_hit(
            "nodes/aks-np-1-vmss000002/kubelet.log",
            "I1122 03:44:12.241650 1327 kubelet_node_status.go:709] Node became not ready: {Type:Ready Status:False LastHeartbeatTime:2026-11-22 03:44:12 +0000 UTC Reason:KubeletNotReady Message:container runtime is down,PLEG is not healthy: pleg was last seen active 3m1.1s ago; threshold is 3m0s}",
        );
        assert_eq!(node_named(&old).as_deref(), Some("aks-np-1-vmss000002"));
        let f: BTreeMap<String, String> = stand_in_facts(&old).into_iter().collect();
        assert_eq!(f["status"], "False");
        assert_eq!(f["reason"], "KubeletNotReady");
        assert!(f["message"].starts_with("container runtime is down,PLEG"));
        assert!(f["message"].ends_with("threshold is 3m0s"));
        let mut new = line_hit(
            "attachments/journal.txt",
            r#"I1122 10:56:20.222397 3112080 setters.go:552] "Node became not ready" node="aks-np-1-vmss000003" condition={"type":"Ready","status":"False","reason":"KubeletNotReady","message":"node is shutting down"}"#,
        );
        new.facts
            .insert("node".to_string(), "aks-np-1-vmss000003".to_string());
        assert_eq!(node_named(&new).as_deref(), Some("aks-np-1-vmss000003"));
        let f: BTreeMap<String, String> = stand_in_facts(&new).into_iter().collect();
        assert_eq!(f["message"], "node is shutting down");
        assert_eq!(node_of_file("attachments/journal.txt"), None);
    }

    #[test]
    fn unknown_node_is_reported_with_its_pods_and_ready_node_is_not() {
        let nodes: Vec<Node> = serde_json::from_str(
            r#"[{"metadata":{"name":"aks-np-1-vmss000001"},"status":{"conditions":[
                  {"type":"Ready","status":"Unknown","reason":"NodeStatusUnknown",
                   "message":"Kubelet stopped posting node status.","lastTransitionTime":"2026-11-22T03:37:12Z"}]}},
                {"metadata":{"name":"aks-np-1-vmss000000"},"status":{"conditions":[
                  {"type":"Ready","status":"True","reason":"KubeletReady"}]}}]"#,
        )
        .unwrap();
        let pods: Vec<Pod> = serde_json::from_str(
            r#"[{"metadata":{"name":"a","namespace":"shop"},"spec":{"nodeName":"aks-np-1-vmss000001"}},
                {"metadata":{"name":"b","namespace":"shop"},"spec":{"nodeName":"aks-np-1-vmss000000"}}]"#,
        )
        .unwrap();
        let mut index = Index {
            nodes: Some(nodes),
            ..Default::default()
        };
        index.insert_pods("shop", pods);
        let (scan, cat) = (ScanResults::default(), Catalogue::default());
        let inputs = Inputs::of(&index, &scan, &cat);
        let hits = check(&inputs, 0, Vec::new());
        assert_eq!(hits.len(), 1);
        let h = &hits[0];
        assert_eq!(
            h.object.as_deref(),
            Some("cluster/node/aks-np-1-vmss000001")
        );
        assert_eq!(h.facts["reason"], "NodeStatusUnknown");
        assert_eq!(h.facts["pod_count"], "1");
        assert_eq!(h.facts["instance_id"], "1");
        assert_eq!(h.table.as_ref().unwrap().rows[0][0], "shop/pod/a");
    }
}
