//! Nodes whose kubelet reports its pod lifecycle event generator (PLEG) unhealthy: the
//! container runtime stopped answering the kubelet's relist in time. The node's Ready
//! condition carries the message while the node is NotReady for it; kubelet journal lines a
//! user attached (`skipping pod synchronization - PLEG is not healthy`) carry it for a node
//! that flaps, and name the node when the journal prefix does.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};

static PLEG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"PLEG is not healthy(?::\s*pleg (?:was last seen active (?P<pleg_age>[0-9][0-9hmsµun.]*) ago(?:;\s*threshold is (?P<threshold>[0-9][0-9hms.]*))?|has yet to be successful))?",
    )
    .expect("valid")
});

/// The age and threshold a PLEG message names, and whether the runtime was down too.
pub(super) fn parse_message(message: &str) -> BTreeMap<String, String> {
    let mut facts = BTreeMap::new();
    if let Some(c) = PLEG.captures(message) {
        if let Some(a) = c.name("pleg_age") {
            facts.insert("pleg_age".into(), a.as_str().to_string());
        }
        if let Some(t) = c.name("threshold") {
            facts.insert("threshold".into(), t.as_str().to_string());
        }
    }
    if message
        .to_ascii_lowercase()
        .contains("container runtime is down")
    {
        facts.insert("runtime_down".into(), "true".into());
    }
    facts
}

/// The `kubelet_pleg_unhealthy` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let mut out = Vec::new();
    let nodes_file = inputs.index.nodes_file();
    for node in inputs.index.nodes.iter().flatten() {
        let Some(ready) = node.ready_condition() else {
            continue;
        };
        let message = ready.message.as_deref().unwrap_or("");
        if ready.status == "True" || !PLEG.is_match(message) {
            continue;
        }
        let name = node.metadata.name.clone();
        let object = format!("cluster/node/{name}");
        let mut facts = super::node_pressure::node_facts(node);
        facts.extend(parse_message(message));
        facts.insert("status".into(), ready.status.clone());
        facts.insert("message".into(), message.to_string());
        if let Some(r) = &ready.reason {
            facts.insert("reason".into(), r.clone());
        }
        if let Some(v) = &node.status.node_info.container_runtime_version {
            facts.insert("runtime".into(), v.clone());
        }
        let since = ready
            .last_transition_time
            .as_deref()
            .map(|t| inputs.time(t));
        if let Some(s) = &since {
            facts.insert("since".into(), s.clone());
        }
        let pods = inputs
            .index
            .pods()
            .filter(|p| p.spec.node_name.as_deref() == Some(name.as_str()))
            .count();
        if inputs.index.has(crate::index::Input::Pods) {
            facts.insert("pod_count".into(), pods.to_string());
        }
        out.push(Hit {
            weak_object: false,
            object: Some(object.clone()),
            node: Some(name.clone()),
            facts,
            evidence: vec![super::node_not_ready::condition_evidence(
                inputs,
                &nodes_file,
                &name,
                ready,
            )],
            table: None,
        });
    }
    // Journal lines a user attached: the node is the journal's host name when it names one.
    for mut h in hits {
        let message = h.facts.get("message").cloned().unwrap_or_default();
        h.facts.extend(parse_message(&message));
        let node = h
            .facts
            .get("node")
            .and_then(|n| inputs.index.node(n).map(|node| (n.clone(), node)));
        if let Some((name, node)) = node {
            for (k, v) in super::node_pressure::node_facts(node) {
                h.facts.entry(k).or_insert(v);
            }
            let object = format!("cluster/node/{name}");
            for e in &mut h.evidence {
                e.object = Some(object.clone());
            }
            h.object = Some(object);
            h.node = Some(name);
        } else if h.node.is_none() {
            // A host name that is no node of the bundle stays a fact, not an object.
            if let Some(host) = h.facts.remove("node") {
                h.facts.insert("host".into(), host);
            }
        }
        out.push(h);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::Index;
    use crate::rules::Catalogue;
    use crate::scan::ScanResults;

    #[test]
    fn pleg_wordings_of_several_generations_parse() {
        let a = parse_message(
            "PLEG is not healthy: pleg was last seen active 16h17m50.791825508s ago; threshold is 3m0s",
        );
        assert_eq!(a["pleg_age"], "16h17m50.791825508s");
        assert_eq!(a["threshold"], "3m0s");
        let b = parse_message("container runtime is down,PLEG is not healthy: pleg was last seen active 3m3.9s ago; threshold is 3m0s");
        assert_eq!(b["runtime_down"], "true");
        let c = parse_message("PLEG is not healthy: pleg has yet to be successful");
        assert!(!c.contains_key("pleg_age"));
    }

    #[test]
    fn not_ready_node_with_pleg_message_is_reported_and_other_reasons_are_not() {
        let index = Index {
            nodes: Some(
                serde_json::from_str(
                    r#"[{"metadata":{"name":"aks-np-1-vmss000002"},"status":{"conditions":[
                          {"type":"Ready","status":"False","reason":"KubeletNotReady",
                           "message":"PLEG is not healthy: pleg was last seen active 7m24.0513035s ago; threshold is 3m0s"}]}},
                        {"metadata":{"name":"aks-np-1-vmss000003"},"status":{"conditions":[
                          {"type":"Ready","status":"False","reason":"KubeletNotReady",
                           "message":"container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"}]}}]"#,
                )
                .unwrap(),
            ),
            ..Default::default()
        };
        let (scan, cat) = (ScanResults::default(), Catalogue::default());
        let hits = check(&Inputs::of(&index, &scan, &cat), 0, Vec::new());
        assert_eq!(hits.len(), 1);
        assert_eq!(
            hits[0].object.as_deref(),
            Some("cluster/node/aks-np-1-vmss000002")
        );
        assert_eq!(hits[0].facts["pleg_age"], "7m24.0513035s");
        assert_eq!(hits[0].facts["instance_id"], "2");
    }
}
