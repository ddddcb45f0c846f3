//! Aggregated APIs the API server could not reach: discovery of a group/version failed
//! (`unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1: the
//! server is currently unable to handle the request`, client-go's `couldn't get resource
//! list for ...`, a namespace's `NamespaceDeletionDiscoveryFailure` condition). One line
//! may name several group/versions; each becomes a hit about its APIService
//! (`cluster/apiservice/<version>.<group>`).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};
use crate::finding::Evidence;
use crate::layout::ClusterKind;

fn re(p: &str) -> Regex {
    Regex::new(p).expect("static regex")
}

/// One failing group/version and why, as discovery lists them (`, ` between entries).
static FAILING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:complete list of server APIs: |resource list for |, )(?P<group>[a-z0-9][a-z0-9.\-]*\.[a-z0-9.\-]+)/(?P<version>v[0-9]+(?:(?:alpha|beta)[0-9]+)?): (?P<cause>[^,\n]{1,160})",
    )
});

/// Why discovery of a group/version failed, as the fact value templates test.
fn cause_of(text: &str) -> &'static str {
    let t = text.to_ascii_lowercase();
    if t.contains("currently unable to handle the request") {
        "unavailable"
    } else if t.contains("stale groupversion discovery") {
        "stale"
    } else if t.contains("could not find the requested resource") {
        "not_found"
    } else {
        "other"
    }
}

/// The failing group/versions a message names, as `(group, version, cause)`.
pub fn failing(text: &str) -> Vec<(String, String, &'static str)> {
    let mut out: Vec<(String, String, &'static str)> = Vec::new();
    for c in FAILING.captures_iter(text) {
        let g = c["group"].to_ascii_lowercase();
        let v = c["version"].to_string();
        if !out.iter().any(|(og, ov, _)| *og == g && *ov == v) {
            out.push((g, v, cause_of(&c["cause"])));
        }
    }
    out
}

/// The cause of an APIService's `Available=False` condition, by its reason.
fn cause_of_reason(reason: &str) -> &'static str {
    match reason {
        "MissingEndpoints" => "no_endpoints",
        "ServiceNotFound" => "no_service",
        "FailedDiscoveryCheck" | "ServiceNotReachable" => "unavailable",
        _ => "other",
    }
}

/// Hits from the objects: APIServices whose `Available` condition is False, and the
/// failing group/versions a namespace's `NamespaceDeletionDiscoveryFailure` names.
fn object_hits(inputs: &Inputs) -> Vec<Hit> {
    let index = inputs.index;
    let mut out = Vec::new();
    let file = index.cluster_file(ClusterKind::ApiServices);
    for a in index.cluster_list(|c| &c.api_services) {
        let Some(c) = a
            .status
            .conditions
            .iter()
            .find(|c| c.type_ == "Available" && c.status == "False")
        else {
            continue;
        };
        let name = a.metadata.name.clone();
        let object = format!("cluster/apiservice/{name}");
        let reason = c.reason.clone().unwrap_or_default();
        let message = c.message.clone().unwrap_or_default();
        let mut facts = BTreeMap::new();
        facts.insert("apiservice".to_string(), name.clone());
        if let (Some(g), Some(v)) = (&a.spec.group, &a.spec.version) {
            facts.insert("group_version".to_string(), format!("{g}/{v}"));
        }
        facts.insert("cause".to_string(), cause_of_reason(&reason).to_string());
        facts.insert("reason".to_string(), reason.clone());
        facts.insert("message".to_string(), message.clone());
        if let Some(s) = &a.spec.service {
            facts.insert("service".to_string(), s.name.clone());
            facts.insert("service_namespace".to_string(), s.namespace.clone());
        }
        let t = c.last_transition_time.as_deref().map(|t| inputs.time(t));
        out.push(Hit {
            object: Some(object.clone()),
            node: None,
            facts,
            evidence: vec![Evidence {
                file: file.clone(),
                line: None,
                excerpt: crate::engine::cut(&format!(
                    "{name}: Available=False {reason}: {message}"
                )),
                count: 1,
                first_seen: t.clone(),
                last_seen: t,
                object: Some(object),
                role: "signal".into(),
            }],
            table: None,
            weak_object: false,
        });
    }
    let file = index.cluster_file(ClusterKind::Namespaces);
    for ns in index.cluster_list(|c| &c.namespaces) {
        for c in ns
            .status
            .conditions
            .iter()
            .filter(|c| c.type_ == "NamespaceDeletionDiscoveryFailure" && c.status == "True")
        {
            let message = c.message.clone().unwrap_or_default();
            let t = c.last_transition_time.as_deref().map(|t| inputs.time(t));
            let mut facts = BTreeMap::new();
            facts.insert("message".to_string(), message.clone());
            out.push(Hit {
                object: None,
                node: None,
                facts,
                evidence: vec![Evidence {
                    file: file.clone(),
                    line: None,
                    excerpt: crate::engine::cut(&format!(
                        "namespace {}: {}",
                        ns.metadata.name, message
                    )),
                    count: 1,
                    first_seen: t.clone(),
                    last_seen: t,
                    object: Some(format!("cluster/namespace/{}", ns.metadata.name)),
                    role: "signal".into(),
                }],
                table: None,
                weak_object: false,
            });
        }
    }
    out
}

/// The `apiservice_unavailable` check: one hit per failing APIService a message names,
/// and one per APIService object that is not Available.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let mut out = Vec::new();
    let (from_objects, text): (Vec<Hit>, Vec<Hit>) = object_hits(inputs)
        .into_iter()
        .partition(|h| h.object.is_some());
    out.extend(from_objects);
    let hits = text.into_iter().chain(hits);
    for h in hits {
        let text = h.facts.get("message").cloned().unwrap_or_default();
        for (group, version, cause) in failing(&text) {
            let mut h = h.clone();
            let name = format!("{version}.{group}");
            h.facts
                .insert("group_version".into(), format!("{group}/{version}"));
            h.facts.insert("apiservice".into(), name.clone());
            h.facts.insert("cause".into(), cause.into());
            h.object = Some(format!("cluster/apiservice/{name}"));
            h.weak_object = false;
            out.push(h);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_and_namespace_wordings_name_the_group_version() {
        // kubernetes#83332, kubectl's stderr.
        assert_eq!(
            failing("error: unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1: the server is currently unable to handle the request"),
            vec![("metrics.k8s.io".into(), "v1beta1".into(), "unavailable")]
        );
        // client-go's memcache line (metrics-server#157).
        assert_eq!(
            failing("E1012 08:23:25.396126       1 memcache.go:134] couldn't get resource list for metrics.k8s.io/v1beta1: the server is currently unable to handle the request"),
            vec![("metrics.k8s.io".into(), "v1beta1".into(), "unavailable")]
        );
        // A namespace condition with a stale group (operator-lifecycle-manager#3356).
        assert_eq!(
            failing("Discovery failed for some groups, 1 failing: unable to retrieve the complete list of server APIs: packages.operators.coreos.com/v1: stale GroupVersion discovery: packages.operators.coreos.com/v1"),
            vec![("packages.operators.coreos.com".into(), "v1".into(), "stale")]
        );
    }

    #[test]
    fn several_groups_in_one_line() {
        let f = failing("Discovery failed for some groups, 2 failing: unable to retrieve the complete list of server APIs: custom.metrics.k8s.io/v1beta1: the server is currently unable to handle the request, external.metrics.k8s.io/v1beta1: the server is currently unable to handle the request");
        assert_eq!(f.len(), 2);
        assert_eq!(f[1].0, "external.metrics.k8s.io");
    }

    #[test]
    fn the_api_server_itself_is_not_an_apiservice() {
        assert!(failing("Error from server (ServiceUnavailable): the server is currently unable to handle the request (get pods)").is_empty());
        assert!(failing(r#"couldn't get current server API group list: Get "https://x.hcp.westeurope.azmk8s.io:443/api?timeout=32s": dial tcp 20.61.12.4:443: i/o timeout"#).is_empty());
        // The core group has no dot: "v1" alone is not an aggregated API.
        assert!(failing("unable to retrieve the complete list of server APIs: v1: the server could not find the requested resource").is_empty());
    }
}
