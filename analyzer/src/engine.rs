//! Runs the catalogue over a read bundle: text matchers and named checks produce hits,
//! more specific rules drop what generic ones said about the same object, hits group into
//! findings with counts and first/last times, related log lines join as context, and each
//! finding's texts are rendered in the report language.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use rayon::prelude::*;
use serde_json::json;

use crate::error::{OpenError, ReadIssue};
use crate::finding::*;
use crate::index::{Index, Input};
use crate::layout::Layout;
use crate::limits::Limits;
use crate::matchers::{self, Origin};
use crate::reader::{self, ReadOutcome};
use crate::rules::spec::Source;
use crate::rules::{Catalogue, Rule};
use crate::scan::{LineHit, LinePattern, ScanPlan, ScanResults, TextSource};

/// One observation of a rule, before grouping.
#[derive(Debug, Clone, Default)]
pub struct Hit {
    /// `<namespace>/<kind>/<name>`, or none for cluster-wide signals.
    pub object: Option<String>,
    pub node: Option<String>,
    /// Captured and derived values (status_code, registry, pod, node ...).
    pub facts: BTreeMap<String, String>,
    pub evidence: Vec<Evidence>,
    pub table: Option<Table>,
    /// The object is only the add-on pod that printed the line, not the pod the line is
    /// about: it names the finding only when no other hit names an object.
    pub weak_object: bool,
}

/// What rules and checks read.
pub struct Inputs<'a> {
    pub index: &'a Index,
    pub scan: &'a ScanResults,
    pub catalogue: &'a Catalogue,
    /// For each line pattern of the scan plan, the rule and matcher it belongs to.
    pub line_origins: &'a [Origin],
    /// Where klog times are placed: the bundle's collection time.
    pub clock: Option<crate::time::Clock>,
}

impl<'a> Inputs<'a> {
    /// Inputs over an index and scan results alone (no line patterns, no klog year), as
    /// the checks' unit tests build them.
    pub fn of(index: &'a Index, scan: &'a ScanResults, catalogue: &'a Catalogue) -> Inputs<'a> {
        Inputs {
            index,
            scan,
            catalogue,
            line_origins: &[],
            clock: None,
        }
    }

    /// A raw time in the report's RFC 3339 UTC form; text that is no time is kept as it is
    /// (the story step turns it into null where a report needs a time).
    pub fn time(&self, raw: &str) -> String {
        crate::time::place(raw, self.clock.as_ref()).unwrap_or_else(|| raw.to_string())
    }

    /// The bundle path of a namespaced object file (`file` is its `aksbundle/v1` name,
    /// `pods.json`), in the bundle's own layout.
    pub fn object_file(&self, ns: &str, file: &str) -> String {
        match crate::layout::ObjectKind::from_file(file) {
            Some(kind) => self.index.object_file(ns, kind),
            None => format!("namespaces/{ns}/{file}"),
        }
    }

    /// A hit for one aggregated log or attachment line.
    pub fn hit_of_line(&self, h: &LineHit) -> Hit {
        let mut facts = h.captures.clone();
        let mut object = None;
        let mut node = None;
        if let (Some(ns), Some(pod)) = (&h.file.namespace, &h.file.pod) {
            facts.insert("namespace".into(), ns.clone());
            facts.insert("pod".into(), pod.clone());
            facts.insert("name".into(), pod.clone());
            facts.insert("kind".into(), "pod".into());
            object = Some(format!("{ns}/pod/{pod}"));
            node = self
                .index
                .pod(ns, pod)
                .and_then(|p| p.spec.node_name.clone());
        }
        // A line that names the pod it is about (a provider failing a mount for
        // `pod="ns/name"`) concerns that pod; the pod that printed it stays a fact.
        if let (Some(tns), Some(tpod)) = (
            h.captures.get("target_namespace"),
            h.captures.get("target_pod"),
        ) {
            if let Some(src) = facts.get("pod").cloned() {
                facts.insert("source_pod".into(), src);
            }
            facts.insert("namespace".into(), tns.clone());
            facts.insert("pod".into(), tpod.clone());
            facts.insert("name".into(), tpod.clone());
            object = Some(format!("{tns}/pod/{tpod}"));
            if let Some(n) = self
                .index
                .pod(tns, tpod)
                .and_then(|p| p.spec.node_name.clone())
            {
                node = Some(n);
            }
        }
        if let Some(c) = &h.file.container {
            facts.insert("container".into(), c.clone());
        }
        if let Some(n) = &node {
            facts.insert("node".into(), n.clone());
        }
        facts.insert("file".into(), h.file.file.clone());
        facts.insert("message".into(), h.excerpt.clone());
        Hit {
            object: object.clone(),
            node,
            facts,
            evidence: vec![Evidence {
                file: h.file.file.clone(),
                line: Some(h.line),
                excerpt: h.excerpt.clone(),
                count: h.count,
                first_seen: h.first_seen.as_deref().map(|t| self.time(t)),
                last_seen: h.last_seen.as_deref().map(|t| self.time(t)),
                object,
                role: "signal".into(),
            }],
            table: None,
            weak_object: false,
        }
    }

    /// A kept log line (error-level context, a previous log's tail) as context evidence.
    pub fn context_evidence(&self, c: &crate::scan::ContextLine) -> Evidence {
        let ts = c.ts.as_deref().map(|t| self.time(t));
        Evidence {
            file: c.file.file.clone(),
            line: Some(c.line),
            excerpt: c.text.clone(),
            count: 1,
            first_seen: ts.clone(),
            last_seen: ts,
            object: c
                .file
                .namespace
                .as_ref()
                .zip(c.file.pod.as_ref())
                .map(|(ns, pod)| format!("{ns}/pod/{pod}")),
            role: "context".into(),
        }
    }

    /// The rule at `i`.
    pub fn rule(&self, i: usize) -> &Rule {
        &self.catalogue.rules[i]
    }
}

/// Options of one analysis.
#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    pub limits: Limits,
    /// Report language: `en`, `ja` or `ko`.
    pub lang: String,
    /// The path shown as `bundle.path`.
    pub display_path: Option<String>,
    /// The story step's options (the quiet window).
    pub story: crate::story::StoryOptions,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            limits: Limits::default(),
            lang: "en".into(),
            display_path: None,
            story: crate::story::StoryOptions::default(),
        }
    }
}

/// A finished analysis: the report plus facts about the run.
#[derive(Debug)]
pub struct Analysis {
    pub report: Report,
    /// Set when the container was damaged: the run must exit 2 after writing the report.
    pub damaged: Option<String>,
    pub lines_scanned: u64,
    pub bytes_scanned: u64,
}

/// The scan plan of a catalogue and where each line pattern came from.
pub fn scan_plan(catalogue: &Catalogue) -> (ScanPlan, Vec<Origin>) {
    let mut patterns = Vec::new();
    let mut origins = Vec::new();
    let mut group = 0usize;
    for (ri, rule) in catalogue.rules.iter().enumerate() {
        for (mi, m) in rule.matchers.iter().enumerate() {
            let source = match m.spec.source {
                Source::Log => TextSource::Log,
                Source::Attachment => TextSource::Attachment,
                _ => continue,
            };
            // Compiled on first use: every pattern compiled as `str` (at load, or in the
            // catalogue's tests) compiles over bytes.
            let bytes = |p: &str| crate::scan::LineRegex::new(p);
            for (pi, p) in m.patterns.iter().enumerate() {
                patterns.push(LinePattern {
                    sources: vec![source],
                    regex: bytes(p.as_str()),
                    require: m.require.iter().map(|r| bytes(r.as_str())).collect(),
                    exclude: m.exclude.iter().map(|r| bytes(r.as_str())).collect(),
                    group,
                    about_klog_pod: m.spec.about == Some(crate::rules::spec::About::KlogPod),
                    scope: crate::scan::PodScope::of(m.spec.pods.as_ref(), m.pod_name.as_ref()),
                });
                origins.push(Origin {
                    rule: ri,
                    matcher: mi,
                    pattern: pi,
                });
            }
            group += 1;
        }
    }
    let plan = ScanPlan::new(patterns).expect("patterns compiled one by one at load");
    (plan, origins)
}

/// Reads the bundle at `path` and runs `catalogue` over it.
pub fn analyze(
    path: &Path,
    catalogue: &Catalogue,
    opts: &AnalyzeOptions,
) -> Result<Analysis, OpenError> {
    let compiled = catalogue.compiled();
    // The event, status and manifest sets are needed only after the pass: they compile
    // on another thread while the bundle is read (the log patterns compile per source
    // class on the scanning thread, as the members arrive).
    let outcome = std::thread::scope(|s| {
        s.spawn(|| compiled.warm_sets());
        reader::read_bundle(path, &opts.limits, &compiled.plan)
    })?;
    let display = opts
        .display_path
        .clone()
        .unwrap_or_else(|| path.display().to_string());
    Ok(evaluate_with(
        outcome,
        catalogue,
        &compiled.origins,
        &display,
        &opts.lang,
        &opts.story,
    ))
}

/// Runs the catalogue over a read bundle, with the story step's defaults.
pub fn evaluate(
    outcome: ReadOutcome,
    catalogue: &Catalogue,
    origins: &[Origin],
    display_path: &str,
    lang: &str,
) -> Analysis {
    evaluate_with(
        outcome,
        catalogue,
        origins,
        display_path,
        lang,
        &crate::story::StoryOptions::default(),
    )
}

/// Runs the catalogue over a read bundle, then the story step.
pub fn evaluate_with(
    outcome: ReadOutcome,
    catalogue: &Catalogue,
    origins: &[Origin],
    display_path: &str,
    lang: &str,
    story_opts: &crate::story::StoryOptions,
) -> Analysis {
    let ReadOutcome {
        index,
        scan,
        issues,
        damaged,
        ..
    } = outcome;
    let clock = index
        .manifest
        .as_ref()
        .and_then(|m| m.collected_at.as_deref())
        .and_then(crate::time::Clock::of);
    let inputs = Inputs {
        index: &index,
        scan: &scan,
        catalogue,
        line_origins: origins,
        clock,
    };

    // Which rules can run at all.
    let mut not_checked = Vec::new();
    let runnable: Vec<bool> = catalogue
        .rules
        .iter()
        .map(|r| match missing_inputs(r, &index) {
            Some(reason) => {
                not_checked.push(NotChecked {
                    rule: r.spec.id.clone(),
                    reason,
                });
                false
            }
            None => true,
        })
        .collect();

    let mut text_hits = matchers::all_hits(&inputs);
    drop_excluded_pastes(catalogue, &index, &mut text_hits);
    // A rule whose inputs the bundle lacks can still read what was pasted into the ticket
    // (a describe block's events, a logs paste): it runs on those hits alone.
    let pasted: HashSet<&str> = index.pastes.iter().map(|p| p.file.as_str()).collect();
    let from_paste = |h: &Hit| {
        h.evidence
            .first()
            .is_some_and(|e| pasted.contains(e.file.as_str()))
    };
    let pasted_objects = index.pastes.iter().any(|p| !p.objects.is_empty());
    let reads_pasted_objects = |i: usize| {
        pasted_objects
            && catalogue.rules[i]
                .spec
                .check
                .as_deref()
                .is_some_and(|c| crate::checks::READ_PASTED_OBJECTS.contains(&c))
    };
    let mut per_rule: Vec<Vec<Hit>> = text_hits
        .into_par_iter()
        .enumerate()
        .map(|(i, hits)| {
            let hits = if runnable[i] {
                hits
            } else {
                hits.into_iter().filter(from_paste).collect()
            };
            if !runnable[i] && hits.is_empty() && !reads_pasted_objects(i) {
                return Vec::new();
            }
            match catalogue.rules[i].check {
                Some(check) => check(&inputs, i, hits),
                None => hits,
            }
        })
        .collect();

    apply_supersedes(catalogue, &mut per_rule);
    // A rule that found something in a paste was checked, on the paste.
    not_checked.retain(|n| {
        catalogue
            .rules
            .iter()
            .position(|r| r.spec.id == n.rule)
            .is_none_or(|i| per_rule[i].is_empty())
    });

    let mut findings: Vec<Finding> = per_rule
        .into_par_iter()
        .enumerate()
        .flat_map_iter(|(i, hits)| build_findings(&inputs, &catalogue.rules[i], hits, lang))
        .collect();
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.objects.cmp(&b.objects))
    });
    let story = crate::story::tell(findings, &index, catalogue, story_opts);

    let manifest = index.manifest.as_ref();
    let cluster = manifest.and_then(|m| m.cluster.clone()).unwrap_or_default();
    let bundle = BundleFacts {
        path: display_path.to_string(),
        format: manifest.and_then(|m| m.format.clone()).or_else(|| {
            index
                .layout
                .filter(|l| *l != Layout::V1)
                .map(|l| l.name().into())
        }),
        // Like every time in the report: RFC 3339 UTC, or null.
        collected_at: manifest
            .and_then(|m| m.collected_at.as_deref())
            .and_then(|t| crate::time::place(t, None)),
        cluster: ClusterFacts {
            context: cluster.context,
            server: cluster.server,
            version: index.kubernetes_version(),
        },
        collector: manifest.and_then(|m| m.collector.as_ref()).map(|c| {
            format!(
                "{} {}",
                c.name.as_deref().unwrap_or("?"),
                c.version.as_deref().unwrap_or("?")
            )
        }),
        layout: index.layout.map(|l| l.name().to_string()),
        legacy_shapes: index.legacy_shapes,
        counts: index.counts(),
        own_analysis: index.own_analysis.clone(),
    };
    let mut errors: Vec<ReadIssue> = issues;
    // A user pattern that parsed at load but did not compile matched nothing: say so.
    errors.extend(catalogue.pattern_failures());
    if let Some(f) = &bundle.format {
        if f.starts_with("aksbundle/") && f != "aksbundle/v1" {
            errors.push(ReadIssue { file: "manifest.json".into(), message: format!("format {f} is newer than this analyzer knows (aksbundle/v1); read what it understands") });
        }
    }
    let report = Report {
        schema: REPORT_SCHEMA.into(),
        bundle,
        findings: story.findings,
        not_checked,
        errors,
        collection_errors: manifest.map(|m| m.errors.clone()).unwrap_or_default(),
        node_ip_usage: node_ip_usage(&index),
        warning_events: warning_events(&inputs),
        lang: lang.to_string(),
        timeline: story.timeline,
        story: Some(story.meta),
    };
    Analysis {
        report,
        damaged,
        lines_scanned: scan.lines,
        bytes_scanned: scan.bytes,
    }
}

fn missing_inputs(rule: &Rule, index: &Index) -> Option<String> {
    let missing: Vec<Input> = rule
        .spec
        .requires
        .iter()
        .copied()
        .filter(|i| !index.has(*i))
        .collect();
    if !missing.is_empty() {
        let what: Vec<String> = missing
            .iter()
            .map(|i| i.describe_in(index.layout))
            .collect();
        return Some(format!("no {} in the bundle", what.join(", ")));
    }
    // Without `requires`, a rule's text sources (and its `requires_any`) are what it needs:
    // one of them must be there.
    if rule.spec.requires.is_empty()
        && (!rule.matchers.is_empty() || !rule.spec.requires_any.is_empty())
    {
        let sources: BTreeSet<Input> = rule
            .matchers
            .iter()
            .map(|m| m.spec.source.input())
            .chain(rule.spec.requires_any.iter().copied())
            .collect();
        if !sources.iter().any(|i| index.has(*i)) {
            let what: Vec<String> = sources
                .iter()
                .map(|i| i.describe_in(index.layout))
                .collect();
            return Some(format!("none of {} in the bundle", what.join(", ")));
        }
    }
    None
}

fn apply_supersedes(catalogue: &Catalogue, per_rule: &mut [Vec<Hit>]) {
    let key = |h: &Hit| h.object.clone().unwrap_or_else(|| "(cluster)".into());
    let ids: HashMap<&str, usize> = catalogue
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.spec.id.as_str(), i))
        .collect();
    let mut drops: Vec<(usize, BTreeSet<String>)> = Vec::new();
    for (i, rule) in catalogue.rules.iter().enumerate() {
        if per_rule[i].is_empty() {
            continue;
        }
        let objects: BTreeSet<String> = per_rule[i].iter().map(key).collect();
        for s in &rule.spec.supersedes {
            if let Some(&j) = ids.get(s.as_str()) {
                drops.push((j, objects.clone()));
            }
        }
    }
    for (j, objects) in drops {
        per_rule[j].retain(|h| !objects.contains(&key(h)));
    }
}

/// Shortens text for an excerpt.
pub fn cut(s: &str) -> String {
    const MAX: usize = 600;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

fn group_key(rule: &Rule, h: &Hit) -> Vec<String> {
    rule.spec
        .group_by
        .iter()
        .map(|k| h.facts.get(k).cloned().unwrap_or_default())
        .collect()
}

/// Groups a rule's hits by its `group_by` facts, in order of first appearance, and makes
/// one finding per group. Linear in the hits: 100,000 crashlooping pods are one pass.
fn build_findings(inputs: &Inputs, rule: &Rule, hits: Vec<Hit>, lang: &str) -> Vec<Finding> {
    let mut slot: HashMap<Vec<String>, usize> = HashMap::new();
    let mut groups: Vec<Vec<Hit>> = Vec::new();
    for h in hits {
        let k = group_key(rule, &h);
        match slot.get(&k) {
            Some(&i) => groups[i].push(h),
            None => {
                slot.insert(k, groups.len());
                groups.push(vec![h]);
            }
        }
    }
    groups
        .into_par_iter()
        .map(|hits| finding_of(inputs, rule, hits, lang))
        .collect()
}

const MAX_SIGNAL_EVIDENCE: usize = 20;

fn finding_of(inputs: &Inputs, rule: &Rule, hits: Vec<Hit>, lang: &str) -> Finding {
    let mut objects = BTreeSet::new();
    let mut nodes = BTreeSet::new();
    let mut facts: BTreeMap<String, String> = BTreeMap::new();
    let mut values: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut evidence: Vec<Evidence> = Vec::new();
    let mut table: Option<Table> = None;
    // Where each distinct evidence line and table row already is: merging stays linear.
    let mut evidence_at: HashMap<(String, Option<u64>, String), usize> = HashMap::new();
    let mut table_rows: HashSet<Vec<String>> = HashSet::new();
    let strong = hits.iter().any(|h| h.object.is_some() && !h.weak_object);
    for h in &hits {
        if let Some(o) = &h.object {
            if !(strong && h.weak_object) {
                objects.insert(o.clone());
            }
        }
        if let Some(n) = &h.node {
            nodes.insert(n.clone());
        }
        for (k, v) in &h.facts {
            if !v.is_empty() {
                facts.entry(k.clone()).or_insert_with(|| v.clone());
                values.entry(k.clone()).or_default().insert(v.clone());
            }
        }
        for e in &h.evidence {
            let key = (e.file.clone(), e.line, e.excerpt.clone());
            match evidence_at.get(&key) {
                Some(&i) => {
                    let x = &mut evidence[i];
                    x.count += e.count;
                    x.first_seen = min_opt(x.first_seen.take(), e.first_seen.clone());
                    x.last_seen = max_opt(x.last_seen.take(), e.last_seen.clone());
                }
                None => {
                    evidence_at.insert(key, evidence.len());
                    evidence.push(e.clone());
                }
            }
        }
        if let Some(t) = &h.table {
            match &mut table {
                Some(acc) if acc.columns == t.columns => {
                    for row in &t.rows {
                        if table_rows.insert(row.clone()) {
                            acc.rows.push(row.clone());
                        }
                    }
                }
                Some(_) => {}
                None => {
                    table_rows.extend(t.rows.iter().cloned());
                    table = Some(t.clone());
                }
            }
        }
    }
    // Occurrences and times are the signal's; context lines (a check's or ours) only explain.
    let signals = || evidence.iter().filter(|e| e.role == "signal");
    let count: u64 = signals().map(|e| e.count).sum();
    let first_seen = signals().filter_map(|e| e.first_seen.clone()).min();
    let last_seen = signals().filter_map(|e| e.last_seen.clone()).max();
    // Most frequent first, then by time, so the top of the list is the heart of it.
    evidence.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.first_seen.cmp(&b.first_seen))
            .then_with(|| a.file.cmp(&b.file))
    });
    let extra = evidence.len().saturating_sub(MAX_SIGNAL_EVIDENCE);
    evidence.truncate(MAX_SIGNAL_EVIDENCE);
    if extra > 0 {
        facts.insert("evidence_omitted".into(), extra.to_string());
    }
    if let Some(spec) = &rule.spec.context_logs {
        evidence.extend(context_lines(
            inputs,
            rule,
            spec,
            &nodes,
            last_seen.as_deref(),
        ));
    }

    let objects: Vec<String> = objects.into_iter().collect();
    let nodes: Vec<String> = nodes.into_iter().collect();
    let cluster = inputs
        .index
        .manifest
        .as_ref()
        .and_then(|m| m.cluster.clone())
        .unwrap_or_default();
    let pods: Vec<String> = objects
        .iter()
        .filter_map(|o| o.split_once("/pod/").map(|(_, n)| n.to_string()))
        .collect();
    let ctx = json!({
        "facts": facts,
        "values": values,
        "objects": objects,
        "nodes": nodes,
        "pods": pods,
        "count": count,
        "first_seen": first_seen,
        "last_seen": last_seen,
        "cluster": {"context": cluster.context, "server": cluster.server, "version": inputs.index.kubernetes_version()},
    });
    let mut ctx_map = ctx.as_object().cloned().unwrap_or_default();
    // Facts are also top-level names, so templates read `{{ pod }}` rather than `{{ facts.pod }}`.
    for (k, v) in &facts {
        ctx_map.entry(k.clone()).or_insert_with(|| json!(v));
    }
    let ctx = serde_json::Value::Object(ctx_map);
    let render = |t: &str| crate::render::render_text(t, &ctx);
    // Commands are pasted into a shell: each value is quoted for the context it lands in,
    // or withheld when it does not look like what it should be.
    let mut steps = Vec::new();
    for (s, commands) in rule.spec.remediation.iter().zip(rule.commands.iter()) {
        if let Some(w) = &s.when {
            if !crate::render::eval_bool(w, &ctx) {
                continue;
            }
        }
        let mut withheld = Vec::new();
        let mut lines = Vec::new();
        for c in commands {
            let r = c.render(&ctx);
            if r.text.trim().is_empty() {
                continue;
            }
            for w in r.withheld {
                if !withheld.contains(&w) {
                    withheld.push(w);
                }
            }
            lines.push(r.text);
        }
        steps.push(Step {
            text: render(s.text.get(lang)),
            commands: lines,
            withheld,
        });
    }
    let remediation = steps
        .iter()
        .map(|s| {
            let mut line = s.text.clone();
            for c in &s.commands {
                line.push('\n');
                line.push_str(c);
            }
            line
        })
        .collect();
    Finding {
        rule: rule.spec.id.clone(),
        severity: rule.spec.severity,
        title: render(rule.spec.title.get(lang)),
        summary: render(rule.spec.summary.get(lang)),
        objects,
        evidence,
        remediation,
        references: rule.spec.references.clone(),
        nodes,
        explanation: render(rule.spec.explanation.get(lang)),
        steps,
        table,
        facts,
        count,
        first_seen,
        last_seen,
        story: StoryFacts::default(),
    }
}

pub(crate) fn min_opt(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

pub(crate) fn max_opt(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Error-level lines of related pods (by label, or name when the pod object is absent)
/// on the finding's nodes, nearest in time to the finding first.
fn context_lines(
    inputs: &Inputs,
    rule: &Rule,
    spec: &crate::rules::spec::ContextLogs,
    nodes: &BTreeSet<String>,
    near: Option<&str>,
) -> Vec<Evidence> {
    let mut picked: Vec<(i64, Evidence)> = Vec::new();
    for c in &inputs.scan.context {
        let (Some(ns), Some(pod)) = (&c.file.namespace, &c.file.pod) else {
            continue;
        };
        let related = match inputs.index.pod(ns, pod) {
            Some(p) => {
                let same_node = nodes.is_empty()
                    || p.spec.node_name.as_ref().is_some_and(|n| nodes.contains(n));
                same_node
                    && (spec.labels.iter().any(|l| p.matches_labels(l))
                        || rule.context_name.as_ref().is_some_and(|r| r.is_match(pod)))
            }
            None => rule.context_name.as_ref().is_some_and(|r| r.is_match(pod)),
        };
        if !related {
            continue;
        }
        let evidence = inputs.context_evidence(c);
        let dist = match (near, evidence.first_seen.as_deref()) {
            (Some(a), Some(b)) => crate::time::distance(a, b).unwrap_or(i64::MAX / 2),
            _ => i64::MAX / 2,
        };
        picked.push((dist, evidence));
    }
    picked.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.1.file.cmp(&b.1.file))
            .then_with(|| a.1.line.cmp(&b.1.line))
    });
    picked.into_iter().take(spec.max).map(|(_, e)| e).collect()
}

fn node_ip_usage(index: &Index) -> Vec<NodeIpUsage> {
    let mut names: BTreeSet<String> = index.ipam.keys().cloned().collect();
    if let Some(nnc) = &index.nnc {
        names.extend(nnc.iter().map(|n| n.metadata.name.clone()));
    }
    // One pass over pods and NNCs, not one per node.
    let mut running_on: HashMap<&str, i64> = HashMap::new();
    for p in index.pods() {
        if let Some(n) = p.spec.node_name.as_deref() {
            if p.is_running() && !p.spec.host_network {
                *running_on.entry(n).or_default() += 1;
            }
        }
    }
    let mut nnc_of: HashMap<&str, &crate::model::NodeNetworkConfig> = HashMap::new();
    for n in index.nnc.iter().flatten() {
        nnc_of.entry(n.metadata.name.as_str()).or_insert(n);
    }
    names
        .into_iter()
        .map(|node| {
            let running = running_on.get(node.as_str()).copied().unwrap_or(0);
            let nnc = nnc_of.get(node.as_str()).copied();
            NodeIpUsage {
                ipam_allocated: index
                    .ipam
                    .get(&node)
                    .map(|c| c.stores.iter().map(|s| s.ip_files).sum()),
                running_pods: running,
                nnc_requested: nnc.map(|n| n.requested()),
                nnc_allocated: nnc.map(|n| n.allocated()),
                node,
            }
        })
        .collect()
}

fn warning_events(inputs: &Inputs) -> Vec<TimelineEvent> {
    let mut out: Vec<TimelineEvent> = inputs
        .index
        .events()
        .filter(|(_, e)| e.type_.as_deref() == Some("Warning"))
        .filter_map(|(ns, e)| {
            Some(TimelineEvent {
                time: crate::time::place(e.last_seen()?, inputs.clock.as_ref())?,
                object: e.object_ref(ns),
                reason: e.reason.clone().unwrap_or_default(),
                message: cut(e.message.as_deref().unwrap_or("")),
                count: e.occurrences(),
            })
        })
        .collect();
    out.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.object.cmp(&b.object)));
    out.truncate(500);
    out
}

/// Drops the hits a rule read from an attached file that its `exclude_paste` says is about
/// something else: one of its lines of text (loose lines, `kubectl logs` lines, az CLI
/// errors; not the rows of describe blocks and tables) matches one of them.
fn drop_excluded_pastes(catalogue: &Catalogue, index: &Index, hits: &mut [Vec<Hit>]) {
    for (rule, hits) in catalogue.rules.iter().zip(hits.iter_mut()) {
        if rule.exclude_paste.is_empty() || hits.is_empty() {
            continue;
        }
        // Only the files the rule read something from.
        let read: HashSet<&str> = hits
            .iter()
            .filter_map(|h| h.evidence.first().map(|e| e.file.as_str()))
            .collect();
        let excluded: HashSet<String> = index
            .pastes
            .iter()
            .filter(|p| read.contains(p.file.as_str()))
            .filter(|p| {
                let lines = p
                    .logs
                    .iter()
                    .flat_map(|l| l.lines.iter().map(|(_, t)| t.as_str()));
                let cli = p.cli_errors.iter().map(|e| e.message.as_str());
                lines
                    .chain(cli)
                    .any(|t| rule.exclude_paste.iter().any(|r| r.is_match(t)))
            })
            .map(|p| p.file.clone())
            .collect();
        if !excluded.is_empty() {
            hits.retain(|h| {
                h.evidence
                    .first()
                    .is_none_or(|e| !excluded.contains(e.file.as_str()))
            });
        }
    }
}
