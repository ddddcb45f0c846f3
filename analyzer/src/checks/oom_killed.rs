//! Containers whose last termination was `OOMKilled`: one hit per container, with the
//! memory limit and request from the pod spec, so the finding says how much memory the
//! container was allowed before the kernel killed it.

use std::collections::BTreeMap;

use crate::engine::{Hit, Inputs};
use crate::model::Pod;

/// The `oom_killed` check: merges a container's hits and adds its memory figures.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let mut merged: BTreeMap<(String, String, String), Hit> = BTreeMap::new();
    for h in hits {
        let key = (
            h.facts.get("namespace").cloned().unwrap_or_default(),
            h.facts.get("pod").cloned().unwrap_or_default(),
            h.facts.get("container").cloned().unwrap_or_default(),
        );
        match merged.get_mut(&key) {
            Some(m) => m.evidence.extend(h.evidence),
            None => {
                merged.insert(key, h);
            }
        }
    }
    let mut out: Vec<Hit> = merged
        .into_values()
        .map(|mut h| {
            let pod = match (h.facts.get("namespace"), h.facts.get("pod")) {
                (Some(ns), Some(p)) => inputs.index.pod(ns, p),
                _ => None,
            };
            if let (Some(p), Some(c)) = (pod, h.facts.get("container").cloned()) {
                add_memory_facts(&mut h.facts, p, &c);
            }
            add_workload(&mut h.facts, pod);
            h
        })
        .collect();
    // Replicas of one workload make one finding: give each the restarts of all of them.
    let group = |h: &Hit| {
        ["namespace", "workload", "container"].map(|k| h.facts.get(k).cloned().unwrap_or_default())
    };
    let mut totals: BTreeMap<[String; 3], i64> = BTreeMap::new();
    for h in &out {
        let r: i64 = h
            .facts
            .get("restarts")
            .and_then(|r| r.parse().ok())
            .unwrap_or(0);
        *totals.entry(group(h)).or_default() += r;
    }
    for h in &mut out {
        let total = totals.get(&group(h)).copied().unwrap_or(0);
        h.facts.insert("restarts_total".into(), total.to_string());
    }
    out
}

/// Adds `memory_limit` (or `no_memory_limit`) and `memory_request` of container `name`.
pub fn add_memory_facts(facts: &mut BTreeMap<String, String>, pod: &Pod, name: &str) {
    let Some(c) = pod.all_containers().find(|c| c.name == name) else {
        return;
    };
    match c.resources.limits.get("memory").map(quantity) {
        Some(l) => {
            facts.insert("memory_limit".into(), l);
        }
        None => {
            facts.insert("no_memory_limit".into(), "true".into());
        }
    }
    if let Some(r) = c.resources.requests.get("memory").map(quantity) {
        facts.insert("memory_request".into(), r);
    }
}

/// Adds `workload_kind` and `workload` (the pod itself when it has no owner), so the
/// replicas of one workload make one finding.
pub fn add_workload(facts: &mut BTreeMap<String, String>, pod: Option<&Pod>) {
    match pod.and_then(super::acr_registry_typo::workload_of) {
        Some((kind, name)) => {
            facts.insert("workload_kind".into(), kind);
            facts.insert("workload".into(), name);
        }
        None => {
            if let Some(p) = facts.get("pod").cloned() {
                facts.insert("workload_kind".into(), "pod".into());
                facts.insert("workload".into(), p);
            }
        }
    }
}

/// A quantity as written (`"512Mi"`), or a bare number of bytes.
fn quantity(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_limit_and_request_come_from_the_container_spec() {
        let pod: Pod = serde_json::from_str(
            r#"{"metadata":{"name":"api","namespace":"shop"},
                "spec":{"containers":[
                  {"name":"api","resources":{"limits":{"memory":"256Mi"},"requests":{"memory":128974848}}},
                  {"name":"sidecar"}]}}"#,
        )
        .unwrap();
        let mut f = BTreeMap::new();
        add_memory_facts(&mut f, &pod, "api");
        assert_eq!(f.get("memory_limit").map(String::as_str), Some("256Mi"));
        assert_eq!(
            f.get("memory_request").map(String::as_str),
            Some("128974848")
        );
        let mut f = BTreeMap::new();
        add_memory_facts(&mut f, &pod, "sidecar");
        assert_eq!(f.get("no_memory_limit").map(String::as_str), Some("true"));
    }
}
