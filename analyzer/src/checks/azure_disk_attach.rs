//! Splits `AttachVolume.Attach failed` events into the Azure causes the embedded ARM error
//! names: the disk in another zone than the VM, the cluster identity without rights on the
//! disk, the VM size's data-disk limit, a LUN already taken, an Ultra disk on a node pool
//! without Ultra SSD. Adds the disk's resource group and name, the node's zone, VM size,
//! scale set and instance, and the pod's workload; drops events of pods deleted since.
//! A VolumeAttachment's `attachError` that no event repeats (the events expired) is read
//! too, for the pods on that node that mount the volume's claim.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};
use crate::finding::Evidence;

/// One Azure cause: its name and the regex that recognises it in the event message.
struct Cause {
    name: &'static str,
    re: Regex,
}

static CAUSES: LazyLock<Vec<Cause>> = LazyLock::new(|| {
    let c = |name, p: &str| Cause {
        name,
        re: Regex::new(p).expect("cause regex"),
    };
    vec![
        c(
            "zone",
            r"(?is)not in the same zone as the VM(?:\.\s*VM zone:\s*'(?P<vm_zone>[^']*)'\.\s*Disk zone:\s*'(?P<disk_zone>[^']*)')?",
        ),
        c(
            "authorization",
            r"(?is)AuthorizationFailed|does not have authorization to perform action",
        ),
        c(
            "disk_limit",
            r"(?is)maximum number of data disks allowed to be attached to a VM(?: of this size)? is (?P<max_disks>\d+)|MaximumDataDisksExceeded",
        ),
        c(
            "lun",
            r"(?is)disk at LUN (?P<lun>\d+) already exists|LUN (?P<lun2>\d+) is already (?:in use|used)",
        ),
        c(
            "ultra_ssd",
            r"(?is)UltraSSD_LRS can be used only when additionalCapabilities\.ultraSSDEnabled",
        ),
    ]
});

static SCOPE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)over scope '(?P<scope>/subscriptions/[^']+)'").expect("scope regex")
});

static ACTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)authorization to perform action '(?P<action>[^']+)'").expect("action regex")
});

/// The Azure cause of an attach failure, and the values it carries.
pub fn classify(message: &str) -> (&'static str, Vec<(&'static str, String)>) {
    for c in CAUSES.iter() {
        if let Some(caps) = c.re.captures(message) {
            let mut values = Vec::new();
            for (group, fact) in [
                ("vm_zone", "vm_zone"),
                ("disk_zone", "disk_zone"),
                ("max_disks", "max_disks"),
                ("lun", "lun"),
                ("lun2", "lun"),
            ] {
                if let Some(m) = caps.name(group) {
                    values.push((fact, m.as_str().trim().to_string()));
                }
            }
            if c.name == "authorization" {
                if let Some(a) = ACTION.captures(message) {
                    values.push(("action", a["action"].to_string()));
                }
                if let Some(s) = SCOPE.captures(message) {
                    values.push(("scope", s["scope"].to_string()));
                }
            }
            return (c.name, values);
        }
    }
    ("other", Vec::new())
}

/// Hits from VolumeAttachments whose `attachError` no event repeats (events expire after an
/// hour; the object keeps the last error as long as the attach fails). The hit is about the
/// pods that mount the volume's claim, or the attachment itself when none is known.
fn attachment_hits(inputs: &Inputs, seen: &BTreeSet<String>) -> Vec<Hit> {
    let mut out = Vec::new();
    for va in inputs.index.cluster_list(|c| &c.volume_attachments) {
        let (Some(err), Some(pv)) = (
            va.status.attach_error.as_ref(),
            va.spec.source.persistent_volume_name.as_ref(),
        ) else {
            continue;
        };
        let Some(message) = err.message.as_deref().filter(|m| !m.is_empty()) else {
            continue;
        };
        if seen.contains(pv) || va.spec.attacher != "disk.csi.azure.com" {
            continue;
        }
        let claim = inputs
            .index
            .cluster_list(|c| &c.persistent_volumes)
            .find(|v| &v.metadata.name == pv)
            .and_then(|v| v.spec.claim_ref.as_ref())
            .and_then(|r| Some((r.namespace.clone()?, r.name.clone()?)));
        let pods: Vec<&crate::model::Pod> = match &claim {
            Some((ns, c)) => inputs
                .index
                .pods_in(ns)
                .filter(|p| {
                    p.spec.node_name.as_deref() == Some(va.spec.node_name.as_str())
                        && p.spec.volumes.iter().any(|v| {
                            v.persistent_volume_claim
                                .as_ref()
                                .is_some_and(|r| &r.claim_name == c)
                        })
                })
                .collect(),
            None => Vec::new(),
        };
        let va_ref = format!("cluster/volumeattachment/{}", va.metadata.name);
        let evidence = Evidence {
            file: inputs
                .index
                .cluster_file(crate::layout::ClusterKind::VolumeAttachments),
            line: None,
            excerpt: crate::engine::cut(&format!(
                "VolumeAttachment {} ({pv} on node {}): attachError: {message}",
                va.metadata.name, va.spec.node_name
            )),
            count: 1,
            first_seen: err.time.as_deref().map(|t| inputs.time(t)),
            last_seen: err.time.as_deref().map(|t| inputs.time(t)),
            object: Some(va_ref.clone()),
            role: "signal".into(),
        };
        let mut base = BTreeMap::new();
        base.insert("volume".to_string(), pv.clone());
        base.insert("message".into(), message.to_string());
        base.insert("reason".into(), "attachError".into());
        base.insert("node".into(), va.spec.node_name.clone());
        if pods.is_empty() {
            let mut facts = base.clone();
            facts.insert("kind".into(), "volumeattachment".into());
            facts.insert("name".into(), va.metadata.name.clone());
            out.push(Hit {
                object: Some(va_ref.clone()),
                node: Some(va.spec.node_name.clone()),
                facts,
                evidence: vec![evidence.clone()],
                table: None,
                weak_object: false,
            });
        }
        for p in pods {
            let mut facts = base.clone();
            let ns = p.metadata.namespace.clone().unwrap_or_default();
            facts.insert("namespace".into(), ns);
            facts.insert("kind".into(), "pod".into());
            facts.insert("pod".into(), p.metadata.name.clone());
            facts.insert("name".into(), p.metadata.name.clone());
            out.push(Hit {
                object: Some(p.object_ref()),
                node: Some(va.spec.node_name.clone()),
                facts,
                evidence: vec![evidence.clone()],
                table: None,
                weak_object: false,
            });
        }
    }
    out
}

/// The `azure_disk_attach` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let seen: BTreeSet<String> = hits
        .iter()
        .filter_map(|h| h.facts.get("volume").cloned())
        .collect();
    let extra = attachment_hits(inputs, &seen);
    hits.into_iter()
        .chain(extra)
        .filter(|h| !super::storage::hit_pod_gone(inputs, h))
        .map(|mut h| {
            let message = h.facts.get("message").cloned().unwrap_or_default();
            let (cause, values) = classify(&message);
            h.facts.insert("cause".into(), cause.into());
            h.facts.insert(format!("cause_{cause}"), "true".into());
            for (k, v) in values {
                h.facts.insert(k.into(), v);
            }
            if let Some((rg, disk)) = super::storage::disk_of(&message) {
                h.facts.insert("disk_rg".into(), rg);
                h.facts.insert("disk".into(), disk);
            }
            super::storage::add_pod_and_node_facts(inputs, &mut h);
            h
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_mismatch_gives_both_zones() {
        let m = r#"AttachVolume.Attach failed for volume "pvc-1" : rpc error: code = Unknown desc = Attach volume "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/pvc-1" to instance "aks-nodepool1-1-vmss000000" failed with Retriable: false, RetryAfter: 0s, HTTPStatusCode: 400, RawError: {
  "error": {
    "code": "BadRequest",
    "message": "Disk /subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/disks/pvc-1 cannot be attached to the VM because it is not in the same zone as the VM. VM zone: '1'. Disk zone: '3'."
  }
}"#;
        let (cause, values) = classify(m);
        assert_eq!(cause, "zone");
        assert!(values.contains(&("vm_zone", "1".into())));
        assert!(values.contains(&("disk_zone", "3".into())));
    }

    #[test]
    fn authorization_gives_action_and_scope() {
        let m = r#"rpc error: code = NotFound desc = Volume not found, failed with error: Retriable: false, RetryAfter: 0s, HTTPStatusCode: 403, RawError: {"error":{"code":"AuthorizationFailed","message":"The client 'a' with object id 'b' does not have authorization to perform action 'Microsoft.Compute/disks/read' over scope '/subscriptions/s/resourceGroups/rg-data/providers/Microsoft.Compute/disks/pg' or the scope is invalid."}}"#;
        let (cause, values) = classify(m);
        assert_eq!(cause, "authorization");
        assert!(values.contains(&("action", "Microsoft.Compute/disks/read".into())));
        assert!(values.contains(&(
            "scope",
            "/subscriptions/s/resourceGroups/rg-data/providers/Microsoft.Compute/disks/pg".into()
        )));
    }

    #[test]
    fn disk_limit_lun_and_ultra_are_told_apart() {
        let limit = r#"RawError: {"error": {"code": "OperationNotAllowed", "message": "The maximum number of data disks allowed to be attached to a VM of this size is 16.", "target": "dataDisks"}}"#;
        assert_eq!(classify(limit).0, "disk_limit");
        assert!(classify(limit).1.contains(&("max_disks", "16".into())));
        let lun = r#"Status=400 Code="InvalidParameter" Message="A disk at LUN 3 already exists.""#;
        assert_eq!(classify(lun).0, "lun");
        assert!(classify(lun).1.contains(&("lun", "3".into())));
        let ultra = r#""message": "StorageAccountType UltraSSD_LRS can be used only when additionalCapabilities.ultraSSDEnabled is set.""#;
        assert_eq!(classify(ultra).0, "ultra_ssd");
        let timeout = "rpc error: code = DeadlineExceeded desc = context deadline exceeded";
        assert_eq!(classify(timeout).0, "other");
    }
}
