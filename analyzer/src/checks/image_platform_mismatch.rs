//! Adds the node's OS (`kubernetes.io/os`) and the image reference to `no match for
//! platform in manifest` pull failures, and the OS the pod should select: the image's
//! when the runtime names it, else the other of linux and windows.

use crate::engine::{Hit, Inputs};

/// The `image_platform_mismatch` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    hits.into_iter()
        .map(|h| {
            let mut h = super::image_pull_auth::enrich(inputs, h);
            let node_os = h
                .node
                .as_deref()
                .and_then(|n| inputs.index.node(n))
                .and_then(|n| n.os())
                .map(str::to_ascii_lowercase);
            if let Some(os) = &node_os {
                h.facts.insert("node_os".into(), os.clone());
            }
            let target = h
                .facts
                .get("image_os")
                .map(|s| s.to_ascii_lowercase())
                .or_else(|| match node_os.as_deref() {
                    Some("windows") => Some("linux".into()),
                    Some("linux") => Some("windows".into()),
                    _ => None,
                });
            if let Some(t) = target {
                h.facts.insert("target_os".into(), t);
            }
            h
        })
        .collect()
}
