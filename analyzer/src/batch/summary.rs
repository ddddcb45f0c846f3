//! The summary of many results: bundles analyzed and failed, findings per diagnosis and
//! severity with the bundles behind each, the most common diagnoses, and breakdowns by
//! Kubernetes version and collector version. Built from result lines in any order and
//! from any number of files, so the summary of N shards equals that of one run.
//! Renders as Markdown, self-contained HTML (inline SVG charts) or JSON.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::Outcome;
use crate::error::ReadIssue;
use crate::finding::Severity;

/// The schema name of the JSON summary.
pub const SUMMARY_SCHEMA: &str = "aksbundle.summary/v1";

/// What the summary keeps of one result line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BundleRow {
    /// `bundle.path`.
    pub path: String,
    pub outcome: Outcome,
    /// `bundle.cluster.version`.
    pub kubernetes: Option<String>,
    /// `bundle.collector` (name and version).
    pub collector: Option<String>,
    /// `bundle.cluster.context`.
    pub context: Option<String>,
    /// `(rule, severity)` of each finding, in report order.
    pub findings: Vec<(String, Severity)>,
    /// Entries of `errors`.
    pub errors: usize,
    /// Why the bundle failed or is damaged: the first `(bundle)` error.
    pub problem: Option<String>,
    #[serde(skip)]
    titles: Vec<String>,
}

#[derive(Deserialize)]
struct LineIn {
    bundle: BundleIn,
    #[serde(default)]
    findings: Vec<FindingIn>,
    #[serde(default)]
    errors: Vec<ReadIssue>,
    #[serde(default)]
    outcome: Option<Outcome>,
}

#[derive(Deserialize)]
struct BundleIn {
    path: String,
    #[serde(default)]
    cluster: ClusterIn,
    #[serde(default)]
    collector: Option<String>,
}

#[derive(Deserialize, Default)]
struct ClusterIn {
    #[serde(default)]
    context: Option<String>,
    #[serde(default)]
    version: Option<String>,
}

#[derive(Deserialize)]
struct FindingIn {
    rule: String,
    severity: Severity,
    #[serde(default)]
    title: String,
}

impl BundleRow {
    /// Reads one result line (`batch --out`, or `analyze --format json` on one line).
    /// Lines without an `outcome` key count as analyzed.
    pub fn parse(line: &str) -> Result<BundleRow, serde_json::Error> {
        let l: LineIn = serde_json::from_str(line)?;
        let problem = l
            .errors
            .iter()
            .find(|e| e.file == "(bundle)")
            .map(|e| e.message.clone());
        Ok(BundleRow {
            path: l.bundle.path,
            outcome: l.outcome.unwrap_or(Outcome::Analyzed),
            kubernetes: l.bundle.cluster.version,
            collector: l.bundle.collector,
            context: l.bundle.cluster.context,
            titles: l.findings.iter().map(|f| f.title.clone()).collect(),
            findings: l
                .findings
                .into_iter()
                .map(|f| (f.rule, f.severity))
                .collect(),
            errors: l.errors.len(),
            problem,
        })
    }

    fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.1).max()
    }
}

/// Bundles and findings at one severity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeverityRow {
    pub severity: Severity,
    pub findings: usize,
    /// Bundles with at least one finding at this severity.
    pub bundles: usize,
}

/// One diagnosis at one severity, and the bundles that have it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DiagnosisRow {
    pub rule: String,
    pub severity: Severity,
    pub title: String,
    pub findings: usize,
    /// Indexes into [`Summary::bundle_rows`], sorted.
    pub bundles: Vec<usize>,
}

/// Bundles of one Kubernetes or collector version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupRow {
    /// The version, or `unknown`.
    pub key: String,
    pub bundles: usize,
    pub failed: usize,
    pub with_critical: usize,
    pub with_warning: usize,
    /// The most common diagnoses in the group: `(rule, bundles)`, at most three.
    pub top: Vec<(String, usize)>,
}

/// The merged summary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// `aksbundle.summary/v1`.
    pub schema: &'static str,
    /// Distinct bundle paths.
    pub bundles: usize,
    /// Bundles by outcome.
    pub analyzed: usize,
    pub damaged: usize,
    pub failed: usize,
    /// Bundles with at least one finding.
    pub with_findings: usize,
    /// Critical, warning, info.
    pub severities: Vec<SeverityRow>,
    /// By severity (worst first), then by bundles (most first), then rule.
    pub diagnoses: Vec<DiagnosisRow>,
    /// Newest version first, `unknown` last.
    pub by_kubernetes: Vec<GroupRow>,
    pub by_collector: Vec<GroupRow>,
    /// Every bundle, sorted by path.
    pub bundle_rows: Vec<BundleRow>,
}

const UNKNOWN: &str = "unknown";

impl Summary {
    /// Builds the summary. Order does not matter; a path seen twice counts once (its
    /// first row is used, and the duplicate is returned so the caller can say so).
    pub fn build(rows: Vec<BundleRow>) -> (Summary, Vec<String>) {
        let mut seen = BTreeMap::new();
        let mut duplicates = Vec::new();
        for r in rows {
            if seen.contains_key(&r.path) {
                duplicates.push(r.path.clone());
            } else {
                seen.insert(r.path.clone(), r);
            }
        }
        let rows: Vec<BundleRow> = seen.into_values().collect();
        let count = |o: Outcome| rows.iter().filter(|r| r.outcome == o).count();

        let mut severities = Vec::new();
        for sev in [Severity::Critical, Severity::Warning, Severity::Info] {
            let findings = rows
                .iter()
                .map(|r| r.findings.iter().filter(|f| f.1 == sev).count())
                .sum();
            let bundles = rows
                .iter()
                .filter(|r| r.findings.iter().any(|f| f.1 == sev))
                .count();
            severities.push(SeverityRow {
                severity: sev,
                findings,
                bundles,
            });
        }

        let mut diag: BTreeMap<(String, Severity), DiagnosisRow> = BTreeMap::new();
        for (i, r) in rows.iter().enumerate() {
            for (k, (rule, sev)) in r.findings.iter().enumerate() {
                let d = diag
                    .entry((rule.clone(), *sev))
                    .or_insert_with(|| DiagnosisRow {
                        rule: rule.clone(),
                        severity: *sev,
                        title: r.titles.get(k).cloned().unwrap_or_default(),
                        findings: 0,
                        bundles: Vec::new(),
                    });
                d.findings += 1;
                if d.bundles.last() != Some(&i) {
                    d.bundles.push(i);
                }
            }
        }
        let mut diagnoses: Vec<DiagnosisRow> = diag.into_values().collect();
        diagnoses.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| b.bundles.len().cmp(&a.bundles.len()))
                .then_with(|| a.rule.cmp(&b.rule))
        });

        let by_kubernetes = groups(&rows, |r| r.kubernetes.clone(), true);
        let by_collector = groups(&rows, |r| r.collector.clone(), false);
        let summary = Summary {
            schema: SUMMARY_SCHEMA,
            bundles: rows.len(),
            analyzed: count(Outcome::Analyzed),
            damaged: count(Outcome::Damaged),
            failed: count(Outcome::Failed),
            with_findings: rows.iter().filter(|r| !r.findings.is_empty()).count(),
            severities,
            diagnoses,
            by_kubernetes,
            by_collector,
            bundle_rows: rows,
        };
        (summary, duplicates)
    }

    /// The most common diagnoses: by bundles, most first, at most `n`.
    pub fn most_common(&self, n: usize) -> Vec<&DiagnosisRow> {
        let mut v: Vec<&DiagnosisRow> = self.diagnoses.iter().collect();
        v.sort_by(|a, b| {
            b.bundles
                .len()
                .cmp(&a.bundles.len())
                .then_with(|| b.severity.cmp(&a.severity))
                .then_with(|| a.rule.cmp(&b.rule))
        });
        v.truncate(n);
        v
    }

    /// The summary as pretty JSON.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("summary serializes");
        s.push('\n');
        crate::terminal::json_escape_c1(s)
    }
}

fn groups(
    rows: &[BundleRow],
    key: impl Fn(&BundleRow) -> Option<String>,
    versions: bool,
) -> Vec<GroupRow> {
    let mut map: BTreeMap<String, Vec<&BundleRow>> = BTreeMap::new();
    for r in rows {
        let k = key(r).filter(|k| !k.trim().is_empty());
        map.entry(k.unwrap_or_else(|| UNKNOWN.into()))
            .or_default()
            .push(r);
    }
    let mut out: Vec<GroupRow> = map
        .into_iter()
        .map(|(key, rs)| {
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for r in &rs {
                let rules: BTreeSet<&str> = r.findings.iter().map(|f| f.0.as_str()).collect();
                for rule in rules {
                    *counts.entry(rule).or_default() += 1;
                }
            }
            let mut top: Vec<(String, usize)> = counts
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            top.truncate(3);
            GroupRow {
                bundles: rs.len(),
                failed: rs.iter().filter(|r| r.outcome == Outcome::Failed).count(),
                with_critical: rs
                    .iter()
                    .filter(|r| r.worst() == Some(Severity::Critical))
                    .count(),
                with_warning: rs
                    .iter()
                    .filter(|r| r.worst() == Some(Severity::Warning))
                    .count(),
                top,
                key,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        let unknown = |g: &GroupRow| g.key == UNKNOWN;
        unknown(a).cmp(&unknown(b)).then_with(|| {
            if versions {
                version_key(&b.key)
                    .cmp(&version_key(&a.key))
                    .then_with(|| a.key.cmp(&b.key))
            } else {
                b.bundles.cmp(&a.bundles).then_with(|| a.key.cmp(&b.key))
            }
        })
    });
    out
}

/// `v1.30.5` → `[1, 30, 5]`; non-numeric parts count as 0.
fn version_key(v: &str) -> Vec<u64> {
    v.trim_start_matches(['v', 'V'])
        .split(['.', '-', '+'])
        .take(3)
        .map(|p| {
            p.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .unwrap_or(0)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Markdown

/// A table cell: one line, pipes and angle brackets escaped, cut at 200 characters.
fn cell(s: &str) -> String {
    let one = s
        .replace(['\r', '\n'], " ")
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('`', "'")
        .replace('[', "\\[")
        .replace(']', "\\]");
    if one.chars().count() > 200 {
        format!("{}…", one.chars().take(200).collect::<String>())
    } else {
        one
    }
}

/// Inline code, safe in a table cell.
fn code(s: &str) -> String {
    format!(
        "`{}`",
        s.replace(['\r', '\n'], " ")
            .replace('`', "'")
            .replace('|', "\\|")
    )
}

fn pct(n: usize, of: usize) -> String {
    if of == 0 {
        "0%".into()
    } else {
        format!("{:.0}%", n as f64 * 100.0 / of as f64)
    }
}

/// Bundles listed per diagnosis in Markdown; the HTML and JSON list all of them.
const MD_BUNDLES_SHOWN: usize = 20;

impl Summary {
    /// The Markdown summary.
    pub fn to_markdown(&self) -> String {
        // Bundle paths and rule texts end up on terminals: controls are shown, not sent.
        crate::terminal::visible(&self.markdown_raw()).into_owned()
    }

    fn markdown_raw(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "# aksbundle batch summary\n");
        let _ = writeln!(
            o,
            "**{}** bundles: **{}** analyzed, **{}** damaged (read in part), **{}** failed. {} ({}) have findings.\n",
            self.bundles,
            self.analyzed,
            self.damaged,
            self.failed,
            self.with_findings,
            pct(self.with_findings, self.bundles)
        );
        let _ = writeln!(o, "| Severity | Findings | Bundles |\n|---|---:|---:|");
        for s in &self.severities {
            let _ = writeln!(
                o,
                "| {} | {} | {} |",
                s.severity.as_str(),
                s.findings,
                s.bundles
            );
        }

        let _ = writeln!(o, "\n## Most common diagnoses\n");
        let common = self.most_common(10);
        if common.is_empty() {
            let _ = writeln!(o, "No findings.");
        } else {
            let _ = writeln!(
                o,
                "| # | Diagnosis | Severity | Bundles | Share |\n|---:|---|---|---:|---:|"
            );
            for (i, d) in common.iter().enumerate() {
                let _ = writeln!(
                    o,
                    "| {} | {} {} | {} | {} | {} |",
                    i + 1,
                    code(&d.rule),
                    cell(&d.title),
                    d.severity.as_str(),
                    d.bundles.len(),
                    pct(d.bundles.len(), self.bundles)
                );
            }
        }

        let _ = writeln!(o, "\n## Findings per diagnosis and severity\n");
        if self.diagnoses.is_empty() {
            let _ = writeln!(o, "No findings.");
        } else {
            let _ = writeln!(o, "| Severity | Diagnosis | Findings | Bundles | Which bundles |\n|---|---|---:|---:|---|");
            for d in &self.diagnoses {
                let mut which: Vec<String> = d
                    .bundles
                    .iter()
                    .take(MD_BUNDLES_SHOWN)
                    .map(|&i| code(&self.bundle_rows[i].path))
                    .collect();
                if d.bundles.len() > MD_BUNDLES_SHOWN {
                    which.push(format!("and {} more", d.bundles.len() - MD_BUNDLES_SHOWN));
                }
                let _ = writeln!(
                    o,
                    "| {} | {} {} | {} | {} | {} |",
                    d.severity.as_str(),
                    code(&d.rule),
                    cell(&d.title),
                    d.findings,
                    d.bundles.len(),
                    which.join(", ")
                );
            }
        }

        for (title, rows) in [
            ("By Kubernetes version", &self.by_kubernetes),
            ("By collector version", &self.by_collector),
        ] {
            let _ = writeln!(o, "\n## {title}\n");
            let _ = writeln!(o, "| Version | Bundles | Worst critical | Worst warning | Failed | Most common |\n|---|---:|---:|---:|---:|---|");
            for g in rows.iter() {
                let top: Vec<String> = g
                    .top
                    .iter()
                    .map(|(r, n)| format!("{} ({n})", code(r)))
                    .collect();
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} | {} | {} |",
                    cell(&g.key),
                    g.bundles,
                    g.with_critical,
                    g.with_warning,
                    g.failed,
                    if top.is_empty() {
                        "–".into()
                    } else {
                        top.join(", ")
                    }
                );
            }
        }

        let problems: Vec<&BundleRow> = self
            .bundle_rows
            .iter()
            .filter(|r| r.outcome != Outcome::Analyzed)
            .collect();
        if !problems.is_empty() {
            let _ = writeln!(o, "\n## Bundles that failed or are damaged\n");
            let _ = writeln!(o, "| Bundle | Outcome | Why |\n|---|---|---|");
            for r in problems {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} |",
                    code(&r.path),
                    r.outcome.as_str(),
                    cell(r.problem.as_deref().unwrap_or("?"))
                );
            }
        }
        o
    }
}

// ---------------------------------------------------------------------------------------
// HTML

/// Escapes text for HTML text and quoted attribute values (the HTML report's escaper).
pub fn esc(s: &str) -> String {
    crate::render::html::escape_html(s)
}

fn sev_color(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "#c62828",
        Severity::Warning => "#ef6c00",
        Severity::Info => "#1565c0",
    }
}

/// One bar of a chart: a label, segments `(value, color, what)`, and a link target.
struct Bar {
    label: String,
    segments: Vec<(usize, &'static str, &'static str)>,
    href: Option<String>,
}

/// A horizontal bar chart as inline SVG. Every label is escaped here.
fn bar_chart(title: &str, bars: &[Bar]) -> String {
    const LABEL_W: usize = 260;
    const BAR_W: usize = 420;
    const ROW_H: usize = 24;
    let max = bars
        .iter()
        .map(|b| b.segments.iter().map(|s| s.0).sum::<usize>())
        .max()
        .unwrap_or(0)
        .max(1);
    let height = bars.len() * ROW_H + 8;
    let width = LABEL_W + BAR_W + 60;
    let mut o = String::new();
    let _ = write!(
        o,
        r#"<svg class="chart" role="img" aria-label="{t}" viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>"#,
        t = esc(title)
    );
    for (i, b) in bars.iter().enumerate() {
        let y = i * ROW_H + 4;
        let mut label: String = b.label.chars().take(40).collect();
        if b.label.chars().count() > 40 {
            label.push('…');
        }
        let text = format!(
            r#"<text x="{}" y="{}" text-anchor="end" class="lbl">{}</text>"#,
            LABEL_W - 8,
            y + 16,
            esc(&label)
        );
        match &b.href {
            Some(h) => {
                let _ = write!(o, r#"<a href="{}">{text}</a>"#, esc(h));
            }
            None => o.push_str(&text),
        }
        let mut x = LABEL_W;
        let mut total = 0;
        for (v, color, what) in &b.segments {
            let w = v * BAR_W / max;
            total += v;
            if w > 0 {
                let _ = write!(
                    o,
                    r#"<rect x="{x}" y="{y}" width="{w}" height="{}" fill="{color}"><title>{} {}</title></rect>"#,
                    ROW_H - 6,
                    v,
                    esc(what)
                );
            }
            x += w;
        }
        let _ = write!(
            o,
            r#"<text x="{}" y="{}" class="val">{total}</text>"#,
            x + 6,
            y + 16
        );
    }
    o.push_str("</svg>");
    o
}

fn group_bars(rows: &[GroupRow]) -> Vec<Bar> {
    rows.iter()
        .map(|g| Bar {
            label: g.key.clone(),
            segments: vec![
                (
                    g.with_critical,
                    sev_color(Severity::Critical),
                    "bundles with a critical finding",
                ),
                (
                    g.with_warning,
                    sev_color(Severity::Warning),
                    "bundles at worst warning",
                ),
                (
                    g.bundles - g.with_critical - g.with_warning,
                    "#9e9e9e",
                    "bundles at worst info, or without findings",
                ),
            ],
            href: None,
        })
        .collect()
}

const LEGEND: &str = "<p class=\"muted\"><span class=\"sev critical\">critical</span> worst finding critical · <span class=\"sev warning\">warning</span> worst finding a warning · <span class=\"sev other\">other</span> info only, no findings, or failed</p>\n";

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem;color:#212121;max-width:75rem}\
table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ddd;padding:.3rem .6rem;text-align:left;vertical-align:top}\
th{background:#f5f5f5}td.n{text-align:right}code{font-size:.9em}.sev{color:#fff;border-radius:3px;padding:0 .4em;font-size:.85em}\
.critical{background:#c62828}.warning{background:#ef6c00}.info{background:#1565c0}.failed{background:#424242}.damaged{background:#6d4c41}.analyzed{background:#2e7d32}.other{background:#9e9e9e}\
svg.chart{display:block;margin:1rem 0;max-width:100%;height:auto}svg .lbl,svg .val{font-size:12px;fill:#212121}\
details summary{cursor:pointer}.muted{color:#757575}";

impl Summary {
    /// The self-contained HTML summary: no scripts, no external resources, every string
    /// from a bundle escaped.
    pub fn to_html(&self) -> String {
        let mut o = String::new();
        let _ = write!(
            o,
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>aksbundle batch summary</title><style>{CSS}</style></head><body>\n<h1>aksbundle batch summary</h1>\n"
        );
        let _ = writeln!(
            o,
            "<p><strong>{}</strong> bundles: <strong>{}</strong> analyzed, <strong>{}</strong> damaged (read in part), <strong>{}</strong> failed. {} ({}) have findings.</p>",
            self.bundles,
            self.analyzed,
            self.damaged,
            self.failed,
            self.with_findings,
            pct(self.with_findings, self.bundles)
        );
        o.push_str(&bar_chart(
            "Bundles by outcome",
            &[Bar {
                label: "bundles".into(),
                segments: vec![
                    (self.analyzed, "#2e7d32", "analyzed"),
                    (self.damaged, "#6d4c41", "damaged"),
                    (self.failed, "#424242", "failed"),
                ],
                href: None,
            }],
        ));
        o.push_str("<table><tr><th>Severity</th><th>Findings</th><th>Bundles</th></tr>\n");
        for s in &self.severities {
            let _ = writeln!(
                o,
                "<tr><td><span class=\"sev {0}\">{0}</span></td><td class=\"n\">{1}</td><td class=\"n\">{2}</td></tr>",
                s.severity.as_str(),
                s.findings,
                s.bundles
            );
        }
        o.push_str("</table>\n");

        o.push_str("<h2 id=\"common\">Most common diagnoses</h2>\n");
        let common = self.most_common(10);
        if common.is_empty() {
            o.push_str("<p>No findings.</p>\n");
        } else {
            let bars: Vec<Bar> = common
                .iter()
                .map(|d| Bar {
                    label: d.rule.clone(),
                    segments: vec![(d.bundles.len(), sev_color(d.severity), "bundles")],
                    href: Some(format!("#d-{}-{}", anchor(&d.rule), d.severity.as_str())),
                })
                .collect();
            o.push_str(&bar_chart("Most common diagnoses, by bundles", &bars));
        }

        o.push_str("<h2 id=\"diagnoses\">Findings per diagnosis and severity</h2>\n");
        if self.diagnoses.is_empty() {
            o.push_str("<p>No findings.</p>\n");
        } else {
            o.push_str("<table><tr><th>Severity</th><th>Diagnosis</th><th>Findings</th><th>Bundles</th><th>Which bundles</th></tr>\n");
            for d in &self.diagnoses {
                let links: Vec<String> = d
                    .bundles
                    .iter()
                    .map(|&i| {
                        format!(
                            "<a href=\"#b{i}\"><code>{}</code></a>",
                            esc(&self.bundle_rows[i].path)
                        )
                    })
                    .collect();
                let which = if links.len() > 10 {
                    format!(
                        "<details><summary>{} bundles</summary>{}</details>",
                        links.len(),
                        links.join("<br>")
                    )
                } else {
                    links.join("<br>")
                };
                let _ = writeln!(
                    o,
                    "<tr id=\"d-{}-{sev}\"><td><span class=\"sev {sev}\">{sev}</span></td><td><code>{}</code><br>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{which}</td></tr>",
                    anchor(&d.rule),
                    esc(&d.rule),
                    esc(&d.title),
                    d.findings,
                    d.bundles.len(),
                    sev = d.severity.as_str(),
                );
            }
            o.push_str("</table>\n");
        }

        for (id, title, rows) in [
            ("kubernetes", "By Kubernetes version", &self.by_kubernetes),
            ("collector", "By collector version", &self.by_collector),
        ] {
            let _ = writeln!(o, "<h2 id=\"{id}\">{title}</h2>");
            o.push_str(&bar_chart(
                &format!("{title}: bundles, coloured by their worst finding"),
                &group_bars(rows),
            ));
            o.push_str(LEGEND);
            o.push_str("<table><tr><th>Version</th><th>Bundles</th><th>Worst critical</th><th>Worst warning</th><th>Failed</th><th>Most common</th></tr>\n");
            for g in rows.iter() {
                let top: Vec<String> = g
                    .top
                    .iter()
                    .map(|(r, n)| format!("<code>{}</code> ({n})", esc(r)))
                    .collect();
                let _ = writeln!(
                    o,
                    "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                    esc(&g.key),
                    g.bundles,
                    g.with_critical,
                    g.with_warning,
                    g.failed,
                    if top.is_empty() { "–".into() } else { top.join(", ") }
                );
            }
            o.push_str("</table>\n");
        }

        o.push_str("<h2 id=\"bundles\">Bundles</h2>\n<table><tr><th>Bundle</th><th>Outcome</th><th>Cluster</th><th>Kubernetes</th><th>Collector</th><th>Findings</th><th>Errors</th></tr>\n");
        for (i, r) in self.bundle_rows.iter().enumerate() {
            let rules: BTreeSet<(Severity, &str)> = r
                .findings
                .iter()
                .map(|(rule, s)| (*s, rule.as_str()))
                .collect();
            let findings: Vec<String> = rules
                .iter()
                .rev()
                .map(|(s, rule)| {
                    format!(
                        "<a href=\"#d-{}-{sev}\"><span class=\"sev {sev}\">{sev}</span> <code>{}</code></a>",
                        anchor(rule),
                        esc(rule),
                        sev = s.as_str()
                    )
                })
                .collect();
            let errors = match &r.problem {
                Some(p) if r.outcome != Outcome::Analyzed => esc(p),
                _ if r.errors > 0 => format!("{} (see its report)", r.errors),
                _ => String::new(),
            };
            let _ = writeln!(
                o,
                "<tr id=\"b{i}\"><td><code>{}</code></td><td><span class=\"sev {out}\">{out}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&r.path),
                esc(r.context.as_deref().unwrap_or("")),
                esc(r.kubernetes.as_deref().unwrap_or(UNKNOWN)),
                esc(r.collector.as_deref().unwrap_or(UNKNOWN)),
                if findings.is_empty() { "<span class=\"muted\">none</span>".into() } else { findings.join("<br>") },
                errors,
                out = r.outcome.as_str(),
            );
        }
        o.push_str("</table>\n</body></html>\n");
        o
    }
}

/// A rule ID as an HTML id: letters, digits, `-` and `_` kept, the rest hex-escaped.
fn anchor(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            out.push(c);
        } else {
            let _ = write!(out, "_{:x}", c as u32);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(path: &str, version: &str, findings: &[(&str, &str)], outcome: &str) -> String {
        let f: Vec<serde_json::Value> = findings
            .iter()
            .map(|(r, s)| serde_json::json!({"rule": r, "severity": s, "title": format!("title of {r}")}))
            .collect();
        serde_json::json!({
            "schema": "aksbundle.report/v1",
            "bundle": {"path": path, "format": "aksbundle/v1", "collected_at": null,
                        "cluster": {"context": "ctx", "version": version}, "collector": "aksbundle 0.1.0"},
            "findings": f, "not_checked": [], "errors": [], "outcome": outcome
        })
        .to_string()
    }

    fn rows(lines: &[String]) -> Vec<BundleRow> {
        lines.iter().map(|l| BundleRow::parse(l).unwrap()).collect()
    }

    #[test]
    fn order_and_duplicates_do_not_change_the_summary() {
        let lines = vec![
            line(
                "b",
                "v1.30.5",
                &[("dns", "critical"), ("dns", "critical")],
                "analyzed",
            ),
            line(
                "a",
                "v1.29.1",
                &[("dns", "critical"), ("ipam", "warning")],
                "analyzed",
            ),
            line("c", "v1.9.0", &[], "failed"),
        ];
        let (one, dups) = Summary::build(rows(&lines));
        assert!(dups.is_empty());
        let mut shuffled = lines.clone();
        shuffled.reverse();
        shuffled.push(lines[0].clone());
        let (two, dups) = Summary::build(rows(&shuffled));
        assert_eq!(dups, ["b"]);
        assert_eq!(one, two);
        assert_eq!(one.to_html(), two.to_html());
        assert_eq!((one.bundles, one.analyzed, one.failed), (3, 2, 1));
        let dns = &one.diagnoses[0];
        assert_eq!(
            (dns.rule.as_str(), dns.findings, dns.bundles.len()),
            ("dns", 3, 2)
        );
        let versions: Vec<&str> = one.by_kubernetes.iter().map(|g| g.key.as_str()).collect();
        assert_eq!(versions, ["v1.30.5", "v1.29.1", "v1.9.0"]);
    }

    #[test]
    fn html_escapes_every_bundle_string() {
        let evil = "<script>alert('x')</script>\"&";
        let lines = vec![line(evil, evil, &[(evil, "warning")], "analyzed")];
        let (s, _) = Summary::build(rows(&lines));
        let html = s.to_html();
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("alert('x')"));
        assert!(html.contains("&lt;script&gt;"));
        // Markdown shows bundle text in code spans (literal) or escaped cells only.
        let md = s.to_markdown();
        let outside_code: String = md.split('`').step_by(2).collect();
        assert!(!outside_code.contains("<script"), "{md}");
        assert!(
            !html.contains("http://")
                || html.matches("http://").count()
                    == html.matches("http://www.w3.org/2000/svg").count()
        );
    }

    #[test]
    fn markdown_summary_is_pinned() {
        let lines = vec![
            line(
                "t2/b.tar.gz",
                "v1.30.5",
                &[("kv-nmi-token-error", "critical")],
                "analyzed",
            ),
            line(
                "t1/a.zip",
                "v1.29.7",
                &[
                    ("dns-timeouts", "warning"),
                    ("kv-nmi-token-error", "critical"),
                ],
                "analyzed",
            ),
            line("t3/c|pipe.tgz", "v1.30.5", &[], "damaged"),
            line("t4/d.tgz", "", &[], "failed"),
        ];
        let (s, _) = Summary::build(rows(&lines));
        insta::assert_snapshot!(s.to_markdown());
    }

    #[test]
    fn lines_without_outcome_count_as_analyzed() {
        let r =
            BundleRow::parse(r#"{"bundle":{"path":"x","cluster":{}},"findings":[],"errors":[]}"#)
                .unwrap();
        assert_eq!(r.outcome, Outcome::Analyzed);
        assert_eq!(version_key("v1.30.5-hotfix"), vec![1, 30, 5]);
        assert_eq!(anchor("a.b c"), "a_2eb_20c");
    }
}
