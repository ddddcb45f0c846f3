//! The API server could not reach the kubelets: `kubectl logs` (and exec, port-forward)
//! failed with a dial to `:10250`, `error dialing backend`, or the konnectivity proxy's own
//! errors, while the API server itself answered. Failures are grouped by node: when every
//! Ready node fails the tunnel itself is down (konnectivity-agent, egress to the API
//! server); when only some do, something blocks port 10250 to those nodes. A node that is
//! not Ready explains its own silence (node-not-ready) and is left out.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};
use crate::finding::Table;
use crate::index::Index;

fn re(p: &str) -> Regex {
    Regex::new(p).expect("static regex")
}

static NO_AGENT: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)No agent available"));
static PROXY_ERROR: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)proxy error from \S+ while dialing (?P<address>[^\s,]+)|tunnel-uds/proxysocket")
});
static KUBELET_DIAL: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)dial tcp (?P<address>\[?[0-9a-fA-F.:]+\]?:10250)\b|error dialing backend")
});
static KUBELET_URL: LazyLock<Regex> =
    LazyLock::new(|| re(r"https://(?P<host>[A-Za-z0-9.\-]+):10250/"));
/// A log fetch the API server answered with a bare 500: behind a log request, the kubelet
/// could not be reached.
static UNKNOWN_500: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"(?i)an error on the server \("unknown"\) has prevented the request from succeeding"#)
});
static TIMEOUT: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?i)i/o timeout|connection timed out|context deadline exceeded|operation timed out")
});
static REFUSED: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)connection refused"));
static NO_ROUTE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)no route to host|network is unreachable"));
static CERT: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)x509:"));

/// How the API server failed to reach a kubelet.
pub fn failure_of(text: &str, log_step: bool) -> Option<&'static str> {
    if CERT.is_match(text) {
        return None;
    }
    let kind = if NO_AGENT.is_match(text) {
        "no_agent"
    } else if PROXY_ERROR.is_match(text) {
        "proxy_error"
    } else if KUBELET_DIAL.is_match(text) || KUBELET_URL.is_match(text) {
        // The kubelet answered with a refusal: the way to it works.
        if !KUBELET_DIAL.is_match(text)
            && super::collection_incomplete::KUBELET_REFUSED.is_match(text)
        {
            return None;
        }
        if TIMEOUT.is_match(text) {
            "timeout"
        } else if REFUSED.is_match(text) {
            "refused"
        } else if NO_ROUTE.is_match(text) {
            "no_route"
        } else {
            "dial_error"
        }
    } else if log_step && UNKNOWN_500.is_match(text) {
        "unknown"
    } else {
        return None;
    };
    Some(kind)
}

/// The node behind a kubelet host: a node name as it is, or the node whose pods report
/// that host IP.
pub fn node_of_kubelet(index: &Index, host: &str) -> Option<String> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if index.node(host).is_some() {
        return Some(host.to_string());
    }
    index
        .pods()
        .find(|p| p.status.host_ip.as_deref() == Some(host))
        .and_then(|p| p.spec.node_name.clone())
}

/// The node a failed step was about: the pod whose logs were fetched, else the kubelet the
/// message names.
fn node_of(index: &Index, step: &str, text: &str) -> (Option<String>, Option<String>) {
    let address = KUBELET_DIAL
        .captures(text)
        .and_then(|c| c.name("address").map(|m| m.as_str().to_string()))
        .or_else(|| {
            PROXY_ERROR
                .captures(text)
                .and_then(|c| c.name("address").map(|m| m.as_str().to_string()))
        });
    let mut parts = step.split('/');
    if let (Some("logs"), Some(ns), Some(pod)) = (parts.next(), parts.next(), parts.next()) {
        if let Some(n) = index.pod(ns, pod).and_then(|p| p.spec.node_name.clone()) {
            return (Some(n), address);
        }
    }
    let host = KUBELET_URL
        .captures(text)
        .map(|c| c["host"].to_string())
        .or_else(|| {
            address
                .as_deref()
                .and_then(|a| a.rsplit_once(':').map(|(h, _)| h.to_string()))
        });
    (host.and_then(|h| node_of_kubelet(index, &h)), address)
}

/// True when the node is in the bundle and not Ready: node-not-ready's, not the tunnel's.
fn not_ready(index: &Index, node: &str) -> bool {
    index
        .node(node)
        .and_then(|n| n.ready_condition())
        .is_some_and(|c| c.status != "True")
}

const COLUMNS: [&str; 4] = ["node", "kubelet address", "failed requests", "failure"];

/// The `konnectivity_tunnel` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let index = inputs.index;
    let mut out = Vec::new();
    for mut h in hits {
        let Some(step) = h.facts.get("step").cloned() else {
            continue;
        };
        let text = h.facts.get("message").cloned().unwrap_or_default();
        let Some(failure) = failure_of(&text, step.starts_with("logs/")) else {
            continue;
        };
        let (node, address) = node_of(index, &step, &text);
        if node.as_deref().is_some_and(|n| not_ready(index, n)) {
            continue;
        }
        h.facts.insert("failure".into(), failure.into());
        if let Some(a) = &address {
            h.facts.insert("address".into(), a.clone());
        }
        let mut parts = step.split('/').skip(1);
        if let (Some(ns), Some(pod)) = (parts.next(), parts.next()) {
            h.facts.insert("target_namespace".into(), ns.into());
            h.facts.insert("target_pod".into(), pod.into());
        }
        if let Some(n) = &node {
            h.facts.insert("node".into(), n.clone());
            if let Some(vmss) = super::image_pull_auth::vmss_of(n) {
                if let Some(i) = n
                    .strip_prefix(&vmss)
                    .and_then(|s| u64::from_str_radix(s, 36).ok())
                {
                    h.facts.insert("instance_id".into(), i.to_string());
                }
                h.facts.insert("vmss".into(), vmss);
            }
            h.object = Some(format!("cluster/node/{n}"));
            h.node = Some(n.clone());
        }
        out.push(h);
    }
    if out.is_empty() {
        return out;
    }

    // Per node: address, count, failures.
    let mut rows: BTreeMap<String, (BTreeSet<String>, u64, BTreeSet<String>)> = BTreeMap::new();
    for h in &out {
        let node = h.node.clone().unwrap_or_else(|| "(unknown)".into());
        let r = rows.entry(node).or_default();
        if let Some(a) = h.facts.get("address") {
            r.0.insert(a.clone());
        }
        r.1 += h.evidence.iter().map(|e| e.count).sum::<u64>();
        r.2.insert(h.facts["failure"].clone());
    }
    let failing: BTreeSet<&String> = rows.keys().filter(|n| *n != "(unknown)").collect();
    let ready: Vec<String> = index
        .nodes
        .iter()
        .flatten()
        .filter(|n| n.ready_condition().is_some_and(|c| c.status == "True"))
        .map(|n| n.metadata.name.clone())
        .collect();
    // Nodes whose kubelet served a log that the collector read: they answered.
    let failed_pods: BTreeSet<(&str, &str)> = out
        .iter()
        .filter_map(|h| {
            Some((
                h.facts.get("target_namespace")?.as_str(),
                h.facts.get("target_pod")?.as_str(),
            ))
        })
        .collect();
    let answered: BTreeSet<String> = index
        .text_files
        .iter()
        .filter(|f| f.source == crate::scan::TextSource::Log)
        .filter_map(|f| {
            let (ns, pod) = (f.namespace.as_deref()?, f.pod.as_deref()?);
            if failed_pods.contains(&(ns, pod)) {
                return None;
            }
            index.pod(ns, pod)?.spec.node_name.clone()
        })
        .filter(|n| !failing.contains(n))
        .collect();
    let healthy: Vec<&String> = answered.iter().collect();
    // Some nodes answered: those that did not are singled out. None answered and every
    // Ready node failed: the tunnel. Otherwise the bundle cannot tell.
    let scope = if failing.is_empty() {
        "unknown"
    } else if !answered.is_empty() {
        "some"
    } else if !ready.is_empty() && ready.iter().all(|n| failing.contains(n)) {
        "all"
    } else {
        "unknown"
    };
    let agents: Vec<&crate::model::Pod> = index
        .pods_in("kube-system")
        .filter(|p| {
            let app = p.metadata.labels.get("app").map(String::as_str);
            matches!(app, Some("konnectivity-agent") | Some("tunnelfront"))
        })
        .collect();
    let agents_ready = agents
        .iter()
        .filter(|p| p.is_running() && p.is_ready())
        .count();
    let table = Table {
        columns: COLUMNS.iter().map(|c| c.to_string()).collect(),
        rows: rows
            .iter()
            .map(|(node, (addr, n, fails))| {
                vec![
                    node.clone(),
                    addr.iter().cloned().collect::<Vec<_>>().join(", "),
                    n.to_string(),
                    fails.iter().cloned().collect::<Vec<_>>().join(", "),
                ]
            })
            .collect(),
    };
    for (i, h) in out.iter_mut().enumerate() {
        h.facts.insert("scope".into(), scope.into());
        h.facts
            .insert("failing_nodes".into(), failing.len().to_string());
        h.facts
            .insert("ready_nodes".into(), ready.len().to_string());
        if !healthy.is_empty() {
            let names: Vec<&str> = healthy.iter().map(|s| s.as_str()).collect();
            h.facts.insert("healthy_nodes".into(), names.join(", "));
        }
        if !agents.is_empty() {
            h.facts
                .insert("agents_ready".into(), agents_ready.to_string());
            h.facts
                .insert("agents_total".into(), agents.len().to_string());
        }
        if i == 0 {
            h.table = Some(table.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubelet_dial_failures_are_classified() {
        // Microsoft Learn, tunnel-connectivity-issues.md.
        assert_eq!(
            failure_of(
                r#"Error from server: Get "https://aks-nodepool1-12345678-vmss000000:10250/containerLogs/shop/web-1/web": dial tcp 10.224.0.4:10250: i/o timeout"#,
                true
            ),
            Some("timeout")
        );
        // Azure/AKS#50, older Go wording.
        assert_eq!(
            failure_of(
                "Error from server: error dialing backend: dial tcp 10.240.0.4:10250: getsockopt: connection timed out",
                false
            ),
            Some("timeout")
        );
        assert_eq!(
            failure_of(
                "Error from server: error dialing backend: dial tcp 10.224.0.5:10250: connect: connection refused",
                false
            ),
            Some("refused")
        );
        assert_eq!(
            failure_of(
                "Error from server: Get \"https://aks-nodepool1-12345678-vmss000001:10250/containerLogs/kube-system/coredns-1/coredns\": No agent available",
                true
            ),
            Some("no_agent")
        );
        assert_eq!(
            failure_of(
                r#"Error from server: Get "https://10.224.0.6:10250/containerLogs/shop/web-2/web": proxy error from 127.0.0.1:8131 while dialing 10.224.0.6:10250, code 503: 503 Service Unavailable"#,
                true
            ),
            Some("proxy_error")
        );
    }

    #[test]
    fn other_failures_are_not_the_tunnel() {
        // The collector killed a slow fetch: a timeout of the collection, not a dial.
        assert_eq!(
            failure_of("timed out after 120s and was killed", true),
            None
        );
        // A container that never started has no log to fetch.
        assert_eq!(
            failure_of(
                r#"Error from server (BadRequest): container "web" in pod "web-1" is waiting to start: ContainerCreating"#,
                true
            ),
            None
        );
        // An expired kubelet certificate is cluster-certificate-expired.
        assert_eq!(
            failure_of(
                r#"Error from server: Get "https://aks-nodepool1-12345678-vmss000002:10250/containerLogs/shop/web-1/web": x509: certificate has expired or is not yet valid"#,
                true
            ),
            None
        );
        // The kubelet answered the API server with a refusal: the way to it works
        // (k3s-io/k3s#6123; kubeadm-from-scratch guides' user=kubernetes).
        for text in [
            r#"Error from server: Get "https://10.224.0.5:10250/containerLogs/shop/web-1/nginx": Forbidden"#,
            "Error from server (Forbidden): Forbidden (user=kubernetes, verb=get, resource=nodes, subresource=proxy) ( pods/log kube-scheduler-kube-m1)",
        ] {
            assert_eq!(failure_of(text, true), None, "{text}");
        }
        // A bare 500 only counts behind a log fetch.
        assert_eq!(
            failure_of(
                r#"Error from server (InternalError): an error on the server ("unknown") has prevented the request from succeeding (get pods)"#,
                false
            ),
            None
        );
    }
}
