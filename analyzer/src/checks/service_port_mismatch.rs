//! Service targetPorts that no selected pod's containerPort serves. A named targetPort that
//! no selected pod declares can never be resolved, so it always counts. A numeric one is
//! judged only when the selected pods declare ports at all: declaring ports is optional, and
//! a container may listen on a port it never declared.
//!
//! What users see of it is a refusal at the pod's IP and the wrong port. The rule's text
//! matchers read nginx's `connect() failed (111: Connection refused) while connecting to
//! upstream ... upstream: "http://<pod IP>:<port>/"` (ingress-nginx, NGINX Ingress): the
//! upstream names a pod by its IP and the port the Service sent it to. Such a line joins
//! the finding of the Service port whose targetPort is that port on that pod; on pods that
//! declare no ports at all it makes the finding by itself, since nothing else can show that
//! the container does not listen there. A refusal on a port the pod declares is an
//! application that is down, not this diagnosis, and is dropped.

use std::collections::{BTreeMap, BTreeSet};

use crate::engine::{Hit, Inputs};
use crate::finding::{Evidence, Table};
use crate::model::{IntOrString, Pod, ServicePort};

/// The `service_port_mismatch` check.
pub fn check(inputs: &Inputs, _rule: usize, text_hits: Vec<Hit>) -> Vec<Hit> {
    let index = inputs.index;
    let mut hits = Vec::new();
    // For each structural hit: the IPs of the pods it selects.
    let mut selected_ips: Vec<BTreeSet<String>> = Vec::new();
    // Numeric targetPorts of pods that declare no port at all, with the pods' IPs: only a
    // refusal at that port can judge them.
    let mut undeclared: Vec<(Hit, BTreeSet<String>)> = Vec::new();
    for (ns, svc) in index.services() {
        if svc.spec.type_.as_deref() == Some("ExternalName") {
            continue;
        }
        let Some(selector) = svc.spec.selector.as_ref().filter(|s| !s.is_empty()) else {
            continue;
        };
        let pods: Vec<&Pod> = index
            .pods_in(ns)
            .filter(|p| p.matches_labels(selector))
            .filter(|p| !matches!(p.status.phase.as_deref(), Some("Succeeded" | "Failed")))
            .collect();
        if pods.is_empty() {
            continue; // nothing selected: that is service-no-endpoints
        }
        let name = &svc.metadata.name;
        let ips: BTreeSet<String> = pods
            .iter()
            .filter_map(|p| p.status.pod_ip.clone())
            .collect();
        let nothing_declared = pods
            .iter()
            .flat_map(|p| p.spec.containers.iter())
            .all(|c| c.ports.is_empty());
        for (port_index, sp) in svc.spec.ports.iter().enumerate() {
            let missing = !serves(&pods, sp);
            let judged_by_refusal =
                nothing_declared && matches!(target_of(sp), IntOrString::Int(_));
            if !(missing || judged_by_refusal) {
                continue;
            }
            let target = target_of(sp);
            let declared = declared_ports(&pods);
            let object = format!("{ns}/service/{name}");
            let facts: BTreeMap<String, String> = [
                ("namespace", ns.to_string()),
                ("service", name.clone()),
                ("name", name.clone()),
                ("kind", "service".to_string()),
                ("port", sp.port.to_string()),
                ("port_name", sp.name.clone().unwrap_or_default()),
                ("target_port", target.to_string()),
                ("protocol", protocol(sp.protocol.as_deref()).to_string()),
                ("container_ports", declared.clone()),
                ("pod", pods[0].metadata.name.clone()),
                (
                    "selector",
                    selector
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(","),
                ),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
            let mut facts = facts;
            facts.insert("port_index".into(), port_index.to_string());
            if let Some(ip) = pods.iter().find_map(|p| p.status.pod_ip.clone()) {
                facts.insert("pod_ip".into(), ip);
            }
            if let Some(n) = only_port(&pods, protocol(sp.protocol.as_deref())) {
                facts.insert("suggested_port".into(), n.to_string());
            }
            let table = Table {
                columns: ["pod", "container", "containerPorts"]
                    .map(String::from)
                    .to_vec(),
                rows: pods
                    .iter()
                    .flat_map(|p| {
                        p.spec.containers.iter().map(|c| {
                            vec![
                                p.metadata.name.clone(),
                                c.name.clone(),
                                if c.ports.is_empty() {
                                    "(none declared)".to_string()
                                } else {
                                    c.ports.iter().map(port_text).collect::<Vec<_>>().join(", ")
                                },
                            ]
                        })
                    })
                    .collect(),
            };
            let hit = Hit {
                weak_object: false,
                object: Some(object.clone()),
                node: None,
                facts,
                evidence: vec![Evidence::of_object(inputs.object_file(ns, "services.json"), format!(
                        "service {ns}/{name} port {} -> targetPort {target}; selected pods declare {declared}",
                        sp.port
                    ), Some(object))],
                table: Some(table),
            };
            if missing {
                hits.push(hit);
                selected_ips.push(ips.clone());
            } else {
                undeclared.push((hit, ips.clone()));
            }
        }
    }
    let mut refused = Vec::new();
    let mut confirmed: BTreeSet<usize> = BTreeSet::new();
    for t in text_hits {
        let (Some(ip), Some(port)) = (t.facts.get("upstream_ip"), t.facts.get("upstream_port"))
        else {
            continue;
        };
        let structural = hits
            .iter()
            .zip(&selected_ips)
            .find(|(h, ips)| ips.contains(ip) && h.facts.get("target_port") == Some(port))
            .map(|(h, _)| h.clone());
        let by_refusal = undeclared
            .iter()
            .enumerate()
            .find(|(_, (h, ips))| ips.contains(ip) && h.facts.get("target_port") == Some(port));
        let mut joined = match (structural, by_refusal) {
            (Some(h), _) => h,
            (None, Some((i, (h, _)))) => {
                confirmed.insert(i);
                h.clone()
            }
            // Refused on a port the pod declares, or on a pod this bundle cannot tie to a
            // Service: not a port mismatch this bundle can show.
            (None, None) => continue,
        };
        joined
            .facts
            .insert("refused".into(), format!("{ip}:{port}"));
        if let Some(pod) = t.facts.get("pod") {
            joined.facts.insert("reporter_pod".into(), pod.clone());
        }
        joined.evidence = t.evidence;
        joined.table = None;
        refused.push(joined);
    }
    for (i, (mut h, _)) in undeclared.into_iter().enumerate() {
        if confirmed.contains(&i) {
            if let Some(r) = refused
                .iter()
                .find(|r| r.object == h.object && r.facts.get("port") == h.facts.get("port"))
            {
                h.facts.insert("refused".into(), r.facts["refused"].clone());
            }
            hits.push(h);
        }
    }
    hits.extend(refused);
    hits
}

/// The port traffic goes to: targetPort, or port when targetPort is unset.
fn target_of(sp: &ServicePort) -> IntOrString {
    sp.target_port.clone().unwrap_or(IntOrString::Int(sp.port))
}

fn protocol(p: Option<&str>) -> &str {
    p.filter(|p| !p.is_empty()).unwrap_or("TCP")
}

/// True when some selected pod can serve the service port, or when the pods give nothing
/// to judge a numeric targetPort by.
fn serves(pods: &[&Pod], sp: &ServicePort) -> bool {
    let proto = protocol(sp.protocol.as_deref());
    let ports = || {
        pods.iter()
            .flat_map(|p| p.spec.containers.iter())
            .flat_map(|c| c.ports.iter())
            .filter(|cp| protocol(cp.protocol.as_deref()).eq_ignore_ascii_case(proto))
    };
    match target_of(sp) {
        IntOrString::Int(n) => {
            let any_declared = pods
                .iter()
                .flat_map(|p| p.spec.containers.iter())
                .any(|c| !c.ports.is_empty());
            !any_declared || ports().any(|cp| cp.container_port == n)
        }
        IntOrString::String(s) => match s.parse::<i64>() {
            // kubectl sometimes writes a numeric targetPort as a string.
            Ok(n) => serves(
                pods,
                &ServicePort {
                    target_port: Some(IntOrString::Int(n)),
                    ..sp.clone()
                },
            ),
            Err(_) => ports().any(|cp| cp.name.as_deref() == Some(s.as_str())),
        },
    }
}

fn port_text(cp: &crate::model::ContainerPort) -> String {
    let mut s = cp.container_port.to_string();
    if let Some(p) = cp.protocol.as_deref().filter(|p| *p != "TCP") {
        s.push('/');
        s.push_str(p);
    }
    if let Some(n) = &cp.name {
        s.push_str(&format!(" ({n})"));
    }
    s
}

/// The one containerPort number the pods declare for `proto`, when there is exactly one.
fn only_port(pods: &[&Pod], proto: &str) -> Option<i64> {
    let mut v: Vec<i64> = pods
        .iter()
        .flat_map(|p| p.spec.containers.iter())
        .flat_map(|c| c.ports.iter())
        .filter(|cp| protocol(cp.protocol.as_deref()).eq_ignore_ascii_case(proto))
        .map(|cp| cp.container_port)
        .collect();
    v.sort();
    v.dedup();
    (v.len() == 1).then(|| v[0])
}

/// Every declared containerPort of the pods, distinct, in words.
fn declared_ports(pods: &[&Pod]) -> String {
    let mut v: Vec<String> = pods
        .iter()
        .flat_map(|p| p.spec.containers.iter())
        .flat_map(|c| c.ports.iter())
        .map(port_text)
        .collect();
    v.sort();
    v.dedup();
    if v.is_empty() {
        "no containerPorts".to_string()
    } else {
        v.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(ports: serde_json::Value) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx", "ports": ports}]},
            "status": {"phase": "Running"}
        }))
        .unwrap()
    }

    fn sp(port: i64, target: Option<serde_json::Value>) -> ServicePort {
        let mut v = serde_json::json!({"port": port, "protocol": "TCP"});
        if let Some(t) = target {
            v["targetPort"] = t;
        }
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn numeric_and_named_targets() {
        let p =
            pod(serde_json::json!([{"name": "http", "containerPort": 8080, "protocol": "TCP"}]));
        assert!(serves(&[&p], &sp(80, Some(serde_json::json!(8080)))));
        assert!(serves(&[&p], &sp(80, Some(serde_json::json!("http")))));
        assert!(serves(&[&p], &sp(80, Some(serde_json::json!("8080")))));
        assert!(!serves(&[&p], &sp(80, Some(serde_json::json!(80)))));
        assert!(!serves(&[&p], &sp(80, Some(serde_json::json!("web")))));
    }

    #[test]
    fn no_target_port_means_port() {
        let p = pod(serde_json::json!([{"containerPort": 80}]));
        assert!(serves(&[&p], &sp(80, None)));
        assert!(!serves(&[&p], &sp(443, None)));
    }

    #[test]
    fn undeclared_ports_only_fail_named_targets() {
        let p = pod(serde_json::json!([]));
        assert!(serves(&[&p], &sp(80, Some(serde_json::json!(8080)))));
        assert!(!serves(&[&p], &sp(80, Some(serde_json::json!("http")))));
    }

    #[test]
    fn protocol_must_agree() {
        let p = pod(serde_json::json!([{"containerPort": 53, "protocol": "UDP"}]));
        let mut s = sp(53, Some(serde_json::json!(53)));
        assert!(!serves(&[&p], &s));
        s.protocol = Some("UDP".into());
        assert!(serves(&[&p], &s));
    }
}
