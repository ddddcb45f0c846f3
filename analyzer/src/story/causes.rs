//! Root cause first. A rule declares which diagnoses can explain it (`explained_by:` in
//! its rule.yaml); a finding of such a diagnosis explains this one when the two share an
//! object, or when the cause is about an object this one depends on: a Service on the pods
//! its selector picks, a pod on its node, a Deployment or a Job on its pods. The findings
//! are then ordered so each root cause comes first, followed by what it explains.

use std::collections::{BTreeMap, BTreeSet};

use crate::finding::{Finding, Status};
use crate::index::Index;
use crate::rules::Catalogue;

/// The objects a finding's objects depend on, the objects themselves included.
pub fn dependencies(f: &Finding, index: &Index) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = f.objects.iter().cloned().collect();
    // What the finding's evidence is about (the not-Ready pods behind a Service).
    out.extend(f.evidence.iter().filter_map(|e| e.object.clone()));
    for n in &f.nodes {
        out.insert(format!("cluster/node/{n}"));
    }
    for o in &f.objects {
        let mut parts = o.splitn(3, '/');
        let (Some(ns), Some(kind), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        match kind {
            "service" => out.extend(selected_pods(index, ns, name)),
            "deployment" | "replicaset" | "statefulset" | "daemonset" | "job" | "cronjob" => {
                // The controllers it owns (a Deployment's ReplicaSets, a CronJob's Jobs),
                // whose own findings (FailedCreate) are about them.
                let owned: Vec<String> = match kind {
                    "deployment" => index
                        .replica_sets()
                        .filter(|(n, rs)| *n == ns && owns(&rs.metadata, "Deployment", name))
                        .map(|(_, rs)| rs.metadata.name.clone())
                        .collect(),
                    "cronjob" => index
                        .jobs()
                        .filter(|(n, j)| *n == ns && owns(&j.metadata, "CronJob", name))
                        .map(|(_, j)| j.metadata.name.clone())
                        .collect(),
                    _ => Vec::new(),
                };
                let child = if kind == "deployment" {
                    "replicaset"
                } else {
                    "job"
                };
                for o in &owned {
                    out.insert(format!("{ns}/{child}/{o}"));
                }
                for p in index.pods_in(ns) {
                    if owned_by(p, kind, name) || owned.iter().any(|o| owned_by(p, child, o)) {
                        out.insert(p.object_ref());
                    }
                }
            }
            "horizontalpodautoscaler" => {
                if let Some((_, h)) = index
                    .hpas()
                    .find(|(n, h)| *n == ns && h.metadata.name == name)
                {
                    let t = &h.spec.scale_target_ref;
                    if !t.name.is_empty() {
                        out.insert(format!("{ns}/{}/{}", t.kind.to_ascii_lowercase(), t.name));
                    }
                }
            }
            "persistentvolumeclaim" => {
                for p in index.pods_in(ns) {
                    if p.spec.volumes.iter().any(|v| {
                        v.persistent_volume_claim
                            .as_ref()
                            .is_some_and(|c| c.claim_name == name)
                    }) {
                        out.insert(p.object_ref());
                    }
                }
            }
            "validatingwebhookconfiguration" | "mutatingwebhookconfiguration" => {
                let list = if kind == "validatingwebhookconfiguration" {
                    &index.cluster.validating_webhooks
                } else {
                    &index.cluster.mutating_webhooks
                };
                for w in list.iter().flatten().filter(|w| w.metadata.name == name) {
                    for hook in &w.webhooks {
                        if let Some(s) = &hook.client_config.service {
                            out.insert(format!("{}/service/{}", s.namespace, s.name));
                        }
                    }
                }
            }
            "apiservice" => {
                let services = index.cluster_list(|c| &c.api_services);
                for a in services.filter(|a| a.metadata.name == name) {
                    if let Some(s) = &a.spec.service {
                        out.insert(format!("{}/service/{}", s.namespace, s.name));
                    }
                }
            }
            _ => {}
        }
    }
    // A Service named above (a webhook's, an APIService's) depends on its pods too.
    let services: Vec<String> = out
        .iter()
        .filter(|o| o.contains("/service/") && !f.objects.contains(o))
        .cloned()
        .collect();
    for o in services {
        if let Some((ns, name)) = o.split_once("/service/") {
            out.extend(selected_pods(index, ns, name));
        }
    }
    let pods: Vec<String> = out
        .iter()
        .filter(|o| o.contains("/pod/"))
        .cloned()
        .collect();
    for o in pods {
        if let Some((ns, name)) = o.split_once("/pod/") {
            let Some(p) = index.pod(ns, name) else {
                continue;
            };
            if let Some(node) = &p.spec.node_name {
                out.insert(format!("cluster/node/{node}"));
            }
            // A pod depends on its claims, and they on their volumes and attachments.
            for claim in p
                .spec
                .volumes
                .iter()
                .filter_map(|v| v.persistent_volume_claim.as_ref())
            {
                out.insert(format!("{ns}/persistentvolumeclaim/{}", claim.claim_name));
                let pv = index
                    .pvcs()
                    .find(|(n, c)| *n == ns && c.metadata.name == claim.claim_name)
                    .and_then(|(_, c)| c.spec.volume_name.clone());
                if let Some(pv) = pv {
                    out.insert(format!("cluster/persistentvolume/{pv}"));
                    for va in index.cluster_list(|c| &c.volume_attachments).filter(|va| {
                        va.spec.source.persistent_volume_name.as_deref() == Some(pv.as_str())
                    }) {
                        out.insert(format!("cluster/volumeattachment/{}", va.metadata.name));
                    }
                }
            }
        }
    }
    out
}

/// The pods a Service's selector picks.
fn selected_pods(index: &Index, ns: &str, name: &str) -> Vec<String> {
    let selector = index
        .services()
        .find(|(n, s)| *n == ns && s.metadata.name == name)
        .and_then(|(_, s)| s.spec.selector.clone())
        .filter(|s| !s.is_empty());
    match selector {
        Some(sel) => index
            .pods_in(ns)
            .filter(|p| p.matches_labels(&sel))
            .map(|p| p.object_ref())
            .collect(),
        None => Vec::new(),
    }
}

/// True when `meta` names `kind/name` among its owners.
fn owns(meta: &crate::model::ObjectMeta, kind: &str, name: &str) -> bool {
    meta.owner_references
        .iter()
        .any(|r| r.kind == kind && r.name == name)
}

/// True when `kind/name` owns the pod, directly or (a Deployment) through its ReplicaSet
/// `<name>-<hash>`.
fn owned_by(p: &crate::model::Pod, kind: &str, name: &str) -> bool {
    p.metadata.owner_references.iter().any(|r| {
        let k = r.kind.to_ascii_lowercase();
        (k == kind && r.name == name)
            || (kind == "deployment"
                && k == "replicaset"
                && r.name
                    .strip_prefix(name)
                    .and_then(|rest| rest.strip_prefix('-'))
                    .is_some_and(|hash| !hash.is_empty() && !hash.contains('-')))
    }) || (kind == "job" && p.metadata.labels.get("job-name").map(String::as_str) == Some(name))
}

/// Links findings (indices into `findings`): `caused_by[i]` lists the findings that explain
/// finding `i`. An ongoing finding is never explained by one that was over.
pub fn link(findings: &[Finding], catalogue: &Catalogue, index: &Index) -> Vec<Vec<usize>> {
    let explained_by: BTreeMap<&str, &[String]> = catalogue
        .rules
        .iter()
        .map(|r| (r.spec.id.as_str(), r.spec.explained_by.as_slice()))
        .collect();
    let mut caused_by = vec![Vec::new(); findings.len()];
    for (i, s) in findings.iter().enumerate() {
        let Some(causes) = explained_by.get(s.rule.as_str()).filter(|c| !c.is_empty()) else {
            continue;
        };
        let deps = dependencies(s, index);
        for (j, c) in findings.iter().enumerate() {
            if i == j || !causes.contains(&c.rule) {
                continue;
            }
            if s.story.status == Status::Ongoing && c.story.status == Status::Over {
                continue;
            }
            let about: BTreeSet<String> = c
                .objects
                .iter()
                .cloned()
                .chain(c.nodes.iter().map(|n| format!("cluster/node/{n}")))
                .collect();
            if !about.is_disjoint(&deps) {
                caused_by[i].push(j);
            }
        }
    }
    // Two findings that would explain each other explain nothing: keep neither link.
    let pairs: Vec<(usize, usize)> = caused_by
        .iter()
        .enumerate()
        .flat_map(|(i, cs)| cs.iter().map(move |&j| (i, j)))
        .filter(|&(i, j)| caused_by[j].contains(&i))
        .collect();
    for (i, j) in pairs {
        caused_by[i].retain(|&x| x != j);
    }
    caused_by
}

/// The story order: ongoing before over; within each, root causes by severity, each
/// followed depth-first by the findings it explains. Returns indices into `findings`.
pub fn order(findings: &[Finding], caused_by: &[Vec<usize>]) -> Vec<usize> {
    let mut explains: Vec<Vec<usize>> = vec![Vec::new(); findings.len()];
    for (i, cs) in caused_by.iter().enumerate() {
        for &c in cs {
            explains[c].push(i);
        }
    }
    let reach: Vec<usize> = explains.iter().map(Vec::len).collect();
    let rank = |i: &usize| {
        let f = &findings[*i];
        (
            f.story.status == Status::Over,
            std::cmp::Reverse(f.severity),
            std::cmp::Reverse(reach[*i]),
            *i,
        )
    };
    for e in &mut explains {
        e.sort_by_key(rank);
    }
    let mut roots: Vec<usize> = (0..findings.len())
        .filter(|&i| caused_by[i].is_empty())
        .collect();
    roots.sort_by_key(rank);
    let mut seen = vec![false; findings.len()];
    let mut out = Vec::with_capacity(findings.len());
    fn visit(i: usize, explains: &[Vec<usize>], seen: &mut [bool], out: &mut Vec<usize>) {
        if std::mem::replace(&mut seen[i], true) {
            return;
        }
        out.push(i);
        for &s in &explains[i] {
            visit(s, explains, seen, out);
        }
    }
    for r in roots {
        visit(r, &explains, &mut seen, &mut out);
    }
    // Whatever only cycles reach.
    let mut rest: Vec<usize> = (0..findings.len()).filter(|&i| !seen[i]).collect();
    rest.sort_by_key(rank);
    for r in rest {
        visit(r, &explains, &mut seen, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::NamespaceObjects;
    use crate::model::Pod;

    fn finding(rule: &str, objects: &[&str]) -> Finding {
        serde_json::from_value(serde_json::json!({
            "rule": rule, "severity": "critical", "title": rule, "summary": "",
            "objects": objects, "evidence": [], "remediation": [], "references": [],
        }))
        .unwrap()
    }

    fn index() -> Index {
        let pods: Vec<Pod> = serde_json::from_str(
            r#"[{"metadata":{"name":"web-7c9f8d6b5-x2x9q","namespace":"shop","labels":{"app":"web"},
                  "ownerReferences":[{"kind":"ReplicaSet","name":"web-7c9f8d6b5"}]},
                 "spec":{"nodeName":"aks-np-1"},"status":{"phase":"Pending"}},
                {"metadata":{"name":"web-canary-5d4c3b2a1-q8w7e","namespace":"shop","labels":{"app":"web-canary"},
                  "ownerReferences":[{"kind":"ReplicaSet","name":"web-canary-5d4c3b2a1"}]},
                 "spec":{"nodeName":"aks-np-2"},"status":{"phase":"Running"}}]"#,
        )
        .unwrap();
        let services = serde_json::from_str(
            r#"[{"metadata":{"name":"web","namespace":"shop"},"spec":{"selector":{"app":"web"}}}]"#,
        )
        .unwrap();
        let mut index = Index::default();
        index.namespaces.insert(
            "shop".into(),
            NamespaceObjects {
                pods: Some(pods),
                services: Some(services),
                ..Default::default()
            },
        );
        index
    }

    #[test]
    fn a_service_depends_on_its_selected_pods_and_their_nodes() {
        let deps = dependencies(
            &finding("service-no-endpoints", &["shop/service/web"]),
            &index(),
        );
        assert!(deps.contains("shop/pod/web-7c9f8d6b5-x2x9q"));
        assert!(deps.contains("cluster/node/aks-np-1"));
        assert!(!deps.contains("shop/pod/web-canary-5d4c3b2a1-q8w7e"));
    }

    /// The second wave's objects around the first index: a ReplicaSet owned by the `web`
    /// Deployment (named without the hash shape), a claim on the pending pod, its volume
    /// and attachment, a webhook calling the `web` Service.
    fn wider_index() -> Index {
        let mut index = index();
        let shop = index.namespaces.get_mut("shop").unwrap();
        shop.replica_sets = Some(
            serde_json::from_str(
                r#"[{"metadata":{"name":"web-7c9f8d6b5","namespace":"shop",
                     "ownerReferences":[{"kind":"Deployment","name":"web"}]}}]"#,
            )
            .unwrap(),
        );
        let pods = shop.pods.as_mut().unwrap();
        pods[0].spec.volumes = serde_json::from_str(
            r#"[{"name":"data","persistentVolumeClaim":{"claimName":"data-web"}}]"#,
        )
        .unwrap();
        shop.pvcs = Some(
            serde_json::from_str(
                r#"[{"metadata":{"name":"data-web","namespace":"shop"},
                     "spec":{"volumeName":"pvc-1f2e3d4c"},"status":{"phase":"Bound"}}]"#,
            )
            .unwrap(),
        );
        index.cluster.volume_attachments = Some(
            serde_json::from_str(
                r#"[{"metadata":{"name":"csi-9a8b7c"},"spec":{"attacher":"disk.csi.azure.com",
                     "nodeName":"aks-np-1","source":{"persistentVolumeName":"pvc-1f2e3d4c"}},
                     "status":{"attached":false}}]"#,
            )
            .unwrap(),
        );
        index.cluster.validating_webhooks = Some(
            serde_json::from_str(
                r#"[{"metadata":{"name":"shop-policy"},"webhooks":[{"name":"validate.shop.io",
                     "clientConfig":{"service":{"namespace":"shop","name":"web","port":443}}}]}]"#,
            )
            .unwrap(),
        );
        index
    }

    #[test]
    fn a_deployment_depends_on_its_replicasets_their_pods_and_their_volumes() {
        let deps = dependencies(
            &finding("deployment-not-progressing", &["shop/deployment/web"]),
            &wider_index(),
        );
        for o in [
            "shop/replicaset/web-7c9f8d6b5",
            "shop/pod/web-7c9f8d6b5-x2x9q",
            "cluster/node/aks-np-1",
            "shop/persistentvolumeclaim/data-web",
            "cluster/persistentvolume/pvc-1f2e3d4c",
            "cluster/volumeattachment/csi-9a8b7c",
        ] {
            assert!(deps.contains(o), "{o} missing from {deps:?}");
        }
        assert!(!deps.contains("shop/pod/web-canary-5d4c3b2a1-q8w7e"));
    }

    #[test]
    fn a_webhook_depends_on_the_pods_behind_its_service() {
        let deps = dependencies(
            &finding(
                "admission-webhook-unreachable",
                &["cluster/validatingwebhookconfiguration/shop-policy"],
            ),
            &wider_index(),
        );
        assert!(deps.contains("shop/service/web"));
        assert!(deps.contains("shop/pod/web-7c9f8d6b5-x2x9q"));
        assert!(!deps.contains("shop/pod/web-canary-5d4c3b2a1-q8w7e"));
    }

    #[test]
    fn a_claim_depends_on_the_pods_that_mount_it() {
        let deps = dependencies(
            &finding("pvc-pending", &["shop/persistentvolumeclaim/data-web"]),
            &wider_index(),
        );
        assert!(deps.contains("shop/pod/web-7c9f8d6b5-x2x9q"));
        assert!(!deps.contains("shop/pod/web-canary-5d4c3b2a1-q8w7e"));
    }

    #[test]
    fn a_deployment_owns_the_pods_of_its_replicasets_only() {
        // `web` must not take in the pods of `web-canary`, whose ReplicaSet also starts
        // with `web-`.
        let deps = dependencies(&finding("x", &["shop/deployment/web"]), &index());
        assert!(deps.contains("shop/pod/web-7c9f8d6b5-x2x9q"));
        assert!(!deps.contains("shop/pod/web-canary-5d4c3b2a1-q8w7e"));
    }

    #[test]
    fn causes_link_only_where_the_rule_allows_and_objects_meet() {
        let (cat, _) = Catalogue::builtin();
        let findings = vec![
            finding("service-no-endpoints", &["shop/service/web"]),
            finding("kv-nmi-token-error", &["shop/pod/web-7c9f8d6b5-x2x9q"]),
            // Same rule kind, another pod: explains nothing here.
            finding(
                "image-pull-unauthorized",
                &["shop/pod/web-canary-5d4c3b2a1-q8w7e"],
            ),
            // About the right pod, but not a diagnosis the Service rule names.
            finding("service-port-mismatch", &["shop/pod/web-7c9f8d6b5-x2x9q"]),
        ];
        let links = link(&findings, &cat, &index());
        assert_eq!(links, vec![vec![1], vec![], vec![], vec![]]);
        // The root cause leads, its symptom follows it.
        assert_eq!(order(&findings, &links)[..2], [1, 0]);
    }

    #[test]
    fn an_ongoing_symptom_is_never_explained_by_an_over_cause() {
        let (cat, _) = Catalogue::builtin();
        let mut findings = vec![
            finding("service-no-endpoints", &["shop/service/web"]),
            finding("kv-nmi-token-error", &["shop/pod/web-7c9f8d6b5-x2x9q"]),
        ];
        findings[1].story.status = Status::Over;
        assert_eq!(
            link(&findings, &cat, &index()),
            vec![Vec::<usize>::new(), vec![]]
        );
    }
}
