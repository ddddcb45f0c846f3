//! Containers whose last termination was `OOMKilled`: one hit per container, with the
//! memory limit and request from the pod spec, so the finding says how much memory the
//! container was allowed before the kernel killed it. The kernel's own lines (an
//! `oom-kill:` or `Task in ... killed as a result of limit of` line in a node journal or a
//! pasted `dmesg`, node-problem-detector's `OOMKilling` and the kubelet's `SystemOOM`
//! events) name the pod by the UID in its cgroup path: they join that container's finding,
//! or make one when the process killed was not the container's main process (the container
//! lives on, its status says nothing). A kill no pod can be found for is reported for its
//! node.

use std::collections::BTreeMap;

use crate::engine::{Hit, Inputs};
use crate::model::Pod;

/// The `oom_killed` check: merges a container's hits and adds its memory figures.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let (statuses, kernel): (Vec<Hit>, Vec<Hit>) = hits
        .into_iter()
        .partition(|h| h.facts.contains_key("state"));
    let mut merged: BTreeMap<(String, String, String), Hit> = BTreeMap::new();
    let mut unresolved: Vec<Hit> = Vec::new();
    for h in statuses {
        merge(&mut merged, h);
    }
    for mut h in kernel {
        if resolve(inputs, &mut h) {
            merge(&mut merged, h);
        } else {
            unresolved.push(h);
        }
    }
    // A kill no pod is known for (a line without the cgroup path, an event) joins a finding
    // of the same file or node, when there is one.
    let mut alone: BTreeMap<String, Hit> = BTreeMap::new();
    for h in unresolved {
        let file = h.facts.get("file").cloned();
        let node = h.node.clone();
        let home = merged.values_mut().find(|m| {
            (file.is_some() && m.facts.get("file") == file.as_ref())
                || (node.is_some() && m.node == node)
        });
        match home {
            Some(m) => {
                for k in ["process", "pid"] {
                    if let (false, Some(v)) = (m.facts.contains_key(k), h.facts.get(k)) {
                        m.facts.insert(k.to_string(), v.clone());
                    }
                }
                m.evidence.extend(h.evidence);
            }
            // A bare `Killed process` line may be any cgroup's (containerd's own, a
            // systemd unit's): alone it is not a container's OOM kill. An event about a
            // node (SystemOOM, OOMKilling) is the node's, pasted or collected.
            None if file.is_some()
                && !h.facts.contains_key("pod_uid")
                && h.facts.get("kind").map(String::as_str) != Some("node") => {}
            None => {
                let key = node.clone().or(file.clone()).unwrap_or_default();
                match alone.get_mut(&key) {
                    Some(a) => a.evidence.extend(h.evidence),
                    None => {
                        alone.insert(key, node_level(h));
                    }
                }
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
    out.extend(alone.into_values());
    out
}

/// Adds `h` to the finding of its container, or starts one.
fn merge(merged: &mut BTreeMap<(String, String, String), Hit>, h: Hit) {
    let key = (
        h.facts.get("namespace").cloned().unwrap_or_default(),
        h.facts.get("pod").cloned().unwrap_or_default(),
        h.facts.get("container").cloned().unwrap_or_default(),
    );
    match merged.get_mut(&key) {
        Some(m) => {
            for k in ["process", "pid"] {
                if let (false, Some(v)) = (m.facts.contains_key(k), h.facts.get(k)) {
                    m.facts.insert(k.to_string(), v.clone());
                }
            }
            m.evidence.extend(h.evidence);
        }
        None => {
            merged.insert(key, h);
        }
    }
}

/// Ties a kernel line to its pod (by the UID in its cgroup path) and container (by the
/// container ID after it, or the pod's only container); false when no pod is known.
fn resolve(inputs: &Inputs, h: &mut Hit) -> bool {
    if h.node.is_none() {
        let node = if h.facts.get("kind").map(String::as_str) == Some("node") {
            h.facts.get("name").cloned()
        } else {
            h.facts
                .get("file")
                .and_then(|f| super::node_not_ready::node_of_file(f))
        };
        if let Some(n) = node {
            h.facts.insert("node".into(), n.clone());
            h.node = Some(n);
        }
    }
    let Some(uid) = h.facts.get("pod_uid").map(|u| u.replace('_', "-")) else {
        return false;
    };
    let Some(pod) = inputs
        .index
        .pods()
        .find(|p| p.metadata.uid.as_deref() == Some(uid.as_str()))
    else {
        return false;
    };
    let container_id = h.facts.get("container_id").cloned().unwrap_or_default();
    let status = pod.all_statuses().find(|c| {
        !container_id.is_empty()
            && c.container_id
                .as_deref()
                .is_some_and(|id| id.ends_with(&container_id))
    });
    let name = match status {
        Some(c) => Some(c.name.clone()),
        None if pod.spec.containers.len() == 1 => Some(pod.spec.containers[0].name.clone()),
        None => None,
    };
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    let object = pod.object_ref();
    h.facts.insert("namespace".into(), ns.to_string());
    h.facts.insert("pod".into(), pod.metadata.name.clone());
    h.facts.insert("name".into(), pod.metadata.name.clone());
    h.facts.insert("kind".into(), "pod".into());
    if let Some(c) = &name {
        h.facts.insert("container".into(), c.clone());
        if let Some(cs) = pod.all_statuses().find(|s| &s.name == c) {
            h.facts
                .insert("restarts".into(), cs.restart_count.to_string());
        }
    }
    if let Some(n) = &pod.spec.node_name {
        h.facts.insert("node".into(), n.clone());
        h.node = Some(n.clone());
    }
    h.object = Some(object.clone());
    for e in &mut h.evidence {
        e.object = Some(object.clone());
    }
    true
}

/// A kill on a node whose pod is not known: the finding is the node's.
fn node_level(mut h: Hit) -> Hit {
    for k in ["namespace", "pod", "name", "kind", "container"] {
        h.facts.remove(k);
    }
    h.object = h.node.as_ref().map(|n| format!("cluster/node/{n}"));
    if let Some(n) = &h.node {
        h.facts.insert("name".into(), n.clone());
        h.facts.insert("kind".into(), "node".into());
        // Findings group by workload: kills on one node make one finding.
        h.facts.insert("workload".into(), n.clone());
        h.facts.insert("workload_kind".into(), "node".into());
    }
    for e in &mut h.evidence {
        e.object = h.object.clone();
    }
    h
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
    fn kernel_line_finds_its_pod_by_uid_and_its_container_by_id() {
        use crate::index::Index;
        use crate::rules::Catalogue;
        use crate::scan::ScanResults;
        let pods: Vec<Pod> = serde_json::from_str(
            r#"[{"metadata":{"name":"web-1","namespace":"shop","uid":"968a06fb-9ab9-4819-8caf-0392ddff3d9b"},
                 "spec":{"nodeName":"n1","containers":[{"name":"web"},{"name":"sidecar"}]},
                 "status":{"containerStatuses":[
                   {"name":"web","restartCount":0,"containerID":"containerd://0f32"},
                   {"name":"sidecar","restartCount":2,"containerID":"containerd://7a8b"}]}}]"#,
        )
        .unwrap();
        let mut index = Index::default();
        index.insert_pods("shop", pods);
        let (scan, cat) = (ScanResults::default(), Catalogue::default());
        let inputs = Inputs::of(&index, &scan, &cat);
        let line = |uid: &str, id: &str| {
            let mut facts = BTreeMap::new();
            facts.insert("pod_uid".to_string(), uid.to_string());
            facts.insert("container_id".to_string(), id.to_string());
            facts.insert("file".to_string(), "attachments/dmesg.txt".to_string());
            Hit {
                facts,
                ..Default::default()
            }
        };
        // The systemd cgroup driver writes the UID with underscores.
        let mut h = line("968a06fb_9ab9_4819_8caf_0392ddff3d9b", "7a8b");
        assert!(resolve(&inputs, &mut h));
        assert_eq!(h.object.as_deref(), Some("shop/pod/web-1"));
        assert_eq!(h.facts["container"], "sidecar");
        assert_eq!(h.facts["restarts"], "2");
        assert_eq!(h.node.as_deref(), Some("n1"));
        // Two containers and no ID that matches: the pod is known, the container is not.
        let mut h = line("968a06fb-9ab9-4819-8caf-0392ddff3d9b", "");
        assert!(resolve(&inputs, &mut h));
        assert!(!h.facts.contains_key("container"));
        let mut h = line("00000000-0000-0000-0000-000000000000", "");
        assert!(!resolve(&inputs, &mut h));
    }

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
