//! Structural checks: what YAML cannot express (IPAM arithmetic, selector matching, taints),
//! written in Rust, one file each, registered by name in [`CHECKS`]. A rule names its check
//! in `check:`; the check receives the hits of the rule's text matchers (possibly none) and
//! returns the rule's hits: it may filter them, enrich them, or add structural ones.

use crate::engine::{Hit, Inputs};

mod acr_registry_typo;
mod admission_webhook;
mod apiserver_throttled;
mod apiserver_unreachable;
mod apiservice_unavailable;
mod cluster_certificate_expired;
mod collection_incomplete;
mod critical_addons_only;
mod image_platform_mismatch;
mod image_pull_auth;
mod ipam_ip_leak;
mod konnectivity_tunnel;
mod kv_egress_blocked;
mod namespace_terminating;
mod nnc_ip_exhausted;
mod node_not_ready;
mod oom_killed;
mod pdb_blocks_eviction;
mod pod_apiserver_unreachable;
mod pod_crashloop;
mod pod_ip_allocation;
mod pod_unschedulable;
mod rbac_forbidden;
mod sc_job_failed;
mod service_no_endpoints;
mod service_port_mismatch;

/// A check: the inputs, the rule's index in the catalogue, and its matchers' hits.
pub type CheckFn = fn(&Inputs, usize, Vec<Hit>) -> Vec<Hit>;

/// Every check, by the name rule files use.
pub const CHECKS: &[(&str, CheckFn)] = &[
    ("acr_registry_typo", acr_registry_typo::check),
    ("admission_webhook", admission_webhook::check),
    ("apiserver_throttled", apiserver_throttled::check),
    ("apiserver_unreachable", apiserver_unreachable::check),
    ("apiservice_unavailable", apiservice_unavailable::check),
    (
        "cluster_certificate_expired",
        cluster_certificate_expired::check,
    ),
    ("collection_incomplete", collection_incomplete::check),
    ("critical_addons_only", critical_addons_only::check),
    ("image_platform_mismatch", image_platform_mismatch::check),
    ("image_pull_auth", image_pull_auth::check),
    ("ipam_ip_leak", ipam_ip_leak::check),
    ("konnectivity_tunnel", konnectivity_tunnel::check),
    ("kv_egress_blocked", kv_egress_blocked::check),
    ("namespace_terminating", namespace_terminating::check),
    ("nnc_ip_exhausted", nnc_ip_exhausted::check),
    ("node_not_ready", node_not_ready::check),
    ("oom_killed", oom_killed::check),
    ("pdb_blocks_eviction", pdb_blocks_eviction::check),
    (
        "pod_apiserver_unreachable",
        pod_apiserver_unreachable::check,
    ),
    ("pod_crashloop", pod_crashloop::check),
    ("pod_ip_allocation", pod_ip_allocation::check),
    ("pod_unschedulable", pod_unschedulable::check),
    ("rbac_forbidden", rbac_forbidden::check),
    ("sc_job_failed", sc_job_failed::check),
    ("service_no_endpoints", service_no_endpoints::check),
    ("service_port_mismatch", service_port_mismatch::check),
];

/// The check called `name`.
pub fn lookup(name: &str) -> Option<CheckFn> {
    CHECKS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// Every check name, for error messages.
pub fn names() -> Vec<&'static str> {
    CHECKS.iter().map(|(n, _)| *n).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_unique_and_sorted() {
        let names = super::names();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted);
    }
}
