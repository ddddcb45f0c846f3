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
