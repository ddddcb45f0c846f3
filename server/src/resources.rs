//! The API resources `serve` knows by name: group, version, plural, kind, scope and short
//! names, as a live API server's discovery gives them. A kind outside this table is served
//! under a resource derived from the items' own `apiVersion` and `kind`.

/// One API resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// API group; empty for the core group.
    pub group: String,
    pub version: String,
    /// The plural, lower-case name used in paths (`pods`).
    pub name: String,
    pub singular: String,
    pub kind: String,
    pub namespaced: bool,
    pub short: Vec<String>,
}

impl Resource {
    /// `v1` for the core group, `group/version` otherwise.
    pub fn group_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Derives a resource for a kind the table does not hold (a custom resource).
    pub fn derived(api_version: &str, kind: &str, namespaced: bool) -> Resource {
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), api_version.to_string()),
        };
        let singular = kind.to_ascii_lowercase();
        Resource {
            group,
            version,
            name: plural(&singular),
            singular,
            kind: kind.to_string(),
            namespaced,
            short: Vec::new(),
        }
    }
}

/// English plural as Kubernetes forms resource names (`networkpolicy` → `networkpolicies`).
fn plural(singular: &str) -> String {
    if singular.ends_with("endpoints") {
        singular.to_string()
    } else if let Some(stem) = singular.strip_suffix('y') {
        if stem.ends_with(['a', 'e', 'i', 'o', 'u']) {
            format!("{singular}s")
        } else {
            format!("{stem}ies")
        }
    } else if singular.ends_with('s') || singular.ends_with("ch") || singular.ends_with('x') {
        format!("{singular}es")
    } else {
        format!("{singular}s")
    }
}

/// (group, version, plural, kind, namespaced, short names)
type Known = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static [&'static str],
);

const KNOWN: &[Known] = &[
    ("", "v1", "pods", "Pod", true, &["po"]),
    ("", "v1", "events", "Event", true, &["ev"]),
    ("", "v1", "services", "Service", true, &["svc"]),
    ("", "v1", "endpoints", "Endpoints", true, &["ep"]),
    ("", "v1", "nodes", "Node", false, &["no"]),
    ("", "v1", "namespaces", "Namespace", false, &["ns"]),
    ("", "v1", "configmaps", "ConfigMap", true, &["cm"]),
    ("", "v1", "serviceaccounts", "ServiceAccount", true, &["sa"]),
    (
        "",
        "v1",
        "persistentvolumeclaims",
        "PersistentVolumeClaim",
        true,
        &["pvc"],
    ),
    (
        "",
        "v1",
        "persistentvolumes",
        "PersistentVolume",
        false,
        &["pv"],
    ),
    (
        "",
        "v1",
        "resourcequotas",
        "ResourceQuota",
        true,
        &["quota"],
    ),
    ("", "v1", "limitranges", "LimitRange", true, &["limits"]),
    ("apps", "v1", "deployments", "Deployment", true, &["deploy"]),
    ("apps", "v1", "daemonsets", "DaemonSet", true, &["ds"]),
    ("apps", "v1", "replicasets", "ReplicaSet", true, &["rs"]),
    ("apps", "v1", "statefulsets", "StatefulSet", true, &["sts"]),
    ("batch", "v1", "jobs", "Job", true, &[]),
    ("batch", "v1", "cronjobs", "CronJob", true, &["cj"]),
    (
        "networking.k8s.io",
        "v1",
        "networkpolicies",
        "NetworkPolicy",
        true,
        &["netpol"],
    ),
    (
        "networking.k8s.io",
        "v1",
        "ingresses",
        "Ingress",
        true,
        &["ing"],
    ),
    (
        "storage.k8s.io",
        "v1",
        "storageclasses",
        "StorageClass",
        false,
        &["sc"],
    ),
    (
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        true,
        &["hpa"],
    ),
    (
        "policy",
        "v1",
        "poddisruptionbudgets",
        "PodDisruptionBudget",
        true,
        &["pdb"],
    ),
    (
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        "EndpointSlice",
        true,
        &[],
    ),
    (
        "storage.k8s.io",
        "v1",
        "volumeattachments",
        "VolumeAttachment",
        false,
        &[],
    ),
    ("storage.k8s.io", "v1", "csinodes", "CSINode", false, &[]),
    (
        "storage.k8s.io",
        "v1",
        "csidrivers",
        "CSIDriver",
        false,
        &[],
    ),
    (
        "apiregistration.k8s.io",
        "v1",
        "apiservices",
        "APIService",
        false,
        &[],
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        "ValidatingWebhookConfiguration",
        false,
        &[],
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        "MutatingWebhookConfiguration",
        false,
        &[],
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "validatingadmissionpolicies",
        "ValidatingAdmissionPolicy",
        false,
        &[],
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "validatingadmissionpolicybindings",
        "ValidatingAdmissionPolicyBinding",
        false,
        &[],
    ),
    (
        "networking.k8s.io",
        "v1",
        "ingressclasses",
        "IngressClass",
        false,
        &[],
    ),
    (
        "scheduling.k8s.io",
        "v1",
        "priorityclasses",
        "PriorityClass",
        false,
        &["pc"],
    ),
    (
        "flowcontrol.apiserver.k8s.io",
        "v1",
        "flowschemas",
        "FlowSchema",
        false,
        &[],
    ),
    (
        "flowcontrol.apiserver.k8s.io",
        "v1",
        "prioritylevelconfigurations",
        "PriorityLevelConfiguration",
        false,
        &[],
    ),
    (
        "acn.azure.com",
        "v1alpha",
        "nodenetworkconfigs",
        "NodeNetworkConfig",
        true,
        &["nnc"],
    ),
];

fn known(entry: &Known) -> Resource {
    let (group, version, name, kind, namespaced, short) = *entry;
    Resource {
        group: group.into(),
        version: version.into(),
        name: name.into(),
        singular: kind.to_ascii_lowercase(),
        kind: kind.into(),
        namespaced,
        short: short.iter().map(|s| s.to_string()).collect(),
    }
}

/// The known resource of a kind (`Pod`), whatever version the item names.
pub fn by_kind(group: &str, kind: &str) -> Option<Resource> {
    KNOWN
        .iter()
        .find(|e| e.0 == group && e.3 == kind)
        .map(known)
}

/// The known resource with this plural name in this group (`pods`).
pub fn by_name(group: &str, name: &str) -> Option<Resource> {
    KNOWN
        .iter()
        .find(|e| e.0 == group && e.2 == name)
        .map(known)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_follow_kubernetes_names() {
        assert_eq!(plural("networkpolicy"), "networkpolicies");
        assert_eq!(plural("ingress"), "ingresses");
        assert_eq!(plural("gateway"), "gateways");
        assert_eq!(plural("endpoints"), "endpoints");
        assert_eq!(plural("secretproviderclass"), "secretproviderclasses");
    }

    #[test]
    fn derived_resource_splits_group_and_version() {
        let r = Resource::derived("secrets-store.csi.x-k8s.io/v1", "SecretProviderClass", true);
        assert_eq!(r.group, "secrets-store.csi.x-k8s.io");
        assert_eq!(r.version, "v1");
        assert_eq!(r.name, "secretproviderclasses");
        assert_eq!(r.group_version(), "secrets-store.csi.x-k8s.io/v1");
    }

    #[test]
    fn nnc_is_its_own_group_with_its_short_name() {
        let r = by_name("acn.azure.com", "nodenetworkconfigs").unwrap();
        assert_eq!(r.short, vec!["nnc"]);
        assert!(by_name("", "nodenetworkconfigs").is_none());
    }
}
