//! Image pulls the registry refused with 429 Too Many Requests. Each hit is enriched like
//! the other pull failures (registry, repository, tag, the pod's workload) and names the
//! limit that was hit, which decides the fix: Docker Hub's anonymous pull limit, an Azure
//! Container Registry's service-tier limit, or another registry's.

use crate::engine::{Hit, Inputs};

use super::image_pull_auth;

/// Which registry's limit a 429 comes from: `dockerhub`, `acr`, `mcr` or `registry`.
/// The registry of the image decides; the message's own hints (Docker's rate-limit link,
/// the ACR tiers link) decide when the image is not known.
pub fn limiter(registry: Option<&str>, message: &str) -> &'static str {
    let m = message.to_ascii_lowercase();
    match registry {
        Some("docker.io" | "index.docker.io" | "registry-1.docker.io") => "dockerhub",
        Some(r) if image_pull_auth::acr_name(r).is_some() => "acr",
        Some("mcr.microsoft.com") => "mcr",
        _ if m.contains("docker.com/increase-rate-limit") || m.contains("registry-1.docker.io") => {
            "dockerhub"
        }
        _ if m.contains("aka.ms/acr/") || m.contains(".azurecr.") => "acr",
        _ => "registry",
    }
}

/// The container of the hit's pod whose image the failed pull names.
fn container_of(inputs: &Inputs, h: &Hit) -> Option<String> {
    let (ns, pod, image) = (
        h.facts.get("namespace")?,
        h.facts.get("pod")?,
        h.facts.get("image")?,
    );
    let p = inputs.index.pod(ns, pod)?;
    let bare = |i: &str| i.trim_start_matches("docker.io/").to_string();
    p.all_containers()
        .find(|c| c.image == *image || bare(&c.image) == bare(image))
        .map(|c| c.name.clone())
}

/// The `image_pull_rate_limited` check: every hit is kept, enriched, and given `limiter`.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    hits.into_iter()
        .map(|h| {
            let mut h = image_pull_auth::enrich(inputs, h);
            let message = h.facts.get("message").cloned().unwrap_or_default();
            let which = limiter(h.facts.get("registry").map(String::as_str), &message);
            h.facts.insert("limiter".into(), which.into());
            // An event does not say which container pulls the image; the pod spec does.
            if !h.facts.contains_key("container") {
                if let Some(c) = container_of(inputs, &h) {
                    h.facts.insert("container".into(), c);
                }
            }
            h
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_names_the_limit() {
        assert_eq!(limiter(Some("docker.io"), ""), "dockerhub");
        assert_eq!(limiter(Some("contosoacr.azurecr.io"), ""), "acr");
        assert_eq!(limiter(Some("mcr.microsoft.com"), ""), "mcr");
        assert_eq!(
            limiter(Some("quay.io"), "429 Too Many Requests"),
            "registry"
        );
    }

    #[test]
    fn the_message_names_the_limit_when_the_image_is_unknown() {
        assert_eq!(
            limiter(None, "toomanyrequests: You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit"),
            "dockerhub"
        );
        assert_eq!(
            limiter(None, "toomanyrequests: Too many requests. Please visit https://aka.ms/acr/skus#sku-feature-matrix to view limits of all service tiers."),
            "acr"
        );
        assert_eq!(limiter(None, "toomanyrequests"), "registry");
    }
}
