//! Containers waiting in `CrashLoopBackOff`, joined with the lines of their previous
//! instance's log (`logs/<ns>/<pod>/<container>.previous.log`) that the rule's log matcher
//! caught: the last of them become context evidence. Log lines of containers that are not
//! crash-looping are dropped, so a log line alone never makes a finding. `BackOff` events
//! stand in for the status only when the bundle has no pods.json for their namespace.

use std::collections::BTreeMap;

use crate::engine::{Hit, Inputs};

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
    let (lines, statuses): (Vec<Hit>, Vec<Hit>) = hits
        .into_iter()
        .partition(|h| h.evidence.iter().any(|e| e.line.is_some()));
    let mut previous: BTreeMap<(String, String, String), Vec<Hit>> = BTreeMap::new();
    for h in lines {
        if h.facts
            .get("file")
            .is_some_and(|f| f.ends_with(".previous.log"))
        {
            previous.entry(key(&h)).or_default().push(h);
        }
    }
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
            if let Some(mut lines) = previous.remove(&k) {
                let mut evidence: Vec<_> = lines
                    .iter_mut()
                    .flat_map(|l| std::mem::take(&mut l.evidence))
                    .collect();
                evidence.sort_by_key(|e| e.line);
                evidence.dedup_by(|a, b| a.line == b.line);
                let skip = evidence.len().saturating_sub(TAIL_LINES);
                h.facts
                    .insert("previous_log_lines".into(), (evidence.len()).to_string());
                for mut e in evidence.into_iter().skip(skip) {
                    e.role = "context".into();
                    // Context, not occurrences of the signal: it must not add to the
                    // finding's count (the engine counts its own context lines the same way).
                    e.count = 0;
                    h.evidence.push(e);
                }
            }
            h
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Evidence;
    use crate::index::Index;
    use crate::rules::Catalogue;
    use crate::scan::ScanResults;

    fn hit(file: &str, line: Option<u64>, container: &str) -> Hit {
        let mut facts = BTreeMap::new();
        facts.insert("namespace".to_string(), "shop".to_string());
        facts.insert("pod".to_string(), "api-1".to_string());
        facts.insert("container".to_string(), container.to_string());
        facts.insert("file".to_string(), file.to_string());
        Hit {
            object: Some("shop/pod/api-1".into()),
            evidence: vec![Evidence {
                file: file.into(),
                line,
                excerpt: format!("line {line:?}"),
                count: 1,
                first_seen: None,
                last_seen: None,
                object: None,
                role: "signal".into(),
            }],
            facts,
            ..Default::default()
        }
    }

    #[test]
    fn previous_log_lines_join_the_crash_looping_container_only() {
        let (index, scan, cat) = (
            Index::default(),
            ScanResults::default(),
            Catalogue::default(),
        );
        let inputs = Inputs::of(&index, &scan, &cat);
        let hits = vec![
            hit("namespaces/shop/pods.json", None, "api"),
            hit("logs/shop/api-1/api.previous.log", Some(7), "api"),
            hit("logs/shop/api-1/api.log", Some(3), "api"),
            hit("logs/shop/api-1/sidecar.previous.log", Some(2), "sidecar"),
        ];
        let out = check(&inputs, 0, hits);
        assert_eq!(out.len(), 1);
        let ev = &out[0].evidence;
        assert_eq!(ev.len(), 2);
        assert_eq!(
            (ev[1].line, ev[1].role.as_str(), ev[1].count),
            (Some(7), "context", 0)
        );
        assert_eq!(out[0].facts["previous_log_lines"], "1");
    }
}
