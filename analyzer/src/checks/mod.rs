//! Structural checks: what YAML cannot express (IPAM arithmetic, selector matching, taints),
//! written in Rust, one file each, registered by name in [`CHECKS`]. A rule names its check
//! in `check:`; the check receives the hits of the rule's text matchers (possibly none) and
//! returns the rule's hits: it may filter them, enrich them, or add structural ones.

use crate::engine::{Hit, Inputs};

mod acr_registry_typo;
mod admission_webhook;
mod aks_system_addon;
mod apiserver_throttled;
mod apiserver_unreachable;
mod apiservice_unavailable;
mod autoscaler_scale_up;
mod azure_capacity;
mod azure_disk_attach;
mod azure_file_mount;
mod cluster_certificate_expired;
mod cns_unreachable;
mod collection_incomplete;
mod controller_create_failed;
mod coredns_unhealthy;
mod coredns_upstream;
mod create_container_config;
mod critical_addons_only;
mod deployment_not_progressing;
mod hpa_metrics;
mod image_platform_mismatch;
mod image_pull_auth;
mod image_pull_rate_limited;
mod ingress_misconfigured;
mod ipam_ip_leak;
mod job_failed;
mod konnectivity_tunnel;
mod kubelet_pleg_unhealthy;
mod kv_cause;
mod kv_egress_blocked;
mod kv_mount_failed;
mod loadbalancer_pending;
mod namespace_terminating;
mod nnc_ip_exhausted;
mod node_not_ready;
mod node_pressure;
mod node_stuck_pods;
mod oom_killed;
mod pdb_blocks_eviction;
mod pod_apiserver_unreachable;
mod pod_crashloop;
mod pod_evicted;
mod pod_ip_allocation;
mod pod_unschedulable;
mod probe_failing;
mod pvc_pending;
mod pvc_provisioning;
mod rbac_forbidden;
mod resourcequota_exceeded;
mod sc_job_failed;
mod service_no_endpoints;
mod service_port_mismatch;
mod snat_exhaustion;
mod storage;
mod volume_multi_attach;
mod windows_container_start;

/// A check: the inputs, the rule's index in the catalogue, and its matchers' hits.
pub type CheckFn = fn(&Inputs, usize, Vec<Hit>) -> Vec<Hit>;

/// Checks that read the objects a paste describes (`kubectl describe node`'s conditions,
/// `kubectl describe svc`'s endpoints, `kubectl get nodes`), so they run on a ticket of
/// pastes even when the bundle lacks the rule's inputs.
pub const READ_PASTED_OBJECTS: &[&str] = &["node_not_ready", "service_no_endpoints"];

/// Every check, by the name rule files use.
pub const CHECKS: &[(&str, CheckFn)] = &[
    ("acr_registry_typo", acr_registry_typo::check),
    ("admission_webhook", admission_webhook::check),
    ("aks_system_addon", aks_system_addon::check),
    ("apiserver_throttled", apiserver_throttled::check),
    ("apiserver_unreachable", apiserver_unreachable::check),
    ("apiservice_unavailable", apiservice_unavailable::check),
    ("autoscaler_scale_up", autoscaler_scale_up::check),
    ("azure_disk_attach", azure_disk_attach::check),
    ("azure_file_mount", azure_file_mount::check),
    ("azure_vcpu_quota", azure_capacity::vcpu_quota),
    (
        "cluster_certificate_expired",
        cluster_certificate_expired::check,
    ),
    ("cns_unreachable", cns_unreachable::check),
    ("collection_incomplete", collection_incomplete::check),
    ("controller_create_failed", controller_create_failed::check),
    ("coredns_unhealthy", coredns_unhealthy::check),
    ("coredns_upstream", coredns_upstream::check),
    ("create_container_config", create_container_config::check),
    ("critical_addons_only", critical_addons_only::check),
    (
        "deployment_not_progressing",
        deployment_not_progressing::check,
    ),
    ("hpa_metrics", hpa_metrics::check),
    ("image_platform_mismatch", image_platform_mismatch::check),
    ("image_pull_auth", image_pull_auth::check),
    ("image_pull_rate_limited", image_pull_rate_limited::check),
    ("ingress_misconfigured", ingress_misconfigured::check),
    ("ipam_ip_leak", ipam_ip_leak::check),
    ("job_failed", job_failed::check),
    ("konnectivity_tunnel", konnectivity_tunnel::check),
    ("kubelet_pleg_unhealthy", kubelet_pleg_unhealthy::check),
    ("kv_egress_blocked", kv_egress_blocked::check),
    ("kv_mount_failed", kv_mount_failed::check),
    ("kv_provider_cause", kv_cause::check),
    ("loadbalancer_pending", loadbalancer_pending::check),
    ("namespace_terminating", namespace_terminating::check),
    ("nnc_ip_exhausted", nnc_ip_exhausted::check),
    ("node_not_ready", node_not_ready::check),
    ("node_pressure", node_pressure::check),
    ("node_stuck_pods", node_stuck_pods::check),
    ("oom_killed", oom_killed::check),
    ("pdb_blocks_eviction", pdb_blocks_eviction::check),
    (
        "pod_apiserver_unreachable",
        pod_apiserver_unreachable::check,
    ),
    ("pod_crashloop", pod_crashloop::check),
    ("pod_evicted", pod_evicted::check),
    ("pod_ip_allocation", pod_ip_allocation::check),
    ("pod_unschedulable", pod_unschedulable::check),
    ("probe_failing", probe_failing::check),
    ("pvc_pending", pvc_pending::check),
    ("pvc_provisioning", pvc_provisioning::check),
    ("rbac_forbidden", rbac_forbidden::check),
    ("resourcequota_exceeded", resourcequota_exceeded::check),
    ("sc_job_failed", sc_job_failed::check),
    ("service_no_endpoints", service_no_endpoints::check),
    ("service_port_mismatch", service_port_mismatch::check),
    ("snat_exhaustion", snat_exhaustion::check),
    ("subnet_full", azure_capacity::subnet_full),
    ("volume_multi_attach", volume_multi_attach::check),
    ("windows_container_start", windows_container_start::check),
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
