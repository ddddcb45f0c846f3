//! Containers waiting in `CrashLoopBackOff`, joined with the last lines of their previous
//! instance's log (`logs/<ns>/<pod>/<container>.previous.log`), which the scan keeps for
//! every previous log: they become context evidence. `BackOff` events stand in for the
//! status only when the bundle has no pods.json for their namespace.

use std::collections::BTreeMap;

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
    let statuses = hits;
    // BackOff events speak only when pods.json is missing for their namespace: otherwise
    // the container status says whether the container is still crash-looping.
    let statuses = statuses.into_iter().filter(|h| {
        let from_event = h.evidence.iter().any(|e| e.file.ends_with("events.json"));
        !from_event
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
