//! The self-contained HTML report: one file with inline CSS, JS and SVG that opens from a
//! ticket attachment with no network. Bundle text only ever reaches the page through
//! minijinja's HTML auto-escaping, and a Content-Security-Policy with hashes of the one
//! inline style and script forbids every network request and every other script.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use minijinja::{AutoEscape, Environment, Value};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::story_view;
use crate::finding::{NodeIpUsage, Report, TimelineEntry};

const TEMPLATE: &str = include_str!("../../templates/report.html.j2");
const CSS: &str = include_str!("../../templates/report.css");
const JS: &str = include_str!("../../templates/report.js");

/// Most objects drawn on the timeline; the table beside it shows every entry.
const TIMELINE_MAX_LANES: usize = 16;

/// Renders the HTML report.
pub fn render(report: &Report) -> String {
    let env = env();
    let tmpl = env.get_template("report.html").expect("added in env()");
    let labels = super::markdown::labels_for(&report.lang);
    let mut ctx = serde_json::to_value(report).expect("report serializes");
    ctx["L"] = serde_json::to_value(&labels).expect("labels serialize");
    ctx["counts"] = serde_json::to_value(counts(report)).expect("counts serialize");
    ctx["ip_chart"] = serde_json::to_value(ip_chart(&report.node_ip_usage)).expect("chart");
    ctx["nnc_chart"] = serde_json::to_value(nnc_chart(&report.node_ip_usage)).expect("chart");
    ctx["timeline_chart"] = serde_json::to_value(timeline(report)).expect("timeline");
    ctx["story"] = serde_json::to_value(story_view(report)).expect("story view");
    ctx["version"] = env!("CARGO_PKG_VERSION").into();
    let mut ctx = Value::from_serialize(&ctx);
    // Our own CSS and JS are the only strings marked safe; every bundle string escapes.
    let extra = minijinja::context! {
        csp => Value::from_safe_string(csp()),
        css => Value::from_safe_string(CSS.to_string()),
        js => Value::from_safe_string(JS.to_string()),
    };
    ctx = minijinja::context! { ..extra, ..ctx };
    match tmpl.render(ctx) {
        Ok(out) => tidy(&out),
        Err(e) => {
            let msg = minijinja::HtmlEscape(&e.to_string()).to_string();
            format!("<!doctype html><meta charset=\"utf-8\"><title>aksbundle</title><p>report rendering failed: {msg}</p>\n")
        }
    }
}

fn env() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_formatter(|out, state, value| {
        // minijinja's HTML escaping also turns `/` into `&#x2f;`, which HTML does not need
        // and which makes paths and URLs unreadable in the source and in snapshots.
        if state.auto_escape() == AutoEscape::Html
            && !value.is_safe()
            && !value.is_undefined()
            && !value.is_none()
        {
            out.write_str(&escape_html(&value.to_string()))?;
            Ok(())
        } else {
            minijinja::escape_formatter(out, state, value)
        }
    });
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.add_filter("clip", clip);
    env.add_test("web_url", |s: String| {
        (s.starts_with("https://") || s.starts_with("http://")) && !s.contains(char::is_whitespace)
    });
    env.add_template("report.html", TEMPLATE)
        .expect("report template compiles");
    env
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The policy: nothing may load or connect; only our own style and script (by hash) run.
fn csp() -> String {
    static CSP: OnceLock<String> = OnceLock::new();
    CSP.get_or_init(|| {
        format!(
            "default-src 'none'; style-src '{}'; script-src '{}'; img-src data:; \
             base-uri 'none'; form-action 'none'",
            sha256_source(CSS),
            sha256_source(JS)
        )
    })
    .clone()
}

/// A CSP hash source (`sha256-<base64>`) of an inline element's exact text.
fn sha256_source(text: &str) -> String {
    format!("sha256-{}", base64(&Sha256::digest(text.as_bytes())))
}

fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Drops trailing spaces and runs of blank lines the template's control flow leaves.
fn tidy(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank = false;
    for line in s.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            if blank {
                continue;
            }
            blank = true;
        } else {
            blank = false;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[derive(Serialize)]
struct Counts {
    critical: usize,
    warning: usize,
    info: usize,
    total: usize,
}

fn counts(report: &Report) -> Counts {
    let by = |s: &str| {
        report
            .findings
            .iter()
            .filter(|f| f.severity.as_str() == s)
            .count()
    };
    Counts {
        critical: by("critical"),
        warning: by("warning"),
        info: by("info"),
        total: report.findings.len(),
    }
}

/// One horizontal bar chart: a row per node, two bars per row.
#[derive(Serialize, Default)]
struct BarChart {
    width: u32,
    height: u32,
    label_width: u32,
    rows: Vec<BarRow>,
    ticks: Vec<Tick>,
    axis_y: u32,
}

#[derive(Serialize)]
struct BarRow {
    node: String,
    y: u32,
    label_y: u32,
    bars: Vec<Bar>,
    /// Set when the first bar far exceeds the second (IPs held by no running pod).
    gap: Option<i64>,
    gap_x: u32,
}

#[derive(Serialize)]
struct Bar {
    class: &'static str,
    label_key: &'static str,
    value: Option<i64>,
    x: u32,
    y: u32,
    width: u32,
    text_x: u32,
    text_y: u32,
}

#[derive(Serialize)]
struct Tick {
    x: u32,
    label: String,
}

const CHART_WIDTH: u32 = 760;
const LABEL_WIDTH: u32 = 250;
const BAR_HEIGHT: u32 = 14;
const ROW_HEIGHT: u32 = 44;

type Pick = fn(&NodeIpUsage) -> Option<i64>;

fn bar_chart(usage: &[NodeIpUsage], series: [(&'static str, &'static str, Pick); 2]) -> BarChart {
    let rows_with_data: Vec<&NodeIpUsage> = usage
        .iter()
        .filter(|u| series.iter().any(|(_, _, pick)| pick(u).is_some()))
        .collect();
    if rows_with_data.is_empty() {
        return BarChart::default();
    }
    let max = rows_with_data
        .iter()
        .flat_map(|u| series.iter().filter_map(|(_, _, pick)| pick(u)))
        .max()
        .unwrap_or(0)
        .max(1);
    let max = nice_ceiling(max);
    let plot = CHART_WIDTH - LABEL_WIDTH - 50;
    let scale = |v: i64| -> u32 { (v.max(0) as f64 / max as f64 * plot as f64).round() as u32 };
    let mut rows = Vec::new();
    for (i, u) in rows_with_data.iter().enumerate() {
        let top = 8 + i as u32 * ROW_HEIGHT;
        let bars = series
            .iter()
            .enumerate()
            .map(|(j, (class, key, pick))| {
                let value = pick(u);
                let y = top + j as u32 * (BAR_HEIGHT + 4);
                let width = value
                    .map(scale)
                    .unwrap_or(0)
                    .max(u32::from(value.is_some()));
                Bar {
                    class,
                    label_key: key,
                    value,
                    x: LABEL_WIDTH,
                    y,
                    width,
                    text_x: LABEL_WIDTH + width + 6,
                    text_y: y + BAR_HEIGHT - 3,
                }
            })
            .collect::<Vec<_>>();
        // Worth pointing at: far more IPs held than pods running (a leak), not the
        // one or two addresses a CNI keeps for itself.
        let gap = match (bars[0].value, bars[1].value) {
            (Some(a), Some(b)) if a - b >= 10.max(b) => Some(a - b),
            _ => None,
        };
        // Beside the second bar's value, which is the short one when there is a gap.
        let gap_x = bars[1].text_x + 8 * bars[1].value.unwrap_or(0).to_string().len() as u32 + 8;
        rows.push(BarRow {
            gap_x,
            node: u.node.clone(),
            y: top,
            label_y: top + BAR_HEIGHT + 4,
            bars,
            gap,
        });
    }
    let axis_y = 8 + rows.len() as u32 * ROW_HEIGHT;
    let steps = max.min(4) as u32;
    let ticks = (0..=steps)
        .map(|k| Tick {
            x: LABEL_WIDTH + plot * k / steps,
            label: (max * i64::from(k) / i64::from(steps)).to_string(),
        })
        .collect();
    BarChart {
        width: CHART_WIDTH,
        height: axis_y + 22,
        label_width: LABEL_WIDTH,
        rows,
        ticks,
        axis_y,
    }
}

/// The smallest round number (1, 2, 3, 4, 5, 6, 8 × 10^k) at or above `v` that splits
/// into four whole ticks.
fn nice_ceiling(v: i64) -> i64 {
    let mut base = 1i64;
    loop {
        for m in [1, 2, 3, 4, 5, 6, 8] {
            let c = base * m;
            if c >= v && (c < 4 || c % 4 == 0) {
                return c;
            }
        }
        base *= 10;
    }
}

fn ip_chart(usage: &[NodeIpUsage]) -> BarChart {
    bar_chart(
        usage,
        [
            ("bar-ipam", "ipam_allocated", |u| u.ipam_allocated),
            ("bar-pods", "running_pods", |u| Some(u.running_pods)),
        ],
    )
    .only_if(usage.iter().any(|u| u.ipam_allocated.is_some()))
}

fn nnc_chart(usage: &[NodeIpUsage]) -> BarChart {
    bar_chart(
        usage,
        [
            ("bar-nnc-req", "nnc_requested", |u| u.nnc_requested),
            ("bar-nnc-alloc", "nnc_allocated", |u| u.nnc_allocated),
        ],
    )
}

impl BarChart {
    fn only_if(self, cond: bool) -> BarChart {
        if cond {
            self
        } else {
            BarChart::default()
        }
    }
}

/// The merged timeline (the story step's): a lane per object, a dot per entry coloured by
/// its kind, the collection time and the events' horizon marked, and the table beside it.
#[derive(Serialize, Default)]
struct Timeline {
    width: u32,
    height: u32,
    label_width: u32,
    lanes: Vec<Lane>,
    ticks: Vec<Tick>,
    axis_y: u32,
    start: String,
    end: String,
    /// Objects left off the chart (the table shows them).
    more_lanes: usize,
    /// Vertical marks: the collection time, the events' horizon.
    marks: Vec<Mark>,
    entries: Vec<TimelineEntry>,
}

#[derive(Serialize)]
struct Lane {
    object: String,
    y: u32,
    dots: Vec<Dot>,
}

#[derive(Serialize)]
struct Dot {
    x: u32,
    kind: String,
    time: String,
    text: String,
}

#[derive(Serialize)]
struct Mark {
    x: u32,
    /// `collected` or `horizon`: the label key and the CSS class.
    key: &'static str,
    time: String,
}

const LANE_HEIGHT: u32 = 26;

fn timeline(report: &Report) -> Timeline {
    let entries = &report.timeline;
    let timed: Vec<(i64, &TimelineEntry)> = entries
        .iter()
        .filter_map(|e| crate::time::seconds(&e.time).map(|t| (t, e)))
        .collect();
    if timed.is_empty() {
        return Timeline {
            entries: entries.clone(),
            ..Timeline::default()
        };
    }
    let collected = report
        .bundle
        .collected_at
        .as_deref()
        .and_then(crate::time::seconds);
    let horizon = report
        .story
        .as_ref()
        .and_then(|s| s.events_horizon.as_deref())
        .and_then(crate::time::seconds);
    let first = timed.iter().map(|(t, _)| *t).min().expect("not empty");
    let last = timed.iter().map(|(t, _)| *t).max().expect("not empty");
    // The axis runs from the events' horizon (when it is before the first entry, so the
    // reader sees how far back events could reach) to the collection.
    let (mut lo, mut hi) = (
        first.min(horizon.unwrap_or(first)),
        last.max(collected.unwrap_or(last)),
    );
    if hi - lo < 600 {
        let mid = (lo + hi) / 2;
        lo = mid - 300;
        hi = mid + 300;
    }
    let pad = (hi - lo) / 20;
    let (lo, hi) = (lo - pad, hi + pad);
    let plot_x = LABEL_WIDTH;
    let plot_w = CHART_WIDTH - LABEL_WIDTH - 20;
    let x_of =
        |s: i64| plot_x + ((s - lo) as f64 / (hi - lo) as f64 * plot_w as f64).round() as u32;

    // Lanes: objects with the most entries, then in order of their first entry.
    let mut by_object: BTreeMap<&str, Vec<(i64, &TimelineEntry)>> = BTreeMap::new();
    for (t, e) in &timed {
        let lane = if e.object.is_empty() {
            "cluster"
        } else {
            e.object.as_str()
        };
        by_object.entry(lane).or_default().push((*t, e));
    }
    let mut objects: Vec<(&str, Vec<(i64, &TimelineEntry)>)> = by_object.into_iter().collect();
    objects.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    let more_lanes = objects.len().saturating_sub(TIMELINE_MAX_LANES);
    objects.truncate(TIMELINE_MAX_LANES);
    objects.sort_by(|a, b| (a.1[0].0, a.0).cmp(&(b.1[0].0, b.0)));
    let lanes: Vec<Lane> = objects
        .into_iter()
        .enumerate()
        .map(|(i, (object, evs))| Lane {
            object: object.to_string(),
            y: 14 + i as u32 * LANE_HEIGHT,
            dots: evs
                .iter()
                .map(|(t, e)| Dot {
                    x: x_of(*t),
                    kind: e.kind.clone(),
                    time: e.time.clone(),
                    text: e.text.chars().take(160).collect(),
                })
                .collect(),
        })
        .collect();
    let axis_y = 4 + lanes.len() as u32 * LANE_HEIGHT;
    let mut marks = Vec::new();
    for (key, at) in [("events_horizon", horizon), ("collected_at", collected)] {
        if let Some(at) = at.filter(|t| (lo..=hi).contains(t)) {
            marks.push(Mark {
                x: x_of(at),
                key,
                time: crate::time::from_seconds(at).unwrap_or_default(),
            });
        }
    }
    let tick_format = if hi - lo > 20 * 3600 {
        "%m-%d %H:%M"
    } else {
        "%H:%M"
    };
    let ticks = (0..=4)
        .map(|k| {
            let s = lo + (hi - lo) * k / 4;
            let label = jiff::Timestamp::from_second(s)
                .map(|t| t.strftime(tick_format).to_string())
                .unwrap_or_default();
            Tick { x: x_of(s), label }
        })
        .collect();
    Timeline {
        width: CHART_WIDTH,
        height: axis_y + 24,
        label_width: LABEL_WIDTH,
        lanes,
        ticks,
        axis_y,
        start: crate::time::from_seconds(first).unwrap_or_default(),
        end: crate::time::from_seconds(last).unwrap_or_default(),
        more_lanes,
        marks,
        entries: entries.clone(),
    }
}

/// At most `n` characters, the middle elided, so both ends of a pod name stay readable.
fn clip(s: String, n: usize) -> String {
    let count = s.chars().count();
    if count <= n || n < 3 {
        return s;
    }
    let head = (n - 1) / 2;
    let tail = n - 1 - head;
    let mut out: String = s.chars().take(head).collect();
    out.push('…');
    out.extend(s.chars().skip(count - tail));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csp_hashes_match_known_vectors() {
        // sha256("") and sha256("abc") in base64, as browsers compute them.
        assert_eq!(
            sha256_source(""),
            "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
        assert_eq!(
            sha256_source("abc"),
            "sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        );
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"a"), "YQ==");
    }

    #[test]
    fn script_and_template_never_write_markup_from_text() {
        for bad in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
        ] {
            assert!(!JS.contains(bad), "report.js uses {bad}");
        }
        // Comments aside, nothing in the template may opt out of auto-escaping.
        let code: String = TEMPLATE
            .split("{#")
            .map(|part| part.split_once("#}").map_or(part, |(_, rest)| rest))
            .collect();
        assert!(!code.contains("|safe") && !code.contains("| safe"));
        assert!(!code.contains("autoescape"));
    }

    #[test]
    fn hostile_text_is_escaped_everywhere() {
        let mut report: Report = serde_json::from_value(serde_json::json!({
            "schema": "aksbundle.report/v1",
            "bundle": {"path": "<b>p</b>", "format": null, "collected_at": null,
                       "cluster": {"context": "<i>ctx</i>"}},
            "findings": [], "not_checked": [], "errors": [],
        }))
        .unwrap();
        report.timeline.push(TimelineEntry {
            time: "2026-11-22T03:59:31Z".into(),
            kind: "\"><script>".into(),
            object: "ns/pod/<svg onload=x>".into(),
            text: "</textarea><script>alert(1)</script>".into(),
            finding: Some("\"><i>".into()),
        });
        let html = render(&report);
        for live in ["<b>", "<i>", "<svg onload", "<script>alert", "\"><script>"] {
            assert!(!html.contains(live), "{live} reached the page unescaped");
        }
        assert!(html.contains("&lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert_eq!(html, render(&report), "rendering is deterministic");
    }

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape_html(r#"<a href="x" onclick='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn round_axis_maxima() {
        assert_eq!(nice_ceiling(1), 1);
        assert_eq!(nice_ceiling(3), 3);
        assert_eq!(nice_ceiling(7), 8);
        assert_eq!(nice_ceiling(244), 300);
        assert_eq!(nice_ceiling(256), 300);
        assert_eq!(nice_ceiling(100), 100);
    }
}
