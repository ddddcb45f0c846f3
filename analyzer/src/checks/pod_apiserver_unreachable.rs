//! Keeps dial failures aimed at the API server as pods see it: the ClusterIP of the
//! `kubernetes` Service in `default` (from `namespaces/default/services.json`), or the
//! address a pod was told to use in `KUBERNETES_SERVICE_HOST`. A timeout or refusal to any
//! other address (a database, DNS, a webhook) is not this diagnosis.
//!
//! A URL naming the API server by its AKS name (`<cluster>-<hash>.hcp.<region>.azmk8s.io`,
//! `....privatelink.<region>.azmk8s.io`) is the API server whatever it resolved to: pods in
//! kube-system are given that name in `KUBERNETES_SERVICE_HOST`, and a private cluster's
//! name failing to resolve (`dial tcp: lookup ...: no such host`) is one of the blockers.
//!
//! When the bundle lacks `default/services.json` (a paste, a partial collection), the
//! address cannot be compared; the line is then kept only when it is a request to a
//! Kubernetes API path on that address (`https://<ip>:<port>/api/...`, `/apis/...`,
//! `/version`), which only an API server serves.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};
use crate::index::Index;

/// The `pod_apiserver_unreachable` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let index = inputs.index;
    let service_ip = kubernetes_service_ip(index);
    // The API server name the bundle was collected through.
    let server_host = index
        .manifest
        .as_ref()
        .and_then(|m| m.cluster.as_ref())
        .and_then(|c| c.server.as_deref())
        .and_then(|s| s.split("://").nth(1))
        .and_then(|rest| rest.split(['/', ':']).next())
        .filter(|h| !h.is_empty())
        .map(str::to_string);
    hits.into_iter()
        .filter_map(|mut h| {
            let addr = h.facts.get("address").map(|a| bare(a).to_string())?;
            let pod_host = pod_service_host(index, &h);
            let via = if addr.to_ascii_lowercase().ends_with(".azmk8s.io") {
                // Only AKS API servers (public and privatelink) are named under azmk8s.io,
                // but another cluster's (Argo CD, Flux managing others) is no loss of ours.
                match &server_host {
                    Some(own) if !own.eq_ignore_ascii_case(&addr) && !pod_host.contains(&addr) => {
                        return None
                    }
                    Some(_) => "API server FQDN",
                    None => {
                        h.facts.insert("unconfirmed".into(), "true".into());
                        "API server FQDN"
                    }
                }
            } else if service_ip.as_deref() == Some(addr.as_str()) {
                "kubernetes Service ClusterIP"
            } else if pod_host.contains(&addr) {
                "KUBERNETES_SERVICE_HOST"
            } else if service_ip.is_none()
                && h.facts
                    .get("message")
                    .is_some_and(|m| requests_api_path(m, &addr))
            {
                h.facts.insert("unconfirmed".into(), "true".into());
                "Kubernetes API URL"
            } else {
                return None;
            };
            h.facts.insert("address".into(), addr);
            h.facts.insert("via".into(), via.into());
            let failure = h.facts.get("failure").map(|f| f.to_ascii_lowercase());
            let kind = match failure.as_deref() {
                Some(f) if f.contains("lookup ") => "dns",
                Some(f) if f.contains("refused") || f.contains("actively refused") => "refused",
                Some(f) if f.contains("no route") => "no route",
                _ => "timeout",
            };
            h.facts.insert("failure_kind".into(), kind.into());
            Some(h)
        })
        .collect()
}

/// True when `message` requests a Kubernetes API path on `addr` (`https://10.0.0.1:443/api/v1/pods`,
/// `https://[fd00::1]:443/apis/apps/v1`, `https://10.0.0.1:443/version?timeout=32s`).
fn requests_api_path(message: &str, addr: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r#"https://\[?(?P<host>[0-9a-fA-F.:]+?)\]?:\d{1,5}/(?:api|apis|version)(?:[/?"\s:]|$)"#,
        )
        .expect("valid regex")
    });
    re.captures_iter(message)
        .any(|c| c.name("host").is_some_and(|h| h.as_str() == addr))
}

/// `[fd00::1]` → `fd00::1`.
fn bare(a: &str) -> &str {
    a.trim_start_matches('[').trim_end_matches(']')
}

/// The ClusterIP of `default/kubernetes`.
fn kubernetes_service_ip(index: &Index) -> Option<String> {
    index
        .services()
        .find(|(ns, s)| *ns == "default" && s.metadata.name == "kubernetes")
        .and_then(|(_, s)| s.spec.cluster_ip.clone())
        .filter(|ip| !ip.is_empty() && ip != "None")
}

/// `KUBERNETES_SERVICE_HOST` values set explicitly in the hit's pod spec.
fn pod_service_host(index: &Index, h: &Hit) -> BTreeSet<String> {
    let (Some(ns), Some(pod)) = (h.facts.get("namespace"), h.facts.get("pod")) else {
        return BTreeSet::new();
    };
    index
        .pod(ns, pod)
        .into_iter()
        .flat_map(|p| p.all_containers())
        .flat_map(|c| c.env.iter())
        .filter(|e| e.name == "KUBERNETES_SERVICE_HOST")
        .filter_map(|e| e.value.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::NamespaceObjects;

    fn index() -> Index {
        let mut index = Index::default();
        index.namespaces.insert(
            "default".into(),
            NamespaceObjects {
                services: Some(vec![serde_json::from_value(serde_json::json!({
                    "metadata": {"name": "kubernetes", "namespace": "default"},
                    "spec": {"clusterIP": "10.0.0.1", "ports": [{"port": 443}]}
                }))
                .unwrap()]),
                ..Default::default()
            },
        );
        index.namespaces.insert(
            "ops".into(),
            NamespaceObjects {
                pods: Some(vec![serde_json::from_value(serde_json::json!({
                    "metadata": {"name": "agent", "namespace": "ops"},
                    "spec": {"containers": [{"name": "agent", "env": [
                        {"name": "KUBERNETES_SERVICE_HOST", "value": "10.224.0.100"}
                    ]}]}
                }))
                .unwrap()]),
                ..Default::default()
            },
        );
        index
    }

    fn hit(ns: &str, pod: &str, addr: &str) -> Hit {
        Hit {
            facts: [("namespace", ns), ("pod", pod), ("address", addr)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn finds_the_service_ip_and_env_override() {
        let idx = index();
        assert_eq!(kubernetes_service_ip(&idx).as_deref(), Some("10.0.0.1"));
        assert!(pod_service_host(&idx, &hit("ops", "agent", "x")).contains("10.224.0.100"));
        assert!(pod_service_host(&idx, &hit("shop", "web", "x")).is_empty());
        assert_eq!(bare("[fd00::1]"), "fd00::1");
    }

    #[test]
    fn api_paths_vouch_for_the_address_only_when_they_name_it() {
        let line = r#"Get "https://10.0.0.1:443/api/v1/namespaces?limit=500&resourceVersion=0": dial tcp 10.0.0.1:443: i/o timeout"#;
        assert!(requests_api_path(line, "10.0.0.1"));
        assert!(!requests_api_path(line, "10.0.0.10"));
        assert!(requests_api_path(
            "Get https://10.96.0.1:443/version?timeout=32s: dial tcp 10.96.0.1:443: i/o timeout",
            "10.96.0.1"
        ));
        assert!(requests_api_path(
            r#"Get "https://[fd00:10::1]:443/apis/coordination.k8s.io/v1/namespaces/x/leases/y": net/http: TLS handshake timeout"#,
            "fd00:10::1"
        ));
        // An application's own endpoint is no API path.
        assert!(!requests_api_path(
            r#"Post "https://10.0.0.1:443/apiary/upload": dial tcp 10.0.0.1:443: i/o timeout"#,
            "10.0.0.1"
        ));
        assert!(!requests_api_path(
            r#"Get "http://10.0.12.7:8080/api/orders": dial tcp 10.0.12.7:8080: i/o timeout"#,
            "10.0.12.7"
        ));
    }

    #[test]
    fn without_the_kubernetes_service_only_api_requests_are_kept() {
        let idx = Index::default();
        let catalogue = crate::rules::Catalogue::default();
        let scan = crate::scan::ScanResults::default();
        let inputs = Inputs::of(&idx, &scan, &catalogue);
        let mut api = hit("monitoring", "ksm-0", "10.0.0.1");
        api.facts.insert(
            "message".into(),
            r#"Get "https://10.0.0.1:443/api/v1/pods?limit=500": dial tcp 10.0.0.1:443: i/o timeout"#.into(),
        );
        let mut db = hit("shop", "orders-0", "10.0.12.7");
        db.facts.insert(
            "message".into(),
            "dial tcp 10.0.12.7:5432: i/o timeout".into(),
        );
        let kept = check(&inputs, 0, vec![api, db]);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].facts["via"], "Kubernetes API URL");
        assert_eq!(kept[0].facts["unconfirmed"], "true");
    }
}
