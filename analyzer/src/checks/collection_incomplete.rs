//! Collection steps that failed for a reason other than an unreachable API server: the
//! person collecting was not allowed to read something, a CRD is not installed, a step
//! timed out. Each failed step becomes a row naming what is missing from the bundle and
//! which diagnoses of the catalogue cannot be made without it (from their `requires` and
//! their matchers' sources).

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};
use crate::finding::Table;
use crate::index::Input;
use crate::matchers::captures_of;

use super::apiserver_unreachable::{classify, Origin};

fn re(p: &str) -> Regex {
    Regex::new(p).expect("static regex")
}

static FORBIDDEN: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)forbidden: User ["'](?P<user>[^"']+)["'] cannot (?P<verb>[a-z]+) resource ["'](?P<resource>[^"']+)["'](?: in API group ["'](?P<api_group>[^"']*)["'])?(?: in the namespace ["'](?P<resource_namespace>[^"']+)["'])?"#,
    )
});
/// The API server reached the kubelet and the kubelet refused it: `Forbidden
/// (user=system:kube-apiserver, verb=get, resource=nodes, subresource=proxy)`, or newer
/// kubectl's `Get "https://<node>:10250/containerLogs/...": Forbidden` (or `Unauthorized`).
/// konnectivity-tunnel-broken reads it too: the way to that kubelet works.
pub(super) static KUBELET_REFUSED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)\b(?:Forbidden|Unauthorized) \(user=(?P<kubelet_client>[^,)\s]+)[^)]*\bresource=nodes\b|:10250/[^"\s]*"?:\s*(?:Forbidden|Unauthorized)\s*$"#,
    )
});
static MISSING_TYPE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)the server doesn't have a resource type "?(?P<resource_type>[A-Za-z0-9.\-]+)"?|no matches for kind "?(?P<kind_missing>[A-Za-z0-9.\-]+)"?|the server could not find the requested resource"#,
    )
});
static UNAUTHENTICATED: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)You must be logged in to the server|\(Unauthorized\)|AADSTS\d+|get-token|kubelogin")
});
static TLS_CERT: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)x509:|certificate signed by unknown authority"));
static TIMEOUT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)timed out after \d+s|context deadline exceeded|Client\.Timeout exceeded|unable to return a response in the time allotted|\(Timeout\)|i/o timeout|timed out waiting|TLS handshake timeout",
    )
});
/// The API server answered but could not reach a node's kubelet (logs, exec, debug).
static KUBELET: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)error dialing backend|:10250\b[^\n]*(?:i/o timeout|connection refused|no route to host|context deadline exceeded|connection timed out|TLS handshake timeout)",
    )
});
static NOT_FOUND: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)\(NotFound\)|\bnot found\b"));
/// A log fetch the API server answered with a generic error: behind a log request it
/// means the API server could not reach the kubelet (the tunnel to the nodes).
static LOG_FETCH_UNKNOWN: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)an error on the server \("unknown"\) has prevented the request from succeeding|proxy error from [^\s]+ while dialing [^\s]+:10250|No agent available"#,
    )
});

/// Why a step failed, as the fact value templates test.
fn reason_of(text: &str) -> &'static str {
    if KUBELET_REFUSED.is_match(text) {
        "kubelet_refused"
    } else if FORBIDDEN.is_match(text) || text.contains("(Forbidden)") {
        "forbidden"
    } else if KUBELET.is_match(text) {
        "kubelet_unreachable"
    } else if MISSING_TYPE.is_match(text) {
        "missing_resource_type"
    } else if UNAUTHENTICATED.is_match(text) {
        "unauthenticated"
    } else if TLS_CERT.is_match(text) {
        "tls_certificate"
    } else if TIMEOUT.is_match(text) {
        "timeout"
    } else if NOT_FOUND.is_match(text) {
        "not_found"
    } else {
        "other"
    }
}

/// The bundle input a step writes and the file(s) a person would look for.
fn missing_of(step: &str) -> (Option<Input>, String) {
    let (head, rest) = step.split_once('/').unwrap_or((step, ""));
    let ns_file = |file: &str| {
        if rest.is_empty() {
            format!("namespaces/*/{file}")
        } else {
            format!("namespaces/{rest}/{file}")
        }
    };
    match head {
        "nodes" => (Some(Input::Nodes), "cluster/nodes.json".into()),
        "nnc" => (Some(Input::Nnc), "cluster/nnc.json".into()),
        "version" => (None, "cluster/version.json".into()),
        "config" => (None, "cluster context and server address".into()),
        "pods" => (Some(Input::Pods), ns_file("pods.json")),
        "events" => (Some(Input::Events), ns_file("events.json")),
        "services" => (Some(Input::Services), ns_file("services.json")),
        "endpoints" => (Some(Input::Endpoints), ns_file("endpoints.json")),
        "networkpolicies" => (
            Some(Input::NetworkPolicies),
            ns_file("networkpolicies.json"),
        ),
        "jobs" => (Some(Input::Jobs), ns_file("jobs.json")),
        "logs" if rest.is_empty() => (Some(Input::Logs), "the logs of most containers".into()),
        "logs" => (Some(Input::Logs), format!("{step}.log")),
        "ipam" => (Some(Input::Ipam), format!("nodes/{rest}/ipam.json")),
        _ => (None, step.to_string()),
    }
}

/// The file a step would have written, in the bundle's own layout when it is another
/// tool's (troubleshoot's `cluster-resources/pods/<ns>.json` rather than ours).
fn in_layout(index: &crate::index::Index, step: &str) -> Option<String> {
    use crate::layout::{Layout, ObjectKind};
    if matches!(index.layout, None | Some(Layout::V1)) {
        return None;
    }
    let (head, rest) = step.split_once('/').unwrap_or((step, ""));
    if head == "nodes" {
        return Some(index.nodes_file());
    }
    let kind = ObjectKind::ALL
        .iter()
        .map(|(k, _)| *k)
        .find(|k| k.plural() == head)?;
    let ns = if rest.is_empty() { "*" } else { rest };
    Some(index.object_file(ns, kind))
}

/// IDs of the catalogue's rules that read `input` (by `requires`, a matcher source, or a
/// pod filter that needs pod labels), except `own`. For a step of one namespace (or one
/// pod's log), matchers whose pod filter excludes it do not count.
fn prevented(inputs: &Inputs, input: Input, step: &str, own: usize) -> Vec<String> {
    let mut parts = step.split('/').skip(1);
    let (ns, pod) = (parts.next(), parts.next());
    let applies = |m: &crate::rules::CompiledMatcher| match (ns, pod) {
        (Some(ns), Some(pod)) => crate::matchers::pod_ok(
            m.spec.pods.as_ref(),
            m.pod_name.as_ref(),
            inputs.index,
            ns,
            pod,
        ),
        (Some(ns), None) => m
            .spec
            .pods
            .as_ref()
            .and_then(|f| f.namespace.as_deref())
            .is_none_or(|want| want == ns),
        _ => true,
    };
    let mut ids: BTreeSet<String> = BTreeSet::new();
    for (i, r) in inputs.catalogue.rules.iter().enumerate() {
        if i == own {
            continue;
        }
        // A pod filter with labels or a volume driver needs the pod objects to decide.
        let filters_pods = |m: &crate::rules::CompiledMatcher| {
            m.spec
                .pods
                .as_ref()
                .is_some_and(|f| !f.labels.is_empty() || f.volume_driver.is_some())
        };
        let reads = r.spec.requires.contains(&input)
            || r.matchers
                .iter()
                .any(|m| m.spec.source.input() == input && applies(m))
            || (input == Input::Pods && r.matchers.iter().any(|m| filters_pods(m) && applies(m)));
        if reads {
            ids.insert(r.spec.id.clone());
        }
    }
    ids.into_iter().collect()
}

const COLUMNS: [&str; 4] = ["step", "reason", "missing", "diagnoses it prevents"];

/// The `collection_incomplete` check.
pub fn check(inputs: &Inputs, rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let server = inputs
        .index
        .manifest
        .as_ref()
        .and_then(|m| m.cluster.as_ref())
        .and_then(|c| c.server.clone());
    let mut out = Vec::new();
    for mut h in hits {
        // Only the collector's own errors; an unreachable server is apiserver-unreachable.
        let Some(step) = h.facts.get("step").cloned() else {
            continue;
        };
        let text = h.facts.get("message").cloned().unwrap_or_default();
        if classify(&text, Origin::Collector { step: &step }, server.as_deref()).is_some() {
            continue;
        }
        let reason = if step.starts_with("logs") && LOG_FETCH_UNKNOWN.is_match(&text) {
            "kubelet_unreachable"
        } else {
            reason_of(&text)
        };
        h.facts.insert("reason".into(), reason.into());
        // A log fetch that could not reach the kubelet is about the pod's node: the story
        // links it to what explains that node's silence (konnectivity-tunnel-broken).
        if reason == "kubelet_unreachable" {
            let mut parts = step.split('/').skip(1);
            if let (Some(ns), Some(pod)) = (parts.next(), parts.next()) {
                h.node = inputs
                    .index
                    .pod(ns, pod)
                    .and_then(|p| p.spec.node_name.clone());
            }
        }
        for re in [&*FORBIDDEN, &*MISSING_TYPE, &*KUBELET_REFUSED] {
            if let Some(c) = re.captures(&text) {
                h.facts.extend(captures_of(re, &c));
            }
        }
        let (input, missing) = missing_of(&step);
        let missing = in_layout(inputs.index, &step).unwrap_or(missing);
        let ids = input
            .map(|i| prevented(inputs, i, &step, rule))
            .unwrap_or_default();
        h.facts.insert("missing".into(), missing.clone());
        if !ids.is_empty() {
            h.facts.insert("prevents".into(), ids.join(", "));
        }
        let why = match reason {
            "forbidden" => match (
                h.facts.get("user"),
                h.facts.get("verb"),
                h.facts.get("resource"),
            ) {
                (Some(u), Some(v), Some(r)) => format!("forbidden: {u} cannot {v} {r}"),
                _ => "forbidden".into(),
            },
            "kubelet_refused" => match h.facts.get("kubelet_client") {
                Some(c) => format!("the kubelet refused the API server ({c})"),
                None => "the kubelet refused the API server".into(),
            },
            "missing_resource_type" => match h.facts.get("resource_type") {
                Some(t) => format!("resource type {t} not installed"),
                None => "resource type not installed".into(),
            },
            other => other.replace('_', " "),
        };
        h.table = Some(Table {
            columns: COLUMNS.iter().map(|c| c.to_string()).collect(),
            rows: vec![vec![
                step.clone(),
                why,
                missing,
                if ids.is_empty() {
                    "-".into()
                } else {
                    ids.join(", ")
                },
            ]],
        });
        out.push(h);
    }
    if let Some(h) = budget_gap(inputs, rule) {
        out.push(h);
    }
    out
}

/// Logs the collector's total budget could not pay for (`manifest.logs.skipped`): never
/// fetched, so a gap and not an empty log. The budget pays unhealthy pods first, so these
/// are healthy pods' logs unless the budget was very small; the row says how many.
fn budget_gap(inputs: &Inputs, rule: usize) -> Option<Hit> {
    let logs = inputs.index.manifest.as_ref()?.logs.as_ref()?;
    let first = logs.skipped.first()?;
    let n = logs.skipped.len();
    // The diagnoses that read the logs of these pods (a matcher's pod filter decides).
    let ids: Vec<String> = logs
        .skipped
        .iter()
        .flat_map(|path| {
            let step = path.trim_end_matches(".log").trim_end_matches(".previous");
            prevented(inputs, Input::Logs, step, rule)
        })
        .collect::<BTreeSet<String>>()
        .into_iter()
        .collect();
    let missing = if n == 1 {
        first.clone()
    } else {
        format!("{n} container logs ({first}, ...)")
    };
    let mut facts = std::collections::BTreeMap::new();
    facts.insert("step".to_string(), "logs (budget)".to_string());
    facts.insert("reason".to_string(), "log_budget".to_string());
    facts.insert("missing".to_string(), missing.clone());
    facts.insert("skipped_logs".to_string(), n.to_string());
    if let Some(b) = logs.budget {
        facts.insert("budget".to_string(), b.to_string());
    }
    if !ids.is_empty() {
        facts.insert("prevents".to_string(), ids.join(", "));
    }
    Some(Hit {
        object: None,
        node: None,
        evidence: vec![crate::finding::Evidence {
            file: "manifest.json".into(),
            line: None,
            excerpt: crate::engine::cut(&format!(
                "logs.skipped: {n} log{} the budget{} could not pay for, first {first}",
                if n == 1 { "" } else { "s" },
                logs.budget
                    .map(|b| format!(" ({b} bytes)"))
                    .unwrap_or_default()
            )),
            count: 1,
            first_seen: None,
            last_seen: None,
            object: None,
            role: "signal".into(),
        }],
        table: Some(Table {
            columns: COLUMNS.iter().map(|c| c.to_string()).collect(),
            rows: vec![vec![
                "logs (budget)".into(),
                "log budget spent".into(),
                missing,
                if ids.is_empty() {
                    "-".into()
                } else {
                    ids.join(", ")
                },
            ]],
        }),
        facts,
        weak_object: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_told_apart() {
        assert_eq!(
            reason_of(
                r#"Error from server (Forbidden): pods is forbidden: User "alice@contoso.com" cannot list resource "pods" in API group "" at the cluster scope"#
            ),
            "forbidden"
        );
        assert_eq!(
            reason_of(r#"error: the server doesn't have a resource type "nodenetworkconfigs""#),
            "missing_resource_type"
        );
        assert_eq!(reason_of("timed out after 120s and was killed"), "timeout");
        assert_eq!(
            reason_of("Error from server (Timeout): the server was unable to return a response in the time allotted, but may still be processing the request (get events)"),
            "timeout"
        );
        assert_eq!(
            reason_of("error: You must be logged in to the server (Unauthorized)"),
            "unauthenticated"
        );
        assert_eq!(
            reason_of(
                r#"Error from server: Get "https://10.224.0.4:10250/containerLogs/sc-system/sc-operator-1/manager": dial tcp 10.224.0.4:10250: i/o timeout"#
            ),
            "kubelet_unreachable"
        );
        // A kubelet whose TLS handshake times out during a log fetch
        // (pires/kubernetes-elasticsearch-cluster#168).
        assert_eq!(
            reason_of(
                r#"Error from server: Get https://10.240.0.5:10250/containerLogs/default/es-data-0/es-data: net/http: TLS handshake timeout"#
            ),
            "kubelet_unreachable"
        );
        assert_eq!(
            reason_of("Unable to connect to the server: net/http: TLS handshake timeout"),
            "timeout"
        );
        // The kubelet refused the API server's client, whatever that client is called
        // (user=kubernetes in kubeadm-from-scratch guides, system:node:<name> when the API
        // server's certificate names a node): no fault of the collecting account.
        for text in [
            "Error from server (Forbidden): Forbidden (user=kubernetes, verb=get, resource=nodes, subresource=proxy) ( pods/log kube-scheduler-kube-m1)",
            "Error from server (Forbidden): Forbidden (user=system:node:fat-controller, verb=get, resource=nodes, subresource=proxy) ( pods/log cilium-envoy-w2hhk)",
        ] {
            assert_eq!(reason_of(text), "kubelet_refused", "{text}");
        }
        let c = KUBELET_REFUSED
            .captures("Forbidden (user=system:node:fat-controller, verb=get, resource=nodes, subresource=proxy)")
            .unwrap();
        assert_eq!(&c["kubelet_client"], "system:node:fat-controller");
        // Single quotes, as some clients print the user.
        assert_eq!(
            reason_of("pods is forbidden: User 'alice@contoso.com' cannot list resource 'pods' in API group '' at the cluster scope"),
            "forbidden"
        );
        // Go before 1.14 (Azure/AKS#232): no quotes, `getsockopt: connection timed out`.
        assert_eq!(
            reason_of(
                "Error from server: Get https://aks-nodepool1-53392281-1:10250/containerLogs/default/x/x: dial tcp 10.240.0.6:10250: getsockopt: connection timed out"
            ),
            "kubelet_unreachable"
        );
    }

    #[test]
    fn steps_map_to_bundle_files() {
        assert_eq!(
            missing_of("pods/sc-system"),
            (Some(Input::Pods), "namespaces/sc-system/pods.json".into())
        );
        assert_eq!(
            missing_of("pods"),
            (Some(Input::Pods), "namespaces/*/pods.json".into())
        );
        assert_eq!(
            missing_of("ipam/aks-nodepool1-1-vmss000000"),
            (
                Some(Input::Ipam),
                "nodes/aks-nodepool1-1-vmss000000/ipam.json".into()
            )
        );
        assert_eq!(
            missing_of("logs/sc-system/sc-job-x7k2p/sc-job"),
            (
                Some(Input::Logs),
                "logs/sc-system/sc-job-x7k2p/sc-job.log".into()
            )
        );
        assert_eq!(missing_of("nnc").0, Some(Input::Nnc));
    }

    #[test]
    fn steps_of_another_layout_name_its_files() {
        let mut index = crate::index::Index {
            layout: Some(crate::layout::Layout::Troubleshoot),
            ..Default::default()
        };
        assert_eq!(
            in_layout(&index, "pods/shop").as_deref(),
            Some("cluster-resources/pods/shop.json")
        );
        assert_eq!(
            in_layout(&index, "networkpolicies").as_deref(),
            Some("cluster-resources/network-policy/*.json")
        );
        assert_eq!(
            in_layout(&index, "nodes").as_deref(),
            Some("cluster-resources/nodes.json")
        );
        assert_eq!(
            in_layout(&index, "deployments").as_deref(),
            Some("cluster-resources/deployments/*.json")
        );
        assert_eq!(in_layout(&index, "leases"), None);
        index.layout = Some(crate::layout::Layout::V1);
        assert_eq!(in_layout(&index, "pods/shop"), None);
    }

    #[test]
    fn forbidden_captures_user_verb_resource() {
        let t = r#"Error from server (Forbidden): events is forbidden: User "alice@contoso.com" cannot list resource "events" in API group "" in the namespace "sc-system""#;
        let c = FORBIDDEN.captures(t).unwrap();
        assert_eq!(&c["user"], "alice@contoso.com");
        assert_eq!(&c["verb"], "list");
        assert_eq!(&c["resource"], "events");
        assert_eq!(&c["resource_namespace"], "sc-system");
    }
}
