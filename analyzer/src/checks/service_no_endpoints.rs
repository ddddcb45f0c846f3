//! Services with a selector and no ready endpoints, with the closest pods: either the pods
//! that match the selector but are not Ready, or the pods of the namespace whose labels come
//! nearest to the selector and the label that differs. Services without a selector (their
//! endpoints are managed by hand) and ExternalName services are never judged.
//!
//! Readiness is read from the Endpoints object and from the EndpointSlices of the Service
//! (`kubernetes.io/service-name`), whichever the bundle has: a ready address in either means
//! the Service has a backend (the Endpoints mirror stops at 1000 addresses; clusters may
//! stop serving Endpoints).
//!
//! The rule's text matchers bring what users see instead of the objects: ingress-nginx's
//! `Service "ns/name" does not have any active Endpoint`, and the API server's
//! `no endpoints available for service "name"` (a `kubectl proxy` or `get --raw` answer, a
//! pasted 503 Status). Such a line joins the Service's finding when the objects agree; it
//! is dropped when the bundle shows ready endpoints (the warning is stale) or shows that
//! no such Service exists; and it makes a finding of its own when the Service or its
//! endpoints were not collected.
//!
//! A pasted `kubectl describe svc` whose every `Endpoints:` says `<none>` stands in for the
//! endpoints the bundle lacks, and for the Service too when it was not collected: its
//! selector is judged against the bundle's pods like a collected Service's.

use std::collections::{BTreeMap, BTreeSet};

use crate::engine::{Hit, Inputs};
use crate::finding::{Evidence, Table};
use crate::index::Index;
use crate::model::{Labels, Pod, Service};

/// How many near-miss pods a finding lists.
const MAX_CLOSEST: usize = 3;

/// What the bundle says about a Service's backends.
#[derive(Debug, PartialEq, Eq)]
enum Backends {
    /// Neither Endpoints nor EndpointSlices were collected for the namespace.
    Unknown,
    /// At least one ready address.
    Ready,
    /// No ready address.
    Empty {
        /// Addresses listed as not ready.
        not_ready: usize,
        /// The bundle file the verdict comes from (`endpoints.json` or `endpointslices.json`).
        file: &'static str,
        /// An Endpoints object or a slice of the Service exists (else none was created).
        exists: bool,
    },
}

/// Ready and not-ready addresses of a Service, from its Endpoints and EndpointSlices.
fn backends(index: &Index, ns: &str, name: &str) -> Backends {
    let Some(objs) = index.namespaces.get(ns) else {
        return Backends::Unknown;
    };
    if objs.endpoints.is_none() && objs.endpoint_slices.is_none() {
        return Backends::Unknown;
    }
    let ep = objs
        .endpoints
        .iter()
        .flatten()
        .find(|e| e.metadata.name == name);
    let slices: Vec<_> = objs
        .endpoint_slices
        .iter()
        .flatten()
        .filter(|s| s.service_name() == Some(name))
        .collect();
    let ready_slices = slices
        .iter()
        .flat_map(|s| s.endpoints.iter())
        .filter(|e| e.conditions.ready != Some(false))
        .count();
    if ep.is_some_and(|e| e.ready_count() > 0) || ready_slices > 0 {
        return Backends::Ready;
    }
    let not_ready_ep: usize = ep
        .map(|e| e.subsets.iter().map(|s| s.not_ready_addresses.len()).sum())
        .unwrap_or(0);
    let not_ready_slices = slices.iter().map(|s| s.endpoints.len()).sum::<usize>();
    let file = if (ep.is_none() && !slices.is_empty()) || objs.endpoints.is_none() {
        "endpointslices.json"
    } else {
        "endpoints.json"
    };
    Backends::Empty {
        not_ready: not_ready_ep.max(not_ready_slices),
        file,
        exists: ep.is_some() || !slices.is_empty(),
    }
}

/// The `service_no_endpoints` check.
pub fn check(inputs: &Inputs, _rule: usize, text_hits: Vec<Hit>) -> Vec<Hit> {
    let index = inputs.index;
    let mut hits = Vec::new();
    // The facts of each Service found without ready endpoints, for the text lines about it.
    let mut found: BTreeMap<(String, String), BTreeMap<String, String>> = BTreeMap::new();
    for (ns, svc) in index.services() {
        if svc.spec.type_.as_deref() == Some("ExternalName") {
            continue;
        }
        let Some(selector) = svc.spec.selector.as_ref().filter(|s| !s.is_empty()) else {
            continue;
        };
        let Backends::Empty {
            not_ready,
            file,
            exists,
        } = backends(index, ns, &svc.metadata.name)
        else {
            continue; // ready, or not collected: cannot tell
        };
        let name = &svc.metadata.name;
        let selector_text = join_labels(selector);
        let excerpt = match (exists, file) {
            (true, "endpointslices.json") => format!("EndpointSlices of {ns}/{name}: no ready endpoint ({not_ready} not ready); selector {selector_text}"),
            (true, _) => format!("Endpoints {ns}/{name}: no ready addresses ({not_ready} not ready); selector {selector_text}"),
            (false, "endpointslices.json") => format!("no EndpointSlice for service {ns}/{name}; selector {selector_text}"),
            (false, _) => format!("no Endpoints object for service {ns}/{name}; selector {selector_text}"),
        };
        let evidence = Evidence::of_object(
            inputs.object_file(ns, file),
            excerpt,
            Some(format!("{ns}/service/{name}")),
        );
        let service = service_hits(inputs, ns, svc, selector, evidence, Some(not_ready));
        if let Some(first) = service.first() {
            found.insert((ns.to_string(), name.clone()), first.facts.clone());
        }
        hits.extend(service);
    }
    for (paste, o, pasted) in pasted_services(index) {
        let ns = o.namespace.as_deref().unwrap_or("default");
        let key = (ns.to_string(), o.name.clone());
        if found.contains_key(&key) {
            continue;
        }
        // The bundle's own endpoints, when it has them, say more than a paste.
        if index
            .services()
            .any(|(n, s)| n == ns && s.metadata.name == o.name)
            && backends(index, ns, &o.name) != Backends::Unknown
        {
            continue;
        }
        let svc = Service {
            metadata: crate::model::ObjectMeta {
                name: o.name.clone(),
                namespace: Some(ns.to_string()),
                ..Default::default()
            },
            spec: crate::model::ServiceSpec {
                selector: Some(pasted.selector.clone()),
                type_: pasted.type_.clone(),
                ..Default::default()
            },
            ..Default::default()
        };
        let (line, value) = pasted.endpoints.first().cloned().unwrap_or_default();
        let evidence = Evidence::of_line(
            paste.file.clone(),
            line,
            format!(
                "pasted description of service {ns}/{}: Endpoints: {}; selector {}",
                o.name,
                if value.is_empty() { "(empty)" } else { &value },
                join_labels(&pasted.selector)
            ),
            Some(format!("{ns}/service/{}", o.name)),
        );
        let service = service_hits(inputs, ns, &svc, &pasted.selector, evidence, None);
        if let Some(first) = service.first() {
            found.insert(key, first.facts.clone());
        }
        hits.extend(service);
    }
    hits.extend(text_findings(index, &found, text_hits));
    hits
}

/// Services a paste describes with a selector and no ready endpoint.
fn pasted_services(
    index: &Index,
) -> impl Iterator<
    Item = (
        &crate::paste::Paste,
        &crate::paste::PastedObject,
        &crate::paste::PastedService,
    ),
> {
    index.pastes.iter().flat_map(|p| {
        p.objects.iter().filter_map(move |o| {
            let s = o.service.as_ref()?;
            let judged = !s.selector.is_empty() && s.type_.as_deref() != Some("ExternalName");
            (judged && s.no_ready_endpoints()).then_some((p, o, s))
        })
    })
}

/// Who says a Service has no endpoints, from the wording of the line.
fn reporter(message: &str) -> &'static str {
    // ingress-nginx 0.9 wrote `endpoints`, later versions `Endpoint`.
    if message
        .to_ascii_lowercase()
        .contains("does not have any active endpoint")
    {
        "ingress-nginx"
    } else {
        "the API server"
    }
}

/// The Service a text line names: `svc_namespace`/`svc_name` when the line says both, else
/// the only Service of that name in the bundle.
fn named_service(index: &Index, h: &Hit) -> Option<(Option<String>, String)> {
    let name = h.facts.get("svc_name")?.clone();
    if let Some(ns) = h.facts.get("svc_namespace") {
        return Some((Some(ns.clone()), name));
    }
    let namespaces: BTreeSet<&str> = index
        .services()
        .filter(|(_, s)| s.metadata.name == name)
        .map(|(ns, _)| ns)
        .collect();
    let ns = (namespaces.len() == 1).then(|| namespaces.into_iter().next().unwrap_or_default());
    Some((ns.map(str::to_string), name))
}

/// Text lines saying a Service has no endpoints, joined to the objects where the bundle
/// has them.
fn text_findings(
    index: &Index,
    found: &BTreeMap<(String, String), BTreeMap<String, String>>,
    text_hits: Vec<Hit>,
) -> Vec<Hit> {
    let mut out = Vec::new();
    for h in text_hits {
        let Some((ns, name)) = named_service(index, &h) else {
            continue;
        };
        let message = h.facts.get("message").cloned().unwrap_or_default();
        let mut facts = match ns
            .as_ref()
            .and_then(|ns| found.get(&(ns.clone(), name.clone())))
        {
            // The objects agree: the line is one more piece of evidence.
            Some(f) => f.clone(),
            None => {
                if let Some(ns) = &ns {
                    let svc = index
                        .namespaces
                        .get(ns)
                        .and_then(|n| n.services.as_ref())
                        .map(|list| list.iter().find(|s| s.metadata.name == name));
                    match svc {
                        // The namespace's Services were collected and this one is not
                        // among them: nothing is left to have endpoints.
                        Some(None) => continue,
                        // It is there: trust its endpoints when they were collected.
                        Some(Some(s)) if backends(index, ns, &name) != Backends::Unknown => {
                            let judged = s.spec.selector.as_ref().is_some_and(|l| !l.is_empty())
                                && s.spec.type_.as_deref() != Some("ExternalName");
                            if judged || backends(index, ns, &name) == Backends::Ready {
                                continue;
                            }
                        }
                        _ => {}
                    }
                }
                reported_facts(index, ns.as_deref(), &name)
            }
        };
        facts.insert("reporter".into(), reporter(&message).into());
        if let Some(pod) = h.facts.get("pod") {
            facts.insert("reporter_pod".into(), pod.clone());
        }
        facts.insert("message".into(), message);
        out.push(Hit {
            weak_object: false,
            object: ns.as_ref().map(|ns| format!("{ns}/service/{name}")),
            node: None,
            facts,
            evidence: h.evidence,
            table: None,
        });
    }
    out
}

/// Facts of a Service known only from a text line.
fn reported_facts(index: &Index, ns: Option<&str>, name: &str) -> BTreeMap<String, String> {
    let mut f: BTreeMap<String, String> = BTreeMap::new();
    f.insert("service".into(), name.to_string());
    f.insert("name".into(), name.to_string());
    f.insert("kind".into(), "service".into());
    f.insert("cause".into(), "reported".into());
    if let Some(ns) = ns {
        f.insert("namespace".into(), ns.to_string());
        if let Some(sel) = index
            .services()
            .find(|(n, s)| *n == ns && s.metadata.name == name)
            .and_then(|(_, s)| s.spec.selector.as_ref())
            .filter(|s| !s.is_empty())
        {
            f.insert("selector".into(), join_labels(sel));
        }
    }
    f
}

fn service_hits(
    inputs: &Inputs,
    ns: &str,
    svc: &Service,
    selector: &Labels,
    evidence: Evidence,
    not_ready_addresses: Option<usize>,
) -> Vec<Hit> {
    let index = inputs.index;
    let pods: Vec<&Pod> = index.pods_in(ns).collect();
    let pods_collected = index.namespaces.get(ns).is_some_and(|n| n.pods.is_some());
    let name = &svc.metadata.name;
    let selector_text = join_labels(selector);
    let object = format!("{ns}/service/{name}");
    let mut facts: BTreeMap<String, String> = [
        ("namespace", ns.to_string()),
        ("service", name.clone()),
        ("name", name.clone()),
        ("kind", "service".to_string()),
        ("selector", selector_text.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    if let Some(n) = not_ready_addresses {
        facts.insert("not_ready_addresses".into(), n.to_string());
    }
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
        let closest = closest_pods(selector, &pods);
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
    let service_hit = Hit {
        weak_object: false,
        object: Some(object.clone()),
        node: None,
        facts,
        evidence: vec![evidence],
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

/// The pod shares a key with the selector, or carries one of its values under another key
/// (`name=nginx-ingress` selecting pods labelled `app=nginx-ingress`).
fn shares_a_key(selector: &Labels, p: &Pod) -> bool {
    selector
        .iter()
        .any(|(k, v)| p.metadata.labels.contains_key(k) || other_key(p, k, v).is_some())
}

/// Another key of the pod's labels holding `value` (`true`/`false` say nothing).
fn other_key<'a>(p: &'a Pod, key: &str, value: &str) -> Option<&'a str> {
    if value.is_empty() || value == "true" || value == "false" {
        return None;
    }
    p.metadata
        .labels
        .iter()
        .find(|(k, v)| k.as_str() != key && v.as_str() == value)
        .map(|(k, _)| k.as_str())
}

/// Each selector pair the pod does not satisfy, language-neutral so every report language
/// can show it: `app: web ≠ webfrontend`, or `tier: web ≠ -` when the pod lacks the label.
fn differences(selector: &Labels, p: &Pod) -> Vec<String> {
    selector
        .iter()
        .filter_map(|(k, want)| match p.metadata.labels.get(k) {
            Some(have) if have == want => None,
            Some(have) => Some(format!("{k}: {want} ≠ {have}")),
            None => Some(match other_key(p, k, want) {
                Some(other) => format!("{k}: {want} ≠ - (the pod has {other}={want})"),
                None => format!("{k}: {want} ≠ -"),
            }),
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

    fn index_with(endpoints: serde_json::Value, slices: serde_json::Value) -> Index {
        let mut index = Index::default();
        index.namespaces.insert(
            "shop".into(),
            crate::index::NamespaceObjects {
                endpoints: serde_json::from_value(endpoints).unwrap(),
                endpoint_slices: serde_json::from_value(slices).unwrap(),
                ..Default::default()
            },
        );
        index
    }

    #[test]
    fn endpoint_slices_alone_decide_readiness() {
        let slice = |ready: bool| {
            serde_json::json!([{
                "metadata": {"name": "web-x7k2p", "labels": {"kubernetes.io/service-name": "web"}},
                "addressType": "IPv4",
                "endpoints": [{"addresses": ["10.244.1.7"], "conditions": {"ready": ready}}]
            }])
        };
        let idx = index_with(serde_json::Value::Null, slice(false));
        assert_eq!(
            backends(&idx, "shop", "web"),
            Backends::Empty {
                not_ready: 1,
                file: "endpointslices.json",
                exists: true
            }
        );
        let idx = index_with(serde_json::Value::Null, slice(true));
        assert_eq!(backends(&idx, "shop", "web"), Backends::Ready);
        // A slice of another Service says nothing about this one.
        assert_eq!(
            backends(&idx, "shop", "api"),
            Backends::Empty {
                not_ready: 0,
                file: "endpointslices.json",
                exists: false
            }
        );
        // An empty Endpoints object loses to a ready slice.
        let idx = index_with(
            serde_json::json!([{"metadata": {"name": "web"}, "subsets": []}]),
            slice(true),
        );
        assert_eq!(backends(&idx, "shop", "web"), Backends::Ready);
        let idx = index_with(serde_json::Value::Null, serde_json::Value::Null);
        assert_eq!(backends(&idx, "shop", "web"), Backends::Unknown);
    }

    #[test]
    fn reporter_follows_the_wording() {
        assert_eq!(
            reporter(
                r#"W0408 16:38:40.185591       7 controller.go:909] Service "ci/jenkins" does not have any active Endpoint."#
            ),
            "ingress-nginx"
        );
        assert_eq!(
            reporter(
                r#"Error from server (ServiceUnavailable): no endpoints available for service "web""#
            ),
            "the API server"
        );
    }

    #[test]
    fn replicas_with_the_same_labels_are_listed_once() {
        let a = pod("web-1", &[("app", "webb")]);
        let b = pod("web-2", &[("app", "webb")]);
        let s = sel(&[("app", "web")]);
        assert_eq!(closest_pods(&s, &[&a, &b]).len(), 1);
    }
}
