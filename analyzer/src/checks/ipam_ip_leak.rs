//! IPAM store counts against running non-hostNetwork pods, per node. A node whose store
//! holds far more IPs than it has pods to give them to is leaking addresses.
//!
//! The rule's matchers find failed CNI DELs (the step that releases a pod's IP): they never
//! make a finding on their own, but on a leaking node they join its finding as the likely
//! cause, so the report shows the store's count and the reason it grows side by side.
//!
//! The threshold (documented in the rule's README): with `running` pods on the pod network
//! and `pending` pods scheduled to the node (they may hold an IP already), the node is
//! flagged when `allocated - running > max(running, 30) + pending`. Thirty absorbs a burst of
//! pods being torn down at once and the seconds between reading the store and listing
//! pods; `running` keeps a busy node's ordinary turnover from counting.

use crate::engine::{Hit, Inputs};
use crate::finding::{Evidence, Table};
use crate::index::Index;

use super::nnc_ip_exhausted::nodepool_of;
use super::pod_ip_allocation::{on_pod_network, with_node};

/// Failed-DEL lines shown per leaking node.
const CAUSES_PER_NODE: usize = 5;

/// The slack a node gets whatever its size.
const MIN_SLACK: i64 = 30;

/// The `ipam_ip_leak` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let index = inputs.index;
    if !all_namespaces_collected(index) {
        // Pods of uncollected namespaces would look like leaked IPs.
        return Vec::new();
    }
    let leaks: Vec<Leak> = index
        .ipam
        .iter()
        .filter_map(|(node, counts)| {
            let allocated: i64 = counts.stores.iter().map(|s| s.ip_files).sum();
            let pods = index.pods().filter(|p| on_pod_network(p, node));
            let (mut running, mut pending) = (0, 0);
            for p in pods {
                match p.status.phase.as_deref() {
                    Some("Running") => running += 1,
                    Some("Pending") => pending += 1,
                    _ => {}
                }
            }
            is_leak(allocated, running, pending).then(|| Leak {
                node: node.clone(),
                store_path: counts
                    .stores
                    .iter()
                    .max_by_key(|s| s.ip_files)
                    .map(|s| s.path.clone())
                    .unwrap_or_default(),
                stores: counts
                    .stores
                    .iter()
                    .map(|s| format!("{} ({})", s.path, s.ip_files))
                    .collect::<Vec<_>>()
                    .join(", "),
                allocated,
                running,
                pending,
            })
        })
        .collect();
    if leaks.is_empty() {
        return Vec::new();
    }
    // Failed DELs by node: how many, and the first lines as context.
    let mut causes: std::collections::BTreeMap<String, (u64, Vec<Evidence>)> = Default::default();
    for h in hits {
        let h = with_node(index, h);
        let Some(node) = h.node else { continue };
        let (n, list) = causes.entry(node).or_default();
        for mut e in h.evidence {
            *n += e.count;
            if list.len() < CAUSES_PER_NODE {
                e.role = "context".into();
                list.push(e);
            }
        }
    }
    let table = Table {
        columns: [
            "node",
            "IPs in IPAM store",
            "running pods",
            "pending pods",
            "gap",
        ]
        .map(String::from)
        .to_vec(),
        rows: leaks
            .iter()
            .map(|l| {
                vec![
                    l.node.clone(),
                    l.allocated.to_string(),
                    l.running.to_string(),
                    l.pending.to_string(),
                    (l.allocated - l.running).to_string(),
                ]
            })
            .collect(),
    };
    let mut out = Vec::new();
    for l in leaks {
        let object = format!("cluster/node/{}", l.node);
        let mut facts: std::collections::BTreeMap<String, String> = [
            ("node", l.node.clone()),
            ("store_path", l.store_path.clone()),
            ("kind", "node".to_string()),
            ("name", l.node.clone()),
            ("allocated", l.allocated.to_string()),
            ("running", l.running.to_string()),
            ("pending", l.pending.to_string()),
            ("gap", (l.allocated - l.running).to_string()),
            ("stores", l.stores.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        if let Some(pool) = nodepool_of(&l.node) {
            facts.insert("nodepool".into(), pool.to_string());
        }
        let (del_failures, node_causes) = causes.remove(&l.node).unwrap_or_default();
        if del_failures > 0 {
            facts.insert("del_failures".into(), del_failures.to_string());
        }
        let mut evidence = vec![Evidence::of_object(
            format!("nodes/{}/ipam.json", l.node),
            format!(
                "{}: {} allocated IPs; {} running and {} pending pods on the pod network",
                l.stores, l.allocated, l.running, l.pending
            ),
            Some(object.clone()),
        )];
        evidence.extend(node_causes);
        out.push(Hit {
            weak_object: false,
            object: Some(object.clone()),
            node: Some(l.node.clone()),
            facts,
            evidence,
            table: Some(table.clone()),
        });
    }
    out
}

struct Leak {
    node: String,
    /// The store holding the most files.
    store_path: String,
    stores: String,
    allocated: i64,
    running: i64,
    pending: i64,
}

/// True when the store holds more IPs than normal churn explains.
fn is_leak(allocated: i64, running: i64, pending: i64) -> bool {
    allocated - running > running.max(MIN_SLACK) + pending
}

/// False when the manifest says only some namespaces were collected, or that listing pods
/// failed somewhere.
fn all_namespaces_collected(index: &Index) -> bool {
    let pods_failed = index.manifest.as_ref().is_some_and(|m| {
        m.errors.iter().any(|e| {
            e.step.as_deref().is_some_and(|s| s.contains("pods"))
                || e.command.as_deref().is_some_and(|c| c.contains("get pods"))
        })
    });
    if pods_failed {
        return false;
    }
    let Some(ns) = index
        .manifest
        .as_ref()
        .and_then(|m| m.options.as_ref())
        .and_then(|o| o.get("namespaces"))
        .and_then(|v| v.as_array())
    else {
        return true;
    };
    ns.iter().any(|v| v.as_str() == Some("*"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_flags_real_leaks_only() {
        // The spec's example: 244 files for 7 pods.
        assert!(is_leak(244, 7, 0));
        // A full kubenet /24 on a node at max-pods 110 still leaks 144.
        assert!(is_leak(254, 110, 0));
        // Churn: a burst of 30 pods being torn down on a small node.
        assert!(!is_leak(40, 10, 0));
        // A busy node: 140 IPs, 100 running.
        assert!(!is_leak(140, 100, 0));
        // Pods being created hold IPs legitimately.
        assert!(!is_leak(60, 10, 25));
        assert!(!is_leak(0, 0, 0));
    }

    #[test]
    fn partial_collections_are_not_judged() {
        let mut index = Index::default();
        assert!(all_namespaces_collected(&index));
        index.manifest =
            Some(serde_json::from_str(r#"{"options":{"namespaces":["shop"]}}"#).unwrap());
        assert!(!all_namespaces_collected(&index));
        index.manifest = Some(serde_json::from_str(r#"{"options":{"namespaces":["*"]}}"#).unwrap());
        assert!(all_namespaces_collected(&index));
    }
}
