//! Pods the kubelet evicted: the rule's `Evicted` event matches, plus every pod object the
//! kubelet left behind in phase Failed with `status.reason: Evicted` (events expire after
//! an hour, the pod objects stay). The kubelet's message says which resource ran short and
//! whether the node was under pressure, the pod was refused at admission because of a node
//! condition, or the pod outgrew its own ephemeral-storage limit. A pod that completed
//! before the eviction (phase Succeeded) lost nothing and is left out.

use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};
use crate::finding::Evidence;
use crate::model::Pod;

static NODE_LOW: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)node was low on resource:\s*\[?(?P<resource>[a-z][a-z-]*)").expect("valid")
});
static NODE_CONDITION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)node had condition:\s*\[?(?P<condition>[A-Za-z]+)").expect("valid")
});
static OWN_LIMIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)ephemeral local storage usage exceeds|exceeded its local ephemeral storage limit|Usage of EmptyDir volume",
    )
    .expect("valid")
});
static CONTAINER_USE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"Container (?P<container>[a-z0-9][a-z0-9-]*) was using (?P<usage>[0-9]+(?:\.[0-9]+)?[A-Za-z]*),? (?:which exceeds its request of|request is) (?P<request>[0-9]+(?:\.[0-9]+)?[A-Za-z]*)",
    )
    .expect("valid")
});

/// What an eviction message says: the resource, the kind of eviction, and the container
/// that used the most when the kubelet names it.
pub(super) fn parse_message(message: &str) -> BTreeMap<String, String> {
    let mut facts = BTreeMap::new();
    if let Some(c) = NODE_LOW.captures(message) {
        facts.insert("resource".into(), c["resource"].to_ascii_lowercase());
        facts.insert("cause".into(), "node-pressure".into());
    } else if let Some(c) = NODE_CONDITION.captures(message) {
        let resource = match &c["condition"] {
            "MemoryPressure" => "memory",
            "DiskPressure" => "ephemeral-storage",
            "PIDPressure" => "pid",
            other => other,
        };
        facts.insert("resource".into(), resource.to_string());
        facts.insert("cause".into(), "admission".into());
    } else if OWN_LIMIT.is_match(message) {
        facts.insert("resource".into(), "ephemeral-storage".into());
        facts.insert("cause".into(), "pod-limit".into());
    }
    if let Some(c) = CONTAINER_USE.captures(message) {
        facts.insert("top_container".into(), c["container"].to_string());
        facts.insert("usage".into(), c["usage"].to_string());
        facts.insert("request".into(), c["request"].to_string());
    }
    facts
}

/// When the kubelet evicted the pod, as its status records it.
fn evicted_at(p: &Pod) -> Option<&str> {
    p.status
        .conditions
        .iter()
        .find(|c| c.type_ == "DisruptionTarget" && c.status == "True")
        .and_then(|c| c.last_transition_time.as_deref())
        .or_else(|| {
            p.all_statuses()
                .filter_map(|s| s.state.terminated.as_ref()?.finished_at.as_deref())
                .max()
        })
        .or_else(|| {
            p.status
                .conditions
                .iter()
                .find(|c| c.type_ == "Ready")
                .and_then(|c| c.last_transition_time.as_deref())
        })
}

/// The workload behind a pod as `kubectl` names it: its controller, or the Deployment a
/// ReplicaSet `<deployment>-<hash>` belongs to.
fn owner(p: &Pod) -> Option<String> {
    let r = p.metadata.owner_references.first()?;
    let kind = r.kind.to_ascii_lowercase();
    if kind == "replicaset" {
        if let Some((deployment, hash)) = r.name.rsplit_once('-') {
            if !hash.is_empty() && hash.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Some(format!("deployment/{deployment}"));
            }
        }
    }
    Some(format!("{kind}/{}", r.name))
}

/// The owner of a pod that is gone (evicted, then deleted): a pod of the same namespace
/// still in the bundle whose ReplicaSet or StatefulSet names the gone pod
/// (`<replicaset>-<5 characters>`, `<statefulset>-<ordinal>`).
fn sibling_owner(inputs: &Inputs, ns: &str, name: &str) -> Option<String> {
    inputs.index.pods_in(ns).find_map(|p| {
        let r = p.metadata.owner_references.first()?;
        let rest = name.strip_prefix(r.name.as_str())?.strip_prefix('-')?;
        let fits = match r.kind.as_str() {
            "ReplicaSet" => rest.len() == 5 && rest.chars().all(|c| c.is_ascii_alphanumeric()),
            "StatefulSet" => !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()),
            _ => false,
        };
        if fits {
            owner(p)
        } else {
            None
        }
    })
}

fn enrich(facts: &mut BTreeMap<String, String>, pod: Option<&Pod>, message: &str) {
    for (k, v) in parse_message(message) {
        facts.insert(k, v);
    }
    if let Some(o) = pod.and_then(owner) {
        facts.insert("owner".into(), o);
    }
    if facts.get("namespace").map(String::as_str) == Some("kube-system") {
        facts.insert("system".into(), "true".into());
    }
}

/// The `pod_evicted` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let mut out = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for mut h in hits {
        let pod = h
            .facts
            .get("namespace")
            .zip(h.facts.get("pod"))
            .and_then(|(ns, p)| inputs.index.pod(ns, p));
        // A pod that had completed lost no work to the eviction.
        if pod.is_some_and(|p| p.status.phase.as_deref() == Some("Succeeded")) {
            continue;
        }
        let message = h.facts.get("message").cloned().unwrap_or_default();
        enrich(&mut h.facts, pod, &message);
        if pod.is_none() {
            let gone = h.facts.get("namespace").zip(h.facts.get("pod"));
            if let Some(o) = gone.and_then(|(ns, p)| sibling_owner(inputs, ns, p)) {
                h.facts.insert("owner".into(), o);
            }
        }
        if let Some(o) = &h.object {
            seen.insert(o.clone());
        }
        out.push(h);
    }
    for p in inputs.index.pods() {
        if p.status.reason.as_deref() != Some("Evicted")
            || p.status.phase.as_deref() == Some("Succeeded")
        {
            continue;
        }
        let object = p.object_ref();
        let ns = p
            .metadata
            .namespace
            .clone()
            .unwrap_or_else(|| "default".into());
        let message = p.status.message.clone().unwrap_or_default();
        let mut facts = BTreeMap::new();
        facts.insert("namespace".into(), ns.clone());
        facts.insert("pod".into(), p.metadata.name.clone());
        facts.insert("name".into(), p.metadata.name.clone());
        facts.insert("kind".into(), "pod".into());
        facts.insert("reason".into(), "Evicted".into());
        facts.insert("message".into(), message.clone());
        if let Some(n) = &p.spec.node_name {
            facts.insert("node".into(), n.clone());
        }
        enrich(&mut facts, Some(p), &message);
        let at = evicted_at(p).map(|t| inputs.time(t));
        // The event already counts this eviction: the pod object then only shows it.
        let role = if seen.contains(&object) {
            "context"
        } else {
            "signal"
        };
        out.push(Hit {
            weak_object: false,
            object: Some(object.clone()),
            node: p.spec.node_name.clone(),
            facts,
            evidence: vec![Evidence {
                file: inputs.object_file(&ns, "pods.json"),
                line: None,
                excerpt: crate::engine::cut(&format!(
                    "pod {object} phase={} reason=Evicted message={message}",
                    p.status.phase.as_deref().unwrap_or("-")
                )),
                count: 1,
                first_seen: at.clone(),
                last_seen: at,
                object: Some(object),
                role: role.into(),
            }],
            table: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::Index;
    use crate::rules::Catalogue;
    use crate::scan::ScanResults;

    #[test]
    fn messages_of_each_generation_name_resource_and_cause() {
        let old = parse_message(
            "The node was low on resource: ephemeral-storage. Container calico-node was using 92Ki, which exceeds its request of 0. ",
        );
        assert_eq!(old["resource"], "ephemeral-storage");
        assert_eq!(old["cause"], "node-pressure");
        assert_eq!(old["top_container"], "calico-node");
        assert_eq!(old["request"], "0");
        let new = parse_message(
            "The node was low on resource: memory. Threshold quantity: 100Mi, available: 87608Ki. Container dptp-controller-manager was using 48458972Ki, request is 15Gi, has larger consumption of memory. ",
        );
        assert_eq!(new["resource"], "memory");
        assert_eq!(new["usage"], "48458972Ki");
        assert_eq!(new["request"], "15Gi");
        let admit = parse_message("The node had condition: [DiskPressure]. ");
        assert_eq!(admit["resource"], "ephemeral-storage");
        assert_eq!(admit["cause"], "admission");
        let limit = parse_message(
            "Pod ephemeral local storage usage exceeds the total limit of containers 2Gi. ",
        );
        assert_eq!(limit["cause"], "pod-limit");
        assert!(parse_message("Preempted by default/pod-x on node n1").is_empty());
    }

    #[test]
    fn evicted_pod_objects_are_hits_and_a_completed_pod_is_not() {
        let pods: Vec<Pod> = serde_json::from_str(
            r#"[{"metadata":{"name":"web-1","namespace":"shop","ownerReferences":[{"kind":"ReplicaSet","name":"web-5d8c7f"}]},
                 "spec":{"nodeName":"n1"},
                 "status":{"phase":"Failed","reason":"Evicted","message":"The node was low on resource: memory. ",
                   "conditions":[{"type":"DisruptionTarget","status":"True","lastTransitionTime":"2026-11-22T03:50:00Z"}]}},
                {"metadata":{"name":"batch-1","namespace":"shop"},"spec":{"nodeName":"n1"},
                 "status":{"phase":"Succeeded","reason":"Evicted"}}]"#,
        )
        .unwrap();
        let mut index = Index::default();
        index.insert_pods("shop", pods);
        let (scan, cat) = (ScanResults::default(), Catalogue::default());
        let hits = check(&Inputs::of(&index, &scan, &cat), 0, Vec::new());
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].object.as_deref(), Some("shop/pod/web-1"));
        assert_eq!(hits[0].facts["owner"], "deployment/web");
        assert_eq!(hits[0].facts["resource"], "memory");
        assert_eq!(
            hits[0].evidence[0].last_seen.as_deref(),
            Some("2026-11-22T03:50:00Z")
        );
    }
}
