//! Text a person pasted into a ticket (`attachments/`), given a light structure so the
//! rules that read events, container states and logs can read it too:
//!
//! - a `kubectl describe` block (from a column-0 `Name:` line followed by `Namespace:` or
//!   the fields of a cluster-scoped object): its object, and for a pod its labels, node,
//!   CSI drivers and container states; for a node its `Conditions:` table; for a Service
//!   its selector and `Endpoints:`; its `Events:` table as events of that object;
//! - a `kubectl get nodes` table: each node and its STATUS;
//! - a `kubectl get nnc` table (CNS's printer columns): each node's requested and allocated
//!   IPs, subnet and mode;
//! - a `kubectl get events` table (`LAST SEEN  TYPE  REASON  OBJECT  MESSAGE`, older
//!   generations' `LASTSEEN FIRSTSEEN COUNT NAME KIND ...`): events of the objects it names;
//! - a `kubectl logs` paste: the command line, then that pod's log lines;
//! - az CLI and ARM errors (`ERROR: (Code) Message`, `Code:`/`Message:` lines, the
//!   `{"error": {"code": ..., "message": ...}}` JSON over several lines), joined into one
//!   logical line `(Code) Message`;
//! - every other line, loose: text that names no object.
//!
//! The parser never fails: text it does not recognise stays loose.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::model::{
    ContainerState, ContainerStatus, CsiVolume, Event, EventSource, ObjectMeta, ObjectReference,
    Pod, StateDetail, Volume,
};

/// Lines of loose text kept per attachment (beyond that, a paste is a log dump and the
/// streaming scan has read it).
const MAX_LOOSE_LINES: usize = 20_000;
/// Bytes of one line kept.
const MAX_LINE_BYTES: usize = 8 * 1024;

/// One attachment, structured.
#[derive(Debug, Clone, Default)]
pub struct Paste {
    /// Path in the bundle.
    pub file: String,
    /// The node a file collected from a node is of (`nodes/<node>/kubelet.log`): its
    /// loose lines are about that node rather than about no object.
    pub node: Option<String>,
    /// Objects a `kubectl describe` block describes.
    pub objects: Vec<PastedObject>,
    /// Events from `Events:` tables of describe blocks and `kubectl get events` tables,
    /// with the line they start on.
    pub events: Vec<(u64, Event)>,
    /// Log text: a `kubectl logs` paste names its pod; loose text names none.
    pub logs: Vec<PastedLog>,
    /// az CLI and ARM errors joined into one line `(Code) Message`.
    pub cli_errors: Vec<CliError>,
    /// Rows of a `kubectl get nnc` table: line, the row, and the NodeNetworkConfig it shows.
    pub nncs: Vec<(u64, String, crate::model::NodeNetworkConfig)>,
    /// Lines the terminal wrapped at its width, and the line they were read as.
    pub wrapped: Vec<(std::ops::RangeInclusive<u64>, String)>,
    /// `docker pull <image>` (crictl, ctr, nerdctl, podman) command lines: line and image.
    pub pulls: Vec<(u64, String)>,
}

impl Paste {
    /// The image of the pull command at most a few lines above `line`: the error printed
    /// under a `docker pull` names no image itself.
    pub fn pulled_above(&self, line: u64) -> Option<&str> {
        self.pulls
            .iter()
            .rev()
            .find(|(n, _)| *n <= line && line - n <= 4)
            .map(|(_, image)| image.as_str())
    }
}

/// An object a pasted `kubectl describe` block describes, or a `kubectl get nodes` row.
#[derive(Debug, Clone, Default)]
pub struct PastedObject {
    /// `Pod`, `Node`, `Service`, `PersistentVolumeClaim` ...
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    /// Line of its `Name:`.
    pub line: u64,
    /// For a pod, what the paste says of it (labels, node, CSI volumes, container states).
    pub pod: Option<Pod>,
    /// For a pod, the line of each container's `State:`.
    pub state_lines: BTreeMap<String, u64>,
    /// For a node, what the paste says of its readiness.
    pub node: Option<PastedNode>,
    /// For a Service, its selector and endpoints.
    pub service: Option<PastedService>,
}

/// A node's readiness as `kubectl describe node` (its `Conditions:` table) or `kubectl get
/// nodes` (its STATUS column) printed it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PastedNode {
    /// The Ready condition's status (`True`, `False`, `Unknown`); from a `get nodes` table,
    /// its STATUS (`Ready`, `NotReady`, `Unknown`), which does not tell False from Unknown.
    pub ready: Option<String>,
    pub reason: Option<String>,
    pub message: Option<String>,
    /// The Ready condition's last transition and heartbeat, RFC 3339 when they parse.
    pub since: Option<String>,
    pub last_heartbeat: Option<String>,
    /// The other conditions that are True (`MemoryPressure`, `DiskPressure` ...).
    pub pressure: Vec<String>,
    /// `Unschedulable: true`, or `SchedulingDisabled` in the STATUS column.
    pub unschedulable: bool,
    /// The line the readiness is read from, and that line.
    pub line: u64,
    pub text: String,
}

impl PastedNode {
    /// Ready is not True: the condition is False or Unknown, or the table says `NotReady`
    /// or `Unknown`.
    pub fn not_ready(&self) -> bool {
        self.ready
            .as_deref()
            .is_some_and(|s| s != "True" && s != "Ready")
    }
}

/// A Service as `kubectl describe svc` printed it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PastedService {
    pub selector: crate::model::Labels,
    pub type_: Option<String>,
    /// Each port's `Endpoints:` line: its number and value (`<none>` or empty when the port
    /// has no ready address).
    pub endpoints: Vec<(u64, String)>,
}

impl PastedService {
    /// Every port's `Endpoints:` says `<none>` (kubectl lists only ready addresses).
    pub fn no_ready_endpoints(&self) -> bool {
        !self.endpoints.is_empty()
            && self
                .endpoints
                .iter()
                .all(|(_, v)| v.is_empty() || v == "<none>")
    }
}

/// Log lines of one pod (or of none).
#[derive(Debug, Clone, Default)]
pub struct PastedLog {
    /// The `-n` of the command; none when it had none (the context's namespace).
    pub namespace: Option<String>,
    pub pod: Option<String>,
    pub container: Option<String>,
    /// `(line number, text)`.
    pub lines: Vec<(u64, String)>,
}

/// An az CLI or ARM error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    pub line: u64,
    /// The line the message is on (the same line for the one-line form).
    pub message_line: u64,
    pub code: String,
    pub message: String,
}

impl CliError {
    /// The logical line the `source: attachment` matchers read.
    pub fn text(&self) -> String {
        format!("({}) {}", self.code, self.message)
    }
}

fn re(p: &str) -> Regex {
    Regex::new(p).expect("static regex")
}

/// A shell prompt: `$`, `#`, `>`, `%`, `PS C:\>`, `user@host:~$`, `[user@host dir]#`.
const PROMPT: &str =
    r"(?:PS [^>]{0,200}>\s*|[$#>%]\s*|\[?[\w.-]+@[\w.-]+(?::[^$#\s]*|\s[^\]]{0,200}\])?[$#]\s*)";
/// A shell command line running kubectl, after any prompt.
static COMMAND: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"^\s*{PROMPT}?(?:sudo\s+)?(?:kubectl(?:\.exe)?|oc|k)\s+(?P<args>.*)$"
    ))
});
/// Any other shell command line with a prompt (it ends the previous paste).
static OTHER_COMMAND: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^\s*(?:PS [^>]{0,200}>|\$|\[?[\w.-]+@[\w.-]+(?::[^$#\s]*|\s[^\]]{0,200}\])?[$#])\s*\S")
});
/// A top-level `Key:  value` field of a describe block.
static FIELD: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?P<key>[A-Z][A-Za-z0-9 /()-]{0,40}):(?:\s+(?P<value>.*?))?\s*$"));
/// An indented `Key:  value` field.
static INNER_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^(?P<indent>\s+)(?P<key>[A-Z][A-Za-z0-9 /()-]{0,40}):(?:\s+(?P<value>.*?))?\s*$")
});
/// A container heading inside `Containers:` (`  web:`).
static CONTAINER: LazyLock<Regex> =
    LazyLock::new(|| re(r"^  (?P<name>[a-z0-9]([-a-z0-9.]*[a-z0-9])?):\s*$"));
static LABEL: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s*(?P<k>[A-Za-z0-9][A-Za-z0-9./_-]*)=(?P<v>[A-Za-z0-9._-]*)\s*$"));
static AZ_ONE_LINE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^\s*(?:(?:ERROR|Error|error):\s*)?\((?P<code>[A-Za-z][A-Za-z0-9.]*)\)\s*(?P<msg>.+)$")
});
static AZ_CODE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s*(?:Error )?[Cc]ode:\s*(?P<code>[A-Za-z][A-Za-z0-9.]*)\s*$"));
static AZ_MESSAGE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s*(?:Error )?[Mm]essage:\s*(?P<msg>.+)$"));
static JSON_CODE: LazyLock<Regex> =
    LazyLock::new(|| re(r#"^\s*"code"\s*:\s*"(?P<code>[^"]+)"\s*,?\s*$"#));
static JSON_MESSAGE: LazyLock<Regex> =
    LazyLock::new(|| re(r#"^\s*"message"\s*:\s*"(?P<msg>(?:[^"\\]|\\.)*)"\s*,?\s*$"#));
/// A row of a describe node `Conditions:` table: type, status, two times (kubectl's
/// RFC 1123 form, or RFC 3339 in other printers), reason, message; spaces or tabs between.
static CONDITION: LazyLock<Regex> = LazyLock::new(|| {
    let time = r"(?:[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}|\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}\S*(?: [+-]\d{4}(?: [A-Z]+)?)?|<unknown>)";
    re(&format!(
        r"^\s+(?P<type>[A-Za-z][A-Za-z0-9]*)\s+(?P<status>True|False|Unknown)\s+(?P<hb>{time})\s+(?P<tt>{time})\s+(?P<reason>[A-Za-z][\w.-]*)(?:\s+(?P<msg>.*?))?\s*$"
    ))
});
/// The header of a `kubectl get nodes` table (any generation: `NAME STATUS AGE` of 1.5,
/// `ROLES` since 1.8, `-o wide`'s columns after `VERSION`).
static NODES_HEADER: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s*NAME\s+STATUS\s+(?:ROLES\s+)?AGE\b"));
/// A node's STATUS in `kubectl get nodes`.
static NODE_STATUS: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?P<s>Ready|NotReady|Unknown)(?P<off>,SchedulingDisabled)?$"));
/// The header of a `kubectl get nnc` table (CNS's printer columns).
static NNC_HEADER: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\s*NAME\s+REQUESTED IPS\s+ALLOCATED IPS\b"));
static LABEL_CELL: LazyLock<Regex> = LazyLock::new(|| re(r"\S+(?: \S+)*"));
/// A table cell of a row (no spaces).
static CELL: LazyLock<Regex> = LazyLock::new(|| re(r"\S+"));
/// A line that starts a record of its own: klog's, an ISO or a syslog time, logfmt, JSON, an
/// events row.
pub(crate) static RECORD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"^(?:[IWEF]\d{4} \d\d:|\[?\d{4}[-/]\d\d[-/]\d\d[T ]\d|[A-Z][a-z]{2} [ \d]?\d \d\d:\d\d:\d\d|\d\d:\d\d:\d\d|time=|level=|\{"|\[\d{4}-|(?:Normal|Warning)\s)"#,
    )
});
/// A Kubernetes object name (DNS-1123 subdomain): a table cell that is none is no row.
static DNS_NAME: LazyLock<Regex> =
    LazyLock::new(|| re(r"^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$"));
/// A pull run by hand on a node or a workstation, with any prompt.
static PULL_COMMAND: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r"^\s*{PROMPT}?(?:sudo\s+)?(?:docker|crictl|nerdctl|podman|ctr(?:\s+(?:-n|--namespace)[=\s]\S+)?\s+(?:images?|i))\s+pull\s+(?:-{{1,2}}[\w-]+(?:[=\s][^\s-]\S*)?\s+)*(?P<image>[A-Za-z0-9][\w./:@-]*)\s*$"
    ))
});
static SPLIT: LazyLock<Regex> = LazyLock::new(|| re(r"\s{2,}|\t+"));
static REASON: LazyLock<Regex> = LazyLock::new(|| re(r"^[A-Za-z][A-Za-z0-9_.-]*$"));
static TIMES: LazyLock<Regex> = LazyLock::new(|| re(r"\(x(?P<n>\d+) over"));

/// What a kubectl command line asks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Command {
    verb: String,
    kind: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
    container: Option<String>,
}

/// kubectl's value-taking flags, so a flag's value is not read as a name.
fn takes_value(flag: &str) -> bool {
    matches!(
        flag,
        "-n" | "--namespace"
            | "-c"
            | "--container"
            | "--tail"
            | "--since"
            | "--since-time"
            | "-l"
            | "--selector"
            | "--context"
            | "--kubeconfig"
            | "--cluster"
            | "--user"
            | "--limit-bytes"
            | "-o"
            | "--output"
            | "--field-selector"
            | "--sort-by"
            | "--request-timeout"
            | "--max-log-requests"
            | "--pod-running-timeout"
            | "-s"
            | "--server"
    )
}

fn parse_command(args: &str) -> Command {
    let mut cmd = Command::default();
    let mut positional = Vec::new();
    let mut words = args
        .split_whitespace()
        .take_while(|w| !matches!(*w, "|" | ">" | "2>&1" | "&&" | ";"));
    while let Some(w) = words.next() {
        let w = w.trim_matches(|c| c == '\'' || c == '"');
        if let Some((flag, value)) = w.split_once('=').filter(|(f, _)| f.starts_with('-')) {
            match flag {
                "-n" | "--namespace" => cmd.namespace = Some(value.to_string()),
                "-c" | "--container" => cmd.container = Some(value.to_string()),
                _ => {}
            }
        } else if w.starts_with('-') {
            if takes_value(w) {
                let value = words
                    .next()
                    .map(|v| v.trim_matches(|c| c == '\'' || c == '"').to_string());
                match w {
                    "-n" | "--namespace" => cmd.namespace = value,
                    "-c" | "--container" => cmd.container = value,
                    _ => {}
                }
            }
        } else {
            positional.push(w.to_string());
        }
    }
    let mut pos = positional.into_iter();
    cmd.verb = pos.next().unwrap_or_default();
    match cmd.verb.as_str() {
        "describe" | "get" => {
            if let Some(first) = pos.next() {
                match first.split_once('/') {
                    Some((k, n)) => {
                        cmd.kind = kind_of(k);
                        cmd.name = Some(n.to_string());
                    }
                    None => {
                        cmd.kind = kind_of(&first);
                        cmd.name = pos.next();
                    }
                }
            }
        }
        "logs" | "log" => {
            cmd.verb = "logs".into();
            if let Some(first) = pos.next() {
                match first.split_once('/') {
                    Some((k, n)) if kind_of(k).as_deref() == Some("Pod") => {
                        cmd.name = Some(n.to_string())
                    }
                    // `deploy/x`, `job/x`: kubectl picks a pod; which one is not known.
                    Some(_) => {}
                    None => cmd.name = Some(first),
                }
                cmd.kind = Some("Pod".into());
            }
            // The old `kubectl logs POD CONTAINER` form.
            if cmd.container.is_none() {
                cmd.container = pos.next();
            }
        }
        _ => {}
    }
    cmd
}

/// A kubectl resource word as its kind.
fn kind_of(word: &str) -> Option<String> {
    let w = word.to_ascii_lowercase();
    let w = w.split('.').next().unwrap_or("");
    Some(
        match w {
            "po" | "pod" | "pods" => "Pod",
            "no" | "node" | "nodes" => "Node",
            "svc" | "service" | "services" => "Service",
            "pvc" | "persistentvolumeclaim" | "persistentvolumeclaims" => "PersistentVolumeClaim",
            "pv" | "persistentvolume" | "persistentvolumes" => "PersistentVolume",
            "deploy" | "deployment" | "deployments" => "Deployment",
            "rs" | "replicaset" | "replicasets" => "ReplicaSet",
            "sts" | "statefulset" | "statefulsets" => "StatefulSet",
            "ds" | "daemonset" | "daemonsets" => "DaemonSet",
            "job" | "jobs" => "Job",
            "cj" | "cronjob" | "cronjobs" => "CronJob",
            "ing" | "ingress" | "ingresses" => "Ingress",
            "ev" | "event" | "events" => "Event",
            "hpa" | "horizontalpodautoscaler" | "horizontalpodautoscalers" => {
                "HorizontalPodAutoscaler"
            }
            "ns" | "namespace" | "namespaces" => "Namespace",
            "secretproviderclass" | "secretproviderclasses" => "SecretProviderClass",
            "nnc" | "nodenetworkconfig" | "nodenetworkconfigs" => "NodeNetworkConfig",
            _ => return None,
        }
        .to_string(),
    )
}

/// The kind a describe block is of, from its fields, when no command line says.
fn kind_from_fields(fields: &[String]) -> &'static str {
    let has = |k: &str| fields.iter().any(|f| f == k);
    if has("Containers") || has("Init Containers") {
        if has("Replicas") && has("StrategyType") {
            "Deployment"
        } else if has("Controlled By") || has("IP") || has("Node") || has("Status") {
            "Pod"
        } else if has("Completions") || has("Parallelism") {
            "Job"
        } else {
            "Pod"
        }
    } else if has("Roles") {
        // Only `kubectl describe node` prints `Roles:`.
        "Node"
    } else if has("Selector") && (has("Endpoints") || has("TargetPort") || has("IP Families")) {
        "Service"
    } else if has("StorageClass") && has("Access Modes") && has("Volume") {
        "PersistentVolumeClaim"
    } else if has("Reference") && has("Min replicas") {
        "HorizontalPodAutoscaler"
    } else {
        "Object"
    }
}

/// Kinds that have no namespace.
fn cluster_scoped(kind: &str) -> bool {
    matches!(
        kind,
        "Node" | "PersistentVolume" | "Namespace" | "StorageClass" | "NodeNetworkConfig"
    )
}

/// Column layout of an events table header.
#[derive(Debug, Clone)]
struct Columns {
    /// Upper-cased column names with their byte offsets.
    cols: Vec<(String, usize)>,
}

impl Columns {
    /// An events table header: it has a type, a reason and a message column.
    fn parse(line: &str) -> Option<Columns> {
        // Every line of a paste is tried as a header: rule most out without splitting.
        let has = |word: &[u8]| {
            line.as_bytes()
                .windows(word.len())
                .any(|w| w.eq_ignore_ascii_case(word))
        };
        if !(has(b"reason") && has(b"message") && has(b"type")) {
            return None;
        }
        let start = line.len() - line.trim_start().len();
        let mut cols = Vec::new();
        let mut pos = start;
        for part in SPLIT.split(line.trim()) {
            let off = line[pos..].find(part).map(|o| o + pos)?;
            cols.push((part.to_ascii_uppercase().replace(' ', ""), off));
            pos = off + part.len();
        }
        let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
        (names.contains(&"REASON") && names.contains(&"MESSAGE") && names.contains(&"TYPE"))
            .then_some(Columns { cols })
    }

    /// The cells of a row, by column name, or none when the row is no table row.
    fn row(&self, line: &str) -> Option<BTreeMap<String, String>> {
        self.by_position(line)
            .filter(|r| self.valid(r))
            .or_else(|| self.by_split(line).filter(|r| self.valid(r)))
    }

    fn valid(&self, r: &BTreeMap<String, String>) -> bool {
        r.get("TYPE")
            .is_some_and(|t| matches!(t.as_str(), "Normal" | "Warning"))
            && r.get("REASON").is_some_and(|x| REASON.is_match(x))
    }

    fn by_position(&self, line: &str) -> Option<BTreeMap<String, String>> {
        let bytes = line.as_bytes();
        let mut out = BTreeMap::new();
        for (i, (name, off)) in self.cols.iter().enumerate() {
            let cell = match self.cols.get(i + 1).map(|c| c.1) {
                Some(end) => {
                    // Aligned columns have padding before the next one; a cell running
                    // into it means the paste lost the alignment.
                    if bytes.len() > end && !bytes[end - 1].is_ascii_whitespace() {
                        return None;
                    }
                    line.get(*off..end.min(line.len()))?
                }
                None => line.get(*off..)?,
            };
            out.insert(name.clone(), cell.trim().to_string());
        }
        Some(out)
    }

    /// A row whose alignment was lost (tabs, a re-flowed paste, an empty cell): anchored
    /// on its type (`Normal`/`Warning`) and reason, the columns before them are filled left
    /// to right (empty cells are the last ones there, as kubectl prints them), the columns
    /// after them one cell each, and the message is the rest of the line.
    fn by_split(&self, line: &str) -> Option<BTreeMap<String, String>> {
        let body = line.trim();
        let mut parts: Vec<(usize, &str)> = Vec::new();
        let mut last = 0;
        for sep in SPLIT.find_iter(body) {
            parts.push((last, &body[last..sep.start()]));
            last = sep.end();
        }
        parts.push((last, &body[last..]));
        let names: Vec<&str> = self.cols.iter().map(|(n, _)| n.as_str()).collect();
        let ty = names.iter().position(|n| *n == "TYPE")?;
        let msg = names.iter().position(|n| *n == "MESSAGE")?;
        if names.get(ty + 1) != Some(&"REASON") || msg <= ty + 1 {
            return None;
        }
        let t = parts
            .iter()
            .position(|(_, p)| matches!(*p, "Normal" | "Warning"))?;
        let mut out = BTreeMap::new();
        for (name, (_, cell)) in names[..ty].iter().zip(&parts[..t]) {
            out.insert(name.to_string(), cell.to_string());
        }
        // TYPE, REASON, the cells between them and MESSAGE, then the message.
        let fixed = msg - ty;
        if parts.len() < t + fixed + 1 {
            return None;
        }
        for (k, name) in names[ty..msg].iter().enumerate() {
            out.insert(name.to_string(), parts[t + k].1.to_string());
        }
        out.insert("MESSAGE".into(), body[parts[t + fixed].0..].to_string());
        Some(out)
    }
}

/// An event of a table row. `object` is the described object, when the table is a
/// describe block's.
fn event_of(
    row: &BTreeMap<String, String>,
    object: Option<(&str, Option<&str>, &str)>,
    namespace: Option<&str>,
) -> Event {
    let get = |k: &str| {
        row.get(k)
            .filter(|v| !v.is_empty() && v.as_str() != "<unknown>")
    };
    let (kind, ns, name) = match object {
        Some((k, ns, n)) => (
            Some(k.to_string()),
            ns.map(str::to_string),
            Some(n.to_string()),
        ),
        None => {
            let ns = get("NAMESPACE").cloned().or(namespace.map(str::to_string));
            match get("OBJECT").and_then(|o| o.split_once('/')) {
                Some((k, n)) => (kind_of(k).or(Some(k.to_string())), ns, Some(n.to_string())),
                None => (
                    get("KIND").cloned(),
                    ns,
                    get("NAME").map(|n| n.split('.').next().unwrap_or(n).to_string()),
                ),
            }
        }
    };
    let age = get("AGE").or(get("LASTSEEN")).cloned().unwrap_or_default();
    let count = get("COUNT")
        .and_then(|c| c.parse::<i64>().ok())
        .or_else(|| TIMES.captures(&age).and_then(|c| c["n"].parse().ok()));
    let from = get("FROM").or(get("SOURCE")).cloned();
    // `kubelet, aks-nodepool1-…` (older describe) or `kubelet` and a node in the row.
    let host = from.as_deref().and_then(|f| {
        f.split_once(", ")
            .map(|(_, h)| h.trim_end_matches('}').to_string())
    });
    Event {
        metadata: ObjectMeta::default(),
        involved_object: ObjectReference {
            kind,
            namespace: ns,
            name,
            field_path: None,
        },
        reason: get("REASON").cloned(),
        message: get("MESSAGE").cloned(),
        type_: get("TYPE").cloned(),
        count,
        source: EventSource {
            component: from.map(|f| {
                f.split(',')
                    .next()
                    .unwrap_or("")
                    .trim_start_matches('{')
                    .to_string()
            }),
            host,
        },
        ..Event::default()
    }
}

/// Where the parser is.
enum Mode {
    Loose,
    Describe,
    Logs,
}

/// Sections of a describe block that matter.
#[derive(PartialEq)]
enum Section {
    Other,
    Labels,
    Containers,
    Volumes,
    Conditions,
    Events,
}

/// Parses one attachment.
pub fn parse(file: &str, text: &str) -> Paste {
    let mut p = Parser {
        paste: Paste {
            file: file.to_string(),
            node: file
                .strip_prefix("nodes/")
                .and_then(|r| r.split_once('/'))
                .map(|(n, _)| n.to_string()),
            ..Paste::default()
        },
        mode: Mode::Loose,
        pending: None,
        section: Section::Other,
        fields: Vec::new(),
        object: None,
        container: None,
        state: None,
        columns: None,
        event_open: false,
        loose_lines: 0,
        table_ns: None,
        nodes_table: false,
        nnc_columns: None,
    };
    let lines: Vec<&str> = text.lines().collect();
    let logical = unwrap_terminal(&lines);
    for (i, (n, line)) in logical.iter().enumerate() {
        let line = cut(line.trim_end_matches('\r'));
        // Every line of a node's journal comes here: the word first, the regex after.
        if let Some(c) = line
            .contains(" pull ")
            .then(|| PULL_COMMAND.captures(line))
            .flatten()
        {
            p.paste.pulls.push((*n, c["image"].to_string()));
        }
        let next = logical
            .iter()
            .skip(i + 1)
            .map(|(_, l)| l.trim_end())
            .find(|l| !l.is_empty())
            .unwrap_or("");
        p.line(*n, line, next);
    }
    p.paste.wrapped = logical
        .iter()
        .zip(
            logical
                .iter()
                .skip(1)
                .map(|(n, _)| *n)
                .chain([lines.len() as u64 + 1]),
        )
        .filter(|((n, _), next)| next - n > 1)
        .map(|((n, l), next)| (*n..=next - 1, l.to_string()))
        .collect();
    p.finish_object();
    p.paste.logs.retain(|l| !l.lines.is_empty());
    p.az_errors(&lines);
    p.paste
}

/// Narrowest terminal width whose wrapping is undone.
const MIN_WRAP_WIDTH: usize = 100;

/// The text's lines, with lines a terminal wrapped at its width joined back. A line as long
/// as the longest line of the paste (at least [`MIN_WRAP_WIDTH`] characters, and at least
/// two such lines cut) goes on in the next line when the wrap cut a word there and that
/// line is no longer, and starts neither like it, nor indented, nor like a record, a
/// command or a field of its own (a wrapped `kubectl describe` Events row: `... failed to
/// mount secrets sto` / `re objects for pod ...`). Each line keeps the number of its first
/// physical line.
fn unwrap_terminal<'a>(lines: &[&'a str]) -> Vec<(u64, std::borrow::Cow<'a, str>)> {
    let len = |l: &str| l.trim_end_matches('\r').chars().count();
    let mut width = lines.iter().map(|l| len(l)).max().unwrap_or(0);
    // A terminal cuts many lines at its width; one longest line (a table's header, a long
    // message) is no sign of it.
    let cut_at_width = lines
        .windows(2)
        .filter(|w| len(w[0]) == width && continues(w[0], w[1], width))
        .count();
    if cut_at_width < 2 {
        width = 0;
    }
    let mut out: Vec<(u64, std::borrow::Cow<'a, str>)> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        let first = i;
        let mut joined = std::borrow::Cow::Borrowed(lines[i]);
        while width >= MIN_WRAP_WIDTH
            && len(lines[i]) == width
            && lines
                .get(i + 1)
                .is_some_and(|next| continues(lines[i], next, width))
        {
            i += 1;
            let mut s = joined.into_owned();
            s.truncate(s.trim_end_matches('\r').len());
            s.push_str(lines[i]);
            joined = std::borrow::Cow::Owned(s);
        }
        out.push((first as u64 + 1, joined));
        i += 1;
    }
    out
}

/// Whether `next` can be the rest of `line`, wrapped at `width`: the wrap cut a word or a
/// name (`secrets sto` / `re objects`, `tmp` / `-volume`).
fn continues(line: &str, next: &str, width: usize) -> bool {
    let t = next.trim_end_matches('\r');
    let n = t.chars().count();
    let word = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    let cut_word = line
        .trim_end_matches('\r')
        .chars()
        .last()
        .is_some_and(|c| word(c) || c == '/' || c == '=')
        && t.chars().next().is_some_and(word);
    // Rows of one table start alike (`aks-nodepool1-...`); a line's rest does not.
    let prefix: String = line.chars().take(4).collect();
    cut_word
        && n <= width
        && !t.starts_with(&prefix)
        && !t.starts_with("  ")
        && !t.starts_with('\t')
        && !COMMAND.is_match(t)
        && !OTHER_COMMAND.is_match(t)
        && !FIELD.is_match(t)
        && !RECORD.is_match(t.trim_start())
}

fn cut(s: &str) -> &str {
    if s.len() <= MAX_LINE_BYTES {
        return s;
    }
    let mut end = MAX_LINE_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

struct Parser {
    paste: Paste,
    mode: Mode,
    /// The last command line, which names what the next block shows.
    pending: Option<Command>,
    section: Section,
    /// Top-level field names of the current describe block.
    fields: Vec<String>,
    object: Option<PastedObject>,
    /// The container being read, as an index into the pod's statuses.
    container: Option<usize>,
    /// Which state of the container the `Reason:`/`Message:` lines belong to.
    state: Option<&'static str>,
    columns: Option<Columns>,
    /// The last event may take continuation lines.
    event_open: bool,
    loose_lines: usize,
    /// The namespace a `kubectl get events -n X` table is of.
    table_ns: Option<String>,
    /// Inside a `kubectl get nodes` table.
    nodes_table: bool,
    /// Inside a `kubectl get nnc` table: each column's label and where it starts.
    nnc_columns: Option<Vec<(String, usize)>>,
}

impl Parser {
    fn line(&mut self, n: u64, line: &str, next: &str) {
        if let Some(c) = COMMAND.captures(line) {
            self.finish_object();
            let cmd = parse_command(&c["args"]);
            self.columns = None;
            self.table_ns = None;
            self.nodes_table = false;
            self.nnc_columns = None;
            match cmd.verb.as_str() {
                "logs" => {
                    self.mode = Mode::Logs;
                    self.paste.logs.push(PastedLog {
                        // Without `-n`, the kubeconfig's namespace: decided against the bundle.
                        namespace: cmd.namespace.clone(),
                        pod: cmd.name.clone(),
                        container: cmd.container.clone(),
                        lines: Vec::new(),
                    });
                }
                _ => {
                    self.mode = Mode::Loose;
                    if cmd.verb == "get" && cmd.kind.as_deref() == Some("Event") {
                        self.table_ns = cmd.namespace.clone();
                    }
                }
            }
            self.pending = Some(cmd);
            return;
        }
        if OTHER_COMMAND.is_match(line) && !matches!(self.mode, Mode::Loose) {
            self.finish_object();
            self.mode = Mode::Loose;
            self.pending = None;
            return;
        }
        if self.starts_describe(n, line, next) {
            self.finish_object();
            self.start_describe(n, line);
            return;
        }
        match self.mode {
            Mode::Describe => self.describe_line(n, line),
            Mode::Logs => {
                if !line.trim().is_empty() {
                    if let Some(l) = self.paste.logs.last_mut() {
                        l.lines.push((n, line.to_string()));
                    }
                }
            }
            Mode::Loose => self.loose_line(n, line),
        }
    }

    /// A column-0 `Name:` with a value, followed by the next field of a describe block. A
    /// paste's very first line may have lost its first character to the copy (`ame:`,
    /// portainer#5314).
    fn starts_describe(&self, n: u64, line: &str, next: &str) -> bool {
        let Some(value) = line
            .strip_prefix("Name:")
            .or_else(|| line.strip_prefix("ame:").filter(|_| n == 1))
        else {
            return false;
        };
        !value.trim().is_empty()
            && value.starts_with([' ', '\t'])
            && FIELD.captures(next).is_some_and(|c| {
                matches!(
                    &c["key"],
                    "Namespace"
                        | "Roles"
                        | "Labels"
                        | "Priority"
                        | "Annotations"
                        | "CreationTimestamp"
                )
            })
    }

    fn start_describe(&mut self, n: u64, line: &str) {
        let name = line
            .split_once(':')
            .map_or("", |(_, v)| v)
            .trim()
            .to_string();
        self.mode = Mode::Describe;
        self.section = Section::Other;
        self.fields = vec!["Name".into()];
        self.container = None;
        self.state = None;
        self.columns = None;
        self.event_open = false;
        let kind = self
            .pending
            .as_ref()
            .filter(|c| {
                c.verb == "describe" && c.name.as_deref().is_none_or(|x| name.starts_with(x))
            })
            .and_then(|c| c.kind.clone());
        let namespace = self.pending.as_ref().and_then(|c| c.namespace.clone());
        self.object = Some(PastedObject {
            kind: kind.unwrap_or_default(),
            namespace,
            name: name.clone(),
            line: n,
            pod: Some(Pod {
                metadata: ObjectMeta {
                    name,
                    ..ObjectMeta::default()
                },
                ..Pod::default()
            }),
            state_lines: BTreeMap::new(),
            node: None,
            service: None,
        });
    }

    fn finish_object(&mut self) {
        let Some(mut o) = self.object.take() else {
            return;
        };
        if o.kind.is_empty() {
            o.kind = kind_from_fields(&self.fields).to_string();
            // A Conditions table cut out of its block (`Name:`, `Roles:`, then the rows).
            if o.kind == "Object" && o.node.as_ref().is_some_and(|n| n.ready.is_some()) {
                o.kind = "Node".into();
            }
        }
        if cluster_scoped(&o.kind) {
            o.namespace = None;
        } else if o.namespace.is_none() {
            o.namespace = Some("default".into());
        }
        if o.kind == "Pod" {
            if let Some(pod) = o.pod.as_mut() {
                pod.metadata.namespace = o.namespace.clone();
            }
        } else {
            o.pod = None;
        }
        // Fields of other kinds share these names (a Deployment's `Selector:`).
        if o.kind != "Node" {
            o.node = None;
        }
        if o.kind != "Service" {
            o.service = None;
        }
        // The block's events are about the described object.
        for (_, ev) in self.paste.events.iter_mut().filter(|(l, _)| *l > o.line) {
            if ev.involved_object.name.is_none() {
                ev.involved_object.kind = Some(o.kind.clone());
                ev.involved_object.namespace = o.namespace.clone();
                ev.involved_object.name = Some(o.name.clone());
            }
        }
        self.paste.objects.push(o);
        self.mode = Mode::Loose;
        self.section = Section::Other;
    }

    fn pod(&mut self) -> Option<&mut Pod> {
        self.object.as_mut().and_then(|o| o.pod.as_mut())
    }

    fn describe_line(&mut self, n: u64, line: &str) {
        if line.trim().is_empty() {
            self.event_open = false;
            return;
        }
        if self.section == Section::Events {
            if let Some(cols) = &self.columns {
                if let Some(row) = cols.row(line) {
                    // Its object is filled in when the block ends.
                    let mut ev = event_of(&row, None, None);
                    ev.involved_object = ObjectReference::default();
                    self.paste.events.push((n, ev));
                    self.event_open = true;
                    return;
                }
                if !self.event_open && line.trim_start().starts_with("---") {
                    return;
                }
                // A message with newlines goes on at column 0 until a blank line.
                if self.event_open {
                    if let Some((_, ev)) = self.paste.events.last_mut() {
                        let m = ev.message.get_or_insert_with(String::new);
                        m.push('\n');
                        m.push_str(line.trim_end());
                    }
                    return;
                }
            } else if let Some(c) = Columns::parse(line) {
                self.columns = Some(c);
                return;
            }
        }
        if let Some(c) = FIELD.captures(line) {
            let key = c["key"].to_string();
            let value = c.name("value").map(|v| v.as_str().trim().to_string());
            self.fields.push(key.clone());
            self.section = match key.as_str() {
                "Labels" => Section::Labels,
                "Containers" | "Init Containers" => Section::Containers,
                "Volumes" => Section::Volumes,
                "Conditions" => Section::Conditions,
                "Events" => Section::Events,
                _ => Section::Other,
            };
            self.container = None;
            self.event_open = false;
            if key == "Endpoints" {
                // `<none>` is the answer that matters here.
                let v = value.clone().unwrap_or_default();
                self.service().endpoints.push((n, v));
                return;
            }
            let Some(value) = value.filter(|v| !v.is_empty() && v != "<none>") else {
                return;
            };
            match key.as_str() {
                "Namespace" => {
                    if let Some(o) = self.object.as_mut() {
                        o.namespace = Some(value);
                    }
                }
                "Node" => {
                    let node = value.split('/').next().unwrap_or("").to_string();
                    if let Some(p) = self.pod() {
                        p.spec.node_name = Some(node);
                    }
                }
                "Labels" => self.label(&value),
                "Status" => {
                    if let Some(p) = self.pod() {
                        p.status.phase = Some(value);
                    }
                }
                "Selector" => {
                    let selector = value
                        .split(',')
                        .filter_map(|kv| kv.split_once('='))
                        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                        .collect();
                    self.service().selector = selector;
                }
                "Type" => self.service().type_ = Some(value),
                "Unschedulable" => {
                    let off = value == "true";
                    self.node(n, line).unschedulable = off;
                }
                _ => {}
            }
            return;
        }
        match self.section {
            Section::Labels => self.label(line),
            Section::Containers => self.container_line(n, line),
            Section::Conditions => self.condition_line(n, line),
            // A user who cut the paste may have left out the `Conditions:` line itself.
            Section::Other => self.condition_line(n, line),
            Section::Volumes => {
                if let Some(c) = INNER_FIELD.captures(line) {
                    if &c["key"] == "Driver" {
                        if let Some(d) = c.name("value") {
                            let driver = d.as_str().trim().to_string();
                            if let Some(p) = self.pod() {
                                p.spec.volumes.push(Volume {
                                    csi: Some(CsiVolume {
                                        driver,
                                        ..CsiVolume::default()
                                    }),
                                    ..Volume::default()
                                });
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// The node being described (made on its first field).
    fn node(&mut self, n: u64, line: &str) -> &mut PastedNode {
        let o = self.object.get_or_insert_with(PastedObject::default);
        o.node.get_or_insert_with(|| PastedNode {
            line: n,
            text: line.trim().to_string(),
            ..PastedNode::default()
        })
    }

    /// The Service being described (made on its first field).
    fn service(&mut self) -> &mut PastedService {
        let o = self.object.get_or_insert_with(PastedObject::default);
        o.service.get_or_insert_with(PastedService::default)
    }

    /// A row of a describe node `Conditions:` table.
    fn condition_line(&mut self, n: u64, line: &str) {
        let Some(c) = CONDITION.captures(line) else {
            return;
        };
        let (ty, status) = (c["type"].to_string(), c["status"].to_string());
        let time = |k: &str| crate::time::from_rfc2822(&c[k]);
        if ty == "Ready" {
            let (since, heartbeat) = (time("tt"), time("hb"));
            let reason = c["reason"].to_string();
            let message = c.name("msg").map(|m| m.as_str().to_string());
            let node = self.node(n, line);
            node.ready = Some(status);
            node.reason = Some(reason);
            node.message = message.filter(|m| !m.is_empty());
            node.since = since;
            node.last_heartbeat = heartbeat;
            node.line = n;
            node.text = line.trim().to_string();
        } else if status == "True" {
            self.node(n, line).pressure.push(ty);
        }
    }

    /// A row of a `kubectl get nodes` table; false when the line is none.
    fn nodes_row(&mut self, n: u64, line: &str) -> bool {
        let mut cells = line.split_whitespace();
        let (Some(name), Some(status)) = (cells.next(), cells.next()) else {
            return false;
        };
        let Some(s) = NODE_STATUS.captures(status) else {
            return false;
        };
        if !DNS_NAME.is_match(name) {
            return false;
        }
        self.paste.objects.push(PastedObject {
            kind: "Node".into(),
            name: name.to_string(),
            line: n,
            node: Some(PastedNode {
                ready: Some(s["s"].to_string()),
                unschedulable: s.name("off").is_some(),
                line: n,
                text: line.trim().to_string(),
                ..PastedNode::default()
            }),
            ..PastedObject::default()
        });
        true
    }

    fn label(&mut self, text: &str) {
        if let Some(c) = LABEL.captures(text) {
            let (k, v) = (c["k"].to_string(), c["v"].to_string());
            if let Some(p) = self.pod() {
                p.metadata.labels.insert(k, v);
            }
        }
    }

    fn container_line(&mut self, n: u64, line: &str) {
        if let Some(c) = CONTAINER.captures(line) {
            let name = c["name"].to_string();
            if let Some(p) = self.pod() {
                p.status.container_statuses.push(ContainerStatus {
                    name,
                    ..ContainerStatus::default()
                });
                self.container = Some(p.status.container_statuses.len() - 1);
            }
            self.state = None;
            return;
        }
        let Some(ci) = self.container else { return };
        let Some(c) = INNER_FIELD.captures(line) else {
            // A multi-line state message goes on below its `Message:`.
            if let (Some(which), true) = (self.state, line.starts_with("      ")) {
                if let Some(d) = self.state_detail(ci, which) {
                    if let Some(m) = d.message.as_mut() {
                        m.push('\n');
                        m.push_str(line.trim());
                    }
                }
            }
            return;
        };
        let indent = c["indent"].len();
        let key = c["key"].to_string();
        let value = c
            .name("value")
            .map(|v| v.as_str().trim().to_string())
            .unwrap_or_default();
        if indent <= 4 {
            self.state = None;
        }
        match key.as_str() {
            "Image" => {
                if let Some(p) = self.pod() {
                    let cs = &mut p.status.container_statuses[ci];
                    cs.image = Some(value.clone());
                    let name = cs.name.clone();
                    p.spec.containers.push(crate::model::Container {
                        name,
                        image: value,
                        ..Default::default()
                    });
                }
            }
            "State" | "Last State" => {
                let which = if key == "State" { "state" } else { "last" };
                let detail = StateDetail::default();
                if let Some(p) = self.pod() {
                    let cs = &mut p.status.container_statuses[ci];
                    let st = if which == "state" {
                        &mut cs.state
                    } else {
                        &mut cs.last_state
                    };
                    *st = ContainerState::default();
                    match value.as_str() {
                        "Waiting" => st.waiting = Some(detail),
                        "Terminated" => st.terminated = Some(detail),
                        "Running" => st.running = Some(detail),
                        _ => {}
                    }
                }
                if which == "state" {
                    if let Some(o) = self.object.as_mut() {
                        let name = o
                            .pod
                            .as_ref()
                            .map(|p| p.status.container_statuses[ci].name.clone())
                            .unwrap_or_default();
                        o.state_lines.insert(name, n);
                    }
                }
                self.state = Some(which);
            }
            "Reason" | "Message" | "Exit Code" | "Started" | "Finished" if indent > 4 => {
                let Some(which) = self.state else { return };
                if let Some(d) = self.state_detail(ci, which) {
                    match key.as_str() {
                        "Reason" => d.reason = Some(value),
                        "Message" => d.message = Some(value),
                        "Exit Code" => d.exit_code = value.parse().ok(),
                        "Started" => d.started_at = Some(value),
                        _ => d.finished_at = Some(value),
                    }
                }
            }
            "Restart Count" => {
                if let Some(p) = self.pod() {
                    p.status.container_statuses[ci].restart_count = value.parse().unwrap_or(0);
                }
            }
            "Ready" => {
                if let Some(p) = self.pod() {
                    p.status.container_statuses[ci].ready = value == "True";
                }
            }
            _ => {}
        }
    }

    fn state_detail(&mut self, ci: usize, which: &str) -> Option<&mut StateDetail> {
        let cs = self.pod()?.status.container_statuses.get_mut(ci)?;
        let st = if which == "state" {
            &mut cs.state
        } else {
            &mut cs.last_state
        };
        st.waiting
            .as_mut()
            .or(st.terminated.as_mut())
            .or(st.running.as_mut())
    }

    fn loose_line(&mut self, n: u64, line: &str) {
        if line.trim().is_empty() {
            self.event_open = false;
            return;
        }
        if self.nodes_table {
            if self.nodes_row(n, line) {
                return;
            }
            self.nodes_table = false;
        }
        if NODES_HEADER.is_match(line) {
            self.nodes_table = true;
            self.columns = None;
            return;
        }
        if let Some(cols) = &self.nnc_columns {
            if let Some(nnc) = nnc_row(cols, line) {
                self.paste.nncs.push((n, line.trim().to_string(), nnc));
                return;
            }
            self.nnc_columns = None;
        }
        if NNC_HEADER.is_match(line) {
            // Labels are words joined by single spaces (`REQUESTED IPS`).
            self.nnc_columns = Some(
                LABEL_CELL
                    .find_iter(line)
                    .map(|m| (m.as_str().to_string(), m.start()))
                    .collect(),
            );
            self.columns = None;
            return;
        }
        // A `kubectl get events` table.
        if let Some(cols) = &self.columns {
            if let Some(row) = cols.row(line) {
                let ns = self.table_ns.clone();
                self.paste
                    .events
                    .push((n, event_of(&row, None, ns.as_deref())));
                self.event_open = true;
                return;
            }
            if !self.event_open && line.trim_start().starts_with("---") {
                return;
            }
            if self.event_open {
                if let Some((_, ev)) = self.paste.events.last_mut() {
                    let m = ev.message.get_or_insert_with(String::new);
                    m.push('\n');
                    m.push_str(line.trim());
                }
                return;
            }
        }
        if let Some(c) = Columns::parse(line) {
            if c.cols
                .iter()
                .any(|(n, _)| n == "OBJECT" || n == "NAME" || n == "KIND")
            {
                self.columns = Some(c);
                self.event_open = false;
                return;
            }
        }
        self.event_open = false;
        if self.loose_lines >= MAX_LOOSE_LINES {
            return;
        }
        self.loose_lines += 1;
        match self.paste.logs.last_mut() {
            Some(l) if l.pod.is_none() => l.lines.push((n, line.to_string())),
            _ => self.paste.logs.push(PastedLog {
                lines: vec![(n, line.to_string())],
                ..PastedLog::default()
            }),
        }
    }

    /// az CLI and ARM errors anywhere in the text.
    fn az_errors(&mut self, lines: &[&str]) {
        let mut out = Vec::new();
        let mut i = 0;
        while i < lines.len() {
            let line = cut(lines[i]);
            let n = i as u64 + 1;
            if let Some(c) = AZ_ONE_LINE.captures(line) {
                out.push(CliError {
                    line: n,
                    message_line: n,
                    code: c["code"].to_string(),
                    message: c["msg"].trim().to_string(),
                });
                // Its `Code:` and `Message:` lines repeat it.
                i += 1;
                while i < lines.len()
                    && (AZ_CODE.is_match(lines[i]) || AZ_MESSAGE.is_match(lines[i]))
                {
                    i += 1;
                }
                continue;
            }
            let code = AZ_CODE
                .captures(line)
                .map(|c| c["code"].to_string())
                .or_else(|| JSON_CODE.captures(line).map(|c| c["code"].to_string()));
            if let Some(code) = code {
                // The message is on one of the next few lines (or just before, in JSON).
                let near = (i.saturating_sub(2)..(i + 4).min(lines.len())).filter(|&j| j != i);
                let message = near.clone().find_map(|j| {
                    AZ_MESSAGE
                        .captures(lines[j])
                        .or_else(|| JSON_MESSAGE.captures(lines[j]))
                        .map(|c| (j as u64 + 1, unescape(&c["msg"])))
                });
                if let Some((message_line, message)) = message {
                    out.push(CliError {
                        line: n,
                        message_line,
                        code,
                        message,
                    });
                }
            }
            i += 1;
        }
        out.dedup();
        self.paste.cli_errors = out;
    }
}

/// A row of a `kubectl get nnc` table as the NodeNetworkConfig it shows. Cells are read
/// under their column (a cell starts where its label does); when a paste lost the
/// alignment but kept one cell per column, in order.
fn nnc_row(cols: &[(String, usize)], line: &str) -> Option<crate::model::NodeNetworkConfig> {
    let cells: Vec<(usize, &str)> = CELL
        .find_iter(line)
        .map(|m| (m.start(), m.as_str()))
        .collect();
    let mut by: BTreeMap<&str, &str> = BTreeMap::new();
    if cells.len() == cols.len() {
        for ((label, _), (_, cell)) in cols.iter().zip(&cells) {
            by.insert(label, cell);
        }
    } else {
        for (start, cell) in &cells {
            let col = cols.iter().rev().find(|(_, c)| *c <= start + 1)?;
            by.entry(col.0.as_str()).or_insert(cell);
        }
    }
    let count = |k: &str| by.get(k).and_then(|v| v.parse::<i64>().ok());
    let (requested, allocated) = (count("REQUESTED IPS")?, count("ALLOCATED IPS")?);
    let name = by.get("NAME").filter(|n| DNS_NAME.is_match(n))?.to_string();
    let get = |k: &str| by.get(k).map(|v| v.to_string());
    let nc = crate::model::NetworkContainer {
        assignment_mode: get("NC MODE"),
        type_: get("NC TYPE"),
        subnet_name: get("SUBNET"),
        subnet_address_space: get("SUBNET CIDR"),
        ..Default::default()
    };
    Some(crate::model::NodeNetworkConfig {
        metadata: ObjectMeta {
            name,
            namespace: Some("kube-system".into()),
            ..ObjectMeta::default()
        },
        spec: crate::model::NncSpec {
            requested_ip_count: Some(requested),
            ..Default::default()
        },
        status: crate::model::NncStatus {
            assigned_ip_count: Some(allocated),
            network_containers: vec![nc],
            ..Default::default()
        },
    })
}

/// A JSON string body's common escapes, so the joined line reads as the CLI prints it.
fn unescape(s: &str) -> String {
    s.replace("\\\"", "\"")
        .replace("\\n", " ")
        .replace("\\r", "")
        .replace("\\'", "'")
        .replace("\\\\", "\\")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_name_pod_namespace_and_container() {
        let c =
            parse_command("logs -n kube-system aks-secrets-store-provider-azure-x2x9k --tail 200");
        assert_eq!(c.verb, "logs");
        assert_eq!(
            c.name.as_deref(),
            Some("aks-secrets-store-provider-azure-x2x9k")
        );
        assert_eq!(c.namespace.as_deref(), Some("kube-system"));
        let c = parse_command("logs pod/web-1 --namespace=shop -c app --previous");
        assert_eq!(
            (c.name.as_deref(), c.container.as_deref()),
            (Some("web-1"), Some("app"))
        );
        assert_eq!(c.namespace.as_deref(), Some("shop"));
        let c = parse_command("logs deploy/web -n shop");
        assert_eq!(c.name, None, "kubectl picks the pod of a deployment");
        let c = parse_command("describe po web-1 -n shop | less");
        assert_eq!(
            (c.kind.as_deref(), c.name.as_deref()),
            (Some("Pod"), Some("web-1"))
        ); // The prompts users paste with: bash's default on RHEL/CentOS (`[user@host dir]#`,
           // kubernetes/kubernetes#78174), Debian's, PowerShell's.
        for line in [
            "[root@k8s-test-master01 ~]# kubectl describe node node1",
            "azureuser@aks-jump:~$ kubectl describe node node1",
            "PS C:\\Users\\ops> kubectl describe node node1",
        ] {
            let c = COMMAND.captures(line).map(|c| parse_command(&c["args"]));
            assert_eq!(
                c.map(|c| (c.kind, c.name)),
                Some((Some("Node".into()), Some("node1".into()))),
                "{line}"
            );
        }
    }

    /// `kubectl describe pod` as kubectl 1.2x prints it, with a Key Vault mount failing: the
    /// message of the second event goes on over several lines, as the new SDK's errors do.
    const DESCRIBE: &str = "$ kubectl describe pod orders-5c9d7b6f4-mm2xr -n shop
Name:             orders-5c9d7b6f4-mm2xr
Namespace:        shop
Priority:         0
Service Account:  orders
Node:             aks-nodepool1-38275144-vmss000002/10.224.0.6
Labels:           app=orders
                  azure.workload.identity/use=true
Status:           Pending
Containers:
  orders:
    Image:          contosoacr.azurecr.io/orders:3.1.0
    State:          Waiting
      Reason:       ContainerCreating
    Last State:     Terminated
      Reason:       OOMKilled
      Exit Code:    137
    Ready:          False
    Restart Count:  4
Volumes:
  secrets-store-inline:
    Type:              CSI (a Container Storage Interface (CSI) volume source)
    Driver:            secrets-store.csi.k8s.io
    FSType:
    ReadOnly:          true
Events:
  Type     Reason       Age                 From               Message
  ----     ------       ----                ----               -------
  Normal   Scheduled    8m                  default-scheduler  Successfully assigned shop/orders-5c9d7b6f4-mm2xr to aks-nodepool1-38275144-vmss000002
  Warning  FailedMount  2m (x12 over 8m)    kubelet            MountVolume.SetUp failed for volume \"secrets-store-inline\" : rpc error: code = Unknown desc = failed to mount objects, error: GET https://kv-orders.vault.azure.net/secrets/db/
--------------------------------------------------------------------------------
RESPONSE 403: 403 Forbidden
ERROR CODE: Forbidden
";

    #[test]
    fn describe_block_gives_the_pod_its_states_and_its_events() {
        let p = parse("attachments/describe.txt", DESCRIBE);
        assert_eq!(p.objects.len(), 1);
        let o = &p.objects[0];
        assert_eq!(
            (o.kind.as_str(), o.namespace.as_deref(), o.name.as_str()),
            ("Pod", Some("shop"), "orders-5c9d7b6f4-mm2xr")
        );
        let pod = o.pod.as_ref().unwrap();
        assert_eq!(
            pod.spec.node_name.as_deref(),
            Some("aks-nodepool1-38275144-vmss000002")
        );
        assert_eq!(
            pod.metadata
                .labels
                .get("azure.workload.identity/use")
                .map(String::as_str),
            Some("true")
        );
        assert_eq!(
            pod.spec.volumes[0].csi.as_ref().unwrap().driver,
            "secrets-store.csi.k8s.io"
        );
        let cs = &pod.status.container_statuses[0];
        assert_eq!(
            cs.state.waiting.as_ref().unwrap().reason.as_deref(),
            Some("ContainerCreating")
        );
        let last = cs.last_state.terminated.as_ref().unwrap();
        assert_eq!(
            (last.reason.as_deref(), last.exit_code),
            (Some("OOMKilled"), Some(137))
        );
        assert_eq!(cs.restart_count, 4);
        assert_eq!(o.state_lines.get("orders"), Some(&13));
        assert_eq!(p.events.len(), 2);
        let (line, ev) = &p.events[1];
        assert_eq!(*line, 30);
        assert_eq!(ev.reason.as_deref(), Some("FailedMount"));
        assert_eq!(ev.count, Some(12));
        assert_eq!(
            ev.involved_object.name.as_deref(),
            Some("orders-5c9d7b6f4-mm2xr")
        );
        assert_eq!(ev.involved_object.kind.as_deref(), Some("Pod"));
        let msg = ev.message.as_deref().unwrap();
        assert!(msg.starts_with("MountVolume.SetUp failed"), "{msg}");
        assert!(
            msg.ends_with("RESPONSE 403: 403 Forbidden\nERROR CODE: Forbidden"),
            "{msg}"
        );
        assert!(
            p.logs.is_empty(),
            "a describe block is no loose text: {:?}",
            p.logs
        );
    }

    #[test]
    fn old_describe_columns_and_old_get_events_columns_are_read() {
        // kubectl 1.9's describe (FirstSeen ... SubObjectPath, an empty cell) and its
        // `get events` (LASTSEEN FIRSTSEEN COUNT NAME KIND ...).
        let text = "Name:\t\tweb-1
Namespace:\tdefault
Node:\t\taks-agentpool-1/10.240.0.4
Containers:
  web:
    Image:\t\tnginx
Events:
  FirstSeen\tLastSeen\tCount\tFrom\t\t\tSubObjectPath\tType\t\tReason\t\tMessage
  ---------\t--------\t-----\t----\t\t\t-------------\t--------\t------\t\t-------
  1m\t\t1m\t\t1\tdefault-scheduler\t\t\tNormal\t\tScheduled\tSuccessfully assigned web-1 to aks-agentpool-1

$ kubectl get events
LASTSEEN   FIRSTSEEN   COUNT     NAME                        KIND      SUBOBJECT                 TYPE      REASON    SOURCE                     MESSAGE
2m         10m         7         web-2.15a8f0b2c3d4e5f6      Pod       spec.containers{web}      Warning   Failed    kubelet, aks-agentpool-1   Failed to pull image \"nginx:1.99\": rpc error: code = Unknown desc = Error response from daemon: manifest for nginx:1.99 not found
";
        let p = parse("attachments/old.txt", text);
        assert_eq!(p.objects[0].kind, "Pod");
        assert_eq!(p.events.len(), 2, "{:?}", p.events);
        let (_, scheduled) = &p.events[0];
        assert_eq!(scheduled.reason.as_deref(), Some("Scheduled"));
        assert_eq!(scheduled.involved_object.name.as_deref(), Some("web-1"));
        let (_, failed) = &p.events[1];
        assert_eq!(failed.involved_object.kind.as_deref(), Some("Pod"));
        assert_eq!(failed.involved_object.name.as_deref(), Some("web-2"));
        assert_eq!(failed.count, Some(7));
        assert_eq!(failed.source.host.as_deref(), Some("aks-agentpool-1"));
        assert!(failed
            .message
            .as_deref()
            .unwrap()
            .contains("manifest for nginx:1.99 not found"));
    }

    #[test]
    fn logs_paste_names_its_pod_and_loose_text_names_none() {
        let text = "some notes from the customer
user@jumpbox:~$ kubectl logs -n kube-system aks-secrets-store-provider-azure-7xk2d
I1124 09:20:11.123456       1 main.go:110] starting
E1124 09:21:03.550120       1 server.go:234] failed
user@jumpbox:~$ az account show
{ \"name\": \"sub\" }
";
        let p = parse("attachments/x.txt", text);
        assert_eq!(p.logs.len(), 3, "{:?}", p.logs);
        assert_eq!(p.logs[0].pod, None);
        assert_eq!(
            p.logs[1].pod.as_deref(),
            Some("aks-secrets-store-provider-azure-7xk2d")
        );
        assert_eq!(p.logs[1].namespace.as_deref(), Some("kube-system"));
        assert_eq!(
            p.logs[1].lines.iter().map(|l| l.0).collect::<Vec<_>>(),
            vec![3, 4]
        );
        assert_eq!(p.logs[2].pod, None, "another command ends the logs paste");
    }

    #[test]
    fn az_errors_are_joined_into_one_line() {
        let text = r#"ERROR: (SubnetIsFull) Subnet aks-subnet with address prefix 10.240.0.0/24 does not have enough capacity for 5 IP addresses.
Code: SubnetIsFull
Message: Subnet aks-subnet with address prefix 10.240.0.0/24 does not have enough capacity for 5 IP addresses.
{
  "error": {
    "code": "QuotaExceeded",
    "message": "Operation could not be completed as it results in exceeding approved Total Regional Cores quota. Location: \"eastus\""
  }
}
"#;
        let p = parse("attachments/az.txt", text);
        let texts: Vec<String> = p.cli_errors.iter().map(CliError::text).collect();
        assert_eq!(texts.len(), 2, "{texts:?}");
        assert!(texts[0].starts_with("(SubnetIsFull) Subnet aks-subnet"));
        assert_eq!(
            texts[1],
            r#"(QuotaExceeded) Operation could not be completed as it results in exceeding approved Total Regional Cores quota. Location: "eastus""#
        );
        assert_eq!((p.cli_errors[1].line, p.cli_errors[1].message_line), (6, 7));
    }

    #[test]
    fn text_that_only_looks_like_a_describe_block_stays_loose() {
        let p = parse(
            "attachments/notes.txt",
            "Name: Jane from Contoso\nWe see errors since Monday.\n",
        );
        assert!(p.objects.is_empty());
        assert_eq!(p.logs[0].lines.len(), 2);
        // A first character lost to the copy is forgiven on the paste's first line only.
        let cut = "ame:         web-1\nNamespace:    default\nNode:         aks-np-1-vmss000000/10.224.0.4\n";
        assert_eq!(parse("a", cut).objects[0].name, "web-1");
        let later = format!("Our pod:\n{cut}");
        assert!(parse("a", &later).objects.is_empty());
    }

    /// kubectl 1.4's tab-separated Conditions (kubernetes/kubernetes#36273), kubectl 1.9's
    /// aligned ones after a `get nodes` table from a user's prompt (Azure/AKS#102, #587),
    /// and a paste that doubled every line break (Azure/aks-engine#2792).
    #[test]
    fn describe_node_conditions_and_get_nodes_rows_give_each_node_its_readiness() {
        let tabs = "Name:\t\t\tnode-3\nRoles:\t\t\t<none>\nLabels:\t\t\tbeta.kubernetes.io/arch=amd64\nTaints:\t\t\t<none>\nCreationTimestamp:\tThu, 03 Nov 2016 11:02:11 +0000\nConditions:\n  Type\t\t\tStatus\t\tLastHeartbeatTime\t\t\tLastTransitionTime\t\t\tReason\t\t\t\tMessage\n  ----\t\t\t------\t\t-----------------\t\t\t------------------\t\t\t------\t\t\t\t-------\n  NetworkUnavailable \tFalse \t\tSat, 05 Nov 2016 00:01:27 +0000 \tSat, 05 Nov 2016 00:01:27 +0000 \tRouteCreated \t\t\tRouteController created a route\n  OutOfDisk \t\tUnknown \tThu, 03 Nov 2016 12:18:28 +0000 \tThu, 03 Nov 2016 12:19:12 +0000 \tNodeStatusUnknown \t\tKubelet stopped posting node status.\n  MemoryPressure \tFalse \t\tThu, 03 Nov 2016 12:18:28 +0000 \tThu, 03 Nov 2016 12:05:44 +0000 \tKubeletHasSufficientMemory \tkubelet has sufficient memory available\n  Ready \t\tUnknown \tThu, 03 Nov 2016 12:18:28 +0000 \tThu, 03 Nov 2016 12:19:12 +0000 \tNodeStatusUnknown \t\tKubelet stopped posting node status.\nAddresses:\t\t10.240.0.5,10.240.0.5,node-3\n";
        let p = parse("attachments/node.txt", tabs);
        assert_eq!(p.objects.len(), 1);
        let o = &p.objects[0];
        assert_eq!((o.kind.as_str(), o.namespace.as_deref()), ("Node", None));
        let n = o.node.as_ref().unwrap();
        assert!(n.not_ready());
        assert_eq!(n.ready.as_deref(), Some("Unknown"));
        assert_eq!(n.reason.as_deref(), Some("NodeStatusUnknown"));
        assert_eq!(
            n.message.as_deref(),
            Some("Kubelet stopped posting node status.")
        );
        assert_eq!(n.since.as_deref(), Some("2016-11-03T12:19:12Z"));
        assert_eq!(n.last_heartbeat.as_deref(), Some("2016-11-03T12:18:28Z"));
        assert!(n.pressure.is_empty(), "Unknown is no pressure: {n:?}");
        assert_eq!(n.line, 12);

        let aligned = "meow@kubrick:~/dev/kube-system$ kubectl get nodes\nNAME                       STATUS     ROLES     AGE       VERSION\naks-nodepool1-34207704-0   NotReady   agent     2d        v1.8.7\naks-nodepool1-34207704-1   Ready      agent     2d        v1.8.7\naks-nodepool1-34207704-2   Ready,SchedulingDisabled      agent     2d        v1.8.7 \nmeow@kubrick:~/dev/kube-system$ kubectl describe node aks-nodepool1-34207704-0\nName:               aks-nodepool1-34207704-0\nRoles:              agent\nLabels:             agentpool=nodepool1\nTaints:             <none>\nCreationTimestamp:  Mon, 19 Mar 2018 10:11:28 +0100\nConditions:\n  Type             Status  LastHeartbeatTime                 LastTransitionTime                Reason                       Message\n  ----             ------  -----------------                 ------------------                ------                       -------\n  OutOfDisk        False   Wed, 21 Mar 2018 12:46:54 +0100   Mon, 19 Mar 2018 10:11:28 +0100   KubeletHasSufficientDisk     kubelet has sufficient disk space available\n  MemoryPressure   True    Wed, 21 Mar 2018 12:46:54 +0100   Wed, 21 Mar 2018 12:20:03 +0100   KubeletHasInsufficientMemory kubelet has insufficient memory available\n  Ready            False   Wed, 21 Mar 2018 12:46:54 +0100   Wed, 21 Mar 2018 12:21:05 +0100   KubeletNotReady              PLEG is not healthy: pleg was last seen active 3m9.3s ago; threshold is 3m0s\n";
        let p = parse("attachments/ticket.txt", aligned);
        let rows: Vec<(&str, Option<&str>, bool)> = p
            .objects
            .iter()
            .map(|o| {
                let n = o.node.as_ref().unwrap();
                (o.name.as_str(), n.ready.as_deref(), n.unschedulable)
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                ("aks-nodepool1-34207704-0", Some("NotReady"), false),
                ("aks-nodepool1-34207704-1", Some("Ready"), false),
                ("aks-nodepool1-34207704-2", Some("Ready"), true),
                ("aks-nodepool1-34207704-0", Some("False"), false),
            ]
        );
        let d = p.objects[3].node.as_ref().unwrap();
        assert_eq!(d.reason.as_deref(), Some("KubeletNotReady"));
        assert!(d
            .message
            .as_deref()
            .unwrap()
            .starts_with("PLEG is not healthy"));
        assert_eq!(d.since.as_deref(), Some("2018-03-21T11:21:05Z"));
        assert_eq!(d.pressure, vec!["MemoryPressure".to_string()]);
        assert!(p.logs.is_empty(), "tables are no loose text: {:?}", p.logs);

        let doubled = aligned.lines().skip(5).collect::<Vec<_>>().join("\n\n");
        let p = parse("attachments/doubled.txt", &doubled);
        let d = p.objects[0].node.as_ref().unwrap();
        assert_eq!(
            (d.ready.as_deref(), d.reason.as_deref()),
            (Some("False"), Some("KubeletNotReady"))
        );
    }

    /// A namespace list has the same first columns as a node list; its STATUS is no
    /// readiness. A cell that is no object name makes no node.
    #[test]
    fn get_namespaces_is_no_node_table() {
        let p = parse(
            "attachments/n.txt",
            "NAME                     STATUS     ROLES   AGE   VERSION\n$(touch${IFS}/tmp/x)   NotReady   agent   4d    v1.29.4\n",
        );
        assert!(p.objects.is_empty(), "{:?}", p.objects);
        let p = parse(
            "attachments/ns.txt",
            "NAME              STATUS        AGE\ndefault           Active        10d\nshop              Terminating   2d\n",
        );
        assert!(p.objects.is_empty(), "{:?}", p.objects);
    }

    #[test]
    fn describe_svc_gives_its_selector_and_endpoints() {
        let text = "$ kubectl describe svc web -n shop\nName:              web\nNamespace:         shop\nLabels:            app=web\nAnnotations:       <none>\nSelector:          app=web,tier=frontend\nType:              ClusterIP\nIP Family Policy:  SingleStack\nIP Families:       IPv4\nIP:                10.0.171.239\nIPs:               10.0.171.239\nPort:              http  80/TCP\nTargetPort:        8080/TCP\nEndpoints:         <none>\nPort:              metrics  9090/TCP\nTargetPort:        9090/TCP\nEndpoints:\nSession Affinity:  None\nEvents:            <none>\n";
        let p = parse("attachments/svc.txt", text);
        assert_eq!(p.objects.len(), 1);
        let o = &p.objects[0];
        assert_eq!(
            (o.kind.as_str(), o.namespace.as_deref(), o.name.as_str()),
            ("Service", Some("shop"), "web")
        );
        let s = o.service.as_ref().unwrap();
        assert_eq!(s.selector.len(), 2);
        assert_eq!(s.selector["tier"], "frontend");
        assert_eq!(
            s.endpoints,
            vec![(14, "<none>".into()), (17, String::new())]
        );
        assert!(s.no_ready_endpoints());
        let ready = text.replace(
            "Endpoints:         <none>",
            "Endpoints:         10.244.1.7:8080",
        );
        assert!(!parse("a", &ready).objects[0]
            .service
            .as_ref()
            .unwrap()
            .no_ready_endpoints());
        // A Deployment's `Selector:` makes no Service.
        let deploy = "Name:                   web\nNamespace:              shop\nCreationTimestamp:      Tue, 01 Oct 2024 10:00:00 +0000\nSelector:               app=web\nReplicas:               2 desired | 0 updated | 0 total | 0 available | 2 unavailable\nStrategyType:           RollingUpdate\nPod Template:\n  Containers:\n   web:\n    Image:      nginx\n";
        let p = parse("a", deploy);
        assert!(p.objects[0].service.is_none(), "{:?}", p.objects[0]);
    }

    /// CNS's printer columns (Azure/azure-container-networking#1908): aligned, and with the
    /// alignment lost (one space between cells).
    #[test]
    fn get_nnc_rows_give_each_node_its_counts() {
        let aligned = "$ kubectl get nnc -n kube-system -o wide\nNAME                                REQUESTED IPS   ALLOCATED IPS   SUBNET   SUBNET CIDR     NC ID                                  NC MODE   NC TYPE   NC VERSION\naks-nodepool1-39652274-vmss000000   48              48              podnet   10.241.0.0/16   7f68a6e2-b0a5-4c78-bc0d-24bb9bcefbcf   dynamic   vnet      2\naks-nodepool1-39652274-vmss000001   32              16              podnet   10.241.0.0/16   206d3a69-69d3-488e-bd08-61dc45898d68   dynamic   vnet      2\nsomething else\n";
        let p = parse("attachments/nnc.txt", aligned);
        let rows: Vec<(&str, i64, i64, Option<&str>, bool)> = p
            .nncs
            .iter()
            .map(|(_, _, n)| {
                (
                    n.metadata.name.as_str(),
                    n.requested(),
                    n.allocated(),
                    n.status.network_containers[0]
                        .subnet_address_space
                        .as_deref(),
                    n.is_static(),
                )
            })
            .collect();
        assert_eq!(
            rows,
            vec![
                (
                    "aks-nodepool1-39652274-vmss000000",
                    48,
                    48,
                    Some("10.241.0.0/16"),
                    false
                ),
                (
                    "aks-nodepool1-39652274-vmss000001",
                    32,
                    16,
                    Some("10.241.0.0/16"),
                    false
                ),
            ]
        );
        assert_eq!(p.nncs[1].0, 4);
        assert_eq!(
            p.logs.len(),
            1,
            "the line after the table is loose: {:?}",
            p.logs
        );
        let squeezed = "NAME  REQUESTED IPS  ALLOCATED IPS  SUBNET  SUBNET CIDR  NC ID  NC MODE  NC TYPE  NC VERSION\naks-np-1-vmss000002 0 256 podnet 10.244.0.0/16 5a1c static overlay 1\n";
        let p = parse("attachments/nnc.txt", squeezed);
        let n = &p.nncs[0].2;
        assert_eq!(
            (n.requested(), n.allocated(), n.is_static()),
            (0, 256, true)
        );
    }

    /// A terminal cuts each long Events row at its width, mid-word; the rows are joined
    /// back. A table whose widest rows are full lines is left alone.
    #[test]
    fn rows_a_terminal_wrapped_are_joined_back_and_tables_are_not() {
        let message = "MountVolume.SetUp failed for volume \"secrets-store-inline\" : rpc error: code = Unknown desc = failed to mount secrets store objects for pod shop/orders-5c9d7b6f4-mm2xr, err: rpc error: code = Unknown desc = failed to mount objects, error: failed to get keyvault client: failed to get key vault token: nmi response failed with status code: 404";
        let rows: String = (0..3)
            .map(|i| format!("  Warning  FailedMount  {i}m  kubelet  {message}"))
            .map(|row| {
                let cut: Vec<String> = row
                    .chars()
                    .collect::<Vec<_>>()
                    .chunks(120)
                    .map(|c| c.iter().collect())
                    .collect();
                cut.join("\n")
            })
            .collect::<Vec<_>>()
            .join("\n");
        let text = format!("Events:\n  Type     Reason       Age  From     Message\n  ----     ------       ---  ----     -------\n{rows}\n");
        let logical = unwrap_terminal(&text.lines().collect::<Vec<_>>());
        let joined: Vec<&str> = logical
            .iter()
            .map(|(_, l)| l.as_ref())
            .filter(|l| l.contains("FailedMount"))
            .collect();
        assert_eq!(joined.len(), 3, "{logical:?}");
        for l in joined {
            assert!(l.ends_with(message), "{l}");
        }
        let table = "NAME                           READY   STATUS    RESTARTS   AGE   IP            NODE                                NOMINATED NODE\norders-5c9d7b6f4-mm2xr         1/1     Running   0          10d   10.244.1.17   aks-nodepool1-38275144-vmss000002   <none>\norders-5c9d7b6f4-x7kq2         1/1     Running   0          10d   10.244.2.9    aks-nodepool1-38275144-vmss000001   <none>\npayments-7d9f8b6c5d-2mzqk      0/1     Pending   0          10d   <none>        <none>                              <none>\n";
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(unwrap_terminal(&lines).len(), lines.len());
    }

    /// Pulls run by hand, in the forms tickets paste them; the error under one names no
    /// image, so the command gives it.
    #[test]
    fn pull_commands_give_the_image_of_the_error_under_them() {
        for (line, image) in [
            ("docker pull gcr.azk8s.cn/google_containers/pause-amd64:3.1", "gcr.azk8s.cn/google_containers/pause-amd64:3.1"),
            ("azureuser@aks-nodepool1-vmss000000:~$ sudo crictl pull mcr.microsoft.com/oss/kubernetes/pause:3.6", "mcr.microsoft.com/oss/kubernetes/pause:3.6"),
            ("# ctr -n k8s.io images pull docker.io/library/nginx:1.25", "docker.io/library/nginx:1.25"),
            ("PS C:\\> docker pull --platform linux/arm64 myacr.azurecr.io/web:2", "myacr.azurecr.io/web:2"),
            ("$ docker pull -q nginx", "nginx"),
        ] {
            let c = PULL_COMMAND.captures(line);
            assert_eq!(c.map(|c| c["image"].to_string()).as_deref(), Some(image), "{line}");
        }
        assert!(PULL_COMMAND
            .captures("we ran docker pull on the node")
            .is_none());
        let p = parse(
            "attachments/t.txt",
            "docker pull myacr.azurecr.io/web:2\nError response from daemon: unauthorized\n\n\n\n\n\nlater text\n",
        );
        assert_eq!(p.pulled_above(2), Some("myacr.azurecr.io/web:2"));
        assert_eq!(p.pulled_above(8), None, "too far below the command");
    }
}
