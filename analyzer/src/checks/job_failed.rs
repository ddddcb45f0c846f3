//! Jobs that failed for good: the `Failed` condition (`BackoffLimitExceeded`,
//! `DeadlineExceeded`, a pod failure policy), or the job controller's event saying so when
//! the Job itself is gone. The finding shows the job's status, its pods with their nodes
//! and container states, and the error-level lines of their logs the reading pass kept. A
//! failed run of a CronJob whose later run succeeded is history, not a diagnosis. The
//! Service Connector's `sc-job` is `sc-job-failed`'s, which supersedes this rule for it.

use std::collections::{BTreeMap, BTreeSet};

use crate::engine::{cut, Hit, Inputs};
use crate::finding::Evidence;
use crate::model::{Job, Pod};

use super::sc_job_failed::{pods_table, status_text};

/// Log lines shown per job.
const MAX_LINES: usize = 12;

fn failed_condition(job: &Job) -> Option<&crate::model::Condition> {
    job.status
        .conditions
        .iter()
        .find(|c| c.type_ == "Failed" && c.status == "True")
}

fn succeeded(job: &Job) -> bool {
    job.status.succeeded.unwrap_or(0) > 0
        || job
            .status
            .conditions
            .iter()
            .any(|c| c.type_ == "Complete" && c.status == "True")
}

fn cron_job_of(job: &Job) -> Option<&str> {
    job.metadata
        .owner_references
        .iter()
        .find(|o| o.kind == "CronJob")
        .map(|o| o.name.as_str())
}

/// True when a later run of the same CronJob completed: the failure is history.
fn superseded_by_later_run(job: &Job, jobs: &[Job]) -> bool {
    let Some(cron) = cron_job_of(job) else {
        return false;
    };
    let created = job.metadata.creation_timestamp.as_deref().unwrap_or("");
    jobs.iter().any(|other| {
        cron_job_of(other) == Some(cron)
            && other.metadata.creation_timestamp.as_deref().unwrap_or("") > created
            && succeeded(other)
    })
}

fn is_pod_of(p: &Pod, job: &str) -> bool {
    p.metadata
        .owner_references
        .iter()
        .any(|o| o.kind == "Job" && o.name == job)
        || p.metadata.labels.get("job-name").map(String::as_str) == Some(job)
        || p.metadata
            .labels
            .get("batch.kubernetes.io/job-name")
            .map(String::as_str)
            == Some(job)
}

/// The hits of one failed Job: the job, then each of its pods on its node.
fn job_hits(inputs: &Inputs, ns: &str, job: &Job) -> Vec<Hit> {
    let name = job.metadata.name.as_str();
    let pods: Vec<&Pod> = inputs
        .index
        .pods_in(ns)
        .filter(|p| is_pod_of(p, name))
        .collect();
    let pod_names: BTreeSet<&str> = pods.iter().map(|p| p.metadata.name.as_str()).collect();
    let mut lines: Vec<Evidence> = inputs
        .scan
        .context
        .iter()
        .filter(|c| {
            c.file.namespace.as_deref() == Some(ns)
                && c.file.pod.as_deref().is_some_and(|p| pod_names.contains(p))
        })
        .map(|c| inputs.context_evidence(c))
        .collect();
    lines.sort_by(|a, b| a.file.cmp(&b.file).then(a.line.cmp(&b.line)));
    lines.truncate(MAX_LINES);

    let status = status_text(job);
    let object = format!("{ns}/job/{name}");
    let nodes: BTreeSet<String> = pods
        .iter()
        .filter_map(|p| p.spec.node_name.clone())
        .collect();
    let mut facts = BTreeMap::new();
    facts.insert("namespace".to_string(), ns.to_string());
    facts.insert("name".to_string(), name.to_string());
    facts.insert("job".to_string(), name.to_string());
    facts.insert("kind".to_string(), "job".to_string());
    facts.insert("status".to_string(), status.clone());
    facts.insert(
        "failed".to_string(),
        job.status.failed.unwrap_or(0).to_string(),
    );
    if let Some(c) = failed_condition(job) {
        if let Some(r) = &c.reason {
            facts.insert("condition_reason".to_string(), r.clone());
        }
        if let Some(m) = &c.message {
            facts.insert("condition_message".to_string(), m.clone());
        }
    }
    if let Some(cron) = cron_job_of(job) {
        facts.insert("cronjob".to_string(), cron.to_string());
    }
    if let Some(p) = pods.first() {
        facts.insert("pod".to_string(), p.metadata.name.clone());
        facts.insert(
            "job_pods".to_string(),
            pod_names.iter().copied().collect::<Vec<_>>().join(", "),
        );
    }
    facts.insert("log_lines".to_string(), lines.len().to_string());
    let table = pods_table(&pods);
    let when = failed_condition(job)
        .and_then(|c| c.last_transition_time.as_deref())
        .map(|t| inputs.time(t));
    let mut signal = Evidence::of_object(
        inputs.object_file(ns, "jobs.json"),
        cut(&format!("job {name}: {status}")),
        Some(object.clone()),
    );
    signal.first_seen = when.clone();
    signal.last_seen = when;
    let mut evidence = vec![signal];
    evidence.extend(lines);
    let mut out = vec![Hit {
        weak_object: false,
        object: Some(object),
        node: nodes.iter().next().cloned(),
        facts,
        evidence,
        table,
    }];
    for p in &pods {
        out.push(Hit {
            object: Some(p.object_ref()),
            node: p.spec.node_name.clone(),
            facts: BTreeMap::from([
                ("job".to_string(), name.to_string()),
                ("namespace".to_string(), ns.to_string()),
            ]),
            ..Hit::default()
        });
    }
    out
}

/// The `job_failed` check. Matcher hits are the job controller's events
/// (`BackoffLimitExceeded`, `DeadlineExceeded`): they count for Jobs the bundle no
/// longer holds, and for Jobs it holds they add their times to the Job's finding.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let mut out = Vec::new();
    let mut known: BTreeSet<String> = BTreeSet::new();
    let mut history: BTreeSet<String> = BTreeSet::new();
    for (ns, objs) in &inputs.index.namespaces {
        let Some(jobs) = &objs.jobs else { continue };
        for job in jobs {
            let object = format!("{ns}/job/{}", job.metadata.name);
            known.insert(object.clone());
            if failed_condition(job).is_none() {
                continue;
            }
            if superseded_by_later_run(job, jobs) {
                history.insert(object);
                continue;
            }
            out.extend(job_hits(inputs, ns, job));
        }
    }
    for mut h in hits {
        let Some(object) = h.object.clone() else {
            continue;
        };
        if history.contains(&object) {
            continue;
        }
        if known.contains(&object)
            && !out
                .iter()
                .any(|o| o.object.as_deref() == Some(object.as_str()))
        {
            // The Job is in the bundle and has no Failed condition (it was re-run).
            continue;
        }
        h.facts.insert(
            "job".into(),
            h.facts.get("name").cloned().unwrap_or_default(),
        );
        let reason = h.facts.get("reason").cloned().unwrap_or_default();
        h.facts.entry("condition_reason".into()).or_insert(reason);
        out.push(h);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jobs(json: &str) -> Vec<Job> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn a_later_successful_run_makes_a_failure_history() {
        let js = jobs(
            r#"[{"metadata":{"name":"r-1","creationTimestamp":"2026-11-22T01:00:00Z","ownerReferences":[{"kind":"CronJob","name":"r"}]},
                 "status":{"failed":7,"conditions":[{"type":"Failed","status":"True","reason":"BackoffLimitExceeded"}]}},
                {"metadata":{"name":"r-2","creationTimestamp":"2026-11-22T02:00:00Z","ownerReferences":[{"kind":"CronJob","name":"r"}]},
                 "status":{"succeeded":1,"conditions":[{"type":"Complete","status":"True"}]}},
                {"metadata":{"name":"once","creationTimestamp":"2026-11-22T01:00:00Z"},
                 "status":{"failed":1,"conditions":[{"type":"Failed","status":"True","reason":"DeadlineExceeded"}]}}]"#,
        );
        assert!(superseded_by_later_run(&js[0], &js));
        assert!(!superseded_by_later_run(&js[2], &js));
        assert!(failed_condition(&js[2]).is_some());
        assert!(failed_condition(&js[1]).is_none());
    }
}
