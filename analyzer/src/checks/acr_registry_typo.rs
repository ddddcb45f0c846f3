//! An image whose registry host misspells an Azure Container Registry login server
//! (`myacr.azureacr.io`, `myacr.azurcr.io`, `myacr.azurecr.com` ...): structural, over every
//! container image of every pod. The domain suffix of the host is compared with
//! `azurecr.io` by edit distance (adjacent swaps count one); a correct ACR host, a
//! sovereign-cloud ACR host and unrelated registries are never flagged. Pull failures in
//! events and pasted text (a describe paste, a kubelet journal) name the image too, so a
//! bundle without the pod, or a ticket with only a paste, still shows the typo: matcher
//! hits are kept when the image they captured has a misspelt host, and dropped otherwise.

use std::collections::BTreeMap;

use crate::engine::{Hit, Inputs};
use crate::finding::Evidence;

use super::image_pull_auth::split_image;

/// The domain every public-cloud ACR login server ends with.
const ACR_SUFFIX: &str = "azurecr.io";
/// Correct ACR domains of the public and sovereign clouds.
const ACR_DOMAINS: &[&str] = &["azurecr.io", "azurecr.cn", "azurecr.us", "azurecr.de"];
/// Largest edit distance still read as a misspelling.
const MAX_DISTANCE: usize = 2;

/// The `acr_registry_typo` check: adds one hit per pod container whose image host looks
/// like a misspelt ACR login server, and keeps the matcher hits (pull failures naming an
/// image) whose image host is one.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let mut hits: Vec<Hit> = hits.into_iter().filter_map(typo_of_hit).collect();
    for pod in inputs.index.pods() {
        let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
        for c in pod.all_containers() {
            let host = split_image(&c.image).registry;
            let Some(intended) = intended_host(&host) else {
                continue;
            };
            let object = pod.object_ref();
            let node = pod.spec.node_name.clone();
            let mut facts = BTreeMap::new();
            facts.insert("namespace".to_string(), ns.to_string());
            facts.insert("pod".to_string(), pod.metadata.name.clone());
            facts.insert("name".to_string(), pod.metadata.name.clone());
            facts.insert("kind".to_string(), "pod".to_string());
            facts.insert("container".to_string(), c.name.clone());
            facts.insert("image".to_string(), c.image.clone());
            facts.insert("host".to_string(), host.clone());
            facts.insert(
                "intended_image".to_string(),
                c.image.replacen(&host, &intended, 1),
            );
            facts.insert("intended_host".to_string(), intended);
            if let Some(n) = &node {
                facts.insert("node".to_string(), n.clone());
            }
            if let Some((kind, name)) = workload_of(pod) {
                facts.insert("workload_kind".to_string(), kind);
                facts.insert("workload".to_string(), name);
            }
            hits.push(Hit {
                weak_object: false,
                object: Some(object.clone()),
                node,
                facts,
                evidence: vec![Evidence::of_object(
                    inputs.object_file(ns, "pods.json"),
                    format!("container {} image: {}", c.name, c.image),
                    Some(object),
                )],
                table: None,
            });
        }
    }
    hits
}

/// A pull-failure hit whose captured `image` has a misspelt registry host, with the
/// facts the rule shows; `None` for every other image.
fn typo_of_hit(mut h: Hit) -> Option<Hit> {
    let image = h
        .facts
        .get("image")?
        .trim_matches(|c| c == '\\' || c == '"')
        .to_string();
    let host = split_image(&image).registry;
    let intended = intended_host(&host)?;
    h.facts
        .insert("intended_image".into(), image.replacen(&host, &intended, 1));
    h.facts.insert("intended_host".into(), intended);
    h.facts.insert("host".into(), host);
    h.facts.insert("image".into(), image);
    Some(h)
}

/// The workload a pod belongs to: a ReplicaSet's Deployment (its name without the
/// pod-template hash), or the direct owner.
pub fn workload_of(pod: &crate::model::Pod) -> Option<(String, String)> {
    let owner = pod.metadata.owner_references.first()?;
    if owner.kind == "ReplicaSet" {
        if let Some((deployment, _hash)) = owner.name.rsplit_once('-') {
            return Some(("deployment".into(), deployment.to_string()));
        }
    }
    Some((owner.kind.to_ascii_lowercase(), owner.name.clone()))
}

/// The login server `host` was probably meant to be, when `host` misspells one.
pub fn intended_host(host: &str) -> Option<String> {
    let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 3 || labels.iter().any(|l| l.is_empty()) {
        return None;
    }
    if ACR_DOMAINS.iter().any(|d| host.ends_with(&format!(".{d}"))) {
        return None;
    }
    // Try every suffix of two or more labels that leaves a registry name in front; the
    // closest one to `azurecr.io` decides.
    let mut best: Option<(usize, usize)> = None;
    for start in 1..=labels.len() - 2 {
        let suffix = labels[start..].join(".");
        let mut d = distance(&suffix, ACR_SUFFIX);
        // A word glued on with a hyphen (`navdocker.az-azurecr.io`) counts as one edit.
        if let Some((_, tail)) = labels[start].rsplit_once('-') {
            let rest = std::iter::once(tail).chain(labels[start + 1..].iter().copied());
            d = d.min(1 + distance(&rest.collect::<Vec<_>>().join("."), ACR_SUFFIX));
        }
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, start));
        }
    }
    let (d, start) = best?;
    if d == 0 || d > MAX_DISTANCE {
        return None;
    }
    Some(format!("{}.{ACR_SUFFIX}", labels[..start].join(".")))
}

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of
/// adjacent characters each cost one.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspelt_acr_domains_are_found() {
        for (typo, want) in [
            ("myacr.azureacr.io", "myacr.azurecr.io"),
            ("myacr.azurcr.io", "myacr.azurecr.io"),
            ("myacr.azurecr.com", "myacr.azurecr.io"),
            ("myacr.azurecr.oi", "myacr.azurecr.io"),
            ("MyAcr.AzureCR.co", "myacr.azurecr.io"),
            (
                "myacr.privatelink.azurcr.io",
                "myacr.privatelink.azurecr.io",
            ),
            ("myacr.azureacr.io:443", "myacr.azurecr.io"),
            // microsoft/nav-docker#57: "you misspelled the registry".
            ("navdocker.az-azurecr.io", "navdocker.azurecr.io"),
        ] {
            assert_eq!(intended_host(typo).as_deref(), Some(want), "{typo}");
        }
    }

    #[test]
    fn correct_and_unrelated_registries_are_left_alone() {
        for host in [
            "myacr.azurecr.io",
            "myacr.westeurope.data.azurecr.io",
            "myacr.azurecr.cn",
            "myacr.azurecr.us",
            "mcr.microsoft.com",
            "docker.io",
            "registry-1.docker.io",
            "ghcr.io",
            "quay.io",
            "k8s.gcr.io",
            "registry.k8s.io",
            "public.ecr.aws",
            "123456789012.dkr.ecr.eu-west-1.amazonaws.com",
            "localhost:5000",
            "harbor.example.com",
            "myapp.azurewebsites.net",
            "cdn.azureedge.net",
            "azurecr.io",
        ] {
            assert_eq!(intended_host(host), None, "{host}");
        }
    }

    #[test]
    fn swaps_cost_one() {
        assert_eq!(distance("azurecr.oi", "azurecr.io"), 1);
        assert_eq!(distance("azurecr.com", "azurecr.io"), 2);
        assert_eq!(distance("gcr.io", "azurecr.io"), 5);
    }
}
