//! Where a member sits in a bundle, for every layout the analyzer reads: `aksbundle/v1`
//! ([`v1`]), `kubectl cluster-info dump` in all its generations ([`dump`]) and troubleshoot
//! support bundles ([`troubleshoot`]). Each layout module maps a member path to a [`Role`]
//! (which index entry it fills, with the namespace, pod and container its path names) and
//! normalises its own older object shapes. Pure functions of the path, so members can be
//! classified as they stream, in any order; `place` is also what `serve` uses to list a
//! bundle's objects and logs. A new layout is one new module here and one line in `place`.

pub mod dump;
pub mod objects;
pub mod troubleshoot;
pub mod v1;

/// What a namespaced object file holds. Adding a kind: a variant here, its file name in
/// [`ObjectKind::ALL`], and its line in each layout's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    Pods,
    Events,
    Services,
    Endpoints,
    NetworkPolicies,
    Jobs,
    Deployments,
    ReplicaSets,
    StatefulSets,
    DaemonSets,
    CronJobs,
    PersistentVolumeClaims,
    HorizontalPodAutoscalers,
    PodDisruptionBudgets,
    ResourceQuotas,
    LimitRanges,
    Ingresses,
    EndpointSlices,
}

impl ObjectKind {
    /// Every kind with its `aksbundle/v1` (and cluster-info dump) file name.
    pub const ALL: &'static [(ObjectKind, &'static str)] = &[
        (ObjectKind::Pods, "pods.json"),
        (ObjectKind::Events, "events.json"),
        (ObjectKind::Services, "services.json"),
        (ObjectKind::Endpoints, "endpoints.json"),
        (ObjectKind::NetworkPolicies, "networkpolicies.json"),
        (ObjectKind::Jobs, "jobs.json"),
        (ObjectKind::Deployments, "deployments.json"),
        (ObjectKind::ReplicaSets, "replicasets.json"),
        (ObjectKind::StatefulSets, "statefulsets.json"),
        (ObjectKind::DaemonSets, "daemonsets.json"),
        (ObjectKind::CronJobs, "cronjobs.json"),
        (
            ObjectKind::PersistentVolumeClaims,
            "persistentvolumeclaims.json",
        ),
        (
            ObjectKind::HorizontalPodAutoscalers,
            "horizontalpodautoscalers.json",
        ),
        (
            ObjectKind::PodDisruptionBudgets,
            "poddisruptionbudgets.json",
        ),
        (ObjectKind::ResourceQuotas, "resourcequotas.json"),
        (ObjectKind::LimitRanges, "limitranges.json"),
        (ObjectKind::Ingresses, "ingresses.json"),
        (ObjectKind::EndpointSlices, "endpointslices.json"),
    ];

    /// The kind a `<kind>.json` file name holds.
    pub fn from_file(name: &str) -> Option<ObjectKind> {
        Self::ALL.iter().find(|(_, f)| *f == name).map(|(k, _)| *k)
    }

    /// The `aksbundle/v1` file name (`pods.json`).
    pub fn file_name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(k, _)| *k == self)
            .map(|(_, f)| *f)
            .expect("every kind has a file name")
    }

    /// The plural name used in counts and messages (`pods`, `networkpolicies`).
    pub fn plural(self) -> &'static str {
        self.file_name().trim_end_matches(".json")
    }

    /// The kind of a List (`PodList`) or of an object (`Pod`), as kubectl names them.
    pub fn from_kind_name(kind: &str) -> Option<ObjectKind> {
        Some(match kind.trim_end_matches("List") {
            "Pod" => ObjectKind::Pods,
            "Event" => ObjectKind::Events,
            "Service" => ObjectKind::Services,
            "Endpoints" => ObjectKind::Endpoints,
            "NetworkPolicy" => ObjectKind::NetworkPolicies,
            "Job" => ObjectKind::Jobs,
            "Deployment" => ObjectKind::Deployments,
            "ReplicaSet" => ObjectKind::ReplicaSets,
            "StatefulSet" => ObjectKind::StatefulSets,
            "DaemonSet" => ObjectKind::DaemonSets,
            "CronJob" => ObjectKind::CronJobs,
            "PersistentVolumeClaim" => ObjectKind::PersistentVolumeClaims,
            "HorizontalPodAutoscaler" => ObjectKind::HorizontalPodAutoscalers,
            "PodDisruptionBudget" => ObjectKind::PodDisruptionBudgets,
            "ResourceQuota" => ObjectKind::ResourceQuotas,
            "LimitRange" => ObjectKind::LimitRanges,
            "Ingress" => ObjectKind::Ingresses,
            "EndpointSlice" => ObjectKind::EndpointSlices,
            _ => return None,
        })
    }

    /// The API group and resource name a server would serve this kind under.
    pub fn resource(self) -> (&'static str, &'static str) {
        let group = match self {
            ObjectKind::Pods
            | ObjectKind::Events
            | ObjectKind::Services
            | ObjectKind::Endpoints
            | ObjectKind::PersistentVolumeClaims
            | ObjectKind::ResourceQuotas
            | ObjectKind::LimitRanges => "",
            ObjectKind::NetworkPolicies | ObjectKind::Ingresses => "networking.k8s.io",
            ObjectKind::Jobs | ObjectKind::CronJobs => "batch",
            ObjectKind::Deployments
            | ObjectKind::ReplicaSets
            | ObjectKind::StatefulSets
            | ObjectKind::DaemonSets => "apps",
            ObjectKind::HorizontalPodAutoscalers => "autoscaling",
            ObjectKind::PodDisruptionBudgets => "policy",
            ObjectKind::EndpointSlices => "discovery.k8s.io",
        };
        (group, self.plural())
    }
}

/// What a cluster-scoped object file (`cluster/<plural>.json`) holds, beyond the nodes and
/// NodeNetworkConfigs that have their own roles. Adding a kind: a variant here, its line in
/// [`ClusterKind::ALL`], and a field of [`crate::index::ClusterObjects`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClusterKind {
    PersistentVolumes,
    StorageClasses,
    VolumeAttachments,
    CsiNodes,
    CsiDrivers,
    Namespaces,
    ApiServices,
    ValidatingWebhookConfigurations,
    MutatingWebhookConfigurations,
    ValidatingAdmissionPolicies,
    ValidatingAdmissionPolicyBindings,
    IngressClasses,
    PriorityClasses,
    FlowSchemas,
    PriorityLevelConfigurations,
}

impl ClusterKind {
    /// Every kind: its plural (`cluster/<plural>.json`), its API group and its kind name.
    pub const ALL: &'static [(ClusterKind, &'static str, &'static str, &'static str)] = &[
        (
            ClusterKind::PersistentVolumes,
            "persistentvolumes",
            "",
            "PersistentVolume",
        ),
        (
            ClusterKind::StorageClasses,
            "storageclasses",
            "storage.k8s.io",
            "StorageClass",
        ),
        (
            ClusterKind::VolumeAttachments,
            "volumeattachments",
            "storage.k8s.io",
            "VolumeAttachment",
        ),
        (
            ClusterKind::CsiNodes,
            "csinodes",
            "storage.k8s.io",
            "CSINode",
        ),
        (
            ClusterKind::CsiDrivers,
            "csidrivers",
            "storage.k8s.io",
            "CSIDriver",
        ),
        (ClusterKind::Namespaces, "namespaces", "", "Namespace"),
        (
            ClusterKind::ApiServices,
            "apiservices",
            "apiregistration.k8s.io",
            "APIService",
        ),
        (
            ClusterKind::ValidatingWebhookConfigurations,
            "validatingwebhookconfigurations",
            "admissionregistration.k8s.io",
            "ValidatingWebhookConfiguration",
        ),
        (
            ClusterKind::MutatingWebhookConfigurations,
            "mutatingwebhookconfigurations",
            "admissionregistration.k8s.io",
            "MutatingWebhookConfiguration",
        ),
        (
            ClusterKind::ValidatingAdmissionPolicies,
            "validatingadmissionpolicies",
            "admissionregistration.k8s.io",
            "ValidatingAdmissionPolicy",
        ),
        (
            ClusterKind::ValidatingAdmissionPolicyBindings,
            "validatingadmissionpolicybindings",
            "admissionregistration.k8s.io",
            "ValidatingAdmissionPolicyBinding",
        ),
        (
            ClusterKind::IngressClasses,
            "ingressclasses",
            "networking.k8s.io",
            "IngressClass",
        ),
        (
            ClusterKind::PriorityClasses,
            "priorityclasses",
            "scheduling.k8s.io",
            "PriorityClass",
        ),
        (
            ClusterKind::FlowSchemas,
            "flowschemas",
            "flowcontrol.apiserver.k8s.io",
            "FlowSchema",
        ),
        (
            ClusterKind::PriorityLevelConfigurations,
            "prioritylevelconfigurations",
            "flowcontrol.apiserver.k8s.io",
            "PriorityLevelConfiguration",
        ),
    ];

    fn row(self) -> &'static (ClusterKind, &'static str, &'static str, &'static str) {
        Self::ALL
            .iter()
            .find(|r| r.0 == self)
            .expect("every cluster kind has a row")
    }

    /// The plural name (`persistentvolumes`), also the file name without `.json`.
    pub fn plural(self) -> &'static str {
        self.row().1
    }

    /// The API group the kind is served under (`""` for the core group).
    pub fn group(self) -> &'static str {
        self.row().2
    }

    /// The kind of a List (`PersistentVolumeList`) or of an object.
    pub fn from_kind_name(kind: &str) -> Option<ClusterKind> {
        let kind = kind.trim_end_matches("List");
        Self::ALL.iter().find(|r| r.3 == kind).map(|r| r.0)
    }

    /// The kind a `cluster/<plural>.json` file holds.
    pub fn from_file(name: &str) -> Option<ClusterKind> {
        let plural = name.strip_suffix(".json")?;
        Self::ALL.iter().find(|r| r.1 == plural).map(|r| r.0)
    }
}

/// The ConfigMaps read by name (their data is configuration diagnoses need: CoreDNS's
/// Corefile and its custom additions, the cluster autoscaler's status).
pub const NAMED_CONFIG_MAPS: &[(&str, &str)] = &[
    ("kube-system", "coredns"),
    ("kube-system", "coredns-custom"),
    ("kube-system", "cluster-autoscaler-status"),
];

/// Where a cluster's version is written, and in which shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionShape {
    /// `kubectl version -o json`: `{"serverVersion": {"gitVersion": ...}}`.
    Kubectl,
    /// troubleshoot's `cluster_version.json`: `{"info": {"gitVersion": ...}, "string": ...}`.
    Troubleshoot,
}

/// The role of one member, with the names its path carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// `manifest.json`.
    Manifest,
    /// The cluster's version (`cluster/version.json`, `cluster-info/cluster_version.json`).
    Version(VersionShape),
    /// The node list (`cluster/nodes.json`, a dump's `nodes.json`, troubleshoot's
    /// `cluster-resources/nodes.json`).
    Nodes,
    /// `cluster/nnc.json`.
    Nnc,
    /// A cluster-scoped object list (`cluster/persistentvolumes.json`).
    ClusterObjects { kind: ClusterKind },
    /// One ConfigMap read by name (`namespaces/kube-system/configmaps/coredns.json`), or a
    /// list holding it (troubleshoot's `cluster-resources/configmaps/kube-system.json`): only
    /// the [`NAMED_CONFIG_MAPS`] are kept.
    ConfigMaps { namespace: String },
    /// A namespaced object file.
    Objects { namespace: String, kind: ObjectKind },
    /// One container's log.
    Log {
        namespace: String,
        pod: String,
        container: String,
        previous: bool,
    },
    /// A dump's `<ns>/<pod>/logs.txt`, holding every container between markers.
    DumpLogs { namespace: String, pod: String },
    /// A file saying why listing one kind failed (troubleshoot's `<kind>-errors.json`):
    /// collection gaps in the API server's words. `step` names what is missing.
    ListErrors { step: String },
    /// A file saying why one container's log could not be fetched (troubleshoot's
    /// `<container>-logs-errors.log`).
    LogErrors {
        namespace: String,
        pod: String,
        container: String,
    },
    /// The collecting tool's own description of the bundle (troubleshoot's `version.yaml`).
    BundleVersion,
    /// The collecting tool's own analysis (troubleshoot's `analysis.json`).
    OwnAnalysis,
    /// `nodes/<node>/ipam.json`.
    Ipam { node: String },
    /// `attachments/<name>`.
    Attachment { name: String },
    /// A file this version does not know; kept out of analysis.
    Unknown,
}

/// Which tree the member belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// The `aksbundle/v1` tree.
    V1,
    /// `kubectl cluster-info dump --output-directory`.
    ClusterInfoDump,
    /// `kubectl cluster-info dump` to standard output: one stream of JSON documents and
    /// log sections.
    ClusterInfoDumpStream,
    /// A troubleshoot support bundle (`kubectl support-bundle`, `troubleshoot.sh/v1beta2`).
    Troubleshoot,
}

impl Layout {
    /// The name the report shows as `bundle.layout` (and `bundle.format` when the bundle
    /// has no manifest of its own).
    pub fn name(self) -> &'static str {
        match self {
            Layout::V1 => "aksbundle/v1",
            Layout::ClusterInfoDump => "kubectl-cluster-info-dump",
            Layout::ClusterInfoDumpStream => "kubectl-cluster-info-dump-stream",
            Layout::Troubleshoot => troubleshoot::FORMAT,
        }
    }

    /// Where this layout keeps a namespaced object file, for evidence of objects that
    /// were not read from a file (the reader records the real paths it read).
    pub fn object_file(self, ns: &str, kind: ObjectKind) -> String {
        match self {
            Layout::V1 => format!("namespaces/{ns}/{}", kind.file_name()),
            Layout::ClusterInfoDump | Layout::ClusterInfoDumpStream => {
                format!("{ns}/{}", kind.file_name())
            }
            Layout::Troubleshoot => troubleshoot::object_file(ns, kind),
        }
    }

    /// Where this layout keeps a cluster-scoped object list, `None` when it never holds it.
    pub fn cluster_file(self, kind: ClusterKind) -> Option<String> {
        match self {
            Layout::V1 => Some(format!("cluster/{}.json", kind.plural())),
            Layout::ClusterInfoDump | Layout::ClusterInfoDumpStream => None,
            Layout::Troubleshoot => troubleshoot::cluster_file(kind),
        }
    }

    /// Where this layout keeps the node list.
    pub fn nodes_file(self) -> &'static str {
        match self {
            Layout::V1 => "cluster/nodes.json",
            Layout::ClusterInfoDump | Layout::ClusterInfoDumpStream => "nodes.json",
            Layout::Troubleshoot => "cluster-resources/nodes.json",
        }
    }
}

/// A classified member: its path relative to the bundle root, its role and its layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub rel: String,
    pub role: Role,
    pub layout: Layout,
}

/// Why a member name is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnsafeName {
    Absolute,
    ParentDir,
    Empty,
}

impl std::fmt::Display for UnsafeName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UnsafeName::Absolute => "absolute member name",
            UnsafeName::ParentDir => "member name contains '..'",
            UnsafeName::Empty => "empty member name",
        })
    }
}

/// Splits a raw member name into safe components (`./` and empty parts dropped).
/// Absolute names, drive letters and `..` are refused, never resolved.
pub fn safe_components(raw: &str) -> Result<Vec<&str>, UnsafeName> {
    let unified = raw.trim_end_matches('\0');
    if unified.starts_with('/') || unified.starts_with('\\') {
        return Err(UnsafeName::Absolute);
    }
    let bytes = unified.as_bytes();
    if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
        return Err(UnsafeName::Absolute);
    }
    let mut parts = Vec::new();
    for part in unified.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => return Err(UnsafeName::ParentDir),
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Err(UnsafeName::Empty);
    }
    Ok(parts)
}

/// Where a link member points, as safe components relative to the bundle's root, or why
/// it is refused. `link` is the link's own components; `target` its raw target; `hard`
/// marks tar hard links, whose targets are relative to the archive's root rather than to
/// the link's folder.
pub fn link_target<'a>(
    link: &[&'a str],
    target: &'a str,
    hard: bool,
) -> Result<Vec<&'a str>, &'static str> {
    let target = target.trim_end_matches('\0');
    if target.starts_with('/') || target.starts_with('\\') || target.get(1..2) == Some(":") {
        return Err("link to an absolute path");
    }
    let mut out: Vec<&str> = if hard {
        Vec::new()
    } else {
        link[..link.len().saturating_sub(1)].to_vec()
    };
    for part in target.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                if out.pop().is_none() {
                    return Err("link points outside the bundle");
                }
            }
            p => out.push(p),
        }
    }
    if out.is_empty() {
        return Err("link to the bundle's root");
    }
    Ok(out)
}

/// Classifies a member by its safe components: each layout is tried at the root and under
/// one top folder; the first that knows the path wins.
pub fn place(parts: &[&str]) -> Placed {
    type Placer = fn(&[&str]) -> Option<Role>;
    const LAYOUTS: &[(Layout, Placer)] = &[
        (Layout::V1, v1::place),
        (Layout::Troubleshoot, troubleshoot::place),
        (Layout::ClusterInfoDump, dump::place),
    ];
    for (layout, placer) in LAYOUTS {
        for skip in 0..=1 {
            if parts.len() <= skip {
                continue;
            }
            if let Some(role) = placer(&parts[skip..]) {
                return Placed {
                    rel: parts[skip..].join("/"),
                    role,
                    layout: *layout,
                };
            }
        }
    }
    Placed {
        rel: parts.join("/"),
        role: Role::Unknown,
        layout: Layout::V1,
    }
}

/// Parses a dump marker line: `==== START logs for container C of pod NS/POD ====`.
/// Returns `Some(Some(start))` for START, `Some(None)` for END, `None` otherwise.
pub fn dump_marker(line: &[u8]) -> Option<Option<DumpSection>> {
    let line = std::str::from_utf8(line).ok()?.trim_end();
    let rest = line.strip_prefix("==== ")?.strip_suffix(" ====")?;
    if let Some(r) = rest.strip_prefix("START logs for container ") {
        let (container, pod) = r.split_once(" of pod ")?;
        let (namespace, pod) = match pod.split_once('/') {
            Some((ns, p)) => (Some(ns.to_string()), Some(p.to_string())),
            None => (None, None),
        };
        return Some(Some(DumpSection {
            container: container.to_string(),
            namespace,
            pod,
        }));
    }
    if rest.starts_with("END logs for container ") {
        return Some(None);
    }
    None
}

/// The container (and pod) a dump's START marker opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpSection {
    pub container: String,
    pub namespace: Option<String>,
    pub pod: Option<String>,
}

/// True when a log body's first line is the API server's or the kubelet's refusal to give
/// the log rather than the log itself (`kubectl cluster-info dump` writes `Request log
/// error: ...` into `logs.txt`; the kubelet answers `unable to retrieve container logs
/// for ...` with status 200). Such a body is a collection gap, not log content.
pub fn is_log_fetch_error(first_line: &[u8]) -> bool {
    static RE: std::sync::LazyLock<regex::bytes::Regex> = std::sync::LazyLock::new(|| {
        regex::bytes::Regex::new(
            r#"(?x)^\s*(?:
                (?:Request|Create)\ log(?:\ request)?\ error:\ 
              | Error\ from\ server(?:\ \([A-Za-z]+\))?:\ 
              | unable\ to\ retrieve\ container\ logs\ for\ 
              | failed\ to\ try\ resolving\ symlinks\ in\ path\ "/var/log/pods/
              | an\ error\ on\ the\ server\ \("[^"]*"\)\ has\ prevented\ the\ request\ from\ succeeding
              | the\ server\ rejected\ our\ request\ for\ an\ unknown\ reason
              | the\ server\ could\ not\ find\ the\ requested\ resource
              | container\ "[^"]+"\ in\ pod\ "[^"]+"\ is\ (?:waiting\ to\ start|not\ available|terminated)
              | previous\ terminated\ container\ "[^"]+"\ in\ pod\ "[^"]+"\ not\ found
              | Get\ "?https://[^\s"]+:10250/containerLogs/
              | error\ dialing\ backend:
              | pods\ "[^"]+"\ not\ found
            )"#,
        )
        .expect("static regex")
    });
    RE.is_match(first_line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(raw: &str) -> Role {
        place(&safe_components(raw).unwrap()).role
    }

    #[test]
    fn v1_under_top_folder_and_at_root_agree() {
        let a = place(
            &safe_components("aksbundle-prod-20261122T040000Z/namespaces/default/pods.json")
                .unwrap(),
        );
        let b = place(&safe_components("./namespaces/default/pods.json").unwrap());
        assert_eq!(a, b);
        assert_eq!(a.rel, "namespaces/default/pods.json");
    }

    #[test]
    fn logs_split_current_and_previous() {
        assert_eq!(
            role("b/logs/kube-system/csi-x/secrets-store.previous.log"),
            Role::Log {
                namespace: "kube-system".into(),
                pod: "csi-x".into(),
                container: "secrets-store".into(),
                previous: true
            }
        );
    }

    #[test]
    fn cluster_info_dump_is_recognised_with_and_without_top_folder() {
        let p = place(&safe_components("dump/kube-system/pods.json").unwrap());
        assert_eq!(p.layout, Layout::ClusterInfoDump);
        assert_eq!(p.rel, "kube-system/pods.json");
        assert_eq!(role("nodes.json"), Role::Nodes);
        assert_eq!(
            role("kube-system/coredns-1/logs.txt"),
            Role::DumpLogs {
                namespace: "kube-system".into(),
                pod: "coredns-1".into()
            }
        );
    }

    #[test]
    fn troubleshoot_paths_are_not_taken_for_a_dump() {
        let p =
            place(&safe_components("support-bundle-2026/cluster-resources/nodes.json").unwrap());
        assert_eq!((p.layout, p.role), (Layout::Troubleshoot, Role::Nodes));
        let p = place(&safe_components("sb/cluster-resources/events/shop.json").unwrap());
        assert_eq!(p.layout, Layout::Troubleshoot);
        assert_eq!(p.rel, "cluster-resources/events/shop.json");
    }

    #[test]
    fn unsafe_names_are_refused() {
        assert_eq!(safe_components("/etc/passwd"), Err(UnsafeName::Absolute));
        assert_eq!(safe_components("a/../../x"), Err(UnsafeName::ParentDir));
        assert_eq!(safe_components("C:\\x"), Err(UnsafeName::Absolute));
        assert_eq!(safe_components("./"), Err(UnsafeName::Empty));
    }

    #[test]
    fn link_targets_stay_inside_or_are_refused() {
        let link = ["sb", "all-logs", "shop", "web-1", "app.log"];
        assert_eq!(
            link_target(
                &link,
                "../../../cluster-resources/pods/logs/shop/web-1/app.log",
                false
            ),
            Ok(vec![
                "sb",
                "cluster-resources",
                "pods",
                "logs",
                "shop",
                "web-1",
                "app.log"
            ])
        );
        assert!(link_target(&link, "../../../../../etc/passwd", false).is_err());
        assert!(link_target(&link, "/etc/passwd", false).is_err());
        assert_eq!(
            link_target(&link, "sb/x.log", true),
            Ok(vec!["sb", "x.log"])
        );
    }

    #[test]
    fn unknown_files_stay_unknown() {
        assert_eq!(role("b/README.txt"), Role::Unknown);
        assert_eq!(role("namespaces/default/secrets.json"), Role::Unknown);
    }

    #[test]
    fn dump_markers() {
        assert_eq!(
            dump_marker(b"==== START logs for container app of pod shop/web-1 ===="),
            Some(Some(DumpSection {
                container: "app".into(),
                namespace: Some("shop".into()),
                pod: Some("web-1".into())
            }))
        );
        assert_eq!(
            dump_marker(b"==== END logs for container app of pod shop/web-1 ====\n"),
            Some(None)
        );
        assert_eq!(dump_marker(b"plain line"), None);
    }

    #[test]
    fn log_fetch_errors_in_their_wordings() {
        for line in [
            r#"Request log error: an error on the server ("unknown") has prevented the request from succeeding (get pods web-1)"#,
            "Create log request error: pods \"web-1\" not found",
            r#"Error from server (BadRequest): container "app" in pod "web-1" is waiting to start: ContainerCreating"#,
            r#"Error from server: Get "https://10.224.0.4:10250/containerLogs/shop/web-1/app": dial tcp 10.224.0.4:10250: i/o timeout"#,
            "unable to retrieve container logs for containerd://4f1e2d",
            r#"failed to try resolving symlinks in path "/var/log/pods/shop_web-1_1234/app/0.log": lstat /var/log/pods/shop_web-1_1234/app/0.log: no such file or directory"#,
            r#"previous terminated container "app" in pod "web-1" not found"#,
        ] {
            assert!(is_log_fetch_error(line.as_bytes()), "{line}");
        }
        for line in [
            "2026-11-22T04:00:01Z E1122 04:00:01 1 main.go:12] Error from server: boom",
            "level=error msg=\"request log error\"",
            "Starting server on :8080",
        ] {
            assert!(!is_log_fetch_error(line.as_bytes()), "{line}");
        }
    }
}
