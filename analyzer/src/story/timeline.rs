//! One timeline: Warning events, node condition transitions, container restarts and
//! terminations, the log lines rules matched and failed collection steps, on one time
//! axis, each tied to the finding it belongs to. Built from the index and the placed,
//! ordered findings; the renderers only draw it.

use std::collections::HashMap;

use crate::finding::{Finding, TimelineEntry};
use crate::index::Index;
use crate::time::{place, Clock};

/// Most entries kept (the latest ones): a bundle of a large cluster has thousands of events.
pub const MAX_ENTRIES: usize = 1000;

/// How long the API server keeps events (kube-apiserver `--event-ttl`, 1h by default).
pub const EVENT_TTL_SECONDS: i64 = 3600;

/// Longest entry text.
const MAX_TEXT: usize = 300;

/// The merged timeline, sorted by time, then kind, then object.
pub fn build(findings: &[Finding], index: &Index, clock: Option<&Clock>) -> Vec<TimelineEntry> {
    // The first finding (in story order) that names an object owns its entries.
    let mut owner: HashMap<&str, &str> = HashMap::new();
    for f in findings {
        for o in &f.objects {
            owner.entry(o.as_str()).or_insert(f.story.id.as_str());
        }
    }
    let finding_of = |object: &str| owner.get(object).map(|id| id.to_string());
    let mut out = Vec::new();
    let mut push = |time: Option<String>, kind: &str, object: String, text: String, finding| {
        if let Some(time) = time {
            out.push(TimelineEntry {
                time,
                kind: kind.into(),
                object,
                text: clip(&text),
                finding,
            });
        }
    };
    for (ns, e) in index.events() {
        if e.type_.as_deref() != Some("Warning") {
            continue;
        }
        let object = e.object_ref(ns);
        let n = e.occurrences();
        let text = format!(
            "{}: {}{}",
            e.reason.as_deref().unwrap_or("?"),
            e.message.as_deref().unwrap_or(""),
            if n > 1 {
                format!(" (×{n})")
            } else {
                String::new()
            }
        );
        let finding = finding_of(&object);
        push(
            e.last_seen().and_then(|t| place(t, clock)),
            "event",
            object,
            text,
            finding,
        );
    }
    if let Some(nodes) = &index.nodes {
        for n in nodes.iter() {
            let object = format!("cluster/node/{}", n.metadata.name);
            for c in &n.status.conditions {
                // Ready in either direction; a pressure or network condition only when it is on.
                if c.type_ != "Ready" && c.status != "True" {
                    continue;
                }
                let text = format!(
                    "{}={}{}",
                    c.type_,
                    c.status,
                    c.reason
                        .as_deref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                );
                push(
                    c.last_transition_time
                        .as_deref()
                        .and_then(|t| place(t, clock)),
                    "node",
                    object.clone(),
                    text,
                    finding_of(&object),
                );
            }
        }
    }
    for p in index.pods() {
        let object = p.object_ref();
        for s in p.all_statuses() {
            for (state, restarted) in [(&s.last_state, true), (&s.state, false)] {
                let Some(t) = &state.terminated else {
                    continue;
                };
                let text = format!(
                    "container {} {} ({}{}){}",
                    s.name,
                    if restarted {
                        "restarted after it terminated"
                    } else {
                        "terminated"
                    },
                    t.reason.as_deref().unwrap_or("?"),
                    t.exit_code
                        .map(|c| format!(", exit code {c}"))
                        .unwrap_or_default(),
                    if s.restart_count > 0 {
                        format!("; {} restarts", s.restart_count)
                    } else {
                        String::new()
                    }
                );
                push(
                    t.finished_at.as_deref().and_then(|t| place(t, clock)),
                    "container",
                    object.clone(),
                    text,
                    finding_of(&object),
                );
            }
        }
    }
    for f in findings {
        for e in f
            .evidence
            .iter()
            .filter(|e| e.role == "signal" && e.line.is_some())
        {
            let text = if e.count > 1 {
                format!("{} (×{})", e.excerpt, e.count)
            } else {
                e.excerpt.clone()
            };
            push(
                e.first_seen.clone(),
                "log",
                e.object.clone().unwrap_or_default(),
                text,
                Some(f.story.id.clone()),
            );
        }
    }
    if let Some(m) = &index.manifest {
        for e in &m.errors {
            let text = format!(
                "{}: {}",
                e.step.as_deref().unwrap_or("?"),
                e.stderr
                    .as_deref()
                    .unwrap_or("")
                    .lines()
                    .last()
                    .unwrap_or("")
            );
            push(
                e.at.as_deref().and_then(|t| place(t, clock)),
                "collection",
                String::new(),
                text,
                None,
            );
        }
    }
    out.sort_by(|a, b| {
        a.time
            .cmp(&b.time)
            .then_with(|| a.kind.cmp(&b.kind))
            .then_with(|| a.object.cmp(&b.object))
            .then_with(|| a.text.cmp(&b.text))
    });
    out.dedup();
    let extra = out.len().saturating_sub(MAX_ENTRIES);
    out.drain(..extra);
    out
}

/// The time before which events had already expired when the bundle was collected.
pub fn events_horizon(clock: Option<&Clock>) -> Option<String> {
    let at = clock?.collected_at.as_second();
    crate::time::from_seconds(at - EVENT_TTL_SECONDS)
}

fn clip(s: &str) -> String {
    let one = s.replace(['\r', '\n'], " ");
    if one.chars().count() <= MAX_TEXT {
        return one;
    }
    let cut: String = one.chars().take(MAX_TEXT).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::NamespaceObjects;

    #[test]
    fn entries_from_every_source_sorted_and_tied_to_findings() {
        let mut index = Index {
            nodes: Some(
            serde_json::from_str(
                r#"[{"metadata":{"name":"n1"},"status":{"conditions":[
                    {"type":"MemoryPressure","status":"False","lastTransitionTime":"2026-11-22T03:20:02Z"},
                    {"type":"DiskPressure","status":"True","reason":"KubeletHasDiskPressure","lastTransitionTime":"2026-11-22T03:30:00Z"},
                    {"type":"Ready","status":"True","reason":"KubeletReady","lastTransitionTime":"2026-11-22T03:20:12Z"}]}}]"#,
            )
            .unwrap(),
        ),
            ..Default::default()
        };
        index.namespaces.insert(
            "shop".into(),
            NamespaceObjects {
                pods: Some(
                    serde_json::from_str(
                        r#"[{"metadata":{"name":"api","namespace":"shop"},"status":{"containerStatuses":[
                            {"name":"app","restartCount":4,"state":{"running":{}},
                             "lastState":{"terminated":{"reason":"OOMKilled","exitCode":137,"finishedAt":"2026-11-22T03:40:00Z"}}}]}}]"#,
                    )
                    .unwrap(),
                ),
                events: Some(
                    serde_json::from_str(
                        r#"[{"type":"Warning","reason":"BackOff","message":"Back-off restarting failed container",
                             "involvedObject":{"kind":"Pod","name":"api","namespace":"shop"},
                             "count":9,"lastTimestamp":"2026-11-22T03:45:00Z"},
                            {"type":"Normal","reason":"Pulled","message":"ok",
                             "involvedObject":{"kind":"Pod","name":"api","namespace":"shop"},
                             "lastTimestamp":"2026-11-22T03:44:00Z"}]"#,
                    )
                    .unwrap(),
                ),
                ..Default::default()
            },
        );
        let mut f: Finding = serde_json::from_value(serde_json::json!({
            "rule": "pod-crashloop", "severity": "critical", "title": "", "summary": "",
            "objects": ["shop/pod/api"], "remediation": [], "references": [],
            "evidence": [{"file": "logs/shop/api/app.log", "line": 3, "excerpt": "panic: out of memory",
                          "count": 1, "first_seen": "2026-11-22T03:39:59Z", "last_seen": "2026-11-22T03:39:59Z"}],
        }))
        .unwrap();
        f.story.id = "f1".into();
        let clock = Clock::of("2026-11-22T04:00:00Z");
        let got: Vec<(String, String, Option<String>)> = build(&[f], &index, clock.as_ref())
            .into_iter()
            .map(|e| (e.time, e.kind, e.finding))
            .collect();
        let f1 = Some("f1".to_string());
        assert_eq!(
            got,
            vec![
                // A pressure condition that is off is no news; Ready in either direction is.
                ("2026-11-22T03:20:12Z".into(), "node".into(), None),
                ("2026-11-22T03:30:00Z".into(), "node".into(), None),
                ("2026-11-22T03:39:59Z".into(), "log".into(), f1.clone()),
                (
                    "2026-11-22T03:40:00Z".into(),
                    "container".into(),
                    f1.clone()
                ),
                // Normal events stay out.
                ("2026-11-22T03:45:00Z".into(), "event".into(), f1),
            ]
        );
        assert_eq!(
            events_horizon(clock.as_ref()).as_deref(),
            Some("2026-11-22T03:00:00Z")
        );
    }
}
