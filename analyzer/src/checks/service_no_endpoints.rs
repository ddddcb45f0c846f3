//! Services with a selector and no ready endpoints, with the closest pods: either the pods
//! that match the selector but are not Ready, or the pods of the namespace whose labels come
//! nearest to the selector and the label that differs. Services without a selector (their
//! endpoints are managed by hand) and ExternalName services are never judged.

use std::collections::BTreeMap;

use crate::engine::{Hit, Inputs};
use crate::finding::{Evidence, Table};
use crate::model::{Labels, Pod, Service};

/// How many near-miss pods a finding lists.
const MAX_CLOSEST: usize = 3;

/// The `service_no_endpoints` check.
pub fn check(inputs: &Inputs, _rule: usize, mut hits: Vec<Hit>) -> Vec<Hit> {
    let index = inputs.index;
    for (ns, svc) in index.services() {
        if svc.spec.type_.as_deref() == Some("ExternalName") {
            continue;
        }
        let Some(selector) = svc.spec.selector.as_ref().filter(|s| !s.is_empty()) else {
            continue;
        };
        let Some(endpoints) = index.namespaces.get(ns).and_then(|n| n.endpoints.as_ref()) else {
            continue; // not collected: cannot tell
        };
        let ep = endpoints
            .iter()
            .find(|e| e.metadata.name == svc.metadata.name);
        if ep.is_some_and(|e| e.ready_count() > 0) {
            continue;
        }
        let not_ready_addresses: usize = ep
            .map(|e| e.subsets.iter().map(|s| s.not_ready_addresses.len()).sum())
            .unwrap_or(0);
        let pods: Vec<&Pod> = index.pods_in(ns).collect();
        let pods_collected = index.namespaces.get(ns).is_some_and(|n| n.pods.is_some());
        hits.extend(service_hits(
            inputs,
            ns,
            svc,
            selector,
            (&pods, pods_collected),
            ep.is_some(),
            not_ready_addresses,
        ));
    }
    hits
}

fn service_hits(
    inputs: &Inputs,
    ns: &str,
    svc: &Service,
    selector: &Labels,
    (pods, pods_collected): (&[&Pod], bool),
    has_endpoints_object: bool,
    not_ready_addresses: usize,
) -> Vec<Hit> {
    let name = &svc.metadata.name;
    let selector_text = join_labels(selector);
    let object = format!("{ns}/service/{name}");
    let mut facts: BTreeMap<String, String> = [
        ("namespace", ns.to_string()),
        ("service", name.clone()),
        ("name", name.clone()),
        ("kind", "service".to_string()),
        ("selector", selector_text.clone()),
        ("not_ready_addresses", not_ready_addresses.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let matching: Vec<&Pod> = pods
        .iter()
        .copied()
        .filter(|p| p.matches_labels(selector))
        .collect();
    let mut out = Vec::new();
    let table;
    if !matching.is_empty() {
        facts.insert("cause".into(), "not_ready".into());
        facts.insert(
            "matching_pods".into(),
            matching
                .iter()
                .map(|p| p.metadata.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        );
        table = Table {
            columns: ["pod", "phase", "ready", "node", "selector"]
                .map(String::from)
                .to_vec(),
            rows: matching
                .iter()
                .map(|p| {
                    vec![
                        p.metadata.name.clone(),
                        p.status.phase.clone().unwrap_or_else(|| "?".into()),
                        if p.is_ready() { "yes" } else { "no" }.to_string(),
                        p.spec.node_name.clone().unwrap_or_else(|| "-".into()),
                        "matches".to_string(),
                    ]
                })
                .collect(),
        };
        for p in &matching {
            let pod_obj = p.object_ref();
            let mut pf = facts.clone();
            pf.insert("pod".into(), p.metadata.name.clone());
            if let Some(n) = &p.spec.node_name {
                pf.insert("node".into(), n.clone());
            }
            // The finding concerns the service; its not-Ready pods are evidence and
            // bring their nodes along.
            out.push(Hit {
                weak_object: false,
                object: Some(object.clone()),
                node: p.spec.node_name.clone(),
                facts: pf,
                evidence: vec![Evidence {
                    file: inputs.object_file(ns, "pods.json"),
                    line: None,
                    excerpt: format!(
                        "pod {} matches {selector_text} but is not Ready (phase {})",
                        p.metadata.name,
                        p.status.phase.as_deref().unwrap_or("?")
                    ),
                    count: 1,
                    first_seen: None,
                    last_seen: None,
                    object: Some(pod_obj),
                    role: "context".into(),
                }],
                table: None,
            });
        }
    } else {
        let closest = closest_pods(selector, pods);
        match closest.first() {
            Some((pod, diffs)) => {
                facts.insert("cause".into(), "no_match".into());
                facts.insert("closest_pod".into(), pod.metadata.name.clone());
                facts.insert("differs".into(), diffs.join("; "));
            }
            None if pods_collected => {
                facts.insert("cause".into(), "no_pods".into());
            }
            None => {
                facts.insert("cause".into(), "pods_not_collected".into());
            }
        }
        table = Table {
            columns: ["pod", "phase", "ready", "node", "selector"]
                .map(String::from)
                .to_vec(),
            rows: closest
                .iter()
                .map(|(p, diffs)| {
                    vec![
                        p.metadata.name.clone(),
                        p.status.phase.clone().unwrap_or_else(|| "?".into()),
                        if p.is_ready() { "yes" } else { "no" }.to_string(),
                        p.spec.node_name.clone().unwrap_or_else(|| "-".into()),
                        diffs.join("; "),
                    ]
                })
                .collect(),
        };
    }
    let excerpt = if has_endpoints_object {
        format!("Endpoints {ns}/{name}: no ready addresses ({not_ready_addresses} not ready); selector {selector_text}")
    } else {
        format!("no Endpoints object for service {ns}/{name}; selector {selector_text}")
    };
    let service_hit = Hit {
        weak_object: false,
        object: Some(object.clone()),
        node: None,
        facts,
        evidence: vec![Evidence::of_object(
            inputs.object_file(ns, "endpoints.json"),
            excerpt,
            Some(object),
        )],
        table: (!table.rows.is_empty()).then_some(table),
    };
    let mut all = vec![service_hit];
    all.extend(out);
    all
}

/// `k=v,k2=v2`, as `kubectl -l` takes it.
fn join_labels(l: &Labels) -> String {
    l.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The pods that match most of the selector's pairs (at least one), one per distinct
/// label set, with what differs. Pods of one ReplicaSet carry the same labels, so one of
/// them stands for all.
fn closest_pods<'a>(selector: &Labels, pods: &[&'a Pod]) -> Vec<(&'a Pod, Vec<String>)> {
    let score = |p: &Pod| {
        selector
            .iter()
            .filter(|(k, v)| p.metadata.labels.get(*k) == Some(*v))
            .count()
    };
    let best = pods.iter().map(|p| score(p)).max().unwrap_or(0);
    let mut out: Vec<(&Pod, Vec<String>)> = Vec::new();
    let mut seen: Vec<Vec<String>> = Vec::new();
    let mut candidates: Vec<&&Pod> = pods.iter().filter(|p| score(p) == best).collect();
    candidates.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    for p in candidates {
        let diffs = differences(selector, p);
        if best == 0 && diffs.len() == selector.len() && !shares_a_key(selector, p) {
            continue; // nothing in common: not a near miss
        }
        if seen.contains(&diffs) {
            continue;
        }
        seen.push(diffs.clone());
        out.push((*p, diffs));
        if out.len() == MAX_CLOSEST {
            break;
        }
    }
    out
}

fn shares_a_key(selector: &Labels, p: &Pod) -> bool {
    selector.keys().any(|k| p.metadata.labels.contains_key(k))
}

/// Each selector pair the pod does not satisfy, language-neutral so every report language
/// can show it: `app: web ≠ webfrontend`, or `tier: web ≠ -` when the pod lacks the label.
fn differences(selector: &Labels, p: &Pod) -> Vec<String> {
    selector
        .iter()
        .filter_map(|(k, want)| match p.metadata.labels.get(k) {
            Some(have) if have == want => None,
            Some(have) => Some(format!("{k}: {want} ≠ {have}")),
            None => Some(format!("{k}: {want} ≠ -")),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, labels: &[(&str, &str)]) -> Pod {
        let labels: BTreeMap<&str, &str> = labels.iter().copied().collect();
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "shop", "labels": labels},
            "status": {"phase": "Running"}
        }))
        .unwrap()
    }

    fn sel(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn closest_pod_names_the_differing_label() {
        let a = pod("web-1", &[("app", "web-frontend"), ("tier", "web")]);
        let b = pod("db-1", &[("app", "db")]);
        let s = sel(&[("app", "web"), ("tier", "web")]);
        let c = closest_pods(&s, &[&a, &b]);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].0.metadata.name, "web-1");
        assert_eq!(c[0].1, vec!["app: web ≠ web-frontend"]);
    }

    #[test]
    fn pods_with_nothing_in_common_are_not_near_misses() {
        let a = pod("x", &[("run", "x")]);
        let s = sel(&[("app", "web")]);
        assert!(closest_pods(&s, &[&a]).is_empty());
        let b = pod("y", &[("app", "api")]);
        assert_eq!(closest_pods(&s, &[&a, &b]).len(), 1);
    }

    #[test]
    fn replicas_with_the_same_labels_are_listed_once() {
        let a = pod("web-1", &[("app", "webb")]);
        let b = pod("web-2", &[("app", "webb")]);
        let s = sel(&[("app", "web")]);
        assert_eq!(closest_pods(&s, &[&a, &b]).len(), 1);
    }
}
