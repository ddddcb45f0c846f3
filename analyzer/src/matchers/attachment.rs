//! Text the user attached (az CLI output, portal errors, pasted kubectl output).
//!
//! Its lines are matched by the `source: attachment` patterns in the streaming pass. Then
//! each attachment's structure (see [`crate::paste`]) lets the other sources' rules read
//! it too: a pasted describe block's events go to the event matchers and its container
//! states to the container-status matchers, as the described object's; a `kubectl logs`
//! paste goes to the log matchers as the named pod's log; loose lines go to the log
//! matchers with no object; az CLI errors spread over several lines go to the attachment
//! matchers joined as one line.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::LazyLock;

use crate::engine::{Hit, Inputs};
use crate::finding::Evidence;
use crate::paste::{Paste, PastedLog};
use crate::rules::spec::Source;
use crate::scan::TextSource;

use super::{event, pod_ok_with, status, SourceSet};

/// Hits of attachment matchers and of every rule on pasted text, as `(rule index, hit)`.
pub fn hits(ctx: &Inputs) -> Vec<(usize, Hit)> {
    let mut out = super::log::text_hits(ctx, TextSource::Attachment);
    if ctx.index.pastes.is_empty() {
        return out;
    }
    // The pass read a terminal-wrapped line in pieces: its hits there are of fragments
    // (a pod name cut in two); the joined line is read below.
    out.retain(|(_, h)| {
        h.evidence.first().is_none_or(|e| {
            !ctx.index.pastes.iter().any(|p| {
                p.file == e.file
                    && e.line
                        .is_some_and(|l| p.wrapped.iter().any(|(r, _)| r.contains(&l)))
            })
        })
    });
    for (_, hit) in out.iter_mut() {
        let paste = hit
            .evidence
            .first()
            .and_then(|e| ctx.index.pastes.iter().find(|p| p.file == e.file));
        if let (None, Some(p)) = (&hit.object, paste) {
            place(hit, p);
        }
    }
    let sets = ctx.catalogue.paste_sets();
    let pasted_logs: Vec<(usize, Hit)> = ctx
        .index
        .pastes
        .iter()
        .flat_map(|paste| {
            paste
                .logs
                .iter()
                .flat_map(|log| log_hits(ctx, &sets.logs, paste, log))
        })
        .collect();
    // A line of a `kubectl logs` paste is about the pod the paste names: its hit wins over
    // the pass's hit of the same rule and line, which knows no pod.
    let owned: HashSet<(usize, String, u64)> = pasted_logs
        .iter()
        .filter(|(_, h)| h.object.is_some())
        .filter_map(|(r, h)| key(*r, h))
        .collect();
    out.retain(|(r, h)| h.object.is_some() || key(*r, h).is_none_or(|k| !owned.contains(&k)));
    // Lines the pass gave a rule: a rule reading both attachments and logs sees a line once.
    let mut seen: HashSet<(usize, String, u64)> =
        out.iter().filter_map(|(r, h)| key(*r, h)).collect();
    for (rule, hit) in pasted_logs {
        if remember(&mut seen, rule, &hit) {
            out.push((rule, hit));
        }
    }
    // A pasted events row is an event of its object: its hit wins over the pass's hit of
    // the same rule and line (one row is one piece of evidence).
    let pasted_events: Vec<(usize, Hit)> = ctx
        .index
        .pastes
        .iter()
        .flat_map(|paste| events(ctx, paste))
        .collect();
    let rows: HashSet<(usize, String, u64)> = pasted_events
        .iter()
        .filter_map(|(r, h)| key(*r, h))
        .collect();
    out.retain(|(r, h)| key(*r, h).is_none_or(|k| !rows.contains(&k)));
    seen.extend(rows);
    out.extend(pasted_events);
    for paste in &ctx.index.pastes {
        out.extend(statuses(ctx, paste));
        // Logical lines the pass did not see whole, each with the lines whose hit of a rule
        // makes it redundant: an az CLI error joined from its lines (the pass may have
        // matched the message's own line), a line the terminal wrapped (none: the pass's
        // hits of its pieces were dropped), and a message wrapped over several lines (a
        // rule that read one of them alone has it already).
        let joined = paste
            .cli_errors
            .iter()
            .map(|e| (e.line, e.text(), Some(e.message_line..=e.message_line)))
            .chain(
                paste
                    .wrapped
                    .iter()
                    .map(|(lines, text)| (*lines.start(), text.clone(), None)),
            )
            .chain(
                paragraphs(paste)
                    .into_iter()
                    .map(|(lines, text)| (*lines.start(), text, Some(lines))),
            );
        for (line, text, already) in joined {
            for (o, _, caps) in sets.attachments.matches(ctx.catalogue, &text) {
                if already
                    .clone()
                    .into_iter()
                    .flatten()
                    .any(|l| seen.contains(&(o.rule, paste.file.clone(), l)))
                {
                    continue;
                }
                let hit = loose_hit(ctx, paste, line, &text, caps);
                if remember(&mut seen, o.rule, &hit) {
                    out.push((o.rule, hit));
                }
            }
        }
    }
    out
}

/// The namespace of a `kubectl logs` paste's pod: the command's `-n`, else the one
/// namespace of the bundle that has a pod of that name, else `default`.
fn namespace_of(ctx: &Inputs, log: &PastedLog, pod: &str) -> String {
    if let Some(ns) = &log.namespace {
        return ns.clone();
    }
    let mut found = ctx
        .index
        .namespaces
        .keys()
        .filter(|ns| ctx.index.pod(ns, pod).is_some());
    match (found.next(), found.next()) {
        (Some(ns), None) => ns.clone(),
        _ => "default".into(),
    }
}

/// Lines of at most this many make a paragraph read as one message.
const MAX_PARAGRAPH_LINES: usize = 8;
const MAX_PARAGRAPH_BYTES: usize = 4096;

/// Runs of two or more adjacent loose lines of a paste, each joined with spaces into one
/// logical line: a message the terminal or the ticket system wrapped (the new Azure SDK's
/// `GET ... RESPONSE 404 ... ERROR CODE: ...` block, a long event message). A line that
/// starts a record of its own starts a new run.
fn paragraphs(paste: &Paste) -> Vec<(std::ops::RangeInclusive<u64>, String)> {
    let mut out = Vec::new();
    // The last physical line of a logical line a terminal wrapped over several.
    let ends: HashMap<u64, u64> = paste
        .wrapped
        .iter()
        .map(|(r, _)| (*r.start(), *r.end()))
        .collect();
    let last_line = |n: u64| ends.get(&n).copied().unwrap_or(n);
    for log in paste.logs.iter().filter(|l| l.pod.is_none()) {
        let mut run: Vec<&(u64, String)> = Vec::new();
        let mut flush = |run: &mut Vec<&(u64, String)>| {
            if run.len() >= 2 {
                let text: Vec<&str> = run.iter().map(|(_, t)| t.trim()).collect();
                let text = text.join(" ");
                if text.len() <= MAX_PARAGRAPH_BYTES {
                    out.push((run[0].0..=run[run.len() - 1].0, text));
                }
            }
            run.clear();
        };
        for entry in &log.lines {
            let adjacent = run
                .last()
                .is_some_and(|(n, _)| last_line(*n) + 1 == entry.0);
            if !adjacent
                || crate::paste::RECORD.is_match(entry.1.trim_start())
                || run.len() == MAX_PARAGRAPH_LINES
            {
                flush(&mut run);
            }
            run.push(entry);
        }
        flush(&mut run);
    }
    out
}

/// A hit's rule, file and first line.
fn key(rule: usize, hit: &Hit) -> Option<(usize, String, u64)> {
    let e = hit.evidence.first()?;
    Some((rule, e.file.clone(), e.line?))
}

/// Records a hit's first line for a rule; false when the rule already has that line.
fn remember(seen: &mut HashSet<(usize, String, u64)>, rule: usize, hit: &Hit) -> bool {
    match hit.evidence.first() {
        Some(e) => seen.insert((rule, e.file.clone(), e.line.unwrap_or(0))),
        None => true,
    }
}

/// The log and attachment patterns, compiled once per catalogue for pasted text.
#[derive(Debug, Clone)]
pub struct PasteSets {
    pub logs: SourceSet,
    pub attachments: SourceSet,
}

impl PasteSets {
    pub fn new(catalogue: &crate::rules::Catalogue) -> PasteSets {
        PasteSets {
            logs: SourceSet::new(catalogue, Source::Log),
            attachments: SourceSet::new(catalogue, Source::Attachment),
        }
    }
}

/// The pod a pasted event or log is about: the paste's own description of it, else the
/// bundle's pod object.
fn pod_of<'a>(
    ctx: &'a Inputs,
    paste: &'a Paste,
    ns: &str,
    name: &str,
) -> Option<&'a crate::model::Pod> {
    paste
        .objects
        .iter()
        .filter_map(|o| o.pod.as_ref())
        .find(|p| p.metadata.name == name && p.metadata.namespace.as_deref() == Some(ns))
        .or_else(|| ctx.index.pod(ns, name))
}

fn events(ctx: &Inputs, paste: &Paste) -> Vec<(usize, Hit)> {
    let mut out = Vec::new();
    for (line, ev) in &paste.events {
        let o = &ev.involved_object;
        if o.name.is_none() {
            continue;
        }
        let ns = o.namespace.as_deref().unwrap_or("default");
        let pod = if o.kind.as_deref() == Some("Pod") {
            pod_of(ctx, paste, ns, o.name.as_deref().unwrap_or(""))
        } else {
            None
        };
        let at = event::At {
            file: paste.file.clone(),
            line: Some(*line),
            pod,
        };
        out.extend(event::event_hits(ctx, ns, ev, &at));
    }
    out
}

fn statuses(ctx: &Inputs, paste: &Paste) -> Vec<(usize, Hit)> {
    let mut out = Vec::new();
    for o in &paste.objects {
        let Some(pod) = &o.pod else { continue };
        out.extend(status::pod_hits(ctx, pod, &paste.file, |c| {
            o.state_lines.get(c).copied()
        }));
    }
    out
}

/// Rule, matcher, object and captured values: what makes pasted lines one hit.
type LineKey = (usize, usize, Option<String>, Vec<(String, String)>);

/// Hits of log matchers on one pasted log, aggregated per rule, matcher, object and
/// captured values (a line repeated a thousand times is one hit counted a thousand times).
fn log_hits(ctx: &Inputs, set: &SourceSet, paste: &Paste, log: &PastedLog) -> Vec<(usize, Hit)> {
    let mut agg: BTreeMap<LineKey, (usize, Hit)> = BTreeMap::new();
    if set.is_empty() {
        return Vec::new();
    }
    for (line, text) in &log.lines {
        for (o, m, caps) in set.matches(ctx.catalogue, text) {
            let namespace = log.pod.as_deref().map(|pod| namespace_of(ctx, log, pod));
            let named = match (&namespace, &log.pod) {
                (Some(ns), Some(pod)) => {
                    let object = pod_of(ctx, paste, ns, pod);
                    if !pod_ok_with(m.spec.pods.as_ref(), m.pod_name.as_ref(), object, ns, pod) {
                        continue;
                    }
                    Some((ns.clone(), pod.clone()))
                }
                // A component's log matcher needs the paste to name the component's pod:
                // loose text may be anyone's (a Terraform run, another product's CLI).
                _ if m.spec.pods.is_some() => continue,
                _ => None,
            };
            let mut caps = caps;
            // An add-on's line about another pod concerns that pod.
            let about = m
                .spec
                .about
                .and_then(|_| crate::scan::klog_pod(text.as_bytes()));
            if let Some((tns, tpod)) = &about {
                caps.insert("target_namespace".into(), tns.clone());
                caps.insert("target_pod".into(), tpod.clone());
            }
            let key_caps: Vec<(String, String)> =
                caps.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            let subject = about.clone().or(named.clone());
            let key = (
                o.rule,
                o.matcher,
                subject.as_ref().map(|(n, p)| format!("{n}/{p}")),
                key_caps,
            );
            if let Some((_, hit)) = agg.get_mut(&key) {
                if let Some(e) = hit.evidence.first_mut() {
                    e.count += 1;
                }
                continue;
            }
            let mut hit = loose_hit(ctx, paste, *line, text, caps);
            if let Some((ns, pod)) = subject {
                name_pod(ctx, paste, &mut hit, &ns, &pod);
                if let Some((_, src)) = &named {
                    if about.is_some() {
                        hit.facts.insert("source_pod".into(), src.clone());
                    }
                }
            }
            if let Some(c) = &log.container {
                hit.facts.insert("container".into(), c.clone());
            }
            // An add-on line that should name its pod but does not only vouches for the
            // add-on pod that printed it.
            hit.weak_object = m.spec.about.is_some() && about.is_none();
            agg.insert(key, (o.rule, hit));
        }
    }
    agg.into_values().collect()
}

/// A hit of a pasted line that names no object: it is about the node the file was
/// collected from, or else about the cluster, and says it came from a paste.
fn loose_hit(
    ctx: &Inputs,
    paste: &Paste,
    line: u64,
    text: &str,
    caps: BTreeMap<String, String>,
) -> Hit {
    let mut facts = caps;
    facts.insert("file".into(), paste.file.clone());
    facts.insert("message".into(), text.to_string());
    let ts = line_time(text).map(|t| ctx.time(&t));
    let mut hit = Hit {
        object: None,
        node: None,
        facts,
        evidence: vec![Evidence {
            first_seen: ts.clone(),
            last_seen: ts,
            ..Evidence::of_line(paste.file.clone(), line, crate::engine::cut(text), None)
        }],
        table: None,
        weak_object: false,
    };
    place(&mut hit, paste);
    // A line that names the pod it is about (`failed to mount ... for pod ns/name`)
    // concerns that pod, as the pass's hits do.
    let target = (
        hit.facts.get("target_namespace").cloned(),
        hit.facts.get("target_pod").cloned(),
    );
    if let (Some(ns), Some(pod)) = target {
        name_pod(ctx, paste, &mut hit, &ns, &pod);
    }
    hit
}

/// Makes pod `ns/name` the object of a hit read from a paste: its facts, its node (as the
/// paste or the bundle describes the pod), its evidence's object.
fn name_pod(ctx: &Inputs, paste: &Paste, hit: &mut Hit, ns: &str, pod: &str) {
    let object = format!("{ns}/pod/{pod}");
    let node = pod_of(ctx, paste, ns, pod).and_then(|p| p.spec.node_name.clone());
    hit.facts.remove("scope");
    if paste.node.is_some() {
        hit.facts.remove("node");
    }
    hit.facts.insert("namespace".into(), ns.to_string());
    hit.facts.insert("pod".into(), pod.to_string());
    hit.facts.insert("name".into(), pod.to_string());
    hit.facts.insert("kind".into(), "pod".into());
    if let Some(n) = &node {
        hit.facts.insert("node".into(), n.clone());
    }
    hit.node = node;
    hit.evidence[0].object = Some(object.clone());
    hit.object = Some(object);
}

/// A hit without an object from a paste: on the node its file was collected from, or
/// cluster-scoped with a `scope` fact the report shows.
fn place(hit: &mut Hit, paste: &Paste) {
    match &paste.node {
        Some(n) => {
            hit.node = Some(n.clone());
            hit.facts.insert("node".into(), n.clone());
        }
        None => {
            hit.facts
                .insert("scope".into(), "pasted text that names no object".into());
        }
    }
}

/// klog's header time (`E1122 04:00:01.123456`).
static KLOG_TIME: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r"^[IWEF](?P<t>\d{4} \d\d:\d\d:\d\d(?:\.\d+)?) ").expect("static regex")
});

/// The time a pasted log line starts with: a `--timestamps` prefix or a klog header.
fn line_time(text: &str) -> Option<String> {
    let (ts, rest) = crate::scan::split_timestamp(text.as_bytes());
    ts.or_else(|| {
        let rest = std::str::from_utf8(rest).ok()?;
        KLOG_TIME.captures(rest).map(|c| c["t"].to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A message the ticket wrapped is one run; log records, blank lines and an events
    /// table are not joined to it.
    #[test]
    fn wrapped_lines_make_one_paragraph_and_records_stay_apart() {
        let text = "\
The pods fail to mount since the rotation:
MountVolume.SetUp failed for volume \"secrets-store-inline\" : rpc error: code = Unknown desc = failed to mount secrets store objects for pod shop/web-1, err: rpc error: code = Unknown desc = failed to mount objects, error: failed to get objectType:secret, objectName:db-password, objectVersion:: GET https://kv-shop.vault.azure.net/secrets/db-password/
--------------------------------------------------------------------------------
RESPONSE 403: 403 Forbidden
ERROR CODE: Forbidden

E1122 04:00:01.000000       1 server.go:234] failed to process mount request
E1122 04:00:02.000000       1 server.go:234] failed to process mount request
I1122 04:00:03.000000       1 main.go:12] continuing
";
        let paste = crate::paste::parse("attachments/ticket.txt", text);
        let runs = paragraphs(&paste);
        assert_eq!(runs.len(), 1, "{runs:?}");
        let (lines, joined) = &runs[0];
        assert_eq!(lines.clone(), 1..=5);
        assert!(joined.contains("objectName:db-password"), "{joined}");
        assert!(
            joined.ends_with("RESPONSE 403: 403 Forbidden ERROR CODE: Forbidden"),
            "{joined}"
        );
    }
}
