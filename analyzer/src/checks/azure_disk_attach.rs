//! Splits `AttachVolume.Attach failed` events into the Azure causes the embedded ARM error
//! names: the disk in another zone than the VM, the cluster identity without rights on the
//! disk, the VM size's data-disk limit, a LUN already taken, an Ultra disk on a node pool
//! without Ultra SSD. Adds the disk's resource group and name, the node's zone, VM size,
//! scale set and instance, and the pod's workload; drops events of pods deleted since.

use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};

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

/// The `azure_disk_attach` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    hits.into_iter()
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
