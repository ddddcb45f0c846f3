//! CoreDNS itself down or degraded: pods labelled `k8s-app=kube-dns` in `kube-system` that
//! are not Ready (crash-looping, Pending, on a NotReady node, failing readiness), or the
//! `kube-dns` Service without a ready endpoint. The cause is named from the pods' logs when
//! they say it (a Corefile or `coredns-custom` parse error, the loop plugin's fatal loop
//! detection), else from the pods' states. Log lines from pods that are Ready are dropped:
//! a reload that failed on a bad `coredns-custom` keeps serving the previous configuration.

use std::collections::BTreeMap;

use crate::engine::{Hit, Inputs};
use crate::finding::Evidence;
use crate::index::Index;
use crate::model::Pod;
use crate::time::seconds;

/// A Running pod that started this recently and is not Ready yet is starting up.
const START_UP_GRACE_SECONDS: i64 = 120;

/// The `coredns_unhealthy` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let index = inputs.index;
    let now = index
        .manifest
        .as_ref()
        .and_then(|m| m.collected_at.as_deref())
        .and_then(seconds);
    let pods: Vec<&Pod> = index
        .pods_in("kube-system")
        .filter(|p| p.metadata.labels.get("k8s-app").map(String::as_str) == Some("kube-dns"))
        .collect();
    let pods_collected = index
        .namespaces
        .get("kube-system")
        .is_some_and(|n| n.pods.is_some());
    let mut out: Vec<Hit> = Vec::new();
    let mut pod_state: BTreeMap<String, &'static str> = BTreeMap::new();
    for p in &pods {
        if let Some(state) = unhealthy_state(index, p, now) {
            pod_state.insert(p.metadata.name.clone(), state);
            out.push(pod_hit(inputs, p, state));
        }
    }
    let ready = pods
        .iter()
        .filter(|p| p.is_running() && p.is_ready())
        .count();
    let service_down = index
        .endpoints("kube-system", "kube-dns")
        .is_some_and(|e| e.ready_count() == 0);
    if service_down {
        out.push(service_hit(inputs));
    }
    if out.is_empty() {
        return Vec::new(); // CoreDNS is serving: log lines alone are not this diagnosis
    }
    // The logs of the unhealthy pods say why (a pod unknown to pods.json counts only when
    // pods were not collected at all).
    for h in hits {
        let pod = h.facts.get("pod").cloned().unwrap_or_default();
        let keep = pod_state.contains_key(&pod) || (!pods_collected && service_down);
        if keep {
            out.push(h);
        }
    }
    let log_cause = out.iter().find_map(|h| {
        if h.facts.contains_key("config_error") {
            Some("config_error")
        } else if h.facts.contains_key("loop") {
            Some("loop_detected")
        } else {
            None
        }
    });
    let cause = log_cause
        .or_else(|| {
            [
                "crashloop",
                "unschedulable",
                "node_not_ready",
                "not_running",
                "not_ready",
            ]
            .into_iter()
            .find(|s| pod_state.values().any(|v| v == s))
        })
        .unwrap_or(if pods.is_empty() && pods_collected {
            "no_pods"
        } else {
            "not_ready"
        });
    let config_error = out
        .iter()
        .find_map(|h| h.facts.get("config_error").cloned());
    let config_file = out.iter().find_map(|h| h.facts.get("config_file").cloned());
    let unhealthy: Vec<String> = pod_state.keys().cloned().collect();
    for h in &mut out {
        h.facts.insert("cause".into(), cause.into());
        h.facts.insert("ready_pods".into(), ready.to_string());
        h.facts
            .insert("coredns_pods".into(), pods.len().to_string());
        h.facts
            .insert("unhealthy_pods".into(), unhealthy.join(", "));
        h.facts
            .insert("service_down".into(), service_down.to_string());
        if let Some(e) = &config_error {
            h.facts.entry("config_error".into()).or_insert(e.clone());
        }
        if let Some(f) = &config_file {
            h.facts.entry("config_file".into()).or_insert(f.clone());
        }
    }
    out
}

/// Why a CoreDNS pod is not serving, or None when it is (or is still starting).
fn unhealthy_state(index: &Index, p: &Pod, now: Option<i64>) -> Option<&'static str> {
    if p.status.phase.as_deref() == Some("Succeeded") {
        return None;
    }
    if p.is_running() && p.is_ready() {
        return None;
    }
    let waiting = p
        .status
        .container_statuses
        .iter()
        .filter_map(|c| c.state.waiting.as_ref())
        .filter_map(|w| w.reason.as_deref())
        .collect::<Vec<_>>();
    if waiting.contains(&"CrashLoopBackOff") {
        return Some("crashloop");
    }
    if let Some(node) = p.spec.node_name.as_deref() {
        if index
            .node(node)
            .and_then(|n| n.ready_condition())
            .is_some_and(|c| c.status != "True")
        {
            return Some("node_not_ready");
        }
    }
    if p.status.phase.as_deref() == Some("Pending") {
        let unscheduled = p
            .status
            .conditions
            .iter()
            .any(|c| c.type_ == "PodScheduled" && c.status == "False");
        return Some(if unscheduled {
            "unschedulable"
        } else {
            "not_running"
        });
    }
    if !p.is_running() {
        return Some("not_running");
    }
    // Running, not Ready: still starting, or failing its readiness probe.
    let started = p
        .status
        .container_statuses
        .iter()
        .filter_map(|c| c.state.running.as_ref())
        .filter_map(|r| r.started_at.as_deref())
        .filter_map(seconds)
        .max();
    if let (Some(now), Some(started)) = (now, started) {
        if now - started < START_UP_GRACE_SECONDS {
            return None;
        }
    }
    Some("not_ready")
}

fn pod_hit(inputs: &Inputs, p: &Pod, state: &str) -> Hit {
    let name = &p.metadata.name;
    let object = p.object_ref();
    let mut facts: BTreeMap<String, String> = [
        ("namespace", "kube-system".to_string()),
        ("pod", name.clone()),
        ("name", name.clone()),
        ("kind", "pod".to_string()),
        ("pod_state", state.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if let Some(n) = &p.spec.node_name {
        facts.insert("node".into(), n.clone());
    }
    let restarts: i64 = p
        .status
        .container_statuses
        .iter()
        .map(|c| c.restart_count)
        .sum();
    let waiting = p
        .status
        .container_statuses
        .iter()
        .find_map(|c| c.state.waiting.as_ref().and_then(|w| w.reason.clone()));
    Hit {
        object: Some(object.clone()),
        node: p.spec.node_name.clone(),
        facts,
        evidence: vec![Evidence::of_object(
            inputs.object_file("kube-system", "pods.json"),
            format!(
                "CoreDNS pod {name}: phase {}, Ready {}{}, {restarts} restart(s){}",
                p.status.phase.as_deref().unwrap_or("?"),
                if p.is_ready() { "True" } else { "False" },
                waiting
                    .map(|w| format!(", waiting {w}"))
                    .unwrap_or_default(),
                p.spec
                    .node_name
                    .as_deref()
                    .map(|n| format!(", node {n}"))
                    .unwrap_or_default()
            ),
            Some(object),
        )],
        ..Default::default()
    }
}

fn service_hit(inputs: &Inputs) -> Hit {
    let object = "kube-system/service/kube-dns".to_string();
    let facts = [
        ("namespace", "kube-system"),
        ("service", "kube-dns"),
        ("name", "kube-dns"),
        ("kind", "service"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    Hit {
        object: Some(object.clone()),
        facts,
        evidence: vec![Evidence::of_object(
            inputs.object_file("kube-system", "endpoints.json"),
            "Endpoints kube-system/kube-dns: no ready address: every DNS query of every pod fails",
            Some(object),
        )],
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(v: serde_json::Value) -> Pod {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn states_of_coredns_pods() {
        let index = Index::default();
        let now = seconds("2026-11-22T04:00:00Z");
        let crash = pod(serde_json::json!({
            "metadata": {"name": "coredns-1", "namespace": "kube-system"},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}],
                "containerStatuses": [{"name": "coredns", "restartCount": 7,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}
        }));
        assert_eq!(unhealthy_state(&index, &crash, now), Some("crashloop"));
        let starting = pod(serde_json::json!({
            "metadata": {"name": "coredns-2", "namespace": "kube-system"},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}],
                "containerStatuses": [{"name": "coredns",
                    "state": {"running": {"startedAt": "2026-11-22T03:59:30Z"}}}]}
        }));
        assert_eq!(unhealthy_state(&index, &starting, now), None);
        let stuck = pod(serde_json::json!({
            "metadata": {"name": "coredns-3", "namespace": "kube-system"},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}],
                "containerStatuses": [{"name": "coredns",
                    "state": {"running": {"startedAt": "2026-11-22T03:40:00Z"}}}]}
        }));
        assert_eq!(unhealthy_state(&index, &stuck, now), Some("not_ready"));
        let pending = pod(serde_json::json!({
            "metadata": {"name": "coredns-4", "namespace": "kube-system"},
            "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False"}]}
        }));
        assert_eq!(
            unhealthy_state(&index, &pending, now),
            Some("unschedulable")
        );
        let fine = pod(serde_json::json!({
            "metadata": {"name": "coredns-5", "namespace": "kube-system"},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
        }));
        assert_eq!(unhealthy_state(&index, &fine, now), None);
    }
}
