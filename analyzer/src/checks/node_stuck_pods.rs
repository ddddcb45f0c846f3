//! Ready nodes where pods of several workloads have sat in ContainerCreating or Terminating
//! for more than ten minutes at collection time: the kubelet still reports healthy, but the
//! container runtime (or the CNI) no longer creates or removes sandboxes. Pods stuck on
//! their own volumes (FailedMount, FailedAttachVolume) are their storage's story and are
//! left out, and so are nodes that are not Ready (node-not-ready's).

use std::collections::{BTreeMap, BTreeSet};

use crate::engine::{Hit, Inputs};
use crate::finding::{Evidence, Table};
use crate::model::Pod;
use crate::time::seconds;

/// How long a pod must have been stuck.
const STUCK_SECONDS: i64 = 600;
/// How many stuck pods, of how many different workloads, make a node's problem.
const MIN_PODS: usize = 2;
const MIN_OWNERS: usize = 2;

/// Pod event reasons that say the pod waits on its own volume, not on the node.
const VOLUME_REASONS: &[&str] = &["FailedMount", "FailedAttachVolume", "FailedMapVolume"];
/// Pod event reasons that show the runtime failing to create or remove sandboxes.
const RUNTIME_REASONS: &[&str] = &[
    "FailedCreatePodSandBox",
    "FailedKillPod",
    "FailedSync",
    "SandboxChanged",
];

/// How a pod is stuck, and since when (raw time).
fn stuck(p: &Pod) -> Option<(&'static str, &str)> {
    if let Some(t) = p.metadata.deletion_timestamp.as_deref() {
        return Some(("Terminating", t));
    }
    if p.status.phase.as_deref() != Some("Pending") {
        return None;
    }
    let creating = p.all_statuses().any(|s| {
        s.state
            .waiting
            .as_ref()
            .and_then(|w| w.reason.as_deref())
            .is_some_and(|r| r == "ContainerCreating")
    }) || p.all_statuses().next().is_none();
    if !creating {
        return None;
    }
    let scheduled = p
        .status
        .conditions
        .iter()
        .find(|c| c.type_ == "PodScheduled" && c.status == "True")
        .and_then(|c| c.last_transition_time.as_deref())?;
    Some(("ContainerCreating", scheduled))
}

/// The workload a pod belongs to (its controller), else the pod itself.
fn owner_key(p: &Pod) -> String {
    match p.metadata.owner_references.first() {
        Some(r) => format!("{}/{}", r.kind, r.name),
        None => p.object_ref(),
    }
}

/// The `node_stuck_pods` check.
pub fn check(inputs: &Inputs, _rule: usize, mut hits: Vec<Hit>) -> Vec<Hit> {
    let Some(clock) = inputs.clock else {
        return hits;
    };
    let now = clock.collected_at.as_second();
    let collected = crate::time::from_seconds(now);
    // Events by pod: volume waits and runtime failures.
    let mut volume_bound: BTreeSet<String> = BTreeSet::new();
    let mut runtime_events: BTreeMap<String, Vec<(&str, &crate::model::Event)>> = BTreeMap::new();
    for (ns, ev) in inputs.index.events() {
        if ev.involved_object.kind.as_deref() != Some("Pod") {
            continue;
        }
        let reason = ev.reason.as_deref().unwrap_or("");
        let pod = ev.object_ref(ns);
        if VOLUME_REASONS.contains(&reason) {
            volume_bound.insert(pod);
        } else if RUNTIME_REASONS.contains(&reason) {
            runtime_events.entry(pod).or_default().push((ns, ev));
        }
    }
    for node in inputs.index.nodes.iter().flatten() {
        if !super::node_pressure::is_ready(node) {
            continue;
        }
        let name = node.metadata.name.as_str();
        let mut stuck_pods: Vec<(&Pod, &'static str, String)> = Vec::new();
        for p in inputs.index.pods() {
            if p.spec.node_name.as_deref() != Some(name) {
                continue;
            }
            let Some((state, since)) = stuck(p) else {
                continue;
            };
            let Some(t) = seconds(since) else { continue };
            if now - t < STUCK_SECONDS || volume_bound.contains(&p.object_ref()) {
                continue;
            }
            stuck_pods.push((p, state, inputs.time(since)));
        }
        let owners: BTreeSet<String> = stuck_pods.iter().map(|(p, _, _)| owner_key(p)).collect();
        if stuck_pods.len() < MIN_PODS || owners.len() < MIN_OWNERS {
            continue;
        }
        let object = format!("cluster/node/{name}");
        let mut facts = super::node_pressure::node_facts(node);
        let creating = stuck_pods
            .iter()
            .filter(|(_, s, _)| *s == "ContainerCreating")
            .count();
        facts.insert("stuck_count".into(), stuck_pods.len().to_string());
        facts.insert("creating_count".into(), creating.to_string());
        facts.insert(
            "terminating_count".into(),
            (stuck_pods.len() - creating).to_string(),
        );
        facts.insert("owner_count".into(), owners.len().to_string());
        if let Some(oldest) = stuck_pods.iter().map(|(_, _, s)| s.clone()).min() {
            facts.insert("since".into(), oldest);
        }
        if let Some(v) = &node.status.node_info.container_runtime_version {
            facts.insert("runtime".into(), v.clone());
        }
        let pods_file = |p: &Pod| {
            inputs.object_file(
                p.metadata.namespace.as_deref().unwrap_or("default"),
                "pods.json",
            )
        };
        let mut evidence = Vec::new();
        let mut rows = Vec::new();
        let mut runtime_signals = 0u64;
        for (p, state, since) in &stuck_pods {
            let pod_ref = p.object_ref();
            evidence.push(Evidence {
                file: pods_file(p),
                line: None,
                excerpt: format!("pod {pod_ref} on node {name}: {state} since {since}"),
                count: 1,
                first_seen: Some(since.clone()),
                // Observed stuck at collection time.
                last_seen: collected.clone(),
                object: Some(pod_ref.clone()),
                role: "signal".into(),
            });
            let mut last_event = String::new();
            for (ns, ev) in runtime_events.get(&pod_ref).into_iter().flatten() {
                let reason = ev.reason.as_deref().unwrap_or("");
                let message = ev.message.as_deref().unwrap_or("");
                if reason != "SandboxChanged" {
                    runtime_signals += ev.occurrences();
                }
                last_event = format!("{reason}: {message}");
                evidence.push(Evidence {
                    file: inputs.object_file(ns, "events.json"),
                    line: None,
                    excerpt: crate::engine::cut(&last_event),
                    count: ev.occurrences(),
                    first_seen: ev.first_seen().map(|t| inputs.time(t)),
                    last_seen: ev.last_seen().map(|t| inputs.time(t)),
                    object: Some(pod_ref.clone()),
                    role: "context".into(),
                });
            }
            rows.push(vec![
                pod_ref,
                state.to_string(),
                since.clone(),
                crate::engine::cut(&last_event),
            ]);
        }
        if runtime_signals > 0 {
            facts.insert("runtime_errors".into(), runtime_signals.to_string());
        }
        hits.push(Hit {
            weak_object: false,
            object: Some(object),
            node: Some(name.to_string()),
            facts,
            evidence,
            table: Some(Table {
                columns: vec![
                    "Pod".into(),
                    "Stuck in".into(),
                    "Since".into(),
                    "Last runtime event".into(),
                ],
                rows,
            }),
        });
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{Index, NamespaceObjects};
    use crate::rules::Catalogue;
    use crate::scan::ScanResults;

    fn pods(json: &str) -> Index {
        let mut index = Index {
            nodes: Some(
                serde_json::from_str(
                    r#"[{"metadata":{"name":"n1"},"status":{"conditions":[{"type":"Ready","status":"True"}]}}]"#,
                )
                .unwrap(),
            ),
            ..Default::default()
        };
        index.namespaces.insert(
            "shop".into(),
            NamespaceObjects {
                pods: Some(serde_json::from_str(json).unwrap()),
                events: Some(
                    serde_json::from_str(
                        r#"[{"involvedObject":{"kind":"Pod","namespace":"shop","name":"c"},"reason":"FailedMount",
                             "message":"MountVolume.SetUp failed for volume \"secrets\""}]"#,
                    )
                    .unwrap(),
                ),
                ..Default::default()
            },
        );
        index
    }

    const CREATING: &str = r#"{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"True","lastTransitionTime":"2026-11-22T03:20:00Z"}],
        "containerStatuses":[{"name":"x","state":{"waiting":{"reason":"ContainerCreating"}}}]}"#;

    fn run(index: &Index) -> Vec<Hit> {
        let (scan, cat) = (ScanResults::default(), Catalogue::default());
        let mut inputs = Inputs::of(index, &scan, &cat);
        inputs.clock = crate::time::Clock::of("2026-11-22T04:00:00Z");
        check(&inputs, 0, Vec::new())
    }

    #[test]
    fn pods_of_two_workloads_stuck_for_long_make_a_node_finding() {
        let index = pods(&format!(
            r#"[{{"metadata":{{"name":"a","namespace":"shop","ownerReferences":[{{"kind":"ReplicaSet","name":"web-1"}}]}},"spec":{{"nodeName":"n1"}},"status":{CREATING}}},
                {{"metadata":{{"name":"b","namespace":"shop","deletionTimestamp":"2026-11-22T03:10:00Z"}},"spec":{{"nodeName":"n1"}},"status":{{"phase":"Running"}}}}]"#
        ));
        let hits = run(&index);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].facts["creating_count"], "1");
        assert_eq!(hits[0].facts["terminating_count"], "1");
        assert_eq!(hits[0].facts["since"], "2026-11-22T03:10:00Z");
    }

    #[test]
    fn one_workload_or_a_volume_wait_or_a_fresh_pod_is_not_a_node_problem() {
        // Two pods of one ReplicaSet; a pod waiting on its volume; a pod scheduled 2 minutes ago.
        let index = pods(&format!(
            r#"[{{"metadata":{{"name":"a","namespace":"shop","ownerReferences":[{{"kind":"ReplicaSet","name":"web-1"}}]}},"spec":{{"nodeName":"n1"}},"status":{CREATING}}},
                {{"metadata":{{"name":"a2","namespace":"shop","ownerReferences":[{{"kind":"ReplicaSet","name":"web-1"}}]}},"spec":{{"nodeName":"n1"}},"status":{CREATING}}},
                {{"metadata":{{"name":"c","namespace":"shop"}},"spec":{{"nodeName":"n1"}},"status":{CREATING}}},
                {{"metadata":{{"name":"d","namespace":"shop"}},"spec":{{"nodeName":"n1"}},"status":{{"phase":"Pending","conditions":[{{"type":"PodScheduled","status":"True","lastTransitionTime":"2026-11-22T03:58:00Z"}}]}}}}]"#
        ));
        assert!(run(&index).is_empty());
    }
}
