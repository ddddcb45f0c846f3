//! A failed `sc-job` Job in sc-system. The job deletes itself on success, so finding it
//! with failed pods or a `Failed` condition is the sign. The finding shows the job's
//! status, its pods with their nodes and container states, and the error-level lines of
//! the pods' logs that the reading pass kept (`sc-` pods are context pods of the scan).
//!
//! When `jobs.json` does not hold the job (not collected, a foreign layout, only pasted
//! text), the job controller's event about it (`BackoffLimitExceeded`, `DeadlineExceeded`:
//! events.json or the Events table of a pasted `kubectl describe job`) or Helm's
//! `job failed: BackoffLimitExceeded` inside the extension's error say the same, and become
//! the finding instead.

use std::collections::BTreeSet;

use crate::engine::{cut, Hit, Inputs};
use crate::finding::{Evidence, Table};
use crate::model::{Job, Pod};

const NAMESPACE: &str = "sc-system";
const JOB: &str = "sc-job";
/// Log lines shown per finding.
const MAX_LINES: usize = 16;

fn failed(job: &Job) -> bool {
    job.status.failed.unwrap_or(0) > 0
        || job
            .status
            .conditions
            .iter()
            .any(|c| c.type_ == "Failed" && c.status == "True")
}

/// Pods of the job: owned by it, labelled `job-name`, or named after it.
fn is_job_pod(p: &Pod) -> bool {
    p.metadata
        .owner_references
        .iter()
        .any(|o| o.kind == "Job" && o.name == JOB)
        || p.metadata.labels.get("job-name").map(String::as_str) == Some(JOB)
        || p.metadata
            .labels
            .get("batch.kubernetes.io/job-name")
            .map(String::as_str)
            == Some(JOB)
}

fn is_job_pod_name(name: &str) -> bool {
    name.strip_prefix("sc-job-")
        .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// A container's state in a few words: `Error (exit 1)`, `Running`, `ContainerCreating`.
fn state_of(p: &Pod) -> String {
    let mut parts = Vec::new();
    for cs in p.all_statuses() {
        let s = if let Some(t) = &cs.state.terminated {
            format!(
                "{}: {}{}",
                cs.name,
                t.reason.as_deref().unwrap_or("Terminated"),
                t.exit_code
                    .map(|c| format!(" (exit {c})"))
                    .unwrap_or_default()
            )
        } else if let Some(w) = &cs.state.waiting {
            format!("{}: {}", cs.name, w.reason.as_deref().unwrap_or("Waiting"))
        } else if cs.state.running.is_some() {
            format!("{}: Running", cs.name)
        } else {
            continue;
        };
        parts.push(s);
    }
    if parts.is_empty() {
        p.status.reason.clone().unwrap_or_else(|| "-".into())
    } else {
        parts.join("; ")
    }
}

pub(super) fn status_text(job: &Job) -> String {
    let s = &job.status;
    let mut text = format!(
        "active={} succeeded={} failed={}",
        s.active.unwrap_or(0),
        s.succeeded.unwrap_or(0),
        s.failed.unwrap_or(0)
    );
    for c in &s.conditions {
        if c.status == "True" {
            text.push_str(&format!(
                "; {}: {}{}",
                c.type_,
                c.reason.as_deref().unwrap_or(""),
                c.message
                    .as_deref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default()
            ));
        }
    }
    text
}

/// True when a text hit is about the job: an event of `sc-system/job/sc-job`, or Helm's
/// `job failed: <reason>` in pasted text or the extension agent's log (those matchers
/// capture the reason and require Service Connector context on the line).
fn about_the_job(h: &Hit) -> bool {
    match h.facts.get("kind").map(String::as_str) {
        Some("job") => {
            h.facts.get("namespace").map(String::as_str) == Some(NAMESPACE)
                && h.facts.get("name").map(String::as_str) == Some(JOB)
        }
        Some(_) => false,
        None => h.facts.contains_key("condition_reason"),
    }
}

/// Findings from text alone, when the bundle does not hold the job: one hit per line,
/// all on the job's object.
fn from_text(inputs: &Inputs, hits: Vec<Hit>) -> Vec<Hit> {
    let object = format!("{NAMESPACE}/job/{JOB}");
    let context: Vec<Evidence> = inputs
        .scan
        .context
        .iter()
        .filter(|c| {
            c.file.namespace.as_deref() == Some(NAMESPACE)
                && c.file.pod.as_deref().is_some_and(is_job_pod_name)
        })
        .map(|c| inputs.context_evidence(c))
        .take(MAX_LINES)
        .collect();
    hits.into_iter()
        .filter(about_the_job)
        .map(|mut h| {
            let reason = h
                .facts
                .get("condition_reason")
                .or_else(|| h.facts.get("reason"))
                .cloned()
                .unwrap_or_else(|| "Failed".into());
            let message = h.facts.get("message").cloned();
            h.facts.insert("namespace".into(), NAMESPACE.into());
            h.facts.insert("name".into(), JOB.into());
            h.facts.insert("kind".into(), "job".into());
            h.facts.insert("condition_reason".into(), reason.clone());
            let status = match &message {
                Some(m) if !m.is_empty() => format!("Failed: {reason} ({m})"),
                _ => format!("Failed: {reason}"),
            };
            h.facts.insert("status".into(), status);
            if let Some(m) = message {
                h.facts.insert("condition_message".into(), m);
            }
            h.object = Some(object.clone());
            h.weak_object = false;
            h.evidence.extend(context.iter().cloned());
            h
        })
        .collect()
}

/// The `sc_job_failed` check. With the job in `jobs.json`, its status decides and the text
/// hits that are log lines of its pods become context; without it, the text hits about the
/// job are the findings.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let Some(job) = inputs
        .index
        .namespaces
        .get(NAMESPACE)
        .and_then(|n| n.jobs.as_ref())
        .and_then(|jobs| jobs.iter().find(|j| j.metadata.name == JOB))
    else {
        return from_text(inputs, hits);
    };
    if !failed(job) {
        return Vec::new();
    }
    let pods: Vec<&Pod> = inputs
        .index
        .pods_in(NAMESPACE)
        .filter(|p| is_job_pod(p))
        .collect();
    let pod_names: BTreeSet<&str> = pods.iter().map(|p| p.metadata.name.as_str()).collect();
    let belongs = |pod: &str| pod_names.contains(pod) || is_job_pod_name(pod);

    // Log lines: any matcher's lines, then the error-level context lines of the same pods.
    let mut lines: Vec<Evidence> = Vec::new();
    let mut seen: BTreeSet<(String, Option<u64>)> = BTreeSet::new();
    for h in &hits {
        if !h.facts.get("pod").is_some_and(|p| belongs(p)) {
            continue;
        }
        for e in &h.evidence {
            if seen.insert((e.file.clone(), e.line)) {
                let mut e = e.clone();
                e.role = "context".into();
                lines.push(e);
            }
        }
    }
    for c in &inputs.scan.context {
        let (Some(ns), Some(pod)) = (&c.file.namespace, &c.file.pod) else {
            continue;
        };
        if ns != NAMESPACE || !belongs(pod) {
            continue;
        }
        if seen.insert((c.file.file.clone(), Some(c.line))) {
            lines.push(inputs.context_evidence(c));
        }
    }
    lines.sort_by(|a, b| a.file.cmp(&b.file).then(a.line.cmp(&b.line)));
    lines.truncate(MAX_LINES);

    let status = status_text(job);
    let object = format!("{NAMESPACE}/job/{JOB}");
    let nodes: BTreeSet<String> = pods
        .iter()
        .filter_map(|p| p.spec.node_name.clone())
        .collect();
    let mut facts = std::collections::BTreeMap::new();
    facts.insert("namespace".to_string(), NAMESPACE.to_string());
    facts.insert("name".to_string(), JOB.to_string());
    facts.insert("kind".to_string(), "job".to_string());
    facts.insert("status".to_string(), status.clone());
    facts.insert(
        "failed".to_string(),
        job.status.failed.unwrap_or(0).to_string(),
    );
    if let Some(c) = job
        .status
        .conditions
        .iter()
        .find(|c| c.type_ == "Failed" && c.status == "True")
    {
        if let Some(r) = &c.reason {
            facts.insert("condition_reason".to_string(), r.clone());
        }
        if let Some(m) = &c.message {
            facts.insert("condition_message".to_string(), m.clone());
        }
    }
    if !pods.is_empty() {
        facts.insert(
            "job_pods".to_string(),
            pod_names.iter().copied().collect::<Vec<_>>().join(", "),
        );
    }
    facts.insert("log_lines".to_string(), lines.len().to_string());
    if let Some(n) = nodes.iter().next() {
        facts.insert("node".to_string(), n.clone());
    }
    let table = pods_table(&pods);
    let mut evidence = vec![Evidence::of_object(
        inputs.object_file(NAMESPACE, "jobs.json"),
        cut(&format!("job {JOB}: {status}")),
        Some(object.clone()),
    )];
    evidence.extend(lines);
    let mut out = vec![Hit {
        weak_object: false,
        object: Some(object),
        node: nodes.iter().next().cloned(),
        facts,
        evidence,
        table,
    }];
    // Each pod is an object of the finding too, on its node.
    for p in &pods {
        out.push(Hit {
            object: Some(p.object_ref()),
            node: p.spec.node_name.clone(),
            ..Hit::default()
        });
    }
    out
}

/// The pods of a Job as a table: name, node, phase and each container's state.
pub(super) fn pods_table(pods: &[&crate::model::Pod]) -> Option<Table> {
    (!pods.is_empty()).then(|| Table {
        columns: ["pod", "node", "phase", "containers"]
            .iter()
            .map(|c| c.to_string())
            .collect(),
        rows: pods
            .iter()
            .map(|p| {
                vec![
                    p.metadata.name.clone(),
                    p.spec.node_name.clone().unwrap_or_else(|| "-".into()),
                    p.status.phase.clone().unwrap_or_else(|| "-".into()),
                    state_of(p),
                ]
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::{Index, NamespaceObjects};
    use crate::rules::Catalogue;
    use crate::scan::ScanResults;

    fn run(jobs: &str, pods: &str) -> Vec<Hit> {
        let mut index = Index::default();
        let ns = NamespaceObjects {
            jobs: Some(
                serde_json::from_str::<crate::model::List<Job>>(jobs)
                    .unwrap()
                    .items,
            ),
            pods: Some(
                serde_json::from_str::<crate::model::List<Pod>>(pods)
                    .unwrap()
                    .items,
            ),
            ..Default::default()
        };
        index.namespaces.insert(NAMESPACE.into(), ns);
        let scan = ScanResults::default();
        let cat = Catalogue::default();
        let inputs = Inputs {
            index: &index,
            scan: &scan,
            catalogue: &cat,
            line_origins: &[],
            clock: crate::time::Clock::of("2026-11-22T04:00:00Z"),
        };
        check(&inputs, 0, Vec::new())
    }

    const POD: &str = r#"{"items":[{"metadata":{"name":"sc-job-x7k2p","namespace":"sc-system","labels":{"job-name":"sc-job"}},
        "spec":{"nodeName":"aks-nodepool1-1-vmss000000"},
        "status":{"phase":"Failed","containerStatuses":[{"name":"sc-job","state":{"terminated":{"reason":"Error","exitCode":1}}}]}}]}"#;

    #[test]
    fn failed_job_is_a_hit_with_its_pods() {
        let hits = run(
            r#"{"items":[{"metadata":{"name":"sc-job","namespace":"sc-system"},
                "status":{"failed":6,"conditions":[{"type":"Failed","status":"True","reason":"BackoffLimitExceeded","message":"Job has reached the specified backoff limit"}]}}]}"#,
            POD,
        );
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].object.as_deref(), Some("sc-system/job/sc-job"));
        assert_eq!(hits[0].facts["condition_reason"], "BackoffLimitExceeded");
        assert_eq!(hits[1].node.as_deref(), Some("aks-nodepool1-1-vmss000000"));
        let t = hits[0].table.as_ref().unwrap();
        assert_eq!(t.rows[0][3], "sc-job: Error (exit 1)");
    }

    #[test]
    fn running_job_is_not_a_hit() {
        assert!(run(
            r#"{"items":[{"metadata":{"name":"sc-job","namespace":"sc-system"},"status":{"active":1}}]}"#,
            POD
        )
        .is_empty());
        assert!(run(
            r#"{"items":[{"metadata":{"name":"other-job","namespace":"sc-system"},"status":{"failed":1}}]}"#,
            POD
        )
        .is_empty());
    }

    fn text_hit(facts: &[(&str, &str)]) -> Hit {
        Hit {
            facts: facts
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Hit::default()
        }
    }

    fn run_without_jobs(hits: Vec<Hit>) -> Vec<Hit> {
        let index = Index::default();
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

    #[test]
    fn without_jobs_json_the_job_event_is_the_finding() {
        let hits = run_without_jobs(vec![
            text_hit(&[
                ("kind", "job"),
                ("namespace", "sc-system"),
                ("name", "sc-job"),
                ("reason", "BackoffLimitExceeded"),
                ("message", "Job has reached the specified backoff limit"),
            ]),
            text_hit(&[
                ("kind", "job"),
                ("namespace", "shop"),
                ("name", "db-migrate-29123"),
                ("reason", "BackoffLimitExceeded"),
            ]),
        ]);
        assert_eq!(hits.len(), 1, "only sc-system/sc-job counts");
        assert_eq!(hits[0].object.as_deref(), Some("sc-system/job/sc-job"));
        assert_eq!(
            hits[0].facts["status"],
            "Failed: BackoffLimitExceeded (Job has reached the specified backoff limit)"
        );
    }

    #[test]
    fn without_jobs_json_helm_hook_error_is_the_finding() {
        let hits = run_without_jobs(vec![text_hit(&[
            ("file", "attachments/status.json"),
            ("condition_reason", "DeadlineExceeded"),
        ])]);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].facts["status"], "Failed: DeadlineExceeded");
        assert_eq!(hits[0].object.as_deref(), Some("sc-system/job/sc-job"));
    }

    #[test]
    fn a_running_job_in_jobs_json_outweighs_an_old_event() {
        let event = text_hit(&[
            ("kind", "job"),
            ("namespace", "sc-system"),
            ("name", "sc-job"),
            ("reason", "BackoffLimitExceeded"),
        ]);
        let mut index = Index::default();
        index.namespaces.insert(
            NAMESPACE.into(),
            NamespaceObjects {
                jobs: Some(
                    serde_json::from_str::<crate::model::List<Job>>(
                        r#"{"items":[{"metadata":{"name":"sc-job","namespace":"sc-system"},"status":{"active":1}}]}"#,
                    )
                    .unwrap()
                    .items,
                ),
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
        assert!(check(&inputs, 0, vec![event]).is_empty());
    }

    #[test]
    fn pod_names_of_the_job() {
        assert!(is_job_pod_name("sc-job-x7k2p"));
        assert!(!is_job_pod_name("sc-jobber"));
        assert!(!is_job_pod_name("sc-job-"));
    }
}
