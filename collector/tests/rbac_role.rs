//! The least-privilege role file, `deploy/rbac-support-reader.yaml`, against what a
//! collection really asks for: every request the real kubectl makes in an end-to-end run
//! (all namespaces, `--node-ipam`, every kind served) must be allowed by the file's rules,
//! read the way the API server's RBAC authorizer reads them, and every rule must be used by
//! some request (nothing granted beyond need). Nothing may touch Secrets.

#![cfg(unix)]

mod support;

use collector::Options;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::fake_apiserver::{Config, FakeApiServer};
use support::script;

fn role_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/rbac-support-reader.yaml")
}

#[derive(Debug, Deserialize)]
struct Document {
    kind: String,
    metadata: Metadata,
    #[serde(default)]
    rules: Vec<Rule>,
    #[serde(rename = "roleRef")]
    role_ref: Option<RoleRef>,
    #[serde(default)]
    subjects: Vec<serde_yaml::Value>,
}

#[derive(Debug, Deserialize)]
struct Metadata {
    name: String,
    namespace: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct Rule {
    #[serde(rename = "apiGroups", default)]
    api_groups: Vec<String>,
    #[serde(default)]
    resources: Vec<String>,
    #[serde(rename = "resourceNames", default)]
    resource_names: Vec<String>,
    verbs: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct RoleRef {
    kind: String,
    name: String,
}

/// A rule and where it applies: everywhere (ClusterRole bound by a ClusterRoleBinding) or
/// in one namespace (Role).
#[derive(Debug, Clone)]
struct Grant {
    role: String,
    namespace: Option<String>,
    rule: Rule,
}

/// The grants of the file. Every role must be bound by a binding of the matching kind (a
/// role nobody is bound to grants nothing, so its rules would not count).
fn grants() -> Vec<Grant> {
    let text = std::fs::read_to_string(role_file()).unwrap();
    let docs: Vec<Document> = serde_yaml::Deserializer::from_str(&text)
        .map(|d| Document::deserialize(d).expect("a Kubernetes RBAC object"))
        .collect();
    let mut out = Vec::new();
    for doc in &docs {
        let namespace = match doc.kind.as_str() {
            "ClusterRole" => None,
            "Role" => Some(
                doc.metadata
                    .namespace
                    .clone()
                    .expect("a Role has a namespace"),
            ),
            "ClusterRoleBinding" | "RoleBinding" => {
                assert!(
                    !doc.subjects.is_empty(),
                    "{} has no subjects",
                    doc.metadata.name
                );
                continue;
            }
            other => panic!("unexpected kind {other} in the role file"),
        };
        let binding = if namespace.is_none() {
            "ClusterRoleBinding"
        } else {
            "RoleBinding"
        };
        assert!(
            docs.iter().any(|b| b.kind == binding
                && b.metadata.namespace == doc.metadata.namespace
                && b.role_ref
                    .as_ref()
                    .is_some_and(|r| r.kind == doc.kind && r.name == doc.metadata.name)),
            "{} {} is not bound by a {binding}",
            doc.kind,
            doc.metadata.name
        );
        for rule in &doc.rules {
            out.push(Grant {
                role: doc.metadata.name.clone(),
                namespace: namespace.clone(),
                rule: rule.clone(),
            });
        }
    }
    out
}

/// One resource request, as the authorizer sees it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Request {
    verb: String,
    group: String,
    /// `pods`, or `pods/log` for a subresource.
    resource: String,
    namespace: Option<String>,
    name: Option<String>,
}

/// Reads a line of the fake's request log (`GET /apis/apps/v1/deployments?limit=500`).
/// None for non-resource URLs (`/version`, discovery), which every authenticated user may
/// read through the built-in `system:discovery` and `system:public-info-viewer` roles.
fn parse_request(line: &str) -> Option<Request> {
    let (method, url) = line.split_once(' ').unwrap();
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let seg: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, rest) = match seg.as_slice() {
        ["api", _version, rest @ ..] => ("", rest),
        ["apis", group, _version, rest @ ..] => (*group, rest),
        _ => return None,
    };
    let (namespace, resource, name, sub) = match rest {
        [] => return None,
        // `/api/v1/namespaces/<name>` is a Namespace itself.
        ["namespaces", name] if group.is_empty() => (None, "namespaces", Some(*name), None),
        ["namespaces", ns, res] => (Some(*ns), *res, None, None),
        ["namespaces", ns, res, name] => (Some(*ns), *res, Some(*name), None),
        ["namespaces", ns, res, name, sub] => (Some(*ns), *res, Some(*name), Some(*sub)),
        [res] => (None, *res, None, None),
        [res, name] => (None, *res, Some(*name), None),
        [res, name, sub] => (None, *res, Some(*name), Some(*sub)),
        _ => panic!("unexpected request path {path}"),
    };
    let watch = query
        .split('&')
        .any(|kv| kv == "watch=true" || kv == "watch=1");
    let verb = match (method, name) {
        ("GET", None) if watch => "watch",
        ("GET", None) => "list",
        ("GET", Some(_)) => "get",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", None) => "deletecollection",
        ("DELETE", Some(_)) => "delete",
        (other, _) => panic!("unexpected method {other}"),
    };
    Some(Request {
        verb: verb.into(),
        group: group.into(),
        resource: match sub {
            Some(sub) => format!("{resource}/{sub}"),
            None => resource.into(),
        },
        namespace: namespace.map(String::from),
        name: name.map(String::from),
    })
}

/// The grant that allows `req`, as RBAC decides: verb, API group and resource listed (or
/// `*`), resourceNames empty or naming the object, and a Role only in its namespace.
fn allowing<'a>(req: &Request, grants: &'a [Grant]) -> Option<&'a Grant> {
    let has = |list: &[String], v: &str| list.iter().any(|x| x == v || x == "*");
    grants.iter().find(|g| {
        let in_scope = match &g.namespace {
            None => true,
            Some(ns) => req.namespace.as_deref() == Some(ns.as_str()),
        };
        in_scope
            && has(&g.rule.verbs, &req.verb)
            && has(&g.rule.api_groups, &req.group)
            && has(&g.rule.resources, &req.resource)
            && (g.rule.resource_names.is_empty()
                || req
                    .name
                    .as_ref()
                    .is_some_and(|n| g.rule.resource_names.contains(n)))
    })
}

#[test]
fn the_role_file_grants_nothing_on_secrets_and_no_wildcards() {
    let grants = grants();
    assert!(grants.len() >= 10, "only {} rules", grants.len());
    for g in &grants {
        for resource in &g.rule.resources {
            assert!(
                !resource.starts_with("secrets") && resource != "*",
                "{} grants {resource}",
                g.role
            );
        }
        for verb in &g.rule.verbs {
            assert!(
                matches!(verb.as_str(), "get" | "list" | "create" | "delete"),
                "{} grants the verb {verb}",
                g.role
            );
        }
        assert!(!g.rule.api_groups.iter().any(|x| x == "*"), "{}", g.role);
        // Writes only on pods, and only in the debug pods' namespace.
        if g.rule.verbs.iter().any(|v| v == "create" || v == "delete") {
            assert_eq!(g.rule.resources, ["pods"], "{}", g.role);
            assert_eq!(
                g.namespace.as_deref(),
                Some(collector::ipam::DEBUG_NAMESPACE),
                "{}",
                g.role
            );
        }
    }
    // ConfigMaps only by name, only in kube-system.
    let cm: Vec<&Grant> = grants
        .iter()
        .filter(|g| g.rule.resources.iter().any(|r| r == "configmaps"))
        .collect();
    assert_eq!(cm.len(), 1);
    assert_eq!(cm[0].namespace.as_deref(), Some("kube-system"));
    assert_eq!(cm[0].rule.verbs, ["get"]);
    let named: BTreeSet<&str> = cm[0]
        .rule
        .resource_names
        .iter()
        .map(String::as_str)
        .collect();
    let wanted: BTreeSet<&str> = collector::plan::CONFIG_MAPS.iter().copied().collect();
    assert_eq!(named, wanted);
}

#[test]
fn the_matcher_refuses_what_the_role_does_not_grant() {
    let grants = grants();
    let refused = [
        "GET /api/v1/namespaces/default/secrets?limit=500",
        "GET /api/v1/secrets?limit=500",
        "GET /api/v1/namespaces/kube-system/secrets/bootstrap-token-abcdef",
        "GET /api/v1/configmaps?limit=500",
        "GET /api/v1/namespaces/kube-system/configmaps/extension-config",
        "GET /api/v1/namespaces/default/configmaps/coredns",
        "POST /api/v1/namespaces/kube-system/pods",
        "DELETE /api/v1/namespaces/shop/pods/web-1",
        "GET /apis/apps/v1/namespaces/default/deployments/web",
        "GET /api/v1/pods?limit=500&watch=true",
        "POST /api/v1/namespaces/default/pods/web-1/exec?command=sh",
        "GET /apis/rbac.authorization.k8s.io/v1/clusterroles?limit=500",
    ];
    for line in refused {
        let req = parse_request(line).unwrap();
        assert!(
            allowing(&req, &grants).is_none(),
            "{line} should be refused but is allowed: {req:?}"
        );
    }
    for line in [
        "GET /api/v1/namespaces/kube-system/configmaps/coredns-custom",
        "GET /apis/storage.k8s.io/v1/csinodes?limit=500",
        "GET /api/v1/namespaces/shop/pods/web-1/log?container=web",
    ] {
        assert!(
            allowing(&parse_request(line).unwrap(), &grants).is_some(),
            "{line}"
        );
    }
    assert!(parse_request("GET /apis/apps/v1").is_none());
    assert!(parse_request("GET /version?timeout=32s").is_none());
}

#[test]
fn every_request_of_a_collection_is_allowed_by_the_role_file_and_every_rule_is_used() {
    let Some(real) = support::kubectl_on_path() else {
        eprintln!("SKIP: kubectl is not on PATH; install kubectl (Debian: kubernetes-client) to run this test");
        return;
    };
    let server = FakeApiServer::start(Config::everything_served());
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {}\ncontexts:\n- name: fake-ctx\n  context:\n    cluster: fake\n    user: reader\ncurrent-context: fake-ctx\nusers:\n- name: reader\n  user:\n    token: reader-token\n",
            server.url()
        ),
    )
    .unwrap();
    let kubectl = script(
        &dir.path().join("kubectl-wrapper"),
        &format!(
            "export HOME='{0}' KUBECACHEDIR='{0}/cache'\nexec '{1}' \"$@\"",
            dir.path().display(),
            real.display()
        ),
    );
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let opts = Options {
        kubectl,
        kubeconfig: Some(kubeconfig),
        output: Some(out),
        progress: false,
        node_ipam: true,
        request_timeout: Duration::from_secs(20),
        probe_timeout: Duration::from_secs(5),
        ..Options::default()
    };
    let summary = collector::collect(&opts).expect("collect");
    assert!(summary.errors.is_empty(), "{:#?}", summary.errors);
    assert_eq!(summary.ipam_nodes, 2);

    let grants = grants();
    let requests: Vec<Request> = server
        .requests()
        .iter()
        .filter_map(|line| parse_request(line))
        .collect();
    assert!(requests.len() > 40, "only {} requests", requests.len());
    let mut refused = Vec::new();
    let mut used: BTreeSet<(String, String, String, String)> = BTreeSet::new();
    for req in &requests {
        assert!(
            !req.resource.starts_with("secrets"),
            "Secrets were requested: {req:?}"
        );
        match allowing(req, &grants) {
            Some(g) => {
                used.insert((
                    g.role.clone(),
                    req.group.clone(),
                    req.resource.clone(),
                    req.verb.clone(),
                ));
            }
            None => refused.push(req.clone()),
        }
    }
    refused.dedup();
    assert!(
        refused.is_empty(),
        "requests the role file does not allow: {refused:#?}"
    );
    // Exactly what collect uses: every (group, resource, verb) the file grants was asked for.
    let mut unused = Vec::new();
    for g in &grants {
        for group in &g.rule.api_groups {
            for resource in &g.rule.resources {
                for verb in &g.rule.verbs {
                    let key = (
                        g.role.clone(),
                        group.clone(),
                        resource.clone(),
                        verb.clone(),
                    );
                    if !used.contains(&key) {
                        unused.push(key);
                    }
                }
            }
        }
    }
    assert!(
        unused.is_empty(),
        "granted but never used by a collection: {unused:#?}"
    );
}
