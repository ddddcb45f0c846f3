//! Service Connector extension pods that cannot be scheduled because every node carries a
//! `CriticalAddonsOnly` taint. Text signals (the extension error, scheduler events of
//! sc-system pods, the extension agent's log) are kept only when they say that *every*
//! node is tainted; the structural signal is every node in `cluster/nodes.json` tainted
//! `CriticalAddonsOnly:NoSchedule` while sc-system pods that do not tolerate it are
//! Pending. Every hit carries the table of nodes and their taints when nodes are known.

use crate::engine::{Hit, Inputs};
use crate::finding::{Evidence, Table};
use crate::model::{Node, Pod, Taint};

const NAMESPACE: &str = "sc-system";
const KEY: &str = "CriticalAddonsOnly";

fn critical_taint(n: &Node) -> Option<&Taint> {
    n.spec
        .taints
        .iter()
        .find(|t| t.key == KEY && t.effect == "NoSchedule")
}

fn tolerates(p: &Pod) -> bool {
    p.spec.tolerations.iter().any(|t| {
        let key_ok = match t.key.as_deref() {
            None | Some("") => t.operator.as_deref() == Some("Exists"),
            Some(k) => k == KEY,
        };
        let effect_ok = t
            .effect
            .as_deref()
            .is_none_or(|e| e.is_empty() || e == "NoSchedule");
        key_ok && effect_ok
    })
}

fn node_table(nodes: &[Node]) -> Table {
    Table {
        columns: vec!["node".into(), "taints".into()],
        rows: nodes
            .iter()
            .map(|n| {
                let taints: Vec<String> = n.spec.taints.iter().map(|t| t.to_string()).collect();
                vec![
                    n.metadata.name.clone(),
                    if taints.is_empty() {
                        "(none)".into()
                    } else {
                        taints.join(", ")
                    },
                ]
            })
            .collect(),
    }
}

/// True when a text hit says every node is tainted: either it is the extension's own
/// message, or a scheduler message whose tainted count equals the node count.
fn every_node(h: &Hit) -> bool {
    match (h.facts.get("total"), h.facts.get("tainted")) {
        (Some(total), Some(tainted)) => total == tainted && total != "0",
        _ => true,
    }
}

/// The extension agent serves every extension; its line counts only when it is about
/// Service Connector or the bundle shows the sc-system namespace.
fn about_service_connector(inputs: &Inputs, h: &Hit) -> bool {
    if h.facts.get("namespace").map(String::as_str) == Some(NAMESPACE) {
        return true;
    }
    if h.facts.contains_key("file") && !h.facts.contains_key("pod") {
        return true; // an attachment: its matcher already required the wording
    }
    let text = h.facts.get("message").map(String::as_str).unwrap_or("");
    text.contains("sc-extension")
        || text.contains(NAMESPACE)
        || inputs.index.namespaces.contains_key(NAMESPACE)
}

/// The `critical_addons_only` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let nodes: &[Node] = inputs.index.nodes.as_deref().unwrap_or(&[]);
    let all_tainted = !nodes.is_empty() && nodes.iter().all(|n| critical_taint(n).is_some());
    let table = (!nodes.is_empty()).then(|| node_table(nodes));
    let tainted = nodes.iter().filter(|n| critical_taint(n).is_some()).count();

    // A scheduler message is a snapshot; when today's nodes include an untainted one, the
    // pods can schedule now and the old message is history.
    let contradicted = |h: &Hit| !nodes.is_empty() && !all_tainted && h.facts.contains_key("total");
    let mut out: Vec<Hit> = hits
        .into_iter()
        .filter(|h| every_node(h) && about_service_connector(inputs, h) && !contradicted(h))
        .collect();

    if all_tainted {
        for p in inputs.index.pods_in(NAMESPACE) {
            let pending = p.status.phase.as_deref() == Some("Pending")
                && p.spec.node_name.as_deref().is_none_or(str::is_empty);
            if !pending || tolerates(p) {
                continue;
            }
            let object = p.object_ref();
            let mut facts = std::collections::BTreeMap::new();
            facts.insert("namespace".to_string(), NAMESPACE.to_string());
            facts.insert("pod".to_string(), p.metadata.name.clone());
            facts.insert("name".to_string(), p.metadata.name.clone());
            facts.insert("kind".to_string(), "pod".to_string());
            facts.insert("pending_pod".to_string(), p.metadata.name.clone());
            let since = p
                .metadata
                .creation_timestamp
                .as_deref()
                .map(|t| inputs.time(t));
            out.push(Hit {
                weak_object: false,
                object: Some(object.clone()),
                node: None,
                facts,
                evidence: vec![Evidence {
                    file: inputs.object_file(NAMESPACE, "pods.json"),
                    line: None,
                    excerpt: format!(
                        "pod {} Pending, no node; all {} nodes tainted {KEY}:NoSchedule and the pod does not tolerate it",
                        p.metadata.name,
                        nodes.len()
                    ),
                    count: 1,
                    first_seen: since.clone(),
                    last_seen: since,
                    object: Some(object),
                    role: "signal".into(),
                }],
                table: None,
            });
        }
    }
    for h in &mut out {
        // Scheduler events name the waiting sc-system pod; the agent's log line does not.
        if h.facts.get("namespace").map(String::as_str) == Some(NAMESPACE) {
            if let Some(pod) = h.facts.get("pod").cloned() {
                h.facts.insert("pending_pod".into(), pod);
            }
        }
        if !nodes.is_empty() {
            h.facts.insert("node_count".into(), nodes.len().to_string());
            h.facts.insert("tainted_nodes".into(), tainted.to_string());
            h.facts
                .insert("all_tainted".into(), all_tainted.to_string());
            if let Some(nodepool) = nodes
                .iter()
                .find_map(|n| n.metadata.labels.get("kubernetes.azure.com/agentpool"))
            {
                h.facts.insert("nodepool".into(), nodepool.clone());
            }
        }
        h.table = table.clone();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{Index, NamespaceObjects};
    use crate::model::List;
    use crate::rules::Catalogue;
    use crate::scan::ScanResults;

    fn run(nodes: &str, pods: &str, hits: Vec<Hit>) -> Vec<Hit> {
        let mut index = Index {
            nodes: Some(serde_json::from_str::<List<Node>>(nodes).unwrap().items),
            ..Default::default()
        };
        index.namespaces.insert(
            NAMESPACE.into(),
            NamespaceObjects {
                pods: Some(serde_json::from_str::<List<Pod>>(pods).unwrap().items),
                ..Default::default()
            },
        );
        let scan = ScanResults::default();
        let cat = Catalogue::default();
        let inputs = Inputs {
            index: &index,
            scan: &scan,
            catalogue: &cat,
            line_origins: &[],
            clock: crate::time::Clock::of("2026-11-22T04:00:00Z"),
        };
        check(&inputs, 0, hits)
    }

    const TAINTED: &str = r#"{"items":[
        {"metadata":{"name":"aks-system-1-vmss000000"},"spec":{"taints":[{"key":"CriticalAddonsOnly","value":"true","effect":"NoSchedule"}]}},
        {"metadata":{"name":"aks-system-1-vmss000001"},"spec":{"taints":[{"key":"CriticalAddonsOnly","value":"true","effect":"NoSchedule"}]}}]}"#;
    const PENDING: &str = r#"{"items":[{"metadata":{"name":"sc-operator-6d8f7b9c4-2xkqv","namespace":"sc-system"},"spec":{},"status":{"phase":"Pending"}}]}"#;

    #[test]
    fn pending_pod_with_every_node_tainted() {
        let hits = run(TAINTED, PENDING, Vec::new());
        assert_eq!(hits.len(), 1);
        assert_eq!(
            hits[0].object.as_deref(),
            Some("sc-system/pod/sc-operator-6d8f7b9c4-2xkqv")
        );
        let t = hits[0].table.as_ref().unwrap();
        assert_eq!(t.rows[0][1], "CriticalAddonsOnly=true:NoSchedule");
    }

    #[test]
    fn one_untainted_node_or_a_toleration_is_fine() {
        let mixed = r#"{"items":[
            {"metadata":{"name":"aks-system-1-vmss000000"},"spec":{"taints":[{"key":"CriticalAddonsOnly","value":"true","effect":"NoSchedule"}]}},
            {"metadata":{"name":"aks-user-2-vmss000000"},"spec":{}}]}"#;
        assert!(run(mixed, PENDING, Vec::new()).is_empty());
        let tolerating = r#"{"items":[{"metadata":{"name":"sc-operator-1","namespace":"sc-system"},
            "spec":{"tolerations":[{"key":"CriticalAddonsOnly","operator":"Exists"}]},"status":{"phase":"Pending"}}]}"#;
        assert!(run(TAINTED, tolerating, Vec::new()).is_empty());
    }

    #[test]
    fn old_scheduler_text_is_dropped_once_an_untainted_node_exists() {
        let mut h = Hit::default();
        h.facts.insert("namespace".into(), NAMESPACE.into());
        h.facts.insert("total".into(), "2".into());
        h.facts.insert("tainted".into(), "2".into());
        let now = r#"{"items":[
            {"metadata":{"name":"aks-system-1-vmss000000"},"spec":{"taints":[{"key":"CriticalAddonsOnly","value":"true","effect":"NoSchedule"}]}},
            {"metadata":{"name":"aks-user-2-vmss000000"},"spec":{}}]}"#;
        assert!(run(now, r#"{"items":[]}"#, vec![h.clone()]).is_empty());
        assert_eq!(run(TAINTED, r#"{"items":[]}"#, vec![h]).len(), 1);
    }

    #[test]
    fn scheduler_text_must_cover_every_node() {
        let mut some = Hit::default();
        some.facts.insert("namespace".into(), NAMESPACE.into());
        some.facts.insert("total".into(), "3".into());
        some.facts.insert("tainted".into(), "2".into());
        let mut all = some.clone();
        all.facts.insert("tainted".into(), "3".into());
        let hits = run(r#"{"items":[]}"#, r#"{"items":[]}"#, vec![some, all]);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].facts["tainted"], "3");
    }
}
