//! Renders reports (JSON, Markdown) and the small templates inside rule files, with
//! minijinja. Output is deterministic: the same bundle gives the same bytes.

pub mod html;
pub mod json;
pub mod markdown;
pub mod shell;

use minijinja::{Environment, UndefinedBehavior};

/// Instructions one render of a rule template may run (minijinja fuel); past it the render
/// fails and the template's source is shown instead.
pub const TEMPLATE_FUEL: u64 = 100_000;
/// Nesting depth of one render (loops, calls).
pub const TEMPLATE_RECURSION: usize = 32;
/// Bytes one rendered rule template may produce.
pub const TEMPLATE_OUTPUT_BYTES: usize = 64 * 1024;

/// The environment rule templates (summaries, commands) render in: undefined names render
/// empty (rules use `default('<placeholder>')`), no HTML escaping (the HTML report escapes
/// everything it prints), and bounded work (fuel, recursion).
pub fn template_env() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Lenient);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    // A rule file (a user's included) must not make one render run away.
    env.set_fuel(Some(TEMPLATE_FUEL));
    env.set_recursion_limit(TEMPLATE_RECURSION);
    // `namespace` is a fact in most rules; minijinja's global function of that name would
    // render in its place when the fact is missing.
    env.remove_global("namespace");
    env
}

/// Quotes a value as one word for a POSIX shell's top level, when it needs it.
pub fn shell_quote(value: String) -> String {
    if is_shell_safe(&value) {
        value
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

fn is_shell_safe(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+".contains(c))
}

/// A `Write` that refuses to grow past a byte budget, so a template cannot fill memory
/// with output.
struct Capped(Vec<u8>);

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + buf.len() > TEMPLATE_OUTPUT_BYTES {
            return Err(std::io::Error::other(format!(
                "output over {TEMPLATE_OUTPUT_BYTES} bytes"
            )));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Renders `src` with `env`, failing past [`TEMPLATE_OUTPUT_BYTES`] of output.
pub fn render_capped(
    env: &Environment<'static>,
    src: &str,
    ctx: &serde_json::Value,
) -> Result<String, minijinja::Error> {
    let tmpl = env.template_from_str(src)?;
    let mut out = Capped(Vec::new());
    tmpl.render_captured_to(ctx, &mut out)?;
    Ok(String::from_utf8_lossy(&out.0).into_owned())
}

thread_local! {
    static ENV: Environment<'static> = template_env();
}

/// Renders a rule template over the finding's context. A template that fails at render
/// time (it compiled at load, but ran out of fuel or output) falls back to its source, so
/// no finding is lost.
pub fn render_text(template: &str, ctx: &serde_json::Value) -> String {
    if !template.contains("{{") && !template.contains("{%") {
        return template.to_string();
    }
    guarded(|| ENV.with(|env| render_capped(env, template, ctx)))
        .and_then(Result::ok)
        .unwrap_or_else(|| template.to_string())
}

/// Evaluates a `when:` expression; an error counts as false.
pub fn eval_bool(expr: &str, ctx: &serde_json::Value) -> bool {
    if check_expression(expr).is_err() {
        return false;
    }
    guarded(|| {
        ENV.with(|env| {
            env.compile_expression(expr)
                .and_then(|e| e.eval(ctx))
                .map(|v| v.is_true())
                .unwrap_or(false)
        })
    })
    .unwrap_or(false)
}

/// Refuses what no expression may hold: template delimiters. minijinja 2.24 panics
/// ("empty lexer stack") on `}}` in an expression; found by the `rule_loader` fuzzer.
pub fn check_expression(expr: &str) -> Result<(), String> {
    match ["{{", "}}", "{%", "%}", "{#", "#}"]
        .iter()
        .find(|d| expr.contains(**d))
    {
        Some(d) => Err(format!("an expression cannot contain {d:?}")),
        None => Ok(()),
    }
}

/// Runs template-engine work, turning a panic inside it into `None`: a rule file (a user's
/// `--rules` included) must never crash the analyzer, whatever the engine's bugs.
pub fn guarded<T>(f: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok()
}

/// What the Markdown and HTML reports need beyond the report to tell its story: how deep
/// each finding sits under its root cause, how many are ongoing and over, and the timeline
/// with the collection time and the events' horizon marked.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct StoryView {
    /// Finding id → 0 for a root cause, 1 for what it explains, and so on.
    pub depth: std::collections::BTreeMap<String, usize>,
    /// Finding id → its title, for the cause links.
    pub titles: std::collections::BTreeMap<String, String>,
    pub ongoing: usize,
    pub over: usize,
    /// The timeline's latest entries with the marks in place, oldest first.
    pub rows: Vec<TimelineRow>,
    /// Entries left off `rows` (the JSON has them all).
    pub rows_omitted: usize,
}

/// A timeline row: an entry, or a mark (`collected_at`, `events_horizon`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TimelineRow {
    pub time: String,
    pub kind: String,
    pub object: String,
    pub text: String,
    pub finding: Option<String>,
    pub mark: Option<&'static str>,
}

/// Most timeline rows a Markdown or HTML table shows.
pub const MAX_TIMELINE_ROWS: usize = 100;

/// The story view of a report.
pub fn story_view(report: &crate::finding::Report) -> StoryView {
    use crate::finding::Status;
    let mut depth: std::collections::BTreeMap<String, usize> = Default::default();
    for f in &report.findings {
        let d = f
            .story
            .caused_by
            .iter()
            .find_map(|c| depth.get(c))
            .map_or(0, |d| (d + 1).min(4));
        depth.insert(f.story.id.clone(), d);
    }
    let over = report
        .findings
        .iter()
        .filter(|f| f.story.status == Status::Over)
        .count();
    let entries = &report.timeline;
    let rows_omitted = entries.len().saturating_sub(MAX_TIMELINE_ROWS);
    let mut rows: Vec<TimelineRow> = entries[rows_omitted..]
        .iter()
        .map(|e| TimelineRow {
            time: e.time.clone(),
            kind: e.kind.clone(),
            object: e.object.clone(),
            text: e.text.clone(),
            finding: e.finding.clone(),
            mark: None,
        })
        .collect();
    let horizon = report.story.as_ref().and_then(|s| s.events_horizon.clone());
    if !rows.is_empty() {
        for (key, time) in [
            ("events_horizon", horizon),
            ("collected_at", report.bundle.collected_at.clone()),
        ] {
            let Some(time) = time.and_then(|t| crate::time::place(&t, None)) else {
                continue;
            };
            // A mark before the first row shown would sit above entries left off.
            if rows_omitted > 0 && rows.first().is_some_and(|r| time < r.time) {
                continue;
            }
            let at = rows.partition_point(|r| r.time <= time);
            rows.insert(
                at,
                TimelineRow {
                    time,
                    kind: String::new(),
                    object: String::new(),
                    text: String::new(),
                    finding: None,
                    mark: Some(key),
                },
            );
        }
    }
    StoryView {
        depth,
        titles: report
            .findings
            .iter()
            .map(|f| (f.story.id.clone(), f.title.clone()))
            .collect(),
        ongoing: report.findings.len() - over,
        over,
        rows,
        rows_omitted,
    }
}

/// Report output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Html,
    Json,
}

/// Renders `report` in `format`.
pub fn render(report: &crate::finding::Report, format: Format) -> String {
    match format {
        Format::Markdown => markdown::render(report),
        Format::Html => html::render(report),
        Format::Json => json::render(report),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_facts_and_placeholders() {
        let ctx = serde_json::json!({"pod": "web-1", "namespace": "shop"});
        assert_eq!(
            render_text("kubectl describe pod {{ pod }} -n {{ namespace }} --context {{ cluster | default('<context>') }}", &ctx),
            "kubectl describe pod web-1 -n shop --context <context>"
        );
        assert!(eval_bool("pod == 'web-1'", &ctx));
        assert!(!eval_bool("missing", &ctx));
        assert_eq!(shell_quote("app=web".into()), "app=web");
        assert_eq!(shell_quote("it's".into()), r"'it'\''s'");
        // Quoting happens once, so a value that looks quoted is quoted again.
        assert_eq!(shell_quote("'a b'".into()), r"''\''a b'\'''");
    }

    /// Issue 17 item 6: a user's template that loops without end or prints without end
    /// stops at the fuel or the output cap and shows its source.
    #[test]
    fn runaway_templates_stop_at_fuel_and_output_cap() {
        let ctx = serde_json::json!({});
        for t in [
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
            "{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}",
            "{{ 'x' * 100000 }}",
            "{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}",
        ] {
            assert_eq!(render_text(t, &ctx), t);
        }
    }
}
