//! Pods the cluster autoscaler will not add a node for. Its `NotTriggerScaleUp` event on a
//! pending pod lists, per node group, why a new node would not help or cannot be made:
//! `pod didn't trigger scale-up: 1 in backoff after failed scale-up, 3 max node group size
//! reached, 12 node(s) didn't match Pod's node affinity/selector`. Each pod's latest such
//! event is parsed into its causes. Pods that have been scheduled since, or whose later
//! `TriggeredScaleUp` shows a scale-up under way, are dropped.
//!
//! A node group in backoff failed its last scale-up; the reason is in the autoscaler's
//! `FailedToScaleUpGroup` events about its status ConfigMap (Azure's quota or subnet error).
//! The finding then also names that ConfigMap, shows those events as context, and is
//! explained by the quota or subnet finding that names the same ConfigMap.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use regex::Regex;

use super::azure_capacity::AUTOSCALER_STATUS;
use crate::engine::{cut, Hit, Inputs};
use crate::finding::{Evidence, Table};
use crate::model::Pod;

/// The node group of a failed scale-up: `Scale-up failed for group aks-np-123-vmss: ...`.
static GROUP: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"Scale-up failed for group (?P<group>[\w.-]+?):").unwrap());

/// The `autoscaler_scale_up` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let mut per_pod: BTreeMap<String, Vec<Hit>> = BTreeMap::new();
    for h in hits {
        if let Some(o) = h.object.clone().filter(|o| o.contains("/pod/")) {
            per_pod.entry(o).or_default().push(h);
        }
    }
    // When a scale-up was last triggered for each pod, and the failed scale-ups.
    let mut triggered: HashMap<String, i64> = HashMap::new();
    let mut failures: Vec<Evidence> = Vec::new();
    for (ns, e) in inputs.index.events() {
        let reason = e.reason.as_deref().unwrap_or("");
        let when = e.last_seen().map(|t| inputs.time(t));
        match reason {
            "TriggeredScaleUp" => {
                if let Some(s) = when.as_deref().and_then(crate::time::seconds) {
                    let t = triggered.entry(e.object_ref(ns)).or_insert(s);
                    *t = (*t).max(s);
                }
            }
            "FailedToScaleUpGroup" => failures.push(Evidence {
                file: inputs.object_file(ns, "events.json"),
                line: None,
                excerpt: cut(&format!("{reason}: {}", e.message.as_deref().unwrap_or(""))),
                count: e.occurrences(),
                first_seen: e.first_seen().map(|t| inputs.time(t)),
                last_seen: when,
                object: Some(e.object_ref(ns)),
                role: "context".into(),
            }),
            _ => {}
        }
    }
    let mut out = Vec::new();
    let mut backoff = false;
    for (object, mut hs) in per_pod {
        hs.sort_by_key(|h| std::cmp::Reverse(last_seen(h)));
        let mut h = hs.remove(0);
        for older in hs {
            h.evidence.extend(older.evidence);
        }
        if let (Some(t), Some(l)) = (triggered.get(&object), last_seen(&h)) {
            if *t > l {
                continue;
            }
        }
        let ns = h.facts.get("namespace").cloned().unwrap_or_default();
        let name = h.facts.get("pod").cloned().unwrap_or_default();
        let pods_known = inputs
            .index
            .namespaces
            .get(&ns)
            .is_some_and(|n| n.pods.is_some());
        let pod = inputs.index.pod(&ns, &name);
        match pod {
            Some(p) if !still_pending(p) => continue,
            None if pods_known => continue,
            _ => {}
        }
        let message = h.facts.get("message").cloned().unwrap_or_default();
        let parsed = parse(&message);
        let mut names: Vec<&str> = Vec::new();
        for c in &parsed.causes {
            h.facts.insert(format!("cause_{}", c.kind), "true".into());
            if !names.contains(&c.kind) {
                names.push(c.kind);
            }
            if c.kind == "backoff" {
                backoff = true;
                h.facts
                    .insert("backoff_groups".into(), c.groups.to_string());
            }
        }
        if parsed.wont_fit {
            h.facts.insert("cause_wont_fit".into(), "true".into());
        }
        if !names.is_empty() {
            h.facts
                .insert("causes".into(), names.join(", ").replace('_', " "));
        }
        super::oom_killed::add_workload(&mut h.facts, pod);
        h.table = Some(Table {
            columns: vec!["Pod".into(), "Autoscaler says".into()],
            rows: vec![vec![format!("{ns}/{name}"), parsed.detail.clone()]],
        });
        out.push(h);
    }
    // The pods wait on a node group in backoff: name the autoscaler's status, with its
    // failed scale-ups as context.
    if backoff {
        let mut facts = BTreeMap::new();
        facts.insert("cause_backoff".into(), "true".into());
        failures.sort_by(|a, b| b.last_seen.cmp(&a.last_seen));
        if let Some(latest) = failures.first() {
            facts.insert("failed_scale_ups".into(), "true".into());
            if let Some(c) = GROUP.captures(&latest.excerpt) {
                facts.insert("node_group".into(), c["group"].to_string());
                if let Some(pool) = super::azure_capacity::pool_of_group(&c["group"]) {
                    facts.insert("nodepool".into(), pool);
                }
            }
        }
        failures.truncate(5);
        // The status ConfigMap, when collected, names the groups in backoff.
        if let Some(status) = super::azure_capacity::autoscaler_status(inputs.index) {
            let file = inputs
                .index
                .config_map_file("kube-system", "cluster-autoscaler-status")
                .unwrap_or("namespaces/kube-system/configmaps/cluster-autoscaler-status.json")
                .to_string();
            // Recent versions keep the failed scale-up's error in the status.
            for l in status.lines().filter(|l| l.contains("errorMessage:")) {
                facts.insert("failed_scale_ups".into(), "true".into());
                failures.push(Evidence {
                    file: file.clone(),
                    line: None,
                    excerpt: cut(&format!("data.status: {}", l.trim())),
                    count: 1,
                    first_seen: None,
                    last_seen: None,
                    object: Some(AUTOSCALER_STATUS.into()),
                    role: "context".into(),
                });
            }
            for g in super::azure_capacity::backoff_groups(status) {
                if !facts.contains_key("node_group") {
                    if let Some(pool) = super::azure_capacity::pool_of_group(&g) {
                        facts.insert("nodepool".into(), pool);
                    }
                    facts.insert("node_group".into(), g.clone());
                }
                failures.push(Evidence {
                    file: file.clone(),
                    line: None,
                    excerpt: format!("data.status: node group {g}: ScaleUp Backoff"),
                    count: 1,
                    first_seen: None,
                    last_seen: None,
                    object: Some(AUTOSCALER_STATUS.into()),
                    role: "context".into(),
                });
            }
        }
        out.push(Hit {
            object: Some(AUTOSCALER_STATUS.into()),
            node: None,
            facts,
            evidence: failures,
            table: None,
            weak_object: false,
        });
    }
    out
}

fn last_seen(h: &Hit) -> Option<i64> {
    h.evidence
        .iter()
        .filter_map(|e| e.last_seen.as_deref().and_then(crate::time::seconds))
        .max()
}

/// Pending and not bound to a node.
fn still_pending(p: &Pod) -> bool {
    p.status.phase.as_deref() == Some("Pending") && p.spec.node_name.is_none()
}

/// One reason the autoscaler gives, with the number of node groups it applies to.
#[derive(Debug, PartialEq)]
struct Cause {
    kind: &'static str,
    groups: u64,
}

#[derive(Debug, Default)]
struct Parsed {
    causes: Vec<Cause>,
    /// `(it wouldn't fit if a new node is added)`: no node group's template fits the pod.
    wont_fit: bool,
    /// The reasons as written.
    detail: String,
}

fn parse(message: &str) -> Parsed {
    static HEAD: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)pod didn't trigger scale-up(?P<fit>\s*\(it wouldn't fit if a new node is added\))?\s*:\s*").unwrap()
    });
    static PART: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^\s*(?P<n>\d+)\s+(?P<text>.+?)\.?\s*$").unwrap());
    let Some(m) = HEAD.captures(message) else {
        return Parsed::default();
    };
    let rest = &message[m.get(0).map_or(0, |x| x.end())..];
    let mut parsed = Parsed {
        wont_fit: m.name("fit").is_some(),
        detail: rest.trim().trim_end_matches('.').to_string(),
        ..Default::default()
    };
    for part in split_top(rest) {
        let (groups, text) = match PART.captures(part) {
            Some(c) => (c["n"].parse().unwrap_or(1), c["text"].to_ascii_lowercase()),
            None => (1, part.to_ascii_lowercase()),
        };
        let kind = classify(&text);
        match parsed.causes.iter_mut().find(|c| c.kind == kind) {
            Some(c) => c.groups += groups,
            None => parsed.causes.push(Cause { kind, groups }),
        }
    }
    parsed
}

fn classify(text: &str) -> &'static str {
    if text.contains("backoff") {
        "backoff"
    } else if text.contains("max node group size") || text.contains("max limit reached") {
        "max_size"
    } else if text.contains("max cluster") {
        "cluster_limit"
    } else if text.contains("taint") {
        "taint"
    } else if text.contains("affinity")
        || text.contains("selector")
        || text.contains("didn't match")
    {
        "selector"
    } else if text.contains("insufficient") {
        "insufficient"
    } else if text.contains("volume") {
        "volume"
    } else {
        "other"
    }
}

/// Splits on commas outside `{...}` (taints are written `{key: value}`).
fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '{' | '[' => depth += 1,
            '}' | ']' => depth -= 1,
            ',' if depth <= 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(p: &Parsed) -> Vec<(&str, u64)> {
        p.causes.iter().map(|c| (c.kind, c.groups)).collect()
    }

    #[test]
    fn backoff_with_a_taint_of_another_group() {
        // Azure/AKS#2665 with a second node group.
        let p = parse("pod didn't trigger scale-up: 1 in backoff after failed scale-up, 1 node(s) had untolerated taint {CriticalAddonsOnly: true}");
        assert_eq!(kinds(&p), vec![("backoff", 1), ("taint", 1)]);
        assert!(!p.wont_fit);
    }

    #[test]
    fn max_size_and_selector_in_the_old_and_new_wordings() {
        // kubernetes/autoscaler#5692 and #3268.
        let p = parse("pod didn't trigger scale-up: 12 node(s) didn't match Pod's node affinity/selector, 3 max node group size reached.");
        assert_eq!(kinds(&p), vec![("selector", 12), ("max_size", 3)]);
        assert_eq!(
            p.detail,
            "12 node(s) didn't match Pod's node affinity/selector, 3 max node group size reached"
        );
        let p = parse("pod didn't trigger scale-up (it wouldn't fit if a new node is added): 1 max limit reached");
        assert_eq!(kinds(&p), vec![("max_size", 1)]);
        assert!(p.wont_fit);
    }

    #[test]
    fn insufficient_resources_of_every_template() {
        let p = parse("pod didn't trigger scale-up: 2 Insufficient memory, 1 Insufficient cpu");
        assert_eq!(kinds(&p), vec![("insufficient", 3)]);
    }

    #[test]
    fn other_text_is_no_cause() {
        assert!(
            parse("pod triggered scale-up: [{aks-np-1-vmss 2->3 (max: 10)}]")
                .causes
                .is_empty()
        );
    }
}
