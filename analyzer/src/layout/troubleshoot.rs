//! Troubleshoot support bundles (`kubectl support-bundle`, `troubleshoot.sh/v1beta2`), as
//! replicatedhq/troubleshoot's `pkg/collect` writes them: `cluster-resources/<kind>/<ns>.json`
//! (a List, or a bare array in older versions), `cluster-resources/<kind>-errors.json` (the
//! API server's words when listing failed), `cluster-resources/pods/logs/<ns>/<pod>/` logs,
//! `version.yaml`, `cluster-info/cluster_version.json` and the vendor's `analysis.json`.

use serde_json::Value;

use super::{ClusterKind, ObjectKind, Role, VersionShape};
use crate::finding::OwnResult;

/// The format name troubleshoot writes in `version.yaml`.
pub const FORMAT: &str = "troubleshoot.sh/v1beta2";

/// Namespaced kinds: the folder under `cluster-resources/` and the index kind it fills.
/// Adding a kind the index learns is one line here.
const NAMESPACED: &[(&str, ObjectKind)] = &[
    ("pods", ObjectKind::Pods),
    ("events", ObjectKind::Events),
    ("services", ObjectKind::Services),
    ("endpoints", ObjectKind::Endpoints),
    ("network-policy", ObjectKind::NetworkPolicies),
    ("jobs", ObjectKind::Jobs),
    ("deployments", ObjectKind::Deployments),
    ("replicasets", ObjectKind::ReplicaSets),
    ("statefulsets", ObjectKind::StatefulSets),
    ("daemonsets", ObjectKind::DaemonSets),
    ("cronjobs", ObjectKind::CronJobs),
    ("pvcs", ObjectKind::PersistentVolumeClaims),
    (
        "horizontalpodautoscalers",
        ObjectKind::HorizontalPodAutoscalers,
    ),
    ("pod-disruption-budgets", ObjectKind::PodDisruptionBudgets),
    ("resource-quota", ObjectKind::ResourceQuotas),
    ("limitranges", ObjectKind::LimitRanges),
    ("ingress", ObjectKind::Ingresses),
    ("endpointslices", ObjectKind::EndpointSlices),
];

/// Cluster-scoped kinds: the file under `cluster-resources/` and the index kind it fills.
const CLUSTER: &[(&str, ClusterKind)] = &[
    ("pvs.json", ClusterKind::PersistentVolumes),
    ("storage-classes.json", ClusterKind::StorageClasses),
    ("volumeattachments.json", ClusterKind::VolumeAttachments),
    ("namespaces.json", ClusterKind::Namespaces),
    ("priorityclasses.json", ClusterKind::PriorityClasses),
    (
        "validating-webhook-configurations.json",
        ClusterKind::ValidatingWebhookConfigurations,
    ),
    (
        "mutating-webhook-configurations.json",
        ClusterKind::MutatingWebhookConfigurations,
    ),
];

/// The role of a path of a troubleshoot bundle, relative to its root.
pub fn place(parts: &[&str]) -> Option<Role> {
    Some(match parts {
        ["version.yaml"] => Role::BundleVersion,
        ["analysis.json"] => Role::OwnAnalysis,
        ["cluster-info", "cluster_version.json"] => Role::Version(VersionShape::Troubleshoot),
        ["cluster-resources", "nodes.json"] => Role::Nodes,
        ["cluster-resources", file] if CLUSTER.iter().any(|(f, _)| f == file) => {
            Role::ClusterObjects {
                kind: CLUSTER.iter().find(|(f, _)| f == file)?.1,
            }
        }
        ["cluster-resources", "configmaps", file] => Role::ConfigMaps {
            namespace: file.strip_suffix(".json")?.to_string(),
        },
        ["cluster-resources", file] | ["cluster-resources", "custom-resources", file] => {
            let kind = file.strip_suffix("-errors.json")?;
            Role::ListErrors {
                step: step_of(kind).to_string(),
            }
        }
        ["cluster-resources", "pods", "logs", ns, pod, file] => {
            if let Some(c) = file.strip_suffix("-logs-errors.log") {
                Role::LogErrors {
                    namespace: ns.to_string(),
                    pod: pod.to_string(),
                    container: c.to_string(),
                }
            } else {
                let (container, previous) = match file.strip_suffix("-previous.log") {
                    Some(c) => (c, true),
                    None => (file.strip_suffix(".log")?, false),
                };
                Role::Log {
                    namespace: ns.to_string(),
                    pod: pod.to_string(),
                    container: container.to_string(),
                    previous,
                }
            }
        }
        ["cluster-resources", dir, file] => {
            let kind = NAMESPACED.iter().find(|(d, _)| d == dir)?.1;
            Role::Objects {
                namespace: file.strip_suffix(".json")?.to_string(),
                kind,
            }
        }
        _ => return None,
    })
}

/// The collection step (as `aksbundle/v1` names them in `manifest.errors`) of a
/// troubleshoot kind folder.
fn step_of(dir: &str) -> &str {
    match NAMESPACED.iter().find(|(d, _)| *d == dir) {
        Some((_, kind)) => kind.plural(),
        None => dir,
    }
}

/// Where a troubleshoot bundle keeps a namespaced object file.
pub fn object_file(ns: &str, kind: ObjectKind) -> String {
    let dir = NAMESPACED
        .iter()
        .find(|(_, k)| *k == kind)
        .map_or(kind.plural(), |(d, _)| d);
    format!("cluster-resources/{dir}/{ns}.json")
}

/// True when troubleshoot collects this namespaced kind.
pub fn holds(kind: ObjectKind) -> bool {
    NAMESPACED.iter().any(|(_, k)| *k == kind)
}

/// Where a troubleshoot bundle keeps a cluster-scoped list, `None` when it does not.
pub fn cluster_file(kind: ClusterKind) -> Option<String> {
    CLUSTER
        .iter()
        .find(|(_, k)| *k == kind)
        .map(|(f, _)| format!("cluster-resources/{f}"))
}

/// The errors of a `<kind>-errors.json`: a JSON array of messages (cluster-scoped kinds,
/// and every kind in current versions) or an object of namespace to message (older
/// versions). Returns `(namespace, message)` pairs.
pub fn list_errors(v: &Value) -> Result<Vec<(Option<String>, String)>, String> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(a) => Ok(a.iter().map(|e| (None, text(e))).collect()),
        Value::Object(m) => Ok(m.iter().map(|(k, e)| (Some(k.clone()), text(e))).collect()),
        _ => Err("unexpected JSON shape: expected an array of error messages".into()),
    }
}

/// The troubleshoot version that wrote the bundle, from `version.yaml`
/// (`apiVersion: troubleshoot.sh/v1beta2`, `kind: SupportBundle`, `spec.versionNumber`).
/// `Err` when the file is not troubleshoot's.
pub fn bundle_version(bytes: &[u8]) -> Result<Option<String>, String> {
    let v: serde_yaml::Value =
        serde_yaml::from_slice(bytes).map_err(|e| format!("invalid YAML: {e}"))?;
    let api = v.get("apiVersion").and_then(|a| a.as_str()).unwrap_or("");
    if !api.starts_with("troubleshoot.sh/") && !api.starts_with("troubleshoot.replicated.com/") {
        return Err(format!(
            "not a troubleshoot version.yaml (apiVersion '{}')",
            api.escape_debug()
        ));
    }
    Ok(v.get("spec")
        .and_then(|s| s.get("versionNumber"))
        .and_then(|n| match n {
            serde_yaml::Value::String(s) => Some(s.clone()),
            serde_yaml::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }))
}

/// The Kubernetes version in `cluster-info/cluster_version.json`.
pub fn cluster_version(v: &Value) -> Option<String> {
    v.pointer("/info/gitVersion")
        .and_then(Value::as_str)
        .or_else(|| v.get("string").and_then(Value::as_str))
        .map(str::to_string)
}

/// The vendor analyzers' results in `analysis.json`: an array of
/// `{name, severity, insight: {primary, detail}}` (older versions: `title`, `message`).
pub fn own_analysis(v: &Value) -> Result<Vec<OwnResult>, String> {
    let Value::Array(items) = v else {
        return Err("unexpected JSON shape: expected an array of analyzer results".into());
    };
    let s = |v: &Value, keys: &[&str]| -> String {
        keys.iter()
            .find_map(|k| v.pointer(k).and_then(Value::as_str))
            .unwrap_or("")
            .to_string()
    };
    Ok(items
        .iter()
        .filter(|i| i.is_object())
        .map(|i| OwnResult {
            name: s(i, &["/name", "/insight/name"]),
            severity: s(i, &["/severity", "/insight/severity"]),
            title: s(i, &["/insight/primary", "/title"]),
            message: s(i, &["/insight/detail", "/message"]),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(path: &str) -> Option<Role> {
        place(&path.split('/').collect::<Vec<_>>())
    }

    #[test]
    fn paths_map_to_index_entries() {
        assert_eq!(
            role("cluster-resources/pods/shop.json"),
            Some(Role::Objects {
                namespace: "shop".into(),
                kind: ObjectKind::Pods
            })
        );
        assert_eq!(
            role("cluster-resources/network-policy/shop.json"),
            Some(Role::Objects {
                namespace: "shop".into(),
                kind: ObjectKind::NetworkPolicies
            })
        );
        assert_eq!(
            role("cluster-resources/pods-errors.json"),
            Some(Role::ListErrors {
                step: "pods".into()
            })
        );
        assert_eq!(
            role("cluster-resources/pods/logs/shop/web-1/app-previous.log"),
            Some(Role::Log {
                namespace: "shop".into(),
                pod: "web-1".into(),
                container: "app".into(),
                previous: true
            })
        );
        assert_eq!(
            role("cluster-resources/pods/logs/shop/web-1/app-logs-errors.log"),
            Some(Role::LogErrors {
                namespace: "shop".into(),
                pod: "web-1".into(),
                container: "app".into()
            })
        );
        assert_eq!(role("cluster-resources/deployments/shop.json"), None);
        assert_eq!(role("all-logs/shop/web-1/app.log"), None);
    }

    #[test]
    fn errors_files_in_both_generations() {
        let old: Value = serde_json::json!({"shop": "pods is forbidden: User \"x\" cannot list resource \"pods\""});
        assert_eq!(list_errors(&old).unwrap()[0].0.as_deref(), Some("shop"));
        let new: Value = serde_json::json!(["nodes is forbidden"]);
        assert_eq!(
            list_errors(&new).unwrap(),
            vec![(None, "nodes is forbidden".into())]
        );
        assert!(list_errors(&serde_json::json!(3)).is_err());
    }

    #[test]
    fn version_yaml_must_be_troubleshoot_s() {
        let y = b"apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  versionNumber: 0.107.1\n";
        assert_eq!(bundle_version(y).unwrap().as_deref(), Some("0.107.1"));
        assert!(bundle_version(b"apiVersion: v1\nkind: Pod\n").is_err());
    }
}
