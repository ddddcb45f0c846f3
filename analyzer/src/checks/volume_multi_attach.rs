//! `Multi-Attach error` events: names the pods the message says still use the volume
//! (`Volume is already used by pod(s) a, b`), finds them in the bundle with their node,
//! whether that node is Ready and whether they belong to the same workload as the stuck
//! pod (a rolling update of a Deployment with a ReadWriteOnce claim). Drops events of pods
//! deleted since.

use crate::engine::{Hit, Inputs};
use crate::finding::Evidence;

/// The pods a Multi-Attach message names, without the `and N pod(s) in different
/// namespaces` tail.
pub fn other_pods(message: &str) -> Vec<String> {
    let Some((_, rest)) = message.split_once("already used by pod(s)") else {
        return Vec::new();
    };
    let rest = rest.split(" and ").next().unwrap_or(rest);
    rest.split(',')
        .map(|p| p.trim().trim_end_matches('.').to_string())
        .filter(|p| !p.is_empty() && !p.contains(char::is_whitespace))
        .collect()
}

/// The `volume_multi_attach` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    hits.into_iter()
        .filter(|h| !super::storage::hit_pod_gone(inputs, h))
        .map(|mut h| {
            super::storage::add_pod_and_node_facts(inputs, &mut h);
            let message = h.facts.get("message").cloned().unwrap_or_default();
            let others = other_pods(&message);
            let ns = h.facts.get("namespace").cloned().unwrap_or_default();
            if let Some(first) = others.first() {
                h.facts.insert("other_pods".into(), others.join(", "));
                h.facts.insert("other_pod".into(), first.clone());
            }
            for name in &others {
                let Some(p) = inputs.index.pod(&ns, name) else {
                    continue;
                };
                let mut facts = std::collections::BTreeMap::new();
                facts.insert("pod".to_string(), name.clone());
                super::oom_killed::add_workload(&mut facts, Some(p));
                if facts.get("workload") == h.facts.get("workload")
                    && facts.get("workload_kind") == h.facts.get("workload_kind")
                {
                    h.facts.insert("same_workload".into(), "true".into());
                }
                if p.metadata.deletion_timestamp.is_some() {
                    h.facts.insert("other_terminating".into(), "true".into());
                }
                let mut excerpt = format!("pod {name} still uses the volume");
                if let Some(node) = &p.spec.node_name {
                    h.facts
                        .entry("other_node".into())
                        .or_insert_with(|| node.clone());
                    let ready = inputs
                        .index
                        .node(node)
                        .and_then(|n| n.ready_condition())
                        .map(|c| c.status == "True");
                    excerpt.push_str(&format!(" on node {node}"));
                    if ready == Some(false) {
                        h.facts.insert("other_node_not_ready".into(), "true".into());
                        excerpt.push_str(" (not Ready)");
                    }
                }
                // The pod holding the volume is evidence too: a finding about its node
                // (node-not-ready) then explains this one.
                h.evidence.push(Evidence {
                    file: inputs.object_file(&ns, "pods.json"),
                    line: None,
                    excerpt,
                    count: 1,
                    first_seen: None,
                    last_seen: None,
                    object: Some(p.object_ref()),
                    role: "context".into(),
                });
            }
            add_attachments(inputs, &mut h);
            h
        })
        .collect()
}

/// The VolumeAttachments that hold the volume on another node than the stuck pod's:
/// where the volume is, when the message names no pod, and whether that node is Ready.
fn add_attachments(inputs: &Inputs, h: &mut Hit) {
    let Some(volume) = h.facts.get("volume").cloned() else {
        return;
    };
    let here = h.node.clone();
    for va in inputs.index.cluster_list(|c| &c.volume_attachments) {
        if va.spec.source.persistent_volume_name.as_deref() != Some(volume.as_str())
            || Some(&va.spec.node_name) == here.as_ref()
            || va.spec.node_name.is_empty()
        {
            continue;
        }
        let node = va.spec.node_name.clone();
        h.facts
            .entry("other_node".into())
            .or_insert_with(|| node.clone());
        let ready = inputs
            .index
            .node(&node)
            .and_then(|n| n.ready_condition())
            .map(|c| c.status == "True");
        if ready == Some(false) {
            h.facts.insert("other_node_not_ready".into(), "true".into());
        }
        h.evidence.push(Evidence {
            file: inputs
                .index
                .cluster_file(crate::layout::ClusterKind::VolumeAttachments),
            line: None,
            excerpt: format!(
                "VolumeAttachment {}: {volume} on node {node}, attached={}{}",
                va.metadata.name,
                va.status.attached,
                if ready == Some(false) {
                    " (node not Ready)"
                } else {
                    ""
                }
            ),
            count: 1,
            first_seen: None,
            last_seen: None,
            object: Some(format!("cluster/volumeattachment/{}", va.metadata.name)),
            role: "context".into(),
        });
        // The node holding the volume is what the finding depends on.
        h.evidence.push(Evidence {
            file: inputs.index.nodes_file(),
            line: None,
            excerpt: format!("node {node} holds volume {volume}"),
            count: 1,
            first_seen: None,
            last_seen: None,
            object: Some(format!("cluster/node/{node}")),
            role: "context".into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_pods_are_read_from_every_wording() {
        assert_eq!(
            other_pods(
                r#"Multi-Attach error for volume "pvc-1" Volume is already used by pod(s) sso-mysql-1-ns6b4"#
            ),
            vec!["sso-mysql-1-ns6b4"]
        );
        assert_eq!(
            other_pods(
                r#"Multi-Attach error for volume "v" Volume is already used by pod(s) pod3, pod4 and 1 pod(s) in different namespaces"#
            ),
            vec!["pod3", "pod4"]
        );
        assert!(other_pods(r#"Multi-Attach error for volume "v" Volume is already exclusively attached to one node and can't be attached to another"#).is_empty());
    }
}
