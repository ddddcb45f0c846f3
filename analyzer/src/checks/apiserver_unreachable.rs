//! Classifies "cannot reach the API server" messages (kubectl's stderr recorded by the
//! collector, or pasted by the user) into timeout, refused, DNS, TLS handshake timeout, no
//! route, or no kubeconfig at all (`localhost:8080`), and names the address it tried.
//! Lines that only look alike (an `i/o timeout` to some other host, a kubelet dial behind
//! `Error from server`) are dropped. `collection_incomplete` reuses [`classify`].

use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};

/// How the API server could not be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Connect or read timeout (`i/o timeout`, Windows `connectex: A connection attempt
    /// failed`, `context deadline exceeded`, or the collector killing a silent kubectl).
    Timeout,
    /// TCP connection refused.
    Refused,
    /// The API server's name does not resolve.
    Dns,
    /// TCP connected, TLS never completed.
    TlsTimeout,
    /// No route to the address (`no route to host`, `network is unreachable`).
    NoRoute,
    /// kubectl fell back to `localhost:8080`: there was no kubeconfig at all.
    NoKubeconfig,
    /// `Unable to connect to the server` with another cause (EOF, reset).
    Other,
}

impl Failure {
    /// The fact value rule templates test.
    pub fn as_str(self) -> &'static str {
        match self {
            Failure::Timeout => "timeout",
            Failure::Refused => "refused",
            Failure::Dns => "dns",
            Failure::TlsTimeout => "tls_timeout",
            Failure::NoRoute => "no_route",
            Failure::NoKubeconfig => "no_kubeconfig",
            Failure::Other => "other",
        }
    }
}

/// What a message says about reaching the API server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    pub failure: Failure,
    /// The address kubectl tried (`host:port`, or a host name for DNS failures).
    pub address: Option<String>,
    /// Windows socket wording (`connectex`, `actively refused`, `No such host is known`).
    pub windows: bool,
}

/// Where a message was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin<'a> {
    /// The collector's own kubectl: everything it dials is the API server.
    Collector { step: &'a str },
    /// Free text: only kubectl's wording or the cluster's own address counts.
    Attachment,
}

fn re(p: &str) -> Regex {
    Regex::new(p).expect("static regex")
}

/// The API server answered: kubectl's prefix, or a kubelet address the API server dialled
/// (client-go's message of a failed log fetch, as troubleshoot writes it, has no prefix).
static SERVER_ANSWERED: LazyLock<Regex> =
    LazyLock::new(|| re(r"Error from server\b|:10250/containerLogs/|dial tcp [^\s]+:10250: "));
static NO_KUBECONFIG: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:localhost|127\.0\.0\.1|\[::1\]):8080\b[^\n]*(?:was refused|connection refused|actively refused)|(?:was refused|connection refused)[^\n]*(?:localhost|127\.0\.0\.1):8080\b",
    )
});
static KUBECTL_WORDING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)unable to connect to the server|the connection to the server \S+ was refused|couldn't get current server API group list|kubernetes cluster unreachable|unable to reach the api server|/apis?\?timeout=\d+s"#,
    )
});
static TLS_TIMEOUT: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)TLS handshake timeout"));
static DNS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)no such host|server misbehaving|temporary failure in name resolution|No such host is known|getaddrinfow|nodename nor servname|Could not resolve host",
    )
});
static REFUSED: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)connection refused|\bwas refused\b|actively refused"));
static NO_ROUTE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)no route to host|network is unreachable"));
static TIMEOUT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)i/o timeout|connectex: A connection attempt failed|did not properly respond after a period of time|context deadline exceeded|Client\.Timeout exceeded|dial tcp [^\s]+: (?:connect: |getsockopt: )?(?:operation |connection )?timed out|Failed to connect to \S+ port \d+[^\n]*(?:Connection timed out|Timeout was reached)",
    )
});
static COLLECTOR_KILLED: LazyLock<Regex> =
    LazyLock::new(|| re(r"timed out after \d+s and was killed"));
static NOT_REACHABILITY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)x509:|certificate signed by unknown authority|You must be logged in to the server|\bUnauthorized\b|forbidden:",
    )
});
static WINDOWS: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)connectex|wsarecv|wsasend|actively refused|No such host is known|getaddrinfow")
});
static DIAL_ADDR: LazyLock<Regex> =
    LazyLock::new(|| re(r"dial tcp (?P<addr>\[[0-9a-fA-F:]+\]:\d+|[^\s:\]]+:\d+)"));
static LOOKUP_HOST: LazyLock<Regex> =
    LazyLock::new(|| re(r"lookup (?P<host>[A-Za-z0-9.-]+)(?: on [^\s:]+(?::\d+)?)?:"));
static SERVER_WORDING_ADDR: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)the connection to the server (?P<addr>[^\s]+) was refused"));
/// curl's `Failed to connect to <host> port <n>` and `Could not resolve host: <host>`.
static CURL_ADDR: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"Failed to connect to (?P<host>[^\s]+) port (?P<port>\d+)|Could not resolve host: (?P<name>[A-Za-z0-9.-]+)",
    )
});
static URL_HOST: LazyLock<Regex> =
    LazyLock::new(|| re(r#"https?://(?P<host>[A-Za-z0-9.\-\[\]:]+?)(?::443)?(?:[/"'\s]|$)"#));

/// The host (without scheme, path or `:443`) of a server URL or address.
pub fn host_of(server: &str) -> String {
    let s = server
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    let s = s.split('/').next().unwrap_or(s);
    let s = s.strip_suffix(":443").unwrap_or(s);
    s.to_ascii_lowercase()
}

fn address_of(text: &str) -> Option<String> {
    if let Some(c) = SERVER_WORDING_ADDR.captures(text) {
        return Some(c["addr"].to_string());
    }
    if let Some(c) = DIAL_ADDR.captures(text) {
        return Some(c["addr"].to_string());
    }
    if let Some(c) = LOOKUP_HOST.captures(text) {
        return Some(c["host"].to_string());
    }
    if let Some(c) = CURL_ADDR.captures(text) {
        return Some(match (c.name("host"), c.name("port"), c.name("name")) {
            (Some(h), Some(p), _) => format!("{}:{}", h.as_str(), p.as_str()),
            (_, _, Some(n)) => n.as_str().to_string(),
            _ => return None,
        });
    }
    URL_HOST.captures(text).map(|c| c["host"].to_string())
}

/// True when `address` is the cluster's API server (same host as `server`), or an AKS API
/// server name.
fn is_api_server(address: &str, server: Option<&str>) -> bool {
    let host = host_of(address);
    let bare = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
    if bare.ends_with(".azmk8s.io") {
        return true;
    }
    server.is_some_and(|s| {
        let sh = host_of(s);
        let sb = sh.rsplit_once(':').map_or(sh.as_str(), |(h, _)| h);
        !sb.is_empty() && (host == sh || bare == sb)
    })
}

/// True for a collector step after the probe answered: the server was reachable then.
fn mid_collection(origin: Origin) -> bool {
    matches!(origin, Origin::Collector { step } if step != "version")
}

/// True when the client never got a connection (as opposed to a slow answer).
fn dialled(text: &str) -> bool {
    text.contains("dial tcp")
        || text.contains("connectex")
        || text.contains("Unable to connect to the server")
        || text.contains("Failed to connect to")
}

/// Classifies one message. `server` is the manifest's `cluster.server`.
pub fn classify(text: &str, origin: Origin, server: Option<&str>) -> Option<Classified> {
    let windows = WINDOWS.is_match(text);
    if NO_KUBECONFIG.is_match(text) {
        return Some(Classified {
            failure: Failure::NoKubeconfig,
            address: Some("localhost:8080".into()),
            windows,
        });
    }
    // The API server answered; whatever it failed to reach behind it is another matter.
    if SERVER_ANSWERED.is_match(text) || NOT_REACHABILITY.is_match(text) {
        return None;
    }
    let address = address_of(text);
    let about_server = match origin {
        Origin::Collector { .. } => true,
        Origin::Attachment => {
            KUBECTL_WORDING.is_match(text)
                || address.as_deref().is_some_and(|a| is_api_server(a, server))
                || URL_HOST
                    .captures(text)
                    .is_some_and(|c| is_api_server(&c["host"], server))
        }
    };
    if !about_server {
        return None;
    }
    let failure = if TLS_TIMEOUT.is_match(text) {
        Failure::TlsTimeout
    } else if DNS.is_match(text) {
        Failure::Dns
    } else if REFUSED.is_match(text) {
        Failure::Refused
    } else if NO_ROUTE.is_match(text) {
        Failure::NoRoute
    } else if TIMEOUT.is_match(text) && (dialled(text) || !mid_collection(origin)) {
        Failure::Timeout
    } else if matches!(origin, Origin::Collector { step: "version" })
        && COLLECTOR_KILLED.is_match(text)
    {
        // The probe is the first call to the server: silence there is a timeout.
        Failure::Timeout
    } else if text.contains("Unable to connect to the server")
        || text.contains("Unable to reach the api server")
    {
        // The portal's "Network error" says no more than that.
        Failure::Other
    } else {
        return None;
    };
    Some(Classified {
        failure,
        address,
        windows,
    })
}

/// The `apiserver_unreachable` check: keeps the hits that really are about the API server,
/// with `failure`, `address`, `server` and `windows` facts.
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
            let origin = match h.facts.get("step") {
                Some(step) if !h.facts.contains_key("file") => Origin::Collector { step },
                _ => Origin::Attachment,
            };
            let c = classify(&text, origin, server.as_deref())?;
            let address = c.address.clone();
            h.facts.insert("failure".into(), c.failure.as_str().into());
            if c.windows {
                h.facts.insert("windows".into(), "true".into());
            }
            if let Some(a) = &address {
                h.facts.insert("address".into(), a.clone());
            }
            let shown = match (&server, &address, c.failure) {
                (_, Some(a), Failure::NoKubeconfig) => a.clone(),
                (Some(s), _, _) => s.clone(),
                (None, Some(a), _) => a.clone(),
                (None, None, _) => String::new(),
            };
            if !shown.is_empty() {
                h.facts.insert("server".into(), shown);
            }
            if let Some(s) = &server {
                h.facts.insert("server_host".into(), host_of(s));
            }
            Some(h)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER: Option<&str> = Some("https://prod-dns-1a2b3c4d.hcp.westeurope.azmk8s.io:443");

    fn att(text: &str) -> Option<Failure> {
        classify(text, Origin::Attachment, SERVER).map(|c| c.failure)
    }

    fn col(text: &str) -> Option<Failure> {
        classify(text, Origin::Collector { step: "pods" }, SERVER).map(|c| c.failure)
    }

    #[test]
    fn kubectl_wordings_are_classified() {
        assert_eq!(
            att("Unable to connect to the server: dial tcp 20.61.12.4:443: i/o timeout"),
            Some(Failure::Timeout)
        );
        assert_eq!(
            att("Unable to connect to the server: net/http: TLS handshake timeout"),
            Some(Failure::TlsTimeout)
        );
        assert_eq!(
            att("Unable to connect to the server: dial tcp: lookup prod-dns-1a2b3c4d.privatelink.westeurope.azmk8s.io on 168.63.129.16:53: no such host"),
            Some(Failure::Dns)
        );
        assert_eq!(
            att("The connection to the server prod-dns-1a2b3c4d.hcp.westeurope.azmk8s.io:443 was refused - did you specify the right host or port?"),
            Some(Failure::Refused)
        );
        let win = classify(
            "Unable to connect to the server: dial tcp 20.61.12.4:443: connectex: A connection attempt failed because the connected party did not properly respond after a period of time, or established connection failed because connected host has failed to respond.",
            Origin::Attachment,
            SERVER,
        )
        .unwrap();
        assert_eq!(win.failure, Failure::Timeout);
        assert!(win.windows);
        assert_eq!(win.address.as_deref(), Some("20.61.12.4:443"));
    }

    #[test]
    fn other_clients_and_socket_wordings() {
        // Helm 3 names the failure itself; the address is a private cluster's IP.
        assert_eq!(
            att(
                r#"Error: Kubernetes cluster unreachable: Get "https://10.20.0.4:443/version": dial tcp 10.20.0.4:443: i/o timeout"#
            ),
            Some(Failure::Timeout)
        );
        // Helm 2 (Tiller era) dials without printing the address; the URL names the server.
        assert_eq!(
            att("Error: Get https://aks-odl-4e2f1a9b.hcp.eastus.azmk8s.io:443/api/v1/namespaces/kube-system/configmaps?labelSelector=OWNER%!D(MISSING)TILLER: dial tcp: i/o timeout"),
            Some(Failure::Timeout)
        );
        // ETIMEDOUT from connect(2), in the wording of older and newer Go.
        assert_eq!(
            att("Unable to connect to the server: dial tcp 20.61.12.4:443: connect: connection timed out"),
            Some(Failure::Timeout)
        );
        assert_eq!(
            att("Unable to connect to the server: dial tcp 20.61.12.4:443: getsockopt: connection timed out"),
            Some(Failure::Timeout)
        );
        // The API server answered, too slowly: not unreachable.
        assert_eq!(
            att("Error from server (Timeout): the server was unable to return a response in the time allotted, but may still be processing the request"),
            None
        );
    }

    #[test]
    fn curl_and_portal_wordings() {
        // curl, as the rule's own remediation asks to run it.
        let c = classify(
            "curl: (28) Failed to connect to prod-dns-1a2b3c4d.hcp.westeurope.azmk8s.io port 443 after 10001 ms: Timeout was reached",
            Origin::Attachment,
            SERVER,
        )
        .unwrap();
        assert_eq!(c.failure, Failure::Timeout);
        assert_eq!(
            c.address.as_deref(),
            Some("prod-dns-1a2b3c4d.hcp.westeurope.azmk8s.io:443")
        );
        assert_eq!(
            att("curl: (28) Failed to connect to aks-rg-8d99b0-6s1xjo5i.hcp.swedencentral.azmk8s.io port 443: Connection timed out"),
            Some(Failure::Timeout)
        );
        assert_eq!(
            att("curl: (6) Could not resolve host: prod-dns-1a2b3c4d.privatelink.westeurope.azmk8s.io"),
            Some(Failure::Dns)
        );
        // curl to some other service is not about the API server.
        assert_eq!(
            att("curl: (28) Failed to connect to inventory.shop.svc port 8443 after 3001 ms: Timeout was reached"),
            None
        );
        // The portal's notification.
        assert_eq!(
            att("Unable to reach the api server 'https://prod-dns-1a2b3c4d.hcp.westeurope.azmk8s.io' or api server is too busy to respond. Check your network settings and refresh to try again."),
            Some(Failure::Other)
        );
    }

    #[test]
    fn localhost_8080_means_no_kubeconfig() {
        let c = classify(
            "The connection to the server localhost:8080 was refused - did you specify the right host or port?",
            Origin::Collector { step: "version" },
            None,
        )
        .unwrap();
        assert_eq!(c.failure, Failure::NoKubeconfig);
        assert_eq!(c.address.as_deref(), Some("localhost:8080"));
        assert_eq!(
            att(
                r#"E1122 04:00:01.123456   4242 memcache.go:265] couldn't get current server API group list: Get "http://localhost:8080/api?timeout=32s": dial tcp 127.0.0.1:8080: connect: connection refused"#
            ),
            Some(Failure::NoKubeconfig)
        );
    }

    #[test]
    fn windows_no_kubeconfig_and_refusal() {
        let c = classify(
            "Unable to connect to the server: dial tcp [::1]:8080: connectex: No connection could be made because the target machine actively refused it.",
            Origin::Attachment,
            None,
        )
        .unwrap();
        assert_eq!(c.failure, Failure::NoKubeconfig);
        assert!(c.windows);
        assert_eq!(
            att("Unable to connect to the server: dial tcp 20.61.12.4:443: connectex: No connection could be made because the target machine actively refused it."),
            Some(Failure::Refused)
        );
    }

    #[test]
    fn near_misses_are_not_the_api_server() {
        // Some other host timing out in pasted text.
        assert_eq!(
            att(
                r#"Get "https://inventory.shop.svc:8443/v1/items": dial tcp 10.0.113.9:8443: i/o timeout"#
            ),
            None
        );
        // The API server answered; the kubelet behind it did not.
        assert_eq!(
            col(
                r#"Error from server: Get "https://10.224.0.4:10250/containerLogs/sc-system/sc-operator-7d9c/manager": dial tcp 10.224.0.4:10250: i/o timeout"#
            ),
            None
        );
        // The same without kubectl's prefix, as troubleshoot's -logs-errors.log holds it.
        assert_eq!(
            col(
                r#"Get "https://10.224.0.6:10250/containerLogs/shop/web-7c9d8b6f4-k2x4p/web": dial tcp 10.224.0.6:10250: i/o timeout"#
            ),
            None
        );
        // Permission and missing CRDs are collection-incomplete.
        assert_eq!(
            col(
                r#"Error from server (Forbidden): pods is forbidden: User "alice@contoso.com" cannot list resource "pods" in API group "" at the cluster scope"#
            ),
            None
        );
        assert_eq!(
            col(r#"error: the server doesn't have a resource type "nodenetworkconfigs""#),
            None
        );
    }

    #[test]
    fn own_server_address_counts_in_attachments() {
        assert_eq!(
            att(
                r#"Get "https://prod-dns-1a2b3c4d.hcp.westeurope.azmk8s.io:443/api/v1/namespaces": dial tcp 20.61.12.4:443: i/o timeout"#
            ),
            Some(Failure::Timeout)
        );
        assert_eq!(
            host_of("https://x.hcp.westeurope.azmk8s.io:443"),
            "x.hcp.westeurope.azmk8s.io"
        );
    }

    #[test]
    fn silent_probe_is_a_timeout_but_a_slow_list_is_not() {
        let probe = classify(
            "timed out after 20s and was killed",
            Origin::Collector { step: "version" },
            SERVER,
        );
        assert_eq!(probe.map(|c| c.failure), Some(Failure::Timeout));
        assert_eq!(col("timed out after 120s and was killed"), None);
        // Connected, then a slow answer: a collection timeout, not an unreachable server.
        assert_eq!(
            col(
                r#"Get "https://prod-dns-1a2b3c4d.hcp.westeurope.azmk8s.io:443/api/v1/events?limit=500": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"#
            ),
            None
        );
    }
}
