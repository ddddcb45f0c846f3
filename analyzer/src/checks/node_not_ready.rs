//! Nodes whose Ready condition is False or Unknown: the condition's reason and message,
//! since when, the pressure conditions that are on, and the pods bound to the node.

use std::collections::BTreeMap;

use crate::engine::{Hit, Inputs};
use crate::finding::{Evidence, Table};

/// The `node_not_ready` check: one structural hit per node that is not Ready.
pub fn check(inputs: &Inputs, _rule: usize, mut hits: Vec<Hit>) -> Vec<Hit> {
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
        if let Some(vmss) = super::image_pull_auth::vmss_of(&name) {
            facts.insert("vmss".to_string(), vmss.clone());
            if let Some(i) = name
                .strip_prefix(&vmss)
                .and_then(|s| u64::from_str_radix(s, 36).ok())
            {
                facts.insert("instance_id".to_string(), i.to_string());
            }
        }
        if let Some(os) = node.os() {
            facts.insert("os".to_string(), os.to_string());
        }
        let pods: Vec<&crate::model::Pod> = inputs
            .index
            .pods()
            .filter(|p| p.spec.node_name.as_deref() == Some(name.as_str()))
            .collect();
        if inputs.index.has(crate::index::Input::Pods) {
            facts.insert("pod_count".to_string(), pods.len().to_string());
        }
        let table = (!pods.is_empty()).then(|| Table {
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
        });
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
    hits
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
    use crate::index::{Index, NamespaceObjects};
    use crate::model::{Node, Pod};
    use crate::rules::Catalogue;
    use crate::scan::ScanResults;

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
        index.namespaces.insert(
            "shop".into(),
            NamespaceObjects {
                pods: Some(pods),
                ..Default::default()
            },
        );
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
