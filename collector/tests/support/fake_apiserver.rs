//! A fake Kubernetes API server for tests and the collection benchmark: enough of the API
//! for the real kubectl (`/version`, discovery, list/get of namespaced and cluster-scoped
//! resources with label and field selectors, pod logs), served from the fixture objects in
//! `testdata/apiserver/`, with optional injected latency and a log of every request.
//!
//! Pods may also be created and deleted, for `kubectl debug node/<node>`: a created pod
//! "runs" at once (phase Succeeded), and its log is the output of its `sh -c` command run
//! here, with `/host` pointing at `testdata/apiserver/hosts/<node>/`.

#![allow(dead_code)]

use serde_json::{json, Value};
use server::select::{fields_match, labels_match};
use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// "Now" for the fixtures: `sinceSeconds` is measured from here, so results do not depend on
/// the day the tests run.
pub const FIXTURE_NOW: &str = "2026-11-22T04:05:00Z";

/// One API resource the fake serves.
struct Resource {
    group: &'static str,
    version: &'static str,
    name: &'static str,
    singular: &'static str,
    kind: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
}

const RESOURCES: &[Resource] = &[
    Resource {
        group: "",
        version: "v1",
        name: "pods",
        singular: "pod",
        kind: "Pod",
        namespaced: true,
        short: &["po"],
    },
    Resource {
        group: "",
        version: "v1",
        name: "events",
        singular: "event",
        kind: "Event",
        namespaced: true,
        short: &["ev"],
    },
    Resource {
        group: "",
        version: "v1",
        name: "services",
        singular: "service",
        kind: "Service",
        namespaced: true,
        short: &["svc"],
    },
    Resource {
        group: "",
        version: "v1",
        name: "endpoints",
        singular: "endpoints",
        kind: "Endpoints",
        namespaced: true,
        short: &["ep"],
    },
    Resource {
        group: "",
        version: "v1",
        name: "nodes",
        singular: "node",
        kind: "Node",
        namespaced: false,
        short: &["no"],
    },
    Resource {
        group: "",
        version: "v1",
        name: "namespaces",
        singular: "namespace",
        kind: "Namespace",
        namespaced: false,
        short: &["ns"],
    },
    Resource {
        group: "",
        version: "v1",
        name: "secrets",
        singular: "secret",
        kind: "Secret",
        namespaced: true,
        short: &[],
    },
    Resource {
        group: "",
        version: "v1",
        name: "configmaps",
        singular: "configmap",
        kind: "ConfigMap",
        namespaced: true,
        short: &["cm"],
    },
    Resource {
        group: "apps",
        version: "v1",
        name: "deployments",
        singular: "deployment",
        kind: "Deployment",
        namespaced: true,
        short: &["deploy"],
    },
    Resource {
        group: "apps",
        version: "v1",
        name: "daemonsets",
        singular: "daemonset",
        kind: "DaemonSet",
        namespaced: true,
        short: &["ds"],
    },
    Resource {
        group: "batch",
        version: "v1",
        name: "jobs",
        singular: "job",
        kind: "Job",
        namespaced: true,
        short: &[],
    },
    Resource {
        group: "batch",
        version: "v1",
        name: "cronjobs",
        singular: "cronjob",
        kind: "CronJob",
        namespaced: true,
        short: &["cj"],
    },
    Resource {
        group: "networking.k8s.io",
        version: "v1",
        name: "networkpolicies",
        singular: "networkpolicy",
        kind: "NetworkPolicy",
        namespaced: true,
        short: &["netpol"],
    },
    Resource {
        group: "",
        version: "v1",
        name: "persistentvolumeclaims",
        singular: "persistentvolumeclaim",
        kind: "PersistentVolumeClaim",
        namespaced: true,
        short: &["pvc"],
    },
    Resource {
        group: "",
        version: "v1",
        name: "persistentvolumes",
        singular: "persistentvolume",
        kind: "PersistentVolume",
        namespaced: false,
        short: &["pv"],
    },
    Resource {
        group: "",
        version: "v1",
        name: "resourcequotas",
        singular: "resourcequota",
        kind: "ResourceQuota",
        namespaced: true,
        short: &["quota"],
    },
    Resource {
        group: "",
        version: "v1",
        name: "limitranges",
        singular: "limitrange",
        kind: "LimitRange",
        namespaced: true,
        short: &["limits"],
    },
    Resource {
        group: "apps",
        version: "v1",
        name: "replicasets",
        singular: "replicaset",
        kind: "ReplicaSet",
        namespaced: true,
        short: &["rs"],
    },
    Resource {
        group: "apps",
        version: "v1",
        name: "statefulsets",
        singular: "statefulset",
        kind: "StatefulSet",
        namespaced: true,
        short: &["sts"],
    },
    Resource {
        group: "autoscaling",
        version: "v2",
        name: "horizontalpodautoscalers",
        singular: "horizontalpodautoscaler",
        kind: "HorizontalPodAutoscaler",
        namespaced: true,
        short: &["hpa"],
    },
    Resource {
        group: "autoscaling",
        version: "v1",
        name: "horizontalpodautoscalers",
        singular: "horizontalpodautoscaler",
        kind: "HorizontalPodAutoscaler",
        namespaced: true,
        short: &["hpa"],
    },
    Resource {
        group: "policy",
        version: "v1",
        name: "poddisruptionbudgets",
        singular: "poddisruptionbudget",
        kind: "PodDisruptionBudget",
        namespaced: true,
        short: &["pdb"],
    },
    Resource {
        group: "networking.k8s.io",
        version: "v1",
        name: "ingresses",
        singular: "ingress",
        kind: "Ingress",
        namespaced: true,
        short: &["ing"],
    },
    Resource {
        group: "networking.k8s.io",
        version: "v1",
        name: "ingressclasses",
        singular: "ingressclass",
        kind: "IngressClass",
        namespaced: false,
        short: &[],
    },
    Resource {
        group: "discovery.k8s.io",
        version: "v1",
        name: "endpointslices",
        singular: "endpointslice",
        kind: "EndpointSlice",
        namespaced: true,
        short: &[],
    },
    Resource {
        group: "storage.k8s.io",
        version: "v1",
        name: "storageclasses",
        singular: "storageclass",
        kind: "StorageClass",
        namespaced: false,
        short: &["sc"],
    },
    Resource {
        group: "storage.k8s.io",
        version: "v1",
        name: "volumeattachments",
        singular: "volumeattachment",
        kind: "VolumeAttachment",
        namespaced: false,
        short: &[],
    },
    Resource {
        group: "storage.k8s.io",
        version: "v1",
        name: "csinodes",
        singular: "csinode",
        kind: "CSINode",
        namespaced: false,
        short: &[],
    },
    Resource {
        group: "storage.k8s.io",
        version: "v1",
        name: "csidrivers",
        singular: "csidriver",
        kind: "CSIDriver",
        namespaced: false,
        short: &[],
    },
    Resource {
        group: "apiregistration.k8s.io",
        version: "v1",
        name: "apiservices",
        singular: "apiservice",
        kind: "APIService",
        namespaced: false,
        short: &[],
    },
    Resource {
        group: "admissionregistration.k8s.io",
        version: "v1",
        name: "validatingwebhookconfigurations",
        singular: "validatingwebhookconfiguration",
        kind: "ValidatingWebhookConfiguration",
        namespaced: false,
        short: &[],
    },
    Resource {
        group: "admissionregistration.k8s.io",
        version: "v1",
        name: "mutatingwebhookconfigurations",
        singular: "mutatingwebhookconfiguration",
        kind: "MutatingWebhookConfiguration",
        namespaced: false,
        short: &[],
    },
    Resource {
        group: "admissionregistration.k8s.io",
        version: "v1",
        name: "validatingadmissionpolicies",
        singular: "validatingadmissionpolicy",
        kind: "ValidatingAdmissionPolicy",
        namespaced: false,
        short: &[],
    },
    Resource {
        group: "admissionregistration.k8s.io",
        version: "v1",
        name: "validatingadmissionpolicybindings",
        singular: "validatingadmissionpolicybinding",
        kind: "ValidatingAdmissionPolicyBinding",
        namespaced: false,
        short: &[],
    },
    Resource {
        group: "scheduling.k8s.io",
        version: "v1",
        name: "priorityclasses",
        singular: "priorityclass",
        kind: "PriorityClass",
        namespaced: false,
        short: &["pc"],
    },
    Resource {
        group: "flowcontrol.apiserver.k8s.io",
        version: "v1",
        name: "flowschemas",
        singular: "flowschema",
        kind: "FlowSchema",
        namespaced: false,
        short: &[],
    },
    Resource {
        group: "flowcontrol.apiserver.k8s.io",
        version: "v1",
        name: "prioritylevelconfigurations",
        singular: "prioritylevelconfiguration",
        kind: "PriorityLevelConfiguration",
        namespaced: false,
        short: &[],
    },
    Resource {
        group: "acn.azure.com",
        version: "v1alpha",
        name: "nodenetworkconfigs",
        singular: "nodenetworkconfig",
        kind: "NodeNetworkConfig",
        namespaced: true,
        short: &["nnc"],
    },
];

const NNC_GROUP: &str = "acn.azure.com";

/// How the fake behaves.
#[derive(Debug, Clone)]
pub struct Config {
    /// The fixture directory (`testdata/apiserver`).
    pub fixtures: PathBuf,
    /// Delay before every answer.
    pub latency: Duration,
    /// Serve the NodeNetworkConfig CRD (`acn.azure.com`).
    pub with_nnc: bool,
    /// Resources left out of discovery, as a server that does not serve them (an older
    /// Kubernetes, a beta API not enabled): kubectl says "the server doesn't have a
    /// resource type".
    pub unserved: Vec<&'static str>,
    /// Resources in discovery whose every request is answered 404, as an API group whose
    /// version went away under a stale discovery answer.
    pub not_found: Vec<&'static str>,
    /// Resources whose every request is refused with 403, with the words RBAC uses.
    pub forbidden: Vec<&'static str>,
    /// Fixture objects that do not exist in this cluster, as `<resource>/<namespace>/<name>`.
    pub missing: Vec<&'static str>,
}

impl Config {
    /// The repository's fixtures, no latency, NNC CRD present; as on AKS 1.29,
    /// ValidatingAdmissionPolicy (beta there, off by default) is not served.
    pub fn default_fixtures() -> Self {
        Config {
            fixtures: Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/apiserver"),
            latency: Duration::ZERO,
            with_nnc: true,
            unserved: vec![
                "validatingadmissionpolicies",
                "validatingadmissionpolicybindings",
            ],
            not_found: Vec::new(),
            forbidden: Vec::new(),
            missing: Vec::new(),
        }
    }

    /// Every resource the fake knows served, ValidatingAdmissionPolicy included (AKS 1.30+).
    pub fn everything_served() -> Self {
        Config {
            unserved: Vec::new(),
            ..Config::default_fixtures()
        }
    }

    fn serves(&self, r: &Resource) -> bool {
        (r.group != NNC_GROUP || self.with_nnc) && !self.unserved.contains(&r.name)
    }
}

/// A running fake API server; stops when dropped.
pub struct FakeApiServer {
    server: Arc<tiny_http::Server>,
    fixtures: Arc<Fixtures>,
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeApiServer {
    /// Starts on an ephemeral port of 127.0.0.1.
    pub fn start(config: Config) -> Self {
        let fixtures = Arc::new(Fixtures::load(&config.fixtures));
        let server =
            Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind fake API server"));
        let port = server.server_addr().to_ip().expect("an IP listener").port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let thread = {
            let server = Arc::clone(&server);
            let requests = Arc::clone(&requests);
            let fixtures = Arc::clone(&fixtures);
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    let fixtures = Arc::clone(&fixtures);
                    let requests = Arc::clone(&requests);
                    let config = config.clone();
                    std::thread::spawn(move || {
                        handle(request, &fixtures, &config, &requests, port)
                    });
                }
            })
        };
        FakeApiServer {
            server,
            fixtures,
            port,
            requests,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every request received so far (`GET /api/v1/pods?limit=500`), stats requests excluded.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }

    /// Every pod ever created through the API (debug pods), deleted ones included.
    pub fn created_pods(&self) -> Vec<Value> {
        self.fixtures.created.lock().unwrap().clone()
    }

    /// Every log served for a created (debug) pod: what left the "node".
    pub fn debug_outputs(&self) -> Vec<Vec<u8>> {
        self.fixtures.debug_outputs.lock().unwrap().clone()
    }

    /// Names of created pods that were not deleted.
    pub fn live_created_pods(&self) -> Vec<String> {
        self.fixtures
            .created
            .lock()
            .unwrap()
            .iter()
            .filter(|p| p["metadata"].get("deletionTimestamp").is_none())
            .filter_map(|p| p["metadata"]["name"].as_str().map(String::from))
            .collect()
    }
}

impl Drop for FakeApiServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A port on which nothing listens: connections are refused.
pub fn refused_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    port
}

/// A server that accepts TCP connections and never answers.
pub struct SilentServer {
    port: u16,
}

impl SilentServer {
    /// Starts accepting on an ephemeral port; connections are held open until the process ends.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming() {
                match stream {
                    Ok(s) => held.push(s),
                    Err(_) => break,
                }
            }
        });
        SilentServer { port }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// Fixture objects by resource name, and log files.
struct Fixtures {
    lists: BTreeMap<String, Vec<Value>>,
    version: Value,
    logs: PathBuf,
    hosts: PathBuf,
    /// Pods created through the API; deleted ones keep a `deletionTimestamp` and are hidden.
    created: Mutex<Vec<Value>>,
    /// Every log a created (debug) pod printed, as served.
    debug_outputs: Mutex<Vec<Vec<u8>>>,
}

impl Fixtures {
    /// Fixture items of a resource, plus live created pods.
    fn items(&self, resource: &str) -> Vec<Value> {
        let mut items = self.lists.get(resource).cloned().unwrap_or_default();
        if resource == "pods" {
            items.extend(
                self.created
                    .lock()
                    .unwrap()
                    .iter()
                    .filter(|p| p["metadata"].get("deletionTimestamp").is_none())
                    .cloned(),
            );
        }
        items
    }

    fn is_created(&self, pod: &Value) -> bool {
        pod["metadata"]["labels"]["fake-apiserver/created"] == "true"
    }
}

impl Fixtures {
    fn load(dir: &Path) -> Self {
        let mut lists = BTreeMap::new();
        for res in RESOURCES {
            let path = dir.join(format!("{}.json", res.name));
            let items = match std::fs::read(&path) {
                Ok(bytes) => {
                    let list: Value = serde_json::from_slice(&bytes)
                        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    list["items"].as_array().cloned().unwrap_or_default()
                }
                Err(_) => Vec::new(),
            };
            lists.insert(res.name.to_string(), items);
        }
        let version =
            serde_json::from_slice(&std::fs::read(dir.join("version.json")).unwrap()).unwrap();
        Fixtures {
            lists,
            version,
            logs: dir.join("logs"),
            hosts: dir.join("hosts"),
            created: Mutex::new(Vec::new()),
            debug_outputs: Mutex::new(Vec::new()),
        }
    }
}

struct Reply {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Reply {
    fn json(value: &Value) -> Self {
        Reply {
            status: 200,
            content_type: "application/json",
            body: serde_json::to_vec(value).unwrap(),
        }
    }

    fn status(code: u16, reason: &str, message: &str) -> Self {
        Reply {
            status: code,
            content_type: "application/json",
            body: serde_json::to_vec(&json!({
                "kind": "Status", "apiVersion": "v1", "metadata": {},
                "status": "Failure", "message": message, "reason": reason, "code": code
            }))
            .unwrap(),
        }
    }
}

fn handle(
    mut request: tiny_http::Request,
    fixtures: &Fixtures,
    config: &Config,
    requests: &Mutex<Vec<String>>,
    port: u16,
) {
    let url = request.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((url.as_str(), ""));
    let query = parse_query(query);
    let reply = if path == "/_stats" {
        let count = requests.lock().unwrap().len();
        Reply::json(&json!({"requests": count, "latency_ms": config.latency.as_millis() as u64}))
    } else {
        requests
            .lock()
            .unwrap()
            .push(format!("{} {}", request.method(), url));
        std::thread::sleep(config.latency);
        let seg: Vec<&str> = path.trim_matches('/').split('/').collect();
        match (request.method(), seg.as_slice()) {
            (tiny_http::Method::Get, _) => route(path, &query, fixtures, config, port),
            (tiny_http::Method::Post, ["api", "v1", "namespaces", ns, "pods"]) => {
                let mut body = Vec::new();
                let _ = request.as_reader().read_to_end(&mut body);
                create_pod(ns, &body, fixtures)
            }
            (tiny_http::Method::Delete, ["api", "v1", "namespaces", ns, "pods", name]) => {
                delete_pod(ns, name, fixtures)
            }
            _ => Reply::status(
                405,
                "MethodNotAllowed",
                "the fake API server cannot do that",
            ),
        }
    };
    let header = tiny_http::Header::from_bytes("Content-Type", reply.content_type).unwrap();
    let response = tiny_http::Response::from_data(reply.body)
        .with_status_code(reply.status)
        .with_header(header);
    let _ = request.respond(response);
}

/// `POST .../namespaces/<ns>/pods`: the pod is stored and "runs" at once.
fn create_pod(ns: &str, body: &[u8], fixtures: &Fixtures) -> Reply {
    let Ok(mut pod) = serde_json::from_slice::<Value>(body) else {
        return Reply::status(400, "BadRequest", "the body is not a JSON object");
    };
    let Some(name) = pod["metadata"]["name"].as_str().map(String::from) else {
        return Reply::status(422, "Invalid", "metadata.name is required");
    };
    if fixtures
        .items("pods")
        .iter()
        .any(|p| p["metadata"]["namespace"] == ns && p["metadata"]["name"] == name.as_str())
    {
        return Reply::status(
            409,
            "AlreadyExists",
            &format!("pods \"{name}\" already exists"),
        );
    }
    pod["apiVersion"] = json!("v1");
    pod["kind"] = json!("Pod");
    pod["metadata"]["namespace"] = json!(ns);
    pod["metadata"]["uid"] = json!(format!(
        "00000000-0000-4000-8000-{:012}",
        fixtures.created.lock().unwrap().len()
    ));
    pod["metadata"]["creationTimestamp"] = json!(FIXTURE_NOW);
    pod["metadata"]["labels"]["fake-apiserver/created"] = json!("true");
    let mut created = pod.clone();
    pod["status"] = json!({"phase": "Pending"});
    let container = created["spec"]["containers"][0]["name"].clone();
    created["status"] = json!({
        "phase": "Succeeded",
        "containerStatuses": [{"name": container, "ready": false, "restartCount": 0,
            "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}]
    });
    fixtures.created.lock().unwrap().push(created);
    let mut reply = Reply::json(&pod);
    reply.status = 201;
    reply
}

/// `DELETE .../namespaces/<ns>/pods/<name>` of a created pod.
fn delete_pod(ns: &str, name: &str, fixtures: &Fixtures) -> Reply {
    let mut created = fixtures.created.lock().unwrap();
    let live = created.iter_mut().find(|p| {
        p["metadata"]["namespace"] == ns
            && p["metadata"]["name"] == name
            && p["metadata"].get("deletionTimestamp").is_none()
    });
    match live {
        Some(pod) => {
            pod["metadata"]["deletionTimestamp"] = json!(FIXTURE_NOW);
            Reply::json(pod)
        }
        None => Reply::status(404, "NotFound", &format!("pods \"{name}\" not found")),
    }
}

/// The log of a created pod: its `sh -c <script>` run here against the node's fixture host.
/// `chroot /host CMD` runs the fixture host's own `CMD` (its `usr/bin/journalctl`), as
/// chroot would on a node, without needing root here.
fn debug_pod_log(pod: &Value, hosts: &Path) -> Reply {
    let container = &pod["spec"]["containers"][0];
    let argv: Vec<&str> = ["command", "args"]
        .iter()
        .flat_map(|k| container[*k].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .collect();
    let node = pod["spec"]["nodeName"].as_str().unwrap_or("");
    let ["sh", "-c", script] = argv.as_slice() else {
        return Reply::status(
            400,
            "BadRequest",
            &format!("the fake runs only `sh -c`, not {argv:?}"),
        );
    };
    let host = hosts.join(node);
    let script = format!(
        "chroot() {{ r=$1; shift; c=$1; shift; \"$r$c\" \"$@\"; }}; {}",
        script.replace("/host", &host.to_string_lossy())
    );
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .output();
    match out {
        Ok(out) => Reply {
            status: 200,
            content_type: "text/plain",
            body: String::from_utf8_lossy(&out.stdout)
                .replace(&*host.to_string_lossy(), "/host")
                .into_bytes(),
        },
        Err(e) => Reply::status(500, "InternalError", &e.to_string()),
    }
}

fn parse_query(query: &str) -> BTreeMap<String, String> {
    query
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => out.push(b),
                    Err(_) => out.extend_from_slice(&bytes[i..i + 3]),
                }
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Served API groups, each with its versions, the preferred (first listed) first.
fn groups(config: &Config) -> Vec<(&'static str, Vec<&'static str>)> {
    let mut seen: Vec<(&str, Vec<&str>)> = Vec::new();
    for r in RESOURCES.iter().filter(|r| config.serves(r)) {
        if r.group.is_empty() {
            continue;
        }
        match seen.iter_mut().find(|(g, _)| *g == r.group) {
            Some((_, versions)) if !versions.contains(&r.version) => versions.push(r.version),
            Some(_) => {}
            None => seen.push((r.group, vec![r.version])),
        }
    }
    seen
}

fn serves_group_version(config: &Config, group: &str, version: &str) -> bool {
    groups(config)
        .iter()
        .any(|(g, versions)| *g == group && versions.contains(&version))
}

fn find(group: &str, version: &str, name: &str, config: &Config) -> Option<&'static Resource> {
    RESOURCES
        .iter()
        .filter(|r| config.serves(r))
        .find(|r| r.group == group && r.version == version && r.name == name)
}

fn route(
    path: &str,
    query: &BTreeMap<String, String>,
    fixtures: &Fixtures,
    config: &Config,
    port: u16,
) -> Reply {
    let seg: Vec<&str> = path.trim_matches('/').split('/').collect();
    match seg.as_slice() {
        ["version"] => Reply::json(&fixtures.version),
        ["api"] => Reply::json(&json!({
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": format!("127.0.0.1:{port}")}]
        })),
        ["apis"] => {
            let groups: Vec<Value> = groups(config)
                .into_iter()
                .map(|(g, versions)| {
                    let versions: Vec<Value> = versions
                        .iter()
                        .map(|v| json!({"groupVersion": format!("{g}/{v}"), "version": v}))
                        .collect();
                    json!({"name": g, "versions": versions, "preferredVersion": versions[0]})
                })
                .collect();
            Reply::json(&json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}))
        }
        ["api", "v1"] => resource_list("", "v1", config),
        ["apis", g, v] if serves_group_version(config, g, v) => resource_list(g, v, config),
        ["api", "v1", rest @ ..] => objects("", "v1", rest, query, fixtures, config),
        ["apis", g, v, rest @ ..] => objects(g, v, rest, query, fixtures, config),
        _ => Reply::status(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ),
    }
}

fn resource_list(group: &str, version: &str, config: &Config) -> Reply {
    let mut resources: Vec<Value> = RESOURCES
        .iter()
        .filter(|r| r.group == group && r.version == version && config.serves(r))
        .map(|r| {
            json!({
                "name": r.name, "singularName": r.singular, "namespaced": r.namespaced,
                "kind": r.kind, "shortNames": r.short,
                "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
            })
        })
        .collect();
    if group.is_empty() {
        resources.push(json!({"name": "pods/log", "singularName": "", "namespaced": true, "kind": "Pod", "verbs": ["get"]}));
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Reply::json(
        &json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}),
    )
}

fn objects(
    group: &str,
    version: &str,
    rest: &[&str],
    query: &BTreeMap<String, String>,
    fixtures: &Fixtures,
    config: &Config,
) -> Reply {
    // [res] | [res, name] | [namespaces, ns, res] | [namespaces, ns, res, name] | [namespaces, ns, pods, name, log]
    let (namespace, res_name, name, sub) = match rest {
        ["namespaces", ns, res, name, sub] => (Some(*ns), *res, Some(*name), Some(*sub)),
        ["namespaces", ns, res, name] => (Some(*ns), *res, Some(*name), None),
        ["namespaces", ns, res] => (Some(*ns), *res, None, None),
        [res, name] => (None, *res, Some(*name), None),
        [res] => (None, *res, None, None),
        _ => {
            return Reply::status(
                404,
                "NotFound",
                "the server could not find the requested resource",
            )
        }
    };
    // `/api/v1/namespaces/<name>` is a get of a Namespace, not a namespaced list.
    let (namespace, res_name, name) = match (group, rest) {
        ("", ["namespaces", ns]) => (None, "namespaces", Some(*ns)),
        _ => (namespace, res_name, name),
    };
    let Some(res) = find(group, version, res_name, config) else {
        return Reply::status(
            404,
            "NotFound",
            "the server could not find the requested resource",
        );
    };
    if config.not_found.contains(&res.name) {
        return Reply::status(
            404,
            "NotFound",
            "the server could not find the requested resource",
        );
    }
    if config.forbidden.contains(&res.name) {
        return forbidden(res, namespace, name.is_some());
    }
    let api_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    let mut items = fixtures.items(res.name);
    items.retain(|i| {
        let id = format!(
            "{}/{}/{}",
            res.name,
            i["metadata"]["namespace"].as_str().unwrap_or(""),
            i["metadata"]["name"].as_str().unwrap_or("")
        );
        !config.missing.contains(&id.as_str())
    });
    let in_ns = |item: &Value| namespace.is_none_or(|ns| item["metadata"]["namespace"] == ns);
    match (name, sub) {
        (Some(name), Some("log")) if res.name == "pods" => {
            let pod = items
                .iter()
                .find(|i| in_ns(i) && i["metadata"]["name"] == name);
            match pod {
                Some(pod) if fixtures.is_created(pod) => {
                    let reply = debug_pod_log(pod, &fixtures.hosts);
                    fixtures
                        .debug_outputs
                        .lock()
                        .unwrap()
                        .push(reply.body.clone());
                    reply
                }
                Some(pod) => pod_log(pod, query, &fixtures.logs),
                None => Reply::status(404, "NotFound", &format!("pods \"{name}\" not found")),
            }
        }
        (Some(_), Some(_)) => Reply::status(
            404,
            "NotFound",
            "the server could not find the requested resource",
        ),
        (Some(name), None) => match items
            .iter()
            .find(|i| in_ns(i) && i["metadata"]["name"] == name)
        {
            Some(item) => {
                let mut item = item.clone();
                item["apiVersion"] = json!(api_version);
                item["kind"] = json!(res.kind);
                Reply::json(&item)
            }
            None => Reply::status(
                404,
                "NotFound",
                &format!("{} \"{name}\" not found", res.name),
            ),
        },
        (None, _) => {
            let label_selector = query.get("labelSelector").map(String::as_str).unwrap_or("");
            let field_selector = query.get("fieldSelector").map(String::as_str).unwrap_or("");
            let selected: Vec<Value> = items
                .into_iter()
                .filter(|i| in_ns(i))
                .filter(|i| labels_match(label_selector, &i["metadata"]["labels"]))
                .filter(|i| fields_match(field_selector, i))
                .map(|mut i| {
                    i["apiVersion"] = json!(api_version);
                    i["kind"] = json!(res.kind);
                    i
                })
                .collect();
            Reply::json(&json!({
                "kind": format!("{}List", res.kind),
                "apiVersion": api_version,
                "metadata": {"resourceVersion": "918273"},
                "items": selected
            }))
        }
    }
}

/// RBAC's refusal, in the API server's words.
fn forbidden(res: &Resource, namespace: Option<&str>, named: bool) -> Reply {
    let qualified = if res.group.is_empty() {
        res.name.to_string()
    } else {
        format!("{}.{}", res.name, res.group)
    };
    let verb = if named { "get" } else { "list" };
    let scope = match namespace {
        Some(ns) => format!("in the namespace \"{ns}\""),
        None => "at the cluster scope".to_string(),
    };
    Reply::status(
        403,
        "Forbidden",
        &format!(
            "{qualified} is forbidden: User \"system:serviceaccount:support:aksbundle\" cannot {verb} resource \"{}\" in API group \"{}\" {scope}",
            res.name, res.group
        ),
    )
}

/// `GET .../pods/<name>/log`: the fixture log of the container (or its previous instance),
/// honouring `timestamps`, `sinceSeconds` (from [`FIXTURE_NOW`]), `tailLines` (the last
/// lines of the window) and `limitBytes` (counted from the first line kept), as the kubelet does.
fn pod_log(pod: &Value, query: &BTreeMap<String, String>, dir: &Path) -> Reply {
    let ns = pod["metadata"]["namespace"].as_str().unwrap_or("");
    let name = pod["metadata"]["name"].as_str().unwrap_or("");
    let containers: Vec<&str> = pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["name"].as_str())
        .collect();
    let container = match query.get("container") {
        Some(c) => c.as_str(),
        None if containers.len() == 1 => containers[0],
        None => {
            return Reply::status(
                400,
                "BadRequest",
                &format!(
                "a container name must be specified for pod {name}, choose one of: {containers:?}"
            ),
            )
        }
    };
    if !containers.contains(&container) {
        return Reply::status(
            400,
            "BadRequest",
            &format!("container {container} is not valid for pod {name}"),
        );
    }
    let previous = query.get("previous").is_some_and(|v| v == "true");
    let file = dir.join(ns).join(name).join(format!(
        "{container}{}.log",
        if previous { ".previous" } else { "" }
    ));
    let Ok(text) = std::fs::read_to_string(&file) else {
        let msg = if previous {
            format!("previous terminated container \"{container}\" in pod \"{name}\" not found")
        } else {
            format!("container \"{container}\" in pod \"{name}\" is waiting to start: ContainerCreating")
        };
        return Reply::status(400, "BadRequest", &msg);
    };
    let timestamps = query.get("timestamps").is_some_and(|v| v == "true");
    let cutoff = query
        .get("sinceSeconds")
        .and_then(|s| s.parse::<i64>().ok())
        .map(|s| epoch_seconds(FIXTURE_NOW).unwrap_or(0) - s);
    let mut out = String::new();
    for line in text.lines() {
        let (stamp, rest) = line.split_once(' ').unwrap_or((line, ""));
        if let (Some(cutoff), Some(at)) = (cutoff, epoch_seconds(stamp)) {
            if at < cutoff {
                continue;
            }
        }
        out.push_str(if timestamps { line } else { rest });
        out.push('\n');
    }
    if let Some(n) = query.get("tailLines").and_then(|s| s.parse::<usize>().ok()) {
        let lines: Vec<&str> = out.lines().collect();
        let keep = &lines[lines.len().saturating_sub(n)..];
        out = keep.iter().map(|l| format!("{l}\n")).collect();
    }
    let mut body = out.into_bytes();
    if let Some(limit) = query
        .get("limitBytes")
        .and_then(|s| s.parse::<usize>().ok())
    {
        body.truncate(limit);
    }
    Reply {
        status: 200,
        content_type: "text/plain",
        body,
    }
}

/// Seconds since the epoch of an RFC 3339 UTC timestamp (`2026-11-22T04:01:02.123456789Z`).
fn epoch_seconds(stamp: &str) -> Option<i64> {
    let (date, time) = stamp.split_once('T')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>());
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let time = time.trim_end_matches('Z');
    let mut t = time.split(':');
    let (h, min) = (
        t.next()?.parse::<i64>().ok()?,
        t.next()?.parse::<i64>().ok()?,
    );
    let sec = t.next()?.split('.').next()?.parse::<i64>().ok()?;
    // Days from civil (Howard Hinnant).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + min * 60 + sec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors() {
        let labels = json!({"app": "secrets-store-provider-azure", "tier": "node"});
        assert!(labels_match("app=secrets-store-provider-azure", &labels));
        assert!(labels_match(
            "app in (csi-secrets-store-provider-azure,secrets-store-provider-azure),tier",
            &labels
        ));
        assert!(!labels_match("app!=secrets-store-provider-azure", &labels));
        assert!(labels_match("!missing", &labels));
        let pod = json!({"metadata": {"name": "a", "namespace": "kube-system"}, "spec": {"nodeName": "n1"}});
        assert!(fields_match(
            "spec.nodeName=n1,metadata.namespace==kube-system",
            &pod
        ));
        assert!(!fields_match("metadata.name!=a", &pod));
        assert_eq!(epoch_seconds("2026-11-22T04:00:00Z"), Some(1_795_320_000));
    }
}
