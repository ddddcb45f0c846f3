//! A PodDisruptionBudget refused an eviction during a drain: AKS's `UpgradeFailed` text
//! (`Drain node <node> failed when evicting pod <pod> ... PDB debug info: <ns>/<pod>
//! blocked by pdb <name> (MinAvailable: 1) (CurrentHealthy: 1) ...`), kubectl drain's
//! `error when evicting pods/"<pod>" -n "<ns>" ...: Cannot evict pod as it would violate
//! the pod's disruption budget.`, and the node events of an AKS drain. The finding names
//! the blocked pod, and the budget when the message names it.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};
use crate::finding::Evidence;
use crate::layout::ObjectKind;
use crate::model::PodDisruptionBudget;

fn re(p: &str) -> Regex {
    Regex::new(p).expect("static regex")
}

static DRAIN_NODE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)Drain node (?P<drain_node>[a-z0-9][a-z0-9.\-]*) failed"));
static AKS_POD: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)failed when evicting pod (?P<pod>[a-z0-9][a-z0-9.\-]*) failed with Too Many Requests")
});
static DEBUG_INFO: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)PDB debug info: (?P<namespace>[a-z0-9][a-z0-9\-]*)/(?P<pod>[a-z0-9][a-z0-9.\-]*)\s+blocked by pdb (?P<pdb>[a-z0-9][a-z0-9.\-]*)(?:\s*\(MinAvailable: (?P<min_available>[0-9%]+)\))?(?:\s*\(MaxUnavailable: (?P<max_unavailable>[0-9%]+)\))?(?:\s*\(CurrentHealthy: (?P<current_healthy>\d+)\))?(?:\s*\(DesiredHealthy: (?P<desired_healthy>\d+)\))?(?:\s*\(ExpectedPods: (?P<expected_pods>\d+)\))?(?:\s*with (?P<unready>\d+) unready pods)?",
    )
});
/// kubectl drain: `error when evicting pods/"web-1" -n "shop"` (1.19+) or `error when
/// evicting pod "web-1"` (older, no namespace).
static KUBECTL_DRAIN: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)error when evicting pods?/?\s*\\?"(?P<pod>[a-z0-9][a-z0-9.\-]*)\\?"(?:\s+-n\s+\\?"(?P<namespace>[a-z0-9][a-z0-9\-]*)\\?")?"#,
    )
});
/// AKS's node event during an upgrade drain.
static EVENT_POD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)Eviction blocked by Too Many Requests \(usually a pdb\):\s*(?:(?P<namespace>[a-z0-9][a-z0-9\-]*)/)?(?P<pod>[a-z0-9][a-z0-9.\-]*)",
    )
});

/// What a message says about a blocked eviction.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Blocked {
    pub namespace: Option<String>,
    pub pod: Option<String>,
    pub pdb: Option<String>,
    pub drain_node: Option<String>,
    pub numbers: Vec<(&'static str, String)>,
}

/// Reads a blocked eviction out of one message.
pub fn parse(text: &str) -> Blocked {
    let mut b = Blocked::default();
    if let Some(c) = DRAIN_NODE.captures(text) {
        b.drain_node = Some(c["drain_node"].to_string());
    }
    if let Some(c) = DEBUG_INFO.captures(text) {
        b.namespace = Some(c["namespace"].to_string());
        b.pod = Some(c["pod"].to_string());
        b.pdb = Some(c["pdb"].to_string());
        for k in [
            "min_available",
            "max_unavailable",
            "current_healthy",
            "desired_healthy",
            "expected_pods",
            "unready",
        ] {
            if let Some(m) = c.name(k) {
                b.numbers.push((k, m.as_str().to_string()));
            }
        }
        return b;
    }
    for r in [&*AKS_POD, &*KUBECTL_DRAIN, &*EVENT_POD] {
        if let Some(c) = r.captures(text) {
            b.pod = Some(c["pod"].to_string());
            b.namespace = c.name("namespace").map(|m| m.as_str().to_string());
            break;
        }
    }
    b
}

/// The budget's numbers from the object, for the facts a message did not give.
fn budget_facts(pdb: &PodDisruptionBudget, facts: &mut BTreeMap<String, String>) {
    let st = &pdb.status;
    for (k, v) in [
        ("disruptions_allowed", st.disruptions_allowed),
        ("current_healthy", st.current_healthy),
        ("desired_healthy", st.desired_healthy),
        ("expected_pods", st.expected_pods),
    ] {
        if let Some(v) = v {
            facts.entry(k.to_string()).or_insert_with(|| v.to_string());
        }
    }
    if let Some(m) = &pdb.spec.min_available {
        facts
            .entry("min_available".to_string())
            .or_insert_with(|| m.to_string());
    }
    if let Some(m) = &pdb.spec.max_unavailable {
        facts
            .entry("max_unavailable".to_string())
            .or_insert_with(|| m.to_string());
    }
}

/// Budgets that allow no disruption while a pod they cover runs on a cordoned node: that
/// node's drain is blocked now, whatever text the bundle holds.
fn object_hits(inputs: &Inputs) -> Vec<Hit> {
    let index = inputs.index;
    let mut out = Vec::new();
    for (ns, pdb) in index.pdbs() {
        if pdb.status.disruptions_allowed != Some(0) || pdb.status.expected_pods.unwrap_or(0) == 0 {
            continue;
        }
        // Only plain label selectors can be matched here.
        let Some(sel) = pdb
            .spec
            .selector
            .as_ref()
            .filter(|s| !s.match_labels.is_empty() && s.match_expressions.is_empty())
        else {
            continue;
        };
        let name = &pdb.metadata.name;
        let budget = format!("{ns}/poddisruptionbudget/{name}");
        for p in index
            .pods_in(ns)
            .filter(|p| p.matches_labels(&sel.match_labels))
        {
            let running = matches!(p.status.phase.as_deref(), Some("Running") | Some("Pending"));
            let Some(node) = p.spec.node_name.as_deref() else {
                continue;
            };
            if !running || !index.node(node).is_some_and(|n| n.spec.unschedulable) {
                continue;
            }
            let mut facts = BTreeMap::new();
            facts.insert("pdb".to_string(), name.clone());
            facts.insert("pod_namespace".to_string(), ns.to_string());
            facts.insert("blocked_pod".to_string(), p.metadata.name.clone());
            facts.insert("drain_node".to_string(), node.to_string());
            facts.insert("cordoned".to_string(), "true".to_string());
            budget_facts(pdb, &mut facts);
            let pod = p.object_ref();
            let h = Hit {
                object: Some(pod.clone()),
                node: Some(node.to_string()),
                facts,
                evidence: vec![Evidence {
                    file: index.object_file(ns, ObjectKind::PodDisruptionBudgets),
                    line: None,
                    excerpt: format!(
                        "{name}: disruptionsAllowed 0 (currentHealthy {}, desiredHealthy {}, expectedPods {}); pod {} runs on cordoned node {node}",
                        pdb.status.current_healthy.unwrap_or(0),
                        pdb.status.desired_healthy.unwrap_or(0),
                        pdb.status.expected_pods.unwrap_or(0),
                        p.metadata.name
                    ),
                    count: 1,
                    first_seen: None,
                    last_seen: None,
                    object: Some(budget.clone()),
                    role: "signal".into(),
                }],
                table: None,
                weak_object: false,
            };
            let mut b = h.clone();
            b.object = Some(budget.clone());
            b.evidence.clear();
            out.push(h);
            out.push(b);
        }
    }
    out
}

/// The `pdb_blocks_eviction` check: names the blocked pod (and the budget, as a second
/// object of the same finding when the message names it), with the budget's numbers
/// (from the message, else from the budget object); budgets that allow no disruption
/// for a pod on a cordoned node are hits of their own.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let mut out = object_hits(inputs);
    for mut h in hits {
        // The matchers capture from the whole line; an excerpt of a long line (an
        // activity log's JSON) may have lost the words, so the message is the fallback.
        let b = match h.facts.get("blocked_pod") {
            Some(pod) => Blocked {
                namespace: h.facts.get("pod_namespace").cloned(),
                pod: Some(pod.clone()),
                pdb: h.facts.get("pdb").cloned(),
                drain_node: h.facts.get("drain_node").cloned(),
                numbers: Vec::new(),
            },
            None => parse(h.facts.get("message").map(String::as_str).unwrap_or("")),
        };
        // A node event's own namespace is where the event was recorded, not the pod's.
        let from_node_event = h.facts.get("kind").map(String::as_str) == Some("node");
        if from_node_event {
            h.facts.insert("drain_node".into(), h.facts["name"].clone());
            h.facts.remove("namespace");
        }
        let Some(pod) = b.pod.clone() else {
            continue;
        };
        let namespace = b.namespace.clone().or_else(|| {
            // Without a namespace, the pod's name may still be unique in the bundle.
            let mut found = inputs
                .index
                .namespaces
                .iter()
                .filter(|(_, o)| o.pods.iter().flatten().any(|p| p.metadata.name == pod))
                .map(|(ns, _)| ns.clone());
            match (found.next(), found.next()) {
                (Some(ns), None) => Some(ns),
                _ => None,
            }
        });
        if let Some(n) = &b.drain_node {
            h.facts.insert("drain_node".into(), n.clone());
        }
        h.facts.insert("blocked_pod".into(), pod.clone());
        for (k, v) in &b.numbers {
            h.facts.insert((*k).into(), v.clone());
        }
        let Some(ns) = namespace else {
            h.facts
                .insert("pdb".into(), b.pdb.clone().unwrap_or_default());
            h.object = None;
            out.push(h);
            continue;
        };
        h.facts.insert("pod_namespace".into(), ns.clone());
        if let Some(node) = inputs
            .index
            .pod(&ns, &pod)
            .and_then(|p| p.spec.node_name.clone())
        {
            h.node = Some(node);
        }
        h.object = Some(format!("{ns}/pod/{pod}"));
        h.weak_object = false;
        match &b.pdb {
            Some(pdb) => {
                h.facts.insert("pdb".into(), pdb.clone());
                if let Some((_, obj)) = inputs
                    .index
                    .pdbs()
                    .find(|(n, b)| *n == ns && b.metadata.name == *pdb)
                {
                    budget_facts(obj, &mut h.facts);
                }
                let mut budget = h.clone();
                budget.object = Some(format!("{ns}/poddisruptionbudget/{pdb}"));
                budget.evidence.clear();
                out.push(h);
                out.push(budget);
            }
            None => {
                h.facts.insert("pdb".into(), String::new());
                out.push(h);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aks_upgrade_failed_names_pod_budget_and_numbers() {
        // cloudnative-pg/cloudnative-pg#7346.
        let b = parse("(UpgradeFailed) Drain node aks-nodepool1-12345678-vmss000003 failed when evicting pod pg-cluster-1 failed with Too Many Requests error. This is often caused by a restrictive Pod Disruption Budget (PDB) policy. See http://aka.ms/aks/debugdrainfailures. Original error: Cannot evict pod as it would violate the pod's disruption budget.. PDB debug info: db/pg-cluster-1  blocked by pdb pg-cluster-primary (MinAvailable: 1) (CurrentHealthy: 1) (DesiredHealthy: 1) (ExpectedPods: 1) with 0 unready pods.");
        assert_eq!(b.namespace.as_deref(), Some("db"));
        assert_eq!(b.pod.as_deref(), Some("pg-cluster-1"));
        assert_eq!(b.pdb.as_deref(), Some("pg-cluster-primary"));
        assert_eq!(
            b.drain_node.as_deref(),
            Some("aks-nodepool1-12345678-vmss000003")
        );
        assert!(b.numbers.contains(&("current_healthy", "1".into())));
        assert!(b.numbers.contains(&("unready", "0".into())));
        // blog.joeyc.dev: no numbers, the unready pods instead.
        let b = parse("Original error: Cannot evict pod as it would violate the pod's disruption budget.. PDB debug info: kube-system/metrics-server-0c40b8d296-ej9un blocked by pdb metrics-server-pdb with 1 unready pods: [kube-system/metrics-server-0c40b8d296-ej9un].");
        assert_eq!(b.pdb.as_deref(), Some("metrics-server-pdb"));
        assert_eq!(b.numbers, vec![("unready", "1".to_string())]);
    }

    #[test]
    fn kubectl_drain_wordings() {
        // longhorn/longhorn#5910 (kubectl 1.19+).
        let b = parse(
            r#"error when evicting pods/"instance-manager-r-d2f0328a" -n "longhorn-system" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget."#,
        );
        assert_eq!(b.pod.as_deref(), Some("instance-manager-r-d2f0328a"));
        assert_eq!(b.namespace.as_deref(), Some("longhorn-system"));
        // rancher/system-upgrade-controller#78 (older kubectl, no namespace).
        let b = parse(
            r#"error when evicting pod "postgres-0" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget."#,
        );
        assert_eq!(b.pod.as_deref(), Some("postgres-0"));
        assert_eq!(b.namespace, None);
    }
}
