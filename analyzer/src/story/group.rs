//! One finding per cause. The rules already make one finding per workload (their
//! `group_by` holds the workload); here workloads failing for the same reason on the same
//! nodes become one finding that lists them all. The reason is what a rule groups by
//! beyond the object's identity (`causes` of pod-unschedulable, not `namespace` or
//! `workload`): a rule that groups by identity alone keeps its findings apart, since its
//! findings say nothing about sharing a cause.

use std::collections::{BTreeMap, BTreeSet};

use crate::engine::{max_opt, min_opt};
use crate::finding::{Finding, Table};
use crate::rules::Catalogue;

/// Facts that name an object rather than say why it fails.
const IDENTITY: &[&str] = &[
    "namespace",
    "workload",
    "pod",
    "name",
    "kind",
    "service",
    "container",
    "owner",
    "job",
];

/// The most evidence entries a merged finding keeps.
const MAX_EVIDENCE: usize = 20;

/// Merges findings of one rule that share a cause and their nodes.
pub fn by_cause(findings: Vec<Finding>, catalogue: &Catalogue) -> Vec<Finding> {
    let cause_keys: BTreeMap<&str, Vec<&str>> = catalogue
        .rules
        .iter()
        .map(|r| {
            let keys: Vec<&str> = r
                .spec
                .group_by
                .iter()
                .map(String::as_str)
                .filter(|k| !IDENTITY.contains(k))
                .collect();
            let identity_grouped = r
                .spec
                .group_by
                .iter()
                .any(|k| IDENTITY.contains(&k.as_str()));
            (
                r.spec.id.as_str(),
                if identity_grouped { keys } else { Vec::new() },
            )
        })
        .collect();
    let mut out: Vec<Finding> = Vec::new();
    let mut slot: BTreeMap<(String, Vec<String>, Vec<String>, String), usize> = BTreeMap::new();
    for f in findings {
        let keys = cause_keys.get(f.rule.as_str()).cloned().unwrap_or_default();
        if keys.is_empty() {
            out.push(f);
            continue;
        }
        let cause: Vec<String> = keys
            .iter()
            .map(|k| f.facts.get(*k).cloned().unwrap_or_default())
            .collect();
        let key = (
            f.rule.clone(),
            cause,
            f.nodes.clone(),
            f.story.status.as_str().to_string(),
        );
        match slot.get(&key) {
            Some(&i) => merge(&mut out[i], f),
            None => {
                slot.insert(key, out.len());
                out.push(f);
            }
        }
    }
    out
}

fn merge(into: &mut Finding, f: Finding) {
    into.story.merged += 1 + f.story.merged;
    let omitted = |x: &Finding| {
        x.facts
            .get("evidence_omitted")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0)
    };
    let mut dropped = omitted(into) + omitted(&f);
    let objects: BTreeSet<String> = into.objects.drain(..).chain(f.objects).collect();
    into.objects = objects.into_iter().collect();
    into.count += f.count;
    into.first_seen = min_opt(into.first_seen.take(), f.first_seen);
    into.last_seen = max_opt(into.last_seen.take(), f.last_seen);
    for e in f.evidence {
        // The same line for another workload (one scheduler message for 200 pods) is one
        // entry that happened more often, over a longer span.
        let same = into.evidence.iter().position(|x| {
            x.file == e.file && x.line == e.line && x.excerpt == e.excerpt && x.role == e.role
        });
        match same {
            Some(k) => {
                let x = &mut into.evidence[k];
                x.count += e.count;
                x.first_seen = min_opt(x.first_seen.take(), e.first_seen);
                x.last_seen = max_opt(x.last_seen.take(), e.last_seen);
                if x.object != e.object {
                    x.object = None;
                }
            }
            None if into.evidence.len() < MAX_EVIDENCE => into.evidence.push(e),
            None => dropped += 1,
        }
    }
    if dropped > 0 {
        into.facts
            .insert("evidence_omitted".into(), dropped.to_string());
    }
    match (&mut into.table, f.table) {
        (Some(acc), Some(t)) if acc.columns == t.columns => {
            for row in t.rows {
                if !acc.rows.contains(&row) {
                    acc.rows.push(row);
                }
            }
        }
        (None, Some(t)) => into.table = Some(Table { ..t }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pending(pod: &str, causes: &str, nodes: &[&str]) -> Finding {
        pending_saying(pod, causes, nodes, pod)
    }

    fn pending_saying(pod: &str, causes: &str, nodes: &[&str], says: &str) -> Finding {
        serde_json::from_value(serde_json::json!({
            "rule": "pod-unschedulable", "severity": "warning", "title": "t", "summary": "s",
            "objects": [format!("render/pod/{pod}")], "nodes": nodes,
            "evidence": [{"file": "namespaces/render/events.json", "line": null, "excerpt": says,
                          "count": 2, "first_seen": "2026-11-22T03:10:00Z", "last_seen": "2026-11-22T03:50:00Z"}],
            "remediation": [], "references": [], "count": 2,
            "facts": {"causes": causes, "insufficient": "cpu", "namespace": "render", "workload": pod},
            "first_seen": "2026-11-22T03:10:00Z", "last_seen": "2026-11-22T03:50:00Z",
        }))
        .unwrap()
    }

    #[test]
    fn workloads_with_one_cause_on_the_same_nodes_become_one_finding() {
        let (cat, _) = Catalogue::builtin();
        let mut findings: Vec<Finding> = (0..30)
            .map(|i| pending(&format!("job-{i:02}"), "insufficient", &[]))
            .collect();
        findings.push(pending("job-taint", "untolerated taint", &[]));
        let out = by_cause(findings, &cat);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].objects.len(), 30);
        assert_eq!(out[0].count, 60);
        assert_eq!(out[0].story.merged, 29);
        // Evidence stays readable; what was left off is counted.
        assert_eq!(out[0].evidence.len(), MAX_EVIDENCE);
        assert_eq!(out[0].facts["evidence_omitted"], "10");
        assert_eq!(out[1].objects, vec!["render/pod/job-taint".to_string()]);
    }

    #[test]
    fn one_message_for_many_pods_is_one_evidence_entry() {
        let (cat, _) = Catalogue::builtin();
        let msg = "FailedScheduling: 0/3 nodes are available: 3 Insufficient cpu.";
        let out = by_cause(
            (0..200)
                .map(|i| pending_saying(&format!("job-{i:03}"), "insufficient", &[], msg))
                .collect(),
            &cat,
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].evidence.len(), 1);
        assert_eq!(out[0].evidence[0].count, 400);
        assert!(!out[0].facts.contains_key("evidence_omitted"));
    }

    #[test]
    fn other_nodes_or_a_rule_without_a_cause_key_stay_apart() {
        let (cat, _) = Catalogue::builtin();
        let out = by_cause(
            vec![
                pending("a", "insufficient", &["n1"]),
                pending("b", "insufficient", &["n2"]),
            ],
            &cat,
        );
        assert_eq!(out.len(), 2);
        // pod-crashloop groups by identity alone: two workloads stay two findings.
        let mut a = pending("a", "", &["n1"]);
        let mut b = pending("b", "", &["n1"]);
        a.rule = "pod-crashloop".into();
        b.rule = "pod-crashloop".into();
        assert_eq!(by_cause(vec![a, b], &cat).len(), 2);
    }
}
