//! Aggregated APIs the API server could not reach: discovery of a group/version failed
//! (`unable to retrieve the complete list of server APIs: metrics.k8s.io/v1beta1: the
//! server is currently unable to handle the request`, client-go's `couldn't get resource
//! list for ...`, a namespace's `NamespaceDeletionDiscoveryFailure` condition). One line
//! may name several group/versions; each becomes a hit about its APIService
//! (`cluster/apiservice/<version>.<group>`).

use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};

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

/// The `apiservice_unavailable` check: one hit per failing APIService a message names.
pub fn check(_inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let mut out = Vec::new();
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
