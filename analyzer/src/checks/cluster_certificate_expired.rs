//! The cluster's certificates have expired: kubectl refuses the API server's certificate
//! (`x509: certificate has expired or is not yet valid`), the API server refuses a
//! kubelet's (`Get "https://<node>:10250/...": x509: certificate has expired`), or a
//! kubelet says its own client certificate expired. An expired certificate of anything
//! else (a webhook, an aggregated API, some HTTPS endpoint in pasted text) is not the
//! cluster's, and a certificate that is not valid *yet* is the client's clock.

use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};

use super::apiserver_unreachable::host_of;
use super::konnectivity_tunnel::node_of_kubelet;

fn re(p: &str) -> Regex {
    Regex::new(p).expect("static regex")
}

static EXPIRED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)x509: certificate has expired or is not yet valid(?::? current time (?P<checked_at>\S+) is (?P<relation>after|before) (?P<expired_at>[0-9TZ:.+\-]+))?",
    )
});
static KUBELET_CLIENT: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)The currently active client certificate has expired(?:, but| and) the server")
});
/// Something the API server called on the client's behalf: its certificate, not the cluster's.
static SOMEONE_ELSE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)failed calling (?:admission )?webhook|failed to call webhook|unable to retrieve the complete list of server APIs|couldn't get resource list for",
    )
});
static KUBELET_URL: LazyLock<Regex> =
    LazyLock::new(|| re(r"https://(?P<host>[A-Za-z0-9.\-]+):10250/"));
static API_SERVER_WORDING: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)unable to connect to the server|couldn't get current server API group list")
});
static URL_HOST: LazyLock<Regex> =
    LazyLock::new(|| re(r#"https://(?P<host>[A-Za-z0-9.\-]+)(?::\d+)?[/"\s]"#));
static KLOG_NODE: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?:\w{3} \d+ [\d:]+ )(?P<node>[a-z0-9][a-z0-9\-]*) kubelet\["));

/// Whose certificate expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The API server's serving certificate (or the CA behind it), as kubectl sees it.
    ApiServer,
    /// A kubelet's serving certificate, as the API server sees it on `:10250`.
    KubeletServing,
    /// A kubelet's own client certificate to the API server.
    KubeletClient,
}

impl Which {
    fn as_str(self) -> &'static str {
        match self {
            Which::ApiServer => "api_server",
            Which::KubeletServing => "kubelet_serving",
            Which::KubeletClient => "kubelet_client",
        }
    }
}

/// What a message says about an expired certificate of the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expired {
    pub which: Which,
    /// The kubelet's host (node name or IP) for a kubelet certificate.
    pub host: Option<String>,
    pub expired_at: Option<String>,
    pub checked_at: Option<String>,
}

/// Classifies one message. `collector` is true for the collector's own kubectl (whatever
/// it dials is the API server unless the message names a kubelet); `server` is the
/// cluster's API server URL when the bundle knows it.
pub fn classify(text: &str, collector: bool, server: Option<&str>) -> Option<Expired> {
    if KUBELET_CLIENT.is_match(text) {
        let host = KLOG_NODE.captures(text).map(|c| c["node"].to_string());
        return Some(Expired {
            which: Which::KubeletClient,
            host,
            expired_at: None,
            checked_at: None,
        });
    }
    let caps = EXPIRED.captures(text)?;
    // "current time X is before Y": not valid yet, the client's clock is behind.
    if caps
        .name("relation")
        .is_some_and(|r| r.as_str() == "before")
    {
        return None;
    }
    if SOMEONE_ELSE.is_match(text) {
        return None;
    }
    let expired_at = caps.name("expired_at").map(|m| m.as_str().to_string());
    let checked_at = caps.name("checked_at").map(|m| m.as_str().to_string());
    if let Some(k) = KUBELET_URL.captures(text) {
        return Some(Expired {
            which: Which::KubeletServing,
            host: Some(k["host"].to_string()),
            expired_at,
            checked_at,
        });
    }
    let about_api_server = collector && !text.contains("Error from server")
        || API_SERVER_WORDING.is_match(text)
        || URL_HOST.captures_iter(text).any(|c| {
            let host = c["host"].to_ascii_lowercase();
            host.ends_with(".azmk8s.io")
                || server.is_some_and(|s| {
                    let sh = host_of(s);
                    sh.split(':').next() == Some(host.as_str())
                })
        });
    about_api_server.then_some(Expired {
        which: Which::ApiServer,
        host: None,
        expired_at,
        checked_at,
    })
}

/// The `cluster_certificate_expired` check: keeps the hits about the cluster's own
/// certificates, with `which`, `expired_at`, `checked_at`, `server` and (for kubelets)
/// `node` facts; a kubelet's finding names its node.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let server = inputs
        .index
        .manifest
        .as_ref()
        .and_then(|m| m.cluster.as_ref())
        .and_then(|c| c.server.clone())
        .filter(|s| !s.is_empty());
    hits.into_iter()
        .filter_map(|mut h| {
            let text = h.facts.get("message").cloned().unwrap_or_default();
            let collector = h.facts.contains_key("step") && !h.facts.contains_key("file");
            let e = classify(&text, collector, server.as_deref())?;
            h.facts.insert("which".into(), e.which.as_str().into());
            for (k, v) in [("expired_at", &e.expired_at), ("checked_at", &e.checked_at)] {
                if let Some(v) = v {
                    h.facts.insert(k.into(), v.clone());
                }
            }
            if let Some(s) = &server {
                h.facts.insert("server".into(), s.clone());
                h.facts.insert("server_host".into(), host_of(s));
            }
            if let Some(host) = &e.host {
                let node = node_of_kubelet(inputs.index, host).unwrap_or_else(|| host.clone());
                h.facts.insert("node".into(), node.clone());
                if let Some(vmss) = super::image_pull_auth::vmss_of(&node) {
                    if let Some(i) = node
                        .strip_prefix(&vmss)
                        .and_then(|s| u64::from_str_radix(s, 36).ok())
                    {
                        h.facts.insert("instance_id".into(), i.to_string());
                    }
                    h.facts.insert("vmss".into(), vmss);
                }
                h.object = Some(format!("cluster/node/{node}"));
                h.node = Some(node);
            }
            Some(h)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER: Option<&str> = Some("https://prod-dns-1a2b3c4d.hcp.westeurope.azmk8s.io:443");

    #[test]
    fn kubectl_sees_the_api_server_certificate_expired() {
        // Azure/AKS#1631, the collector's probe.
        let e = classify(
            "Unable to connect to the server: x509: certificate has expired or is not yet valid",
            true,
            SERVER,
        )
        .unwrap();
        assert_eq!(e.which, Which::ApiServer);
        // Go 1.15+ adds the times (Azure/aksArc#233); pasted, with no kubectl prefix but
        // the cluster's own address.
        let e = classify(
            r#"Get "https://prod-dns-1a2b3c4d.hcp.westeurope.azmk8s.io:443/api/v1/namespaces/kube-system?timeout=45s": x509: certificate has expired or is not yet valid: current time 2026-11-22T03:58:12Z is after 2026-11-20T11:08:45Z"#,
            false,
            SERVER,
        )
        .unwrap();
        assert_eq!(e.which, Which::ApiServer);
        assert_eq!(e.expired_at.as_deref(), Some("2026-11-20T11:08:45Z"));
        assert_eq!(e.checked_at.as_deref(), Some("2026-11-22T03:58:12Z"));
    }

    #[test]
    fn a_kubelet_certificate_names_its_host() {
        let e = classify(
            r#"Error from server: Get "https://aks-nodepool1-12345678-vmss000002:10250/containerLogs/shop/web-1/web": x509: certificate has expired or is not yet valid: current time 2026-11-22T03:59:00Z is after 2026-11-21T00:00:00Z"#,
            true,
            SERVER,
        )
        .unwrap();
        assert_eq!(e.which, Which::KubeletServing);
        assert_eq!(e.host.as_deref(), Some("aks-nodepool1-12345678-vmss000002"));
        let e = classify(
            "Nov 22 03:55:01 aks-nodepool1-12345678-vmss000001 kubelet[2211]: E1122 03:55:01.123456    2211 certificate_manager.go:488] The currently active client certificate has expired, but the server is not responsive. A restart may be necessary to retrieve new initial credentials.",
            false,
            SERVER,
        )
        .unwrap();
        assert_eq!(e.which, Which::KubeletClient);
        assert_eq!(e.host.as_deref(), Some("aks-nodepool1-12345678-vmss000001"));
    }

    #[test]
    fn other_certificates_and_a_slow_clock_are_not_the_clusters() {
        // A webhook's certificate, relayed by the API server.
        assert_eq!(
            classify(
                r#"Error from server (InternalError): Internal error occurred: failed calling webhook "webhook.cert-manager.io": failed to call webhook: Post "https://cert-manager-webhook.cert-manager.svc:443/validate?timeout=10s": x509: certificate has expired or is not yet valid"#,
                true,
                SERVER,
            ),
            None
        );
        // An application's HTTPS call in pasted text.
        assert_eq!(
            classify(
                r#"Get "https://inventory.contoso.com/v1/items": x509: certificate has expired or is not yet valid"#,
                false,
                SERVER,
            ),
            None
        );
        // Not yet valid: the client's clock is behind (Azure/AKS#1152).
        assert_eq!(
            classify(
                "Unable to connect to the server: x509: certificate has expired or is not yet valid: current time 2019-08-15T07:12:03Z is before 2019-08-15T09:40:11Z",
                true,
                SERVER,
            ),
            None
        );
        // Another TLS failure is collection-incomplete's (a rotated CA in an old kubeconfig).
        assert_eq!(
            classify(
                "Unable to connect to the server: x509: certificate signed by unknown authority",
                true,
                SERVER,
            ),
            None
        );
    }
}
