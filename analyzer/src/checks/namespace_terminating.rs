//! Namespaces stuck in Terminating: deleted (a `deletionTimestamp`) more than a few
//! minutes before the collection and still there. The namespace controller says why in
//! the namespace's conditions: discovery of an aggregated API failed
//! (`NamespaceDeletionDiscoveryFailure`), content is left (`NamespaceContentRemaining`),
//! finalizers hold it (`NamespaceFinalizersRemaining`), or deleting content failed
//! (`NamespaceDeletionContentFailure`). A failing APIService becomes part of the evidence,
//! so the story can explain the namespace by `apiservice-unavailable`.

use std::collections::BTreeMap;

use crate::engine::{Hit, Inputs};
use crate::finding::Evidence;
use crate::layout::ClusterKind;
use crate::model::Namespace;

use super::apiservice_unavailable::failing;

/// Deleted longer ago than this at collection time counts as stuck (deleting an empty
/// namespace takes seconds; one with content, a few minutes).
const STUCK_AFTER_SECONDS: i64 = 10 * 60;

/// Why a namespace cannot finish, from its conditions, most specific first.
pub fn cause_of(ns: &Namespace) -> (&'static str, Option<String>) {
    let active = |t: &str| {
        ns.status
            .conditions
            .iter()
            .find(|c| c.type_ == t && c.status == "True")
            .map(|c| c.message.clone().unwrap_or_default())
    };
    for (t, cause) in [
        ("NamespaceDeletionDiscoveryFailure", "discovery"),
        ("NamespaceDeletionGroupVersionParsingFailure", "discovery"),
        ("NamespaceFinalizersRemaining", "finalizers"),
        ("NamespaceDeletionContentFailure", "content_failure"),
        ("NamespaceContentRemaining", "content_remaining"),
    ] {
        if let Some(m) = active(t) {
            return (cause, Some(m));
        }
    }
    ("unknown", None)
}

/// The `namespace_terminating` check: one hit per stuck namespace.
pub fn check(inputs: &Inputs, _rule: usize, _hits: Vec<Hit>) -> Vec<Hit> {
    let index = inputs.index;
    let now = index
        .manifest
        .as_ref()
        .and_then(|m| m.collected_at.as_deref())
        .and_then(crate::time::seconds);
    let file = index.cluster_file(ClusterKind::Namespaces);
    let mut out = Vec::new();
    for ns in index.cluster_list(|c| &c.namespaces) {
        let terminating = ns.status.phase.as_deref() == Some("Terminating");
        let Some(deleted) = ns.metadata.deletion_timestamp.as_deref() else {
            if !terminating {
                continue;
            }
            // Terminating without a deletion time: nothing says how long; report it.
            out.push(hit(inputs, ns, &file, None));
            continue;
        };
        let age = match (now, crate::time::seconds(deleted)) {
            (Some(now), Some(t)) => Some(now - t),
            _ => None,
        };
        if age.is_some_and(|a| a < STUCK_AFTER_SECONDS) {
            continue;
        }
        out.push(hit(inputs, ns, &file, Some(deleted)));
    }
    out
}

fn hit(inputs: &Inputs, ns: &Namespace, file: &str, deleted: Option<&str>) -> Hit {
    let name = ns.metadata.name.clone();
    let object = format!("cluster/namespace/{name}");
    let (cause, message) = cause_of(ns);
    let mut facts = BTreeMap::new();
    facts.insert("stuck_namespace".to_string(), name.clone());
    facts.insert("cause".to_string(), cause.to_string());
    facts.insert("kind".to_string(), "namespace".to_string());
    facts.insert("name".to_string(), name.clone());
    if let Some(d) = deleted {
        facts.insert("deleting_since".to_string(), inputs.time(d));
    }
    if let Some(m) = &message {
        facts.insert("message".to_string(), m.clone());
    }
    if !ns.spec.finalizers.is_empty() {
        facts.insert("finalizers".to_string(), ns.spec.finalizers.join(", "));
    }
    let last = ns
        .status
        .conditions
        .iter()
        .filter_map(|c| c.last_transition_time.as_deref())
        .max()
        .or(deleted);
    let mut evidence = vec![Evidence {
        file: file.to_string(),
        line: None,
        excerpt: crate::engine::cut(&format!(
            "{name}: Terminating{}{}",
            deleted.map(|d| format!(" since {d}")).unwrap_or_default(),
            message
                .as_deref()
                .map(|m| format!("; {m}"))
                .unwrap_or_default()
        )),
        count: 1,
        first_seen: deleted.map(|t| inputs.time(t)),
        last_seen: last.map(|t| inputs.time(t)),
        object: Some(object.clone()),
        role: "signal".into(),
    }];
    if cause == "discovery" {
        let apis = failing(message.as_deref().unwrap_or(""));
        let names: Vec<String> = apis.iter().map(|(g, v, _)| format!("{v}.{g}")).collect();
        if !names.is_empty() {
            facts.insert("apiservices".to_string(), names.join(", "));
        }
        // What the namespace waits for: the story links it to the APIService's finding.
        for n in names {
            evidence.push(Evidence {
                file: file.to_string(),
                line: None,
                excerpt: format!("{name} waits for the discovery of APIService {n}"),
                count: 0,
                first_seen: None,
                last_seen: None,
                object: Some(format!("cluster/apiservice/{n}")),
                role: "context".into(),
            });
        }
    }
    Hit {
        object: Some(object),
        node: None,
        facts,
        evidence,
        table: None,
        weak_object: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(json: &str) -> Namespace {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn the_most_specific_condition_is_the_cause() {
        // aws/containers-roadmap#1006: discovery failed, content already deleted.
        let n = ns(
            r#"{"metadata":{"name":"metrics","deletionTimestamp":"2020-07-31T23:19:14Z"},
            "spec":{"finalizers":["kubernetes"]},
            "status":{"phase":"Terminating","conditions":[
              {"type":"NamespaceDeletionDiscoveryFailure","status":"True","reason":"DiscoveryFailed",
               "message":"Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1: the server is currently unable to handle the request"},
              {"type":"NamespaceDeletionContentFailure","status":"False","reason":"ContentDeleted","message":"All content successfully deleted, may be waiting on finalization"}]}}"#,
        );
        assert_eq!(cause_of(&n).0, "discovery");
        // A finalizer left on content (kubernetes namespace controller wording).
        let n = ns(
            r#"{"metadata":{"name":"ci"},"status":{"phase":"Terminating","conditions":[
              {"type":"NamespaceContentRemaining","status":"True","reason":"SomeResourcesRemain","message":"Some resources are remaining: persistentvolumeclaims. has 1 resource instances"},
              {"type":"NamespaceFinalizersRemaining","status":"True","reason":"SomeFinalizersRemain","message":"Some content in the namespace has finalizers remaining: kubernetes.io/pvc-protection in 1 resource instances"}]}}"#,
        );
        let (cause, message) = cause_of(&n);
        assert_eq!(cause, "finalizers");
        assert!(message.unwrap().contains("kubernetes.io/pvc-protection"));
        let n = ns(r#"{"metadata":{"name":"x"},"status":{"phase":"Terminating"}}"#);
        assert_eq!(cause_of(&n), ("unknown", None));
    }
}
