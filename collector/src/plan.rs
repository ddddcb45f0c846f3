//! Which steps a collection runs: the object lists (cluster-scoped and per namespace), and
//! which container logs to fetch, chosen from the pods list (Key Vault provider, Secrets
//! Store CSI driver, NMI, Service Connector, azure-cns, extension agents, not-Ready pods).

use crate::bundle::safe_component;
use serde_json::Value;

/// A namespaced object list collected into `namespaces/<ns>/<file>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamespacedKind {
    /// The resource as given to `kubectl get` (group-qualified where a name is ambiguous).
    pub resource: &'static str,
    /// The file name in each namespace folder.
    pub file: &'static str,
}

/// Namespaced lists, in bundle-format.md order. Resources are group-qualified wherever an
/// old API group serves the same plural (`extensions` ingresses and deployments,
/// `autoscaling/v1` next to `v2`): kubectl then takes the group's preferred version, which is
/// the newest one the server serves, with kubectl 1.20 as with today's.
pub const NAMESPACED: &[NamespacedKind] = &[
    NamespacedKind {
        resource: "pods",
        file: "pods.json",
    },
    NamespacedKind {
        resource: "events",
        file: "events.json",
    },
    NamespacedKind {
        resource: "services",
        file: "services.json",
    },
    NamespacedKind {
        resource: "endpoints",
        file: "endpoints.json",
    },
    NamespacedKind {
        resource: "networkpolicies.networking.k8s.io",
        file: "networkpolicies.json",
    },
    NamespacedKind {
        resource: "jobs.batch",
        file: "jobs.json",
    },
    NamespacedKind {
        resource: "deployments.apps",
        file: "deployments.json",
    },
    NamespacedKind {
        resource: "replicasets.apps",
        file: "replicasets.json",
    },
    NamespacedKind {
        resource: "statefulsets.apps",
        file: "statefulsets.json",
    },
    NamespacedKind {
        resource: "daemonsets.apps",
        file: "daemonsets.json",
    },
    NamespacedKind {
        resource: "cronjobs.batch",
        file: "cronjobs.json",
    },
    NamespacedKind {
        resource: "persistentvolumeclaims",
        file: "persistentvolumeclaims.json",
    },
    NamespacedKind {
        resource: "horizontalpodautoscalers.autoscaling",
        file: "horizontalpodautoscalers.json",
    },
    NamespacedKind {
        resource: "poddisruptionbudgets.policy",
        file: "poddisruptionbudgets.json",
    },
    NamespacedKind {
        resource: "resourcequotas",
        file: "resourcequotas.json",
    },
    NamespacedKind {
        resource: "limitranges",
        file: "limitranges.json",
    },
    NamespacedKind {
        resource: "ingresses.networking.k8s.io",
        file: "ingresses.json",
    },
    NamespacedKind {
        resource: "endpointslices.discovery.k8s.io",
        file: "endpointslices.json",
    },
];

/// A cluster-scoped object list collected into `cluster/<file>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClusterKind {
    /// The resource as given to `kubectl get` (group-qualified unless it is core).
    pub resource: &'static str,
    /// The file name in the `cluster/` folder.
    pub file: &'static str,
}

/// Cluster-scoped lists besides nodes and NodeNetworkConfigs, in bundle-format.md order.
/// A kind the server does not serve (ValidatingAdmissionPolicy before 1.30, say) is a note.
pub const CLUSTER: &[ClusterKind] = &[
    ClusterKind {
        resource: "persistentvolumes",
        file: "persistentvolumes.json",
    },
    ClusterKind {
        resource: "storageclasses.storage.k8s.io",
        file: "storageclasses.json",
    },
    ClusterKind {
        resource: "volumeattachments.storage.k8s.io",
        file: "volumeattachments.json",
    },
    ClusterKind {
        resource: "csinodes.storage.k8s.io",
        file: "csinodes.json",
    },
    ClusterKind {
        resource: "csidrivers.storage.k8s.io",
        file: "csidrivers.json",
    },
    ClusterKind {
        resource: "namespaces",
        file: "namespaces.json",
    },
    ClusterKind {
        resource: "apiservices.apiregistration.k8s.io",
        file: "apiservices.json",
    },
    ClusterKind {
        resource: "validatingwebhookconfigurations.admissionregistration.k8s.io",
        file: "validatingwebhookconfigurations.json",
    },
    ClusterKind {
        resource: "mutatingwebhookconfigurations.admissionregistration.k8s.io",
        file: "mutatingwebhookconfigurations.json",
    },
    ClusterKind {
        resource: "validatingadmissionpolicies.admissionregistration.k8s.io",
        file: "validatingadmissionpolicies.json",
    },
    ClusterKind {
        resource: "validatingadmissionpolicybindings.admissionregistration.k8s.io",
        file: "validatingadmissionpolicybindings.json",
    },
    ClusterKind {
        resource: "ingressclasses.networking.k8s.io",
        file: "ingressclasses.json",
    },
    ClusterKind {
        resource: "priorityclasses.scheduling.k8s.io",
        file: "priorityclasses.json",
    },
    ClusterKind {
        resource: "flowschemas.flowcontrol.apiserver.k8s.io",
        file: "flowschemas.json",
    },
    ClusterKind {
        resource: "prioritylevelconfigurations.flowcontrol.apiserver.k8s.io",
        file: "prioritylevelconfigurations.json",
    },
];

/// The namespace of the ConfigMaps collected by name.
pub const CONFIG_MAP_NAMESPACE: &str = "kube-system";

/// The only ConfigMaps collected, by name (never a list: other ConfigMaps may hold
/// anything), each to `namespaces/kube-system/configmaps/<name>.json`.
pub const CONFIG_MAPS: &[&str] = &["coredns", "coredns-custom", "cluster-autoscaler-status"];

/// The NodeNetworkConfig CRD of Azure CNI dynamic IP allocation.
pub const NNC_RESOURCE: &str = "nodenetworkconfigs.acn.azure.com";

/// Why a pod's logs are collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogReason {
    /// An AKS add-on or platform pod: CoreDNS, konnectivity, metrics-server, the Azure Disk
    /// and File CSI drivers, cloud-node-manager, kube-proxy, App Routing, AGIC, Azure
    /// Policy and Gatekeeper, the Key Vault provider, NMI, Service Connector, CNS, the
    /// extension agents.
    Component,
    /// A pod that is not Ready (crash loop, back-off, ...).
    NotReady,
}

/// One container log to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTarget {
    /// Namespace of the pod.
    pub namespace: String,
    /// Pod name.
    pub pod: String,
    /// Container name.
    pub container: String,
    /// Fetch the previous instance (`--previous`) rather than the current one.
    pub previous: bool,
}

impl LogTarget {
    /// Path inside the bundle: `logs/<ns>/<pod>/<container>[.previous].log`. Names come
    /// from the API server; anything that is not a safe path component is neutralised.
    pub fn bundle_path(&self) -> String {
        format!(
            "logs/{}/{}/{}{}.log",
            safe_component(&self.namespace),
            safe_component(&self.pod),
            safe_component(&self.container),
            if self.previous { ".previous" } else { "" }
        )
    }
}

/// Label values (any of the keys `app`, `k8s-app`, `component`,
/// `app.kubernetes.io/name`, `app.kubernetes.io/component`) that mark component pods.
const COMPONENT_LABELS: &[(&str, &str)] = &[
    ("app", "secrets-store-provider-azure"),
    ("app", "csi-secrets-store-provider-azure"),
    ("app", "secrets-store-csi-driver"),
    ("app", "nmi"),
    ("component", "nmi"),
    ("app.kubernetes.io/component", "nmi"),
    ("k8s-app", "azure-cns"),
    ("k8s-app", "azure-cns-win"),
    ("app.kubernetes.io/name", "extension-agent"),
    ("app.kubernetes.io/name", "extension-operator"),
    ("app.kubernetes.io/component", "extension-agent"),
    ("app.kubernetes.io/component", "extension-operator"),
    // CoreDNS and its autoscaler.
    ("k8s-app", "kube-dns"),
    ("k8s-app", "coredns-autoscaler"),
    // API server tunnel: konnectivity, and tunnelfront / aks-link on old clusters.
    ("app", "konnectivity-agent"),
    ("component", "tunnel"),
    ("app", "tunnelfront"),
    ("app", "aks-link"),
    ("k8s-app", "metrics-server"),
    // Azure Disk and Azure File CSI drivers, Linux and Windows.
    ("app", "csi-azuredisk-controller"),
    ("app", "csi-azuredisk-node"),
    ("app", "csi-azuredisk-node-win"),
    ("app", "csi-azurefile-controller"),
    ("app", "csi-azurefile-node"),
    ("app", "csi-azurefile-node-win"),
    ("k8s-app", "cloud-node-manager"),
    ("k8s-app", "cloud-node-manager-windows"),
    ("component", "kube-proxy"),
    // Application Gateway Ingress Controller add-on.
    ("app", "ingress-appgw"),
    // Azure Policy add-on (its Gatekeeper lives in gatekeeper-system).
    ("app", "azure-policy"),
    ("app", "azure-policy-webhook"),
    ("gatekeeper.sh/system", "yes"),
];

/// Namespaces whose every pod is a component: Service Connector's extension, the App
/// Routing add-on's nginx, Gatekeeper of the Azure Policy add-on.
const COMPONENT_NAMESPACES: &[&str] = &["sc-system", "app-routing-system", "gatekeeper-system"];

/// Pod-name prefixes of components in kube-system that some installs leave unlabelled.
const COMPONENT_NAME_PREFIXES: &[&str] = &[
    "nmi-",
    "azure-cns-",
    "extension-agent-",
    "extension-operator-",
    "coredns-",
    "konnectivity-agent-",
    "tunnelfront-",
    "metrics-server-",
    "kube-proxy-",
    "cloud-node-manager-",
    "csi-azuredisk-",
    "csi-azurefile-",
    "ingress-appgw-",
    "azure-policy-",
];

/// Why a pod's logs are wanted, if they are.
pub fn log_reason(pod: &Value) -> Option<LogReason> {
    let meta = &pod["metadata"];
    let namespace = meta["namespace"].as_str().unwrap_or("");
    let name = meta["name"].as_str().unwrap_or("");
    let labels = &meta["labels"];
    let labelled = COMPONENT_LABELS
        .iter()
        .any(|(k, v)| labels[*k].as_str() == Some(*v));
    let by_namespace = COMPONENT_NAMESPACES.contains(&namespace);
    let by_name =
        namespace == "kube-system" && COMPONENT_NAME_PREFIXES.iter().any(|p| name.starts_with(p));
    if labelled || by_namespace || by_name {
        Some(LogReason::Component)
    } else if !is_ready(pod) {
        Some(LogReason::NotReady)
    } else {
        None
    }
}

/// A pod counts as Ready when its Ready condition is True, or when it completed (phase
/// Succeeded: a finished job pod is not a problem).
pub fn is_ready(pod: &Value) -> bool {
    if pod["status"]["phase"].as_str() == Some("Succeeded") {
        return true;
    }
    pod["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

/// The logs to fetch for one pod: for each container (init containers included) that has
/// started at least once, its current log, and its previous log when there was a previous
/// instance (`restartCount > 0` or `lastState.terminated`). Containers that never ran have
/// no log and are skipped rather than recorded as errors.
pub fn log_targets(pod: &Value) -> Vec<LogTarget> {
    let meta = &pod["metadata"];
    let (Some(namespace), Some(pod_name)) = (meta["namespace"].as_str(), meta["name"].as_str())
    else {
        return Vec::new();
    };
    let mut targets = Vec::new();
    for key in ["initContainerStatuses", "containerStatuses"] {
        for status in pod["status"][key].as_array().into_iter().flatten() {
            let Some(container) = status["name"].as_str() else {
                continue;
            };
            let restarts = status["restartCount"].as_u64().unwrap_or(0);
            let had_previous = restarts > 0 || status["lastState"]["terminated"].is_object();
            let state = &status["state"];
            let started =
                state["running"].is_object() || state["terminated"].is_object() || had_previous;
            let target = |previous| LogTarget {
                namespace: namespace.to_string(),
                pod: pod_name.to_string(),
                container: container.to_string(),
                previous,
            };
            if started {
                targets.push(target(false));
            }
            if had_previous {
                targets.push(target(true));
            }
        }
    }
    targets
}

/// `kubectl logs` arguments for one target: the last `tail_lines` lines of the `since`
/// window, at most `max_bytes` of them.
pub fn log_args(target: &LogTarget, since: &str, tail_lines: u64, max_bytes: u64) -> Vec<String> {
    let mut args = vec![
        "logs".to_string(),
        "--namespace".into(),
        target.namespace.clone(),
        target.pod.clone(),
        "--container".into(),
        target.container.clone(),
        "--timestamps".into(),
        format!("--since={since}"),
        format!("--tail={tail_lines}"),
        format!("--limit-bytes={max_bytes}"),
    ];
    if target.previous {
        args.push("--previous".into());
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(ns: &str, name: &str, labels: Value, ready: bool, statuses: Value) -> Value {
        json!({
            "metadata": {"namespace": ns, "name": name, "labels": labels},
            "status": {
                "phase": "Running",
                "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}],
                "containerStatuses": statuses
            }
        })
    }

    fn running(name: &str, restarts: u64) -> Value {
        json!({"name": name, "restartCount": restarts, "state": {"running": {"startedAt": "2026-11-22T03:00:00Z"}}, "lastState": {}})
    }

    #[test]
    fn component_pods_are_chosen_by_label_namespace_or_name() {
        let kv = pod(
            "kube-system",
            "csi-azure-abc",
            json!({"app": "secrets-store-provider-azure"}),
            true,
            json!([]),
        );
        assert_eq!(log_reason(&kv), Some(LogReason::Component));
        let sc = pod("sc-system", "sc-job-x", json!({}), true, json!([]));
        assert_eq!(log_reason(&sc), Some(LogReason::Component));
        let nmi = pod("kube-system", "nmi-7xk2p", json!({}), true, json!([]));
        assert_eq!(log_reason(&nmi), Some(LogReason::Component));
        let web = pod(
            "default",
            "nmi-lookalike",
            json!({"app": "web"}),
            true,
            json!([]),
        );
        assert_eq!(log_reason(&web), None);
        let broken = pod("default", "web-1", json!({"app": "web"}), false, json!([]));
        assert_eq!(log_reason(&broken), Some(LogReason::NotReady));
        let mut done = pod("default", "job-1", json!({}), false, json!([]));
        done["status"]["phase"] = json!("Succeeded");
        assert_eq!(log_reason(&done), None);
    }

    #[test]
    fn aks_add_ons_are_components_by_their_real_labels() {
        // Labels as AKS deploys these add-ons (pod template labels of their DaemonSets and
        // Deployments in kube-system, or their own namespaces).
        for (ns, name, labels) in [
            (
                "kube-system",
                "coredns-789789675-5x2mw",
                json!({"k8s-app": "kube-dns", "version": "v20"}),
            ),
            (
                "kube-system",
                "coredns-autoscaler-649b947bbd-2xx7q",
                json!({"k8s-app": "coredns-autoscaler"}),
            ),
            (
                "kube-system",
                "konnectivity-agent-6c9d8b7f5-kq2zl",
                json!({"app": "konnectivity-agent"}),
            ),
            (
                "kube-system",
                "tunnelfront-7d8f9c6b5-wz4xr",
                json!({"component": "tunnel"}),
            ),
            (
                "kube-system",
                "metrics-server-5955767688-8k2jv",
                json!({"k8s-app": "metrics-server"}),
            ),
            (
                "kube-system",
                "csi-azuredisk-node-4t6bq",
                json!({"app": "csi-azuredisk-node"}),
            ),
            (
                "kube-system",
                "csi-azurefile-controller-7b8c9d-xk2",
                json!({"app": "csi-azurefile-controller"}),
            ),
            (
                "kube-system",
                "cloud-node-manager-k2x7v",
                json!({"k8s-app": "cloud-node-manager"}),
            ),
            (
                "kube-system",
                "kube-proxy-8xkq2",
                json!({"component": "kube-proxy", "tier": "node"}),
            ),
            (
                "kube-system",
                "ingress-appgw-deployment-6b7c8d9f-2xk",
                json!({"app": "ingress-appgw"}),
            ),
            (
                "kube-system",
                "azure-policy-webhook-5f6b7c-q2w",
                json!({"app": "azure-policy-webhook"}),
            ),
            (
                "gatekeeper-system",
                "gatekeeper-audit-6f7d8c-2kq",
                json!({"control-plane": "audit-controller"}),
            ),
            (
                "app-routing-system",
                "nginx-5d8f9c7b6-xx2kq",
                json!({"app": "nginx"}),
            ),
            // Unlabelled, found by name in kube-system.
            ("kube-system", "kube-proxy-windows-x7k2q", json!({})),
        ] {
            let p = pod(ns, name, labels, true, json!([]));
            assert_eq!(log_reason(&p), Some(LogReason::Component), "{ns}/{name}");
        }
        // The same names outside kube-system, and a look-alike label value, are not.
        let lookalike = pod(
            "shop",
            "coredns-proxy-1",
            json!({"k8s-app": "kube-dns-proxy"}),
            true,
            json!([]),
        );
        assert_eq!(log_reason(&lookalike), None);
        let user_nginx = pod(
            "ingress-nginx",
            "nginx-1",
            json!({"app": "nginx"}),
            true,
            json!([]),
        );
        assert_eq!(log_reason(&user_nginx), None);
    }

    #[test]
    fn previous_log_only_when_there_was_a_previous_instance() {
        let p = pod(
            "kube-system",
            "secrets-store-csi-driver-x",
            json!({"app": "secrets-store-csi-driver"}),
            true,
            json!([
                running("node-driver-registrar", 0),
                running("secrets-store", 2),
                {"name": "liveness-probe", "restartCount": 0, "state": {"running": {}},
                 "lastState": {"terminated": {"exitCode": 137, "reason": "Error"}}},
                {"name": "never-started", "restartCount": 0, "state": {"waiting": {"reason": "ContainerCreating"}}, "lastState": {}}
            ]),
        );
        let paths: Vec<String> = log_targets(&p).iter().map(LogTarget::bundle_path).collect();
        assert_eq!(
            paths,
            [
                "logs/kube-system/secrets-store-csi-driver-x/node-driver-registrar.log",
                "logs/kube-system/secrets-store-csi-driver-x/secrets-store.log",
                "logs/kube-system/secrets-store-csi-driver-x/secrets-store.previous.log",
                "logs/kube-system/secrets-store-csi-driver-x/liveness-probe.log",
                "logs/kube-system/secrets-store-csi-driver-x/liveness-probe.previous.log",
            ]
        );
    }

    #[test]
    fn crashloop_container_gets_both_logs() {
        let p = pod(
            "default",
            "api-6c9",
            json!({}),
            false,
            json!([{"name": "api", "restartCount": 5,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {"terminated": {"exitCode": 1}}}]),
        );
        let t = log_targets(&p);
        assert_eq!(t.len(), 2);
        assert!(!t[0].previous && t[1].previous);
        let args = log_args(&t[1], "1h", 1000, 1024);
        assert!(args.contains(&"--tail=1000".to_string()));
        assert!(args.contains(&"--timestamps".to_string()));
        assert!(args.contains(&"--previous".to_string()));
        assert!(args.contains(&"--since=1h".to_string()));
        assert!(args.contains(&"--limit-bytes=1024".to_string()));
    }

    #[test]
    fn hostile_names_cannot_escape_the_logs_folder() {
        let target = LogTarget {
            namespace: "..".into(),
            pod: "../../etc".into(),
            container: "passwd".into(),
            previous: false,
        };
        assert_eq!(target.bundle_path(), "logs/_../.._.._etc/passwd.log");
    }

    #[test]
    fn garbage_pods_yield_nothing_and_do_not_panic() {
        for garbage in [
            json!(null),
            json!(42),
            json!({"metadata": "x"}),
            json!({"status": {"containerStatuses": "x"}}),
        ] {
            assert!(log_targets(&garbage).is_empty());
            let _ = log_reason(&garbage);
        }
    }
}
