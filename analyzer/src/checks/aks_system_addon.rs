//! AKS system add-ons (kube-system DaemonSets and Deployments: kube-proxy, the CSI node
//! drivers, cloud-node-manager, azure-cns, konnectivity-agent, coredns, metrics-server, the
//! monitoring and policy agents ...) with fewer ready pods than they want. The finding names
//! the controller, the nodes whose pod is missing or not ready, and why each pod is not
//! ready (its container's waiting reason, its phase). A controller whose not-ready pods
//! were all created in the last five minutes is rolling out, not degraded.

use std::collections::BTreeSet;

use crate::engine::{Hit, Inputs};
use crate::finding::{Evidence, Table};
use crate::model::{Pod, Workload};
use crate::time::seconds;

/// Name prefixes of the add-ons AKS deploys to kube-system.
const ADDONS: &[&str] = &[
    "kube-proxy",
    "csi-azuredisk-node",
    "csi-azurefile-node",
    "csi-blob-node",
    "csi-azuredisk-controller",
    "csi-azurefile-controller",
    "cloud-node-manager",
    "azure-cns",
    "azure-ip-masq-agent",
    "ip-masq-agent",
    "azure-npm",
    "cilium",
    "konnectivity-agent",
    "tunnelfront",
    "aks-link",
    "coredns",
    "metrics-server",
    "ama-logs",
    "ama-metrics",
    "omsagent",
    "azure-policy",
    "azure-wi-webhook",
    "aks-secrets-store",
    "microsoft-defender",
    "eraser",
    "retina",
];

/// How recent a not-ready pod may be and still count as a rollout in progress.
const ROLLOUT_SECONDS: i64 = 300;

/// True when `name` in kube-system is an AKS add-on: a known name, or a controller AKS's
/// add-on manager labels.
pub(super) fn is_addon(w: &Workload) -> bool {
    let name = w.metadata.name.as_str();
    ADDONS
        .iter()
        .any(|a| name == *a || name.strip_prefix(a).is_some_and(|r| r.starts_with('-')))
        || w.metadata
            .labels
            .get("kubernetes.azure.com/managedby")
            .map(String::as_str)
            == Some("aks")
        || w.metadata
            .labels
            .get("addonmanager.kubernetes.io/mode")
            .map(String::as_str)
            == Some("Reconcile")
}

/// The controller that owns a pod, a Deployment through its ReplicaSet `<name>-<hash>`.
fn owned(p: &Pod, kind: &str, name: &str) -> bool {
    p.metadata.owner_references.iter().any(|r| match kind {
        "daemonset" => r.kind == "DaemonSet" && r.name == name,
        _ => {
            r.kind == "ReplicaSet"
                && r.name
                    .strip_prefix(name)
                    .and_then(|s| s.strip_prefix('-'))
                    .is_some_and(|h| !h.is_empty() && !h.contains('-'))
        }
    })
}

/// Why a pod is not ready, in a word: a container's waiting or terminated reason, else its phase.
fn why(p: &Pod) -> String {
    if p.metadata.deletion_timestamp.is_some() {
        return "Terminating".into();
    }
    p.all_statuses()
        .find_map(|s| {
            (!s.ready).then(|| {
                s.state
                    .waiting
                    .as_ref()
                    .and_then(|w| w.reason.clone())
                    .or_else(|| s.state.terminated.as_ref().and_then(|t| t.reason.clone()))
            })?
        })
        .or_else(|| p.status.reason.clone())
        .or_else(|| p.status.phase.clone())
        .unwrap_or_else(|| "NotReady".into())
}

/// The `aks_system_addon` check.
pub fn check(inputs: &Inputs, _rule: usize, mut hits: Vec<Hit>) -> Vec<Hit> {
    let now = inputs.clock.map(|c| c.collected_at.as_second());
    let controllers = inputs
        .index
        .daemon_sets()
        .map(|(ns, w)| (ns, "daemonset", w))
        .chain(
            inputs
                .index
                .deployments()
                .map(|(ns, w)| (ns, "deployment", w)),
        );
    for (ns, kind, w) in controllers {
        if ns != "kube-system" || !is_addon(w) {
            continue;
        }
        let s = &w.status;
        let (desired, ready) = if kind == "daemonset" {
            (
                s.desired_number_scheduled.unwrap_or(0),
                s.number_ready.unwrap_or(0),
            )
        } else {
            (w.desired(), s.available_replicas.unwrap_or(0))
        };
        if desired == 0 || ready >= desired {
            continue;
        }
        let name = w.metadata.name.as_str();
        let pods: Vec<&Pod> = inputs
            .index
            .pods_in(ns)
            .filter(|p| owned(p, kind, name))
            .collect();
        let unready: Vec<&Pod> = pods
            .iter()
            .copied()
            .filter(|p| !(p.is_running() && p.is_ready()))
            .collect();
        // A rollout: every pod that is not ready was created a moment ago.
        let fresh = |p: &&Pod| match (
            now,
            p.metadata.creation_timestamp.as_deref().and_then(seconds),
        ) {
            (Some(n), Some(t)) => n - t < ROLLOUT_SECONDS,
            _ => false,
        };
        if !unready.is_empty() && unready.iter().all(fresh) {
            continue;
        }
        let object = format!("{ns}/{kind}/{name}");
        let mut facts = std::collections::BTreeMap::new();
        facts.insert("namespace".to_string(), ns.to_string());
        facts.insert("name".to_string(), name.to_string());
        facts.insert("kind".to_string(), kind.to_string());
        facts.insert("addon".to_string(), name.to_string());
        facts.insert("workload".to_string(), name.to_string());
        facts.insert("workload_kind".to_string(), kind.to_string());
        facts.insert("desired".to_string(), desired.to_string());
        facts.insert("ready".to_string(), ready.to_string());
        facts.insert("missing".to_string(), (desired - ready).to_string());
        let nodes: BTreeSet<String> = unready
            .iter()
            .filter_map(|p| p.spec.node_name.clone())
            .collect();
        if !nodes.is_empty() {
            facts.insert(
                "unready_nodes".to_string(),
                nodes.iter().cloned().collect::<Vec<_>>().join(", "),
            );
        }
        let reasons: BTreeSet<String> = unready.iter().map(|p| why(p)).collect();
        if !reasons.is_empty() {
            facts.insert(
                "pod_reasons".to_string(),
                reasons.into_iter().collect::<Vec<_>>().join(", "),
            );
        }
        if kind == "daemonset" {
            let unscheduled = desired - s.current_number_scheduled.unwrap_or(desired);
            if unscheduled > 0 {
                facts.insert("unscheduled".to_string(), unscheduled.to_string());
            }
        }
        if let Some(c) = w.condition("Available").filter(|c| c.status == "False") {
            if let Some(m) = &c.message {
                facts.insert("message".to_string(), m.clone());
            }
        }
        let file = inputs.object_file(
            ns,
            if kind == "daemonset" {
                "daemonsets.json"
            } else {
                "deployments.json"
            },
        );
        // Since when: the oldest not-ready pod, else the controller's condition.
        let since = unready
            .iter()
            .filter_map(|p| {
                p.status
                    .conditions
                    .iter()
                    .find(|c| c.type_ == "Ready")
                    .and_then(|c| c.last_transition_time.as_deref())
                    .or(p.metadata.creation_timestamp.as_deref())
            })
            .min()
            .map(|t| inputs.time(t));
        let collected = now.and_then(crate::time::from_seconds);
        let mut evidence = vec![Evidence {
            file,
            line: None,
            excerpt: format!(
                "{kind} {ns}/{name}: {ready} of {desired} {} ready",
                if kind == "daemonset" {
                    "pods"
                } else {
                    "replicas"
                }
            ),
            count: 1,
            first_seen: since.clone(),
            // Observed below its desired count at collection time.
            last_seen: collected.or(since),
            object: Some(object.clone()),
            role: "signal".into(),
        }];
        for p in &unready {
            evidence.push(Evidence {
                file: inputs.object_file(ns, "pods.json"),
                line: None,
                excerpt: format!(
                    "pod {} on node {}: {}",
                    p.object_ref(),
                    p.spec.node_name.as_deref().unwrap_or("(none)"),
                    why(p)
                ),
                count: 1,
                first_seen: None,
                last_seen: None,
                object: Some(p.object_ref()),
                role: "context".into(),
            });
        }
        let table = (!unready.is_empty()).then(|| Table {
            columns: vec!["Pod".into(), "Node".into(), "Why not ready".into()],
            rows: unready
                .iter()
                .map(|p| {
                    vec![
                        p.object_ref(),
                        p.spec.node_name.clone().unwrap_or_default(),
                        why(p),
                    ]
                })
                .collect(),
        });
        hits.push(Hit {
            weak_object: false,
            object: Some(object),
            node: None,
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

    #[test]
    fn daemonset_below_desired_names_the_node_and_user_workloads_are_ignored() {
        let mut index = Index::default();
        index.namespaces.insert(
            "kube-system".into(),
            NamespaceObjects {
                daemon_sets: Some(
                    serde_json::from_str(
                        r#"[{"metadata":{"name":"csi-azuredisk-node","namespace":"kube-system"},
                             "status":{"desiredNumberScheduled":3,"currentNumberScheduled":3,"numberReady":2,"numberUnavailable":1}},
                            {"metadata":{"name":"my-log-shipper","namespace":"kube-system"},
                             "status":{"desiredNumberScheduled":3,"numberReady":0}}]"#,
                    )
                    .unwrap(),
                ),
                pods: Some(
                    serde_json::from_str(
                        r#"[{"metadata":{"name":"csi-azuredisk-node-x1","namespace":"kube-system","ownerReferences":[{"kind":"DaemonSet","name":"csi-azuredisk-node"}],
                              "creationTimestamp":"2026-11-22T02:00:00Z"},
                             "spec":{"nodeName":"n2"},
                             "status":{"phase":"Running","containerStatuses":[{"name":"azuredisk","ready":false,"state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}}]"#,
                    )
                    .unwrap(),
                ),
                ..Default::default()
            },
        );
        let (scan, cat) = (ScanResults::default(), Catalogue::default());
        let mut inputs = Inputs::of(&index, &scan, &cat);
        inputs.clock = crate::time::Clock::of("2026-11-22T04:00:00Z");
        let hits = check(&inputs, 0, Vec::new());
        assert_eq!(hits.len(), 1);
        let h = &hits[0];
        assert_eq!(
            h.object.as_deref(),
            Some("kube-system/daemonset/csi-azuredisk-node")
        );
        assert_eq!(h.facts["unready_nodes"], "n2");
        assert_eq!(h.facts["pod_reasons"], "CrashLoopBackOff");
        assert_eq!(h.facts["missing"], "1");
    }
}
