//! Deployments that stopped making progress: the `Progressing` condition `False` with
//! `ProgressDeadlineExceeded` (the rollout's new ReplicaSet did not become available within
//! `progressDeadlineSeconds`), a `ReplicaFailure` condition (its ReplicaSet cannot create
//! pods), or `Available` `False` for longer than the quiet window. A rollout still within
//! its deadline, a paused Deployment and one scaled to zero stay quiet. The cause is
//! usually in the pods of the newest ReplicaSet (an image pull, a crash, scheduling); the
//! story step links those findings as the root cause through the ReplicaSet's pods.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{cut, Hit, Inputs};
use crate::finding::{Evidence, Table};
use crate::model::{Condition, Deployment};
use crate::time::seconds;

/// How long `Available=False` must last before it is a finding, not a rollout in flight.
const UNAVAILABLE_FOR: i64 = 600;

static NEW_RS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"ReplicaSet \\?"([^"\\]+)\\?""#).expect("static regex"));

/// The condition that says the Deployment is stuck, or `None` when it is fine or a
/// rollout is still in flight. `now` is the collection time in seconds.
pub fn stuck(d: &Deployment, now: Option<i64>) -> Option<&Condition> {
    if d.spec.paused || d.spec.replicas == Some(0) {
        return None;
    }
    if let Some(c) = d.condition("Progressing") {
        if c.status == "False" && c.reason.as_deref() == Some("ProgressDeadlineExceeded") {
            return Some(c);
        }
    }
    if let Some(c) = d.condition("ReplicaFailure") {
        if c.status == "True" {
            return Some(c);
        }
    }
    let c = d.condition("Available")?;
    if c.status != "False" {
        return None;
    }
    let since = c.last_transition_time.as_deref().and_then(seconds);
    match (now, since) {
        (Some(now), Some(since)) if now - since < UNAVAILABLE_FOR => None,
        _ => Some(c),
    }
}

/// The Deployment's newest ReplicaSet: the one its condition names, or the one it owns
/// with the highest revision.
fn new_replica_set(inputs: &Inputs, ns: &str, d: &Deployment, c: &Condition) -> Option<String> {
    if let Some(m) = c.message.as_deref().and_then(|m| NEW_RS.captures(m)) {
        return Some(m[1].to_string());
    }
    let revision = |rs: &crate::model::ReplicaSet| {
        rs.metadata
            .annotations
            .get("deployment.kubernetes.io/revision")
            .and_then(|r| r.parse::<i64>().ok())
            .unwrap_or(0)
    };
    inputs
        .index
        .replica_sets()
        .filter(|(n, rs)| {
            *n == ns
                && rs
                    .metadata
                    .owner_references
                    .iter()
                    .any(|o| o.kind == "Deployment" && o.name == d.metadata.name)
        })
        .max_by_key(|(_, rs)| revision(rs))
        .map(|(_, rs)| rs.metadata.name.clone())
}

fn count(v: Option<i64>) -> String {
    v.unwrap_or(0).to_string()
}

/// The `deployment_not_progressing` check.
pub fn check(inputs: &Inputs, _rule: usize, _hits: Vec<Hit>) -> Vec<Hit> {
    let now = inputs
        .index
        .manifest
        .as_ref()
        .and_then(|m| m.collected_at.as_deref())
        .and_then(seconds);
    let mut out = Vec::new();
    for (ns, d) in inputs.index.deployments() {
        let Some(c) = stuck(d, now) else { continue };
        let name = d.metadata.name.as_str();
        let object = format!("{ns}/deployment/{name}");
        let s = &d.status;
        let mut facts = BTreeMap::new();
        facts.insert("namespace".to_string(), ns.to_string());
        facts.insert("name".to_string(), name.to_string());
        facts.insert("deployment".to_string(), name.to_string());
        facts.insert("kind".to_string(), "deployment".to_string());
        facts.insert("condition".to_string(), c.type_.clone());
        if let Some(r) = &c.reason {
            facts.insert("condition_reason".to_string(), r.clone());
        }
        if let Some(m) = &c.message {
            facts.insert("condition_message".to_string(), m.clone());
        }
        facts.insert("desired".to_string(), d.desired().to_string());
        facts.insert("updated".to_string(), count(s.updated_replicas));
        facts.insert("ready".to_string(), count(s.ready_replicas));
        facts.insert("available".to_string(), count(s.available_replicas));
        if let Some(rs) = new_replica_set(inputs, ns, d, c) {
            facts.insert("new_replicaset".to_string(), rs);
        }
        if let Some(p) = d.spec.progress_deadline_seconds {
            facts.insert("progress_deadline_seconds".to_string(), p.to_string());
        }
        let when = c
            .last_update_time
            .as_deref()
            .or(c.last_transition_time.as_deref())
            .map(|t| inputs.time(t));
        let mut signal = Evidence::of_object(
            inputs.object_file(ns, "deployments.json"),
            cut(&format!(
                "deployment {name}: {}={} {}: {} ({} desired, {} updated, {} ready, {} available)",
                c.type_,
                c.status,
                c.reason.as_deref().unwrap_or(""),
                c.message.as_deref().unwrap_or(""),
                d.desired(),
                count(s.updated_replicas),
                count(s.ready_replicas),
                count(s.available_replicas),
            )),
            Some(object.clone()),
        );
        signal.first_seen = c.last_transition_time.as_deref().map(|t| inputs.time(t));
        signal.last_seen = when;
        let table = Table {
            columns: ["deployment", "desired", "updated", "ready", "available"]
                .iter()
                .map(|c| c.to_string())
                .collect(),
            rows: vec![vec![
                name.to_string(),
                d.desired().to_string(),
                count(s.updated_replicas),
                count(s.ready_replicas),
                count(s.available_replicas),
            ]],
        };
        out.push(Hit {
            weak_object: false,
            object: Some(object),
            node: None,
            facts,
            evidence: vec![signal],
            table: Some(table),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(json: &str) -> Deployment {
        serde_json::from_str(json).unwrap()
    }

    const NOW: i64 = 1_795_320_000; // 2026-11-22T04:00:00Z

    #[test]
    fn deadline_exceeded_and_replica_failure_are_stuck() {
        let d = dep(
            r#"{"metadata":{"name":"api"},"spec":{"replicas":2},"status":{"conditions":[
            {"type":"Available","status":"True"},
            {"type":"Progressing","status":"False","reason":"ProgressDeadlineExceeded","message":"ReplicaSet \"api-6b8f9d7c5\" has timed out progressing."}]}}"#,
        );
        assert_eq!(
            stuck(&d, Some(NOW)).and_then(|c| c.reason.as_deref()),
            Some("ProgressDeadlineExceeded")
        );
        let d = dep(
            r#"{"metadata":{"name":"api"},"spec":{"replicas":2},"status":{"conditions":[
            {"type":"ReplicaFailure","status":"True","reason":"FailedCreate","message":"pods \"api-1\" is forbidden: exceeded quota: q"}]}}"#,
        );
        assert_eq!(
            stuck(&d, Some(NOW)).map(|c| c.type_.as_str()),
            Some("ReplicaFailure")
        );
    }

    #[test]
    fn a_rollout_in_flight_paused_or_scaled_to_zero_is_not_stuck() {
        let fresh = dep(
            r#"{"metadata":{"name":"api"},"spec":{"replicas":2},"status":{"conditions":[
            {"type":"Available","status":"False","reason":"MinimumReplicasUnavailable","lastTransitionTime":"2026-11-22T03:57:00Z"},
            {"type":"Progressing","status":"True","reason":"ReplicaSetUpdated"}]}}"#,
        );
        assert!(stuck(&fresh, Some(NOW)).is_none());
        let old = dep(
            r#"{"metadata":{"name":"api"},"spec":{"replicas":2},"status":{"conditions":[
            {"type":"Available","status":"False","reason":"MinimumReplicasUnavailable","lastTransitionTime":"2026-11-22T03:20:00Z"}]}}"#,
        );
        assert!(stuck(&old, Some(NOW)).is_some());
        let paused = dep(
            r#"{"metadata":{"name":"api"},"spec":{"replicas":2,"paused":true},"status":{"conditions":[
            {"type":"Progressing","status":"False","reason":"ProgressDeadlineExceeded"}]}}"#,
        );
        assert!(stuck(&paused, Some(NOW)).is_none());
        let zero = dep(
            r#"{"metadata":{"name":"api"},"spec":{"replicas":0},"status":{"conditions":[
            {"type":"Available","status":"False","lastTransitionTime":"2026-11-22T01:00:00Z"}]}}"#,
        );
        assert!(stuck(&zero, Some(NOW)).is_none());
    }
}
