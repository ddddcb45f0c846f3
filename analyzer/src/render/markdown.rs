//! The Markdown report, for pasting into a ticket: it reads well on GitHub and in Azure
//! DevOps. Bundle text lands only in code spans, fences and escaped table cells.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use minijinja::{Environment, Value};

use crate::finding::Report;

const TEMPLATE: &str = include_str!("../../templates/report.md.j2");
const LABELS: &str = include_str!("../../templates/labels.yaml");

type Labels = BTreeMap<String, BTreeMap<String, String>>;

/// Report labels (headings) in every language.
pub fn labels() -> &'static Labels {
    static L: OnceLock<Labels> = OnceLock::new();
    L.get_or_init(|| serde_yaml::from_str(LABELS).expect("labels.yaml is valid"))
}

/// The labels of one language, English where a translation is missing.
pub fn labels_for(lang: &str) -> BTreeMap<String, String> {
    labels()
        .iter()
        .map(|(k, v)| {
            let text = v
                .get(lang)
                .or_else(|| v.get("en"))
                .cloned()
                .unwrap_or_default();
            (k.clone(), text)
        })
        .collect()
}

/// A table cell: one line, prose escapes, pipes escaped.
fn cell(v: String) -> String {
    let one = text(v.replace(['\r', '\n'], " ")).replace('|', "\\|");
    if one.chars().count() > 300 {
        let cut: String = one.chars().take(300).collect();
        format!("{cut}…")
    } else {
        one
    }
}

/// Prose from rules and the bundle. Outside code spans, raw HTML and autolinks (`<`), link
/// and image syntax (`[`, `]`, `![`) and backslashes show as text: GitHub and Azure DevOps
/// render all of them. Code spans are kept as they are: nothing inside one is live.
fn text(v: String) -> String {
    let chars: Vec<char> = v.chars().collect();
    let mut out = String::with_capacity(v.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '`' {
            let n = chars[i..].iter().take_while(|c| **c == '`').count();
            let end = closing_run(&chars, i + n, n).unwrap_or(i + n);
            out.extend(&chars[i..end]);
            i = end;
            continue;
        }
        match c {
            '<' => out.push_str("&lt;"),
            '\\' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            '!' if chars.get(i + 1) == Some(&'[') => out.push_str("\\!"),
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// The end (exclusive) of the backtick run of exactly `n` that closes a code span opened
/// before `from`, as CommonMark matches them.
fn closing_run(chars: &[char], from: usize, n: usize) -> Option<usize> {
    let mut i = from;
    while i < chars.len() {
        // A blank line ends the paragraph, and so any code span.
        if chars[i] == '\n' {
            let rest = chars[i + 1..].iter().take_while(|c| **c != '\n');
            if rest.clone().all(|c| c.is_whitespace()) && i + 1 + rest.count() < chars.len() {
                return None;
            }
        }
        if chars[i] == '`' {
            let m = chars[i..].iter().take_while(|c| **c == '`').count();
            if m == n {
                return Some(i + m);
            }
            i += m;
        } else {
            i += 1;
        }
    }
    None
}

/// Prose on one line (a heading, a list item).
fn inline(v: String) -> String {
    text(v.replace(['\r', '\n'], " "))
}

fn list_cell(v: Vec<String>) -> String {
    if v.is_empty() {
        return "–".into();
    }
    let shown: Vec<String> = v.iter().take(3).map(|s| code_cell(s.clone())).collect();
    let more = v.len().saturating_sub(3);
    if more > 0 {
        format!("{} +{more}", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

/// A code span inside a table cell: one line, pipes escaped (GFM unescapes them there).
fn code_cell(v: String) -> String {
    format!(
        "`{}`",
        v.replace('`', "'")
            .replace(['\r', '\n'], " ")
            .replace('|', "\\|")
    )
}

/// A code span longer than any backtick run inside; line breaks become spaces, since a
/// blank line would end the span and free what follows.
fn code(v: String) -> String {
    let v = v.replace(['\r', '\n'], " ");
    let longest = longest_run(&v, '`');
    let ticks = "`".repeat(longest + 1);
    if longest > 0 || v.starts_with(' ') || v.ends_with(' ') {
        format!("{ticks} {v} {ticks}")
    } else {
        format!("{ticks}{v}{ticks}")
    }
}

/// A raw value shown as it is, with control characters written as escapes.
fn visible(v: String) -> String {
    let mut out = String::new();
    for c in v.chars().take(300) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    if v.chars().count() > 300 {
        out.push('…');
    }
    out
}

fn longest_run(s: &str, ch: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for c in s.chars() {
        if c == ch {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}

/// A fenced block, indented, with a fence longer than any backtick run inside.
fn fence(v: String, indent: Option<String>, lang: Option<String>) -> String {
    let indent = indent.unwrap_or_default();
    let ticks = "`".repeat(longest_run(&v, '`').max(2) + 1);
    let mut out = format!("{indent}{ticks}{}\n", lang.unwrap_or_else(|| "text".into()));
    for line in v.lines() {
        out.push_str(&indent);
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&indent);
    out.push_str(&ticks);
    out
}

fn env() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.add_filter("cell", cell);
    env.add_filter("list_cell", list_cell);
    env.add_filter("code", code);
    env.add_filter("code_cell", code_cell);
    env.add_filter("visible", visible);
    env.add_filter("text", text);
    env.add_filter("inline", inline);
    env.add_filter("fence", fence);
    env.add_template("report.md", TEMPLATE)
        .expect("report template compiles");
    env
}

/// Renders the Markdown report.
pub fn render(report: &Report) -> String {
    let env = env();
    let labels = labels_for(&report.lang);
    let sev_labels = labels.clone();
    let mut env = env;
    env.add_filter("sev", move |s: String| {
        let icon = match s.as_str() {
            "critical" => "🔴",
            "warning" => "🟠",
            _ => "🔵",
        };
        format!("{icon} {}", sev_labels.get(&s).cloned().unwrap_or(s))
    });
    let tmpl = env.get_template("report.md").expect("added above");
    let mut ctx = serde_json::to_value(report).expect("report serializes");
    ctx["L"] = serde_json::to_value(&labels).expect("labels serialize");
    ctx["story"] = serde_json::to_value(super::story_view(report)).expect("story view");
    let out = tmpl
        .render(Value::from_serialize(&ctx))
        .unwrap_or_else(|e| format!("report rendering failed: {e}\n"));
    // Bundle text must not drive the terminal the report is printed on.
    crate::terminal::visible(&tidy(&out)).into_owned()
}

/// Collapses the blank lines template control flow leaves behind.
fn tidy(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut blank = 0;
    for line in s.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim_start().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_fences_contain_hostile_text() {
        assert_eq!(cell("a|b\nc".into()), "a\\|b c");
        let f = fence("x ``` y".into(), Some("  ".into()), None);
        assert!(f.starts_with("  ````text\n"));
        assert!(f.ends_with("  ````"));
        assert_eq!(code("a`b".into()), "`` a`b ``");
        assert_eq!(inline("<script>\nx".into()), "&lt;script> x");
        assert_eq!(code("a\n\n[x](y)".into()), "`a  [x](y)`");
        assert_eq!(visible("a\nb\u{1b}".into()), "a\\nb\\u{1b}");
    }

    /// Issue 17 item 7: link and image syntax from bundle text must not be live outside
    /// code spans.
    #[test]
    fn link_and_image_syntax_from_the_bundle_is_escaped_outside_code_spans() {
        let hostile =
            "pod [click](https://evil) ![x](https://evil/pixel) \\[y](https://evil) <https://evil>";
        let out = text(hostile.into());
        assert_eq!(
            out,
            "pod \\[click\\](https://evil) \\!\\[x\\](https://evil/pixel) \\\\\\[y\\](https://evil) &lt;https://evil>"
        );
        // Code spans are left alone: nothing is live inside them.
        assert_eq!(
            text("run `[a](b)` now [c]".into()),
            "run `[a](b)` now \\[c\\]"
        );
        // A blank line ends a code span: what follows it is prose again.
        assert_eq!(text("`a\n\n[x](y)`".into()), "`a\n\n\\[x\\](y)`");
        // An unclosed backtick opens nothing.
        assert_eq!(text("` [a](b)".into()), "` \\[a\\](b)");
        assert_eq!(cell("[a](b)|c".into()), "\\[a\\](b)\\|c");
        assert!(!list_cell(vec!["`[a](b)`\n".into()]).contains("``"));
    }

    #[test]
    fn evidence_without_a_line_shows_no_none() {
        // Regression: context evidence from an object file rendered as `pods.json:None`.
        let report: Report = serde_json::from_value(serde_json::json!({
            "schema": "aksbundle.report/v1",
            "bundle": {"path": "b", "format": null, "collected_at": null, "cluster": {"context": null}},
            "findings": [{
                "rule": "service-no-endpoints", "severity": "critical", "title": "t", "summary": "s",
                "objects": ["shop/service/web"], "remediation": [], "references": [],
                "id": "f1", "status": "ongoing", "caused_by": [], "explains": [],
                "evidence": [
                    {"file": "namespaces/shop/endpoints.json", "line": null, "excerpt": "no ready addresses",
                     "count": 1, "first_seen": null, "last_seen": null},
                    {"file": "namespaces/shop/pods.json", "line": null, "excerpt": "pod web-1 is not Ready",
                     "count": 1, "first_seen": null, "last_seen": null, "role": "context"},
                    {"file": "logs/shop/web-1/app.log", "line": 12, "excerpt": "boom",
                     "count": 1, "first_seen": null, "last_seen": null, "role": "context"}]
            }],
            "not_checked": [], "errors": [],
        }))
        .unwrap();
        let md = render(&report);
        assert!(!md.contains("None"), "{md}");
        assert!(md.contains("- `namespaces/shop/pods.json`\n"), "{md}");
        assert!(md.contains("- `logs/shop/web-1/app.log:12`"), "{md}");
    }

    #[test]
    fn every_label_has_all_languages() {
        for (k, v) in labels() {
            for lang in ["en", "ja", "ko"] {
                assert!(
                    v.get(lang).is_some_and(|t| !t.is_empty()),
                    "label {k} lacks {lang}"
                );
            }
        }
    }
}
