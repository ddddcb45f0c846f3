//! The holdout corpus: bundles under `testdata/wordings/` built from real-world error text
//! in wordings other than the spec's examples, so the catalogue is checked against the
//! failure and not one sample string. Every case is packed in memory and analyzed; all
//! mismatches are reported together, with what fired, so rule authors can act on them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use analyzer::cases::{analyze_bytes, pack_tar_gz};
use analyzer::{Catalogue, Finding, Severity};
use serde::Deserialize;

/// `expected.yaml` of a wordings case.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    /// Where the wording comes from.
    note: String,
    /// Findings that must be present.
    expect: Vec<Expect>,
    /// Diagnoses that must not fire.
    #[serde(default)]
    absent: Vec<String>,
}

/// One expected finding.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    rule: String,
    /// Exactly these objects (compared sorted), when given.
    #[serde(default)]
    objects: Option<Vec<String>>,
    /// These facts with these values (a subset of the finding's facts), when given.
    #[serde(default)]
    facts: BTreeMap<String, String>,
}

/// The one case that stands for a healthy cluster: nothing critical or warning may fire.
const HEALTHY: &str = "healthy";

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("testdata")
        .join("wordings")
}

fn cases(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    out.sort();
    out
}

fn describe(f: &Finding) -> String {
    format!(
        "{} [{}] objects={:?} facts={:?}",
        f.rule,
        f.severity.as_str(),
        f.objects,
        f.facts
    )
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

/// Checks one case; returns its problems.
fn check_case(name: &str, dir: &Path, catalogue: &Catalogue) -> Vec<String> {
    let expected: Expected = match std::fs::read_to_string(dir.join("expected.yaml"))
        .map_err(|e| e.to_string())
        .and_then(|t| serde_yaml::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(e) => e,
        Err(e) => return vec![format!("expected.yaml: {e}")],
    };
    if expected.note.trim().is_empty() {
        return vec!["expected.yaml: the note says where the wording comes from".into()];
    }
    let bytes = match pack_tar_gz(&dir.join("bundle")) {
        Ok(b) => b,
        Err(e) => return vec![format!("packing bundle/: {e}")],
    };
    let report = match analyze_bytes(&format!("{name}.tar.gz"), &bytes, catalogue, "en") {
        Ok(r) => r,
        Err(e) => return vec![format!("analysis failed: {e}")],
    };
    let fired: Vec<String> = report.findings.iter().map(describe).collect();
    let mut problems = Vec::new();
    // A member the reader could not use is a fixture bug; issues of rules are the rules'.
    for issue in report
        .errors
        .iter()
        .filter(|i| !i.file.starts_with("rules/"))
    {
        problems.push(format!(
            "bundle member {} could not be read: {}",
            issue.file, issue.message
        ));
    }

    for e in &expected.expect {
        let candidates: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.rule == e.rule)
            .collect();
        if candidates.is_empty() {
            problems.push(format!("expected {} to fire; it did not", e.rule));
            continue;
        }
        let matches = candidates.iter().any(|f| {
            e.objects
                .as_ref()
                .is_none_or(|o| sorted(o) == sorted(&f.objects))
                && e.facts.iter().all(|(k, v)| f.facts.get(k) == Some(v))
        });
        if !matches {
            problems.push(format!(
                "{} fired, but not with objects={:?} facts={:?}; got: {}",
                e.rule,
                e.objects,
                e.facts,
                candidates
                    .iter()
                    .map(|f| describe(f))
                    .collect::<Vec<_>>()
                    .join(" | ")
            ));
        }
    }
    for a in &expected.absent {
        for f in report.findings.iter().filter(|f| &f.rule == a) {
            problems.push(format!(
                "{a} must not fire, but did: {} / first evidence: {:?}",
                describe(f),
                f.evidence.first().map(|ev| (&ev.file, &ev.excerpt))
            ));
        }
    }
    if name == HEALTHY {
        for f in report
            .findings
            .iter()
            .filter(|f| matches!(f.severity, Severity::Critical | Severity::Warning))
        {
            problems.push(format!(
                "a healthy cluster yields no critical or warning finding; got {} / first evidence: {:?}",
                describe(f),
                f.evidence.first().map(|ev| (&ev.file, &ev.excerpt))
            ));
        }
    }
    if !problems.is_empty() {
        problems.push(format!("  (note: {})", expected.note.trim()));
        problems.push(format!("  (fired: {fired:?})"));
    }
    problems
}

#[test]
fn wordings_corpus() {
    let (catalogue, _errors) = Catalogue::builtin();
    let dir = corpus_dir();
    let all = cases(&dir);
    assert!(
        all.iter().any(|(n, _)| n == HEALTHY),
        "the corpus has a `{HEALTHY}` case"
    );
    let mut failures = Vec::new();
    let mut failed_cases = 0;
    for (name, path) in &all {
        let problems = check_case(name, path, &catalogue);
        if !problems.is_empty() {
            failed_cases += 1;
            failures.push(format!("== {name}\n  {}", problems.join("\n  ")));
        }
    }
    assert!(
        failures.is_empty(),
        "{failed_cases} of {} wordings cases failed:\n\n{}\n",
        all.len(),
        failures.join("\n\n")
    );
}
