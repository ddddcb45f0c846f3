//! Sandboxes failing because the CNI plugin cannot reach Azure CNS on its node. The hits get
//! the per-node IPAM picture of `pod_ip_allocation`, and the state of the azure-cns pod on
//! each node joins the finding: the component that knows why port 10090 is closed
//! (crash-looping, not ready, missing from the node), with the last lines its previous
//! instance wrote before it stopped.

use std::collections::BTreeSet;

use crate::engine::{Hit, Inputs};
use crate::finding::Evidence;
use crate::index::Index;
use crate::model::Pod;

/// The `cns_unreachable` check.
pub fn check(inputs: &Inputs, rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let mut hits = super::pod_ip_allocation::check(inputs, rule, hits);
    let mut done: BTreeSet<String> = BTreeSet::new();
    for h in &mut hits {
        let Some(node) = h.node.clone() else {
            continue;
        };
        if !done.insert(node.clone()) {
            continue;
        }
        let Some((ns, pod)) = cns_pod(inputs.index, &node) else {
            continue;
        };
        let state = state_of(pod);
        let name = &pod.metadata.name;
        h.facts.insert("cns_pod".into(), name.clone());
        h.facts.insert("cns_state".into(), state.clone());
        h.evidence.push(Evidence {
            role: "context".into(),
            ..Evidence::of_object(
                inputs.object_file(ns, "pods.json"),
                format!("{ns}/{name} on {node}: {state}"),
                Some(format!("{ns}/pod/{name}")),
            )
        });
        // CNS's plain logger marks no level: its last words before the restart are the
        // most telling lines it has.
        let last: Vec<_> = inputs
            .scan
            .tails
            .iter()
            .filter(|t| {
                t.file.namespace.as_deref() == Some(ns) && t.file.pod.as_deref() == Some(name)
            })
            .collect();
        for t in last.iter().skip(last.len().saturating_sub(LAST_LINES)) {
            h.evidence.push(inputs.context_evidence(t));
        }
    }
    hits
}

/// Lines of the azure-cns pod's previous log shown.
const LAST_LINES: usize = 3;

/// The azure-cns pod scheduled to `node`, by its DaemonSet label or, failing that, its name.
fn cns_pod<'a>(index: &'a Index, node: &str) -> Option<(&'a str, &'a Pod)> {
    index.namespaces.iter().find_map(|(ns, objects)| {
        objects.pods.as_ref()?.iter().find_map(|p| {
            let is_cns = p
                .metadata
                .labels
                .get("k8s-app")
                .is_some_and(|v| v == "azure-cns")
                || p.metadata.name.starts_with("azure-cns-");
            (is_cns && p.spec.node_name.as_deref() == Some(node)).then_some((ns.as_str(), p))
        })
    })
}

/// One line on how the pod is doing: phase, readiness, the worst container state, restarts.
fn state_of(p: &Pod) -> String {
    let phase = p.status.phase.as_deref().unwrap_or("Unknown");
    let mut parts = vec![format!("phase {phase}")];
    let statuses = &p.status.container_statuses;
    let ready = !statuses.is_empty() && statuses.iter().all(|c| c.ready);
    parts.push(if ready { "ready" } else { "not ready" }.to_string());
    for c in statuses {
        if let Some(w) = &c.state.waiting {
            if let Some(r) = &w.reason {
                parts.push(format!("{} {r}", c.name));
            }
        }
        if let Some(t) = &c.last_state.terminated {
            let reason = t.reason.as_deref().unwrap_or("terminated");
            match t.exit_code {
                Some(code) => parts.push(format!("{} last {reason} (exit {code})", c.name)),
                None => parts.push(format!("{} last {reason}", c.name)),
            }
        }
        if c.restart_count > 0 {
            parts.push(format!("{} restarts {}", c.name, c.restart_count));
        }
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::NamespaceObjects;

    fn cns(name: &str, node: &str, ready: bool, waiting: Option<&str>, restarts: i64) -> Pod {
        let state = match waiting {
            Some(r) => serde_json::json!({"waiting": {"reason": r}}),
            None => serde_json::json!({"running": {"startedAt": "2026-11-22T03:00:00Z"}}),
        };
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "kube-system", "labels": {"k8s-app": "azure-cns"}},
            "spec": {"nodeName": node},
            "status": {"phase": "Running", "containerStatuses": [{
                "name": "cns-container", "ready": ready, "restartCount": restarts,
                "state": state,
                "lastState": {"terminated": {"reason": "Error", "exitCode": 1}}
            }]}
        }))
        .unwrap()
    }

    #[test]
    fn the_cns_pod_of_the_node_and_its_state() {
        let mut index = Index::default();
        index.namespaces.insert(
            "kube-system".into(),
            NamespaceObjects {
                pods: Some(vec![
                    cns("azure-cns-7xq2m", "n1", true, None, 0),
                    cns("azure-cns-k4p9z", "n2", false, Some("CrashLoopBackOff"), 14),
                ]),
                ..Default::default()
            },
        );
        let (ns, p) = cns_pod(&index, "n2").unwrap();
        assert_eq!(
            (ns, p.metadata.name.as_str()),
            ("kube-system", "azure-cns-k4p9z")
        );
        assert_eq!(
            state_of(p),
            "phase Running, not ready, cns-container CrashLoopBackOff, cns-container last Error (exit 1), cns-container restarts 14"
        );
        assert!(cns_pod(&index, "n3").is_none());
    }
}
