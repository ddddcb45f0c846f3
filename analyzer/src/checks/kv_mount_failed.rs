//! Keeps `kv-mount-failed` to Secrets Store volumes. kubelet's message names the volume,
//! not the driver: a pod with a Key Vault volume and an Azure Disk can fail on either, and
//! a Key Vault volume may be called anything (`app-config`). Where the pod is in the
//! bundle, the driver of the named volume decides; elsewhere the message's words do. A
//! driver log line counts only when it names the pod it failed.

use crate::engine::{Hit, Inputs};

use super::kv_cause::is_kv_mount;

/// The `kv_mount_failed` check.
pub fn check(inputs: &Inputs, _rule: usize, mut hits: Vec<Hit>) -> Vec<Hit> {
    hits.retain(|h| {
        if !h.facts.contains_key("reason") {
            // A log or pasted line: its pattern is the driver's own words.
            return !h.weak_object;
        }
        let pod = h
            .facts
            .get("namespace")
            .zip(h.facts.get("pod"))
            .and_then(|(ns, pod)| inputs.index.pod(ns, pod));
        is_kv_mount(pod, h.facts.get("message").map_or("", String::as_str))
    });
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{CsiVolume, Pod, Volume};

    fn pod_with(volumes: &[(&str, Option<&str>)]) -> Pod {
        let mut p = Pod::default();
        p.metadata.name = "api-1".into();
        p.metadata.namespace = Some("shop".into());
        p.spec.volumes = volumes
            .iter()
            .map(|(n, d)| Volume {
                name: n.to_string(),
                csi: d.map(|d| CsiVolume {
                    driver: d.into(),
                    ..Default::default()
                }),
                ..Default::default()
            })
            .collect();
        p
    }

    #[test]
    fn the_named_volume_decides_when_the_pod_is_known() {
        let p = pod_with(&[
            ("app-config", Some("secrets-store.csi.k8s.io")),
            ("data", Some("disk.csi.azure.com")),
        ]);
        let deadline = "MountVolume.SetUp failed for volume \"app-config\" : rpc error: code = DeadlineExceeded desc = context deadline exceeded";
        assert!(is_kv_mount(Some(&p), deadline));
        let disk = "MountVolume.SetUp failed for volume \"data\" : rpc error: code = DeadlineExceeded desc = context deadline exceeded";
        assert!(!is_kv_mount(Some(&p), disk));
        // A secret-like name of a disk volume is still a disk.
        let p = pod_with(&[("secrets-disk", Some("disk.csi.azure.com"))]);
        let named = "MountVolume.SetUp failed for volume \"secrets-disk\" : rpc error: code = Internal desc = could not format";
        assert!(!is_kv_mount(Some(&p), named));
    }

    #[test]
    fn words_decide_without_the_pod() {
        let plain = "MountVolume.SetUp failed for volume \"app-config\" : rpc error: code = DeadlineExceeded desc = context deadline exceeded";
        assert!(!is_kv_mount(None, plain));
        let named = "MountVolume.SetUp failed for volume \"secrets-store-inline\" : rpc error: code = DeadlineExceeded desc = context deadline exceeded";
        assert!(is_kv_mount(None, named));
        let escaped = r#"MountVolume.SetUp failed for volume \"app\" : rpc error: code = Unknown desc = failed to mount secrets store objects for pod a/b"#;
        assert!(is_kv_mount(None, escaped));
    }
}
