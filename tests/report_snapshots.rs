//! The Markdown and HTML reports of the sample bundles, pinned with insta snapshots.
//!
//! The rule catalogue changes findings: after a rule change, review the diff with
//! `cargo insta review` (or accept all with `INSTA_UPDATE=always cargo test --test
//! report_snapshots`). HTML snapshots leave out the inline CSS, JS and their CSP hashes,
//! which would only add noise; the browser test (tests/browser.rs) covers those.

use std::path::Path;

/// The report of `bundle` in `format` and `lang`, as `aksbundle analyze testdata/BUNDLE`
/// renders it. Through the library rather than the binary: the binary in a shared
/// target folder can be another checkout's.
fn report(bundle: &str, format: &str, lang: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (catalogue, rule_errors) = analyzer::Catalogue::builtin();
    let opts = analyzer::AnalyzeOptions {
        lang: lang.into(),
        display_path: Some(format!("testdata/{bundle}")),
        ..Default::default()
    };
    let mut analysis =
        analyzer::analyze(&root.join("testdata").join(bundle), &catalogue, &opts).expect("reads");
    analysis
        .report
        .errors
        .extend(rule_errors.into_iter().map(|e| analyzer::ReadIssue {
            file: e.path,
            message: e.message,
        }));
    let format = match format {
        "md" => analyzer::render::Format::Markdown,
        "html" => analyzer::render::Format::Html,
        _ => analyzer::render::Format::Json,
    };
    analyzer::render::render(&analysis.report, format)
}

fn check(bundle: &str, format: &str, lang: &str) {
    let text = report(bundle, format, lang);
    let root = env!("CARGO_MANIFEST_DIR");
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.add_filter(&regex_escape(root), "[ROOT]");
    settings.add_filter(r"/tmp/[^\s<>&]+", "[TMP]");
    settings.add_filter(r"(?s)<style>.*?</style>", "<style>[report.css]</style>");
    settings.add_filter(r"(?s)<script>.*?</script>", "<script>[report.js]</script>");
    settings.add_filter(r"'sha256-[A-Za-z0-9+/=]+'", "'sha256-[hash]'");
    settings.add_filter(r"aksbundle \d+\.\d+\.\d+", "aksbundle [version]");
    settings.bind(|| {
        insta::assert_snapshot!(format!("{bundle}.{lang}.{format}"), text);
    });
}

/// Escapes regex metacharacters in a literal path.
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[test]
fn keyvault_nmi_md_en() {
    check("keyvault-nmi", "md", "en");
}

#[test]
fn keyvault_nmi_md_ja() {
    check("keyvault-nmi", "md", "ja");
}

#[test]
fn keyvault_nmi_html_en() {
    check("keyvault-nmi", "html", "en");
}

#[test]
fn keyvault_nmi_html_ja() {
    check("keyvault-nmi", "html", "ja");
}

#[test]
fn healthy_md_en() {
    check("healthy", "md", "en");
}

#[test]
fn healthy_html_en() {
    check("healthy", "html", "en");
}

#[test]
fn ipam_leak_md_en() {
    check("ipam-leak", "md", "en");
}

#[test]
fn ipam_leak_html_ko() {
    check("ipam-leak", "html", "ko");
}

#[test]
fn apiserver_unreachable_md_en() {
    check("apiserver-unreachable", "md", "en");
}

/// Pins how hostile bundle text comes out: escaped, never live markup.
#[test]
fn xss_md_en() {
    check("xss", "md", "en");
}

#[test]
fn xss_html_en() {
    check("xss", "html", "en");
}
