//! Adds the node's OS (`kubernetes.io/os`) and the image reference to `no match for
//! platform in manifest` pull failures, and the OS the pod should select: the image's
//! when the runtime names it, else the other of linux and windows (not on arm64 nodes,
//! where a single-architecture image is the likelier cause). A Windows image on a Windows
//! node is a Windows Server version mismatch instead (an ltsc2019 image on an ltsc2022
//! node): no other OS is suggested then, and the node's build is given.

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
            let runtime_windows = h
                .facts
                .get("platform")
                .is_some_and(|p| p.to_ascii_lowercase().starts_with("windows"));
            let on_windows = node_os.as_deref() == Some("windows") || runtime_windows;
            let image = h.facts.get("image").map(String::as_str).unwrap_or("");
            if on_windows && is_windows_image(image) {
                h.facts
                    .insert("windows_version_mismatch".into(), "true".into());
                let build = node.and_then(|n| {
                    n.metadata
                        .labels
                        .get("node.kubernetes.io/windows-build")
                        .cloned()
                        .or(n.status.node_info.kernel_version.clone())
                });
                if let Some(b) = build {
                    h.facts.insert("node_windows_build".into(), b);
                }
                return h;
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

/// Whether an image reference names a Windows base image by its usual tags and repositories
/// (`servercore`, `nanoserver`, `ltsc2019`, a `windows/` repository ...).
pub fn is_windows_image(image: &str) -> bool {
    let i = image.to_ascii_lowercase();
    [
        "servercore",
        "nanoserver",
        "ltsc20",
        "/windows/",
        "windowsservercore",
        "-1809",
        ":1809",
    ]
    .iter()
    .any(|m| i.contains(m))
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
    fn windows_images_are_known_by_their_tags() {
        assert!(is_windows_image(
            "mcr.microsoft.com/windows/servercore:ltsc2019"
        ));
        assert!(is_windows_image(
            "contosoacr.azurecr.io/legacy/app:4.8-windowsservercore-ltsc2022"
        ));
        assert!(is_windows_image(
            "mcr.microsoft.com/windows/nanoserver:1809"
        ));
        assert!(!is_windows_image("contosoacr.azurecr.io/shop/api:1.8.2"));
        assert!(!is_windows_image("nginx"));
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
