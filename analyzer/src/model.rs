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

/// A pod volume; only CSI volumes matter here.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Volume {
    pub name: String,
    pub csi: Option<CsiVolume>,
    /// A PersistentVolumeClaim the pod mounts (the storage rules follow it).
    #[serde(rename = "persistentVolumeClaim")]
    pub persistent_volume_claim: Option<ClaimVolume>,
}

/// `volumes[].persistentVolumeClaim` of a pod.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ClaimVolume {
    pub claim_name: String,
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
}

/// `Job.status`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct JobStatus {
    pub active: Option<i64>,
    pub succeeded: Option<i64>,
    pub failed: Option<i64>,
    pub conditions: Vec<Condition>,
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
