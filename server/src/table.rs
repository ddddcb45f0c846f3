//! The server-side Table form `kubectl get` asks for (`Accept: ...;as=Table;g=meta.k8s.io`):
//! the usual columns for pods, nodes, services and events, NAME and AGE for other kinds.
//! Ages are measured against the bundle's collection time, not the clock, so a bundle reads
//! as the cluster looked when it was collected.

use jiff::Timestamp;
use serde_json::{json, Value};

/// How much of each object a row carries (`includeObject`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Include {
    None,
    Metadata,
    Object,
}

impl Include {
    /// From the `includeObject` query value; the API server's default is `Metadata`.
    pub fn from_query(v: Option<&str>) -> Include {
        match v {
            Some("None") => Include::None,
            Some("Object") => Include::Object,
            _ => Include::Metadata,
        }
    }
}

struct Column {
    name: &'static str,
    ty: &'static str,
    priority: u8,
}

const fn col(name: &'static str, ty: &'static str, priority: u8) -> Column {
    Column { name, ty, priority }
}

const POD: &[Column] = &[
    col("Name", "string", 0),
    col("Ready", "string", 0),
    col("Status", "string", 0),
    col("Restarts", "integer", 0),
    col("Age", "string", 0),
    col("IP", "string", 1),
    col("Node", "string", 1),
    col("Nominated Node", "string", 1),
    col("Readiness Gates", "string", 1),
];
const NODE: &[Column] = &[
    col("Name", "string", 0),
    col("Status", "string", 0),
    col("Roles", "string", 0),
    col("Age", "string", 0),
    col("Version", "string", 0),
    col("Internal-IP", "string", 1),
    col("External-IP", "string", 1),
    col("OS-Image", "string", 1),
    col("Kernel-Version", "string", 1),
    col("Container-Runtime", "string", 1),
];
const SERVICE: &[Column] = &[
    col("Name", "string", 0),
    col("Type", "string", 0),
    col("Cluster-IP", "string", 0),
    col("External-IP", "string", 0),
    col("Port(s)", "string", 0),
    col("Age", "string", 0),
    col("Selector", "string", 1),
];
const EVENT: &[Column] = &[
    col("Last Seen", "string", 0),
    col("Type", "string", 0),
    col("Reason", "string", 0),
    col("Object", "string", 0),
    col("Subobject", "string", 1),
    col("Source", "string", 1),
    col("Message", "string", 0),
    col("First Seen", "string", 1),
    col("Count", "integer", 1),
    col("Name", "string", 1),
];
const GENERIC: &[Column] = &[col("Name", "string", 0), col("Age", "string", 0)];

/// Computes a row's cells at a time.
type Cells = fn(&Value, Timestamp) -> Vec<Value>;

/// A Table of `items` of `kind`, as `meta.k8s.io/<table_version>`.
pub fn table(
    kind: &str,
    items: &[&Value],
    now: Timestamp,
    include: Include,
    table_version: &str,
) -> Value {
    let (columns, cells): (&[Column], Cells) = match kind {
        "Pod" => (POD, pod_cells),
        "Node" => (NODE, node_cells),
        "Service" => (SERVICE, service_cells),
        "Event" => (EVENT, event_cells),
        _ => (GENERIC, generic_cells),
    };
    let defs: Vec<Value> = columns
        .iter()
        .map(|c| {
            json!({
                "name": c.name, "type": c.ty,
                "format": if c.name == "Name" { "name" } else { "" },
                "description": "", "priority": c.priority
            })
        })
        .collect();
    let rows: Vec<Value> = items
        .iter()
        .map(|item| {
            let mut row = json!({"cells": cells(item, now)});
            match include {
                Include::None => {}
                Include::Metadata => {
                    row["object"] = json!({
                        "kind": "PartialObjectMetadata",
                        "apiVersion": format!("meta.k8s.io/{table_version}"),
                        "metadata": row_metadata(&item["metadata"])
                    })
                }
                Include::Object => row["object"] = (*item).clone(),
            }
            row
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": format!("meta.k8s.io/{table_version}"),
        "metadata": {"resourceVersion": crate::api::RESOURCE_VERSION},
        "columnDefinitions": defs,
        "rows": rows
    })
}

/// The metadata a row carries (kubectl reads namespace and labels from it), with only
/// fields of the right type: a bundle's garbled field must not make kubectl reject the table.
fn row_metadata(meta: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for key in ["name", "namespace", "uid", "resourceVersion"] {
        if let Some(v) = meta[key].as_str() {
            out.insert(key.into(), json!(v));
        }
    }
    if let Some(t) = meta["creationTimestamp"].as_str() {
        if t.parse::<Timestamp>().is_ok() {
            out.insert("creationTimestamp".into(), json!(t));
        }
    }
    for key in ["labels", "annotations"] {
        if let Some(map) = meta[key].as_object() {
            let strings: serde_json::Map<String, Value> = map
                .iter()
                .filter(|(_, v)| v.is_string())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            out.insert(key.into(), Value::Object(strings));
        }
    }
    Value::Object(out)
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn or_none(v: &str) -> String {
    if v.is_empty() {
        "<none>".into()
    } else {
        v.to_string()
    }
}

/// Age of a timestamp at `now`, or `<unknown>` without one.
fn age(stamp: &Value, now: Timestamp) -> String {
    match stamp.as_str().and_then(|t| t.parse::<Timestamp>().ok()) {
        Some(t) => human_duration(now.as_second() - t.as_second()),
        None => "<unknown>".into(),
    }
}

/// apimachinery's `duration.HumanDuration`, which `kubectl get` ages use.
pub fn human_duration(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".into();
    } else if seconds < 0 {
        return "0s".into();
    } else if seconds < 60 * 2 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 {
            format!("{minutes}m")
        } else {
            format!("{minutes}m{s}s")
        };
    } else if minutes < 60 * 3 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        if m == 0 {
            format!("{hours}h")
        } else {
            format!("{hours}h{m}m")
        }
    } else if hours < 48 {
        format!("{hours}h")
    } else if hours < 24 * 8 {
        let h = hours % 24;
        if h == 0 {
            format!("{}d", hours / 24)
        } else {
            format!("{}d{h}h", hours / 24)
        }
    } else if hours < 24 * 365 * 2 {
        format!("{}d", hours / 24)
    } else if hours < 24 * 365 * 8 {
        let dy = (hours / 24) % 365;
        if dy == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{dy}d", hours / 24 / 365)
        }
    } else {
        format!("{}y", hours / 24 / 365)
    }
}

fn list(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or(&[])
}

fn terminated_reason(t: &Value, prefix: &str) -> String {
    if !s(&t["reason"]).is_empty() {
        return format!("{prefix}{}", s(&t["reason"]));
    }
    match t["signal"].as_i64() {
        Some(sig) if sig != 0 => format!("{prefix}Signal:{sig}"),
        _ => format!("{prefix}ExitCode:{}", t["exitCode"].as_i64().unwrap_or(0)),
    }
}

/// The READY and STATUS of `kubectl get pods` (kubectl's `printPod`).
fn pod_cells(pod: &Value, now: Timestamp) -> Vec<Value> {
    let status = &pod["status"];
    let total = list(&pod["spec"]["containers"]).len();
    let mut ready = 0;
    let mut restarts = 0i64;
    let mut reason = s(&status["phase"]).to_string();
    if !s(&status["reason"]).is_empty() {
        reason = s(&status["reason"]).to_string();
    }
    let inits = list(&status["initContainerStatuses"]);
    let init_total = list(&pod["spec"]["initContainers"]).len();
    let mut initializing = false;
    for (i, c) in inits.iter().enumerate() {
        restarts += c["restartCount"].as_i64().unwrap_or(0);
        let state = &c["state"];
        let waiting = s(&state["waiting"]["reason"]);
        if state["terminated"].is_object() && state["terminated"]["exitCode"].as_i64() == Some(0) {
            continue;
        }
        if state["terminated"].is_object() {
            reason = terminated_reason(&state["terminated"], "Init:");
        } else if !waiting.is_empty() && waiting != "PodInitializing" {
            reason = format!("Init:{waiting}");
        } else {
            reason = format!("Init:{i}/{init_total}");
        }
        initializing = true;
        break;
    }
    if !initializing {
        restarts = 0;
        let mut has_running = false;
        for c in list(&status["containerStatuses"]).iter().rev() {
            restarts += c["restartCount"].as_i64().unwrap_or(0);
            let state = &c["state"];
            if !s(&state["waiting"]["reason"]).is_empty() {
                reason = s(&state["waiting"]["reason"]).to_string();
            } else if state["terminated"].is_object() {
                reason = terminated_reason(&state["terminated"], "");
            } else if c["ready"] == true && state["running"].is_object() {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            let pod_ready = list(&status["conditions"])
                .iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True");
            reason = if pod_ready { "Running" } else { "NotReady" }.into();
        }
    }
    if pod["metadata"]["deletionTimestamp"].is_string() {
        reason = if s(&status["reason"]) == "NodeLost" {
            "Unknown".into()
        } else {
            "Terminating".into()
        };
    }
    let gates = list(&pod["spec"]["readinessGates"]);
    let gates = if gates.is_empty() {
        "<none>".to_string()
    } else {
        let met = gates
            .iter()
            .filter(|g| {
                list(&status["conditions"])
                    .iter()
                    .any(|c| c["type"] == g["conditionType"] && c["status"] == "True")
            })
            .count();
        format!("{met}/{}", gates.len())
    };
    vec![
        json!(s(&pod["metadata"]["name"])),
        json!(format!("{ready}/{total}")),
        json!(reason),
        json!(restarts),
        json!(age(&pod["metadata"]["creationTimestamp"], now)),
        json!(or_none(s(&status["podIP"]))),
        json!(or_none(s(&pod["spec"]["nodeName"]))),
        json!(or_none(s(&status["nominatedNodeName"]))),
        json!(gates),
    ]
}

fn node_cells(node: &Value, now: Timestamp) -> Vec<Value> {
    let status = &node["status"];
    let mut state = match list(&status["conditions"])
        .iter()
        .find(|c| c["type"] == "Ready")
    {
        Some(c) if c["status"] == "True" => "Ready".to_string(),
        Some(_) => "NotReady".to_string(),
        None => "Unknown".to_string(),
    };
    if node["spec"]["unschedulable"] == true {
        state.push_str(",SchedulingDisabled");
    }
    let mut roles: Vec<String> = node["metadata"]["labels"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| {
            if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
                Some(role.to_string())
            } else if k == "kubernetes.io/role" {
                v.as_str().map(String::from)
            } else {
                None
            }
        })
        .filter(|r| !r.is_empty())
        .collect();
    roles.sort();
    roles.dedup();
    let address = |ty: &str| {
        list(&status["addresses"])
            .iter()
            .find(|a| a["type"] == ty)
            .map(|a| s(&a["address"]).to_string())
            .unwrap_or_default()
    };
    let info = &status["nodeInfo"];
    vec![
        json!(s(&node["metadata"]["name"])),
        json!(state),
        json!(or_none(&roles.join(","))),
        json!(age(&node["metadata"]["creationTimestamp"], now)),
        json!(s(&info["kubeletVersion"])),
        json!(or_none(&address("InternalIP"))),
        json!(or_none(&address("ExternalIP"))),
        json!(or_none(s(&info["osImage"]))),
        json!(or_none(s(&info["kernelVersion"]))),
        json!(or_none(s(&info["containerRuntimeVersion"]))),
    ]
}

fn service_cells(svc: &Value, now: Timestamp) -> Vec<Value> {
    let spec = &svc["spec"];
    let ty = s(&spec["type"]);
    let joined = |v: &Value| -> String {
        list(v)
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(",")
    };
    let external = match ty {
        "ExternalName" => s(&spec["externalName"]).to_string(),
        "LoadBalancer" => {
            let mut ips: Vec<String> = list(&svc["status"]["loadBalancer"]["ingress"])
                .iter()
                .map(|i| {
                    let ip = s(&i["ip"]);
                    if ip.is_empty() {
                        s(&i["hostname"]).to_string()
                    } else {
                        ip.to_string()
                    }
                })
                .filter(|x| !x.is_empty())
                .collect();
            let extra = joined(&spec["externalIPs"]);
            if !extra.is_empty() {
                ips.push(extra);
            }
            if ips.is_empty() {
                "<pending>".into()
            } else {
                ips.join(",")
            }
        }
        _ => or_none(&joined(&spec["externalIPs"])),
    };
    let ports: Vec<String> = list(&spec["ports"])
        .iter()
        .map(|p| {
            let proto = p["protocol"].as_str().unwrap_or("TCP");
            match p["nodePort"].as_i64() {
                Some(np) if np != 0 => format!("{}:{np}/{proto}", p["port"]),
                _ => format!("{}/{proto}", p["port"]),
            }
        })
        .collect();
    let mut selector: Vec<String> = spec["selector"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", s(v)))
        .collect();
    selector.sort();
    vec![
        json!(s(&svc["metadata"]["name"])),
        json!(ty),
        json!(or_none(s(&spec["clusterIP"]))),
        json!(or_none(&external)),
        json!(or_none(&ports.join(","))),
        json!(age(&svc["metadata"]["creationTimestamp"], now)),
        json!(or_none(&selector.join(","))),
    ]
}

fn event_cells(ev: &Value, now: Timestamp) -> Vec<Value> {
    let mut first = age(&ev["firstTimestamp"], now);
    if !ev["firstTimestamp"].is_string() {
        first = age(&ev["eventTime"], now);
    }
    let mut last = age(&ev["lastTimestamp"], now);
    if !ev["lastTimestamp"].is_string() {
        last = first.clone();
    }
    let mut count = ev["count"].as_i64().unwrap_or(0);
    if ev["series"].is_object() {
        last = age(&ev["series"]["lastObservedTime"], now);
        count = ev["series"]["count"].as_i64().unwrap_or(0);
    } else if count == 0 {
        count = 1;
    }
    let object = &ev["involvedObject"];
    let kind = s(&object["kind"]).to_ascii_lowercase();
    let target = if s(&object["name"]).is_empty() {
        kind
    } else {
        format!("{kind}/{}", s(&object["name"]))
    };
    let source = &ev["source"];
    let source = match s(&source["host"]) {
        "" => s(&source["component"]).to_string(),
        host => format!("{}, {host}", s(&source["component"])),
    };
    vec![
        json!(last),
        json!(s(&ev["type"])),
        json!(s(&ev["reason"])),
        json!(target),
        json!(s(&object["fieldPath"])),
        json!(source),
        json!(s(&ev["message"]).trim()),
        json!(first),
        json!(count),
        json!(s(&ev["metadata"]["name"])),
    ]
}

fn generic_cells(item: &Value, now: Timestamp) -> Vec<Value> {
    vec![
        json!(s(&item["metadata"]["name"])),
        json!(age(&item["metadata"]["creationTimestamp"], now)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations_match_kubectl() {
        assert_eq!(human_duration(-5), "<invalid>");
        assert_eq!(human_duration(-1), "0s");
        assert_eq!(human_duration(119), "119s");
        assert_eq!(human_duration(125), "2m5s");
        assert_eq!(human_duration(600), "10m");
        assert_eq!(human_duration(3 * 3600 + 5 * 60), "3h5m");
        assert_eq!(human_duration(30 * 3600), "30h");
        assert_eq!(human_duration(3 * 86400 + 3600), "3d1h");
        assert_eq!(human_duration(40 * 86400), "40d");
        assert_eq!(human_duration(800 * 86400), "2y70d");
    }

    #[test]
    fn crashlooping_pod_reads_as_kubectl_prints_it() {
        let pod = json!({
            "metadata": {"name": "web-1", "creationTimestamp": "2026-11-22T03:00:00Z"},
            "spec": {"containers": [{"name": "app"}, {"name": "proxy"}], "nodeName": "n1"},
            "status": {"phase": "Running", "podIP": "10.0.0.5", "containerStatuses": [
                {"name": "app", "ready": false, "restartCount": 7,
                 "state": {"waiting": {"reason": "CrashLoopBackOff"}}},
                {"name": "proxy", "ready": true, "restartCount": 0,
                 "state": {"running": {"startedAt": "2026-11-22T03:00:05Z"}}}
            ]}
        });
        let now: Timestamp = "2026-11-22T04:00:00Z".parse().unwrap();
        let cells = pod_cells(&pod, now);
        assert_eq!(cells[1], "1/2");
        assert_eq!(cells[2], "CrashLoopBackOff");
        assert_eq!(cells[3], 7);
        assert_eq!(cells[4], "60m");
        assert_eq!(cells[6], "n1");
    }

    #[test]
    fn row_metadata_drops_fields_kubectl_could_not_decode() {
        let meta = json!({"name": "p", "namespace": 7, "creationTimestamp": "not a time",
            "labels": {"app": "web", "n": 1}});
        assert_eq!(
            row_metadata(&meta),
            json!({"name": "p", "labels": {"app": "web"}})
        );
    }

    #[test]
    fn init_container_failure_shows_as_init_status() {
        let pod = json!({
            "metadata": {"name": "p"},
            "spec": {"initContainers": [{"name": "i"}], "containers": [{"name": "c"}]},
            "status": {"phase": "Pending", "initContainerStatuses": [
                {"name": "i", "restartCount": 2, "state": {"terminated": {"exitCode": 1, "reason": "Error"}}}
            ], "containerStatuses": [{"name": "c", "state": {"waiting": {"reason": "PodInitializing"}}}]}
        });
        let cells = pod_cells(&pod, Timestamp::UNIX_EPOCH);
        assert_eq!(cells[2], "Init:Error");
        assert_eq!(cells[3], 2);
        assert_eq!(cells[4], "<unknown>");
    }
}
