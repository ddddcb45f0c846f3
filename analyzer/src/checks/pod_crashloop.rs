//! Containers waiting in `CrashLoopBackOff`, joined with the last lines of their previous
//! instance's log (`logs/<ns>/<pod>/<container>.previous.log`), which the scan keeps for
//! every previous log: they become context evidence. `BackOff`/`FailedSync` events and the
//! kubelet's own lines (its journal, pasted text) stand in for the status only when the
//! bundle has no pods.json for their namespace.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};
use crate::finding::Evidence;

/// Previous-log lines shown per container.
const TAIL_LINES: usize = 10;

/// The `pod_crashloop` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let key = |h: &Hit| {
        (
            h.facts.get("namespace").cloned().unwrap_or_default(),
            h.facts.get("pod").cloned().unwrap_or_default(),
            h.facts.get("container").cloned().unwrap_or_default(),
        )
    };
    let mut previous: BTreeMap<(String, String, String), Vec<Evidence>> = BTreeMap::new();
    for t in &inputs.scan.tails {
        let k = (
            t.file.namespace.clone().unwrap_or_default(),
            t.file.pod.clone().unwrap_or_default(),
            t.file.container.clone().unwrap_or_default(),
        );
        previous
            .entry(k)
            .or_default()
            .push(inputs.context_evidence(t));
    }
    // A kubelet line may name several containers (`err="[failed to ... container=a pod=...,
    // failed to ... container=b pod=...]"`): the scan keeps its first match, so the others
    // are read back from the line.
    let hits: Vec<Hit> = hits.into_iter().flat_map(split_containers).collect();
    // BackOff events and kubelet lines speak only when pods.json is missing for their
    // namespace: otherwise the container status says whether the container is still
    // crash-looping (a container that runs again since is not).
    let statuses = hits.into_iter().filter(|h| {
        let stand_in = !h.facts.contains_key("state");
        !stand_in
            || h.facts.get("namespace").is_none_or(|ns| {
                inputs
                    .index
                    .namespaces
                    .get(ns)
                    .is_none_or(|n| n.pods.is_none())
            })
    });
    statuses
        .map(|mut h| {
            let k = key(&h);
            let pod = inputs.index.pod(&k.0, &k.1);
            if let Some(p) = pod {
                if let Some(cs) = p.all_statuses().find(|c| c.name == k.2) {
                    if let Some(t) = &cs.last_state.terminated {
                        if let Some(at) = &t.finished_at {
                            h.facts.insert("last_finished_at".into(), inputs.time(at));
                        }
                        if let Some(m) = t.message.as_deref().filter(|m| !m.trim().is_empty()) {
                            h.facts.insert("last_message".into(), m.trim().to_string());
                        }
                    }
                }
                if p.spec.init_containers.iter().any(|c| c.name == k.2) {
                    h.facts
                        .insert("container_field".into(), "initContainers".into());
                }
                if h.facts.get("last_reason").map(String::as_str) == Some("OOMKilled") {
                    super::oom_killed::add_memory_facts(&mut h.facts, p, &k.2);
                }
            }
            super::oom_killed::add_workload(&mut h.facts, pod);
            h.facts.insert(
                "previous_log".into(),
                format!("logs/{}/{}/{}.previous.log", k.0, k.1, k.2),
            );
            if let Some(evidence) = previous.remove(&k) {
                let skip = evidence.len().saturating_sub(TAIL_LINES);
                h.facts.insert(
                    "previous_log_lines".into(),
                    (evidence.len() - skip).to_string(),
                );
                h.evidence.extend(evidence.into_iter().skip(skip));
            }
            h
        })
        .collect()
}

/// The kubelet's `restarting failed container=<c> pod=<name>_<namespace>(` in a log line.
static RESTARTING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)restarting failed container=([\w.-]+) pod=([a-z0-9][a-z0-9.-]*)_([a-z0-9][a-z0-9-]*)\(")
        .expect("static regex")
});

/// One hit per container a kubelet line names; other hits unchanged.
fn split_containers(h: Hit) -> Vec<Hit> {
    if h.facts.contains_key("state") || !h.facts.contains_key("file") {
        return vec![h];
    }
    let mut h = h;
    if h.node.is_none() {
        if let Some(n) = h
            .facts
            .get("file")
            .and_then(|f| super::node_not_ready::node_of_file(f))
        {
            h.facts.insert("node".into(), n.clone());
            h.node = Some(n);
        }
    }
    let line = h.facts.get("message").cloned().unwrap_or_default();
    let mut out = vec![h];
    for c in RESTARTING.captures_iter(&line) {
        let (container, pod, ns) = (&c[1], &c[2], &c[3]);
        let seen = out.iter().any(|o| {
            o.facts.get("container").map(String::as_str) == Some(container)
                && o.facts.get("pod").map(String::as_str) == Some(pod)
                && o.facts.get("namespace").map(String::as_str) == Some(ns)
        });
        if seen {
            continue;
        }
        let mut more = out[0].clone();
        let object = format!("{ns}/pod/{pod}");
        more.facts.insert("container".into(), container.to_string());
        more.facts.insert("pod".into(), pod.to_string());
        more.facts.insert("name".into(), pod.to_string());
        more.facts.insert("namespace".into(), ns.to_string());
        more.object = Some(object.clone());
        for e in &mut more.evidence {
            e.object = Some(object.clone());
        }
        out.push(more);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::Index;
    use crate::rules::Catalogue;
    use crate::scan::{ContextLine, ScanResults, TextFile, TextSource};

    fn status_hit(container: &str) -> Hit {
        let mut facts = BTreeMap::new();
        facts.insert("namespace".to_string(), "shop".to_string());
        facts.insert("pod".to_string(), "api-1".to_string());
        facts.insert("container".to_string(), container.to_string());
        Hit {
            object: Some("shop/pod/api-1".into()),
            evidence: vec![Evidence::of_object(
                "namespaces/shop/pods.json",
                "container api waiting: CrashLoopBackOff",
                None,
            )],
            facts,
            ..Default::default()
        }
    }

    fn tail(container: &str, line: u64) -> ContextLine {
        ContextLine {
            file: TextFile {
                file: format!("logs/shop/api-1/{container}.previous.log"),
                source: TextSource::Log,
                namespace: Some("shop".into()),
                pod: Some("api-1".into()),
                container: Some(container.into()),
                previous: true,
            },
            line,
            text: format!("{container} line {line}"),
            ts: None,
        }
    }

    #[test]
    fn a_kubelet_line_naming_two_containers_makes_two_hits() {
        let line = r#"E1122 03:56:20.145522 31070 pod_workers.go:765] "Error syncing pod, skipping" err="[failed to \"StartContainer\" for \"vcluster\" with CrashLoopBackOff: \"back-off 5m0s restarting failed container=vcluster pod=vcluster-1-0_tenants(c076d934)\", failed to \"StartContainer\" for \"syncer\" with CrashLoopBackOff: \"back-off 5m0s restarting failed container=syncer pod=vcluster-1-0_tenants(c076d934)\"]""#;
        let mut facts = BTreeMap::new();
        for (k, v) in [
            ("namespace", "tenants"),
            ("pod", "vcluster-1-0"),
            ("container", "vcluster"),
            (
                "file",
                "nodes/aks-nodepool1-12345678-vmss000002/kubelet.log",
            ),
            ("message", line),
        ] {
            facts.insert(k.to_string(), v.to_string());
        }
        let hit = Hit {
            object: Some("tenants/pod/vcluster-1-0".into()),
            facts,
            ..Default::default()
        };
        let out = split_containers(hit);
        let names: Vec<&str> = out.iter().map(|h| h.facts["container"].as_str()).collect();
        assert_eq!(names, vec!["vcluster", "syncer"]);
        assert_eq!(
            out[1].node.as_deref(),
            Some("aks-nodepool1-12345678-vmss000002")
        );
    }

    #[test]
    fn previous_log_tail_joins_the_crash_looping_container_only() {
        let index = Index::default();
        let scan = ScanResults {
            tails: vec![tail("api", 7), tail("sidecar", 2)],
            ..Default::default()
        };
        let cat = Catalogue::default();
        let inputs = Inputs::of(&index, &scan, &cat);
        let out = check(&inputs, 0, vec![status_hit("api")]);
        assert_eq!(out.len(), 1);
        let ev = &out[0].evidence;
        assert_eq!(ev.len(), 2);
        assert_eq!(
            (
                ev[1].line,
                ev[1].role.as_str(),
                ev[1].count,
                ev[1].excerpt.as_str()
            ),
            (Some(7), "context", 1, "api line 7")
        );
        assert_eq!(out[0].facts["previous_log_lines"], "1");
    }
}
