//! Ongoing or over: a finding is over when every object it names is healthy at collection
//! time (a pod Running and Ready or Succeeded, a node Ready, a Service with ready endpoints,
//! a Job complete) and its last signal is older than the quiet window before the
//! collection. An over finding keeps its diagnosis and evidence, shows as `info`, and never
//! reaches `--fail-on`. Start-up noise of control-plane components is judged the same way,
//! by data: their pods are healthy now and the noise has stopped.

use crate::finding::{Finding, Severity, Status};
use crate::index::Index;
use crate::time::seconds;

/// What the bundle says about one object at collection time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Healthy,
    Unhealthy,
    /// The object, or the file that would hold it, is not in the bundle.
    Unknown,
}

/// The health of `<namespace>/<kind>/<name>` at collection time.
pub fn health(index: &Index, object: &str) -> Health {
    let mut parts = object.splitn(3, '/');
    let (Some(ns), Some(kind), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
        return Health::Unknown;
    };
    let judge = |ok: bool| {
        if ok {
            Health::Healthy
        } else {
            Health::Unhealthy
        }
    };
    match kind {
        "pod" => match index.pod(ns, name) {
            Some(p) => judge(
                (p.is_running() && p.is_ready()) || p.status.phase.as_deref() == Some("Succeeded"),
            ),
            None => Health::Unknown,
        },
        "node" => match index.node(name).and_then(|n| n.ready_condition()) {
            Some(c) => judge(c.status == "True"),
            None => Health::Unknown,
        },
        "service" => {
            // A LoadBalancer Service is not healthy until Azure gave it an address.
            let pending_lb = index
                .services()
                .find(|(n, s)| *n == ns && s.metadata.name == name)
                .is_some_and(|(_, s)| {
                    s.spec.type_.as_deref() == Some("LoadBalancer")
                        && s.status.load_balancer.ingress.is_empty()
                });
            match index.endpoints(ns, name) {
                _ if pending_lb => Health::Unhealthy,
                Some(e) => judge(e.ready_count() > 0),
                None => Health::Unknown,
            }
        }
        "job" => match index
            .jobs()
            .find(|(n, j)| *n == ns && j.metadata.name == name)
        {
            Some((_, j)) => judge(
                j.status.succeeded.unwrap_or(0) > 0
                    || j.status
                        .conditions
                        .iter()
                        .any(|c| c.type_ == "Complete" && c.status == "True"),
            ),
            None => Health::Unknown,
        },
        "deployment" | "replicaset" | "statefulset" | "daemonset" => {
            let list = match kind {
                "deployment" => index
                    .deployments()
                    .find(|(n, d)| *n == ns && d.metadata.name == name),
                "replicaset" => index
                    .replica_sets()
                    .find(|(n, d)| *n == ns && d.metadata.name == name),
                "statefulset" => index
                    .stateful_sets()
                    .find(|(n, d)| *n == ns && d.metadata.name == name),
                _ => index
                    .daemon_sets()
                    .find(|(n, d)| *n == ns && d.metadata.name == name),
            };
            match list {
                Some((_, w)) => judge(workload_healthy(kind, w)),
                None => Health::Unknown,
            }
        }
        "persistentvolumeclaim" => match index
            .pvcs()
            .find(|(n, c)| *n == ns && c.metadata.name == name)
        {
            Some((_, c)) => judge(c.status.phase.as_deref() == Some("Bound")),
            None => Health::Unknown,
        },
        "persistentvolume" => match index
            .cluster_list(|c| &c.persistent_volumes)
            .find(|v| v.metadata.name == name)
        {
            Some(v) => judge(matches!(
                v.status.phase.as_deref(),
                Some("Bound" | "Available")
            )),
            None => Health::Unknown,
        },
        "volumeattachment" => match index
            .cluster_list(|c| &c.volume_attachments)
            .find(|v| v.metadata.name == name)
        {
            Some(v) => judge(v.status.attached && v.status.attach_error.is_none()),
            None => Health::Unknown,
        },
        "namespace" => match index
            .cluster_list(|c| &c.namespaces)
            .find(|n| n.metadata.name == name)
        {
            Some(n) => judge(
                n.metadata.deletion_timestamp.is_none()
                    && n.status.phase.as_deref() != Some("Terminating"),
            ),
            None => Health::Unknown,
        },
        "apiservice" => match index
            .cluster_list(|c| &c.api_services)
            .find(|a| a.metadata.name == name)
            .and_then(|a| a.status.conditions.iter().find(|c| c.type_ == "Available"))
        {
            Some(c) => judge(c.status == "True"),
            None => Health::Unknown,
        },
        "horizontalpodautoscaler" => match index
            .hpas()
            .find(|(n, h)| *n == ns && h.metadata.name == name)
        {
            Some((_, h)) if !h.status.conditions.is_empty() => {
                judge(!h.status.conditions.iter().any(|c| {
                    matches!(c.type_.as_str(), "AbleToScale" | "ScalingActive")
                        && c.status == "False"
                }))
            }
            _ => Health::Unknown,
        },
        "poddisruptionbudget" => match index
            .pdbs()
            .find(|(n, p)| *n == ns && p.metadata.name == name)
            .and_then(|(_, p)| p.status.disruptions_allowed)
        {
            Some(allowed) => judge(allowed > 0),
            None => Health::Unknown,
        },
        _ => Health::Unknown,
    }
}

/// A workload controller is healthy when it has all the ready replicas it asks for and
/// reports no failure (a Deployment past its progress deadline, a ReplicaSet that cannot
/// create pods).
fn workload_healthy(kind: &str, w: &crate::model::Workload) -> bool {
    let failed = w.status.conditions.iter().any(|c| {
        (c.type_ == "ReplicaFailure" && c.status == "True")
            || (c.type_ == "Progressing" && c.status == "False")
            || (c.type_ == "Available" && c.status == "False")
    });
    if failed {
        return false;
    }
    if kind == "daemonset" {
        let desired = w.status.desired_number_scheduled.unwrap_or(0);
        return w.status.number_unavailable.unwrap_or(0) == 0
            && w.status.number_ready.unwrap_or(0) >= desired;
    }
    let ready = if kind == "deployment" {
        w.status.available_replicas
    } else {
        w.status.ready_replicas
    };
    ready.unwrap_or(0) >= w.desired()
}

/// Judges each finding ongoing or over. Without a collection time nothing can be over.
pub fn judge(
    findings: &mut [Finding],
    index: &Index,
    collected_at: Option<&str>,
    quiet_window_seconds: i64,
) {
    let Some(now) = collected_at.and_then(seconds) else {
        return;
    };
    for f in findings.iter_mut() {
        if is_over(f, index, now, quiet_window_seconds) {
            f.story.status = Status::Over;
            if f.severity != Severity::Info {
                f.story.rule_severity = Some(f.severity);
                f.severity = Severity::Info;
            }
        }
    }
}

fn is_over(f: &Finding, index: &Index, now: i64, quiet: i64) -> bool {
    // A finding that names nothing (the cluster, the collection) cannot be seen healthy.
    if f.objects.is_empty() {
        return false;
    }
    let Some(last) = f.last_seen.as_deref().and_then(seconds) else {
        return false;
    };
    if last > now - quiet {
        return false;
    }
    f.objects
        .iter()
        .all(|o| health(index, o) == Health::Healthy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::NamespaceObjects;

    fn index() -> Index {
        let pods = serde_json::from_str(
            r#"[{"metadata":{"name":"ready","namespace":"ns"},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}},
                {"metadata":{"name":"unready","namespace":"ns"},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"False"}]}},
                {"metadata":{"name":"done","namespace":"ns"},"status":{"phase":"Succeeded"}}]"#,
        )
        .unwrap();
        let endpoints = serde_json::from_str(
            r#"[{"metadata":{"name":"svc","namespace":"ns"},"subsets":[{"addresses":[{"ip":"10.244.0.9"}]}]}]"#,
        )
        .unwrap();
        let mut index = Index::default();
        index.namespaces.insert(
            "ns".into(),
            NamespaceObjects {
                pods: Some(pods),
                endpoints: Some(endpoints),
                ..Default::default()
            },
        );
        index
    }

    fn finding(objects: &[&str], last: &str) -> Finding {
        serde_json::from_value(serde_json::json!({
            "rule": "r", "severity": "critical", "title": "", "summary": "", "objects": objects,
            "evidence": [], "remediation": [], "references": [],
            "first_seen": last, "last_seen": last,
        }))
        .unwrap()
    }

    #[test]
    fn a_load_balancer_service_without_an_address_is_unhealthy() {
        let mut i = index();
        i.namespaces.get_mut("ns").unwrap().services = Some(
            serde_json::from_str(
                r#"[{"metadata":{"name":"svc","namespace":"ns"},"spec":{"type":"LoadBalancer"},"status":{"loadBalancer":{}}},
                    {"metadata":{"name":"lb","namespace":"ns"},"spec":{"type":"LoadBalancer"},"status":{"loadBalancer":{"ingress":[{"ip":"20.61.14.201"}]}}}]"#,
            )
            .unwrap(),
        );
        // svc has ready endpoints, yet no address: still unhealthy.
        assert_eq!(health(&i, "ns/service/svc"), Health::Unhealthy);
        // lb has an address but no Endpoints object: unknown, as before.
        assert_eq!(health(&i, "ns/service/lb"), Health::Unknown);
    }

    #[test]
    fn health_of_the_second_wave_kinds() {
        let mut i = index();
        let ns = i.namespaces.get_mut("ns").unwrap();
        ns.deployments = Some(
            serde_json::from_str(
                r#"[{"metadata":{"name":"short","namespace":"ns"},"spec":{"replicas":3},
                     "status":{"replicas":3,"availableReplicas":2,"conditions":[{"type":"Progressing","status":"True"}]}},
                    {"metadata":{"name":"full","namespace":"ns"},"spec":{"replicas":2},
                     "status":{"replicas":2,"availableReplicas":2,"conditions":[{"type":"Available","status":"True"}]}},
                    {"metadata":{"name":"stuck","namespace":"ns"},"spec":{"replicas":1},
                     "status":{"availableReplicas":1,"conditions":[{"type":"Progressing","status":"False","reason":"ProgressDeadlineExceeded"}]}}]"#,
            )
            .unwrap(),
        );
        ns.daemon_sets = Some(
            serde_json::from_str(
                r#"[{"metadata":{"name":"agent","namespace":"ns"},"status":{"desiredNumberScheduled":3,"numberReady":3,"numberUnavailable":0}}]"#,
            )
            .unwrap(),
        );
        ns.pvcs = Some(
            serde_json::from_str(
                r#"[{"metadata":{"name":"bound","namespace":"ns"},"status":{"phase":"Bound"}},
                    {"metadata":{"name":"waiting","namespace":"ns"},"status":{"phase":"Pending"}}]"#,
            )
            .unwrap(),
        );
        i.cluster.namespaces = Some(
            serde_json::from_str(
                r#"[{"metadata":{"name":"old","deletionTimestamp":"2026-11-28T10:00:00Z"},"status":{"phase":"Terminating"}},
                    {"metadata":{"name":"ns"},"status":{"phase":"Active"}}]"#,
            )
            .unwrap(),
        );
        i.cluster.api_services = Some(
            serde_json::from_str(
                r#"[{"metadata":{"name":"v1beta1.metrics.k8s.io"},"status":{"conditions":[{"type":"Available","status":"False","reason":"FailedDiscoveryCheck"}]}}]"#,
            )
            .unwrap(),
        );
        assert_eq!(health(&i, "ns/deployment/short"), Health::Unhealthy);
        assert_eq!(health(&i, "ns/deployment/full"), Health::Healthy);
        assert_eq!(health(&i, "ns/deployment/stuck"), Health::Unhealthy);
        assert_eq!(health(&i, "ns/deployment/absent"), Health::Unknown);
        assert_eq!(health(&i, "ns/daemonset/agent"), Health::Healthy);
        assert_eq!(
            health(&i, "ns/persistentvolumeclaim/bound"),
            Health::Healthy
        );
        assert_eq!(
            health(&i, "ns/persistentvolumeclaim/waiting"),
            Health::Unhealthy
        );
        assert_eq!(health(&i, "cluster/namespace/old"), Health::Unhealthy);
        assert_eq!(health(&i, "cluster/namespace/ns"), Health::Healthy);
        assert_eq!(
            health(&i, "cluster/apiservice/v1beta1.metrics.k8s.io"),
            Health::Unhealthy
        );
        assert_eq!(health(&i, "cluster/volumeattachment/none"), Health::Unknown);
    }

    #[test]
    fn health_of_each_kind() {
        let i = index();
        assert_eq!(health(&i, "ns/pod/ready"), Health::Healthy);
        assert_eq!(health(&i, "ns/pod/done"), Health::Healthy);
        assert_eq!(health(&i, "ns/pod/unready"), Health::Unhealthy);
        assert_eq!(health(&i, "ns/pod/gone"), Health::Unknown);
        assert_eq!(health(&i, "ns/service/svc"), Health::Healthy);
        assert_eq!(health(&i, "cluster/node/n1"), Health::Unknown);
        assert_eq!(health(&i, "garbage"), Health::Unknown);
    }

    #[test]
    fn over_needs_healthy_objects_and_a_quiet_window() {
        let i = index();
        let mut fs = vec![
            finding(&["ns/pod/ready", "ns/service/svc"], "2026-11-22T03:40:00Z"),
            // Quiet for 5 minutes only.
            finding(&["ns/pod/ready"], "2026-11-22T03:55:00Z"),
            finding(&["ns/pod/ready", "ns/pod/unready"], "2026-11-22T03:00:00Z"),
            // Nothing named: the bundle cannot say it is healthy.
            finding(&[], "2026-11-22T03:00:00Z"),
        ];
        judge(&mut fs, &i, Some("2026-11-22T04:00:00Z"), 600);
        let got: Vec<(Status, Severity)> =
            fs.iter().map(|f| (f.story.status, f.severity)).collect();
        assert_eq!(
            got,
            vec![
                (Status::Over, Severity::Info),
                (Status::Ongoing, Severity::Critical),
                (Status::Ongoing, Severity::Critical),
                (Status::Ongoing, Severity::Critical),
            ]
        );
        assert_eq!(fs[0].story.rule_severity, Some(Severity::Critical));
        // Without a collection time nothing is over.
        let mut fs = vec![finding(&["ns/pod/ready"], "2026-11-22T03:00:00Z")];
        judge(&mut fs, &i, None, 600);
        assert_eq!(fs[0].story.status, Status::Ongoing);
    }
}
