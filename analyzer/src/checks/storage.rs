//! What the storage checks share: whether a pod an event names still exists, and the facts
//! of the pod's node that decide an Azure disk or file failure (zone, VM size, FIPS image,
//! scale set and instance).

use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};
use crate::finding::Evidence;

/// True when the bundle holds the pods of `ns` and `pod` is not among them: the pod an
/// event names was deleted before the collection, and its failure went with it.
pub fn pod_gone(inputs: &Inputs, ns: &str, pod: &str) -> bool {
    let pods_known = inputs
        .index
        .namespaces
        .get(ns)
        .is_some_and(|n| n.pods.is_some());
    pods_known && inputs.index.pod(ns, pod).is_none()
}

/// True when the hit is about a pod that was deleted before the collection.
pub fn hit_pod_gone(inputs: &Inputs, h: &Hit) -> bool {
    match (h.facts.get("namespace"), h.facts.get("pod")) {
        (Some(ns), Some(p)) => pod_gone(inputs, ns, p),
        _ => false,
    }
}

/// Adds the pod's workload and its node's zone, VM size, node pool, FIPS image, scale set
/// and instance ID, where the bundle knows them.
pub fn add_pod_and_node_facts(inputs: &Inputs, h: &mut Hit) {
    let pod = match (h.facts.get("namespace"), h.facts.get("pod")) {
        (Some(ns), Some(p)) => inputs.index.pod(ns, p),
        _ => None,
    };
    super::oom_killed::add_workload(&mut h.facts, pod);
    let Some(node) = h.node.clone() else {
        return;
    };
    if let Some(vmss) = super::image_pull_auth::vmss_of(&node) {
        h.facts.insert("vmss".into(), vmss);
    }
    if let Some(id) = instance_id_of(&node) {
        h.facts.insert("instance_id".into(), id.to_string());
    }
    let Some(n) = inputs.index.node(&node) else {
        return;
    };
    let labels = &n.metadata.labels;
    // A non-zonal node says zone "0" (or nothing): no zone.
    let label = |keys: &[&str]| {
        keys.iter()
            .filter_map(|k| labels.get(*k))
            .find(|v| !v.is_empty() && v.as_str() != "0")
            .cloned()
    };
    if let Some(z) = label(&[
        "topology.disk.csi.azure.com/zone",
        "topology.kubernetes.io/zone",
        "failure-domain.beta.kubernetes.io/zone",
    ]) {
        h.facts.insert("node_zone".into(), z);
    }
    if let Some(s) = label(&[
        "node.kubernetes.io/instance-type",
        "beta.kubernetes.io/instance-type",
    ]) {
        h.facts.insert("vm_size".into(), s);
    }
    if let Some(p) = label(&["kubernetes.azure.com/agentpool", "agentpool"]) {
        h.facts.insert("nodepool".into(), p);
    }
    if label(&["kubernetes.azure.com/fips_enabled"]).as_deref() == Some("true") {
        h.facts.insert("node_fips".into(), "true".into());
    }
}

/// Evidence naming each pod of `ns` that mounts claim `claim`: the claim's finding is then
/// about those pods too, so it explains their own findings (a pod unschedulable on an
/// unbound claim).
pub fn claim_users(inputs: &Inputs, ns: &str, claim: &str) -> Vec<Evidence> {
    inputs
        .index
        .pods_in(ns)
        .filter(|p| {
            p.spec.volumes.iter().any(|v| {
                v.persistent_volume_claim
                    .as_ref()
                    .is_some_and(|c| c.claim_name == claim)
            })
        })
        .map(|p| Evidence {
            file: inputs.object_file(ns, "pods.json"),
            line: None,
            excerpt: format!(
                "pod {} mounts claim {claim} ({})",
                p.metadata.name,
                p.status.phase.as_deref().unwrap_or("phase unknown")
            ),
            count: 1,
            first_seen: None,
            last_seen: None,
            object: Some(p.object_ref()),
            role: "context".into(),
        })
        .collect()
}

/// The VMSS instance ID of an AKS node (`aks-nodepool1-12345678-vmss00000a` → 10): the
/// last six characters are the ID in base 36.
pub fn instance_id_of(node: &str) -> Option<u64> {
    let cut = node.len().checked_sub(6)?;
    if !node.is_char_boundary(cut) {
        return None;
    }
    super::image_pull_auth::vmss_of(node)?;
    u64::from_str_radix(&node[cut..], 36).ok()
}

static DISK_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)/subscriptions/(?P<sub>[0-9a-z-]+)/resourceGroups/(?P<rg>[^/\s]+)/providers/Microsoft\.Compute/disks/(?P<disk>[A-Za-z0-9._-]+)",
    )
    .expect("disk id regex")
});

/// The resource group and name of the first managed disk resource ID in `text`.
pub fn disk_of(text: &str) -> Option<(String, String)> {
    let c = DISK_ID.captures(text)?;
    Some((c["rg"].to_string(), c["disk"].to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_ids_are_base36_of_vmss_nodes_only() {
        assert_eq!(instance_id_of("aks-nodepool1-38275144-vmss000001"), Some(1));
        assert_eq!(
            instance_id_of("aks-nodepool1-38275144-vmss00000a"),
            Some(10)
        );
        assert_eq!(
            instance_id_of("aks-nodepool1-38275144-vmss000010"),
            Some(36)
        );
        assert_eq!(instance_id_of("aks-agentpool-35064155-0"), None);
        assert_eq!(instance_id_of("vmss"), None);
    }

    #[test]
    fn disk_ids_give_group_and_name_in_any_case() {
        let m = "Attach volume \"/subscriptions/0e46bd28-a80f-4d3a-8200-d9eb8d80cb2e/resourceGroups/MC_rg_aks_westeurope/providers/Microsoft.Compute/disks/pvc-54c55671\" to instance";
        assert_eq!(
            disk_of(m),
            Some(("MC_rg_aks_westeurope".into(), "pvc-54c55671".into()))
        );
        let lower =
            "/subscriptions/x-1/resourcegroups/rg-data/providers/microsoft.compute/disks/pg-data";
        assert_eq!(disk_of(lower), Some(("rg-data".into(), "pg-data".into())));
        assert_eq!(disk_of("no disk here"), None);
    }
}
