//! Event messages, filtered by reason and involved object kind.

use std::collections::BTreeMap;

use crate::engine::{Hit, Inputs};
use crate::finding::Evidence;

use super::pod_ok_with;

/// Hits of event matchers, as `(rule index, hit)`.
pub fn hits(ctx: &Inputs) -> Vec<(usize, Hit)> {
    let mut out = Vec::new();
    if ctx.catalogue.compiled().events.is_empty() {
        return out;
    }
    for (ns, ev) in ctx.index.events() {
        let kind = ev.involved_object.kind.as_deref().unwrap_or("");
        let obj_ns = ev.involved_object.namespace.as_deref().unwrap_or(ns);
        let name = ev.involved_object.name.as_deref().unwrap_or("");
        let pod = if kind == "Pod" {
            ctx.index.pod(obj_ns, name)
        } else {
            None
        };
        let at = At {
            file: ctx.object_file(ns, "events.json"),
            line: None,
            pod,
        };
        out.extend(event_hits(ctx, ns, ev, &at));
    }
    out
}

/// Where an event was read: its file and line, and its pod object when the event is
/// about a pod the bundle (or the paste) describes.
pub struct At<'p> {
    pub file: String,
    pub line: Option<u64>,
    pub pod: Option<&'p crate::model::Pod>,
}

/// Hits of one event (`ns`: the namespace of the file it was read from).
pub fn event_hits(ctx: &Inputs, ns: &str, ev: &crate::model::Event, at: &At) -> Vec<(usize, Hit)> {
    let set = &ctx.catalogue.compiled().events;
    let mut out = Vec::new();
    let message = ev.message.as_deref().unwrap_or("");
    let reason = ev.reason.as_deref().unwrap_or("");
    for (o, m, caps) in set.matches(ctx.catalogue, message) {
        if !m.spec.reasons.is_empty() && !m.spec.reasons.iter().any(|r| r == reason) {
            continue;
        }
        let kind = ev.involved_object.kind.as_deref().unwrap_or("");
        if !m.spec.kinds.is_empty() && !m.spec.kinds.iter().any(|k| k == kind) {
            continue;
        }
        let obj_ns = ev.involved_object.namespace.as_deref().unwrap_or(ns);
        let name = ev.involved_object.name.as_deref().unwrap_or("");
        if m.spec.pods.is_some()
            && (kind != "Pod"
                || !pod_ok_with(
                    m.spec.pods.as_ref(),
                    m.pod_name.as_ref(),
                    at.pod,
                    obj_ns,
                    name,
                ))
        {
            continue;
        }
        let node = at
            .pod
            .and_then(|p| p.spec.node_name.clone())
            .or_else(|| ev.source.host.clone());
        let mut facts: BTreeMap<String, String> = caps;
        facts.insert("namespace".into(), obj_ns.to_string());
        facts.insert("name".into(), name.to_string());
        facts.insert("kind".into(), kind.to_ascii_lowercase());
        facts.insert("reason".into(), reason.to_string());
        facts.insert("message".into(), message.to_string());
        if kind == "Pod" {
            facts.insert("pod".into(), name.to_string());
        }
        if let Some(n) = &node {
            facts.insert("node".into(), n.clone());
        }
        let object = ev.object_ref(ns);
        out.push((
            o.rule,
            Hit {
                weak_object: false,
                object: Some(object.clone()),
                node,
                facts,
                evidence: vec![Evidence {
                    file: at.file.clone(),
                    line: at.line,
                    excerpt: crate::engine::cut(&format!("{reason}: {message}")),
                    count: ev.occurrences(),
                    first_seen: ev.first_seen().map(|t| ctx.time(t)),
                    last_seen: ev.last_seen().map(|t| ctx.time(t)),
                    object: Some(object),
                    role: "signal".into(),
                }],
                table: None,
            },
        ));
    }
    out
}
