//! Adds the per-node IPAM picture to IP allocation failures: for every node with a failing
//! pod, the IPs held in the node's IPAM store, the running pods that should hold them, and
//! the NodeNetworkConfig's requested/allocated counts when Azure CNS manages the node.

use std::collections::BTreeMap;

use crate::engine::{Hit, Inputs};
use crate::finding::Table;
use crate::index::Index;
use crate::model::Pod;

/// The `pod_ip_allocation` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let mut hits: Vec<Hit> = hits
        .into_iter()
        .filter(|h| still_failing(inputs.index, h))
        .collect();
    let mut failing: BTreeMap<String, usize> = BTreeMap::new();
    for h in &hits {
        if let Some(n) = &h.node {
            *failing.entry(n.clone()).or_default() += 1;
        }
    }
    if failing.is_empty() {
        return hits;
    }
    let table = Table {
        columns: [
            "node",
            "IPs in IPAM store",
            "running pods (pod network)",
            "nnc requested",
            "nnc allocated",
            "failing pods",
        ]
        .map(String::from)
        .to_vec(),
        rows: failing
            .iter()
            .map(|(node, n)| {
                let u = usage(inputs.index, node);
                vec![
                    node.clone(),
                    opt(u.ipam_allocated),
                    u.running.to_string(),
                    opt(u.nnc_requested),
                    opt(u.nnc_allocated),
                    n.to_string(),
                ]
            })
            .collect(),
    };
    for h in &mut hits {
        if let Some(node) = h.node.clone() {
            let u = usage(inputs.index, &node);
            if let Some(a) = u.ipam_allocated {
                h.facts.insert("ipam_allocated".into(), a.to_string());
            }
            h.facts.insert("running_pods".into(), u.running.to_string());
            if let Some(r) = u.nnc_requested {
                h.facts.insert("nnc_requested".into(), r.to_string());
            }
            if let Some(a) = u.nnc_allocated {
                h.facts.insert("nnc_allocated".into(), a.to_string());
            }
        }
        h.table = Some(table.clone());
    }
    hits
}

fn opt(v: Option<i64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// IP figures of one node.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct NodeUsage {
    /// Allocated-IP files across the node's IPAM stores, when collected.
    pub ipam_allocated: Option<i64>,
    /// Running pods on the node that use the pod network (not hostNetwork).
    pub running: i64,
    pub nnc_requested: Option<i64>,
    pub nnc_allocated: Option<i64>,
}

/// The IP figures of `node`.
pub(crate) fn usage(index: &Index, node: &str) -> NodeUsage {
    let nnc = index
        .nnc
        .as_ref()
        .and_then(|l| l.iter().find(|n| n.metadata.name == node));
    NodeUsage {
        ipam_allocated: index
            .ipam
            .get(node)
            .map(|c| c.stores.iter().map(|s| s.ip_files).sum()),
        running: index
            .pods()
            .filter(|p| on_pod_network(p, node) && p.is_running())
            .count() as i64,
        nnc_requested: nnc.map(|n| n.requested()),
        nnc_allocated: nnc.map(|n| n.allocated()),
    }
}

/// True when `p` runs on `node` with an IP from the pod network.
pub(crate) fn on_pod_network(p: &Pod, node: &str) -> bool {
    p.spec.node_name.as_deref() == Some(node) && !p.spec.host_network
}

/// False when the bundle shows the pod got past the failure (it is running or finished
/// now): an old sandbox event of a pod that later started is not a current fault.
pub(crate) fn still_failing(index: &Index, h: &Hit) -> bool {
    let (Some(ns), Some(pod)) = (h.facts.get("namespace"), h.facts.get("pod")) else {
        return true;
    };
    match index.pod(ns, pod) {
        Some(p) => !matches!(
            p.status.phase.as_deref(),
            Some("Running" | "Succeeded" | "Failed")
        ),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::NamespaceObjects;
    use crate::model::IpamCounts;

    fn pod(name: &str, node: &str, phase: &str, host: bool) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "shop"},
            "spec": {"nodeName": node, "hostNetwork": host},
            "status": {"phase": phase}
        }))
        .unwrap()
    }

    fn index() -> Index {
        let mut index = Index::default();
        index.namespaces.insert(
            "shop".into(),
            NamespaceObjects {
                pods: Some(vec![
                    pod("a", "n1", "Running", false),
                    pod("b", "n1", "Running", true),
                    pod("c", "n1", "Pending", false),
                    pod("d", "n2", "Running", false),
                ]),
                ..Default::default()
            },
        );
        index.ipam.insert(
            "n1".into(),
            serde_json::from_str::<IpamCounts>(
                r#"{"node":"n1","stores":[{"path":"/var/lib/cni/networks/kubenet","ip_files":254}]}"#,
            )
            .unwrap(),
        );
        index
    }

    #[test]
    fn usage_counts_running_pod_network_pods_only() {
        let u = usage(&index(), "n1");
        assert_eq!(
            u,
            NodeUsage {
                ipam_allocated: Some(254),
                running: 1,
                nnc_requested: None,
                nnc_allocated: None
            }
        );
    }

    #[test]
    fn a_pod_that_started_since_is_not_failing() {
        let idx = index();
        let hit = |p: &str| Hit {
            facts: [("namespace", "shop"), ("pod", p)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        };
        assert!(!still_failing(&idx, &hit("a")));
        assert!(still_failing(&idx, &hit("c")));
        assert!(still_failing(&idx, &hit("gone")));
    }
}
