//! Node IPAM counts: how many allocated-IP files each CNI IPAM store
//! (`/var/lib/cni/networks/<network>/`) holds, leaving out `lock` and `last_reserved_ip*`.
//! Read either through a short-lived `kubectl debug node/<node>` pod, or directly on the
//! node with `aksbundle collect node --host-root /`. Both write `nodes/<node>/ipam.json`.

use crate::clock;
use crate::error::CollectError;
use crate::kubectl::{args, Kubectl, RunError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Where host-local IPAM keeps its stores, relative to the host root.
pub const STORE_ROOT: &str = "var/lib/cni/networks";

/// Namespace the debug pods are created in.
pub const DEBUG_NAMESPACE: &str = "default";

/// Shell run in the debug pod (busybox `sh`): one `<store dir> <count>` line per store.
pub const DEBUG_SCRIPT: &str = r#"for d in /host/var/lib/cni/networks/*/; do [ -d "$d" ] || continue; n=0; for f in "$d"*; do [ -e "$f" ] || continue; case "${f##*/}" in lock|last_reserved_ip*) ;; *) n=$((n+1)) ;; esac; done; echo "${d%/} $n"; done; echo aksbundle-ipam-done"#;

/// `nodes/<node>/ipam.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct IpamReport {
    /// Node name.
    pub node: String,
    /// When the store was read (RFC 3339, UTC).
    pub collected_at: String,
    /// One entry per IPAM store found.
    pub stores: Vec<Store>,
}

/// One IPAM store.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Store {
    /// The store directory as seen on the host (`/var/lib/cni/networks/kubenet`).
    pub path: String,
    /// Allocated-IP files in it.
    pub ip_files: u64,
}

/// Why the IPAM store of one node could not be read through a debug pod.
#[derive(Debug, thiserror::Error)]
pub enum IpamError {
    /// A kubectl call failed.
    #[error("{0}")]
    Kubectl(#[from] RunError),
    /// `kubectl debug` did not say which pod it created.
    #[error("kubectl debug did not name the pod it created: {0}")]
    NoPodName(String),
    /// The debug pod ended in phase Failed or did not finish in time.
    #[error("debug pod {pod} did not succeed (last phase: {phase})")]
    PodFailed {
        /// The debug pod.
        pod: String,
        /// Its last phase seen.
        phase: String,
    },
    /// The debug pod's output was not the expected `<dir> <count>` lines.
    #[error("unexpected debug pod output: {0}")]
    BadOutput(String),
}

/// True for a file that is an allocated IP (not `lock`, not `last_reserved_ip*`).
pub fn is_ip_file(name: &str) -> bool {
    name != "lock" && !name.starts_with("last_reserved_ip")
}

/// Counts the stores under `<host_root>/var/lib/cni/networks/`. A missing store root means
/// no stores (Azure CNI nodes have none), not an error.
pub fn count_stores(host_root: &Path) -> Result<Vec<Store>, CollectError> {
    let root = host_root.join(STORE_ROOT);
    let read = |path: &Path| -> Result<std::fs::ReadDir, CollectError> {
        std::fs::read_dir(path).map_err(|source| CollectError::HostRead {
            path: path.to_path_buf(),
            source,
        })
    };
    let entries = match std::fs::read_dir(&root) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        _ => read(&root)?,
    };
    let mut stores = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| CollectError::HostRead {
            path: root.clone(),
            source,
        })?;
        if !entry.path().is_dir() {
            continue;
        }
        let mut ip_files = 0;
        for file in read(&entry.path())? {
            let file = file.map_err(|source| CollectError::HostRead {
                path: entry.path(),
                source,
            })?;
            if is_ip_file(&file.file_name().to_string_lossy()) {
                ip_files += 1;
            }
        }
        stores.push(Store {
            path: format!("/{STORE_ROOT}/{}", entry.file_name().to_string_lossy()),
            ip_files,
        });
    }
    stores.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(stores)
}

/// Options of `aksbundle collect node`.
#[derive(Debug, Clone)]
pub struct NodeOptions {
    /// Where the node's root file system is mounted (`/` on the node itself, `/host` in a
    /// DaemonSet pod). Default: `/`.
    pub host_root: PathBuf,
    /// The node name written into the report. Default: `$NODE_NAME`, else the host name.
    pub node: String,
    /// Directory that receives `nodes/<node>/ipam.json`. Default: the current directory.
    pub output_dir: PathBuf,
}

/// Reads this host's IPAM stores and writes `<output_dir>/nodes/<node>/ipam.json`.
/// Returns the file written.
pub fn collect_node(opts: &NodeOptions) -> Result<PathBuf, CollectError> {
    let report = IpamReport {
        node: opts.node.clone(),
        collected_at: clock::now_rfc3339(),
        stores: count_stores(&opts.host_root)?,
    };
    let dir = opts
        .output_dir
        .join("nodes")
        .join(crate::bundle::safe_component(&opts.node));
    std::fs::create_dir_all(&dir).map_err(|e| CollectError::write(&dir, e))?;
    let path = dir.join("ipam.json");
    let json =
        serde_json::to_vec_pretty(&report).map_err(|e| CollectError::write(&path, e.into()))?;
    std::fs::write(&path, json).map_err(|e| CollectError::write(&path, e))?;
    Ok(path)
}

/// This node's name for `collect node`: `$NODE_NAME` (set from the downward API in a
/// DaemonSet), else `/etc/hostname` under the host root, else `unknown-node`.
pub fn default_node_name(host_root: &Path) -> String {
    std::env::var("NODE_NAME")
        .ok()
        .filter(|n| !n.trim().is_empty())
        .or_else(|| {
            std::fs::read_to_string(host_root.join("etc/hostname"))
                .ok()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        })
        .unwrap_or_else(|| "unknown-node".into())
}

/// Parses the debug script's output into stores (paths with the `/host` prefix removed).
pub fn parse_debug_output(text: &str) -> Result<Vec<Store>, IpamError> {
    let mut stores = Vec::new();
    let mut done = false;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line == "aksbundle-ipam-done" {
            done = true;
            continue;
        }
        let (dir, count) = line
            .rsplit_once(' ')
            .ok_or_else(|| IpamError::BadOutput(line.to_string()))?;
        let ip_files = count
            .parse()
            .map_err(|_| IpamError::BadOutput(line.to_string()))?;
        let path = dir.strip_prefix("/host").unwrap_or(dir).to_string();
        stores.push(Store { path, ip_files });
    }
    if !done {
        return Err(IpamError::BadOutput(format!(
            "the script did not finish: {}",
            text.chars().take(200).collect::<String>()
        )));
    }
    Ok(stores)
}

/// Why a node gets no debug pod, if it does not: Windows nodes have no host-local IPAM store
/// (and cannot run the Linux image); a node that is not Ready would leave the pod Pending.
pub fn skip_reason(node: &serde_json::Value) -> Option<String> {
    let name = node["metadata"]["name"].as_str().unwrap_or("?");
    if node["metadata"]["labels"]["kubernetes.io/os"] == "windows" {
        return Some(format!("node {name}: Windows node, no IPAM store to count"));
    }
    let ready = node["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True");
    if !ready {
        return Some(format!("node {name}: not Ready, IPAM store not counted"));
    }
    None
}

/// Debug pods created and not yet deleted, so Ctrl-C can delete them.
#[derive(Debug, Default)]
pub struct DebugPods(Mutex<BTreeSet<String>>);

impl DebugPods {
    fn add(&self, pod: &str) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(pod.to_string());
    }

    fn remove(&self, pod: &str) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(pod);
    }

    /// Deletes every pod still registered (best effort; used after Ctrl-C).
    pub fn delete_all(&self, kubectl: &Kubectl, timeout: Duration) {
        let pods: Vec<String> =
            std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
                .into_iter()
                .collect();
        for pod in pods {
            let _ = kubectl.run(&delete_args(&pod), timeout);
        }
    }
}

fn delete_args(pod: &str) -> Vec<String> {
    args(&[
        "delete",
        "pod",
        pod,
        "--namespace",
        DEBUG_NAMESPACE,
        "--ignore-not-found",
        "--wait=false",
    ])
}

/// `kubectl debug` arguments that start the counting pod on `node`.
pub fn debug_args(node: &str, image: &str) -> Vec<String> {
    debug_script_args(node, image, DEBUG_SCRIPT)
}

/// `kubectl debug` arguments that run `script` (busybox `sh -c`) in a pod on `node`.
pub fn debug_script_args(node: &str, image: &str, script: &str) -> Vec<String> {
    vec![
        "debug".into(),
        format!("node/{node}"),
        "--namespace".into(),
        DEBUG_NAMESPACE.into(),
        format!("--image={image}"),
        // No --profile: kubectl before 1.27 has none, and every profile kubectl has
        // defaulted to for node debugging mounts the host's root at /host, which is all
        // the script needs.
        "--attach=false".into(),
        "--".into(),
        "sh".into(),
        "-c".into(),
        script.into(),
    ]
}

/// Finds the pod name in kubectl debug's `Creating debugging pod <name> with container ...`.
pub fn created_pod_name(output: &str) -> Option<String> {
    let rest = output.split("Creating debugging pod ").nth(1)?;
    let name = rest.split_whitespace().next()?;
    Some(name.trim_end_matches('.').to_string())
}

/// Counts the IPAM stores of `node` through a debug pod, which is always deleted afterwards.
pub fn debug_node(
    kubectl: &Kubectl,
    node: &str,
    image: &str,
    timeout: Duration,
    pods: &DebugPods,
) -> Result<IpamReport, IpamError> {
    let out = run_debug_pod(kubectl, node, image, DEBUG_SCRIPT, timeout, pods)?;
    Ok(IpamReport {
        node: node.to_string(),
        collected_at: clock::now_rfc3339(),
        stores: parse_debug_output(&String::from_utf8_lossy(&out))?,
    })
}

/// Runs `script` in a debug pod on `node`, waits for it to finish and returns its output;
/// the pod is always deleted afterwards (registered in `pods` meanwhile, for Ctrl-C).
pub fn run_debug_pod(
    kubectl: &Kubectl,
    node: &str,
    image: &str,
    script: &str,
    timeout: Duration,
    pods: &DebugPods,
) -> Result<Vec<u8>, IpamError> {
    let created = kubectl.run(&debug_script_args(node, image, script), timeout)?;
    let created = String::from_utf8_lossy(&created);
    let pod =
        created_pod_name(&created).ok_or_else(|| IpamError::NoPodName(created.to_string()))?;
    pods.add(&pod);
    let result = read_debug_pod(kubectl, &pod, timeout);
    // The pod is deleted whatever happened; a failed delete is left to Ctrl-C clean-up.
    if kubectl.run(&delete_args(&pod), timeout).is_ok() {
        pods.remove(&pod);
    }
    result
}

/// What the debug pod's status says: its phase and, while waiting, why.
#[derive(Debug, Default, PartialEq, Eq)]
struct PodState {
    phase: String,
    waiting: String,
}

impl PodState {
    /// Parses `<phase> <waiting reason>` as printed by the jsonpath in `read_debug_pod`.
    fn parse(text: &str) -> Self {
        let mut words = text.split_whitespace();
        PodState {
            phase: words.next().unwrap_or_default().to_string(),
            waiting: words.next().unwrap_or_default().to_string(),
        }
    }

    /// Done, or stuck in a way waiting will not mend (the image cannot be pulled, ...).
    fn is_final(&self) -> bool {
        matches!(self.phase.as_str(), "Succeeded" | "Failed")
            || matches!(
                self.waiting.as_str(),
                "ErrImagePull"
                    | "ImagePullBackOff"
                    | "InvalidImageName"
                    | "CreateContainerConfigError"
                    | "CreateContainerError"
            )
    }

    fn describe(&self) -> String {
        match (self.phase.as_str(), self.waiting.as_str()) {
            ("", _) => "unknown".into(),
            (phase, "") => phase.into(),
            (phase, waiting) => format!("{phase}, waiting: {waiting}"),
        }
    }
}

fn read_debug_pod(kubectl: &Kubectl, pod: &str, timeout: Duration) -> Result<Vec<u8>, IpamError> {
    let deadline = Instant::now() + timeout * 2;
    let status_args = args(&[
        "get",
        "pod",
        pod,
        "--namespace",
        DEBUG_NAMESPACE,
        "-o",
        "jsonpath={.status.phase} {.status.containerStatuses[0].state.waiting.reason}",
    ]);
    let mut state = PodState::default();
    while Instant::now() < deadline {
        state = PodState::parse(&String::from_utf8_lossy(
            &kubectl.run(&status_args, timeout)?,
        ));
        if state.is_final() {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    if state.phase != "Succeeded" {
        return Err(IpamError::PodFailed {
            pod: pod.to_string(),
            phase: state.describe(),
        });
    }
    let logs_args = args(&["logs", pod, "--namespace", DEBUG_NAMESPACE]);
    Ok(kubectl.run(&logs_args, timeout)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        std::fs::write(path, b"").unwrap();
    }

    #[test]
    fn counts_ip_files_but_not_lock_or_last_reserved() {
        let root = tempfile::tempdir().unwrap();
        let kubenet = root.path().join("var/lib/cni/networks/kubenet");
        std::fs::create_dir_all(&kubenet).unwrap();
        for f in [
            "10.244.0.5",
            "10.244.0.6",
            "10.244.0.7",
            "lock",
            "last_reserved_ip.0",
        ] {
            touch(&kubenet.join(f));
        }
        let calico = root.path().join("var/lib/cni/networks/k8s-pod-network");
        std::fs::create_dir_all(&calico).unwrap();
        touch(&calico.join("10.1.0.2"));
        touch(&root.path().join("var/lib/cni/networks/stray-file"));
        let stores = count_stores(root.path()).unwrap();
        assert_eq!(
            stores,
            [
                Store {
                    path: "/var/lib/cni/networks/k8s-pod-network".into(),
                    ip_files: 1
                },
                Store {
                    path: "/var/lib/cni/networks/kubenet".into(),
                    ip_files: 3
                },
            ]
        );
    }

    #[test]
    fn a_node_without_stores_has_none() {
        let root = tempfile::tempdir().unwrap();
        assert!(count_stores(root.path()).unwrap().is_empty());
    }

    #[test]
    fn collect_node_writes_the_bundle_file() {
        let root = tempfile::tempdir().unwrap();
        let kubenet = root.path().join("var/lib/cni/networks/kubenet");
        std::fs::create_dir_all(&kubenet).unwrap();
        touch(&kubenet.join("10.244.0.5"));
        let out = tempfile::tempdir().unwrap();
        let path = collect_node(&NodeOptions {
            host_root: root.path().into(),
            node: "aks-nodepool1-12345678-vmss000000".into(),
            output_dir: out.path().into(),
        })
        .unwrap();
        assert_eq!(
            path,
            out.path()
                .join("nodes/aks-nodepool1-12345678-vmss000000/ipam.json")
        );
        let report: IpamReport = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(report.node, "aks-nodepool1-12345678-vmss000000");
        assert_eq!(report.stores[0].ip_files, 1);
    }

    #[test]
    fn debug_script_output_matches_the_host_count() {
        // Run the very script the debug pod runs, against a fake /host.
        let root = tempfile::tempdir().unwrap();
        let store = root.path().join("host/var/lib/cni/networks/kubenet");
        std::fs::create_dir_all(&store).unwrap();
        for f in ["10.244.0.5", "10.244.0.9", "lock", "last_reserved_ip.0"] {
            touch(&store.join(f));
        }
        let script = DEBUG_SCRIPT.replace("/host", &root.path().join("host").to_string_lossy());
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(&script)
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let prefix = root.path().to_string_lossy().into_owned();
        let stores = parse_debug_output(&text.replace(&prefix, "")).unwrap();
        assert_eq!(
            stores,
            [Store {
                path: "/var/lib/cni/networks/kubenet".into(),
                ip_files: 2
            }]
        );
    }

    #[test]
    fn bad_debug_output_is_an_error() {
        assert!(parse_debug_output("").is_err());
        assert!(parse_debug_output("garbage\naksbundle-ipam-done").is_err());
        assert!(parse_debug_output("/host/x notanumber\naksbundle-ipam-done").is_err());
        assert_eq!(parse_debug_output("aksbundle-ipam-done\n").unwrap(), []);
    }

    #[test]
    fn a_pod_that_cannot_pull_its_image_is_given_up_at_once() {
        let pulling = PodState::parse("Pending ImagePullBackOff");
        assert!(pulling.is_final());
        assert_eq!(pulling.describe(), "Pending, waiting: ImagePullBackOff");
        assert!(!PodState::parse("Pending ContainerCreating").is_final());
        assert!(!PodState::parse("Running").is_final());
        assert!(PodState::parse("Succeeded").is_final());
        assert_eq!(PodState::parse("").describe(), "unknown");
    }

    /// Nodes that cannot run the counting pod are skipped, not waited for.
    #[test]
    fn only_ready_linux_nodes_are_debugged() {
        use serde_json::json;
        let ready = |os: &str, status: &str| {
            json!({"metadata": {"name": "n", "labels": {"kubernetes.io/os": os}},
                   "status": {"conditions": [{"type": "Ready", "status": status}]}})
        };
        assert_eq!(skip_reason(&ready("linux", "True")), None);
        assert!(skip_reason(&ready("windows", "True"))
            .unwrap()
            .contains("Windows"));
        assert!(skip_reason(&ready("linux", "Unknown"))
            .unwrap()
            .contains("not Ready"));
    }

    #[test]
    fn pod_name_from_kubectl_debug() {
        let out = "Creating debugging pod node-debugger-aks-nodepool1-12345678-vmss000000-x7k2p with container debugger on node aks-nodepool1-12345678-vmss000000.\n";
        assert_eq!(
            created_pod_name(out).as_deref(),
            Some("node-debugger-aks-nodepool1-12345678-vmss000000-x7k2p")
        );
        assert_eq!(created_pod_name("nothing"), None);
    }
}
