//! The immutable index of a bundle's objects, built in the reading pass and shared by
//! every rule. Absent files stay `None`: "not collected", never an error.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use serde::Serialize;

use crate::finding::OwnResult;
use crate::layout::{Layout, ObjectKind};
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

impl Input {
    /// What a person would look for in a bundle of `layout`: the layout's own file names,
    /// and for inputs the layout never holds, that it does not.
    pub fn describe_in(self, layout: Option<Layout>) -> String {
        let layout = match layout {
            None | Some(Layout::V1) => return self.describe().to_string(),
            Some(l) => l,
        };
        let kind = match self {
            Input::Pods => Some(ObjectKind::Pods),
            Input::Events => Some(ObjectKind::Events),
            Input::Services => Some(ObjectKind::Services),
            Input::Endpoints => Some(ObjectKind::Endpoints),
            Input::NetworkPolicies => Some(ObjectKind::NetworkPolicies),
            Input::Jobs => Some(ObjectKind::Jobs),
            _ => None,
        };
        let dump = matches!(
            layout,
            Layout::ClusterInfoDump | Layout::ClusterInfoDumpStream
        );
        let never = |what: &str| format!("{what} ({} does not collect them)", layout.name());
        match (self, kind) {
            (Input::Endpoints | Input::NetworkPolicies | Input::Jobs, Some(k)) if dump => {
                never(k.plural())
            }
            (_, Some(k)) => layout.object_file("*", k),
            (Input::Nodes, _) => layout.nodes_file().to_string(),
            (Input::Logs, _) if dump => "*/*/logs.txt".into(),
            (Input::Logs, _) => "cluster-resources/pods/logs/*/*/*.log".into(),
            (Input::Nnc, _) => never("NodeNetworkConfigs"),
            (Input::Ipam, _) => never("node IPAM counts"),
            (Input::Attachments, _) => never("attachments"),
            _ => self.describe().to_string(),
        }
    }
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
