//! Keeps dial failures aimed at the API server as pods see it: the ClusterIP of the
//! `kubernetes` Service in `default` (from `namespaces/default/services.json`), or the
//! address a pod was told to use in `KUBERNETES_SERVICE_HOST`. A timeout or refusal to any
//! other address (a database, DNS, a webhook) is not this diagnosis.

use std::collections::BTreeSet;

use crate::engine::{Hit, Inputs};
use crate::index::Index;

/// The `pod_apiserver_unreachable` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let index = inputs.index;
    let service_ip = kubernetes_service_ip(index);
    hits.into_iter()
        .filter_map(|mut h| {
            let addr = h.facts.get("address").map(|a| bare(a).to_string())?;
            let pod_host = pod_service_host(index, &h);
            let via = if service_ip.as_deref() == Some(addr.as_str()) {
                "kubernetes Service ClusterIP"
            } else if pod_host.contains(&addr) {
                "KUBERNETES_SERVICE_HOST"
            } else {
                return None;
            };
            h.facts.insert("address".into(), addr);
            h.facts.insert("via".into(), via.into());
            let failure = h.facts.get("failure").map(|f| f.to_ascii_lowercase());
            let kind = match failure.as_deref() {
                Some(f) if f.contains("refused") || f.contains("actively refused") => "refused",
                Some(f) if f.contains("no route") => "no route",
                _ => "timeout",
            };
            h.facts.insert("failure_kind".into(), kind.into());
            Some(h)
        })
        .collect()
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
}
