//! The HTML report in a real headless Chromium: bundle text never runs, the page loads
//! nothing, findings show, and the severity filter and search work from the URL fragment.
//!
//! The page's own script writes what it saw (resources loaded, CSP violations, filter
//! state, whether `window.__pwned` exists) into `<output id="selftest">`; Chromium's
//! `--dump-dom` prints the DOM after `--virtual-time-budget`, and we read it back.
//! Needs Debian's `chromium` package (or `AKSBUNDLE_CHROMIUM=/path`); set
//! `AKSBUNDLE_SKIP_BROWSER=1` to skip where it cannot be installed.
//! Screenshots land in `target/browser-artifacts/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use analyzer::finding::{
    BundleFacts, ClusterFacts, Evidence, NodeIpUsage, NotChecked, Step, StoryFacts, StoryMeta,
    Table, TimelineEntry, TimelineEvent,
};
use analyzer::{Finding, ReadIssue, Report, Severity, Status};

/// Every payload sets one of these if it ever runs.
const PWN: &str = "<script>window.__pwned=1;document.title='PWNED'</script><img src=x onerror=\"window.__pwned=2;document.body.appendChild(document.createElement('pwned-marker'))\">\"><svg onload=\"window.__pwned=3\"></textarea></style></script><script>window.__pwned=5</script> javascript:window.__pwned=4// {{ 7*7 }}";

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("AKSBUNDLE_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let candidates = [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ];
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path).chain([PathBuf::from("/usr/bin")]) {
        for c in candidates {
            let p = dir.join(c);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// The browser, or `None` when the test may be skipped; panics when it is required.
fn browser_or_skip() -> Option<PathBuf> {
    match chromium() {
        Some(p) => Some(p),
        None if std::env::var("AKSBUNDLE_SKIP_BROWSER").as_deref() == Ok("1") => {
            eprintln!("browser test skipped: AKSBUNDLE_SKIP_BROWSER=1 and no chromium found");
            None
        }
        None => panic!(
            "headless Chromium is needed for the HTML report test: install it \
             (Debian/Ubuntu: `apt-get install -y chromium`), point AKSBUNDLE_CHROMIUM at \
             the binary, or set AKSBUNDLE_SKIP_BROWSER=1 to skip this test"
        ),
    }
}

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target/tmp has a parent")
        .join("browser-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Output of one headless Chromium run.
struct Run {
    stdout: String,
    stderr: String,
}

/// Runs Chromium on `url` with no network and a throwaway profile; `extra` picks the
/// action (`--dump-dom`, `--screenshot=...`).
fn run_chromium(bin: &Path, url: &str, extra: &[String]) -> Run {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
            "--mute-audio",
            "--hide-scrollbars",
            // Belt and braces: even if the page tried, no host name resolves.
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=3000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut out, &mut s).ok();
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut err, &mut s).ok();
        s
    });
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(90) {
            child.kill().ok();
            child.wait().ok();
            panic!("chromium did not finish within 90 s on {url}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Run {
        stdout: t_out.join().unwrap(),
        stderr: t_err.join().unwrap(),
    }
}

fn file_url(path: &Path, fragment: &str) -> String {
    let abs = std::fs::canonicalize(path).unwrap();
    format!("file://{}{fragment}", abs.display())
}

/// The attributes of the first start tag containing `marker`.
fn tag_attrs(dom: &str, marker: &str) -> BTreeMap<String, String> {
    let at = dom
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in the DOM:\n{}", head(dom)));
    let start = dom[..at].rfind('<').unwrap();
    let end = at + dom[at..].find('>').unwrap();
    parse_attrs(&dom[start..end])
}

fn parse_attrs(tag: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = tag.trim_start_matches('<');
    rest = rest.trim_start_matches(|c: char| !c.is_whitespace());
    loop {
        rest = rest.trim_start();
        if rest.is_empty() || rest.starts_with('/') {
            break;
        }
        let name_end = rest.find(['=', ' ', '>']).unwrap_or(rest.len());
        let name = rest[..name_end].to_string();
        rest = &rest[name_end..];
        if let Some(r) = rest.strip_prefix("=\"") {
            let close = r.find('"').unwrap_or(r.len());
            out.insert(name, r[..close].to_string());
            rest = &r[(close + 1).min(r.len())..];
        } else {
            out.insert(name, String::new());
        }
    }
    out
}

/// Every `<article ...>` start tag's attributes.
fn articles(dom: &str) -> Vec<BTreeMap<String, String>> {
    dom.match_indices("<article ")
        .map(|(i, _)| {
            let end = i + dom[i..].find('>').unwrap();
            parse_attrs(&dom[i..end])
        })
        .collect()
}

fn head(s: &str) -> String {
    s.chars().take(3000).collect()
}

fn title(dom: &str) -> String {
    let a = dom.find("<title>").map(|i| i + 7).unwrap_or(0);
    let b = dom[a..].find("</title>").map(|i| a + i).unwrap_or(a);
    dom[a..b].to_string()
}

/// What every page must satisfy: our script ran, nothing from the bundle did, nothing
/// loaded, nothing was blocked.
fn assert_clean(run: &Run, what: &str) -> BTreeMap<String, String> {
    let dom = &run.stdout;
    let hook = tag_attrs(dom, "id=\"selftest\"");
    assert_eq!(
        hook.get("data-ready").map(String::as_str),
        Some("yes"),
        "{what}: the report's own script did not run (CSP hash mismatch?)\nstderr:\n{}",
        run.stderr
    );
    assert_eq!(
        hook["data-pwned"], "no",
        "{what}: a payload set window.__pwned"
    );
    assert_eq!(
        hook["data-resources"], "0",
        "{what}: the page loaded resources"
    );
    assert_eq!(
        hook["data-csp-violations"], "0",
        "{what}: something tried to load or run and CSP blocked it\nstderr:\n{}",
        run.stderr
    );
    assert!(
        !dom.contains("<pwned-marker"),
        "{what}: a payload added an element"
    );
    // The payload sets the title to exactly PWNED; ours starts with the report title.
    assert!(
        title(dom).starts_with("aksbundle "),
        "{what}: a payload set the title: {}",
        title(dom)
    );
    assert!(
        !run.stderr.contains("Refused to"),
        "{what}: Chromium refused a load or script:\n{}",
        run.stderr
    );
    for bad in [
        "<script>window",
        "<img src=\"x\"",
        "<svg onload",
        "href=\"javascript:",
    ] {
        assert!(!dom.contains(bad), "{what}: live markup {bad:?} in the DOM");
    }
    hook
}

/// Writes the HTML report of `testdata/BUNDLE`, as `aksbundle analyze --format html`
/// does. Through the library rather than the binary: the binary in a shared target
/// folder can be another checkout's.
fn render_bundle(bundle: &str, lang: &str, out: &Path) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(bundle);
    let (catalogue, rule_errors) = analyzer::Catalogue::builtin();
    let opts = analyzer::AnalyzeOptions {
        lang: lang.into(),
        display_path: Some(format!("testdata/{bundle}")),
        ..Default::default()
    };
    let mut analysis = analyzer::analyze(&src, &catalogue, &opts).expect("reads");
    analysis
        .report
        .errors
        .extend(rule_errors.into_iter().map(|e| ReadIssue {
            file: e.path,
            message: e.message,
        }));
    std::fs::write(out, analyzer::render::html::render(&analysis.report)).unwrap();
}

#[test]
fn xss_bundle_report_runs_no_bundle_text_and_loads_nothing() {
    let Some(bin) = browser_or_skip() else { return };
    let dir = artifacts();
    let html = dir.join("xss.html");
    render_bundle("xss", "en", &html);

    let run = run_chromium(&bin, &file_url(&html, ""), &["--dump-dom".into()]);
    let hook = assert_clean(&run, "xss report");
    let dom = &run.stdout;
    let total: usize = hook["data-total"].parse().unwrap();
    assert!(total >= 1, "the xss bundle must produce findings");
    assert_eq!(
        hook["data-visible"], hook["data-total"],
        "all findings show"
    );
    // The payloads are there, as text.
    assert!(
        dom.contains("&lt;script&gt;window.__pwned=1;"),
        "payload shows as text"
    );
    assert!(
        dom.contains("{{ 7*7 }}"),
        "template syntax is shown, not evaluated"
    );
    assert!(!dom.contains("href=\"javascript:"));

    // Filtering the xss report by a severity it has none of hides every finding.
    let absent = ["info", "warning", "critical"]
        .into_iter()
        .find(|s| articles(dom).iter().all(|a| a["data-severity"] != *s));
    if let Some(sev) = absent {
        let run = run_chromium(
            &bin,
            &file_url(&html, &format!("#severity={sev}")),
            &["--dump-dom".into()],
        );
        let hook = assert_clean(&run, "xss report, filtered");
        assert_eq!(hook["data-filter"], sev);
        assert_eq!(hook["data-visible"], "0");
        assert!(articles(&run.stdout)
            .iter()
            .all(|a| a.contains_key("hidden")));
        assert!(
            !tag_attrs(&run.stdout, "id=\"no-match\"").contains_key("hidden"),
            "the empty-filter message shows"
        );
    }

    let shot = dir.join("xss.png");
    run_chromium(
        &bin,
        &file_url(&html, ""),
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000".into(),
        ],
    );
    assert!(shot.is_file(), "screenshot {} written", shot.display());
}

#[test]
fn timeline_renders_and_recovered_findings_start_collapsed() {
    let Some(bin) = browser_or_skip() else { return };
    let dir = artifacts();
    let html = dir.join("story.html");
    std::fs::write(&html, analyzer::render::html::render(&hostile_report())).unwrap();
    let run = run_chromium(&bin, &file_url(&html, ""), &["--dump-dom".into()]);
    let hook = assert_clean(&run, "story report");
    let dom = &run.stdout;
    // Four timed entries are dots on the chart; all five (the untimed hostile one too)
    // are rows of the table beside it.
    assert_eq!(hook["data-timeline-dots"], "4");
    assert_eq!(hook["data-timeline-rows"], "5");
    assert!(
        dom.contains("mark-events_horizon"),
        "the events' horizon is marked"
    );
    // The recovered finding is in its own section, closed until asked for.
    assert_eq!(hook["data-recovered"], "closed");
    let recovered = dom.find("id=\"recovered\"").expect("a recovered section");
    let over = dom
        .find("id=\"f4\"")
        .expect("the over finding is in the page");
    assert!(
        over > recovered,
        "the over finding sits in the recovered section"
    );
    let root = dom.find("id=\"f1\"").unwrap();
    let symptom = dom.find("id=\"f2\"").unwrap();
    assert!(root < symptom, "the root cause comes before its symptom");
    assert!(
        tag_attrs(dom, "data-finding=\"f2\"")["data-depth"] == "1",
        "the symptom is indented under its cause in the summary"
    );
}

#[test]
fn severity_filter_and_search_follow_the_fragment() {
    let Some(bin) = browser_or_skip() else { return };
    let dir = artifacts();
    let html = dir.join("synthetic.html");
    std::fs::write(&html, analyzer::render::html::render(&hostile_report())).unwrap();

    let all = run_chromium(&bin, &file_url(&html, ""), &["--dump-dom".into()]);
    let hook = assert_clean(&all, "synthetic report");
    assert_eq!(hook["data-total"], "4");
    assert_eq!(hook["data-visible"], "4");
    assert!(articles(&all.stdout)
        .iter()
        .all(|a| !a.contains_key("hidden")));

    let warn = run_chromium(
        &bin,
        &file_url(&html, "#severity=warning"),
        &["--dump-dom".into()],
    );
    let hook = assert_clean(&warn, "synthetic report, #severity=warning");
    assert_eq!(hook["data-filter"], "warning");
    assert_eq!(hook["data-visible"], "1");
    for a in articles(&warn.stdout) {
        let hidden = a.contains_key("hidden");
        assert_eq!(
            hidden,
            a["data-severity"] != "warning",
            "article {:?} hidden={hidden}",
            a.get("id")
        );
    }

    let both = run_chromium(
        &bin,
        &file_url(&html, "#severity=critical,info&q=ipam"),
        &["--dump-dom".into()],
    );
    let hook = assert_clean(&both, "synthetic report, search");
    assert_eq!(hook["data-filter"], "critical,info");
    assert_eq!(hook["data-query"], "ipam");
    assert_eq!(
        hook["data-visible"], "1",
        "only the info finding mentions ipam"
    );

    for (bundle, lang, name) in [
        ("keyvault-nmi", "en", "report"),
        ("ipam-leak", "ja", "ipam-leak-ja"),
    ] {
        let page = dir.join(format!("{name}.html"));
        render_bundle(bundle, lang, &page);
        let run = run_chromium(&bin, &file_url(&page, ""), &["--dump-dom".into()]);
        assert_clean(&run, name);
        let shot = dir.join(format!("{name}.png"));
        run_chromium(
            &bin,
            &file_url(&page, ""),
            &[
                format!("--screenshot={}", shot.display()),
                "--window-size=1280,2000".into(),
            ],
        );
        assert!(shot.is_file());
    }
}

/// A report with all three severities and hostile text in every field a bundle can fill.
fn hostile_report() -> Report {
    let ev = |role: &str| Evidence {
        file: format!("logs/ns/{PWN}/c.log"),
        line: Some(7),
        excerpt: format!("E1122 {PWN}"),
        count: 3,
        first_seen: Some("2026-11-22T03:41:07Z".into()),
        last_seen: Some("2026-11-22T03:59:31Z".into()),
        object: Some(format!("ns/pod/{PWN}")),
        role: role.into(),
    };
    let finding = |sev: Severity, rule: &str, extra: &str, id: &str| Finding {
        rule: rule.into(),
        severity: sev,
        title: format!("{rule} title {PWN}"),
        summary: format!("Summary {extra} {PWN}"),
        objects: vec![format!("ns/pod/{PWN}")],
        evidence: vec![ev("signal"), ev("context")],
        remediation: vec![format!("do it {PWN}")],
        references: vec![
            "https://learn.microsoft.com/azure/aks/".into(),
            "javascript:window.__pwned=6".into(),
            format!("https://x.example/\"><script>window.__pwned=7</script>"),
        ],
        nodes: vec![format!("node-{PWN}")],
        explanation: format!("Because {PWN}"),
        steps: vec![Step {
            text: format!("Run {PWN}"),
            commands: vec![format!("kubectl get pod '{PWN}'")],
            withheld: vec![analyzer::render::shell::Withheld {
                placeholder: "<pod>".into(),
                value: PWN.to_string(),
            }],
        }],
        table: Some(Table {
            columns: vec![format!("col {PWN}")],
            rows: vec![vec![format!("cell {PWN}")]],
        }),
        facts: BTreeMap::new(),
        count: 3,
        first_seen: Some("2026-11-22T03:41:07Z".into()),
        last_seen: Some("2026-11-22T03:59:31Z".into()),
        story: StoryFacts {
            id: id.into(),
            ..Default::default()
        },
    };
    let mut findings = vec![
        finding(Severity::Critical, "crit-rule", "alpha", "f1"),
        finding(Severity::Warning, "warn-rule", "beta", "f2"),
        finding(Severity::Info, "info-rule", "ipam gamma", "f3"),
        finding(Severity::Info, "over-rule", "recovered delta", "f4"),
    ];
    findings[0].story.explains = vec!["f2".into()];
    findings[1].story.caused_by = vec!["f1".into()];
    findings[3].story.status = Status::Over;
    findings[3].story.rule_severity = Some(Severity::Critical);
    let entry = |time: &str, kind: &str, finding: Option<&str>| TimelineEntry {
        time: time.into(),
        kind: kind.into(),
        object: format!("ns/pod/{PWN}"),
        text: PWN.into(),
        finding: finding.map(String::from),
    };
    Report {
        schema: "aksbundle.report/v1".into(),
        bundle: BundleFacts {
            path: format!("/tmp/{PWN}.tar.gz"),
            format: Some(format!("aksbundle/v1 {PWN}")),
            collected_at: Some(PWN.into()),
            cluster: ClusterFacts {
                context: Some(format!("ctx {PWN}")),
                server: Some(PWN.into()),
                version: Some(PWN.into()),
            },
            collector: Some(PWN.into()),
            layout: Some(format!("troubleshoot.sh/v1beta2 {PWN}")),
            legacy_shapes: true,
            counts: BTreeMap::from([(format!("pods {PWN}"), 3)]),
            // The collecting tool's own analysis is bundle text too.
            own_analysis: vec![analyzer::finding::OwnResult {
                name: PWN.into(),
                severity: PWN.into(),
                title: PWN.into(),
                message: PWN.into(),
            }],
        },
        findings,
        not_checked: vec![NotChecked {
            rule: PWN.into(),
            reason: PWN.into(),
        }],
        errors: vec![ReadIssue {
            file: PWN.into(),
            message: PWN.into(),
        }],
        collection_errors: serde_json::from_value(serde_json::json!([
            {"step": PWN, "command": PWN, "exit_code": 1, "stderr": PWN, "at": PWN}
        ]))
        .unwrap(),
        node_ip_usage: vec![NodeIpUsage {
            node: format!("node-{PWN}"),
            ipam_allocated: Some(244),
            running_pods: 3,
            nnc_requested: Some(16),
            nnc_allocated: Some(32),
        }],
        warning_events: vec![
            TimelineEvent {
                time: "2026-11-22T03:59:31Z".into(),
                object: format!("ns/pod/{PWN}"),
                reason: PWN.into(),
                message: PWN.into(),
                count: 14,
            },
            TimelineEvent {
                time: PWN.into(),
                object: PWN.into(),
                reason: PWN.into(),
                message: PWN.into(),
                count: 1,
            },
        ],
        lang: "en".into(),
        timeline: vec![
            entry("2026-11-22T03:20:02Z", "node", None),
            entry("2026-11-22T03:20:09Z", "log", Some("f4")),
            entry("2026-11-22T03:41:07Z", "event", Some("f1")),
            entry("2026-11-22T03:59:31Z", "log", Some("f1")),
            entry(PWN, PWN, Some(PWN)),
        ],
        story: Some(StoryMeta {
            quiet_window_seconds: 600,
            events_horizon: Some("2026-11-22T03:00:00Z".into()),
        }),
    }
}
