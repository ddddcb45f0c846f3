//! PersistentVolumeClaims still `Pending` some minutes after their creation, read from the
//! objects: the StorageClass they name is not in the cluster, none is named and no class
//! is the default, none is named on purpose (`""`) and no volume is available, a
//! or the provisioner has not delivered yet. A `WaitForFirstConsumer` claim waits by design
//! (with its pod, the pod's own findings say why it is not scheduled), and claims being
//! deleted are left out.

use std::collections::BTreeMap;

use crate::engine::{Hit, Inputs};
use crate::finding::Evidence;
use crate::model::{PersistentVolumeClaim, StorageClass};

/// How long a claim may be Pending before it is reported.
const GRACE_SECONDS: i64 = 5 * 60;

/// Why a Pending claim is not bound, from the claim, the classes and the pods that mount it.
pub fn cause(
    claim: &PersistentVolumeClaim,
    classes: Option<&[StorageClass]>,
    has_consumer: bool,
) -> Option<&'static str> {
    let named = claim.spec.storage_class_name.as_deref();
    let Some(classes) = classes else {
        return Some("not_bound");
    };
    let class = match named {
        Some("") => return Some("no_matching_volume"),
        Some(n) => match classes.iter().find(|c| c.metadata.name == n) {
            Some(c) => c,
            None => return Some("storage_class_missing"),
        },
        None => match classes.iter().find(|c| c.is_default()) {
            Some(c) => c,
            None => return Some("no_default_class"),
        },
    };
    // A claim of a WaitForFirstConsumer class binds when a pod uses it: with no pod that is
    // how it is meant to wait (a chart that creates claims ahead of their pods), and with
    // a pod the pod's own findings say why it is not scheduled. Neither is a failure.
    if class.volume_binding_mode.as_deref() == Some("WaitForFirstConsumer") {
        let _ = has_consumer;
        return None;
    }
    if class.provisioner == "kubernetes.io/no-provisioner" {
        return Some("no_matching_volume");
    }
    Some("not_bound")
}

/// The `pvc_pending` check: structural hits, one per claim.
pub fn check(inputs: &Inputs, _rule: usize, _hits: Vec<Hit>) -> Vec<Hit> {
    let now = inputs.clock.as_ref().map(|c| c.collected_at.as_second());
    let classes = inputs.index.cluster.storage_classes.as_deref();
    let defaults: Vec<String> = classes
        .into_iter()
        .flatten()
        .filter(|c| c.is_default())
        .map(|c| c.metadata.name.clone())
        .collect();
    let mut out = Vec::new();
    for (ns, claim) in inputs.index.pvcs() {
        if claim.status.phase.as_deref() != Some("Pending")
            || claim.metadata.deletion_timestamp.is_some()
        {
            continue;
        }
        let created = claim
            .metadata
            .creation_timestamp
            .as_deref()
            .and_then(crate::time::seconds);
        if let (Some(now), Some(created)) = (now, created) {
            if now - created < GRACE_SECONDS {
                continue;
            }
        }
        let name = claim.metadata.name.clone();
        let users = super::storage::claim_users(inputs, ns, &name);
        let has_consumer = inputs.index.pods_in(ns).any(|p| {
            !matches!(p.status.phase.as_deref(), Some("Succeeded" | "Failed"))
                && p.spec.volumes.iter().any(|v| {
                    v.persistent_volume_claim
                        .as_ref()
                        .is_some_and(|c| c.claim_name == name)
                })
        });
        let Some(cause) = cause(claim, classes, has_consumer) else {
            continue;
        };
        let mut facts = BTreeMap::new();
        facts.insert("namespace".to_string(), ns.to_string());
        facts.insert("name".into(), name.clone());
        facts.insert("claim".into(), name.clone());
        facts.insert("kind".into(), "persistentvolumeclaim".into());
        facts.insert("cause".into(), cause.into());
        facts.insert(format!("cause_{cause}"), "true".into());
        if let Some(sc) = &claim.spec.storage_class_name {
            facts.insert("storage_class".into(), sc.clone());
        }
        if !defaults.is_empty() {
            facts.insert("default_classes".into(), defaults.join(", "));
        }
        if let (Some(now), Some(created)) = (now, created) {
            facts.insert("pending_minutes".into(), ((now - created) / 60).to_string());
        }
        let since = claim.metadata.creation_timestamp.as_deref();
        let object = format!("{ns}/persistentvolumeclaim/{name}");
        let mut evidence = vec![Evidence {
            file: inputs.object_file(ns, "persistentvolumeclaims.json"),
            line: None,
            excerpt: format!(
                "PersistentVolumeClaim {name}: phase Pending, storageClassName {}, created {}",
                claim.spec.storage_class_name.as_deref().unwrap_or("(none)"),
                since.unwrap_or("?")
            ),
            count: 1,
            first_seen: since.map(|t| inputs.time(t)),
            last_seen: None,
            object: Some(object.clone()),
            role: "signal".into(),
        }];
        evidence.extend(users);
        out.push(Hit {
            object: Some(object),
            node: None,
            facts,
            evidence,
            table: None,
            weak_object: false,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(class: Option<&str>) -> PersistentVolumeClaim {
        let mut c = PersistentVolumeClaim::default();
        c.spec.storage_class_name = class.map(str::to_string);
        c.status.phase = Some("Pending".into());
        c
    }

    fn classes() -> Vec<StorageClass> {
        serde_json::from_str(
            r#"[{"metadata":{"name":"managed-csi","annotations":{"storageclass.kubernetes.io/is-default-class":"true"}},
                 "provisioner":"disk.csi.azure.com","volumeBindingMode":"WaitForFirstConsumer"},
                {"metadata":{"name":"azurefile-csi"},"provisioner":"file.csi.azure.com","volumeBindingMode":"Immediate"},
                {"metadata":{"name":"local"},"provisioner":"kubernetes.io/no-provisioner","volumeBindingMode":"Immediate"}]"#,
        )
        .unwrap()
    }

    #[test]
    fn causes_come_from_the_claim_and_the_classes() {
        let cs = classes();
        let cs = Some(cs.as_slice());
        assert_eq!(
            cause(&claim(Some("fast")), cs, false),
            Some("storage_class_missing")
        );
        assert_eq!(
            cause(&claim(Some("")), cs, true),
            Some("no_matching_volume")
        );
        assert_eq!(
            cause(&claim(Some("local")), cs, true),
            Some("no_matching_volume")
        );
        assert_eq!(
            cause(&claim(Some("azurefile-csi")), cs, true),
            Some("not_bound")
        );
        // The default class waits for a consumer: quiet while a pod uses the claim.
        assert_eq!(cause(&claim(None), cs, true), None);
        assert_eq!(cause(&claim(None), cs, false), None);
        let no_default: Vec<StorageClass> = classes().into_iter().skip(1).collect();
        assert_eq!(
            cause(&claim(None), Some(no_default.as_slice()), true),
            Some("no_default_class")
        );
        assert_eq!(cause(&claim(Some("fast")), None, false), Some("not_bound"));
    }
}
