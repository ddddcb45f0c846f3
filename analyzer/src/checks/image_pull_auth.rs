//! Enriches image pull failures (401, 403, not found, timeout) with the image reference
//! split into registry, repository and tag, the registry's address when the pull timed out,
//! and the pod's `imagePullSecrets`, which decide the order of the remediation steps.

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

static IMAGE_IN_TEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)(?:pull(?:ing)? image|resolve reference|pull and unpack image) \\?"([^"\\\s]+)\\?""#,
    )
    .expect("static regex")
});
static DIAL_TIMEOUT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)dial tcp (\[[0-9a-f:]+\]|[0-9.]+):(\d+): (?:i/o timeout|connect: connection timed out)")
        .expect("static regex")
});
static URL_HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(?:Get|Head|Post) \\?"?https://([^/"\\\s:]+)"#).expect("static regex")
});

/// Adds `image`, `registry`, `repository`, `tag`/`digest`, `acr_name`, `registry_ip`,
/// `pull_secrets` and `pull_secrets_known` to a pull-failure hit.
pub fn enrich(inputs: &Inputs, mut h: Hit) -> Hit {
    let message = h.facts.get("message").cloned().unwrap_or_default();
    let image = h
        .facts
        .get("image")
        .filter(|i| !i.is_empty())
        .cloned()
        .or_else(|| IMAGE_IN_TEXT.captures(&message).map(|c| c[1].to_string()));
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
    if let Some(c) = DIAL_TIMEOUT.captures(&message) {
        let ip = c[1].trim_matches(|ch| ch == '[' || ch == ']');
        h.facts.insert("registry_ip".into(), ip.to_string());
        h.facts.insert("registry_port".into(), c[2].to_string());
    }
    if let Some(c) = URL_HOST.captures(&message) {
        h.facts
            .insert("endpoint_host".into(), c[1].to_ascii_lowercase());
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
        let c = DIAL_TIMEOUT.captures(m).unwrap();
        assert_eq!((&c[1], &c[2]), ("10.10.0.5", "443"));
        assert_eq!(&URL_HOST.captures(m).unwrap()[1], "myacr.azurecr.io");
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
