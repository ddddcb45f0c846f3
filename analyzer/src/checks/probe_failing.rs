//! Failing liveness, readiness and startup probes (the kubelet's `Unhealthy` events, and
//! its `Killing` event when a liveness probe restarts a container). A probe that failed
//! while the container was starting and then passed is start-up noise: the hit is kept
//! only while its pod is not Ready, or when the probe's container restarted. Each hit
//! names the probe, the container (from the event's field path) and the kind of failure,
//! which decides the fix: connection refused, timeout, an HTTP status, a failing command.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};
use crate::model::Pod;

static PROBE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(liveness|readiness|startup) probe").expect("static regex")
});
static STATUS_CODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)probe failed with statuscode: (\d{3})").expect("static regex")
});
static FIELD_CONTAINER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^spec\.(?:initContainers|containers|ephemeralContainers)\{([^}]+)\}$")
        .expect("static regex")
});
static KILLING_CONTAINER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^Container (\S+) failed (?:liveness|startup) probe").expect("static regex")
});

/// The kind of failure a probe message describes, and the HTTP status when it has one.
pub fn failure(message: &str) -> (&'static str, Option<String>) {
    let m = message.to_ascii_lowercase();
    if let Some(c) = STATUS_CODE.captures(message) {
        return ("http_status", Some(c[1].to_string()));
    }
    if m.contains("connection refused") {
        ("connection_refused", None)
    } else if m.contains("timeout")
        || m.contains("timed out")
        || m.contains("deadline exceeded")
        || m.contains("awaiting headers")
    {
        ("timeout", None)
    } else if m.contains("no route to host") || m.contains("connection reset") {
        ("network", None)
    } else if m.contains("exec")
        || m.contains("oci runtime")
        || m.contains("command")
        || m.contains("exit code")
    {
        ("exec", None)
    } else {
        ("other", None)
    }
}

/// True while the finding still matters: the pod is not Ready now, or the probed
/// container restarted (a liveness or startup probe kills it). A pod that is not in
/// the bundle keeps its events: nothing says it recovered.
fn still_failing(pod: Option<&Pod>, container: Option<&str>, probe: &str) -> bool {
    let Some(p) = pod else { return true };
    if !(p.is_running() && p.is_ready()) {
        return true;
    }
    let restarted = p
        .all_statuses()
        .filter(|cs| container.is_none_or(|c| cs.name == c))
        .any(|cs| cs.restart_count > 0);
    restarted && probe != "readiness"
}

/// The `probe_failing` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    // The container of each probe event is in its field path, which hits do not carry.
    let mut field_paths: HashMap<(String, String, String), String> = HashMap::new();
    for (ns, ev) in inputs.index.events() {
        if ev.reason.as_deref() != Some("Unhealthy") {
            continue;
        }
        if let (Some(name), Some(fp)) = (&ev.involved_object.name, &ev.involved_object.field_path) {
            if let Some(c) = FIELD_CONTAINER.captures(fp) {
                let ns = ev.involved_object.namespace.as_deref().unwrap_or(ns);
                field_paths.insert(
                    (
                        ns.to_string(),
                        name.clone(),
                        ev.message.clone().unwrap_or_default(),
                    ),
                    c[1].to_string(),
                );
            }
        }
    }
    let mut out = Vec::new();
    for mut h in hits {
        let message = h.facts.get("message").cloned().unwrap_or_default();
        let ns = h.facts.get("namespace").cloned().unwrap_or_default();
        let pod_name = h.facts.get("pod").cloned().unwrap_or_default();
        let pod = inputs.index.pod(&ns, &pod_name);
        let probe = PROBE
            .captures(&message)
            .map(|c| c[1].to_ascii_lowercase())
            .unwrap_or_else(|| "liveness".into());
        let container = field_paths
            .get(&(ns.clone(), pod_name.clone(), message.clone()))
            .cloned()
            .or_else(|| {
                KILLING_CONTAINER
                    .captures(&message)
                    .map(|c| c[1].to_string())
            })
            .or_else(|| {
                // One container, or the only one that is not ready.
                let p = pod?;
                let mut unready = p.status.container_statuses.iter().filter(|c| !c.ready);
                match (p.spec.containers.len(), unready.next(), unready.next()) {
                    (1, _, _) => Some(p.spec.containers[0].name.clone()),
                    (_, Some(c), None) => Some(c.name.clone()),
                    _ => None,
                }
            });
        if !still_failing(pod, container.as_deref(), &probe) {
            continue;
        }
        if h.facts.get("reason").map(String::as_str) == Some("Killing") {
            h.facts.insert("restarted_by_probe".into(), "true".into());
        }
        let (kind, code) = failure(&message);
        h.facts.insert("probe".into(), probe);
        h.facts.insert("failure".into(), kind.into());
        if let Some(code) = code {
            h.facts.insert("status_code".into(), code);
        }
        if let Some(c) = container {
            h.facts.insert("container".into(), c);
        }
        if let Some(p) = pod {
            if let Some((kind, name)) = super::acr_registry_typo::workload_of(p) {
                h.facts.insert("workload_kind".into(), kind);
                h.facts.insert("workload".into(), name);
            }
            let restarts: i64 = p.all_statuses().map(|c| c.restart_count).sum();
            h.facts.insert("restarts".into(), restarts.to_string());
            h.facts.insert("ready".into(), p.is_ready().to_string());
        }
        out.push(h);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_classified() {
        assert_eq!(
            failure(r#"Readiness probe failed: Get "http://10.240.25.5:9000/healthz": dial tcp 10.240.25.5:9000: connect: connection refused"#).0,
            "connection_refused"
        );
        assert_eq!(
            failure("Readiness probe failed: HTTP probe failed with statuscode: 500"),
            ("http_status", Some("500".to_string()))
        );
        assert_eq!(
            failure(r#"Liveness probe failed: Get "http://10.244.1.9:8080/health": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"#).0,
            "timeout"
        );
        assert_eq!(
            failure("Liveness probe failed: command \"pg_isready\" timed out").0,
            "timeout"
        );
        assert_eq!(
            failure(
                "Readiness probe failed: cat: can't open '/tmp/healthy': No such file or directory"
            )
            .0,
            "other"
        );
    }

    fn pod(json: &str) -> Pod {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn start_up_failures_of_a_ready_pod_are_noise() {
        let ready = pod(
            r#"{"metadata":{"name":"a"},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}],"containerStatuses":[{"name":"app","ready":true,"restartCount":0}]}}"#,
        );
        assert!(!still_failing(Some(&ready), Some("app"), "readiness"));
        assert!(!still_failing(Some(&ready), Some("app"), "liveness"));
        let restarted = pod(
            r#"{"metadata":{"name":"a"},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}],"containerStatuses":[{"name":"app","ready":true,"restartCount":4}]}}"#,
        );
        assert!(still_failing(Some(&restarted), Some("app"), "liveness"));
        assert!(!still_failing(Some(&restarted), Some("app"), "readiness"));
        let unready = pod(
            r#"{"metadata":{"name":"a"},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"False"}]}}"#,
        );
        assert!(still_failing(Some(&unready), None, "readiness"));
        assert!(still_failing(None, None, "readiness"));
    }
}
