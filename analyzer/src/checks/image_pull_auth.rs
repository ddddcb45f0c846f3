//! Enriches image pull failures (401, 403, not found, timeout) with the image reference
//! split into registry, repository and tag, the registry's address when the pull timed out,
//! how the registry could not be reached (DNS, TCP, TLS, an HTTP 5xx), whether the failing
//! request went to a data endpoint rather than the login server, and the pod's
//! `imagePullSecrets`, which decide the order of the remediation steps.

use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};

/// The `image_pull_auth` check: every hit is kept and enriched.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    hits.into_iter().map(|h| enrich(inputs, h)).collect()
}

/// An image reference split the way container runtimes read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub registry: String,
    pub repository: String,
    /// The tag (`latest` when none is written); empty when a digest pins the image.
    pub tag: String,
    pub digest: String,
}

/// Splits `image` into registry, repository, tag and digest. The first path component is
/// a registry host when it has a dot or a port or is `localhost`; otherwise Docker Hub.
pub fn split_image(image: &str) -> ImageRef {
    let image = image.trim();
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, d.to_string()),
        None => (image, String::new()),
    };
    let (first, rest) = match name.split_once('/') {
        Some((f, r)) if f.contains('.') || f.contains(':') || f == "localhost" => (f, r),
        _ => ("docker.io", name),
    };
    let (repository, tag) = match rest.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r.to_string(), t.to_string()),
        _ => (rest.to_string(), String::new()),
    };
    let repository = if first == "docker.io" && !repository.contains('/') {
        format!("library/{repository}")
    } else {
        repository
    };
    let tag = if tag.is_empty() && digest.is_empty() {
        "latest".to_string()
    } else {
        tag
    };
    ImageRef {
        registry: first.to_ascii_lowercase(),
        repository,
        tag,
        digest,
    }
}

/// The image a pull message names, in straight quotes (escaped once or more in JSON) or
/// in the typographic ones a word processor or chat client turns them into.
static IMAGE_IN_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)(?:pull(?:ing)? image|resolve reference|pull and unpack image|PullImage) \\*["“”]([^"“”\\\s]+)\\*["“”]"#,
    )
    .expect("static regex")
});
static DIAL_TIMEOUT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)dial tcp (\[[0-9a-f:]+\]|[0-9.]+):(\d+): (?:i/o timeout|connect: connection timed out|connectex: A connection attempt failed)")
        .expect("static regex")
});
/// A failed DNS lookup of a host, as Go's resolver words it.
static DNS_LOOKUP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)dial tcp: lookup ([^\s:]+)(?: on (\S+?))?: (?:(no such host|server misbehaving)|(?:read udp \S+: )?i/o timeout)",
    )
    .expect("static regex")
});
/// An HTTP 5xx from the registry, its data endpoint or a proxy on the way.
static HTTP_5XX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(50[0-4]) (?:Internal Server Error|Bad Gateway|Service Unavailable|Gateway Time-?out)\b|HTTP status: (50[0-4])\b")
        .expect("static regex")
});
static URL_HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(?:Get|Head|Post) \\?"?https://([^/"\\\s:]+)"#).expect("static regex")
});

/// The image of a `docker pull` (crictl, ctr ...) pasted just above the hit's line: the
/// daemon's error under it names no image.
fn pulled_above(inputs: &Inputs, h: &Hit) -> Option<String> {
    let e = h.evidence.first()?;
    let paste = inputs.index.pastes.iter().find(|p| p.file == e.file)?;
    paste.pulled_above(e.line?).map(str::to_string)
}

/// Adds `image`, `registry`, `repository`, `tag`/`digest`, `acr_name`, `registry_ip`,
/// `pull_secrets` and `pull_secrets_known` to a pull-failure hit.
pub fn enrich(inputs: &Inputs, mut h: Hit) -> Hit {
    let message = h.facts.get("message").cloned().unwrap_or_default();
    let image = h
        .facts
        .get("image")
        .filter(|i| !i.is_empty())
        .cloned()
        .or_else(|| IMAGE_IN_TEXT.captures(&message).map(|c| c[1].to_string()))
        .or_else(|| pulled_above(inputs, &h));
    if let Some(image) = image {
        let r = split_image(&image);
        if let Some(name) = acr_name(&r.registry) {
            h.facts.insert("acr_name".into(), name);
        }
        h.facts.insert("image".into(), image);
        h.facts.insert("registry".into(), r.registry);
        h.facts.insert("repository".into(), r.repository);
        if !r.tag.is_empty() {
            h.facts.insert("tag".into(), r.tag);
        }
        if !r.digest.is_empty() {
            h.facts.insert("digest".into(), r.digest);
        }
    }
    // A text that names no image (az aks check-acr output) may still name the registry.
    if !h.facts.contains_key("acr_name") {
        if let Some(name) = h.facts.get("registry").and_then(|r| acr_name(r)) {
            h.facts.insert("acr_name".into(), name);
        }
    }
    if let Some(c) = DIAL_TIMEOUT.captures(&message) {
        let ip = c[1].trim_matches(|ch| ch == '[' || ch == ']');
        h.facts.insert("registry_ip".into(), ip.to_string());
        h.facts.insert("registry_port".into(), c[2].to_string());
    }
    if let Some(c) = URL_HOST.captures(&message) {
        let host = c[1].to_ascii_lowercase();
        if is_data_endpoint(&host) {
            h.facts.insert("data_endpoint".into(), host.clone());
        }
        h.facts.insert("endpoint_host".into(), host);
    }
    // Azure Storage's own refusal (an XML body with AuthorizationFailure): the layers or the
    // image configuration were refused by the storage behind the registry.
    if message.contains("AuthorizationFailure") {
        h.facts.insert("storage_refused".into(), "true".into());
    }
    if let Some((failure, extra)) = unreachable(&message) {
        h.facts.insert("failure".into(), failure.into());
        h.facts.extend(extra);
    }
    if let Some(vmss) = h.facts.get("node").and_then(|n| vmss_of(n)) {
        h.facts.insert("vmss".into(), vmss);
    }
    let pod = match (h.facts.get("namespace"), h.facts.get("pod")) {
        (Some(ns), Some(pod)) => inputs.index.pod(ns, pod),
        _ => None,
    };
    if let Some(p) = pod {
        h.facts.insert("pull_secrets_known".into(), "true".into());
        let secrets: Vec<&str> = p
            .spec
            .image_pull_secrets
            .iter()
            .map(|s| s.name.as_str())
            .filter(|s| !s.is_empty())
            .collect();
        if !secrets.is_empty() {
            h.facts.insert("pull_secrets".into(), secrets.join(", "));
            h.facts.insert("pull_secret".into(), secrets[0].to_string());
        }
        if let Some((kind, name)) = super::acr_registry_typo::workload_of(p) {
            h.facts.insert("workload_kind".into(), kind);
            h.facts.insert("workload".into(), name);
        }
        if let Some(sa) = &p.spec.service_account_name {
            h.facts.insert("service_account".into(), sa.clone());
        }
    }
    h
}

/// How a pull failed to reach its registry, with the facts that say where: `dns`
/// (`no such host`), `dns_timeout`, `tcp_timeout`, `tls_timeout`, `http_timeout`
/// (no answer within the client's deadline), `http_5xx` (an answer, but a server or
/// gateway error) or `stalled` (the runtime cancelled a download that made no progress).
/// The first that applies, in that order.
pub fn unreachable(message: &str) -> Option<(&'static str, Vec<(String, String)>)> {
    let mut facts = Vec::new();
    if let Some(c) = DNS_LOOKUP.captures(message) {
        facts.push(("lookup_host".to_string(), c[1].to_ascii_lowercase()));
        if let Some(server) = c.get(2) {
            facts.push(("dns_server".to_string(), server.as_str().to_string()));
        }
        let failure = if c.get(3).is_some() {
            "dns"
        } else {
            "dns_timeout"
        };
        return Some((failure, facts));
    }
    if DIAL_TIMEOUT.is_match(message) {
        return Some(("tcp_timeout", facts));
    }
    let lower = message.to_ascii_lowercase();
    if lower.contains("tls handshake timeout") {
        return Some(("tls_timeout", facts));
    }
    if lower.contains("client.timeout exceeded")
        || lower.contains("request canceled while waiting for connection")
    {
        return Some(("http_timeout", facts));
    }
    if let Some(c) = HTTP_5XX.captures(message) {
        let status = c.get(1).or(c.get(2)).map_or("", |m| m.as_str());
        facts.push(("http_status".to_string(), status.to_string()));
        return Some(("http_5xx", facts));
    }
    if lower.contains("because of no progress") {
        return Some(("stalled", facts));
    }
    None
}

/// Whether `host` serves an Azure Container Registry's layers rather than its API: a
/// dedicated data endpoint (`<registry>.<region>.data.azurecr.io`) or the storage account
/// behind a registry without one (`*.blob.core.windows.net`, also in sovereign clouds).
pub fn is_data_endpoint(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    [".data.azurecr.io", ".data.azurecr.cn", ".data.azurecr.us"]
        .iter()
        .any(|s| host.ends_with(s))
        || host.contains(".blob.core.")
}

/// The scale set of an AKS VMSS node (`aks-nodepool1-12345678-vmss000000` →
/// `aks-nodepool1-12345678-vmss`).
/// Windows nodes drop the `-vmss` (`akswin1000000` → `akswin1`).
pub fn vmss_of(node: &str) -> Option<String> {
    let base36 = |s: &str| s.len() == 6 && s.chars().all(|c| c.is_ascii_alphanumeric());
    if let Some((head, instance)) = node.rsplit_once("-vmss") {
        return base36(instance).then(|| format!("{head}-vmss"));
    }
    let cut = node.len().checked_sub(6)?;
    (!node.contains('-') && cut > 0 && node.is_char_boundary(cut) && base36(&node[cut..]))
        .then(|| node[..cut].to_string())
}

/// The registry name of an Azure Container Registry login server
/// (`myacr.azurecr.io` → `myacr`), also for the sovereign clouds.
pub fn acr_name(host: &str) -> Option<String> {
    let host = host.split(':').next().unwrap_or(host);
    [".azurecr.io", ".azurecr.cn", ".azurecr.us"]
        .iter()
        .find_map(|s| host.strip_suffix(s))
        .and_then(|n| n.split('.').next())
        .filter(|n| !n.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_acr_docker_hub_and_digest_references() {
        let r = split_image("myacr.azurecr.io/team/app:v9");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_str()),
            ("myacr.azurecr.io", "team/app", "v9")
        );
        let r = split_image("nginx");
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_str()),
            ("docker.io", "library/nginx", "latest")
        );
        let r = split_image("localhost:5000/app@sha256:abc");
        assert_eq!(r.registry, "localhost:5000");
        assert_eq!(r.repository, "app");
        assert_eq!(r.tag, "");
        assert_eq!(r.digest, "sha256:abc");
        let r = split_image("registry:5000/app");
        assert_eq!(
            (r.registry.as_str(), r.tag.as_str()),
            ("registry:5000", "latest")
        );
    }

    #[test]
    fn finds_image_and_timeout_address_in_messages() {
        let m = r#"Failed to pull image "myacr.azurecr.io/app:v1": rpc error: code = Unknown desc = failed to pull and unpack image "myacr.azurecr.io/app:v1": failed to resolve reference "myacr.azurecr.io/app:v1": failed to do request: Head "https://myacr.azurecr.io/v2/app/manifests/v1": dial tcp 10.10.0.5:443: i/o timeout"#;
        assert_eq!(
            &IMAGE_IN_TEXT.captures(m).unwrap()[1],
            "myacr.azurecr.io/app:v1"
        );
        // Typographic quotes, as a chat client or word processor turned them
        // (rancher/rancher#32340's paste).
        let curly =
            "Failed to pull image “rancher/istio-kubectl:1.5.10”: rpc error: code = NotFound";
        assert_eq!(
            &IMAGE_IN_TEXT.captures(curly).unwrap()[1],
            "rancher/istio-kubectl:1.5.10"
        );
        let c = DIAL_TIMEOUT.captures(m).unwrap();
        assert_eq!((&c[1], &c[2]), ("10.10.0.5", "443"));
        assert_eq!(&URL_HOST.captures(m).unwrap()[1], "myacr.azurecr.io");
    }

    #[test]
    fn unreachable_registries_are_told_apart() {
        let kind = |m: &str| unreachable(m).map(|(k, _)| k);
        // A download the runtime gave up on (containerd, kubernetes#131521; dockershim,
        // kubernetes#26677's `for 0`).
        assert_eq!(
            kind("cancel pulling image registry.example/app:1 because of no progress in 1m0s"),
            Some("stalled")
        );
        assert_eq!(
            kind(
                r#"Cancel pulling image "nginx:latest" because of no progress for 0, latest progress: "89732b811e7f: Pulling fs layer ""#
            ),
            Some("stalled")
        );
        assert_eq!(kind("rpc error: code = Canceled desc = failed to pull and unpack image \"x\": context canceled"), None);
        let (k, facts) = unreachable(r#"failed to do request: Head "https://contosoacr.azurecr.io/v2/app/manifests/v1": dial tcp: lookup contosoacr.azurecr.io on 168.63.129.16:53: no such host"#).unwrap();
        assert_eq!(k, "dns");
        assert!(facts.contains(&("lookup_host".into(), "contosoacr.azurecr.io".into())));
        assert!(facts.contains(&("dns_server".into(), "168.63.129.16:53".into())));
        assert_eq!(
            kind("dial tcp: lookup contosoacr.azurecr.io on 10.0.0.10:53: read udp 10.244.0.5:41234->10.0.0.10:53: i/o timeout"),
            Some("dns_timeout")
        );
        assert_eq!(
            kind("Get https://x.azurecr.io/v2/: dial tcp: lookup x.azurecr.io: no such host"),
            Some("dns")
        );
        assert_eq!(
            kind("dial tcp 52.239.177.228:443: connectex: A connection attempt failed because the connected party did not properly respond after a period of time"),
            Some("tcp_timeout")
        );
        assert_eq!(
            kind("Get https://x.azurecr.io/v2/: net/http: TLS handshake timeout"),
            Some("tls_timeout")
        );
        let (k, facts) = unreachable(
            "rpc error: code = Unknown desc = received unexpected HTTP status: 504 Gateway Timeout",
        )
        .unwrap();
        assert_eq!(k, "http_5xx");
        assert_eq!(facts, vec![("http_status".to_string(), "504".to_string())]);
        assert_eq!(
            kind("failed to fetch oauth token: unexpected status: 401 Unauthorized"),
            None
        );
        assert!(is_data_endpoint("contosoacr.westeurope.data.azurecr.io"));
        assert!(is_data_endpoint("mcrcus0.blob.core.windows.net"));
        assert!(!is_data_endpoint("contosoacr.azurecr.io"));
    }

    #[test]
    fn acr_names_only_for_acr_hosts() {
        assert_eq!(acr_name("myacr.azurecr.io").as_deref(), Some("myacr"));
        assert_eq!(acr_name("myacr.azurecr.cn").as_deref(), Some("myacr"));
        assert_eq!(acr_name("mcr.microsoft.com"), None);
        assert_eq!(acr_name("myacr.azureacr.io"), None);
        assert_eq!(
            vmss_of("aks-nodepool1-12345678-vmss00000a").as_deref(),
            Some("aks-nodepool1-12345678-vmss")
        );
        assert_eq!(vmss_of("aks-nodepool1-12345678-0"), None);
        assert_eq!(vmss_of("akswin1000000").as_deref(), Some("akswin1"));
    }
}
