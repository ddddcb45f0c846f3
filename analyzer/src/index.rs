//! The immutable index of a bundle's objects, built in the reading pass and shared by
//! every rule. Absent files stay `None`: "not collected", never an error.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::Serialize;

use crate::layout::Layout;
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
}

impl Input {
    /// What a person would look for in the bundle, for "not checked" reasons.
    pub fn describe(self) -> &'static str {
        match self {
            Input::Manifest => "manifest.json",
            Input::Nodes => "cluster/nodes.json",
            Input::Nnc => "cluster/nnc.json (NodeNetworkConfigs)",
            Input::Pods => "namespaces/*/pods.json",
            Input::Events => "namespaces/*/events.json",
            Input::Services => "namespaces/*/services.json",
            Input::Endpoints => "namespaces/*/endpoints.json",
            Input::NetworkPolicies => "namespaces/*/networkpolicies.json",
            Input::Jobs => "namespaces/*/jobs.json",
            Input::Logs => "logs/*/*/*.log",
            Input::Ipam => "nodes/*/ipam.json",
            Input::Attachments => "attachments/*",
        }
    }
}

/// Everything the reading pass learnt about the bundle's objects.
#[derive(Debug, Default)]
pub struct Index {
    pub layout: Option<Layout>,
    pub manifest: Option<Manifest>,
    pub version: Option<VersionInfo>,
    pub nodes: Option<Vec<Node>>,
    pub nnc: Option<Vec<NodeNetworkConfig>>,
    pub namespaces: BTreeMap<String, NamespaceObjects>,
    pub ipam: BTreeMap<String, IpamCounts>,
    /// Text files read (logs and attachments), in reading order.
    pub text_files: Vec<TextFile>,
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
            Input::Logs => self
                .text_files
                .iter()
                .any(|f| f.source == crate::scan::TextSource::Log),
            Input::Ipam => !self.ipam.is_empty(),
            Input::Attachments => self
                .text_files
                .iter()
                .any(|f| f.source == crate::scan::TextSource::Attachment),
        }
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
