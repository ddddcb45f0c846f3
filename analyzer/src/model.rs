//! Typed views of the Kubernetes objects a bundle holds: only the fields diagnoses read,
//! every one optional or defaulted, unknown fields ignored, so any kubectl version's JSON
//! (and hand-trimmed fixtures) deserialize.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `kubectl get ... -o json` output: a `List` with `items`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct List<T> {
    pub items: Vec<T>,
}

impl<T> Default for List<T> {
    fn default() -> Self {
        List { items: Vec::new() }
    }
}

/// Labels and annotations.
pub type Labels = BTreeMap<String, String>;

/// `metadata` of any object.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ObjectMeta {
    pub name: String,
    pub namespace: Option<String>,
    pub uid: Option<String>,
    pub labels: Labels,
    pub creation_timestamp: Option<String>,
    pub owner_references: Vec<OwnerReference>,
    pub annotations: Labels,
    pub deletion_timestamp: Option<String>,
    pub finalizers: Vec<String>,
    pub generation: Option<i64>,
}

/// An owner of an object (ReplicaSet, DaemonSet, Job ...).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OwnerReference {
    pub kind: String,
    pub name: String,
}

/// A condition of a pod, node or job.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Condition {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    pub reason: Option<String>,
    pub message: Option<String>,
    pub last_transition_time: Option<String>,
    pub last_heartbeat_time: Option<String>,
    /// Deployment conditions: when the controller last updated the condition.
    pub last_update_time: Option<String>,
}

/// A Pod.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Pod {
    pub metadata: ObjectMeta,
    pub spec: PodSpec,
    pub status: PodStatus,
}

/// `Pod.spec`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodSpec {
    pub node_name: Option<String>,
    pub host_network: bool,
    pub service_account_name: Option<String>,
    pub containers: Vec<Container>,
    pub init_containers: Vec<Container>,
    pub volumes: Vec<Volume>,
    pub image_pull_secrets: Vec<NameRef>,
    pub node_selector: Labels,
    pub tolerations: Vec<Toleration>,
}

/// `{name: ...}` references.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NameRef {
    pub name: String,
}

/// A container in a pod spec.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Container {
    pub name: String,
    pub image: String,
    pub ports: Vec<ContainerPort>,
    pub resources: Resources,
    pub env: Vec<EnvVar>,
}

/// An environment variable set in a container spec (only literal values are kept).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EnvVar {
    pub name: String,
    pub value: Option<String>,
}

/// A declared container port.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ContainerPort {
    pub name: Option<String>,
    pub container_port: i64,
    pub protocol: Option<String>,
}

/// Requests and limits, as quantity strings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Resources {
    pub limits: BTreeMap<String, serde_json::Value>,
    pub requests: BTreeMap<String, serde_json::Value>,
}

/// A pod volume: CSI volumes and claims matter here.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Volume {
    pub name: String,
    pub csi: Option<CsiVolume>,
    pub persistent_volume_claim: Option<ClaimRef>,
}

/// `persistentVolumeClaim: {claimName}` of a pod volume.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ClaimRef {
    pub claim_name: String,
    pub read_only: bool,
}

/// An inline CSI volume (the Secrets Store CSI driver mounts these).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CsiVolume {
    pub driver: String,
    pub volume_attributes: BTreeMap<String, String>,
}

/// A toleration in a pod spec.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Toleration {
    pub key: Option<String>,
    pub operator: Option<String>,
    pub value: Option<String>,
    pub effect: Option<String>,
}

/// `Pod.status`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PodStatus {
    pub phase: Option<String>,
    pub reason: Option<String>,
    pub message: Option<String>,
    #[serde(rename = "podIP")]
    pub pod_ip: Option<String>,
    #[serde(rename = "hostIP")]
    pub host_ip: Option<String>,
    pub start_time: Option<String>,
    pub conditions: Vec<Condition>,
    pub container_statuses: Vec<ContainerStatus>,
    pub init_container_statuses: Vec<ContainerStatus>,
}

/// The status of one container.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ContainerStatus {
    pub name: String,
    pub ready: bool,
    pub restart_count: i64,
    pub image: Option<String>,
    pub state: ContainerState,
    pub last_state: ContainerState,
    /// `containerd://<id>`: the id the kernel's OOM lines name in their cgroup path.
    #[serde(rename = "containerID")]
    pub container_id: Option<String>,
}

/// Exactly one of waiting, running or terminated is set by the kubelet.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ContainerState {
    pub waiting: Option<StateDetail>,
    pub running: Option<StateDetail>,
    pub terminated: Option<StateDetail>,
}

/// Reason, message and times of a container state.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct StateDetail {
    pub reason: Option<String>,
    pub message: Option<String>,
    pub exit_code: Option<i64>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

impl Pod {
    /// `namespace/pod/name`, the object reference findings use.
    pub fn object_ref(&self) -> String {
        format!(
            "{}/pod/{}",
            self.metadata.namespace.as_deref().unwrap_or("default"),
            self.metadata.name
        )
    }

    /// True when the pod's Ready condition is True.
    pub fn is_ready(&self) -> bool {
        self.status
            .conditions
            .iter()
            .any(|c| c.type_ == "Ready" && c.status == "True")
    }

    /// True when the pod is in phase Running.
    pub fn is_running(&self) -> bool {
        self.status.phase.as_deref() == Some("Running")
    }

    /// Every container spec, init containers first.
    pub fn all_containers(&self) -> impl Iterator<Item = &Container> {
        self.spec
            .init_containers
            .iter()
            .chain(self.spec.containers.iter())
    }

    /// Every container status, init containers first.
    pub fn all_statuses(&self) -> impl Iterator<Item = &ContainerStatus> {
        self.status
            .init_container_statuses
            .iter()
            .chain(self.status.container_statuses.iter())
    }

    /// True when every `key=value` of `selector` is among the pod's labels.
    pub fn matches_labels(&self, selector: &Labels) -> bool {
        selector
            .iter()
            .all(|(k, v)| self.metadata.labels.get(k) == Some(v))
    }
}

/// A Node.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Node {
    pub metadata: ObjectMeta,
    pub spec: NodeSpec,
    pub status: NodeStatus,
}

/// `Node.spec`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NodeSpec {
    pub taints: Vec<Taint>,
    pub pod_cidr: Option<String>,
    pub unschedulable: bool,
}

/// A node taint.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(default)]
pub struct Taint {
    pub key: String,
    pub value: Option<String>,
    pub effect: String,
}

impl std::fmt::Display for Taint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.value {
            Some(v) if !v.is_empty() => write!(f, "{}={}:{}", self.key, v, self.effect),
            _ => write!(f, "{}:{}", self.key, self.effect),
        }
    }
}

/// `Node.status`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NodeStatus {
    pub conditions: Vec<Condition>,
    pub node_info: NodeInfo,
    pub allocatable: BTreeMap<String, serde_json::Value>,
}

/// `Node.status.nodeInfo`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NodeInfo {
    pub kubelet_version: Option<String>,
    pub operating_system: Option<String>,
    pub architecture: Option<String>,
    pub os_image: Option<String>,
    pub container_runtime_version: Option<String>,
    /// `10.0.<build>.<revision>` on Windows: the build a process-isolated container must match.
    pub kernel_version: Option<String>,
}

impl Node {
    /// The node's OS: the `kubernetes.io/os` label, else `status.nodeInfo.operatingSystem`.
    pub fn os(&self) -> Option<&str> {
        self.metadata
            .labels
            .get("kubernetes.io/os")
            .map(String::as_str)
            .or(self.status.node_info.operating_system.as_deref())
    }

    /// The node's Ready condition, when it reports one.
    pub fn ready_condition(&self) -> Option<&Condition> {
        self.status.conditions.iter().find(|c| c.type_ == "Ready")
    }
}

/// A core/v1 Event.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Event {
    pub metadata: ObjectMeta,
    pub involved_object: ObjectReference,
    pub reason: Option<String>,
    pub message: Option<String>,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub count: Option<i64>,
    pub first_timestamp: Option<String>,
    pub last_timestamp: Option<String>,
    pub event_time: Option<String>,
    pub series: Option<EventSeries>,
    pub source: EventSource,
    pub reporting_component: Option<String>,
}

/// The object an event is about.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ObjectReference {
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub field_path: Option<String>,
}

/// `Event.series`, set by newer components that dedupe events.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EventSeries {
    pub count: Option<i64>,
    pub last_observed_time: Option<String>,
}

/// `Event.source`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EventSource {
    pub component: Option<String>,
    pub host: Option<String>,
}

impl Event {
    /// How many times the event happened (series count, else count, else 1).
    pub fn occurrences(&self) -> u64 {
        let n = self
            .series
            .as_ref()
            .and_then(|s| s.count)
            .or(self.count)
            .unwrap_or(1);
        n.max(1) as u64
    }

    /// When it was first seen.
    pub fn first_seen(&self) -> Option<&str> {
        self.first_timestamp
            .as_deref()
            .or(self.event_time.as_deref())
            .or(self.metadata.creation_timestamp.as_deref())
    }

    /// When it was last seen.
    pub fn last_seen(&self) -> Option<&str> {
        self.series
            .as_ref()
            .and_then(|s| s.last_observed_time.as_deref())
            .or(self.last_timestamp.as_deref())
            .or(self.event_time.as_deref())
            .or(self.first_seen())
    }

    /// `namespace/kind/name` of the involved object, kind in lower case. A cluster-scoped
    /// object (a Node's events live in `default` with no namespace of their own) uses
    /// `cluster`, as every object reference in the report does.
    pub fn object_ref(&self, file_namespace: &str) -> String {
        let o = &self.involved_object;
        let cluster_scoped = matches!(
            o.kind.as_deref(),
            Some("Node" | "PersistentVolume" | "Namespace" | "StorageClass" | "ClusterRole")
        ) && o.namespace.as_deref().is_none_or(str::is_empty);
        format!(
            "{}/{}/{}",
            if cluster_scoped {
                "cluster"
            } else {
                o.namespace.as_deref().unwrap_or(file_namespace)
            },
            o.kind.as_deref().unwrap_or("object").to_ascii_lowercase(),
            o.name.as_deref().unwrap_or("?")
        )
    }
}

/// A Service.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Service {
    pub metadata: ObjectMeta,
    pub spec: ServiceSpec,
    /// The load balancer's addresses, once the cloud provider assigned them.
    pub status: LoadBalancerStatusHolder,
}

/// `Service.spec`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceSpec {
    pub selector: Option<Labels>,
    pub ports: Vec<ServicePort>,
    #[serde(rename = "clusterIP")]
    pub cluster_ip: Option<String>,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    /// The static address asked for (deprecated field, still what most charts set).
    #[serde(rename = "loadBalancerIP")]
    pub load_balancer_ip: Option<String>,
    /// Another load-balancer implementation than the cloud provider's.
    pub load_balancer_class: Option<String>,
}

/// A service port.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServicePort {
    pub name: Option<String>,
    pub port: i64,
    pub target_port: Option<IntOrString>,
    pub protocol: Option<String>,
}

/// Kubernetes' int-or-string (targetPort).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum IntOrString {
    Int(i64),
    String(String),
}

impl std::fmt::Display for IntOrString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IntOrString::Int(n) => write!(f, "{n}"),
            IntOrString::String(s) => f.write_str(s),
        }
    }
}

/// An Endpoints object.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Endpoints {
    pub metadata: ObjectMeta,
    pub subsets: Vec<EndpointSubset>,
}

/// One subset of an Endpoints object.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EndpointSubset {
    pub addresses: Vec<EndpointAddress>,
    pub not_ready_addresses: Vec<EndpointAddress>,
}

/// An address behind a service.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EndpointAddress {
    pub ip: String,
    pub node_name: Option<String>,
}

impl Endpoints {
    /// Ready addresses across all subsets.
    pub fn ready_count(&self) -> usize {
        self.subsets.iter().map(|s| s.addresses.len()).sum()
    }
}

/// A NetworkPolicy (only what tells whether it restricts egress).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NetworkPolicy {
    pub metadata: ObjectMeta,
    pub spec: NetworkPolicySpec,
}

/// `NetworkPolicy.spec`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NetworkPolicySpec {
    pub pod_selector: serde_json::Value,
    pub policy_types: Vec<String>,
    pub egress: Option<Vec<serde_json::Value>>,
}

/// A batch/v1 Job.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Job {
    pub metadata: ObjectMeta,
    pub status: JobStatus,
    pub spec: JobSpec,
}

/// `Job.spec` (the template is left out: the Job's pods are in pods.json).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct JobSpec {
    pub backoff_limit: Option<i64>,
    pub completions: Option<i64>,
    pub parallelism: Option<i64>,
    pub active_deadline_seconds: Option<i64>,
    pub suspend: Option<bool>,
}

/// `Job.status`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
#[serde(rename_all = "camelCase")]
pub struct JobStatus {
    pub active: Option<i64>,
    pub succeeded: Option<i64>,
    pub failed: Option<i64>,
    pub conditions: Vec<Condition>,
    pub start_time: Option<String>,
    pub completion_time: Option<String>,
}

/// An Azure CNS NodeNetworkConfig (`nodenetworkconfigs.acn.azure.com`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NodeNetworkConfig {
    pub metadata: ObjectMeta,
    pub spec: NncSpec,
    pub status: NncStatus,
}

/// `NodeNetworkConfig.spec`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NncSpec {
    #[serde(rename = "requestedIPCount")]
    pub requested_ip_count: Option<i64>,
    #[serde(rename = "ipsNotInUse")]
    pub ips_not_in_use: Vec<String>,
}

/// `NodeNetworkConfig.status`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NncStatus {
    #[serde(rename = "assignedIPCount")]
    pub assigned_ip_count: Option<i64>,
    pub network_containers: Vec<NetworkContainer>,
    pub scaler: Option<serde_json::Value>,
    pub status: Option<String>,
}

/// One network container of a NodeNetworkConfig.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NetworkContainer {
    pub assignment_mode: Option<String>,
    #[serde(rename = "type")]
    pub type_: Option<String>,
    pub subnet_name: Option<String>,
    pub subnet_address_space: Option<String>,
    #[serde(rename = "primaryIP")]
    pub primary_ip: Option<String>,
    pub ip_assignments: Vec<serde_json::Value>,
}

impl NodeNetworkConfig {
    /// Requested IPs (`spec.requestedIPCount`), 0 when absent.
    pub fn requested(&self) -> i64 {
        self.spec.requested_ip_count.unwrap_or(0)
    }

    /// Allocated IPs: `status.assignedIPCount`, else the count of IP assignments.
    pub fn allocated(&self) -> i64 {
        self.status.assigned_ip_count.unwrap_or_else(|| {
            self.status
                .network_containers
                .iter()
                .map(|nc| nc.ip_assignments.len() as i64)
                .sum()
        })
    }

    /// True for static assignment (Azure CNI Overlay, static block allocation), where
    /// requested 0 with a whole block assigned is the normal state.
    pub fn is_static(&self) -> bool {
        self.status.network_containers.iter().any(|nc| {
            nc.assignment_mode.as_deref() == Some("static")
                || nc.type_.as_deref() == Some("overlay")
        })
    }
}

/// `kubectl version -o json`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct VersionInfo {
    pub server_version: Option<VersionDetail>,
    pub client_version: Option<VersionDetail>,
}

/// One side of `kubectl version`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct VersionDetail {
    pub git_version: Option<String>,
}

/// `nodes/<node>/ipam.json`, written by the collector.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct IpamCounts {
    pub node: String,
    pub collected_at: Option<String>,
    pub stores: Vec<IpamStore>,
}

/// One IPAM store directory on a node.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct IpamStore {
    pub path: String,
    pub ip_files: i64,
}

/// `manifest.json`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Manifest {
    pub format: Option<String>,
    pub collector: Option<CollectorInfo>,
    pub collected_at: Option<String>,
    pub cluster: Option<ClusterInfo>,
    pub options: Option<serde_json::Value>,
    pub redactions: Option<u64>,
    pub errors: Vec<CollectionError>,
    /// The bounds container logs were collected with (absent before they existed).
    pub logs: Option<ManifestLogs>,
}

/// `manifest.logs`: what the log budget left out.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ManifestLogs {
    pub budget: Option<u64>,
    /// Bundle paths of logs the budget could not pay for: not fetched, a gap.
    pub skipped: Vec<String>,
}

/// Which tool wrote the bundle.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct CollectorInfo {
    pub name: Option<String>,
    pub version: Option<String>,
}

/// The cluster the bundle came from.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ClusterInfo {
    pub context: Option<String>,
    pub server: Option<String>,
    pub version: Option<String>,
}

/// A collection step that failed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct CollectionError {
    pub step: Option<String>,
    pub command: Option<String>,
    pub exit_code: Option<i64>,
    pub stderr: Option<String>,
    pub at: Option<String>,
    /// The bundle file the error was read from, when it is not `manifest.json` (another
    /// layout's errors file, or a log whose body is the error).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// How many fetches failed with these words, when the reader folded several into one
    /// (absent: one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_tolerates_missing_and_unknown_fields() {
        let pod: Pod = serde_json::from_str(
            r#"{"metadata":{"name":"web","namespace":"shop","extra":1},
                "status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}"#,
        )
        .unwrap();
        assert_eq!(pod.object_ref(), "shop/pod/web");
        assert!(pod.is_ready());
        assert!(pod.spec.containers.is_empty());
    }

    #[test]
    fn pod_and_host_ip_use_kubernetes_spelling() {
        // Regression: camelCase made these `podIp`/`hostIp`, which kubectl never prints.
        let pod: Pod =
            serde_json::from_str(r#"{"status":{"podIP":"10.244.0.31","hostIP":"10.224.0.4"}}"#)
                .unwrap();
        assert_eq!(pod.status.pod_ip.as_deref(), Some("10.244.0.31"));
        assert_eq!(pod.status.host_ip.as_deref(), Some("10.224.0.4"));
    }

    #[test]
    fn target_port_is_int_or_string() {
        let svc: Service = serde_json::from_str(
            r#"{"spec":{"ports":[{"port":80,"targetPort":8080},{"port":443,"targetPort":"https"}]}}"#,
        )
        .unwrap();
        assert_eq!(svc.spec.ports[0].target_port, Some(IntOrString::Int(8080)));
        assert_eq!(
            svc.spec.ports[1].target_port,
            Some(IntOrString::String("https".into()))
        );
    }

    #[test]
    fn node_events_name_the_node_as_cluster_scoped() {
        let ev: Event = serde_json::from_str(
            r#"{"involvedObject":{"kind":"Node","name":"aks-np-0","uid":"aks-np-0"},"reason":"Rebooted"}"#,
        )
        .unwrap();
        assert_eq!(ev.object_ref("default"), "cluster/node/aks-np-0");
        let ev: Event = serde_json::from_str(
            r#"{"involvedObject":{"kind":"Pod","name":"web","namespace":"shop"}}"#,
        )
        .unwrap();
        assert_eq!(ev.object_ref("default"), "shop/pod/web");
    }

    #[test]
    fn event_occurrences_prefer_series() {
        let ev: Event = serde_json::from_str(
            r#"{"count":3,"series":{"count":40,"lastObservedTime":"2026-11-22T04:00:00Z"}}"#,
        )
        .unwrap();
        assert_eq!(ev.occurrences(), 40);
        assert_eq!(ev.last_seen(), Some("2026-11-22T04:00:00Z"));
    }

    #[test]
    fn overlay_nnc_is_static() {
        let nnc: NodeNetworkConfig = serde_json::from_str(
            r#"{"spec":{"requestedIPCount":0},"status":{"assignedIPCount":256,
               "networkContainers":[{"assignmentMode":"static","type":"overlay"}]}}"#,
        )
        .unwrap();
        assert!(nnc.is_static());
        assert_eq!((nnc.requested(), nnc.allocated()), (0, 256));
    }
}

// ---------------------------------------------------------------------------------------
// The second wave's kinds: workload controllers, storage, admission, scaling, networking.
// ---------------------------------------------------------------------------------------

/// A label selector (`matchLabels`; `matchExpressions` kept raw).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LabelSelector {
    pub match_labels: Labels,
    pub match_expressions: Vec<serde_json::Value>,
}

/// A pod template of a workload controller.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PodTemplate {
    pub metadata: ObjectMeta,
    pub spec: PodSpec,
}

/// The spec shared by Deployments, ReplicaSets, StatefulSets and DaemonSets.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WorkloadSpec {
    pub replicas: Option<i64>,
    pub selector: LabelSelector,
    pub template: PodTemplate,
    pub paused: bool,
    pub progress_deadline_seconds: Option<i64>,
    pub min_ready_seconds: Option<i64>,
    pub strategy: serde_json::Value,
    pub update_strategy: serde_json::Value,
    pub service_name: Option<String>,
    pub volume_claim_templates: Vec<PersistentVolumeClaim>,
}

/// The status shared by Deployments, ReplicaSets, StatefulSets and DaemonSets (each
/// kind sets its own subset).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct WorkloadStatus {
    pub observed_generation: Option<i64>,
    pub replicas: Option<i64>,
    pub ready_replicas: Option<i64>,
    pub available_replicas: Option<i64>,
    pub updated_replicas: Option<i64>,
    pub unavailable_replicas: Option<i64>,
    pub current_replicas: Option<i64>,
    pub conditions: Vec<Condition>,
    pub desired_number_scheduled: Option<i64>,
    pub current_number_scheduled: Option<i64>,
    pub number_ready: Option<i64>,
    pub number_available: Option<i64>,
    pub number_unavailable: Option<i64>,
    pub number_misscheduled: Option<i64>,
    pub updated_number_scheduled: Option<i64>,
}

/// A workload controller: an apps/v1 Deployment, ReplicaSet, StatefulSet or DaemonSet
/// (one shape: each kind sets its own fields of the spec and status).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Workload {
    pub metadata: ObjectMeta,
    pub spec: WorkloadSpec,
    pub status: WorkloadStatus,
}

/// An apps/v1 Deployment.
pub type Deployment = Workload;
/// An apps/v1 ReplicaSet.
pub type ReplicaSet = Workload;
/// An apps/v1 StatefulSet.
pub type StatefulSet = Workload;
/// An apps/v1 DaemonSet.
pub type DaemonSet = Workload;

impl Workload {
    /// The condition of `type_`, if the controller reported it.
    pub fn condition(&self, type_: &str) -> Option<&Condition> {
        self.status.conditions.iter().find(|c| c.type_ == type_)
    }

    /// The replicas asked for (Deployments, ReplicaSets and StatefulSets default to 1).
    pub fn desired(&self) -> i64 {
        self.spec.replicas.unwrap_or(1)
    }
}

/// A batch/v1 CronJob.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CronJob {
    pub metadata: ObjectMeta,
    pub spec: CronJobSpec,
    pub status: CronJobStatus,
}

/// `CronJob.spec`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CronJobSpec {
    pub schedule: String,
    pub suspend: Option<bool>,
    pub concurrency_policy: Option<String>,
}

/// `CronJob.status`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CronJobStatus {
    pub active: Vec<ObjectReference>,
    pub last_schedule_time: Option<String>,
    pub last_successful_time: Option<String>,
}

/// A PersistentVolumeClaim.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PersistentVolumeClaim {
    pub metadata: ObjectMeta,
    pub spec: PvcSpec,
    pub status: PvcStatus,
}

/// `PersistentVolumeClaim.spec`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PvcSpec {
    pub storage_class_name: Option<String>,
    pub volume_name: Option<String>,
    pub access_modes: Vec<String>,
    pub resources: Resources,
    pub volume_mode: Option<String>,
}

/// `PersistentVolumeClaim.status`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PvcStatus {
    pub phase: Option<String>,
    pub access_modes: Vec<String>,
    pub capacity: BTreeMap<String, serde_json::Value>,
    pub conditions: Vec<Condition>,
}

/// A HorizontalPodAutoscaler (autoscaling/v1 or v2: metrics kept raw).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct HorizontalPodAutoscaler {
    pub metadata: ObjectMeta,
    pub spec: HpaSpec,
    pub status: HpaStatus,
}

/// `HorizontalPodAutoscaler.spec`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HpaSpec {
    pub scale_target_ref: CrossVersionObjectReference,
    pub min_replicas: Option<i64>,
    pub max_replicas: Option<i64>,
    pub metrics: Vec<serde_json::Value>,
    #[serde(rename = "targetCPUUtilizationPercentage")]
    pub target_cpu_utilization_percentage: Option<i64>,
}

/// `HorizontalPodAutoscaler.status`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HpaStatus {
    pub current_replicas: Option<i64>,
    pub desired_replicas: Option<i64>,
    pub current_metrics: Option<Vec<serde_json::Value>>,
    pub conditions: Vec<Condition>,
    pub last_scale_time: Option<String>,
}

/// `{kind, name, apiVersion}` of a scale target.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CrossVersionObjectReference {
    pub kind: String,
    pub name: String,
    pub api_version: Option<String>,
}

/// A PodDisruptionBudget.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PodDisruptionBudget {
    pub metadata: ObjectMeta,
    pub spec: PdbSpec,
    pub status: PdbStatus,
}

/// `PodDisruptionBudget.spec`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PdbSpec {
    pub min_available: Option<IntOrString>,
    pub max_unavailable: Option<IntOrString>,
    pub selector: Option<LabelSelector>,
    pub unhealthy_pod_eviction_policy: Option<String>,
}

/// `PodDisruptionBudget.status`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PdbStatus {
    pub current_healthy: Option<i64>,
    pub desired_healthy: Option<i64>,
    pub disruptions_allowed: Option<i64>,
    pub expected_pods: Option<i64>,
    pub conditions: Vec<Condition>,
}

/// A ResourceQuota.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ResourceQuota {
    pub metadata: ObjectMeta,
    pub spec: QuotaSpec,
    pub status: QuotaStatus,
}

/// `ResourceQuota.spec`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct QuotaSpec {
    pub hard: BTreeMap<String, serde_json::Value>,
    pub scopes: Vec<String>,
}

/// `ResourceQuota.status`: quantities as the API server writes them (`"2"`, `"500m"`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct QuotaStatus {
    pub hard: BTreeMap<String, serde_json::Value>,
    pub used: BTreeMap<String, serde_json::Value>,
}

/// A LimitRange (limits kept raw).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LimitRange {
    pub metadata: ObjectMeta,
    pub spec: LimitRangeSpec,
}

/// `LimitRange.spec`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LimitRangeSpec {
    pub limits: Vec<serde_json::Value>,
}

/// A networking.k8s.io Ingress (v1, and v1beta1's `serviceName`/`servicePort`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Ingress {
    pub metadata: ObjectMeta,
    pub spec: IngressSpec,
    pub status: LoadBalancerStatusHolder,
}

/// `Ingress.spec`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct IngressSpec {
    pub ingress_class_name: Option<String>,
    pub rules: Vec<IngressRule>,
    pub tls: Vec<IngressTls>,
    pub default_backend: Option<IngressBackend>,
    /// networking.k8s.io/v1beta1 and extensions/v1beta1.
    pub backend: Option<IngressBackend>,
}

/// One host rule of an Ingress.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct IngressRule {
    pub host: Option<String>,
    pub http: Option<IngressHttp>,
}

/// The paths of a rule.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct IngressHttp {
    pub paths: Vec<IngressPath>,
}

/// One path of a rule.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct IngressPath {
    pub path: Option<String>,
    pub path_type: Option<String>,
    pub backend: IngressBackend,
}

/// Where a path sends traffic: v1 `service: {name, port: {number|name}}`, v1beta1
/// `serviceName`/`servicePort`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct IngressBackend {
    pub service: Option<IngressServiceBackend>,
    pub service_name: Option<String>,
    pub service_port: Option<IntOrString>,
    pub resource: Option<serde_json::Value>,
}

impl IngressBackend {
    /// The Service name and port the backend names, in either API version's shape.
    pub fn service_and_port(&self) -> Option<(&str, Option<IntOrString>)> {
        if let Some(s) = &self.service {
            let port = s
                .port
                .number
                .map(IntOrString::Int)
                .or_else(|| s.port.name.clone().map(IntOrString::String));
            return Some((s.name.as_str(), port));
        }
        self.service_name
            .as_deref()
            .map(|n| (n, self.service_port.clone()))
    }
}

/// `backend.service` of networking.k8s.io/v1.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct IngressServiceBackend {
    pub name: String,
    pub port: ServiceBackendPort,
}

/// `{number}` or `{name}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ServiceBackendPort {
    pub number: Option<i64>,
    pub name: Option<String>,
}

/// TLS of an Ingress.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct IngressTls {
    pub hosts: Vec<String>,
    pub secret_name: Option<String>,
}

/// `status: {loadBalancer: {ingress: [...]}}` of an Ingress (and of a Service).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LoadBalancerStatusHolder {
    pub load_balancer: LoadBalancerStatus,
}

/// The addresses a load balancer was given.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LoadBalancerStatus {
    pub ingress: Vec<LoadBalancerIngress>,
}

/// One address of a load balancer.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LoadBalancerIngress {
    pub ip: Option<String>,
    pub hostname: Option<String>,
}

/// A discovery.k8s.io EndpointSlice.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EndpointSlice {
    pub metadata: ObjectMeta,
    pub address_type: Option<String>,
    pub endpoints: Vec<SliceEndpoint>,
    pub ports: Option<Vec<serde_json::Value>>,
}

impl EndpointSlice {
    /// The Service the slice belongs to (label `kubernetes.io/service-name`).
    pub fn service_name(&self) -> Option<&str> {
        self.metadata
            .labels
            .get("kubernetes.io/service-name")
            .map(String::as_str)
    }
}

/// One endpoint of a slice.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SliceEndpoint {
    pub addresses: Vec<String>,
    pub conditions: SliceConditions,
    pub node_name: Option<String>,
    pub target_ref: Option<ObjectReference>,
}

/// Ready/serving/terminating of an endpoint (unset `ready` means ready).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SliceConditions {
    pub ready: Option<bool>,
    pub serving: Option<bool>,
    pub terminating: Option<bool>,
}

/// A PersistentVolume.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PersistentVolume {
    pub metadata: ObjectMeta,
    pub spec: PvSpec,
    pub status: PvStatus,
}

/// `PersistentVolume.spec`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PvSpec {
    pub capacity: BTreeMap<String, serde_json::Value>,
    pub access_modes: Vec<String>,
    pub storage_class_name: Option<String>,
    pub claim_ref: Option<ObjectReference>,
    pub csi: Option<PvCsiSource>,
    /// The in-tree `azureDisk` source (before CSI migration).
    pub azure_disk: Option<serde_json::Value>,
    /// The in-tree `azureFile` source (before CSI migration).
    pub azure_file: Option<serde_json::Value>,
    pub node_affinity: Option<serde_json::Value>,
    pub persistent_volume_reclaim_policy: Option<String>,
    pub volume_mode: Option<String>,
    pub mount_options: Vec<String>,
}

/// The CSI source of a PersistentVolume.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PvCsiSource {
    pub driver: String,
    pub volume_handle: String,
    pub volume_attributes: BTreeMap<String, String>,
}

/// `PersistentVolume.status`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PvStatus {
    pub phase: Option<String>,
    pub reason: Option<String>,
    pub message: Option<String>,
}

/// A storage.k8s.io StorageClass.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct StorageClass {
    pub metadata: ObjectMeta,
    pub provisioner: String,
    pub parameters: BTreeMap<String, String>,
    pub volume_binding_mode: Option<String>,
    pub allow_volume_expansion: Option<bool>,
    pub reclaim_policy: Option<String>,
    pub mount_options: Vec<String>,
    pub allowed_topologies: Vec<serde_json::Value>,
}

impl StorageClass {
    /// True when annotated as the cluster's default class.
    pub fn is_default(&self) -> bool {
        let a = &self.metadata.annotations;
        [
            "storageclass.kubernetes.io/is-default-class",
            "storageclass.beta.kubernetes.io/is-default-class",
        ]
        .iter()
        .any(|k| a.get(*k).map(String::as_str) == Some("true"))
    }
}

/// A storage.k8s.io VolumeAttachment.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct VolumeAttachment {
    pub metadata: ObjectMeta,
    pub spec: VolumeAttachmentSpec,
    pub status: VolumeAttachmentStatus,
}

/// `VolumeAttachment.spec`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct VolumeAttachmentSpec {
    pub attacher: String,
    pub node_name: String,
    pub source: VolumeAttachmentSource,
}

/// What a VolumeAttachment attaches.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct VolumeAttachmentSource {
    pub persistent_volume_name: Option<String>,
}

/// `VolumeAttachment.status`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct VolumeAttachmentStatus {
    pub attached: bool,
    pub attach_error: Option<VolumeError>,
    pub detach_error: Option<VolumeError>,
}

/// An attach or detach error of a VolumeAttachment.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct VolumeError {
    pub time: Option<String>,
    pub message: Option<String>,
}

/// A storage.k8s.io CSINode.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CsiNode {
    pub metadata: ObjectMeta,
    pub spec: CsiNodeSpec,
}

/// `CSINode.spec`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CsiNodeSpec {
    pub drivers: Vec<CsiNodeDriver>,
}

/// One driver registered on a node, with its volume limit.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CsiNodeDriver {
    pub name: String,
    #[serde(rename = "nodeID")]
    pub node_id: Option<String>,
    pub allocatable: Option<CsiAllocatable>,
    pub topology_keys: Vec<String>,
}

/// `allocatable.count`: how many volumes of the driver the node can hold.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CsiAllocatable {
    pub count: Option<i64>,
}

/// A storage.k8s.io CSIDriver.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CsiDriver {
    pub metadata: ObjectMeta,
    pub spec: serde_json::Value,
}

/// A Namespace.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Namespace {
    pub metadata: ObjectMeta,
    pub spec: NamespaceSpec,
    pub status: NamespaceStatus,
}

/// `Namespace.spec`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NamespaceSpec {
    pub finalizers: Vec<String>,
}

/// `Namespace.status`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NamespaceStatus {
    pub phase: Option<String>,
    pub conditions: Vec<Condition>,
}

/// An apiregistration.k8s.io APIService.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ApiService {
    pub metadata: ObjectMeta,
    pub spec: ApiServiceSpec,
    pub status: ApiServiceStatus,
}

/// `APIService.spec`: `service` is absent for the API server's own groups.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ApiServiceSpec {
    pub group: Option<String>,
    pub version: Option<String>,
    pub service: Option<ServiceReference>,
    #[serde(rename = "insecureSkipTLSVerify")]
    pub insecure_skip_tls_verify: Option<bool>,
}

/// `APIService.status`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ApiServiceStatus {
    pub conditions: Vec<Condition>,
}

/// A reference to a Service from an APIService or a webhook.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ServiceReference {
    pub namespace: String,
    pub name: String,
    pub path: Option<String>,
    pub port: Option<i64>,
}

/// A Validating- or MutatingWebhookConfiguration (one type for both: same fields).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WebhookConfiguration {
    pub metadata: ObjectMeta,
    pub webhooks: Vec<Webhook>,
}

/// One webhook of a configuration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Webhook {
    pub name: String,
    pub client_config: WebhookClientConfig,
    pub failure_policy: Option<String>,
    pub timeout_seconds: Option<i64>,
    pub namespace_selector: Option<serde_json::Value>,
    pub object_selector: Option<serde_json::Value>,
    pub rules: Vec<serde_json::Value>,
    pub side_effects: Option<String>,
    pub match_policy: Option<String>,
}

/// Where the API server calls a webhook (`caBundle` is left out: public, large, unused).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WebhookClientConfig {
    pub service: Option<ServiceReference>,
    pub url: Option<String>,
}

/// An admissionregistration.k8s.io ValidatingAdmissionPolicy (spec kept raw).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ValidatingAdmissionPolicy {
    pub metadata: ObjectMeta,
    pub spec: serde_json::Value,
    pub status: serde_json::Value,
}

/// A ValidatingAdmissionPolicyBinding.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ValidatingAdmissionPolicyBinding {
    pub metadata: ObjectMeta,
    pub spec: serde_json::Value,
}

/// A networking.k8s.io IngressClass.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct IngressClass {
    pub metadata: ObjectMeta,
    pub spec: IngressClassSpec,
}

/// `IngressClass.spec`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct IngressClassSpec {
    pub controller: Option<String>,
    pub parameters: Option<serde_json::Value>,
}

impl IngressClass {
    /// True when annotated as the cluster's default class.
    pub fn is_default(&self) -> bool {
        self.metadata
            .annotations
            .get("ingressclass.kubernetes.io/is-default-class")
            .map(String::as_str)
            == Some("true")
    }
}

/// A scheduling.k8s.io PriorityClass.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PriorityClass {
    pub metadata: ObjectMeta,
    pub value: i64,
    pub global_default: Option<bool>,
    pub preemption_policy: Option<String>,
}

/// A flowcontrol.apiserver.k8s.io FlowSchema.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FlowSchema {
    pub metadata: ObjectMeta,
    pub spec: FlowSchemaSpec,
    pub status: FlowControlStatus,
}

/// `FlowSchema.spec` (rules kept raw).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct FlowSchemaSpec {
    pub priority_level_configuration: NameRef,
    pub matching_precedence: Option<i64>,
    pub rules: Vec<serde_json::Value>,
}

/// The status of a FlowSchema or PriorityLevelConfiguration.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FlowControlStatus {
    pub conditions: Vec<Condition>,
}

/// A flowcontrol.apiserver.k8s.io PriorityLevelConfiguration (spec kept raw).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PriorityLevelConfiguration {
    pub metadata: ObjectMeta,
    pub spec: serde_json::Value,
    pub status: FlowControlStatus,
}

/// A ConfigMap read by name (data already redacted by the collector).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ConfigMap {
    pub metadata: ObjectMeta,
    pub data: BTreeMap<String, String>,
}
