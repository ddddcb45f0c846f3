//! One `collect` run: read the kubeconfig, probe the API server, then run every step on a
//! bounded pool (object lists, container logs, node IPAM), redact what they return, record
//! failures in the manifest, and pack the bundle atomically.

use crate::bundle::{safe_component, Staging};
use crate::clock::{self, Utc};
use crate::error::CollectError;
use crate::ipam::{self, DebugPods, IpamError};
use crate::kubectl::{args, Kubectl, RunError};
use crate::logs::{self, LogBudget, LogsReport, Priority, TailBuffer};
use crate::manifest::{ClusterInfo, CollectorInfo, Manifest, ManifestOptions, StepError, FORMAT};
use crate::nodelogs;
use crate::options::Options;
use crate::plan::{
    self, ClusterKind, LogTarget, NamespacedKind, CLUSTER, CONFIG_MAPS, CONFIG_MAP_NAMESPACE,
    NAMESPACED, NNC_RESOURCE,
};
use crate::pool;
use crate::redact;
use crate::terminal;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Largest attachment accepted; support tickets want text, not disk images.
pub const MAX_ATTACHMENT_BYTES: u64 = 16 * 1024 * 1024;
/// Timeout of each `kubectl delete` of a debug pod after Ctrl-C.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(15);

/// What a finished collection produced, for the summary the CLI prints. Every text field
/// that came from the cluster or kubectl (step errors, notes, cluster info) is safe for a
/// terminal: control characters are shown as `\xNN` (see [`crate::terminal`]).
#[derive(Debug, Clone)]
pub struct Summary {
    /// The bundle written.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Files in the bundle, manifest included.
    pub files: usize,
    /// Object files (`cluster/*.json` but the version, `namespaces/*/*.json`, the named
    /// ConfigMaps).
    pub object_files: usize,
    /// Container log files.
    pub logs: usize,
    /// Nodes whose IPAM stores were counted.
    pub ipam_nodes: usize,
    /// Nodes whose node logs were read (`--node-logs`).
    pub node_logs: usize,
    /// Container logs left out because the log budget was spent (listed in the manifest).
    pub logs_skipped: usize,
    /// Attachments added.
    pub attachments: usize,
    /// Namespaces with at least one object list in the bundle.
    pub namespaces: usize,
    /// Secrets redacted.
    pub redactions: u64,
    /// Steps that failed (also in the manifest, where stderr is kept as kubectl wrote it).
    pub errors: Vec<StepError>,
    /// Things worth telling the user that are not failures (e.g. no NNC CRD).
    pub notes: Vec<String>,
    /// False when collection stopped after the probe: the API server could not be reached,
    /// or kubectl waited for an interactive sign-in (then `notes` says so).
    pub reachable: bool,
    /// The cluster as recorded in the manifest.
    pub cluster: ClusterInfo,
    /// Wall time of the whole collection.
    pub elapsed: Duration,
}

/// Collects a bundle as `opts` says. Failing kubectl steps are recorded in the manifest and
/// never stop the run; only unusable options, an unrunnable kubectl, a failed write or
/// Ctrl-C return an error, and then no bundle (and no temporary file) is left behind.
pub fn collect(opts: &Options) -> Result<Summary, CollectError> {
    opts.validate()?;
    let started = Instant::now();
    let started_at = SystemTime::now();
    let at = Utc::from_system(started_at);
    // A wrong --attach or -o path is the user's mistake: say so before touching the cluster,
    // not after minutes of collection.
    let attachments = read_attachments(&opts.attachments)?;
    check_destination(opts.output.as_deref())?;

    let kubectl = Kubectl::new(
        &opts.kubectl,
        opts.kubeconfig.as_deref(),
        opts.context.as_deref(),
        opts.cancel.clone(),
    );
    let run = Run::new(opts, kubectl)?;
    let result = run.collect_into_staging(&attachments);
    // Debug pods are deleted whatever happened, Ctrl-C included.
    run.debug_pods
        .delete_all(&run.kubectl.uncancellable(), CLEANUP_TIMEOUT);
    run.progress.finish_and_clear();
    let cluster = result?;
    // A write failure trips the cancel token too; report it, not an interruption.
    if let Some(fatal) = run.fatal.lock().unwrap_or_else(|p| p.into_inner()).take() {
        return Err(fatal);
    }
    if opts.cancel.is_cancelled() {
        return Err(CollectError::Interrupted);
    }

    let errors = std::mem::take(&mut *run.errors.lock().unwrap_or_else(|p| p.into_inner()));
    let manifest = Manifest {
        format: FORMAT.into(),
        collector: CollectorInfo::default(),
        collected_at: at.rfc3339(),
        cluster: cluster.clone(),
        options: ManifestOptions {
            since: opts.since.as_str().to_string(),
            namespaces: if opts.all_namespaces() {
                vec!["*".into()]
            } else {
                opts.namespaces.clone()
            },
            node_ipam: opts.node_ipam,
            node_logs: opts.node_logs,
        },
        redactions: run.redactions.load(Ordering::SeqCst),
        errors,
        logs: Some(run.logs_report()),
        notes: run.notes.lock().unwrap_or_else(|p| p.into_inner()).clone(),
    };
    let manifest_json = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| CollectError::write("manifest.json", e.into()))?;
    run.staging.write("manifest.json", &manifest_json)?;

    let context_name = cluster.context.as_deref().unwrap_or("unknown");
    let (out, root) = output_path(opts.output.as_deref(), context_name, &at);
    let members = run.staging.members();
    let Run {
        staging,
        notes,
        reachable,
        ..
    } = run;
    if opts.cancel.is_cancelled() {
        return Err(CollectError::Interrupted);
    }
    let mtime = started_at
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let written = staging.finish(&out, &root, mtime)?;
    let namespaces: BTreeSet<&str> = members
        .iter()
        .filter_map(|m| m.strip_prefix("namespaces/"))
        .filter_map(|m| m.split('/').next())
        .collect();
    Ok(Summary {
        path: written.path,
        bytes: written.bytes,
        files: written.files,
        object_files: members
            .iter()
            .filter(|m| m.starts_with("cluster/") || m.starts_with("namespaces/"))
            .filter(|m| *m != "cluster/version.json")
            .count(),
        logs: members.iter().filter(|m| m.starts_with("logs/")).count(),
        ipam_nodes: members
            .iter()
            .filter(|m| m.starts_with("nodes/") && m.ends_with("/ipam.json"))
            .count(),
        node_logs: members
            .iter()
            .filter(|m| m.starts_with("nodes/") && m.ends_with("/node-logs.json"))
            .count(),
        logs_skipped: manifest.logs.as_ref().map_or(0, |l| l.skipped.len()),
        attachments: members
            .iter()
            .filter(|m| m.starts_with("attachments/"))
            .count(),
        namespaces: namespaces.len(),
        redactions: manifest.redactions,
        errors: manifest.errors.into_iter().map(for_terminal).collect(),
        notes: notes
            .into_inner()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|n| terminal::safe(n).into_owned())
            .collect(),
        reachable: reachable.into_inner(),
        cluster: ClusterInfo {
            context: cluster
                .context
                .as_deref()
                .map(|s| terminal::safe(s).into_owned()),
            server: cluster
                .server
                .as_deref()
                .map(|s| terminal::safe(s).into_owned()),
            version: cluster
                .version
                .as_deref()
                .map(|s| terminal::safe(s).into_owned()),
        },
        elapsed: started.elapsed(),
    })
}

/// A step error as the summary shows it on a terminal: kubectl's stderr and server messages
/// with their control characters made visible (the manifest keeps them as they were).
fn for_terminal(e: StepError) -> StepError {
    StepError {
        step: terminal::safe(&e.step).into_owned(),
        command: terminal::safe(&e.command).into_owned(),
        stderr: terminal::safe(&e.stderr).into_owned(),
        ..e
    }
}

/// One collection step.
#[derive(Debug, Clone)]
enum Step {
    /// `kubectl get nodes`.
    Nodes,
    /// `kubectl get nodenetworkconfigs.acn.azure.com -A`.
    Nnc,
    /// A namespaced list, for one namespace or (None) all of them at once.
    List(NamespacedKind, Option<String>),
    /// A cluster-scoped list.
    Cluster(ClusterKind),
    /// One kube-system ConfigMap, by name.
    ConfigMap(&'static str),
    /// One container log.
    Log(LogTarget),
    /// IPAM counts of one node through a debug pod.
    Ipam(String),
    /// Node logs of one node through a debug pod.
    NodeLogs(String),
}

impl Step {
    fn label(&self) -> String {
        match self {
            Step::Nodes => "nodes".into(),
            Step::Nnc => "nnc".into(),
            Step::List(kind, None) => short(kind).to_string(),
            Step::List(kind, Some(ns)) => format!("{}/{ns}", short(kind)),
            Step::Cluster(kind) => kind.file.trim_end_matches(".json").into(),
            Step::ConfigMap(name) => format!("configmaps/{CONFIG_MAP_NAMESPACE}/{name}"),
            Step::Log(t) => format!(
                "logs/{}/{}/{}{}",
                t.namespace,
                t.pod,
                t.container,
                if t.previous { ".previous" } else { "" }
            ),
            Step::Ipam(node) => format!("ipam/{node}"),
            Step::NodeLogs(node) => format!("nodelogs/{node}"),
        }
    }
}

/// `networkpolicies.networking.k8s.io` → `networkpolicies`.
fn short(kind: &NamespacedKind) -> &'static str {
    kind.file.trim_end_matches(".json")
}

/// Shared state of one collection.
struct Run<'a> {
    opts: &'a Options,
    kubectl: Kubectl,
    staging: Staging,
    errors: Mutex<Vec<StepError>>,
    notes: Mutex<Vec<String>>,
    fatal: Mutex<Option<CollectError>>,
    redactions: AtomicU64,
    /// The total container log budget.
    log_budget: LogBudget,
    /// Bytes of container logs written.
    logs_written: AtomicU64,
    /// Pods lists not yet answered; logs are fetched once all are, most urgent first.
    pending_pod_lists: AtomicUsize,
    /// Logs due, with their priority, gathered from the pods lists.
    log_queue: Mutex<Vec<(Priority, LogTarget)>>,
    /// Logs the budget could not pay for, and logs it cut short.
    skipped_logs: Mutex<Vec<String>>,
    cut_logs: Mutex<Vec<String>>,
    /// Frame marker nonce of the node-logs debug pods.
    nonce: String,
    /// Namespaces seen in any all-namespaces list.
    seen_namespaces: Mutex<BTreeSet<String>>,
    /// Kinds listed successfully across all namespaces.
    listed_kinds: Mutex<Vec<NamespacedKind>>,
    /// Resources found not served, each noted once.
    unserved: Mutex<BTreeSet<&'static str>>,
    debug_pods: DebugPods,
    /// The kubeconfig context's namespace, when it names one.
    context_namespace: OnceLock<String>,
    /// Kinds listed in the context's namespace because listing them across all namespaces
    /// was forbidden; one note names them at the end.
    fallback_kinds: Mutex<BTreeSet<&'static str>>,
    progress: ProgressBar,
    /// Whether the API server answered the probe.
    reachable: AtomicBool,
}

impl<'a> Run<'a> {
    fn new(opts: &'a Options, kubectl: Kubectl) -> Result<Self, CollectError> {
        let progress = if opts.progress {
            let bar = ProgressBar::new(0);
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} collecting [{elapsed}] {pos}/{len} {wide_msg}",
            ) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        } else {
            ProgressBar::hidden()
        };
        Ok(Run {
            opts,
            kubectl,
            staging: Staging::new()?,
            errors: Mutex::default(),
            notes: Mutex::default(),
            fatal: Mutex::default(),
            redactions: AtomicU64::new(0),
            log_budget: LogBudget::new(opts.log_budget),
            logs_written: AtomicU64::new(0),
            pending_pod_lists: AtomicUsize::new(0),
            log_queue: Mutex::default(),
            skipped_logs: Mutex::default(),
            cut_logs: Mutex::default(),
            nonce: nodelogs::nonce(),
            seen_namespaces: Mutex::default(),
            listed_kinds: Mutex::default(),
            unserved: Mutex::default(),
            debug_pods: DebugPods::default(),
            context_namespace: OnceLock::new(),
            fallback_kinds: Mutex::default(),
            progress,
            reachable: AtomicBool::new(false),
        })
    }

    /// Everything up to (not including) the manifest. Returns what was learnt about the cluster.
    fn collect_into_staging(
        &self,
        attachments: &[(String, Vec<u8>)],
    ) -> Result<ClusterInfo, CollectError> {
        for (name, bytes) in attachments {
            self.write_text(&format!("attachments/{name}"), bytes);
        }
        self.progress.set_message("reading kubeconfig");
        let mut cluster = self.config_view()?;
        self.progress.set_message("probing the API server");
        let reachable = self.probe(&mut cluster);
        if !reachable || self.opts.cancel.is_cancelled() {
            return Ok(cluster);
        }
        self.progress
            .set_message("reading the server's API resources");
        let served = self.served_resources();
        let served = |resource: &str| served.as_ref().is_none_or(|s| s.contains(resource));
        // Kinds the server does not serve are noted, not asked for: a kubectl asked for an
        // unknown type throws its discovery cache away, and every kubectl started after it
        // fetches discovery again.
        let namespaced: Vec<NamespacedKind> = NAMESPACED
            .iter()
            .filter(|k| {
                served(k.resource) || {
                    self.note_unserved(k.resource, &format!("namespaces/*/{}", k.file));
                    false
                }
            })
            .copied()
            .collect();
        // Pods first: their list starts the log fetches, the longest chain.
        let mut steps = vec![Step::Nodes];
        if served(NNC_RESOURCE) {
            steps.push(Step::Nnc);
        } else {
            self.note_no_nnc();
        }
        if self.opts.all_namespaces() {
            steps.extend(namespaced.iter().map(|k| Step::List(*k, None)));
        } else {
            for ns in &self.opts.namespaces {
                steps.extend(namespaced.iter().map(|k| Step::List(*k, Some(ns.clone()))));
            }
        }
        for kind in CLUSTER {
            if served(kind.resource) {
                steps.push(Step::Cluster(*kind));
            } else {
                self.note_unserved(kind.resource, &format!("cluster/{}", kind.file));
            }
        }
        // The DNS and autoscaler ConfigMaps live in kube-system: read them when it is one of
        // the namespaces collected.
        if self.opts.all_namespaces()
            || self
                .opts
                .namespaces
                .iter()
                .any(|ns| ns == CONFIG_MAP_NAMESPACE)
        {
            steps.extend(CONFIG_MAPS.iter().copied().map(Step::ConfigMap));
        }
        let pod_lists = steps
            .iter()
            .filter(|s| matches!(s, Step::List(k, _) if k.resource == "pods"))
            .count();
        self.pending_pod_lists.store(pod_lists, Ordering::SeqCst);
        self.progress.set_length(steps.len() as u64);
        pool::run(
            self.opts.parallelism,
            steps,
            |step| {
                if self.opts.cancel.is_cancelled() {
                    return Vec::new();
                }
                self.progress
                    .set_message(terminal::safe(&step.label()).into_owned());
                self.execute(step)
            },
            |more| {
                self.progress.inc_length(more as u64);
                self.progress.inc(1);
            },
        );
        self.write_empty_lists();
        let skipped = self
            .skipped_logs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len();
        if skipped > 0 {
            self.note(format!(
                "{skipped} container logs left out: the log budget (--log-budget, {} bytes) was spent on more urgent ones first; manifest.json lists them (logs.skipped)",
                self.opts.log_budget
            ));
        }
        self.note_fallbacks();
        Ok(cluster)
    }

    /// `kubectl config view --minify -o json`: the context and server address, known even
    /// when the server is not reachable.
    fn config_view(&self) -> Result<ClusterInfo, CollectError> {
        let args = args(&["config", "view", "--minify", "-o", "json"]);
        let mut cluster = ClusterInfo {
            context: self.opts.context.clone(),
            ..ClusterInfo::default()
        };
        match self.kubectl.run(&args, self.opts.probe_timeout) {
            Ok(out) => match serde_json::from_slice::<Value>(&out) {
                Ok(config) => {
                    if cluster.context.is_none() {
                        cluster.context = config["current-context"]
                            .as_str()
                            .filter(|c| !c.is_empty())
                            .map(String::from);
                    }
                    cluster.server = config["clusters"][0]["cluster"]["server"]
                        .as_str()
                        .map(String::from);
                    if let Some(ns) = config["contexts"][0]["context"]["namespace"]
                        .as_str()
                        .filter(|ns| !ns.is_empty())
                    {
                        let _ = self.context_namespace.set(ns.to_string());
                    }
                }
                Err(e) => self.record_garbage("config", &args, &e),
            },
            Err(RunError::Spawn { program, source }) => {
                return Err(CollectError::KubectlNotRunnable { program, source })
            }
            Err(e) => self.record("config", &args, &e),
        }
        Ok(cluster)
    }

    /// `kubectl version -o json` with the short probe timeout. Writes `cluster/version.json`
    /// and returns whether to go on: a silent or unreachable server, or a credential plugin
    /// waiting for an interactive sign-in, ends the collection here instead of timing out
    /// every later call.
    fn probe(&self, cluster: &mut ClusterInfo) -> bool {
        let args = args(&["version", "-o", "json"]);
        let (stdout, reachable) = match self.kubectl.run(&args, self.opts.probe_timeout) {
            Ok(out) => (out, true),
            Err(e) => {
                self.record("version", &args, &e);
                if e.needs_login() {
                    self.note(
                        "kubectl was waiting for an interactive sign-in (Entra ID device code); sign in first (for example `kubectl get nodes`), then run collect again".into(),
                    );
                }
                let reachable =
                    !e.is_unreachable() && !e.needs_login() && !matches!(e, RunError::Cancelled);
                match e {
                    RunError::Failed { stdout, .. } => (stdout, reachable),
                    _ => (Vec::new(), reachable),
                }
            }
        };
        if !stdout.is_empty() {
            match serde_json::from_slice::<Value>(&stdout) {
                Ok(mut version) => {
                    cluster.version = version["serverVersion"]["gitVersion"]
                        .as_str()
                        .map(String::from);
                    self.write_json("cluster/version.json", &mut version);
                }
                Err(e) if reachable => self.record_garbage("version", &args, &e),
                Err(_) => {}
            }
        }
        self.reachable.store(reachable, Ordering::SeqCst);
        reachable
    }

    fn execute(&self, step: Step) -> Vec<Step> {
        let label = step.label();
        match step {
            Step::Nodes => {
                let args = args(&["get", "nodes", "-o", "json"]);
                let Some(mut nodes) = self.get_list(&label, &args) else {
                    return Vec::new();
                };
                let mut ipam_steps = Vec::new();
                if self.opts.node_logs {
                    for node in items(&nodes) {
                        match nodelogs::skip_reason(node) {
                            Some(reason) => self.note(reason),
                            None => ipam_steps.extend(
                                node["metadata"]["name"]
                                    .as_str()
                                    .map(|n| Step::NodeLogs(n.to_string())),
                            ),
                        }
                    }
                }
                if self.opts.node_ipam {
                    for node in items(&nodes) {
                        match ipam::skip_reason(node) {
                            Some(reason) => self.note(reason),
                            None => ipam_steps.extend(
                                node["metadata"]["name"]
                                    .as_str()
                                    .map(|n| Step::Ipam(n.to_string())),
                            ),
                        }
                    }
                }
                self.write_json("cluster/nodes.json", &mut nodes);
                ipam_steps
            }
            Step::Nnc => {
                let args = args(&["get", NNC_RESOURCE, "-A", "-o", "json"]);
                match self.kubectl.run(&args, self.opts.request_timeout) {
                    Ok(out) => {
                        if let Some(mut list) = self.parse_list(&label, &args, &out) {
                            self.write_json("cluster/nnc.json", &mut list);
                        }
                    }
                    Err(RunError::Failed { ref stderr, .. })
                        if stderr.contains("doesn't have a resource type") =>
                    {
                        self.note_no_nnc();
                    }
                    Err(e) => self.record(&label, &args, &e),
                }
                Vec::new()
            }
            Step::List(kind, namespace) => {
                let mut more = self.list(&label, kind, namespace);
                if kind.resource == "pods" {
                    // A refused all-namespaces list comes back as a list of one namespace.
                    let again = more
                        .iter()
                        .filter(|s| matches!(s, Step::List(k, _) if k.resource == "pods"))
                        .count();
                    self.pending_pod_lists.fetch_add(again, Ordering::SeqCst);
                    if self.pending_pod_lists.fetch_sub(1, Ordering::SeqCst) == 1 {
                        more.extend(self.due_logs());
                    }
                }
                more
            }
            Step::Cluster(kind) => {
                let args = args(&["get", kind.resource, "-o", "json"]);
                match self.kubectl.run(&args, self.opts.request_timeout) {
                    Ok(out) => {
                        if let Some(mut list) = self.parse_list(&label, &args, &out) {
                            self.write_json(&format!("cluster/{}", kind.file), &mut list);
                        }
                    }
                    Err(e) if e.is_not_served() => {
                        self.note_unserved(kind.resource, &format!("cluster/{}", kind.file))
                    }
                    Err(e) => self.record(&label, &args, &e),
                }
                Vec::new()
            }
            Step::ConfigMap(name) => {
                self.config_map(&label, name);
                Vec::new()
            }
            Step::Log(target) => {
                self.fetch_log(&label, &target);
                Vec::new()
            }
            Step::NodeLogs(node) => {
                self.node_logs(&label, &node);
                Vec::new()
            }
            Step::Ipam(node) => {
                let args = ipam::debug_args(&node, &self.opts.debug_image);
                match ipam::debug_node(
                    &self.kubectl,
                    &node,
                    &self.opts.debug_image,
                    self.opts.request_timeout,
                    &self.debug_pods,
                ) {
                    Ok(report) => match serde_json::to_value(&report) {
                        Ok(mut value) => self.write_json(
                            &format!("nodes/{}/ipam.json", safe_component(&node)),
                            &mut value,
                        ),
                        Err(e) => self.record_garbage(&label, &args, &e),
                    },
                    Err(IpamError::Kubectl(e)) => self.record(&label, &args, &e),
                    Err(e) => self.push_error(&label, &args, 1, e.to_string()),
                }
                Vec::new()
            }
        }
    }

    /// One namespaced list. Across all namespaces, the answer is split into one file per
    /// namespace, each the `List` kubectl would print for `-n <ns>`. Pods lists yield the
    /// log steps.
    fn list(&self, label: &str, kind: NamespacedKind, namespace: Option<String>) -> Vec<Step> {
        let scope = match &namespace {
            Some(ns) => vec!["--namespace", ns.as_str()],
            None => vec!["--all-namespaces"],
        };
        let command = args(&[&["get", kind.resource][..], &scope, &["-o", "json"]].concat());
        let list = match self.kubectl.run(&command, self.opts.request_timeout) {
            Ok(out) => self.parse_list(label, &command, &out),
            Err(e) if e.is_not_served() => {
                self.note_unserved(kind.resource, &format!("namespaces/*/{}", kind.file));
                None
            }
            Err(e) => {
                self.record(label, &command, &e);
                if namespace.is_none() && e.is_cluster_scope_forbidden() {
                    // Namespace-scoped RBAC: fall back to the context's own namespace.
                    return vec![Step::List(kind, Some(self.home_namespace(kind)))];
                }
                None
            }
        };
        let Some(list) = list else {
            return Vec::new();
        };
        if kind.resource == "pods" {
            self.queue_logs(&list);
        }
        let follow_ups = Vec::new();
        match namespace {
            Some(ns) => {
                let mut list = list;
                self.write_json(
                    &format!("namespaces/{}/{}", safe_component(&ns), kind.file),
                    &mut list,
                );
            }
            None => {
                let mut by_ns: BTreeMap<String, Vec<Value>> = BTreeMap::new();
                let mut list = list;
                let all = match list.get_mut("items").map(Value::take) {
                    Some(Value::Array(all)) => all,
                    _ => Vec::new(),
                };
                for item in all {
                    let ns = item["metadata"]["namespace"]
                        .as_str()
                        .unwrap_or("default")
                        .to_string();
                    by_ns.entry(ns).or_default().push(item);
                }
                {
                    let mut seen = self
                        .seen_namespaces
                        .lock()
                        .unwrap_or_else(|p| p.into_inner());
                    seen.extend(by_ns.keys().cloned());
                }
                for (ns, items) in by_ns {
                    let mut part = list.clone();
                    part["items"] = Value::Array(items);
                    self.write_json(
                        &format!("namespaces/{}/{}", safe_component(&ns), kind.file),
                        &mut part,
                    );
                }
                self.listed_kinds
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(kind);
            }
        }
        follow_ups
    }

    /// One ConfigMap by name (`kubectl get configmap <name> -n kube-system -o json`), written
    /// as the single object kubectl prints. A ConfigMap that does not exist (no
    /// `coredns-custom` customisation, no cluster autoscaler) is a note, not an error.
    fn config_map(&self, label: &str, name: &str) {
        let rel = format!(
            "namespaces/{CONFIG_MAP_NAMESPACE}/configmaps/{}.json",
            safe_component(name)
        );
        let command = args(&[
            "get",
            "configmap",
            name,
            "--namespace",
            CONFIG_MAP_NAMESPACE,
            "-o",
            "json",
        ]);
        match self.kubectl.run(&command, self.opts.request_timeout) {
            Ok(out) => match serde_json::from_slice::<Value>(&out) {
                Ok(mut object) if object["kind"] == "ConfigMap" => {
                    self.write_json(&rel, &mut object)
                }
                Ok(_) => self.push_error(
                    label,
                    &command,
                    0,
                    "kubectl printed JSON that is not a ConfigMap".into(),
                ),
                Err(e) => self.record_garbage(label, &command, &e),
            },
            Err(e) if e.is_not_found() => self.note(format!(
                "no ConfigMap {CONFIG_MAP_NAMESPACE}/{name} in the cluster; {rel} left out"
            )),
            Err(e) => self.record(label, &command, &e),
        }
    }

    /// `kubectl api-resources -o name`: the resources the server serves, group-qualified as
    /// in [`NAMESPACED`] and [`CLUSTER`]. It also leaves a fresh discovery cache for every
    /// kubectl after it. None, and every kind is tried, when kubectl failed or printed
    /// nothing; a partial answer (an aggregated API such as metrics.k8s.io down: kubectl
    /// prints what it could read and exits 1) is recorded as a step error, which is
    /// evidence in itself, and not trusted to say what is missing.
    fn served_resources(&self) -> Option<BTreeSet<String>> {
        let args = args(&["api-resources", "-o", "name"]);
        match self.kubectl.run(&args, self.opts.request_timeout) {
            Ok(out) => {
                let names: BTreeSet<String> = String::from_utf8_lossy(&out)
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(String::from)
                    .collect();
                (!names.is_empty()).then_some(names)
            }
            Err(e) => {
                self.record("api-resources", &args, &e);
                None
            }
        }
    }

    fn note_no_nnc(&self) {
        self.note(format!(
            "no NodeNetworkConfig CRD ({NNC_RESOURCE}): the cluster does not use Azure CNI dynamic IP allocation; cluster/nnc.json left out"
        ));
    }

    /// Notes, once per resource, that the server does not serve it.
    fn note_unserved(&self, resource: &'static str, files: &str) {
        let first = self
            .unserved
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(resource);
        if first {
            self.note(format!(
                "the server does not serve {resource} (an older Kubernetes, an API not enabled, or an add-on not installed); {files} left out"
            ));
        }
    }

    /// The namespace to fall back to when listing a kind across all namespaces is
    /// forbidden: the context's namespace, else `default`, as kubectl itself would use.
    /// The kinds are noted together once the collection is over.
    fn home_namespace(&self, kind: NamespacedKind) -> String {
        self.fallback_kinds
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(short(&kind));
        self.fallback_namespace()
    }

    fn fallback_namespace(&self) -> String {
        self.context_namespace
            .get()
            .cloned()
            .unwrap_or_else(|| "default".into())
    }

    /// One note for every kind that fell back to the context's namespace.
    fn note_fallbacks(&self) {
        let kinds = self
            .fallback_kinds
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .copied()
            .collect::<Vec<_>>();
        if kinds.is_empty() {
            return;
        }
        let ns = self.fallback_namespace();
        let note = if kinds.len() == NAMESPACED.len() {
            format!("listing all namespaces is forbidden for you; collected namespace {ns} only (name the namespaces you may read with -n)")
        } else {
            format!(
                "listing {} across all namespaces is forbidden for you; collected namespace {ns} only for those (name the namespaces you may read with -n)",
                kinds.join(", ")
            )
        };
        self.note(note);
    }

    /// Queues the logs of every container of a pods list, with the priority of its pod.
    fn queue_logs(&self, pods: &Value) {
        let mut queue = self.log_queue.lock().unwrap_or_else(|p| p.into_inner());
        for pod in items(pods) {
            let priority = logs::priority(pod);
            queue.extend(plan::log_targets(pod).into_iter().map(|t| (priority, t)));
        }
    }

    /// Once every pods list is in: the queued logs as steps, unhealthy pods first, then
    /// add-ons, then the rest, each group in namespace/pod order (containers in pod order,
    /// current before previous). The pool starts them in this order, and each reserves its
    /// share of the budget when it starts, so the urgent ones are paid first.
    fn due_logs(&self) -> Vec<Step> {
        let mut queue =
            std::mem::take(&mut *self.log_queue.lock().unwrap_or_else(|p| p.into_inner()));
        queue.sort_by(|(pa, a), (pb, b)| {
            (pa, &a.namespace, &a.pod).cmp(&(pb, &b.namespace, &b.pod))
        });
        queue.into_iter().map(|(_, t)| Step::Log(t)).collect()
    }

    /// What the manifest says about container logs.
    fn logs_report(&self) -> LogsReport {
        LogsReport {
            max_lines: self.opts.max_log_lines,
            max_bytes: self.opts.max_log_bytes,
            budget: self.opts.log_budget,
            written: self.logs_written.load(Ordering::SeqCst),
            skipped: self
                .skipped_logs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
            cut: self
                .cut_logs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        }
    }

    /// Node logs of one node through a debug pod, into `nodes/<node>/`.
    fn node_logs(&self, label: &str, node: &str) {
        let bounds = nodelogs::Bounds {
            lines: self.opts.max_log_lines,
            bytes: self.opts.max_log_bytes,
        };
        let args = ipam::debug_script_args(
            node,
            &self.opts.debug_image,
            &nodelogs::debug_script(bounds, &self.nonce),
        );
        match nodelogs::debug_node_logs(
            &self.kubectl,
            node,
            &self.opts.debug_image,
            self.opts.request_timeout,
            &self.debug_pods,
            bounds,
            &self.nonce,
        ) {
            Ok(found) => {
                let dir = format!("nodes/{}", safe_component(node));
                for (name, bytes) in &found.texts {
                    self.write_text(&format!("{dir}/{name}"), bytes);
                }
                for (name, mut value) in found.json_files() {
                    self.write_json(&format!("{dir}/{name}"), &mut value);
                }
            }
            Err(IpamError::Kubectl(e)) => self.record(label, &args, &e),
            Err(e) => self.push_error(label, &args, 1, e.to_string()),
        }
    }

    /// Namespaces that showed up in some all-namespaces list but had no objects of another
    /// kind get an empty list for it: "none", which the analyzer must not read as "not
    /// collected".
    fn write_empty_lists(&self) {
        let seen = self
            .seen_namespaces
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let kinds = self.listed_kinds.lock().unwrap_or_else(|p| p.into_inner());
        for kind in kinds.iter() {
            for ns in seen.iter() {
                let rel = format!("namespaces/{}/{}", safe_component(ns), kind.file);
                if !self.staging.contains(&rel) {
                    let mut empty = serde_json::json!({
                        "apiVersion": "v1",
                        "items": [],
                        "kind": "List",
                        "metadata": {"resourceVersion": ""}
                    });
                    self.write_json(&rel, &mut empty);
                }
            }
        }
    }

    /// Runs a `kubectl get ... -o json` and returns the List, or records why not.
    fn get_list(&self, label: &str, args: &[String]) -> Option<Value> {
        match self.kubectl.run(args, self.opts.request_timeout) {
            Ok(out) => self.parse_list(label, args, &out),
            Err(e) => {
                self.record(label, args, &e);
                None
            }
        }
    }

    /// Parses kubectl's output as a List; anything else is recorded as a step error.
    fn parse_list(&self, label: &str, args: &[String], out: &[u8]) -> Option<Value> {
        match serde_json::from_slice::<Value>(out) {
            Ok(list) if list["items"].is_array() => Some(list),
            Ok(_) => {
                self.push_error(
                    label,
                    args,
                    0,
                    "kubectl printed JSON that is not a List with items".into(),
                );
                None
            }
            Err(e) => {
                self.record_garbage(label, args, &e);
                None
            }
        }
    }

    fn write_json(&self, rel: &str, value: &mut Value) {
        let n = redact::redact_json(value);
        self.redactions.fetch_add(n, Ordering::SeqCst);
        match to_kubectl_json(value) {
            Ok(bytes) => self.write(rel, &bytes),
            Err(e) => self.fail(CollectError::write(rel, e)),
        }
    }

    /// One container log, paid from the budget: its share is reserved before the fetch and
    /// settled with what was written; when nothing is left the log is listed as skipped.
    fn fetch_log(&self, label: &str, target: &LogTarget) {
        let rel = target.bundle_path();
        let Some(reserved) = self.log_budget.reserve(self.opts.max_log_bytes) else {
            self.skipped_logs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(rel);
            return;
        };
        let (written, dropped) = self.stream_log(label, target, reserved);
        self.logs_written.fetch_add(written, Ordering::SeqCst);
        // A log cut by a share smaller than a whole log's used the budget's last bytes:
        // the share counts as spent even when the tail kept less (it starts at a line), so
        // the logs after it are skipped rather than cut to nothing one by one.
        let cut = dropped && reserved < self.opts.max_log_bytes;
        self.log_budget
            .settle(reserved, if cut { reserved } else { written });
        if cut {
            self.cut_logs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(rel);
        }
    }

    /// The tail of one container log: kubectl is asked for the last `--max-log-lines` lines
    /// (`--tail`), and at most four times `--max-log-bytes` of them (`--limit-bytes`, also
    /// enforced here: a server or kubectl that ignores it is killed at the cap); the last
    /// `keep` bytes of that, from a line start, go through the redactor into the bundle.
    /// Returns the bytes written and whether the front of the tail was dropped.
    fn stream_log(&self, label: &str, target: &LogTarget, keep: u64) -> (u64, bool) {
        let transfer = self
            .opts
            .max_log_bytes
            .saturating_mul(logs::TRANSFER_FACTOR);
        let args = plan::log_args(
            target,
            self.opts.since.as_str(),
            self.opts.max_log_lines,
            transfer,
        );
        let rel = target.bundle_path();
        let mut tail = TailBuffer::new(keep);
        let streamed =
            match self
                .kubectl
                .stream(&args, self.opts.request_timeout, transfer, &mut tail)
            {
                Ok(streamed) => streamed,
                Err(e) => {
                    self.fail(CollectError::write(&rel, e));
                    return (0, false);
                }
            };
        let dropped = tail.dropped();
        let bytes = tail.into_tail();
        if let Some(e) = &streamed.error {
            self.record(label, &args, e);
            if bytes.is_empty() {
                return (0, dropped);
            }
        }
        if streamed.truncated {
            self.note(format!(
                "{rel}: its last {} lines hold more than {transfer} bytes; kubectl was stopped there and the last {keep} bytes of what it sent were kept",
                self.opts.max_log_lines
            ));
        }
        let cut_off = streamed.truncated || streamed.error.is_some();
        let file = match self.staging.create(&rel) {
            Ok(file) => file,
            Err(e) => {
                self.fail(e);
                return (0, dropped);
            }
        };
        let mut writer = redact::RedactingWriter::new(std::io::BufWriter::new(file));
        let finished = writer
            .write_all(&bytes)
            .and_then(|()| writer.finish(cut_off))
            .and_then(|(buffered, n)| {
                let file = buffered.into_inner().map_err(|e| e.into_error())?;
                Ok((file.metadata()?.len(), n))
            });
        match finished {
            Ok((len, n)) => {
                self.redactions.fetch_add(n, Ordering::SeqCst);
                (len, dropped)
            }
            Err(e) => {
                self.fail(CollectError::write(&rel, e));
                (0, dropped)
            }
        }
    }

    fn write_text(&self, rel: &str, bytes: &[u8]) {
        let (text, n) = redact::redact_text(bytes);
        self.redactions.fetch_add(n, Ordering::SeqCst);
        self.write(rel, &text);
    }

    fn write(&self, rel: &str, bytes: &[u8]) {
        if let Err(e) = self.staging.write(rel, bytes) {
            self.fail(e);
        }
    }

    /// A write failure (disk full, ...) stops the collection: remember the first one.
    fn fail(&self, e: CollectError) {
        let mut fatal = self.fatal.lock().unwrap_or_else(|p| p.into_inner());
        if fatal.is_none() {
            *fatal = Some(e);
        }
        self.opts.cancel.cancel();
    }

    fn note(&self, note: String) {
        self.notes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(note);
    }

    fn record(&self, label: &str, args: &[String], err: &RunError) {
        if matches!(err, RunError::Cancelled) {
            return;
        }
        self.push_error(label, args, err.exit_code(), err.stderr());
    }

    fn record_garbage(&self, label: &str, args: &[String], err: &serde_json::Error) {
        self.push_error(
            label,
            args,
            0,
            format!("kubectl printed output that is not valid JSON: {err}"),
        );
    }

    fn push_error(&self, label: &str, args: &[String], exit_code: i32, stderr: String) {
        let (stderr, n) = redact::redact_str(&stderr);
        self.redactions.fetch_add(n, Ordering::SeqCst);
        let display = self.kubectl.display(args);
        let (command, n) = redact::redact_str(&display);
        self.redactions.fetch_add(n, Ordering::SeqCst);
        self.errors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(StepError {
                step: label.to_string(),
                command: command.into_owned(),
                exit_code,
                stderr: stderr.trim_end().to_string(),
                at: clock::now_rfc3339(),
            });
    }
}

fn items(list: &Value) -> impl Iterator<Item = &Value> {
    list["items"].as_array().into_iter().flatten()
}

/// JSON indented by four spaces, as `kubectl get -o json` prints it.
fn to_kubectl_json(value: &Value) -> std::io::Result<Vec<u8>> {
    use serde::Serialize;
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    value.serialize(&mut ser).map_err(std::io::Error::from)?;
    out.push(b'\n');
    Ok(out)
}

/// Reads `--attach` files; names are made unique and safe.
fn read_attachments(paths: &[PathBuf]) -> Result<Vec<(String, Vec<u8>)>, CollectError> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    for path in paths {
        let err = |source| CollectError::Attachment {
            path: path.clone(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(err)?;
        if !meta.is_file() {
            return Err(err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a regular file",
            )));
        }
        if meta.len() > MAX_ATTACHMENT_BYTES {
            return Err(err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("larger than {MAX_ATTACHMENT_BYTES} bytes"),
            )));
        }
        let bytes = std::fs::read(path).map_err(err)?;
        let base = safe_component(
            &path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "attachment".into()),
        );
        let mut name = base.clone();
        let mut n = 2;
        while out.iter().any(|(existing, _)| existing == &name) {
            name = format!("{n}-{base}");
            n += 1;
        }
        out.push((name, bytes));
    }
    Ok(out)
}

/// The directory the bundle will be written to must exist.
fn check_destination(output: Option<&Path>) -> Result<(), CollectError> {
    let dir = match output {
        Some(p) if p.is_dir() => return Ok(()),
        Some(p) => p.parent().filter(|d| !d.as_os_str().is_empty()),
        None => None,
    };
    match dir {
        Some(d) if !d.is_dir() => Err(CollectError::InvalidOption {
            option: "output",
            reason: format!("directory {} does not exist", d.display()),
        }),
        _ => Ok(()),
    }
}

/// The archive path and its root folder: `aksbundle-<context>-<YYYYMMDDTHHMMSSZ>`, in the
/// current directory, in `output` when it is a directory, or `output` itself.
fn output_path(output: Option<&Path>, context: &str, at: &Utc) -> (PathBuf, String) {
    let context: String = context
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let default_root = format!("aksbundle-{context}-{}", at.compact());
    let default_file = format!("{default_root}.tar.gz");
    match output {
        None => (PathBuf::from(default_file), default_root),
        Some(dir) if dir.is_dir() => (dir.join(default_file), default_root),
        Some(file) => {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let stem = name
                .strip_suffix(".tar.gz")
                .or_else(|| name.strip_suffix(".tgz"))
                .filter(|s| !s.is_empty())
                .map(String::from)
                .unwrap_or(default_root);
            (file.to_path_buf(), stem)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn at() -> Utc {
        Utc::from_system(UNIX_EPOCH + Duration::from_secs(1_795_320_000))
    }

    #[test]
    fn default_output_name_carries_context_and_time() {
        let (path, root) = output_path(None, "prod/westeu", &at());
        assert_eq!(
            path,
            PathBuf::from("aksbundle-prod-westeu-20261122T040000Z.tar.gz")
        );
        assert_eq!(root, "aksbundle-prod-westeu-20261122T040000Z");
        let dir = tempfile::tempdir().unwrap();
        let (path, _) = output_path(Some(dir.path()), "c", &at());
        assert_eq!(path, dir.path().join("aksbundle-c-20261122T040000Z.tar.gz"));
        let (path, root) = output_path(Some(Path::new("/x/ticket-123.tgz")), "c", &at());
        assert_eq!(path, PathBuf::from("/x/ticket-123.tgz"));
        assert_eq!(root, "ticket-123");
    }

    #[test]
    fn a_missing_destination_directory_is_refused_up_front() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_destination(None).is_ok());
        assert!(check_destination(Some(dir.path())).is_ok());
        assert!(check_destination(Some(&dir.path().join("b.tar.gz"))).is_ok());
        assert!(check_destination(Some(Path::new("b.tar.gz"))).is_ok());
        assert!(matches!(
            check_destination(Some(&dir.path().join("missing/b.tar.gz"))),
            Err(CollectError::InvalidOption {
                option: "output",
                ..
            })
        ));
    }

    #[test]
    fn kubectl_json_uses_four_space_indent() {
        let v = serde_json::json!({"items": [], "kind": "List"});
        assert_eq!(
            String::from_utf8(to_kubectl_json(&v).unwrap()).unwrap(),
            "{\n    \"items\": [],\n    \"kind\": \"List\"\n}\n"
        );
    }

    #[test]
    fn attachments_are_checked_and_named_uniquely() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("az.txt");
        std::fs::write(&a, "x").unwrap();
        let got = read_attachments(&[a.clone(), a.clone()]).unwrap();
        assert_eq!(got[0].0, "az.txt");
        assert_eq!(got[1].0, "2-az.txt");
        assert!(matches!(
            read_attachments(&[dir.path().join("missing")]),
            Err(CollectError::Attachment { .. })
        ));
    }
}
