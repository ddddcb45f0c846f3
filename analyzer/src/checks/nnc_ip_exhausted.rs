//! NodeNetworkConfig requested/allocated against pods failing IP allocation. A failure
//! counts when CNS itself says it is waiting for more IPs (in an event, in its own log, or
//! in the CNI plugin's or kubelet's lines that carry its answer), or when the node's nnc is in
//! dynamic mode and has been given every IP it asked for (allocated >= requested): CNS
//! cannot hand out more until the subnet or the node's maximum allows it. Static (Azure CNI
//! Overlay, static block) nnc objects, and nnc objects without failing pods, are normal.
//! A node's nnc is the bundle's (`cluster/nnc.json`), else a pasted `kubectl get nnc` row.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};
use crate::finding::{Evidence, Table};
use crate::index::Index;
use crate::model::NodeNetworkConfig;

use super::pod_ip_allocation::{still_failing, usage, with_node};

/// The `nnc_ip_exhausted` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let index = inputs.index;
    let mut kept: Vec<Hit> = Vec::new();
    for h in hits {
        if !still_failing(index, &h) {
            continue;
        }
        let mut h = with_node(index, h);
        let says_waiting = h.facts.get("message").is_some_and(|m| says_cns_waiting(m));
        let nnc = h.node.as_deref().and_then(|n| nnc_of(index, n));
        if !(says_waiting || nnc.is_some_and(|(n, _)| is_exhausted(n))) {
            continue;
        }
        if let Some(node) = h.node.clone() {
            for (k, v) in node_facts(index, &node) {
                h.facts.insert(k.to_string(), v);
            }
        }
        kept.push(h);
    }
    if kept.is_empty() {
        return kept;
    }
    let nodes: BTreeMap<String, ()> = kept
        .iter()
        .filter_map(|h| h.node.clone())
        .map(|n| (n, ()))
        .collect();
    let table = Table {
        columns: [
            "node",
            "requested",
            "allocated",
            "running pod IPs",
            "subnet",
            "subnet CIDR",
            "mode",
        ]
        .map(String::from)
        .to_vec(),
        rows: nodes
            .keys()
            .map(|n| {
                let f = node_facts(index, n);
                let get = |k: &str| f.get(k).cloned().unwrap_or_else(|| "-".into());
                vec![
                    n.clone(),
                    get("requested"),
                    get("allocated"),
                    get("running_pod_ips"),
                    get("subnet"),
                    get("subnet_cidr"),
                    get("mode"),
                ]
            })
            .collect(),
    };
    // The nnc objects themselves join the finding of their node.
    for node in nodes.keys() {
        let Some((nnc, from)) = nnc_of(index, node) else {
            continue;
        };
        let ns = nnc.metadata.namespace.as_deref().unwrap_or("kube-system");
        let object = format!("{ns}/nodenetworkconfig/{node}");
        let mut facts: BTreeMap<String, String> = node_facts(index, node)
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        facts.insert("node".into(), node.clone());
        let f = &facts;
        let get = |k: &str| f.get(k).cloned().unwrap_or_else(|| "?".into());
        let excerpt = format!(
            "nnc {node}: requested {}, allocated {}, subnet {} ({}), mode {}",
            get("requested"),
            get("allocated"),
            get("subnet"),
            get("subnet_cidr"),
            get("mode")
        );
        kept.push(Hit {
            weak_object: false,
            object: Some(object.clone()),
            node: Some(node.clone()),
            facts,
            evidence: vec![match from {
                From::Bundle => Evidence::of_object("cluster/nnc.json", excerpt, Some(object)),
                From::Paste { file, line, row } => Evidence::of_line(file, line, row, Some(object)),
            }],
            table: None,
        });
    }
    for h in &mut kept {
        h.table = Some(table.clone());
    }
    kept
}

/// True when CNS itself says it has no IP to give and is waiting for more. The stable core
/// of its refusal in every generation: "no IPs available, waiting on Azure CNS to allocate
/// more", then "not enough IPs available, ...", then "not enough IPs available for <NC>,
/// waiting on Azure CNS to allocate more with NC Status: ...".
fn says_cns_waiting(message: &str) -> bool {
    static RE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)IPs available\b.*waiting on Azure CNS to allocate more")
            .expect("static regex")
    });
    RE.is_match(message)
}

/// Where a node's nnc was read.
#[derive(Clone, Copy)]
enum From<'a> {
    Bundle,
    Paste {
        file: &'a str,
        line: u64,
        row: &'a str,
    },
}

/// A node's nnc: the bundle's, else the row of a pasted `kubectl get nnc` table.
fn nnc_of<'a>(index: &'a Index, node: &str) -> Option<(&'a NodeNetworkConfig, From<'a>)> {
    if let Some(n) = index.nnc.iter().flatten().find(|n| n.metadata.name == node) {
        return Some((n, From::Bundle));
    }
    index.pastes.iter().find_map(|p| {
        p.nncs
            .iter()
            .find(|(_, _, n)| n.metadata.name == node)
            .map(|(line, row, n)| {
                (
                    n,
                    From::Paste {
                        file: &p.file,
                        line: *line,
                        row,
                    },
                )
            })
    })
}

/// A dynamic-mode nnc that got every IP it requested.
fn is_exhausted(nnc: &NodeNetworkConfig) -> bool {
    !nnc.is_static() && nnc.requested() > 0 && nnc.allocated() >= nnc.requested()
}

/// What the finding shows about a node: nnc counts, subnet, and running pod IPs.
fn node_facts(index: &Index, node: &str) -> BTreeMap<&'static str, String> {
    let mut f = BTreeMap::new();
    f.insert("running_pod_ips", usage(index, node).running.to_string());
    if let Some(pool) = nodepool_of(node) {
        f.insert("nodepool", pool.to_string());
    }
    let Some((nnc, _)) = nnc_of(index, node) else {
        return f;
    };
    f.insert("requested", nnc.requested().to_string());
    f.insert("allocated", nnc.allocated().to_string());
    let ncs = &nnc.status.network_containers;
    let join = |pick: fn(&crate::model::NetworkContainer) -> Option<&String>| {
        let mut v: Vec<&str> = ncs
            .iter()
            .filter_map(|nc| pick(nc).map(String::as_str))
            .collect();
        v.dedup();
        v.join(", ")
    };
    for (k, v) in [
        ("subnet", join(|nc| nc.subnet_name.as_ref())),
        ("subnet_cidr", join(|nc| nc.subnet_address_space.as_ref())),
        ("mode", join(|nc| nc.assignment_mode.as_ref())),
    ] {
        if !v.is_empty() {
            f.insert(k, v);
        }
    }
    if let Some(max) = nnc
        .status
        .scaler
        .as_ref()
        .and_then(|s| s.get("maxIPCount"))
        .and_then(|v| v.as_i64())
    {
        f.insert("max_ip_count", max.to_string());
    }
    f
}

/// The AKS node pool of a node named `aks-<pool>-<digits>-vmss<index>`.
pub(crate) fn nodepool_of(node: &str) -> Option<&str> {
    let rest = node.strip_prefix("aks-")?;
    let (pool, tail) = rest.split_once('-')?;
    let (digits, vmss) = tail.split_once('-')?;
    (digits.chars().all(|c| c.is_ascii_digit()) && vmss.starts_with("vmss")).then_some(pool)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nnc(requested: i64, assigned: i64, mode: &str, type_: &str) -> NodeNetworkConfig {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "n1", "namespace": "kube-system"},
            "spec": {"requestedIPCount": requested},
            "status": {"assignedIPCount": assigned, "networkContainers": [
                {"assignmentMode": mode, "type": type_, "subnetName": "podnet",
                 "subnetAddressSpace": "10.241.0.0/16"}
            ], "scaler": {"batchSize": 16, "maxIPCount": 250}}
        }))
        .unwrap()
    }

    #[test]
    fn every_cns_generation_says_it_is_waiting() {
        // Older CNS (requestIPConfigHelper).
        assert!(says_cns_waiting(
            "AllocateIPConfig failed: no IPs available, waiting on Azure CNS to allocate more"
        ));
        assert!(says_cns_waiting(
            "AllocateIPConfig failed: not enough IPs available, waiting on Azure CNS to allocate more"
        ));
        assert!(says_cns_waiting(
            "AllocateIPConfig failed: not enough IPs available for 9c6a7f37-dd43-4f7c-a01f-1ff41653609c, waiting on Azure CNS to allocate more with NC Status: , IP config request is"
        ));
        // A CNS that answered with another error is not waiting for IPs.
        assert!(!says_cns_waiting(
            "Failed to get IP address from CNS: network is not ready - mtpnc is not ready"
        ));
    }

    #[test]
    fn dynamic_nnc_at_its_request_is_exhausted() {
        assert!(is_exhausted(&nnc(32, 32, "dynamic", "vnet")));
        assert!(!is_exhausted(&nnc(48, 32, "dynamic", "vnet")));
    }

    #[test]
    fn overlay_and_static_nnc_are_never_exhausted() {
        assert!(!is_exhausted(&nnc(0, 256, "static", "overlay")));
        assert!(!is_exhausted(&nnc(0, 0, "dynamic", "vnet")));
    }

    #[test]
    fn node_pool_from_node_name() {
        assert_eq!(
            nodepool_of("aks-nodepool1-19283746-vmss000005"),
            Some("nodepool1")
        );
        assert_eq!(nodepool_of("akswin22000001"), None);
        assert_eq!(nodepool_of("aks-user-pool-vmss000001"), None);
    }

    #[test]
    fn node_facts_name_subnet_and_counts() {
        let index = Index {
            nnc: Some(vec![nnc(32, 32, "dynamic", "vnet")]),
            ..Default::default()
        };
        let f = node_facts(&index, "n1");
        assert_eq!(f["subnet"], "podnet");
        assert_eq!(f["subnet_cidr"], "10.241.0.0/16");
        assert_eq!(f["requested"], "32");
        assert_eq!(f["max_ip_count"], "250");
        assert_eq!(f["running_pod_ips"], "0");
    }
}
