//! The JSON report (`aksbundle.report/v1`), exactly as the CLI contract fixes it.

use crate::finding::Report;

/// The report as pretty JSON with a trailing newline.
pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("report serializes");
    s.push('\n');
    crate::terminal::json_escape_c1(s)
}
