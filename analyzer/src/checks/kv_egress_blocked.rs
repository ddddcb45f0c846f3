//! Enriches `kv-egress-blocked` with what decides where the block sits: the Azure Key
//! Vault provider pod on the affected node, whether it runs with `hostNetwork: true`, and
//! the NetworkPolicies (egress-restricting ones named apart) of its namespace.

use std::collections::BTreeSet;

use crate::engine::{Hit, Inputs};
use crate::finding::{Evidence, Table};
use crate::index::Index;
use crate::model::{NetworkPolicy, Pod};

/// Labels the provider's pods carry (AKS add-on and Helm chart).
const PROVIDER_APPS: &[&str] = &[
    "secrets-store-provider-azure",
    "csi-secrets-store-provider-azure",
];

/// The `kv_egress_blocked` check.
/// A provider line that names no pod is first tied to the pods it explains (see
/// `kv_cause`), so the provider facts land on those pods' hits.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let mut hits = super::kv_cause::correlate(inputs, hits);
    for h in &mut hits {
        if let Some(host) = h.facts.get("message").and_then(|m| token_endpoint(m)) {
            h.facts.insert("token_endpoint".into(), host);
        }
    }
    enrich(
        inputs.index,
        |ns| inputs.object_file(ns, "pods.json"),
        &mut hits,
    );
    hits
}

/// The Azure AD host whose token request failed, when the vault's request failed for want
/// of a token (`adal: Failed to execute the refresh request. Error = 'Post
/// https://login.microsoftonline.com/.../oauth2/token...: dial tcp: i/o timeout'`): egress
/// to Azure AD is what is blocked, not to the vault.
fn token_endpoint(message: &str) -> Option<String> {
    static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r#"(?i)(?:refresh request|token)\b.{0,80}?\b(?:Post|Get)\s+\\?"?https://(?P<host>login\.(?:microsoftonline\.(?:com|us)|chinacloudapi\.cn|partner\.microsoftonline\.cn)|[a-z0-9.-]*login\.windows\.net)/"#,
        )
        .expect("static regex")
    });
    RE.captures(message).map(|c| c["host"].to_ascii_lowercase())
}

/// Adds provider facts to each hit, one structural hit per provider pod involved, and a
/// table of those pods.
fn enrich(index: &Index, pods_file: impl Fn(&str) -> String, hits: &mut Vec<Hit>) {
    let mut providers: Vec<&Pod> = Vec::new();
    for hit in hits.iter_mut() {
        let found = providers_for(index, hit);
        if let Some(p) = found.first() {
            let ns = p.metadata.namespace.as_deref().unwrap_or("");
            hit.facts
                .insert("provider_pod".into(), p.metadata.name.clone());
            hit.facts.insert("provider_namespace".into(), ns.into());
            hit.facts.insert(
                "provider_host_network".into(),
                p.spec.host_network.to_string(),
            );
            if let Some(policies) = policies_in(index, ns) {
                hit.facts
                    .insert("network_policies".into(), describe(policies, |_| true));
                let egress = describe(policies, restricts_egress);
                if egress != "none" {
                    hit.facts.insert("egress_policies".into(), egress);
                }
            }
        }
        for p in found {
            if !providers.iter().any(|q| same(q, p)) {
                providers.push(p);
            }
        }
    }
    if providers.is_empty() {
        return;
    }
    let mut rows = Vec::new();
    let known: BTreeSet<String> = hits.iter().filter_map(|h| h.object.clone()).collect();
    for p in &providers {
        let ns = p.metadata.namespace.as_deref().unwrap_or("");
        let policies = policies_in(index, ns);
        let object = format!("{ns}/pod/{}", p.metadata.name);
        rows.push(vec![
            object.clone(),
            p.spec.node_name.clone().unwrap_or_default(),
            p.spec.host_network.to_string(),
            policies.map_or("not collected".into(), |l| describe(l, |_| true)),
            policies.map_or("not collected".into(), |l| describe(l, restricts_egress)),
        ]);
        if known.contains(&object) {
            continue;
        }
        hits.push(Hit {
            weak_object: false,
            object: Some(object.clone()),
            node: p.spec.node_name.clone(),
            facts: Default::default(),
            evidence: vec![Evidence {
                file: pods_file(ns),
                line: None,
                excerpt: format!(
                    "provider pod {object} on node {}, hostNetwork: {}",
                    p.spec.node_name.as_deref().unwrap_or("?"),
                    p.spec.host_network
                ),
                count: 0,
                first_seen: None,
                last_seen: None,
                object: Some(object),
                role: "context".into(),
            }],
            table: None,
        });
    }
    let table = Table {
        columns: vec![
            "provider pod".into(),
            "node".into(),
            "hostNetwork".into(),
            "NetworkPolicies in namespace".into(),
            "restricting egress".into(),
        ],
        rows,
    };
    for hit in hits.iter_mut() {
        hit.table = Some(table.clone());
    }
}

fn same(a: &Pod, b: &Pod) -> bool {
    a.metadata.name == b.metadata.name && a.metadata.namespace == b.metadata.namespace
}

fn is_provider(p: &Pod) -> bool {
    PROVIDER_APPS
        .iter()
        .any(|a| p.metadata.labels.get("app").map(String::as_str) == Some(*a))
        || is_provider_name(&p.metadata.name)
}

/// A DaemonSet pod name of the provider: `…secrets-store-provider-azure[-<release>]-xxxxx`.
/// The Helm chart's driver pods (`csi-secrets-store-provider-azure-secrets-store-csi-driver-xxxxx`)
/// share the prefix and must not count.
fn is_provider_name(name: &str) -> bool {
    let Some((_, rest)) = name.split_once("secrets-store-provider-azure-") else {
        return false;
    };
    let mut parts: Vec<&str> = rest.split('-').collect();
    let suffix_ok = parts
        .pop()
        .is_some_and(|s| s.len() == 5 && s.bytes().all(|b| b.is_ascii_alphanumeric()));
    suffix_ok && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) && parts.len() <= 1
}

/// The provider pod the hit came from (a provider log line), or the provider pods on the
/// hit's node (a mount event of an application pod).
fn providers_for<'a>(index: &'a Index, hit: &Hit) -> Vec<&'a Pod> {
    if let (Some(ns), Some(pod)) = (hit.facts.get("namespace"), hit.facts.get("pod")) {
        if let Some(p) = index.pod(ns, pod).filter(|p| is_provider(p)) {
            return vec![p];
        }
    }
    let Some(node) = hit.node.as_deref() else {
        return Vec::new();
    };
    index
        .pods()
        .filter(|p| is_provider(p) && p.spec.node_name.as_deref() == Some(node))
        .collect()
}

fn policies_in<'a>(index: &'a Index, ns: &str) -> Option<&'a [NetworkPolicy]> {
    index.namespaces.get(ns)?.network_policies.as_deref()
}

/// A policy restricts egress when it lists Egress in policyTypes or has egress rules.
fn restricts_egress(p: &NetworkPolicy) -> bool {
    p.spec.policy_types.iter().any(|t| t == "Egress") || p.spec.egress.is_some()
}

fn describe(policies: &[NetworkPolicy], keep: impl Fn(&NetworkPolicy) -> bool) -> String {
    let names: Vec<&str> = policies
        .iter()
        .filter(|p| keep(p))
        .map(|p| p.metadata.name.as_str())
        .collect();
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::NamespaceObjects;

    fn pod(ns: &str, name: &str, app: &str, node: &str, host: bool) -> Pod {
        let mut p = Pod::default();
        p.metadata.name = name.into();
        p.metadata.namespace = Some(ns.into());
        p.metadata.labels.insert("app".into(), app.into());
        p.spec.node_name = Some(node.into());
        p.spec.host_network = host;
        p
    }

    fn policy(name: &str, types: &[&str]) -> NetworkPolicy {
        let mut p = NetworkPolicy::default();
        p.metadata.name = name.into();
        p.spec.policy_types = types.iter().map(|t| t.to_string()).collect();
        p
    }

    fn bundle_index(policies: Option<Vec<NetworkPolicy>>) -> Index {
        let mut index = Index::default();
        index.namespaces.insert(
            "kube-system".into(),
            NamespaceObjects {
                pods: Some(vec![
                    pod(
                        "kube-system",
                        "aks-secrets-store-provider-azure-abcde",
                        "secrets-store-provider-azure",
                        "node-a",
                        true,
                    ),
                    pod(
                        "kube-system",
                        "aks-secrets-store-provider-azure-fghij",
                        "secrets-store-provider-azure",
                        "node-b",
                        true,
                    ),
                    pod("kube-system", "coredns-1", "kube-dns", "node-a", false),
                ]),
                network_policies: policies,
                ..Default::default()
            },
        );
        index.namespaces.insert(
            "shop".into(),
            NamespaceObjects {
                pods: Some(vec![pod("shop", "api-1", "api", "node-a", false)]),
                ..Default::default()
            },
        );
        index
    }

    fn event_hit() -> Hit {
        let mut h = Hit {
            object: Some("shop/pod/api-1".into()),
            node: Some("node-a".into()),
            ..Default::default()
        };
        h.facts.insert("namespace".into(), "shop".into());
        h.facts.insert("pod".into(), "api-1".into());
        h
    }

    #[test]
    fn event_hit_gets_the_provider_on_its_node() {
        let index = bundle_index(Some(vec![
            policy("deny-all-egress", &["Egress"]),
            policy("allow-dns-in", &["Ingress"]),
        ]));
        let mut hits = vec![event_hit()];
        enrich(&index, |ns| format!("namespaces/{ns}/pods.json"), &mut hits);
        let f = &hits[0].facts;
        assert_eq!(f["provider_pod"], "aks-secrets-store-provider-azure-abcde");
        assert_eq!(f["provider_host_network"], "true");
        assert_eq!(f["network_policies"], "deny-all-egress, allow-dns-in");
        assert_eq!(f["egress_policies"], "deny-all-egress");
        // The provider pod joins as an object; the one on node-b does not.
        assert_eq!(hits.len(), 2);
        assert_eq!(
            hits[1].object.as_deref(),
            Some("kube-system/pod/aks-secrets-store-provider-azure-abcde")
        );
        assert_eq!(hits[1].evidence[0].count, 0);
        let t = hits[0].table.as_ref().unwrap();
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0][2], "true");
    }

    #[test]
    fn log_hit_of_the_provider_names_itself_and_no_policies_means_none() {
        let index = bundle_index(Some(vec![]));
        let mut h = Hit {
            object: Some("kube-system/pod/aks-secrets-store-provider-azure-fghij".into()),
            node: Some("node-b".into()),
            ..Default::default()
        };
        h.facts.insert("namespace".into(), "kube-system".into());
        h.facts.insert(
            "pod".into(),
            "aks-secrets-store-provider-azure-fghij".into(),
        );
        let mut hits = vec![h];
        enrich(&index, |ns| format!("namespaces/{ns}/pods.json"), &mut hits);
        assert_eq!(hits.len(), 1, "no duplicate hit for the provider itself");
        assert_eq!(hits[0].facts["network_policies"], "none");
        assert!(!hits[0].facts.contains_key("egress_policies"));
    }

    /// The token request timed out: the adal (provider-azure#186) and the new SDK's wording.
    #[test]
    fn a_token_request_that_timed_out_names_azure_ad() {
        assert_eq!(
            token_endpoint("Failed to refresh the Token for request to https://mykv.vault.azure.net/secrets/tempUser/?api-version=2016-10-01: StatusCode=0 -- Original Error: adal: Failed to execute the refresh request. Error = 'Post https://login.microsoftonline.com/xxx-xxx-xxx-xx-xxx/oauth2/token?api-version=1.0: dial tcp: i/o timeout'").as_deref(),
            Some("login.microsoftonline.com")
        );
        assert_eq!(
            token_endpoint(r#"failed to acquire token: Post \"https://login.chinacloudapi.cn/tenant/oauth2/v2.0/token\": dial tcp 42.159.5.43:443: i/o timeout"#).as_deref(),
            Some("login.chinacloudapi.cn")
        );
        assert_eq!(
            token_endpoint(
                "GET https://kv.vault.azure.net/secrets/x: dial tcp 10.0.0.5:443: i/o timeout"
            ),
            None
        );
    }

    #[test]
    fn provider_names_exclude_the_chart_driver_pods() {
        assert!(is_provider_name("aks-secrets-store-provider-azure-7xk2p"));
        assert!(is_provider_name("csi-secrets-store-provider-azure-4mn8d"));
        assert!(is_provider_name(
            "csi-secrets-store-provider-azure-1627329606-v8scd"
        ));
        assert!(!is_provider_name(
            "csi-secrets-store-provider-azure-secrets-store-csi-driver-hh7ck"
        ));
        assert!(!is_provider_name(
            "csi-secrets-store-provider-azure-1627329606-secrets-store-dkm89"
        ));
        assert!(!is_provider_name("aks-secrets-store-csi-driver-q9t4m"));
    }

    #[test]
    fn without_pods_or_policies_the_hits_pass_unchanged() {
        let index = Index::default();
        let mut hits = vec![event_hit()];
        enrich(&index, |ns| format!("namespaces/{ns}/pods.json"), &mut hits);
        assert_eq!(hits.len(), 1);
        assert!(!hits[0].facts.contains_key("provider_pod"));
        assert!(hits[0].table.is_none());

        let index = bundle_index(None);
        let mut hits = vec![event_hit()];
        enrich(&index, |ns| format!("namespaces/{ns}/pods.json"), &mut hits);
        assert!(!hits[0].facts.contains_key("network_policies"));
        assert_eq!(hits[0].table.as_ref().unwrap().rows[0][3], "not collected");
    }
}
