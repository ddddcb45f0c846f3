//! The immutable index of a bundle's objects, built in the reading pass and shared by
//! every rule. Absent files stay `None`: "not collected", never an error.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::Serialize;

use crate::finding::OwnResult;
use crate::layout::{ClusterKind, Layout, ObjectKind};
use crate::model::*;
use crate::scan::TextFile;

/// Objects of one namespace.
#[derive(Debug, Default)]
pub struct NamespaceObjects {
    pub pods: Option<Vec<Pod>>,
    pub events: Option<Vec<Event>>,
    pub services: Option<Vec<Service>>,
    pub endpoints: Option<Vec<Endpoints>>,
    pub network_policies: Option<Vec<NetworkPolicy>>,
    pub jobs: Option<Vec<Job>>,
    pub deployments: Option<Vec<Deployment>>,
    pub replica_sets: Option<Vec<ReplicaSet>>,
    pub stateful_sets: Option<Vec<StatefulSet>>,
    pub daemon_sets: Option<Vec<DaemonSet>>,
    pub cron_jobs: Option<Vec<CronJob>>,
    pub pvcs: Option<Vec<PersistentVolumeClaim>>,
    pub hpas: Option<Vec<HorizontalPodAutoscaler>>,
    pub pdbs: Option<Vec<PodDisruptionBudget>>,
    pub resource_quotas: Option<Vec<ResourceQuota>>,
    pub limit_ranges: Option<Vec<LimitRange>>,
    pub ingresses: Option<Vec<Ingress>>,
    pub endpoint_slices: Option<Vec<EndpointSlice>>,
}

impl NamespaceObjects {
    /// How many objects of `kind` were read, `None` when its file was not.
    pub fn len_of(&self, kind: ObjectKind) -> Option<usize> {
        match kind {
            ObjectKind::Pods => self.pods.as_ref().map(Vec::len),
            ObjectKind::Events => self.events.as_ref().map(Vec::len),
            ObjectKind::Services => self.services.as_ref().map(Vec::len),
            ObjectKind::Endpoints => self.endpoints.as_ref().map(Vec::len),
            ObjectKind::NetworkPolicies => self.network_policies.as_ref().map(Vec::len),
            ObjectKind::Jobs => self.jobs.as_ref().map(Vec::len),
            ObjectKind::Deployments => self.deployments.as_ref().map(Vec::len),
            ObjectKind::ReplicaSets => self.replica_sets.as_ref().map(Vec::len),
            ObjectKind::StatefulSets => self.stateful_sets.as_ref().map(Vec::len),
            ObjectKind::DaemonSets => self.daemon_sets.as_ref().map(Vec::len),
            ObjectKind::CronJobs => self.cron_jobs.as_ref().map(Vec::len),
            ObjectKind::PersistentVolumeClaims => self.pvcs.as_ref().map(Vec::len),
            ObjectKind::HorizontalPodAutoscalers => self.hpas.as_ref().map(Vec::len),
            ObjectKind::PodDisruptionBudgets => self.pdbs.as_ref().map(Vec::len),
            ObjectKind::ResourceQuotas => self.resource_quotas.as_ref().map(Vec::len),
            ObjectKind::LimitRanges => self.limit_ranges.as_ref().map(Vec::len),
            ObjectKind::Ingresses => self.ingresses.as_ref().map(Vec::len),
            ObjectKind::EndpointSlices => self.endpoint_slices.as_ref().map(Vec::len),
        }
    }
}

/// Cluster-scoped objects beyond nodes and NodeNetworkConfigs (`cluster/<plural>.json`).
#[derive(Debug, Default)]
pub struct ClusterObjects {
    pub persistent_volumes: Option<Vec<PersistentVolume>>,
    pub storage_classes: Option<Vec<StorageClass>>,
    pub volume_attachments: Option<Vec<VolumeAttachment>>,
    pub csi_nodes: Option<Vec<CsiNode>>,
    pub csi_drivers: Option<Vec<CsiDriver>>,
    pub namespaces: Option<Vec<Namespace>>,
    pub api_services: Option<Vec<ApiService>>,
    pub validating_webhooks: Option<Vec<WebhookConfiguration>>,
    pub mutating_webhooks: Option<Vec<WebhookConfiguration>>,
    pub validating_admission_policies: Option<Vec<ValidatingAdmissionPolicy>>,
    pub validating_admission_policy_bindings: Option<Vec<ValidatingAdmissionPolicyBinding>>,
    pub ingress_classes: Option<Vec<IngressClass>>,
    pub priority_classes: Option<Vec<PriorityClass>>,
    pub flow_schemas: Option<Vec<FlowSchema>>,
    pub priority_level_configurations: Option<Vec<PriorityLevelConfiguration>>,
}

impl ClusterObjects {
    /// How many objects of `kind` were read, `None` when its file was not.
    pub fn len_of(&self, kind: ClusterKind) -> Option<usize> {
        match kind {
            ClusterKind::PersistentVolumes => self.persistent_volumes.as_ref().map(Vec::len),
            ClusterKind::StorageClasses => self.storage_classes.as_ref().map(Vec::len),
            ClusterKind::VolumeAttachments => self.volume_attachments.as_ref().map(Vec::len),
            ClusterKind::CsiNodes => self.csi_nodes.as_ref().map(Vec::len),
            ClusterKind::CsiDrivers => self.csi_drivers.as_ref().map(Vec::len),
            ClusterKind::Namespaces => self.namespaces.as_ref().map(Vec::len),
            ClusterKind::ApiServices => self.api_services.as_ref().map(Vec::len),
            ClusterKind::ValidatingWebhookConfigurations => {
                self.validating_webhooks.as_ref().map(Vec::len)
            }
            ClusterKind::MutatingWebhookConfigurations => {
                self.mutating_webhooks.as_ref().map(Vec::len)
            }
            ClusterKind::ValidatingAdmissionPolicies => {
                self.validating_admission_policies.as_ref().map(Vec::len)
            }
            ClusterKind::ValidatingAdmissionPolicyBindings => self
                .validating_admission_policy_bindings
                .as_ref()
                .map(Vec::len),
            ClusterKind::IngressClasses => self.ingress_classes.as_ref().map(Vec::len),
            ClusterKind::PriorityClasses => self.priority_classes.as_ref().map(Vec::len),
            ClusterKind::FlowSchemas => self.flow_schemas.as_ref().map(Vec::len),
            ClusterKind::PriorityLevelConfigurations => {
                self.priority_level_configurations.as_ref().map(Vec::len)
            }
        }
    }
}

/// One kind of input a diagnosis can need.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Input {
    Manifest,
    Nodes,
    Nnc,
    Pods,
    Events,
    Services,
    Endpoints,
    NetworkPolicies,
    Jobs,
    Logs,
    Ipam,
    Attachments,
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
    ConfigMaps,
}

impl Input {
    /// The namespaced object kind this input is, if it is one.
    pub fn object_kind(self) -> Option<ObjectKind> {
        Some(match self {
            Input::Pods => ObjectKind::Pods,
            Input::Events => ObjectKind::Events,
            Input::Services => ObjectKind::Services,
            Input::Endpoints => ObjectKind::Endpoints,
            Input::NetworkPolicies => ObjectKind::NetworkPolicies,
            Input::Jobs => ObjectKind::Jobs,
            Input::Deployments => ObjectKind::Deployments,
            Input::ReplicaSets => ObjectKind::ReplicaSets,
            Input::StatefulSets => ObjectKind::StatefulSets,
            Input::DaemonSets => ObjectKind::DaemonSets,
            Input::CronJobs => ObjectKind::CronJobs,
            Input::PersistentVolumeClaims => ObjectKind::PersistentVolumeClaims,
            Input::HorizontalPodAutoscalers => ObjectKind::HorizontalPodAutoscalers,
            Input::PodDisruptionBudgets => ObjectKind::PodDisruptionBudgets,
            Input::ResourceQuotas => ObjectKind::ResourceQuotas,
            Input::LimitRanges => ObjectKind::LimitRanges,
            Input::Ingresses => ObjectKind::Ingresses,
            Input::EndpointSlices => ObjectKind::EndpointSlices,
            _ => return None,
        })
    }

    /// The cluster-scoped object kind this input is, if it is one.
    pub fn cluster_kind(self) -> Option<ClusterKind> {
        Some(match self {
            Input::PersistentVolumes => ClusterKind::PersistentVolumes,
            Input::StorageClasses => ClusterKind::StorageClasses,
            Input::VolumeAttachments => ClusterKind::VolumeAttachments,
            Input::CsiNodes => ClusterKind::CsiNodes,
            Input::CsiDrivers => ClusterKind::CsiDrivers,
            Input::Namespaces => ClusterKind::Namespaces,
            Input::ApiServices => ClusterKind::ApiServices,
            Input::ValidatingWebhookConfigurations => ClusterKind::ValidatingWebhookConfigurations,
            Input::MutatingWebhookConfigurations => ClusterKind::MutatingWebhookConfigurations,
            Input::ValidatingAdmissionPolicies => ClusterKind::ValidatingAdmissionPolicies,
            Input::ValidatingAdmissionPolicyBindings => {
                ClusterKind::ValidatingAdmissionPolicyBindings
            }
            Input::IngressClasses => ClusterKind::IngressClasses,
            Input::PriorityClasses => ClusterKind::PriorityClasses,
            Input::FlowSchemas => ClusterKind::FlowSchemas,
            Input::PriorityLevelConfigurations => ClusterKind::PriorityLevelConfigurations,
            _ => return None,
        })
    }

    /// What a person would look for in the bundle, for "not checked" reasons.
    pub fn describe(self) -> String {
        if let Some(k) = self.object_kind() {
            return format!("namespaces/*/{}", k.file_name());
        }
        if let Some(k) = self.cluster_kind() {
            return format!("cluster/{}.json", k.plural());
        }
        match self {
            Input::Manifest => "manifest.json",
            Input::Nodes => "cluster/nodes.json",
            Input::Nnc => "cluster/nnc.json (NodeNetworkConfigs)",
            Input::Logs => "logs/*/*/*.log",
            Input::Ipam => "nodes/*/ipam.json",
            Input::Attachments => "attachments/*",
            Input::ConfigMaps => "namespaces/kube-system/configmaps/*.json",
            _ => "",
        }
        .to_string()
    }
}

impl Input {
    /// What a person would look for in a bundle of `layout`: the layout's own file names,
    /// and for inputs the layout never holds, that it does not.
    pub fn describe_in(self, layout: Option<Layout>) -> String {
        let layout = match layout {
            None | Some(Layout::V1) => return self.describe(),
            Some(l) => l,
        };
        let kind = self.object_kind();
        let dump = matches!(
            layout,
            Layout::ClusterInfoDump | Layout::ClusterInfoDumpStream
        );
        let never = |what: &str| format!("{what} ({} does not collect them)", layout.name());
        if let Some(k) = self.cluster_kind() {
            return match layout.cluster_file(k) {
                Some(f) => f,
                None => never(k.plural()),
            };
        }
        match (self, kind) {
            (
                _,
                Some(
                    k @ (ObjectKind::Pods
                    | ObjectKind::Events
                    | ObjectKind::Services
                    | ObjectKind::Deployments
                    | ObjectKind::ReplicaSets
                    | ObjectKind::DaemonSets),
                ),
            ) if dump => layout.object_file("*", k),
            (_, Some(k)) if dump => never(k.plural()),
            (_, Some(k))
                if layout == Layout::Troubleshoot && !crate::layout::troubleshoot::holds(k) =>
            {
                never(k.plural())
            }
            (_, Some(k)) => layout.object_file("*", k),
            (Input::ConfigMaps, _) if dump => never("ConfigMaps"),
            (Input::ConfigMaps, _) => "cluster-resources/configmaps/kube-system.json".into(),
            (Input::Nodes, _) => layout.nodes_file().to_string(),
            (Input::Logs, _) if dump => "*/*/logs.txt".into(),
            (Input::Logs, _) => "cluster-resources/pods/logs/*/*/*.log".into(),
            (Input::Nnc, _) => never("NodeNetworkConfigs"),
            (Input::Ipam, _) => never("node IPAM counts"),
            (Input::Attachments, _) => never("attachments"),
            _ => self.describe(),
        }
    }
}

#[cfg(test)]
impl Index {
    /// For the checks' tests: `pods` as namespace `ns`'s pods.
    pub(crate) fn insert_pods(&mut self, ns: &str, pods: Vec<crate::model::Pod>) {
        self.namespaces.insert(
            ns.to_string(),
            NamespaceObjects {
                pods: Some(pods),
                ..Default::default()
            },
        );
    }
}

/// `Index` iterators over one namespaced kind, yielding `(namespace, object)`.
macro_rules! namespaced_iter {
    ($($(#[$doc:meta])* $fn:ident, $field:ident, $ty:ty;)*) => {
        impl Index {
            $(
                $(#[$doc])*
                pub fn $fn(&self) -> impl Iterator<Item = (&str, &$ty)> {
                    self.namespaces.iter().flat_map(|(ns, n)| {
                        n.$field.iter().flatten().map(move |o| (ns.as_str(), o))
                    })
                }
            )*
        }
    };
}

namespaced_iter! {
    /// Every Deployment with its namespace.
    deployments, deployments, Deployment;
    /// Every ReplicaSet with its namespace.
    replica_sets, replica_sets, ReplicaSet;
    /// Every StatefulSet with its namespace.
    stateful_sets, stateful_sets, StatefulSet;
    /// Every DaemonSet with its namespace.
    daemon_sets, daemon_sets, DaemonSet;
    /// Every CronJob with its namespace.
    cron_jobs, cron_jobs, CronJob;
    /// Every PersistentVolumeClaim with its namespace.
    pvcs, pvcs, PersistentVolumeClaim;
    /// Every HorizontalPodAutoscaler with its namespace.
    hpas, hpas, HorizontalPodAutoscaler;
    /// Every PodDisruptionBudget with its namespace.
    pdbs, pdbs, PodDisruptionBudget;
    /// Every ResourceQuota with its namespace.
    resource_quotas, resource_quotas, ResourceQuota;
    /// Every LimitRange with its namespace.
    limit_ranges, limit_ranges, LimitRange;
    /// Every Ingress with its namespace.
    ingresses, ingresses, Ingress;
    /// Every EndpointSlice with its namespace.
    endpoint_slices, endpoint_slices, EndpointSlice;
}

/// Everything the reading pass learnt about the bundle's objects.
#[derive(Debug, Default)]
pub struct Index {
    /// The layout recognised (the first member any layout knew).
    pub layout: Option<Layout>,
    /// Objects were written as Go's internal types and normalised (kubectl 1.13 and older).
    pub legacy_shapes: bool,
    /// Where each namespaced object file was read from.
    pub object_files: BTreeMap<(String, ObjectKind), String>,
    /// Where the node list was read from.
    pub nodes_file: Option<String>,
    /// Container logs read (files, or sections of a dump), and how many of them held a
    /// fetch error instead of the log.
    pub logs_read: u64,
    pub log_gaps: u64,
    /// The collecting tool's own analysis (troubleshoot's `analysis.json`).
    pub own_analysis: Vec<OwnResult>,
    pub manifest: Option<Manifest>,
    pub version: Option<VersionInfo>,
    pub nodes: Option<Vec<Node>>,
    pub nnc: Option<Vec<NodeNetworkConfig>>,
    pub namespaces: BTreeMap<String, NamespaceObjects>,
    /// Cluster-scoped objects beyond nodes and NodeNetworkConfigs.
    pub cluster: ClusterObjects,
    /// Where each cluster-scoped object file was read from.
    pub cluster_files: BTreeMap<ClusterKind, String>,
    /// The ConfigMaps read by name ([`crate::layout::NAMED_CONFIG_MAPS`]), by
    /// (namespace, name), with the file each came from.
    pub config_maps: BTreeMap<(String, String), (ConfigMap, String)>,
    pub ipam: BTreeMap<String, IpamCounts>,
    /// Text files read (logs and attachments), in reading order.
    pub text_files: Vec<TextFile>,
    /// Attachments given a structure: pasted describe blocks, events tables, logs and
    /// az CLI errors (see [`crate::paste`]).
    pub pastes: Vec<crate::paste::Paste>,
    /// Each namespace's pods by name (position in its list), built on the first lookup,
    /// when the index is complete: lookups stay O(1) with 100,000 pods.
    pub(crate) pod_names: OnceLock<HashMap<String, HashMap<String, usize>>>,
}

impl Index {
    /// True when the bundle holds this input at all.
    pub fn has(&self, input: Input) -> bool {
        let ns_any = |f: fn(&NamespaceObjects) -> bool| self.namespaces.values().any(f);
        match input {
            Input::Manifest => self.manifest.is_some(),
            Input::Nodes => self.nodes.is_some(),
            Input::Nnc => self.nnc.is_some(),
            Input::Pods => ns_any(|n| n.pods.is_some()),
            Input::Events => ns_any(|n| n.events.is_some()),
            Input::Services => ns_any(|n| n.services.is_some()),
            Input::Endpoints => ns_any(|n| n.endpoints.is_some()),
            Input::NetworkPolicies => ns_any(|n| n.network_policies.is_some()),
            Input::Jobs => ns_any(|n| n.jobs.is_some()),
            Input::ConfigMaps => !self.config_maps.is_empty(),
            Input::Logs => self
                .text_files
                .iter()
                .any(|f| f.source == crate::scan::TextSource::Log),
            Input::Ipam => !self.ipam.is_empty(),
            Input::Attachments => self
                .text_files
                .iter()
                .any(|f| f.source == crate::scan::TextSource::Attachment),
            other => match (other.object_kind(), other.cluster_kind()) {
                (Some(k), _) => self.namespaces.values().any(|n| n.len_of(k).is_some()),
                (_, Some(k)) => self.cluster.len_of(k).is_some(),
                _ => false,
            },
        }
    }

    /// The bundle path of a namespaced object file: where it was read from, else where the
    /// layout keeps it.
    pub fn object_file(&self, ns: &str, kind: ObjectKind) -> String {
        match self.object_files.get(&(ns.to_string(), kind)) {
            Some(f) => f.clone(),
            None => self.layout.unwrap_or(Layout::V1).object_file(ns, kind),
        }
    }

    /// The bundle path of the node list.
    pub fn nodes_file(&self) -> String {
        self.nodes_file
            .clone()
            .unwrap_or_else(|| self.layout.unwrap_or(Layout::V1).nodes_file().to_string())
    }

    /// How many objects of each kind were read (kinds of which no file was read are
    /// absent), `logs`: container logs holding log text, `log_gaps`: logs whose body was
    /// a fetch error, and `attachments`.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        if let Some(n) = &self.nodes {
            out.insert("nodes".into(), n.len() as u64);
        }
        if let Some(n) = &self.nnc {
            out.insert("nnc".into(), n.len() as u64);
        }
        for (kind, _) in ObjectKind::ALL {
            let mut read = false;
            let mut total = 0u64;
            for ns in self.namespaces.values() {
                if let Some(n) = ns.len_of(*kind) {
                    read = true;
                    total += n as u64;
                }
            }
            if read {
                out.insert(kind.plural().to_string(), total);
            }
        }
        for (kind, ..) in ClusterKind::ALL {
            if let Some(n) = self.cluster.len_of(*kind) {
                out.insert(kind.plural().to_string(), n as u64);
            }
        }
        if !self.config_maps.is_empty() {
            out.insert("configmaps".into(), self.config_maps.len() as u64);
        }
        if !self.ipam.is_empty() {
            out.insert("ipam".into(), self.ipam.len() as u64);
        }
        let attachments = self
            .text_files
            .iter()
            .filter(|f| f.source == crate::scan::TextSource::Attachment)
            .count();
        if attachments > 0 {
            out.insert("attachments".into(), attachments as u64);
        }
        if self.logs_read > 0 {
            out.insert("logs".into(), self.logs_read.saturating_sub(self.log_gaps));
        }
        if self.log_gaps > 0 {
            out.insert("log_gaps".into(), self.log_gaps);
        }
        out
    }

    /// True when the reader found nothing any diagnosis reads: no object, no log, no
    /// collection record, no attachment.
    pub fn is_empty(&self) -> bool {
        self.manifest.is_none()
            && self.version.is_none()
            && self.nodes.is_none()
            && self.nnc.is_none()
            && self.namespaces.is_empty()
            && self.cluster_files.is_empty()
            && self.config_maps.is_empty()
            && self.ipam.is_empty()
            && self.text_files.is_empty()
    }

    /// Every pod, by namespace order.
    pub fn pods(&self) -> impl Iterator<Item = &Pod> {
        self.namespaces
            .values()
            .flat_map(|n| n.pods.iter().flatten())
    }

    /// Pods of one namespace.
    pub fn pods_in<'a>(&'a self, ns: &str) -> impl Iterator<Item = &'a Pod> + 'a {
        self.namespaces
            .get(ns)
            .into_iter()
            .flat_map(|n| n.pods.iter().flatten())
    }

    /// A pod by namespace and name.
    pub fn pod(&self, ns: &str, name: &str) -> Option<&Pod> {
        let names = self.pod_names.get_or_init(|| {
            self.namespaces
                .iter()
                .map(|(ns, objs)| {
                    let mut by_name = HashMap::new();
                    for (i, p) in objs.pods.iter().flatten().enumerate() {
                        // The first of duplicate names wins, as a linear search would have it.
                        by_name.entry(p.metadata.name.clone()).or_insert(i);
                    }
                    (ns.clone(), by_name)
                })
                .collect()
        });
        let i = *names.get(ns)?.get(name)?;
        self.namespaces.get(ns)?.pods.as_ref()?.get(i)
    }

    /// Every event with the namespace of the file it came from.
    pub fn events(&self) -> impl Iterator<Item = (&str, &Event)> {
        self.namespaces
            .iter()
            .flat_map(|(ns, n)| n.events.iter().flatten().map(move |e| (ns.as_str(), e)))
    }

    /// Every service with its namespace.
    pub fn services(&self) -> impl Iterator<Item = (&str, &Service)> {
        self.namespaces
            .iter()
            .flat_map(|(ns, n)| n.services.iter().flatten().map(move |s| (ns.as_str(), s)))
    }

    /// The Endpoints object of a service.
    pub fn endpoints(&self, ns: &str, name: &str) -> Option<&Endpoints> {
        self.namespaces
            .get(ns)?
            .endpoints
            .as_ref()?
            .iter()
            .find(|e| e.metadata.name == name)
    }

    /// Every job with its namespace.
    pub fn jobs(&self) -> impl Iterator<Item = (&str, &Job)> {
        self.namespaces
            .iter()
            .flat_map(|(ns, n)| n.jobs.iter().flatten().map(move |j| (ns.as_str(), j)))
    }

    /// The bundle path of a cluster-scoped object file: where it was read from, else
    /// where the layout keeps it (`cluster/<plural>.json` in `aksbundle/v1`).
    pub fn cluster_file(&self, kind: ClusterKind) -> String {
        match self.cluster_files.get(&kind) {
            Some(f) => f.clone(),
            None => self
                .layout
                .unwrap_or(Layout::V1)
                .cluster_file(kind)
                .unwrap_or_else(|| format!("cluster/{}.json", kind.plural())),
        }
    }

    /// A ConfigMap read by name (only [`crate::layout::NAMED_CONFIG_MAPS`] are kept).
    pub fn config_map(&self, ns: &str, name: &str) -> Option<&ConfigMap> {
        self.config_maps
            .get(&(ns.to_string(), name.to_string()))
            .map(|(c, _)| c)
    }

    /// The bundle path a named ConfigMap was read from.
    pub fn config_map_file(&self, ns: &str, name: &str) -> Option<&str> {
        self.config_maps
            .get(&(ns.to_string(), name.to_string()))
            .map(|(_, f)| f.as_str())
    }

    /// Every object of a cluster-scoped list: `index.cluster_list(|c| &c.storage_classes)`.
    pub fn cluster_list<'a, T: 'a>(
        &'a self,
        field: impl Fn(&'a ClusterObjects) -> &'a Option<Vec<T>>,
    ) -> impl Iterator<Item = &'a T> + 'a {
        field(&self.cluster).iter().flatten()
    }

    /// A node by name.
    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes
            .as_ref()?
            .iter()
            .find(|n| n.metadata.name == name)
    }

    /// The cluster's Kubernetes version, from the manifest or `cluster/version.json`.
    pub fn kubernetes_version(&self) -> Option<String> {
        self.manifest
            .as_ref()
            .and_then(|m| m.cluster.as_ref())
            .and_then(|c| c.version.clone())
            .or_else(|| {
                self.version
                    .as_ref()?
                    .server_version
                    .as_ref()?
                    .git_version
                    .clone()
            })
    }
}
