//! Controllers that cannot create their pods (`FailedCreate` of a ReplicaSet, StatefulSet,
//! DaemonSet or Job): admission refused the pod. The message says who refused it, which
//! decides the fix: Pod Security admission, a policy webhook (Gatekeeper / Azure Policy),
//! a ValidatingAdmissionPolicy, a webhook that could not be called, a missing service
//! account, a LimitRange, a terminating namespace. Quota refusals are
//! `resourcequota-exceeded`'s. A controller that created pods after its last failure has
//! recovered and stays quiet; this module also serves that rule.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};
use crate::time::seconds;

/// The last `SuccessfulCreate` of each controller (`namespace/kind/name` → time in
/// seconds): a controller that created a pod after its last failure got past it.
pub fn last_success(inputs: &Inputs) -> HashMap<String, i64> {
    let mut out: HashMap<String, i64> = HashMap::new();
    for (ns, ev) in inputs.index.events() {
        if ev.reason.as_deref() != Some("SuccessfulCreate") {
            continue;
        }
        let Some(t) = ev.last_seen().and_then(seconds) else {
            continue;
        };
        let e = out.entry(ev.object_ref(ns)).or_insert(t);
        *e = (*e).max(t);
    }
    out
}

/// True when the hit's controller created a pod after the hit's last failure. A pod is
/// created with a name (`Created pod: x`); a quota or admission refusal has none, so a
/// success after the failure means the refusal no longer holds.
pub fn recovered(h: &Hit, successes: &HashMap<String, i64>) -> bool {
    let Some(object) = &h.object else {
        return false;
    };
    let Some(ok) = successes.get(object) else {
        return false;
    };
    let last_fail = h
        .evidence
        .iter()
        .filter_map(|e| e.last_seen.as_deref().and_then(seconds))
        .max();
    last_fail.is_some_and(|f| *ok > f)
}

/// The workload a controller belongs to: a ReplicaSet named `<deployment>-<hash>` is
/// its Deployment's; others are their own.
pub fn workload(kind: &str, name: &str) -> (String, String) {
    let kind = kind.to_ascii_lowercase();
    if kind == "replicaset" {
        if let Some((d, hash)) = name.rsplit_once('-') {
            if !d.is_empty() && hash.len() >= 5 && hash.chars().all(|c| c.is_ascii_alphanumeric()) {
                return ("deployment".into(), d.to_string());
            }
        }
    }
    (kind, name.to_string())
}

static PSA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)violates PodSecurity \\?"([^"\\]+)\\?"(?:: (.+))?"#).expect("static regex")
});
static WEBHOOK_DENIED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)admission webhook \\?"([^"\\]+)\\?" denied the request:?\s*(?:\[([^\]]+)\])?"#,
    )
    .expect("static regex")
});
static VAP_DENIED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)ValidatingAdmissionPolicy '([^']+)' with binding '([^']+)' denied request")
        .expect("static regex")
});
static WEBHOOK_CALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)failed calling webhook \\?"([^"\\]+)\\?""#).expect("static regex")
});
static SERVICE_ACCOUNT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:error looking up service account ([^/\s]+)/([^:\s]+)|service account ([^/\s]+)/(\S+) was not found)")
        .expect("static regex")
});
static LIMIT_RANGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:maximum|minimum) (?:cpu|memory|ephemeral-storage|storage) usage per (?:Container|Pod) is|limit to request ratio per (?:Container|Pod)")
        .expect("static regex")
});
static TERMINATING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)unable to create new content in namespace (\S+) because it is being terminated",
    )
    .expect("static regex")
});
static QUOTA: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)(?:exceeded|failed) quota: ").expect("static regex"));

/// Who refused the pod, and the facts that name it.
pub fn classify(message: &str) -> Vec<(&'static str, String)> {
    if QUOTA.is_match(message) {
        return vec![("cause", "quota".into())];
    }
    if let Some(c) = PSA.captures(message) {
        let mut v = vec![("cause", "pod_security".into()), ("pss", c[1].to_string())];
        if let Some(level) = c[1].split(':').next() {
            v.push(("pss_level", level.to_string()));
        }
        return v;
    }
    if let Some(c) = VAP_DENIED.captures(message) {
        return vec![
            ("cause", "admission_policy".into()),
            ("policy", c[1].to_string()),
            ("binding", c[2].to_string()),
        ];
    }
    if let Some(c) = WEBHOOK_DENIED.captures(message) {
        let mut v = vec![
            ("cause", "webhook_denied".into()),
            ("webhook", c[1].to_string()),
        ];
        if let Some(constraint) = c.get(2) {
            v.push(("constraint", constraint.as_str().to_string()));
        }
        if c[1].contains("gatekeeper") {
            v.push(("policy_engine", "gatekeeper".into()));
        }
        return v;
    }
    if let Some(c) = WEBHOOK_CALL.captures(message) {
        return vec![
            ("cause", "webhook_unreachable".into()),
            ("webhook", c[1].to_string()),
        ];
    }
    if let Some(c) = SERVICE_ACCOUNT.captures(message) {
        let (ns, sa) = match (c.get(1), c.get(2)) {
            (Some(ns), Some(sa)) => (ns.as_str(), sa.as_str()),
            _ => (&c[3], &c[4]),
        };
        return vec![
            ("cause", "service_account".into()),
            ("sa_namespace", ns.to_string()),
            ("service_account", sa.trim_end_matches(',').to_string()),
        ];
    }
    if LIMIT_RANGE.is_match(message) {
        return vec![("cause", "limit_range".into())];
    }
    if TERMINATING.is_match(message) {
        return vec![("cause", "namespace_terminating".into())];
    }
    vec![("cause", "other".into())]
}

/// True when the bundle holds the hit's ReplicaSet or StatefulSet and it has every
/// replica it wants ready, with no `ReplicaFailure`: whatever refused its pods once no
/// longer holds it back.
pub fn controller_healthy(inputs: &Inputs, h: &Hit) -> bool {
    let (Some(ns), Some(kind), Some(name)) = (
        h.facts.get("namespace"),
        h.facts.get("kind"),
        h.facts.get("name"),
    ) else {
        return false;
    };
    let found = match kind.as_str() {
        "replicaset" => inputs
            .index
            .replica_sets()
            .find(|(n, w)| *n == ns && w.metadata.name == *name),
        "statefulset" => inputs
            .index
            .stateful_sets()
            .find(|(n, w)| *n == ns && w.metadata.name == *name),
        _ => None,
    };
    found.is_some_and(|(_, w)| {
        w.condition("ReplicaFailure")
            .is_none_or(|c| c.status != "True")
            && w.status.ready_replicas.unwrap_or(0) >= w.desired()
    })
}

/// Adds the controller's workload and drops hits of controllers that recovered.
pub fn common(inputs: &Inputs, hits: Vec<Hit>) -> Vec<Hit> {
    let successes = last_success(inputs);
    hits.into_iter()
        .filter(|h| !recovered(h, &successes) && !controller_healthy(inputs, h))
        .map(|mut h| {
            let kind = h.facts.get("kind").cloned().unwrap_or_default();
            let name = h.facts.get("name").cloned().unwrap_or_default();
            let (wk, w) = workload(&kind, &name);
            h.facts.insert("controller_kind".into(), kind);
            h.facts.insert("controller".into(), name);
            h.facts.insert("workload_kind".into(), wk);
            h.facts.insert("workload".into(), w);
            h
        })
        .collect()
}

/// The `controller_create_failed` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    common(inputs, hits)
        .into_iter()
        .filter_map(|mut h| {
            let message = h.facts.get("message").cloned().unwrap_or_default();
            let facts = classify(&message);
            if facts.iter().any(|(k, v)| *k == "cause" && v == "quota") {
                return None;
            }
            for (k, v) in facts {
                h.facts.insert(k.into(), v);
            }
            Some(h)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(msg: &str, key: &str) -> Option<String> {
        classify(msg)
            .into_iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }

    #[test]
    fn causes_of_refusal() {
        let psa = r#"Error creating: pods "nodejs-app-8665bd77fb-2dd4n" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "runtime" must set securityContext.allowPrivilegeEscalation=false)"#;
        assert_eq!(get(psa, "cause").as_deref(), Some("pod_security"));
        assert_eq!(get(psa, "pss_level").as_deref(), Some("restricted"));
        let gk = r#"Error creating: admission webhook "validation.gatekeeper.sh" denied the request: [azurepolicy-k8sazurev3containerlimits-ba94e0a6f5f1b67cc62e] container <init-alb-controller-bootstrap> has no resource limits"#;
        assert_eq!(get(gk, "cause").as_deref(), Some("webhook_denied"));
        assert_eq!(
            get(gk, "constraint").as_deref(),
            Some("azurepolicy-k8sazurev3containerlimits-ba94e0a6f5f1b67cc62e")
        );
        assert_eq!(get(gk, "policy_engine").as_deref(), Some("gatekeeper"));
        let vap = "Error creating: pods \"x\" is forbidden: ValidatingAdmissionPolicy 'advanced-networking-validating-policy' with binding 'advanced-networking-cilium-l7-binding' denied request: x";
        assert_eq!(
            get(vap, "policy").as_deref(),
            Some("advanced-networking-validating-policy")
        );
        let sa = r#"create Pod mytest-mysql-0 in StatefulSet mytest-mysql failed error: pods "mytest-mysql-0" is forbidden: error looking up service account default/kb-release-name-apecloud-mysql-cluster: serviceaccount "kb-release-name-apecloud-mysql-cluster" not found"#;
        assert_eq!(
            get(sa, "service_account").as_deref(),
            Some("kb-release-name-apecloud-mysql-cluster")
        );
        assert_eq!(get(sa, "sa_namespace").as_deref(), Some("default"));
        let old_sa = r#"Error creating: pods "fluentd-" is forbidden: service account default/fluentd was not found, retry after the service account is created"#;
        assert_eq!(get(old_sa, "service_account").as_deref(), Some("fluentd"));
        let call = r#"Error creating: Internal error occurred: failed calling webhook "clusterwide-test-policy.kubewarden.admission": failed to call webhook: the server could not find the requested resource"#;
        assert_eq!(get(call, "cause").as_deref(), Some("webhook_unreachable"));
        assert_eq!(
            get(r#"Error creating: pods "a-" is forbidden: exceeded quota: q, requested: pods=1, used: pods=5, limited: pods=5"#, "cause").as_deref(),
            Some("quota")
        );
        assert_eq!(get("Error creating: pods \"x\" is forbidden: [maximum cpu usage per Container is 1, but limit is 2]", "cause").as_deref(), Some("limit_range"));
        assert_eq!(
            get("Error creating: something new", "cause").as_deref(),
            Some("other")
        );
    }

    #[test]
    fn workloads_of_controllers() {
        assert_eq!(
            workload("ReplicaSet", "web-7f6d5c4b3"),
            ("deployment".into(), "web".into())
        );
        assert_eq!(
            workload("ReplicaSet", "standalone"),
            ("replicaset".into(), "standalone".into())
        );
        assert_eq!(
            workload("StatefulSet", "db"),
            ("statefulset".into(), "db".into())
        );
    }
}
