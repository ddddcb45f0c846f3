//! Renders reports (JSON, Markdown) and the small templates inside rule files, with
//! minijinja. Output is deterministic: the same bundle gives the same bytes.

pub mod html;
pub mod json;
pub mod markdown;

use minijinja::{Environment, UndefinedBehavior};

/// The environment rule templates (summaries, commands) render in: undefined names render
/// empty (rules use `default('<placeholder>')`), no HTML escaping (the HTML report escapes
/// everything it prints).
pub fn template_env() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Lenient);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.add_filter("shell_quote", shell_quote);
    env
}

/// Quotes a value for a POSIX shell when it needs it.
/// Idempotent: a value this function already quoted is returned as it is.
pub fn shell_quote(value: String) -> String {
    if is_shell_safe(&value) || is_quoted(&value) {
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

/// True for `'...'` where every inner quote is the `'\''` escape this module writes.
fn is_quoted(value: &str) -> bool {
    let Some(inner) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) else {
        return false;
    };
    !value.is_empty() && value.len() >= 2 && !inner.replace(r"'\''", "").contains('\'')
}

/// A copy of a template context whose strings are shell-quoted where they need it, for
/// rendering commands: bundle text (a pod named `x; rm -rf ~`) stays one argument.
pub fn shell_quoted_context(ctx: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match ctx {
        Value::String(s) => Value::String(shell_quote(s.clone())),
        Value::Array(a) => Value::Array(a.iter().map(shell_quoted_context).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), shell_quoted_context(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

thread_local! {
    static ENV: Environment<'static> = template_env();
}

/// Renders a rule template over the finding's context. A template that fails at render
/// time (it compiled at load) falls back to its source, so no finding is lost.
pub fn render_text(template: &str, ctx: &serde_json::Value) -> String {
    if !template.contains("{{") && !template.contains("{%") {
        return template.to_string();
    }
    ENV.with(|env| {
        env.render_str(template, ctx)
            .unwrap_or_else(|_| template.to_string())
    })
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
        assert_eq!(shell_quote(shell_quote("it's".into())), r"'it'\''s'");
        assert_eq!(shell_quote("'a' b'".into()), r"''\''a'\'' b'\'''");
        let quoted = shell_quoted_context(
            &serde_json::json!({"pod": "x; rm -rf ~", "n": 3, "l": ["ok", "a b"]}),
        );
        assert_eq!(
            quoted,
            serde_json::json!({"pod": "'x; rm -rf ~'", "n": 3, "l": ["ok", "'a b'"]})
        );
        let cmd = render_text(
            "kubectl logs {{ pod }} -n {{ ns | shell_quote }}",
            &shell_quoted_context(&serde_json::json!({"pod": "$(reboot)", "ns": "a b"})),
        );
        assert_eq!(cmd, "kubectl logs '$(reboot)' -n 'a b'");
    }
}
