//! The self-contained HTML report. (Being built: for now it wraps the Markdown report,
//! escaped, in a page with no external resources.)

use crate::finding::Report;

/// Renders the HTML report.
pub fn render(report: &Report) -> String {
    let md = super::markdown::render(report);
    let escaped = md
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!("<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>aksbundle report</title></head><body><pre>{escaped}</pre></body></html>\n", report.lang)
}
