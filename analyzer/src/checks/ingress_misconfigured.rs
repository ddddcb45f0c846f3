//! Ingresses that point at things that do not exist: an `ingressClassName` with no such
//! IngressClass (no controller will ever serve the Ingress), a backend Service missing from
//! the namespace, or a backend port the Service does not define. Read from the objects only,
//! and only where the objects to compare with were collected. The legacy
//! `kubernetes.io/ingress.class` annotation is not judged: controllers match its value
//! themselves, without an IngressClass object.

use std::collections::BTreeMap;

use crate::engine::{Hit, Inputs};
use crate::finding::Evidence;
use crate::index::Index;
use crate::layout::ClusterKind;
use crate::model::{Ingress, IntOrString, Service};

/// The `ingress_misconfigured` check.
pub fn check(inputs: &Inputs, _rule: usize, mut hits: Vec<Hit>) -> Vec<Hit> {
    let index = inputs.index;
    for (ns, ing) in index.ingresses() {
        let problems = problems(index, ns, ing);
        if problems.is_empty() {
            continue;
        }
        hits.push(hit(inputs, ns, ing, &problems));
    }
    hits
}

/// One thing an Ingress names that is not there.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Problem {
    UnknownClass {
        class: String,
        known: Vec<String>,
    },
    NoSuchService {
        service: String,
    },
    NoSuchPort {
        service: String,
        port: String,
        defined: Vec<String>,
    },
}

impl Problem {
    fn cause(&self) -> &'static str {
        match self {
            Problem::UnknownClass { .. } => "class_missing",
            Problem::NoSuchService { .. } => "service_missing",
            Problem::NoSuchPort { .. } => "port_missing",
        }
    }

    /// Language-neutral, for the finding's table and evidence.
    fn describe(&self) -> String {
        match self {
            Problem::UnknownClass { class, known } => format!(
                "ingressClassName {class}: no such IngressClass (have: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ),
            Problem::NoSuchService { service } => format!("service {service}: not found"),
            Problem::NoSuchPort {
                service,
                port,
                defined,
            } => format!(
                "service {service} port {port}: not defined (ports: {})",
                defined.join(", ")
            ),
        }
    }
}

fn problems(index: &Index, ns: &str, ing: &Ingress) -> Vec<Problem> {
    let mut out = Vec::new();
    if let (Some(class), Some(classes)) = (
        ing.spec
            .ingress_class_name
            .as_deref()
            .filter(|c| !c.is_empty()),
        index.cluster.ingress_classes.as_ref(),
    ) {
        if !classes.iter().any(|c| c.metadata.name == class) {
            out.push(Problem::UnknownClass {
                class: class.to_string(),
                known: classes.iter().map(|c| c.metadata.name.clone()).collect(),
            });
        }
    }
    let Some(services) = index.namespaces.get(ns).and_then(|n| n.services.as_ref()) else {
        return out; // backends cannot be judged
    };
    let backends = ing
        .spec
        .rules
        .iter()
        .filter_map(|r| r.http.as_ref())
        .flat_map(|h| h.paths.iter().map(|p| &p.backend))
        .chain(ing.spec.default_backend.iter())
        .chain(ing.spec.backend.iter())
        .filter_map(|b| b.service_and_port());
    for (name, port) in backends {
        let problem = match services.iter().find(|s| s.metadata.name == name) {
            None => Some(Problem::NoSuchService {
                service: name.to_string(),
            }),
            Some(svc) => port
                .filter(|p| !serves(svc, p))
                .map(|p| Problem::NoSuchPort {
                    service: name.to_string(),
                    port: p.to_string(),
                    defined: svc
                        .spec
                        .ports
                        .iter()
                        .map(|sp| match &sp.name {
                            Some(n) if !n.is_empty() => format!("{} ({n})", sp.port),
                            _ => sp.port.to_string(),
                        })
                        .collect(),
                }),
        };
        if let Some(p) = problem {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// True when the Service defines the port (by number or by name). An ExternalName Service
/// with no ports is passed through by controllers as it is.
fn serves(svc: &Service, port: &IntOrString) -> bool {
    if svc.spec.type_.as_deref() == Some("ExternalName") && svc.spec.ports.is_empty() {
        return true;
    }
    svc.spec.ports.iter().any(|sp| match port {
        IntOrString::Int(n) => sp.port == *n,
        IntOrString::String(name) => sp.name.as_deref() == Some(name.as_str()),
    })
}

fn hit(inputs: &Inputs, ns: &str, ing: &Ingress, problems: &[Problem]) -> Hit {
    let name = &ing.metadata.name;
    let object = format!("{ns}/ingress/{name}");
    let mut facts: BTreeMap<String, String> = [
        ("namespace", ns.to_string()),
        ("ingress", name.clone()),
        ("name", name.clone()),
        ("kind", "ingress".to_string()),
        ("cause", problems[0].cause().to_string()),
        (
            "problems",
            problems
                .iter()
                .map(Problem::describe)
                .collect::<Vec<_>>()
                .join("; "),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for p in problems {
        match p {
            Problem::UnknownClass { class, known } => {
                facts.entry("ingress_class".into()).or_insert(class.clone());
                facts
                    .entry("known_classes".into())
                    .or_insert(known.join(", "));
            }
            Problem::NoSuchService { service } => {
                facts.entry("service".into()).or_insert(service.clone());
            }
            Problem::NoSuchPort {
                service,
                port,
                defined,
            } => {
                facts.entry("service".into()).or_insert(service.clone());
                facts.entry("backend_port".into()).or_insert(port.clone());
                facts
                    .entry("service_ports".into())
                    .or_insert(defined.join(", "));
            }
        }
    }
    let mut evidence = vec![Evidence::of_object(
        inputs.object_file(ns, "ingresses.json"),
        format!("ingress {ns}/{name}: {}", facts["problems"]),
        Some(object.clone()),
    )];
    if problems
        .iter()
        .any(|p| matches!(p, Problem::UnknownClass { .. }))
    {
        let mut e = Evidence::of_object(
            inputs.index.cluster_file(ClusterKind::IngressClasses),
            format!(
                "IngressClasses: {}",
                facts
                    .get("known_classes")
                    .map(String::as_str)
                    .filter(|k| !k.is_empty())
                    .unwrap_or("none")
            ),
            None,
        );
        e.role = "context".into();
        evidence.push(e);
    }
    Hit {
        object: Some(object),
        facts,
        evidence,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::NamespaceObjects;

    fn index() -> Index {
        let mut index = Index::default();
        index.cluster.ingress_classes = Some(vec![serde_json::from_value(serde_json::json!({
            "metadata": {"name": "webapprouting.kubernetes.azure.com"},
            "spec": {"controller": "webapprouting.kubernetes.azure.com/nginx"}
        }))
        .unwrap()]);
        index.namespaces.insert(
            "shop".into(),
            NamespaceObjects {
                services: Some(vec![serde_json::from_value(serde_json::json!({
                    "metadata": {"name": "web", "namespace": "shop"},
                    "spec": {"ports": [{"name": "http", "port": 80}]}
                }))
                .unwrap()]),
                ..Default::default()
            },
        );
        index
    }

    fn ingress(v: serde_json::Value) -> Ingress {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn class_service_and_port() {
        let idx = index();
        let ing = ingress(serde_json::json!({
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"ingressClassName": "nginx", "rules": [{"http": {"paths": [
                {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 8080}}}},
                {"path": "/api", "pathType": "Prefix", "backend": {"service": {"name": "api", "port": {"number": 80}}}},
                {"path": "/ok", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"name": "http"}}}}
            ]}}]}
        }));
        let p = problems(&idx, "shop", &ing);
        assert_eq!(p.len(), 3, "{p:?}");
        assert_eq!(p[0].cause(), "class_missing");
        assert_eq!(
            p[1].describe(),
            "service web port 8080: not defined (ports: 80 (http))"
        );
        assert_eq!(p[2].describe(), "service api: not found");
    }

    #[test]
    fn annotation_class_and_uncollected_services_are_not_judged() {
        let idx = index();
        let ing = ingress(serde_json::json!({
            "metadata": {"name": "agic", "namespace": "other",
                         "annotations": {"kubernetes.io/ingress.class": "azure/application-gateway"}},
            "spec": {"rules": [{"http": {"paths": [
                {"path": "/", "backend": {"serviceName": "gone", "servicePort": 80}}
            ]}}]}
        }));
        assert!(problems(&idx, "other", &ing).is_empty());
    }
}
