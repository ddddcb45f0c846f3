//! HorizontalPodAutoscalers that cannot read their metrics. The HPA controller's events
//! (`FailedGetResourceMetric`, `FailedComputeMetricsReplicas`, ...) say why: the metrics API
//! is missing or down (`the server could not find the requested resource (get
//! pods.metrics.k8s.io)`, `the server is currently unable to handle the request`), it returns
//! nothing for the pods (`no metrics returned from resource metrics API`, `did not receive
//! metrics for targeted pods (pods might be unready)`), a target container has no request
//! for the resource (`missing request for cpu in container app of Pod web-...`), or a custom
//! or external metrics API fails.
//!
//! Right after a rollout or a metrics-server restart these messages come for a few minutes
//! and stop, so an HPA is reported only when its failures last (at least [`LASTING`] between
//! the first and the last) and are still coming at collection time (the last within
//! [`RECENT`]); a missing request never heals by itself and needs only to be recent.
//!
//! When the metrics API itself fails, the APIService `v1beta1.metrics.k8s.io` and the
//! metrics-server pods are shown as context, so a finding about them explains this one.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::engine::{Hit, Inputs};
use crate::finding::Evidence;
use crate::model::{Condition, HorizontalPodAutoscaler};

/// Failures must span this long (seconds) to be more than a rollout's blip.
const LASTING: i64 = 10 * 60;
/// ... and the last one must be this recent (seconds before collection).
const RECENT: i64 = 10 * 60;

const METRICS_APISERVICE: &str = "cluster/apiservice/v1beta1.metrics.k8s.io";

/// The `hpa_metrics` check.
pub fn check(inputs: &Inputs, _rule: usize, hits: Vec<Hit>) -> Vec<Hit> {
    let now = inputs
        .index
        .manifest
        .as_ref()
        .and_then(|m| m.collected_at.as_deref())
        .and_then(crate::time::seconds);
    let mut per_hpa: BTreeMap<String, Vec<Hit>> = BTreeMap::new();
    for h in hits {
        if let Some(o) = h.object.clone() {
            per_hpa.entry(o).or_default().push(h);
        }
    }
    // HPAs failing in their ScalingActive condition whose events have expired.
    for (ns, hpa) in inputs.index.hpas() {
        let object = format!("{ns}/horizontalpodautoscaler/{}", hpa.metadata.name);
        if per_hpa.contains_key(&object) {
            continue;
        }
        if let Some(h) = condition_hit(inputs, ns, hpa, &object) {
            per_hpa.insert(object, vec![h]);
        }
    }
    let mut out = Vec::new();
    for (_, mut hs) in per_hpa {
        let (first, last) = span(&hs);
        hs.sort_by_key(|h| std::cmp::Reverse(last_of(h)));
        let mut h = hs.remove(0);
        for older in hs {
            for (k, v) in older.facts {
                if k.starts_with("cause_") {
                    h.facts.entry(k).or_insert(v);
                }
            }
            h.evidence.extend(older.evidence);
        }
        let message = h.facts.get("message").cloned().unwrap_or_default();
        let cause = classify(&message, &mut h.facts);
        let recent = match (now, last) {
            (Some(n), Some(l)) => n - l <= RECENT,
            (None, _) => true,
            (Some(_), None) => false,
        };
        let lasting = match (first, last) {
            (Some(f), Some(l)) => l - f >= LASTING,
            _ => false,
        };
        // The HPA as collected: failing in its condition outweighs the events' times;
        // scaling again means the failures are past.
        let ns = h.facts.get("namespace").cloned().unwrap_or_default();
        let name = h.facts.get("name").cloned().unwrap_or_default();
        let hpa = inputs
            .index
            .hpas()
            .find(|(n, x)| *n == ns && x.metadata.name == name)
            .map(|(_, x)| x);
        let condition = hpa.and_then(scaling_active);
        if condition.is_some_and(|c| c.status == "True") {
            continue;
        }
        let failing_now = condition.is_some_and(|c| c.status == "False");
        if !failing_now && (!recent || !(lasting || cause == "missing_request")) {
            continue;
        }
        if let Some(x) = hpa {
            let t = &x.spec.scale_target_ref;
            if !t.name.is_empty() {
                h.facts
                    .insert("target_kind".into(), t.kind.to_ascii_lowercase());
                h.facts.insert("target_name".into(), t.name.clone());
            }
            if let Some(c) = condition.filter(|_| failing_now) {
                h.facts.insert(
                    "condition".into(),
                    format!("ScalingActive=False {}", c.reason.as_deref().unwrap_or("")),
                );
            }
        }
        if let Some(name) = h.facts.get("name").cloned() {
            h.facts.insert("hpa".into(), name);
        }
        if matches!(cause, "metrics_api" | "no_metrics") {
            h.evidence.extend(metrics_context(inputs, &h));
        }
        out.push(h);
    }
    out
}

fn scaling_active(h: &HorizontalPodAutoscaler) -> Option<&Condition> {
    h.status
        .conditions
        .iter()
        .find(|c| c.type_ == "ScalingActive")
}

/// A hit from an HPA's `ScalingActive=False` condition with a metrics reason
/// (`FailedGetResourceMetric`, ...), outside RBAC's family.
fn condition_hit(
    inputs: &Inputs,
    ns: &str,
    hpa: &HorizontalPodAutoscaler,
    object: &str,
) -> Option<Hit> {
    let c = scaling_active(hpa).filter(|c| c.status == "False")?;
    let reason = c.reason.as_deref().unwrap_or("");
    let message = c.message.as_deref().unwrap_or("");
    if !(reason.starts_with("FailedGet") && reason.ends_with("Metric"))
        || message.contains("is forbidden")
    {
        return None;
    }
    let name = hpa.metadata.name.clone();
    let mut facts = BTreeMap::new();
    facts.insert("namespace".into(), ns.to_string());
    facts.insert("name".into(), name);
    facts.insert("kind".into(), "horizontalpodautoscaler".into());
    facts.insert("reason".into(), reason.to_string());
    facts.insert("message".into(), message.to_string());
    let when = c.last_transition_time.as_deref().map(|t| inputs.time(t));
    Some(Hit {
        object: Some(object.to_string()),
        node: None,
        facts,
        evidence: vec![Evidence {
            file: inputs.object_file(ns, "horizontalpodautoscalers.json"),
            line: None,
            excerpt: crate::engine::cut(&format!("ScalingActive=False {reason}: {message}")),
            count: 1,
            first_seen: when.clone(),
            last_seen: when,
            object: Some(object.to_string()),
            role: "signal".into(),
        }],
        table: None,
        weak_object: false,
    })
}

fn last_of(h: &Hit) -> Option<i64> {
    h.evidence
        .iter()
        .filter_map(|e| e.last_seen.as_deref().and_then(crate::time::seconds))
        .max()
}

/// First and last failure of one HPA, over all its events.
fn span(hs: &[Hit]) -> (Option<i64>, Option<i64>) {
    let times = |f: fn(&Evidence) -> Option<&String>| {
        hs.iter()
            .flat_map(|h| h.evidence.iter())
            .filter_map(move |e| f(e).and_then(|t| crate::time::seconds(t)))
    };
    (
        times(|e| e.first_seen.as_ref()).min(),
        times(|e| e.last_seen.as_ref()).max(),
    )
}

/// The cause of one message, recorded as `cause` and `cause_<kind>` facts.
fn classify(message: &str, facts: &mut BTreeMap<String, String>) -> &'static str {
    static MISSING: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)missing request for (?P<resource>cpu|memory)(?: in container (?P<container>[a-z0-9-]+) of Pod (?P<target_pod>[a-z0-9.-]+))?").unwrap()
    });
    static RESOURCE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)failed to get (?P<resource>cpu|memory) (?:utilization|resource metric)")
            .unwrap()
    });
    let m = message.to_ascii_lowercase();
    let cause = if let Some(c) = MISSING.captures(message) {
        for n in ["resource", "container", "target_pod"] {
            if let Some(v) = c.name(n) {
                let v = v.as_str();
                let v = if n == "resource" {
                    v.to_ascii_lowercase()
                } else {
                    v.to_string()
                };
                facts.insert(n.into(), v);
            }
        }
        "missing_request"
    } else if m.contains("custom metrics api") || m.contains("external metrics api") {
        "custom_api"
    } else if m.contains("no metrics returned") || m.contains("did not receive metrics") {
        "no_metrics"
    } else {
        "metrics_api"
    };
    if let Some(c) = RESOURCE.captures(message) {
        facts
            .entry("resource".into())
            .or_insert_with(|| c["resource"].to_ascii_lowercase());
    }
    facts.insert("cause".into(), cause.replace('_', " "));
    facts.insert(format!("cause_{cause}"), "true".into());
    cause
}

/// The metrics API behind the failure: the APIService and the metrics-server pods.
fn metrics_context(inputs: &Inputs, h: &Hit) -> Vec<Evidence> {
    let mut out = Vec::new();
    if let Some(signal) = h.evidence.first() {
        // Its own line: evidence with the signal's text would merge into the signal.
        out.push(Evidence {
            excerpt: format!(
                "APIService v1beta1.metrics.k8s.io serves what failed: {}",
                signal.excerpt
            ),
            count: 1,
            object: Some(METRICS_APISERVICE.into()),
            role: "context".into(),
            ..signal.clone()
        });
    }
    for p in inputs.index.pods_in("kube-system") {
        let is_metrics_server = p.metadata.labels.get("k8s-app").map(String::as_str)
            == Some("metrics-server")
            || p.metadata.name.starts_with("metrics-server-");
        if !is_metrics_server {
            continue;
        }
        let phase = p.status.phase.as_deref().unwrap_or("Unknown");
        let ready = if p.is_ready() { "ready" } else { "not ready" };
        let restarts: i64 = p.all_statuses().map(|s| s.restart_count).sum();
        out.push(Evidence {
            file: inputs.object_file("kube-system", "pods.json"),
            line: None,
            excerpt: format!(
                "metrics-server pod {}: {phase}, {ready}, {restarts} restart(s)",
                p.metadata.name
            ),
            count: 1,
            first_seen: None,
            last_seen: None,
            object: Some(p.object_ref()),
            role: "context".into(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cause(message: &str) -> (&'static str, BTreeMap<String, String>) {
        let mut f = BTreeMap::new();
        let c = classify(message, &mut f);
        (c, f)
    }

    #[test]
    fn a_missing_metrics_api_in_the_condition_and_event_wordings() {
        // NatLabRockies/openstudio-server-helm#4, kubernetes/kubernetes#102017.
        let (c, f) = cause("the HPA was unable to compute the replica count: unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)");
        assert_eq!(c, "metrics_api");
        assert_eq!(f["cause"], "metrics api");
        let (c, f) = cause("failed to get memory utilization: unable to get metrics for resource memory: unable to fetch metrics from resource metrics API: the server is currently unable to handle the request (get pods.metrics.k8s.io)");
        assert_eq!(c, "metrics_api");
        assert_eq!(f["resource"], "memory");
    }

    #[test]
    fn unready_pods_and_empty_answers_are_no_metrics() {
        // kubernetes-sigs/metrics-server#1641, bentoml/yatai-deployment#73.
        assert_eq!(cause("invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: failed to get cpu utilization: did not receive metrics for targeted pods (pods might be unready)").0, "no_metrics");
        assert_eq!(cause("failed to get cpu utilization: unable to get metrics for resource cpu: no metrics returned from resource metrics API").0, "no_metrics");
    }

    #[test]
    fn a_missing_request_names_the_container_and_pod() {
        let (c, f) = cause("failed to get CPU utilization: missing request for CPU in container app of Pod web-7d4b9c6f8d-q7x2m");
        assert_eq!(c, "missing_request");
        assert_eq!(f["container"], "app");
        assert_eq!(f["target_pod"], "web-7d4b9c6f8d-q7x2m");
        assert_eq!(f["resource"], "cpu");
    }
}
