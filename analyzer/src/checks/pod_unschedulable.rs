//! Parses the scheduler's `FailedScheduling` message (`0/N nodes are available: ...`) into
//! its causes (insufficient resources, untolerated taints, node affinity/selector, volume
//! zone, too many pods ...) for pods that are still Pending; pods that have since been
//! scheduled, or deleted, are dropped. Old and new scheduler wordings are both read.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};
use crate::finding::Table;

/// The `pod_unschedulable` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    // The latest event of each pod speaks for it; older ones add their evidence.
    let mut per_pod: BTreeMap<String, Vec<Hit>> = BTreeMap::new();
    for h in hits {
        per_pod
            .entry(h.object.clone().unwrap_or_default())
            .or_default()
            .push(h);
    }
    // Events expire after an hour; the pod's own PodScheduled condition keeps the
    // scheduler's last message as long as the pod waits.
    for p in inputs.index.pods() {
        let object = p.object_ref();
        if per_pod.contains_key(&object) || !still_pending(p) {
            continue;
        }
        if let Some(h) = condition_hit(inputs, p) {
            per_pod.insert(object, vec![h]);
        }
    }
    let mut out = Vec::new();
    for (_, mut hs) in per_pod {
        hs.sort_by_key(|h| std::cmp::Reverse(last_seen(h)));
        let mut h = hs.remove(0);
        for older in hs {
            h.evidence.extend(older.evidence);
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
        let causes = parse(&message);
        let fit_failures = FIT_FAILURE.find_iter(&message).count();
        if fit_failures > 0 && !h.facts.contains_key("total_nodes") {
            h.facts
                .insert("total_nodes".into(), fit_failures.to_string());
        }
        let mut kinds: Vec<&str> = Vec::new();
        let mut taints: Vec<String> = Vec::new();
        let mut resources: Vec<String> = Vec::new();
        let mut rows = Vec::new();
        for c in &causes {
            if !kinds.contains(&c.kind) {
                kinds.push(c.kind);
            }
            h.facts.insert(format!("cause_{}", c.kind), "true".into());
            for t in &c.taints {
                if !taints.contains(t) {
                    taints.push(t.clone());
                }
            }
            if let Some(r) = &c.resource {
                if !resources.contains(r) {
                    resources.push(r.clone());
                }
            }
            rows.push(vec![
                c.kind.replace('_', " "),
                c.nodes.map(|n| n.to_string()).unwrap_or_default(),
                c.text.clone(),
            ]);
        }
        if !kinds.is_empty() {
            h.facts
                .insert("causes".into(), kinds.join(", ").replace('_', " "));
        }
        if !taints.is_empty() {
            h.facts.insert("taints".into(), taints.join(", "));
            h.facts.insert("taint".into(), taints[0].clone());
            if let Some((k, v)) = taints[0].split_once('=') {
                h.facts.insert("taint_key".into(), k.to_string());
                h.facts.insert("taint_value".into(), v.to_string());
            } else {
                h.facts.insert("taint_key".into(), taints[0].clone());
            }
        }
        if !resources.is_empty() {
            h.facts.insert("insufficient".into(), resources.join(", "));
        }
        super::oom_killed::add_workload(&mut h.facts, pod);
        if let Some(p) = pod {
            if !p.spec.node_selector.is_empty() {
                let sel: Vec<String> = p
                    .spec
                    .node_selector
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                h.facts.insert("node_selector".into(), sel.join(","));
            }
            let requests: Vec<String> = p
                .spec
                .containers
                .iter()
                .flat_map(|c| {
                    c.resources.requests.iter().map(move |(r, q)| {
                        let q = q
                            .as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| q.to_string());
                        format!("{}: {r}={q}", c.name)
                    })
                })
                .collect();
            if !requests.is_empty() {
                h.facts.insert("requests".into(), requests.join(", "));
            }
        }
        if !rows.is_empty() {
            h.table = Some(Table {
                columns: vec!["Cause".into(), "Nodes".into(), "Scheduler says".into()],
                rows,
            });
        }
        out.push(h);
    }
    out
}

/// A hit from a Pending pod's `PodScheduled=False` condition with reason Unschedulable.
fn condition_hit(inputs: &Inputs, p: &crate::model::Pod) -> Option<Hit> {
    let c = p.status.conditions.iter().find(|c| {
        c.type_ == "PodScheduled"
            && c.status == "False"
            && c.reason.as_deref() == Some("Unschedulable")
    })?;
    let message = c.message.clone().filter(|m| !m.trim().is_empty())?;
    let ns = p.metadata.namespace.as_deref().unwrap_or("default");
    let object = p.object_ref();
    let mut facts = BTreeMap::new();
    facts.insert("namespace".to_string(), ns.to_string());
    facts.insert("pod".to_string(), p.metadata.name.clone());
    facts.insert("name".to_string(), p.metadata.name.clone());
    facts.insert("kind".to_string(), "pod".to_string());
    facts.insert("reason".to_string(), "Unschedulable".to_string());
    if let Some(n) = TOTAL.captures(&message) {
        facts.insert("total_nodes".to_string(), n[1].to_string());
    }
    facts.insert("message".to_string(), message.clone());
    let when = c.last_transition_time.as_deref().map(|t| inputs.time(t));
    Some(Hit {
        weak_object: false,
        object: Some(object.clone()),
        node: None,
        facts,
        evidence: vec![crate::finding::Evidence {
            file: inputs.object_file(ns, "pods.json"),
            line: None,
            excerpt: crate::engine::cut(&format!("PodScheduled=False Unschedulable: {message}")),
            count: 1,
            first_seen: when.clone(),
            last_seen: when,
            object: Some(object),
            role: "signal".into(),
        }],
        table: None,
    })
}

fn last_seen(h: &Hit) -> Option<String> {
    h.evidence.iter().filter_map(|e| e.last_seen.clone()).max()
}

/// True while the pod waits for a node: phase Pending and no node assigned.
fn still_pending(p: &crate::model::Pod) -> bool {
    let phase_pending = p.status.phase.as_deref().is_none_or(|ph| ph == "Pending");
    let scheduled = p.spec.node_name.as_deref().is_some_and(|n| !n.is_empty())
        || p.status
            .conditions
            .iter()
            .any(|c| c.type_ == "PodScheduled" && c.status == "True");
    phase_pending && !scheduled
}

/// One reason of the scheduler's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// `insufficient`, `untolerated_taint`, `node_affinity`, `volume_zone`,
    /// `too_many_pods`, `unschedulable_node`, `pod_affinity`, `host_port`, `unbound_pvc`,
    /// `volume_limit` or `other`.
    pub kind: &'static str,
    /// How many nodes gave this reason.
    pub nodes: Option<u32>,
    /// `cpu`, `memory`, `nvidia.com/gpu` ... for `insufficient`.
    pub resource: Option<String>,
    /// Taints as `key=value` (or `key`).
    pub taints: Vec<String>,
    /// The reason as the scheduler wrote it.
    pub text: String,
}

static HEAD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^|:\s)0/\d+ nodes are available:\s*").expect("static regex")
});
static TOTAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)0/(\d+) nodes are available").expect("static regex"));
static ITEM_START: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|,\s+)(\d+)\s+").expect("static regex"));
static TAINT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{([^{}:]+):\s*([^{}]*)\}").expect("static regex"));
static INSUFFICIENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)Insufficient\s+([\w./-]+)").expect("static regex"));

/// The scheduler of Kubernetes 1.7 to 1.10 named the predicates that failed, each with how
/// many nodes failed it: `No nodes are available that match all of the predicates:
/// Insufficient cpu (3), MatchNodeSelector (2), PodToleratesNodeTaints (1).` (1.7 and 1.8
/// wrote `... all of the following predicates:: ...`).
static PREDICATES_HEAD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)no nodes are available that match all of the (?:following )?predicates:+\s*")
        .expect("static regex")
});
static PREDICATE_ITEM: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"([A-Za-z][\w./ -]*?)\s*\((\d+)\)").expect("static regex"));

/// The causes of the predicates wording, each classified like the newer wording's.
fn parse_predicates(body: &str) -> Vec<Cause> {
    PREDICATE_ITEM
        .captures_iter(body)
        .map(|c| {
            let name = c[1].trim();
            let nodes = c[2].parse().ok();
            let mut cause = classify(predicate_words(name), nodes);
            cause.text = name.to_string();
            cause
        })
        .collect()
}

/// Predicate names say in CamelCase what the newer wording says in words.
fn predicate_words(name: &str) -> &str {
    match name {
        "MatchNodeSelector" | "CheckNodeAffinity" => "node(s) didn't match node selector",
        "PodToleratesNodeTaints" | "PodToleratesNodeNoExecuteTaints" => {
            "node(s) had taints that the pod didn't tolerate"
        }
        "NoVolumeZoneConflict" | "VolumeBindingNoMatch" | "CheckVolumeBinding" => {
            "node(s) had volume node affinity conflict"
        }
        "NodeUnschedulable" | "CheckNodeUnschedulable" => "node(s) were unschedulable",
        "MatchInterPodAffinity" => "node(s) didn't match pod affinity/anti-affinity",
        "PodFitsHostPorts" | "PodFitsPorts" => "node(s) didn't have free ports",
        "MaxEBSVolumeCount"
        | "MaxGCEPDVolumeCount"
        | "MaxAzureDiskVolumeCount"
        | "MaxCSIVolumeCountPred" => "node(s) exceed max volume count",
        other => other,
    }
}

/// The scheduler of Kubernetes 1.4 and 1.5 wrote one line per node under its head:
/// `pod (web-1) failed to fit in any node` then `fit failure on node (n1): Insufficient cpu`.
static FIT_FAILURE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)fit failure on node \([^()]*\):\s*([^\n]+)").expect("static regex")
});

/// The per-node lines of the 1.4/1.5 wording, counted per reason like the newer
/// `<count> <reason>` items (a node may list several reasons, comma-separated).
fn parse_fit_failures(message: &str) -> Vec<Cause> {
    let mut counts: Vec<(String, u32)> = Vec::new();
    for c in FIT_FAILURE.captures_iter(message) {
        for reason in c[1].split(',').map(|r| r.trim().trim_end_matches('.')) {
            if reason.is_empty() {
                continue;
            }
            match counts.iter_mut().find(|(r, _)| r == reason) {
                Some((_, n)) => *n += 1,
                None => counts.push((reason.to_string(), 1)),
            }
        }
    }
    counts
        .into_iter()
        .map(|(reason, n)| {
            let mut cause = classify(predicate_words(&reason), Some(n));
            cause.text = reason;
            cause
        })
        .collect()
}

/// The causes of a `FailedScheduling` message, in the scheduler's order. Only the part
/// before `preemption:` is read; the preemption summary repeats the node counts.
pub fn parse(message: &str) -> Vec<Cause> {
    if let Some(head) = PREDICATES_HEAD.find(message) {
        return parse_predicates(&message[head.end()..]);
    }
    if FIT_FAILURE.is_match(message) {
        return parse_fit_failures(message);
    }
    let Some(head) = HEAD.find(message) else {
        if message.to_ascii_lowercase().contains("no nodes available") {
            return vec![Cause {
                kind: "no_nodes",
                nodes: None,
                resource: None,
                taints: Vec::new(),
                text: message.trim().to_string(),
            }];
        }
        return Vec::new();
    };
    let mut body = &message[head.end()..];
    if let Some(i) = body.to_ascii_lowercase().find("preemption:") {
        body = &body[..i];
    }
    let body = body.trim().trim_end_matches('.').trim();
    let starts: Vec<(usize, usize, u32)> = ITEM_START
        .captures_iter(body)
        .map(|c| {
            let m = c.get(0).expect("whole match");
            (m.start(), m.end(), c[1].parse().unwrap_or(0))
        })
        .collect();
    let mut out = Vec::new();
    for (i, &(_, text_start, n)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map(|s| s.0).unwrap_or(body.len());
        let text = body[text_start..end]
            .trim()
            .trim_end_matches('.')
            .to_string();
        out.push(classify(&text, Some(n)));
    }
    out
}

fn classify(text: &str, nodes: Option<u32>) -> Cause {
    let l = text.to_ascii_lowercase();
    let mut c = Cause {
        kind: "other",
        nodes,
        resource: None,
        taints: Vec::new(),
        text: text.to_string(),
    };
    if let Some(m) = INSUFFICIENT.captures(text) {
        // `Insufficient pods` (schedulers before 1.18) is the node's pod limit, not a
        // request that is too large.
        if m[1].eq_ignore_ascii_case("pods") {
            c.kind = "too_many_pods";
        } else {
            c.kind = "insufficient";
            c.resource = Some(m[1].to_string());
        }
    } else if l.contains("taint") {
        c.kind = "untolerated_taint";
        c.taints = TAINT
            .captures_iter(text)
            .map(|m| {
                let (k, v) = (m[1].trim(), m[2].trim());
                if v.is_empty() {
                    k.to_string()
                } else {
                    format!("{k}={v}")
                }
            })
            .collect();
    } else if l.contains("volume node affinity") || l.contains("volume zone") {
        c.kind = "volume_zone";
    } else if l.contains("node affinity") || l.contains("node selector") {
        c.kind = "node_affinity";
    } else if l.contains("too many pods") {
        c.kind = "too_many_pods";
    } else if l.contains("were unschedulable") || l.contains("unschedulable") {
        c.kind = "unschedulable_node";
    } else if l.contains("pod affinity") || l.contains("anti-affinity") {
        c.kind = "pod_affinity";
    } else if l.contains("free ports") {
        c.kind = "host_port";
    } else if l.contains("max volume count") {
        c.kind = "volume_limit";
    } else if l.contains("persistentvolumeclaim") {
        c.kind = "unbound_pvc";
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_taint_wording_keeps_its_comma() {
        let c = parse("0/3 nodes are available: 3 node(s) had taint {CriticalAddonsOnly: true}, that the pod didn't tolerate.");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].kind, "untolerated_taint");
        assert_eq!(c[0].nodes, Some(3));
        assert_eq!(c[0].taints, vec!["CriticalAddonsOnly=true".to_string()]);
    }

    #[test]
    fn new_wording_with_preemption_summary() {
        let c = parse("0/5 nodes are available: 2 Insufficient memory, 3 node(s) had untolerated taint {node.kubernetes.io/unreachable: }. preemption: 0/5 nodes are available: 2 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.");
        assert_eq!(c.len(), 2);
        assert_eq!((c[0].kind, c[0].nodes), ("insufficient", Some(2)));
        assert_eq!(c[0].resource.as_deref(), Some("memory"));
        assert_eq!(c[1].kind, "untolerated_taint");
        assert_eq!(
            c[1].taints,
            vec!["node.kubernetes.io/unreachable".to_string()]
        );
    }

    #[test]
    fn affinity_volume_and_pod_limits() {
        let c = parse("0/6 nodes are available: 1 Too many pods, 2 node(s) didn't match Pod's node affinity/selector, 3 node(s) had volume node affinity conflict.");
        let kinds: Vec<&str> = c.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, vec!["too_many_pods", "node_affinity", "volume_zone"]);
        let c = parse("0/4 nodes are available: 1 Insufficient cpu, 1 node(s) were unschedulable, 2 node(s) didn't match node selector.");
        let kinds: Vec<&str> = c.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            vec!["insufficient", "unschedulable_node", "node_affinity"]
        );
        let c = parse("0/2 nodes are available: 2 node(s) had no available volume zone.");
        assert_eq!(c[0].kind, "volume_zone");
        assert_eq!(
            parse("no nodes available to schedule pods")[0].kind,
            "no_nodes"
        );
    }

    #[test]
    fn insufficient_pods_is_the_pod_limit_not_a_request() {
        // Regression: the 1.17 wording `3 Insufficient pods` advised lowering the pod's
        // requests.
        let c =
            parse("0/5 nodes are available: 2 node(s) were unschedulable, 3 Insufficient pods.");
        let kinds: Vec<(&str, Option<u32>)> = c.iter().map(|c| (c.kind, c.nodes)).collect();
        assert_eq!(
            kinds,
            vec![("unschedulable_node", Some(2)), ("too_many_pods", Some(3))]
        );
        assert_eq!(c[1].resource, None);
    }

    #[test]
    fn fit_failure_lines_of_1_4_are_counted_per_reason() {
        let c = parse("pod (jenkins-0) failed to fit in any node\nfit failure on node (n1): Insufficient cpu\nfit failure on node (n2): Insufficient cpu, Insufficient memory\nfit failure on node (n3): MatchNodeSelector\n");
        let kinds: Vec<(&str, Option<u32>)> = c.iter().map(|c| (c.kind, c.nodes)).collect();
        assert_eq!(
            kinds,
            vec![
                ("insufficient", Some(2)),
                ("insufficient", Some(1)),
                ("node_affinity", Some(1))
            ]
        );
        assert_eq!(c[1].resource.as_deref(), Some("memory"));
    }

    #[test]
    fn predicates_wording_of_old_schedulers() {
        // Regression: this wording gave no cause and "no node of ? fits".
        let c = parse("No nodes are available that match all of the predicates: Insufficient cpu (3), MatchNodeSelector (2), PodToleratesNodeTaints (1).");
        let kinds: Vec<(&str, Option<u32>)> = c.iter().map(|c| (c.kind, c.nodes)).collect();
        assert_eq!(
            kinds,
            vec![
                ("insufficient", Some(3)),
                ("node_affinity", Some(2)),
                ("untolerated_taint", Some(1))
            ]
        );
        assert_eq!(c[0].resource.as_deref(), Some("cpu"));
        assert_eq!(c[1].text, "MatchNodeSelector");
        // Kubernetes 1.7/1.8 doubled the colon and said "following".
        let c = parse("No nodes are available that match all of the following predicates:: Insufficient memory (2), NoVolumeZoneConflict (1), CheckNodeUnschedulable (1).");
        let kinds: Vec<&str> = c.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            vec!["insufficient", "volume_zone", "unschedulable_node"]
        );
        let c = parse("No nodes are available that match all of the predicates: MatchInterPodAffinity (4), PodFitsHostPorts (1).");
        let kinds: Vec<&str> = c.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, vec!["pod_affinity", "host_port"]);
    }

    #[test]
    fn scheduled_and_deleted_pods_drop_out_and_conditions_stand_in_for_events() {
        use crate::finding::Evidence;
        use crate::index::Index;
        use crate::model::Pod;
        use crate::rules::Catalogue;
        use crate::scan::ScanResults;

        let pods: Vec<Pod> = serde_json::from_str(
            r#"[{"metadata":{"name":"running","namespace":"shop"},"spec":{"nodeName":"n1"},"status":{"phase":"Running"}},
                {"metadata":{"name":"waiting","namespace":"shop"},"status":{"phase":"Pending","conditions":[
                  {"type":"PodScheduled","status":"False","reason":"Unschedulable",
                   "message":"0/2 nodes are available: 2 Insufficient cpu."}]}}]"#,
        )
        .unwrap();
        let mut index = Index::default();
        index.insert_pods("shop", pods);
        let (scan, cat) = (ScanResults::default(), Catalogue::default());
        let inputs = Inputs::of(&index, &scan, &cat);
        let event = |pod: &str| {
            let mut facts = BTreeMap::new();
            facts.insert("namespace".to_string(), "shop".to_string());
            facts.insert("pod".to_string(), pod.to_string());
            facts.insert(
                "message".to_string(),
                "0/2 nodes are available: 2 Insufficient memory.".to_string(),
            );
            Hit {
                object: Some(format!("shop/pod/{pod}")),
                facts,
                evidence: vec![Evidence {
                    file: "namespaces/shop/events.json".into(),
                    line: None,
                    excerpt: String::new(),
                    count: 1,
                    first_seen: None,
                    last_seen: None,
                    object: None,
                    role: "signal".into(),
                }],
                ..Default::default()
            }
        };
        let out = check(&inputs, 0, vec![event("running"), event("deleted")]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].object.as_deref(), Some("shop/pod/waiting"));
        assert_eq!(out[0].facts["insufficient"], "cpu");
        assert_eq!(out[0].facts["total_nodes"], "2");
    }
}
