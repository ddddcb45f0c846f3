//! The bundle as the API serves it: each object file's raw items grouped by API resource,
//! and each log copied to a private temporary folder. Built in one pass of the analyzer's
//! reader, so the container handling, limits and member checks are the analyzer's own.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use analyzer::layout::{Role, VersionShape};
use analyzer::reader::{self, Observer};
use analyzer::scan::{ScanPlan, TextFile, TextSource};
use analyzer::{Limits, ReadIssue};
use serde_json::Value;

use crate::resources::{self, Resource};
use crate::ServeError;

/// The objects of one resource, sorted by namespace and name.
#[derive(Debug)]
pub struct Collected {
    pub resource: Resource,
    pub items: Vec<Value>,
}

/// Which log a request asks for.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LogKey {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub previous: bool,
}

/// Where a log's copy lies.
#[derive(Debug, Clone)]
pub enum LogCopy {
    /// One container's log.
    File(PathBuf),
    /// A cluster-info dump `logs.txt`: every container of the pod between markers.
    Dump(PathBuf),
}

/// When the bundle was collected, and how that was found.
#[derive(Debug, Clone, Copy)]
pub struct CollectedAt {
    pub at: jiff::Timestamp,
    pub source: TimeSource,
}

/// Where the collection time came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSource {
    /// `manifest.json`'s `collected_at`.
    Manifest,
    /// The newest timestamp in the objects (bundles without a manifest).
    NewestObject,
    /// The serve start time (a bundle with no timestamp at all).
    Now,
}

/// The served bundle.
#[derive(Debug)]
pub struct Store {
    /// By (group, plural).
    pub resources: BTreeMap<(String, String), Collected>,
    /// `cluster/version.json`, served as `/version`.
    pub version: Option<Value>,
    pub collected_at: CollectedAt,
    pub logs: BTreeMap<LogKey, LogCopy>,
    /// Members that could not be read, from the reader.
    pub issues: Vec<ReadIssue>,
    /// Holds the log copies; removed when the store is dropped.
    _dir: tempfile::TempDir,
}

impl Store {
    /// Reads the bundle at `path` within `limits`.
    pub fn open(path: &Path, limits: &Limits) -> Result<Store, ServeError> {
        // 0700, removed on drop: logs may hold secrets of the customer.
        let dir = tempfile::Builder::new()
            .prefix("aksbundle-serve-")
            .tempdir()
            .map_err(|e| ServeError::io("creating a private temporary folder", e))?;
        let mut observer = Collector {
            dir: dir.path().to_path_buf(),
            resources: BTreeMap::new(),
            version: None,
            manifest_time: None,
            newest: None,
            logs: BTreeMap::new(),
            files: 0,
        };
        let plan = ScanPlan::empty();
        let outcome = reader::read_bundle_observed(path, limits, &plan, Some(&mut observer))
            .map_err(ServeError::Open)?;
        let mut issues = outcome.issues;
        if let Some(damage) = outcome.damaged {
            issues.push(ReadIssue {
                file: "(bundle)".into(),
                message: damage,
            });
        }
        let collected_at = match (observer.manifest_time, observer.newest) {
            (Some(at), _) => CollectedAt {
                at,
                source: TimeSource::Manifest,
            },
            (None, Some(at)) => CollectedAt {
                at,
                source: TimeSource::NewestObject,
            },
            (None, None) => CollectedAt {
                at: jiff::Timestamp::now(),
                source: TimeSource::Now,
            },
        };
        let mut resources = observer.resources;
        for c in resources.values_mut() {
            c.items.sort_by(|a, b| {
                let key = |v: &Value| {
                    (
                        v["metadata"]["namespace"]
                            .as_str()
                            .unwrap_or("")
                            .to_string(),
                        v["metadata"]["name"].as_str().unwrap_or("").to_string(),
                    )
                };
                key(a).cmp(&key(b))
            });
        }
        Ok(Store {
            resources,
            version: observer.version,
            collected_at,
            logs: observer.logs,
            issues,
            _dir: dir,
        })
    }

    /// The collected resource with this plural name in this group.
    pub fn resource(&self, group: &str, name: &str) -> Option<&Collected> {
        self.resources.get(&(group.to_string(), name.to_string()))
    }

    /// The pod's log copy, if the bundle holds one for this container.
    pub fn log(&self, key: &LogKey) -> Option<&LogCopy> {
        self.logs.get(key).or_else(|| {
            // A dump's logs.txt holds every container; it has no previous logs.
            if key.previous {
                return None;
            }
            self.logs.get(&LogKey {
                container: String::new(),
                ..key.clone()
            })
        })
    }
}

/// The reader's observer: files the documents and copies the logs.
struct Collector {
    dir: PathBuf,
    resources: BTreeMap<(String, String), Collected>,
    version: Option<Value>,
    manifest_time: Option<jiff::Timestamp>,
    newest: Option<jiff::Timestamp>,
    logs: BTreeMap<LogKey, LogCopy>,
    files: u64,
}

/// The resource a file holds by its place in the bundle, for files whose items do not say.
fn resource_of_role(role: &Role) -> Option<Resource> {
    let (group, name) = match role {
        Role::Nodes => ("", "nodes"),
        Role::Nnc => ("acn.azure.com", "nodenetworkconfigs"),
        Role::Objects { kind, .. } => kind.resource(),
        Role::ClusterObjects { kind } => (kind.group(), kind.plural()),
        Role::ConfigMaps { .. } => ("", "configmaps"),
        _ => return None,
    };
    resources::by_name(group, name)
}

impl Collector {
    fn slot(&mut self, resource: Resource) -> &mut Collected {
        self.resources
            .entry((resource.group.clone(), resource.name.clone()))
            .or_insert_with(|| Collected {
                resource,
                items: Vec::new(),
            })
    }

    fn add_item(&mut self, default: &Resource, file_ns: Option<&str>, mut item: Value) {
        if !item.is_object() || !item["metadata"].is_object() {
            return;
        }
        let kind = item["kind"].as_str().unwrap_or("").to_string();
        let api_version = item["apiVersion"].as_str().unwrap_or("").to_string();
        let resource = if kind.is_empty() || kind == default.kind {
            default.clone()
        } else {
            let group = api_version.split_once('/').map_or("", |(g, _)| g);
            resources::by_kind(group, &kind).unwrap_or_else(|| {
                let namespaced = item["metadata"]["namespace"].is_string();
                Resource::derived(&api_version, &kind, namespaced)
            })
        };
        // `kubectl get -o json` lists carry both; fill them only where a file left them out.
        if kind.is_empty() {
            item["kind"] = Value::String(resource.kind.clone());
        }
        if api_version.is_empty() {
            item["apiVersion"] = Value::String(resource.group_version());
        }
        if resource.namespaced && !item["metadata"]["namespace"].is_string() {
            if let Some(ns) = file_ns {
                item["metadata"]["namespace"] = Value::String(ns.to_string());
            }
        }
        self.note_times(&item);
        self.slot(resource).items.push(item);
    }

    /// Keeps the newest timestamp seen: the collection time of bundles without a manifest.
    fn note_times(&mut self, item: &Value) {
        let mut stamps: Vec<&Value> = vec![
            &item["metadata"]["creationTimestamp"],
            &item["lastTimestamp"],
            &item["firstTimestamp"],
            &item["eventTime"],
            &item["series"]["lastObservedTime"],
        ];
        let status = &item["status"];
        for c in status["conditions"].as_array().into_iter().flatten() {
            stamps.push(&c["lastHeartbeatTime"]);
            stamps.push(&c["lastTransitionTime"]);
            stamps.push(&c["lastProbeTime"]);
        }
        for key in ["containerStatuses", "initContainerStatuses"] {
            for c in status[key].as_array().into_iter().flatten() {
                for state in ["state", "lastState"] {
                    for phase in ["running", "terminated"] {
                        stamps.push(&c[state][phase]["startedAt"]);
                        stamps.push(&c[state][phase]["finishedAt"]);
                    }
                }
            }
        }
        for s in stamps.into_iter().filter_map(Value::as_str) {
            if let Ok(t) = s.parse::<jiff::Timestamp>() {
                if self.newest.is_none_or(|n| t > n) {
                    self.newest = Some(t);
                }
            }
        }
    }
}

impl Observer for Collector {
    fn object(&mut self, role: &Role, _rel: &str, doc: Value) {
        match role {
            Role::Manifest => {
                self.manifest_time = doc["collected_at"]
                    .as_str()
                    .and_then(|s| s.parse::<jiff::Timestamp>().ok());
                return;
            }
            Role::Version(shape) => {
                // troubleshoot's cluster_version.json holds the API server's answer in `info`.
                self.version = Some(match shape {
                    VersionShape::Troubleshoot if doc["info"].is_object() => doc["info"].clone(),
                    _ => doc,
                });
                return;
            }
            _ => {}
        }
        let Some(default) = resource_of_role(role) else {
            return;
        };
        let file_ns = match role {
            Role::Objects { namespace, .. } | Role::ConfigMaps { namespace } => {
                Some(namespace.clone())
            }
            _ => None,
        };
        // The file was collected: its kind is served even when it holds no item.
        self.slot(default.clone());
        // kubectl 1.13's dumps print lists in Go's internal shape (`Items`); their items
        // are normalised one by one below.
        let items = match doc {
            // troubleshoot writes `"items": null` for an empty namespace.
            Value::Object(mut map) if map.contains_key("items") || map.contains_key("Items") => {
                match map.remove("items").or_else(|| map.remove("Items")) {
                    Some(Value::Array(items)) => items,
                    _ => Vec::new(),
                }
            }
            single @ Value::Object(_) => vec![single],
            _ => Vec::new(),
        };
        for mut item in items {
            // Older cluster-info dumps hold internal shapes; served as kubectl expects them.
            analyzer::layout::dump::normalize_internal(&mut item);
            self.add_item(&default, file_ns.as_deref(), item);
        }
    }

    fn text(&mut self, file: &TextFile) -> Option<Box<dyn Write>> {
        if file.source != TextSource::Log {
            return None;
        }
        let (Some(namespace), Some(pod)) = (file.namespace.clone(), file.pod.clone()) else {
            return None;
        };
        self.files += 1;
        let path = self.dir.join(format!("log-{}", self.files));
        let out = File::create(&path).ok()?;
        let copy = match &file.container {
            Some(_) => LogCopy::File(path),
            None => LogCopy::Dump(path),
        };
        let key = LogKey {
            namespace,
            pod,
            container: file.container.clone().unwrap_or_default(),
            previous: file.previous,
        };
        self.logs.entry(key).or_insert(copy);
        Some(Box::new(BufWriter::with_capacity(64 << 10, out)))
    }
}
