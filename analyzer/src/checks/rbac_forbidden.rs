//! Parses forbidden errors and keeps workload identities, not people. The API server's
//! wording has changed over the years and reaches logs quoted in different ways:
//!
//! - `User "system:serviceaccount:ns:sa" cannot list resource "pods" in API group "" in the namespace "x"`
//! - `... in API group "coordination.k8s.io" at the cluster scope`
//! - before 1.14: `User "..." cannot list pods in the namespace "x"`, `cannot get deployments.apps at the cluster scope`
//! - non-resource URLs: `cannot get path "/metrics"`
//! - JSON-escaped (`\"`) inside structured logs, single quotes in some pasted output.
//! - followed by the authorizer's reason: `: RBAC: clusterrole.rbac.authorization.k8s.io "x" not found`
//!   (a binding points at a role that does not exist; the fix is the role, not a new binding),
//!   or Azure's `: Azure does not have opinion for this user.`
//!
//! Only Kubernetes identities are kept (`system:serviceaccount:*`, `system:node:*`,
//! `system:kube-*` ...). A person's or an Azure AD principal's denial is not a workload's
//! missing permission, and `system:anonymous` has no role binding to add.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};

/// What a forbidden message says.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Denial {
    pub user: String,
    pub verb: String,
    /// Resource, with its subresource (`pods/exec`); empty for a path.
    pub resource: String,
    pub group: String,
    pub path: String,
    /// Empty at the cluster scope.
    pub namespace: String,
    /// `clusterrole` or `role` when the authorizer said a bound role does not exist.
    pub missing_role_kind: String,
    pub missing_role: String,
}

fn missing_role_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r#"(?i)RBAC:\s*(?:\[)?(?P<kind>clusterrole|role)\.rbac\.authorization\.k8s\.io\s+["'](?P<name>[^"']+)["']\s+not\s+found"#,
        )
        .expect("valid regex")
    })
}

fn forbidden_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r#"(?ix)
            forbidden:\s*User\s+["'](?P<user>[^"']+)["']\s+cannot\s+(?P<verb>[a-z]+)\s+
            (?:
                resource\s+["'](?P<resource>[^"']+)["']
                (?:\s+in\s+API\s+group\s+["'](?P<group>[^"']*)["'])?
              | path\s+["'](?P<path>[^"']+)["']
              | (?P<old>[a-z0-9][a-z0-9.\-/]*)
            )
            (?:\s+in\s+the\s+namespace\s+["'](?P<ns>[^"']+)["'] | \s+at\s+the\s+cluster\s+scope)?
            "#,
        )
        .expect("valid regex")
    })
}

/// Parses the first forbidden error of `text`.
pub(crate) fn parse(text: &str) -> Option<Denial> {
    let text = text.replace("\\\\\\\"", "\"").replace("\\\"", "\"");
    let c = forbidden_re().captures(&text)?;
    let get = |n: &str| c.name(n).map_or("", |m| m.as_str()).to_string();
    let (mut resource, mut group) = (get("resource"), get("group"));
    let old = get("old");
    if !old.is_empty() {
        // `deployments.apps` or `pods/log`: the group follows the first dot.
        let (base, sub) = match old.split_once('/') {
            Some((b, s)) => (b.to_string(), format!("/{s}")),
            None => (old.clone(), String::new()),
        };
        match base.split_once('.') {
            Some((r, g)) => {
                resource = format!("{r}{sub}");
                group = g.to_string();
            }
            None => resource = format!("{base}{sub}"),
        }
    }
    let rest = &text[c.get(0).map_or(0, |m| m.end())..];
    let (missing_role_kind, missing_role) = missing_role_re()
        .captures(rest)
        .map(|m| (m["kind"].to_ascii_lowercase(), m["name"].to_string()))
        .unwrap_or_default();
    Some(Denial {
        user: get("user"),
        verb: get("verb").to_ascii_lowercase(),
        resource,
        group,
        path: get("path"),
        namespace: get("ns"),
        missing_role_kind,
        missing_role,
    })
}

/// Service accounts of kube-controller-manager's controllers, whose permissions come from
/// the bootstrap ClusterRoles `system:controller:<name>`: a denial means those were changed,
/// not that a Role is missing.
const CONTROLLER_ACCOUNTS: &[&str] = &[
    "attachdetach-controller",
    "certificate-controller",
    "clusterrole-aggregation-controller",
    "cronjob-controller",
    "daemon-set-controller",
    "deployment-controller",
    "disruption-controller",
    "endpoint-controller",
    "endpointslice-controller",
    "endpointslicemirroring-controller",
    "ephemeral-volume-controller",
    "expand-controller",
    "generic-garbage-collector",
    "horizontal-pod-autoscaler",
    "job-controller",
    "namespace-controller",
    "node-controller",
    "persistent-volume-binder",
    "pod-garbage-collector",
    "pv-protection-controller",
    "pvc-protection-controller",
    "replicaset-controller",
    "replication-controller",
    "resourcequota-controller",
    "root-ca-cert-publisher",
    "service-account-controller",
    "service-controller",
    "statefulset-controller",
    "ttl-after-finished-controller",
    "ttl-controller",
];

/// True for identities of workloads and cluster components.
pub(crate) fn is_workload_identity(user: &str) -> bool {
    user.starts_with("system:") && user != "system:anonymous"
}

/// The `rbac_forbidden` check.
pub fn check(_inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    hits.into_iter()
        .filter_map(|mut h| {
            let text = h
                .facts
                .get("message")
                .cloned()
                .or_else(|| h.evidence.first().map(|e| e.excerpt.clone()))?;
            let d = parse(&text)?;
            if !is_workload_identity(&d.user) {
                return None;
            }
            for (k, v) in facts_of(&d) {
                h.facts.insert(k.to_string(), v);
            }
            Some(h)
        })
        .collect()
}

fn facts_of(d: &Denial) -> BTreeMap<&'static str, String> {
    let mut f = BTreeMap::new();
    f.insert("user", d.user.clone());
    f.insert("verb", d.verb.clone());
    f.insert("api_group", d.group.clone());
    f.insert(
        "scope",
        if d.namespace.is_empty() {
            "cluster"
        } else {
            "namespace"
        }
        .to_string(),
    );
    if !d.namespace.is_empty() {
        f.insert("target_namespace", d.namespace.clone());
    }
    if !d.missing_role.is_empty() {
        f.insert("missing_role", d.missing_role.clone());
        f.insert("missing_role_kind", d.missing_role_kind.clone());
    }
    let what = if d.path.is_empty() {
        f.insert("resource", d.resource.clone());
        // kubectl's --resource form: resource.group/subresource.
        let (base, sub) = match d.resource.split_once('/') {
            Some((b, s)) => (b, format!("/{s}")),
            None => (d.resource.as_str(), String::new()),
        };
        let arg = if d.group.is_empty() {
            format!("{base}{sub}")
        } else {
            format!("{base}.{}{sub}", d.group)
        };
        f.insert("resource_arg", arg);
        d.resource.replace('/', "-")
    } else {
        f.insert("path", d.path.clone());
        "nonresource".to_string()
    };
    if let Some(rest) = d.user.strip_prefix("system:serviceaccount:") {
        if let Some((ns, sa)) = rest.split_once(':') {
            f.insert("sa_namespace", ns.to_string());
            f.insert("sa_name", sa.to_string());
            if ns == "kube-system" && CONTROLLER_ACCOUNTS.contains(&sa) {
                f.insert("builtin_controller", "true".to_string());
            }
        }
    }
    let who = f
        .get("sa_name")
        .cloned()
        .unwrap_or_else(|| d.user.rsplit(':').next().unwrap_or("workload").to_string());
    f.insert(
        "role_name",
        format!("{who}-{}-{what}", d.verb)
            .to_ascii_lowercase()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '-'
                }
            })
            .collect(),
    );
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaced_denial() {
        let d = parse(r#"pods is forbidden: User "system:serviceaccount:shop:api" cannot list resource "pods" in API group "" in the namespace "shop""#).unwrap();
        assert_eq!(
            d,
            Denial {
                user: "system:serviceaccount:shop:api".into(),
                verb: "list".into(),
                resource: "pods".into(),
                group: "".into(),
                path: "".into(),
                namespace: "shop".into(),
                ..Default::default()
            }
        );
        let f = facts_of(&d);
        assert_eq!(f["sa_namespace"], "shop");
        assert_eq!(f["sa_name"], "api");
        assert_eq!(f["scope"], "namespace");
        assert_eq!(f["resource_arg"], "pods");
        assert_eq!(f["role_name"], "api-list-pods");
    }

    #[test]
    fn cluster_scope_with_group_and_json_escaping() {
        let d = parse(r#"{"level":"error","msg":"leases.coordination.k8s.io is forbidden: User \"system:serviceaccount:ops:ctl\" cannot watch resource \"leases\" in API group \"coordination.k8s.io\" at the cluster scope"}"#).unwrap();
        assert_eq!(d.group, "coordination.k8s.io");
        assert_eq!(d.namespace, "");
        let f = facts_of(&d);
        assert_eq!(f["scope"], "cluster");
        assert_eq!(f["resource_arg"], "leases.coordination.k8s.io");
    }

    #[test]
    fn old_wording_and_subresources() {
        let d = parse(
            r#"User "system:serviceaccount:default:default" cannot get deployments.apps/scale in the namespace "default""#,
        );
        // Old wording has no "forbidden:" before User in some clients; with it:
        assert!(d.is_none());
        let d = parse(r#"Error from server (Forbidden): deployments.apps "web" is forbidden: User "system:serviceaccount:default:default" cannot get deployments.apps/scale in the namespace "default""#).unwrap();
        assert_eq!(
            (d.resource.as_str(), d.group.as_str()),
            ("deployments/scale", "apps")
        );
        assert_eq!(facts_of(&d)["resource_arg"], "deployments.apps/scale");
        let d = parse(r#"forbidden: User 'system:node:aks-nodepool1-1-vmss000000' cannot get path '/metrics'"#).unwrap();
        assert_eq!(d.path, "/metrics");
    }

    #[test]
    fn azure_rbac_suffix_and_builtin_controllers() {
        let d = parse(r#"secrets is forbidden: User "system:serviceaccount:kube-system:horizontal-pod-autoscaler" cannot list resource "pods" in API group "metrics.k8s.io" in the namespace "shop": Azure does not have opinion for this user."#).unwrap();
        assert_eq!(d.namespace, "shop");
        assert_eq!(facts_of(&d)["builtin_controller"], "true");
        let d = parse(r#"forbidden: User "system:serviceaccount:kube-system:my-operator" cannot list resource "pods" in API group "" at the cluster scope"#).unwrap();
        assert!(!facts_of(&d).contains_key("builtin_controller"));
    }

    #[test]
    fn a_binding_to_a_missing_role_is_named() {
        // kube-state-metrics with its ClusterRole not installed (client-go 2019 vendored).
        let d = parse(r#"E0127 06:01:02.785927       1 reflector.go:156] pkg/mod/k8s.io/client-go@v0.0.0-20191109102209-3c0d1af94be5/tools/cache/reflector.go:108: Failed to list *v1.Deployment: deployments.apps is forbidden: User "system:serviceaccount:monitor:kube-state-metrics" cannot list resource "deployments" in API group "apps" at the cluster scope: RBAC: clusterrole.rbac.authorization.k8s.io "kube-state-metrics" not found"#).unwrap();
        assert_eq!(d.namespace, "");
        assert_eq!(
            (d.missing_role_kind.as_str(), d.missing_role.as_str()),
            ("clusterrole", "kube-state-metrics")
        );
        let f = facts_of(&d);
        assert_eq!(f["missing_role"], "kube-state-metrics");
        // Without the reason there is no missing role to name.
        let d = parse(r#"pods is forbidden: User "system:serviceaccount:shop:api" cannot list resource "pods" in API group "" in the namespace "shop""#).unwrap();
        assert!(!facts_of(&d).contains_key("missing_role"));
    }

    #[test]
    fn people_are_not_workloads() {
        assert!(!is_workload_identity("someone@example.com"));
        assert!(!is_workload_identity(
            "0b1f2c3d-aaaa-bbbb-cccc-111122223333"
        ));
        assert!(!is_workload_identity("system:anonymous"));
        assert!(is_workload_identity("system:serviceaccount:a:b"));
        assert!(is_workload_identity(
            "system:node:aks-nodepool1-1-vmss000000"
        ));
    }
}
