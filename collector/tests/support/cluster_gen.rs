//! Generated fixture clusters for the fake API server: pods with container statuses as the
//! kubelet reports them, and their logs (klog and JSON lines with RFC 3339 times inside
//! the hour before [`super::fake_apiserver::FIXTURE_NOW`], varied by a seeded generator so
//! they compress like real logs, not like one repeated line). Used by the log tests and by
//! the bundle-size benchmark (`collector/examples/bundle-size.rs`).

#![allow(dead_code)]

use serde_json::{json, Value};
use std::path::Path;

/// One container of a generated pod.
#[derive(Debug, Clone)]
pub struct Container {
    /// Container name.
    pub name: String,
    /// `restartCount`; above 0 the previous instance has a log too.
    pub restarts: u64,
    /// `state.waiting.reason` (`CrashLoopBackOff`), or running when `None`.
    pub waiting: Option<String>,
    /// Lines of the current log.
    pub lines: usize,
    /// Approximate bytes per line.
    pub line_bytes: usize,
    /// Lines of the previous instance's log (when `restarts > 0`).
    pub previous_lines: usize,
}

impl Container {
    /// A running container with `lines` lines of about `line_bytes` bytes.
    pub fn running(name: &str, lines: usize, line_bytes: usize) -> Self {
        Container {
            name: name.into(),
            restarts: 0,
            waiting: None,
            lines,
            line_bytes,
            previous_lines: 0,
        }
    }

    /// A crash-looping container: waiting in `CrashLoopBackOff` after `restarts` restarts.
    pub fn crashlooping(name: &str, restarts: u64, lines: usize, previous_lines: usize) -> Self {
        Container {
            name: name.into(),
            restarts,
            waiting: Some("CrashLoopBackOff".into()),
            lines,
            line_bytes: 140,
            previous_lines,
        }
    }
}

/// One generated pod.
#[derive(Debug, Clone)]
pub struct Pod {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// Labels.
    pub labels: Value,
    /// Ready condition.
    pub ready: bool,
    /// Node it runs on.
    pub node: String,
    /// Its containers.
    pub containers: Vec<Container>,
}

impl Pod {
    /// A pod on the first fixture node.
    pub fn new(
        namespace: &str,
        name: &str,
        labels: Value,
        ready: bool,
        containers: Vec<Container>,
    ) -> Self {
        Pod {
            namespace: namespace.into(),
            name: name.into(),
            labels,
            ready,
            node: "aks-nodepool1-12345678-vmss000000".into(),
            containers,
        }
    }

    fn to_json(&self, uid: usize) -> Value {
        let statuses: Vec<Value> = self
            .containers
            .iter()
            .map(|c| {
                let state = match &c.waiting {
                    Some(reason) => json!({"waiting": {"reason": reason, "message": format!("back-off 5m0s restarting failed container={} pod={}_{}", c.name, self.name, self.namespace)}}),
                    None => json!({"running": {"startedAt": "2026-11-22T02:00:00Z"}}),
                };
                let last = if c.restarts > 0 {
                    json!({"terminated": {"exitCode": 1, "reason": "Error", "startedAt": "2026-11-22T03:59:00Z", "finishedAt": "2026-11-22T04:00:10Z"}})
                } else {
                    json!({})
                };
                json!({
                    "name": c.name, "ready": c.waiting.is_none(), "restartCount": c.restarts,
                    "state": state, "lastState": last, "started": c.waiting.is_none(),
                    "image": format!("myacr.azurecr.io/{}:1.0.{}", c.name, uid % 7),
                    "imageID": format!("myacr.azurecr.io/{}@sha256:{:064x}", c.name, uid),
                    "containerID": format!("containerd://{:064x}", uid * 31 + 7)
                })
            })
            .collect();
        json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {
                "name": self.name, "namespace": self.namespace, "labels": self.labels,
                "uid": format!("6f1c2d3e-{:04x}-4a5b-8c7d-{:012x}", uid % 65536, uid),
                "creationTimestamp": "2026-11-22T02:00:00Z"
            },
            "spec": {
                "nodeName": self.node,
                "containers": self.containers.iter().map(|c| json!({"name": c.name, "image": format!("myacr.azurecr.io/{}:1.0", c.name)})).collect::<Vec<_>>()
            },
            "status": {
                "phase": "Running",
                "conditions": [
                    {"type": "Initialized", "status": "True"},
                    {"type": "Ready", "status": if self.ready { "True" } else { "False" }},
                    {"type": "ContainersReady", "status": if self.ready { "True" } else { "False" }},
                    {"type": "PodScheduled", "status": "True"}
                ],
                "hostIP": "10.224.0.4", "podIP": format!("10.244.{}.{}", uid / 250 % 250, uid % 250 + 2),
                "containerStatuses": statuses
            }
        })
    }
}

/// A node as `kubectl get nodes -o json` lists it.
pub fn node(name: &str, os: &str, ready: bool) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/os": os, "kubernetes.io/hostname": name,
                     "kubernetes.azure.com/agentpool": if os == "windows" { "npwin" } else { "nodepool1" }}},
        "spec": {},
        "status": {
            "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" },
                            "reason": if ready { "KubeletReady" } else { "KubeletNotReady" }}],
            "nodeInfo": {"operatingSystem": os, "kubeletVersion": "v1.29.4"}
        }
    })
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Line `i` of `n` of a container log: an RFC 3339 time spread over 03:06-04:04 (inside
/// the default one-hour window before FIXTURE_NOW), then a klog or JSON line padded with
/// request fields to about `bytes` bytes. The last line carries `seq=<n>` so a test can
/// tell the end was kept.
pub fn log_line(seed: u64, i: usize, n: usize, bytes: usize) -> String {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (i as u64 + 1));
    let secs = 3 * 3600 + 6 * 60 + (i * 3540 / n.max(1)) as u64;
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let nanos = rng.next() % 1_000_000_000;
    let stamp = format!("2026-11-22T{h:02}:{m:02}:{s:02}.{nanos:09}Z");
    let req = rng.next();
    let mut line = match rng.next() % 4 {
        0 => format!(
            "{stamp} E1122 {h:02}:{m:02}:{s:02}.{:06}       1 client.go:{}] \"request failed\" err=\"Get \\\"http://inventory.shop.svc.cluster.local:8080/api/items/{}\\\": context deadline exceeded\" request_id={req:016x}",
            nanos / 1000, 100 + req % 400, req % 10_000
        ),
        1 => format!(
            "{stamp} {{\"level\":\"info\",\"ts\":\"2026-11-22T{h:02}:{m:02}:{s:02}Z\",\"msg\":\"handled request\",\"method\":\"GET\",\"path\":\"/api/orders/{}\",\"status\":200,\"latency_ms\":{}.{},\"trace_id\":\"{req:016x}{:016x}\"}}",
            req % 100_000, req % 300, req % 10, rng.next()
        ),
        2 => format!(
            "{stamp} I1122 {h:02}:{m:02}:{s:02}.{:06}       1 reconciler.go:{}] \"Reconciled object\" kind=\"Deployment\" namespace=\"shop\" name=\"worker-{}\" generation={} duration=\"{}ms\"",
            nanos / 1000, 40 + req % 200, req % 50, req % 900, req % 2000
        ),
        _ => format!(
            "{stamp} W1122 {h:02}:{m:02}:{s:02}.{:06}       1 cache.go:{}] slow cache refresh for key \"tenant-{:x}\" after {}ms (attempt {})",
            nanos / 1000, 60 + req % 90, req % 4096, req % 5000, 1 + req % 5
        ),
    };
    while line.len() + 24 < bytes {
        line.push_str(&format!(
            " k{}={:x}",
            line.len() % 97,
            rng.next() % 0xFFFF_FFFF
        ));
    }
    line.push_str(&format!(" seq={}", i + 1));
    line
}

/// Writes a fixture directory for the fake API server: `version.json`, `pods.json`,
/// `nodes.json`, an empty list for every other kind it reads, the logs, and `hosts`
/// pointing at the repository's fixture hosts.
pub fn write_fixture(dir: &Path, pods: &[Pod], nodes: &[Value]) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/apiserver");
    std::fs::create_dir_all(dir).unwrap();
    std::fs::copy(repo.join("version.json"), dir.join("version.json")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(repo.join("hosts"), dir.join("hosts")).unwrap();
    let list = |kind: &str, items: Vec<Value>| json!({"apiVersion": "v1", "kind": format!("{kind}List"), "metadata": {"resourceVersion": "1"}, "items": items});
    let items: Vec<Value> = pods.iter().enumerate().map(|(i, p)| p.to_json(i)).collect();
    std::fs::write(
        dir.join("pods.json"),
        serde_json::to_vec(&list("Pod", items)).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join("nodes.json"),
        serde_json::to_vec(&list("Node", nodes.to_vec())).unwrap(),
    )
    .unwrap();
    let mut seed = 1u64;
    for pod in pods {
        let pod_dir = dir.join("logs").join(&pod.namespace).join(&pod.name);
        std::fs::create_dir_all(&pod_dir).unwrap();
        for c in &pod.containers {
            let mut write = |file: String, n: usize| {
                seed += 1;
                let mut text = String::with_capacity(n * (c.line_bytes + 1));
                for i in 0..n {
                    text.push_str(&log_line(seed, i, n, c.line_bytes));
                    text.push('\n');
                }
                std::fs::write(pod_dir.join(file), text).unwrap();
            };
            write(format!("{}.log", c.name), c.lines);
            if c.restarts > 0 {
                write(format!("{}.previous.log", c.name), c.previous_lines);
            }
        }
    }
}
