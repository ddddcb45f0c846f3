//! Container states in pod status: waiting and terminated (current and last), matched on
//! their message and filtered by their reason.

use std::collections::BTreeMap;

use crate::engine::{Hit, Inputs};
use crate::finding::Evidence;
use crate::model::StateDetail;

use super::pod_ok_with;

/// Hits of container-status matchers, as `(rule index, hit)`.
pub fn hits(ctx: &Inputs) -> Vec<(usize, Hit)> {
    let set = &ctx.catalogue.compiled().statuses;
    let mut out = Vec::new();
    if set.is_empty() {
        return out;
    }
    for pod in ctx.index.pods() {
        let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
        let file = ctx.object_file(ns, "pods.json");
        out.extend(pod_hits(ctx, pod, &file, |_| None));
    }
    out
}

/// Hits of one pod's container states; `line_of` gives the line a container's state was
/// read from (for a pasted describe).
pub fn pod_hits(
    ctx: &Inputs,
    pod: &crate::model::Pod,
    file: &str,
    line_of: impl Fn(&str) -> Option<u64>,
) -> Vec<(usize, Hit)> {
    let set = &ctx.catalogue.compiled().statuses;
    let mut out = Vec::new();
    let ns = pod.metadata.namespace.as_deref().unwrap_or("default");
    {
        for cs in pod.all_statuses() {
            let states: [(&str, Option<&StateDetail>); 3] = [
                ("waiting", cs.state.waiting.as_ref()),
                ("terminated", cs.state.terminated.as_ref()),
                ("last terminated", cs.last_state.terminated.as_ref()),
            ];
            for (which, st) in states {
                let Some(st) = st else { continue };
                let reason = st.reason.as_deref().unwrap_or("");
                let message = st.message.as_deref().unwrap_or("");
                for (o, m, caps) in set.matches(ctx.catalogue, message) {
                    if !m.spec.reasons.is_empty() && !m.spec.reasons.iter().any(|r| r == reason) {
                        continue;
                    }
                    if !pod_ok_with(
                        m.spec.pods.as_ref(),
                        m.pod_name.as_ref(),
                        Some(pod),
                        ns,
                        &pod.metadata.name,
                    ) {
                        continue;
                    }
                    let image = cs
                        .image
                        .clone()
                        .filter(|i| !i.is_empty())
                        .or_else(|| {
                            pod.all_containers()
                                .find(|c| c.name == cs.name)
                                .map(|c| c.image.clone())
                        })
                        .unwrap_or_default();
                    let mut facts: BTreeMap<String, String> = caps;
                    facts.insert("namespace".into(), ns.to_string());
                    facts.insert("pod".into(), pod.metadata.name.clone());
                    facts.insert("name".into(), pod.metadata.name.clone());
                    facts.insert("kind".into(), "pod".into());
                    facts.insert("container".into(), cs.name.clone());
                    facts.insert("reason".into(), reason.to_string());
                    facts.insert("message".into(), message.to_string());
                    facts.insert("image".into(), image);
                    facts.insert("restarts".into(), cs.restart_count.to_string());
                    facts.insert("state".into(), which.to_string());
                    if let Some(code) = cs
                        .last_state
                        .terminated
                        .as_ref()
                        .and_then(|t| t.exit_code)
                        .or(st.exit_code)
                    {
                        facts.insert("exit_code".into(), code.to_string());
                    }
                    if let Some(r) = cs
                        .last_state
                        .terminated
                        .as_ref()
                        .and_then(|t| t.reason.clone())
                    {
                        facts.insert("last_reason".into(), r);
                    }
                    let node = pod.spec.node_name.clone();
                    if let Some(n) = &node {
                        facts.insert("node".into(), n.clone());
                    }
                    let object = pod.object_ref();
                    let text = if message.is_empty() {
                        reason.to_string()
                    } else {
                        format!("{reason}: {message}")
                    };
                    let when = st
                        .finished_at
                        .as_deref()
                        .or(st.started_at.as_deref())
                        .map(|t| ctx.time(t));
                    out.push((
                        o.rule,
                        Hit {
                            weak_object: false,
                            object: Some(object.clone()),
                            node,
                            facts,
                            evidence: vec![Evidence {
                                file: file.to_string(),
                                line: line_of(&cs.name),
                                excerpt: crate::engine::cut(&format!(
                                    "container {} {which}: {text}",
                                    cs.name
                                )),
                                count: 1,
                                first_seen: when.clone(),
                                last_seen: when,
                                object: Some(object),
                                role: "signal".into(),
                            }],
                            table: None,
                        },
                    ));
                }
            }
        }
    }
    out
}
