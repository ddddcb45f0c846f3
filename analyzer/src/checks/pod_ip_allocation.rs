//! Adds the per-node IPAM picture to IP allocation failures: for every node with a failing
//! pod, the IPs held in the node's IPAM store, the running pods that should hold them, and
//! the NodeNetworkConfig's requested/allocated counts when Azure CNS manages the node.
//! Log lines (the CNI plugin's files, the kubelet's journal) that name no pod are tied to
//! their node when the text says which one: a `nodes/<node>/` file, or a journal prefix.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};
use crate::finding::Table;
use crate::index::Index;
use crate::model::Pod;

/// The `pod_ip_allocation` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let mut hits: Vec<Hit> = hits
        .into_iter()
        .filter(|h| still_failing(inputs.index, h))
        .map(|h| with_node(inputs.index, h))
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

/// A journal line's host: `Nov 22 03:41:07 <host> kubelet[2233]: ...` (syslog), or
/// `2026-11-22T03:41:07.123+0000 <host> kubelet[2233]: ...` (journalctl -o short-iso, whose
/// time the scanner may already have split off).
static JOURNAL_HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:(?:[A-Z][a-z]{2} +\d{1,2} [\d:]{8}|\d{4}-\d{2}-\d{2}T\S+) )?(?P<host>[A-Za-z0-9][-A-Za-z0-9.]*) (?:kubelet|containerd|dockerd|crio)\[\d+\]:",
    )
    .expect("static regex")
});

/// The node a line was read on, when its pod does not say: the `nodes/<node>/` folder the
/// file was collected into, or the host of a journal line (kept only when it is a node of
/// the bundle, or named like an AKS node when the bundle has no node list).
pub(crate) fn node_of_line(index: &Index, h: &Hit) -> Option<String> {
    if let Some(n) = h
        .facts
        .get("file")
        .and_then(|f| f.strip_prefix("nodes/"))
        .and_then(|rest| rest.split_once('/'))
        .map(|(n, _)| n)
        .filter(|n| !n.is_empty())
    {
        return Some(n.to_string());
    }
    let message = h.facts.get("message")?;
    let host = JOURNAL_HOST.captures(message)?.name("host")?.as_str();
    let known = match &index.nodes {
        Some(nodes) => nodes.iter().any(|n| n.metadata.name == host),
        None => host.starts_with("aks-") || host.starts_with("akswin"),
    };
    known.then(|| host.to_string())
}

/// `h` with its node filled in from the line itself when its pod did not give one.
pub(crate) fn with_node(index: &Index, mut h: Hit) -> Hit {
    if h.node.is_none() {
        if let Some(n) = node_of_line(index, &h) {
            h.facts.insert("node".into(), n.clone());
            h.node = Some(n);
        }
    }
    h
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

    fn line(file: &str, message: &str) -> Hit {
        Hit {
            facts: [("file", file), ("message", message)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn a_line_without_a_pod_takes_its_node_from_where_it_was_read() {
        let idx = Index::default();
        let collected = line(
            "nodes/aks-nodepool1-38291742-vmss000001/kubelet.log",
            "E1122 03:41:07.5 2233 log.go:32] \"RunPodSandbox from runtime service failed\"",
        );
        assert_eq!(
            node_of_line(&idx, &collected).as_deref(),
            Some("aks-nodepool1-38291742-vmss000001")
        );
        let journal = line(
            "attachments/journal.txt",
            "Nov 22 03:41:07 aks-nodepool1-38291742-vmss000002 kubelet[2233]: E1122 03:41:07.5 2233 log.go:32] failed",
        );
        assert_eq!(
            node_of_line(&idx, &journal).as_deref(),
            Some("aks-nodepool1-38291742-vmss000002")
        );
        // short-iso, its time already split off by the scanner.
        let iso = line(
            "attachments/journal.txt",
            "aks-nodepool1-38291742-vmss000003 kubelet[2233]: E1122 03:41:07.5 2233 log.go:32] failed",
        );
        assert_eq!(
            node_of_line(&idx, &iso).as_deref(),
            Some("aks-nodepool1-38291742-vmss000003")
        );
        // A host that is no AKS node (a jump box's own journal) says nothing.
        let other = line(
            "attachments/journal.txt",
            "Nov 22 03:41:07 jumpbox-01 kubelet[2233]: failed",
        );
        assert_eq!(node_of_line(&idx, &other), None);
        let plain = line(
            "attachments/azure-vnet-ipam.log",
            "2019/04/13 05:14:33 [azure-vnet-ipam] Failed to allocate address: No available addresses.",
        );
        assert_eq!(node_of_line(&idx, &plain), None);
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
