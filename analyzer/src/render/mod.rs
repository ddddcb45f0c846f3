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
fn shell_quote(value: String) -> String {
    if !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+".contains(c))
    {
        value
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
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
    ENV.with(|env| {
        env.compile_expression(expr)
            .and_then(|e| e.eval(ctx))
            .map(|v| v.is_true())
            .unwrap_or(false)
    })
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
    }
}
