//! Windows containers that the host compute service (HCS) or network service (HNS) refused
//! to create or start. The rule's matchers find the Windows wordings (hcs::, hcsshim::,
//! "failure in a Windows system call", hcnOpenNamespace ...) in events and container
//! states; this check names the cause and reads the node and the image to corroborate it:
//! the node's Windows build (`status.nodeInfo.kernelVersion`, 10.0.<build>) against the
//! build the image's tag names (ltsc2019, ltsc2022 ...), since a process-isolated container
//! must match its host's build.

use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};

/// Windows builds by the names image tags use for them.
const BUILDS: &[(&str, &str, &str)] = &[
    ("17763", "ltsc2019", r"ltsc2019|1809|17763"),
    ("18362", "1903", r"\b1903\b|18362"),
    ("18363", "1909", r"\b1909\b|18363"),
    ("19041", "2004", r"\b2004\b|19041"),
    ("19042", "20H2", r"20H2|19042"),
    ("20348", "ltsc2022", r"ltsc2022|20348"),
    ("25398", "23H2", r"23H2|25398"),
    ("26100", "ltsc2025", r"ltsc2025|26100"),
];

static TAGS: LazyLock<Vec<(&'static str, &'static str, Regex)>> = LazyLock::new(|| {
    BUILDS
        .iter()
        .map(|(b, n, re)| (*b, *n, Regex::new(&format!("(?i){re}")).expect("valid")))
        .collect()
});

static KERNEL_BUILD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^10\.0\.(\d{5})").expect("valid"));

/// The Windows build an image's tag names (`mcr.microsoft.com/windows/servercore:ltsc2019`
/// → 17763), when its tag (not its path) names one.
pub(super) fn image_build(image: &str) -> Option<(&'static str, &'static str)> {
    let tag = image
        .rsplit_once('/')
        .map_or(image, |(_, last)| last)
        .split_once(':')
        .map(|(_, t)| t)?;
    TAGS.iter()
        .find(|(_, _, re)| re.is_match(tag))
        .map(|(b, n, _)| (*b, *n))
}

/// The cause a message names.
pub(super) fn cause_of(message: &str) -> &'static str {
    let m = message.to_ascii_lowercase();
    if m.contains("does not match the host operating system")
        || m.contains("does not match the operating system of the host")
        || m.contains("0xc0370101")
    {
        "os-mismatch"
    } else if m.contains("hcnopennamespace")
        || m.contains("hcncreateendpoint")
        || m.contains("hns failed")
        || m.contains("hnscall failed")
        || m.contains("attach namespace failed")
        || m.contains("key-value store of network plugin")
    {
        "network"
    } else if m.contains("preparelayer")
        || m.contains("device is not ready")
        || m.contains("directory name is invalid")
    {
        "layer-storage"
    } else if m.contains("not valid in the current state")
        || m.contains("0xc0370105")
        || m.contains("exited unexpectedly")
        || m.contains("0xc0370106")
    {
        "host-state"
    } else {
        "hcs"
    }
}

/// The `windows_container_start` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let mut out = Vec::with_capacity(hits.len());
    for mut h in hits {
        let message = h.facts.get("message").cloned().unwrap_or_default();
        let pod = h
            .facts
            .get("namespace")
            .zip(h.facts.get("pod"))
            .and_then(|(ns, p)| inputs.index.pod(ns, p));
        let node = h.node.as_deref().and_then(|n| inputs.index.node(n));
        // These are Windows host messages; a Linux node cannot have written them.
        if node.and_then(|n| n.os()).is_some_and(|os| os != "windows") {
            continue;
        }
        if let Some(n) = node {
            for (k, v) in super::node_pressure::node_facts(n) {
                h.facts.entry(k).or_insert(v);
            }
            if let Some(i) = &n.status.node_info.os_image {
                h.facts.insert("os_image".into(), i.clone());
            }
            if let Some(k) = &n.status.node_info.kernel_version {
                h.facts.insert("kernel_version".into(), k.clone());
                if let Some(c) = KERNEL_BUILD.captures(k) {
                    let build = c[1].to_string();
                    if let Some((_, name, _)) = BUILDS.iter().find(|(b, _, _)| *b == build) {
                        h.facts.insert("node_windows".into(), name.to_string());
                    }
                    h.facts.insert("node_build".into(), build);
                }
            }
        }
        if !h.facts.contains_key("image") {
            if let Some(c) = pod.and_then(|p| p.spec.containers.first()) {
                h.facts.insert("image".into(), c.image.clone());
            }
        }
        let mut cause = cause_of(&message);
        if let Some((build, name)) = h.facts.get("image").and_then(|i| image_build(i)) {
            h.facts.insert("image_build".into(), build.to_string());
            h.facts.insert("image_windows".into(), name.to_string());
            if h.facts.get("node_build").is_some_and(|b| b != build) {
                h.facts.insert("build_mismatch".into(), "true".into());
                cause = "os-mismatch";
            }
        }
        h.facts.insert("cause".into(), cause.to_string());
        out.push(h);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_tags_name_their_windows_build() {
        assert_eq!(
            image_build("mcr.microsoft.com/windows/servercore:ltsc2019"),
            Some(("17763", "ltsc2019"))
        );
        assert_eq!(
            image_build("mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022"),
            Some(("20348", "ltsc2022"))
        );
        assert_eq!(
            image_build("contoso.azurecr.io/win/app:10.0.17763.4010"),
            Some(("17763", "ltsc2019"))
        );
        // A path that names a build is no tag; an untagged image names none.
        assert_eq!(image_build("contoso.azurecr.io/ltsc2019/app:v2"), None);
        assert_eq!(image_build("contoso.azurecr.io/app"), None);
    }

    #[test]
    fn messages_name_their_cause() {
        assert_eq!(cause_of("CreateComputeSystem 94d1: The container operating system does not match the host operating system."), "os-mismatch");
        assert_eq!(cause_of("failed to create shim task: hcs::CreateComputeSystem 3f9c: The requested operation for attach namespace failed.: unknown"), "network");
        assert_eq!(
            cause_of(
                "hcsshim::PrepareLayer - failed failed in Win32: The device is not ready. (0x15)"
            ),
            "layer-storage"
        );
        assert_eq!(cause_of("encountered an error during CreateProcess: failure in a Windows system call: The requested virtual machine or container operation is not valid in the current state. (0xc0370105)"), "host-state");
        assert_eq!(
            cause_of("hcs::CreateComputeSystem abc: Access is denied.: unknown"),
            "hcs"
        );
    }
}
