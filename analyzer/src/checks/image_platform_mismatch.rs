//! Adds the node's OS (`kubernetes.io/os`) and the image reference to `no match for
//! platform in manifest` pull failures, and the OS the pod should select: the image's
//! when the runtime names it, else the other of linux and windows (not on arm64 nodes,
//! where a single-architecture image is the likelier cause).

use crate::engine::{Hit, Inputs};

/// The `image_platform_mismatch` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    hits.into_iter()
        .map(|h| {
            let mut h = super::image_pull_auth::enrich(inputs, h);
            let node = h.node.as_deref().and_then(|n| inputs.index.node(n));
            let node_os = node.and_then(|n| n.os()).map(str::to_ascii_lowercase);
            let node_arch = node
                .and_then(|n| {
                    n.metadata
                        .labels
                        .get("kubernetes.io/arch")
                        .map(String::as_str)
                        .or(n.status.node_info.architecture.as_deref())
                })
                .map(str::to_ascii_lowercase);
            if let Some(os) = &node_os {
                h.facts.insert("node_os".into(), os.clone());
            }
            if let Some(arch) = &node_arch {
                h.facts.insert("node_arch".into(), arch.clone());
            }
            // On a Linux arm64 node the missing variant is more likely the architecture
            // than the OS, so no OS is suggested there.
            let target = h
                .facts
                .get("image_os")
                .map(|s| s.to_ascii_lowercase())
                .or_else(|| match (node_os.as_deref(), node_arch.as_deref()) {
                    (Some("windows"), _) => Some("linux".into()),
                    (Some("linux"), Some("amd64") | None) => Some("windows".into()),
                    _ => None,
                });
            if let Some(t) = target {
                h.facts.insert("target_os".into(), t);
            }
            h
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::Index;
    use crate::model::Node;
    use crate::rules::Catalogue;
    use crate::scan::ScanResults;

    fn target_on(node_json: &str) -> Option<String> {
        let node: Node = serde_json::from_str(node_json).unwrap();
        let index = Index {
            nodes: Some(vec![node]),
            ..Default::default()
        };
        let (scan, cat) = (ScanResults::default(), Catalogue::default());
        let inputs = Inputs::of(&index, &scan, &cat);
        let h = Hit {
            node: Some("n1".into()),
            ..Default::default()
        };
        check(&inputs, 0, vec![h])[0]
            .facts
            .get("target_os")
            .cloned()
    }

    #[test]
    fn suggests_the_other_os_except_on_arm64() {
        let win = r#"{"metadata":{"name":"n1","labels":{"kubernetes.io/os":"windows"}}}"#;
        assert_eq!(target_on(win).as_deref(), Some("linux"));
        let amd = r#"{"metadata":{"name":"n1","labels":{"kubernetes.io/os":"linux","kubernetes.io/arch":"amd64"}}}"#;
        assert_eq!(target_on(amd).as_deref(), Some("windows"));
        let arm = r#"{"metadata":{"name":"n1","labels":{"kubernetes.io/os":"linux","kubernetes.io/arch":"arm64"}}}"#;
        assert_eq!(target_on(arm), None);
    }
}
