//! The rule-case harness behind `aksbundle rules test` and the catalogue tests. A case is
//! a folder `rules/<area>/<id>/cases/<name>/` holding `bundle/` (a tree as the collector
//! writes it) and `expected.yaml`. Every case is packed in memory as tar.gz and as zip,
//! and both must give the expected findings. `fires-*` cases must produce findings,
//! `ok-*` cases must not produce the rule under test.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::engine::evaluate;
use crate::finding::Report;
use crate::limits::Limits;
use crate::reader::read_bytes;
use crate::rules::Catalogue;

/// `expected.yaml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    /// Findings that must be present.
    #[serde(default)]
    pub expect: Vec<ExpectedFinding>,
    /// Rules that must not fire (an `ok-` case always includes its own rule).
    #[serde(default)]
    pub absent: Vec<String>,
    /// How many findings the case's own rule makes, when given: one cause told once
    /// however many places in the ticket say it.
    #[serde(default)]
    pub findings: Option<usize>,
    /// A free note on where the wording came from.
    #[serde(default)]
    pub note: Option<String>,
    /// The public sources of the case's wording: each a URL (an issue thread, a page with
    /// captured output), optionally followed by ` - ` and what it shows. A case with sources
    /// carries a real wording; the catalogue test counts them per rule.
    #[serde(default)]
    pub sources: Vec<String>,
}

/// One expected finding.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedFinding {
    /// Defaults to the rule the case belongs to.
    #[serde(default)]
    pub rule: Option<String>,
    /// Exactly these objects, when given.
    #[serde(default)]
    pub objects: Option<Vec<String>>,
    /// Exactly these nodes, when given.
    #[serde(default)]
    pub nodes: Option<Vec<String>>,
    /// These facts must have these values.
    #[serde(default)]
    pub facts: BTreeMap<String, String>,
    /// Total occurrences, when given.
    #[serde(default)]
    pub count: Option<u64>,
    /// Substrings the rendered summary or remediation must contain.
    #[serde(default)]
    pub mentions: Vec<String>,
    /// Substrings that must each appear in some evidence excerpt (signal or context lines),
    /// so a case can prove which correlated log lines a finding shows.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// `ongoing` or `over` at collection time, when given (the shipped cases all give it).
    #[serde(default)]
    pub status: Option<crate::finding::Status>,
    /// The severity the report shows (`info` for an over finding), when given.
    #[serde(default)]
    pub severity: Option<crate::finding::Severity>,
    /// Rules of findings that must explain this one (its `caused_by`), when given.
    #[serde(default)]
    pub caused_by: Option<Vec<String>>,
    /// Objects this finding must list among its objects (for merged findings, where the
    /// exact list is long).
    #[serde(default)]
    pub includes: Vec<String>,
}

/// A case folder.
#[derive(Debug, Clone)]
pub struct Case {
    pub rule: String,
    pub name: String,
    pub dir: PathBuf,
}

/// Every case under a rules folder, sorted.
pub fn discover(rules_dir: &Path) -> Vec<Case> {
    let mut out = Vec::new();
    walk(rules_dir, &mut out, 0);
    out.sort_by(|a, b| (&a.rule, &a.name).cmp(&(&b.rule, &b.name)));
    out
}

fn walk(dir: &Path, out: &mut Vec<Case>, depth: usize) {
    if depth > 6 {
        return;
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if !p.is_dir() {
            continue;
        }
        if p.file_name().is_some_and(|n| n == "cases") {
            let rule = p
                .parent()
                .and_then(|r| r.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if let Ok(cases) = std::fs::read_dir(&p) {
                for c in cases.flatten() {
                    if c.path().is_dir() {
                        out.push(Case {
                            rule: rule.clone(),
                            name: c.file_name().to_string_lossy().into_owned(),
                            dir: c.path(),
                        });
                    }
                }
            }
        } else {
            walk(&p, out, depth + 1);
        }
    }
}

/// Packs a folder as tar.gz, in memory, under one top folder.
pub fn pack_tar_gz(dir: &Path) -> std::io::Result<Vec<u8>> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    tar.follow_symlinks(false);
    for (rel, path) in files(dir)? {
        tar.append_path_with_name(&path, format!("aksbundle-case/{rel}"))?;
    }
    tar.into_inner()?.finish()
}

/// Packs a folder as zip, in memory, at the archive's root.
pub fn pack_zip(dir: &Path) -> std::io::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (rel, path) in files(dir)? {
        zip.start_file(rel, opts).map_err(std::io::Error::other)?;
        zip.write_all(&std::fs::read(path)?)?;
    }
    Ok(zip.finish().map_err(std::io::Error::other)?.into_inner())
}

fn files(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    fn go(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> std::io::Result<()> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)?
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                go(root, &p, out)?;
            } else {
                let rel = p
                    .strip_prefix(root)
                    .unwrap_or(&p)
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, p));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    go(dir, dir, &mut out)?;
    Ok(out)
}

/// Analyzes in-memory archive bytes with the catalogue.
pub fn analyze_bytes(
    name: &str,
    bytes: &[u8],
    catalogue: &Catalogue,
    lang: &str,
) -> Result<Report, String> {
    let compiled = catalogue.compiled();
    let outcome =
        read_bytes(name, bytes, &Limits::default(), &compiled.plan).map_err(|e| e.to_string())?;
    Ok(evaluate(outcome, catalogue, &compiled.origins, name, lang).report)
}

/// Runs one case as tar.gz and as zip. Returns every failure.
pub fn run_case(case: &Case, catalogue: &Catalogue) -> Result<(), Vec<String>> {
    let fail = |m: String| vec![format!("{}/{}: {m}", case.rule, case.name)];
    let expected: Expected = match std::fs::read_to_string(case.dir.join("expected.yaml")) {
        Ok(text) => serde_yaml::from_str(&text).map_err(|e| fail(format!("expected.yaml: {e}")))?,
        Err(e) => return Err(fail(format!("expected.yaml: {e}"))),
    };
    let bundle = case.dir.join("bundle");
    if !bundle.is_dir() {
        return Err(fail("no bundle/ folder".into()));
    }
    let fires = case.name.starts_with("fires-");
    if !fires && !case.name.starts_with("ok-") {
        return Err(fail("case names start with fires- or ok-".into()));
    }
    if fires && expected.expect.is_empty() {
        return Err(fail(
            "a fires- case lists at least one expected finding".into(),
        ));
    }
    let mut errors = Vec::new();
    let packs = [("tar.gz", pack_tar_gz(&bundle)), ("zip", pack_zip(&bundle))];
    for (kind, bytes) in packs {
        let bytes = match bytes {
            Ok(b) => b,
            Err(e) => return Err(fail(format!("packing: {e}"))),
        };
        let report = match analyze_bytes(&format!("{}.{kind}", case.name), &bytes, catalogue, "en")
        {
            Ok(r) => r,
            Err(e) => {
                errors.extend(fail(format!("[{kind}] {e}")));
                continue;
            }
        };
        for m in check(case, &expected, &report) {
            errors.push(format!("{}/{} [{kind}]: {m}", case.rule, case.name));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

fn check(case: &Case, expected: &Expected, report: &Report) -> Vec<String> {
    let mut problems = Vec::new();
    let fired: Vec<String> = report
        .findings
        .iter()
        .map(|f| format!("{} {:?}", f.rule, f.objects))
        .collect();
    if let Some(n) = expected.findings {
        let got = report
            .findings
            .iter()
            .filter(|f| f.rule == case.rule)
            .count();
        if got != n {
            problems.push(format!(
                "{} made {got} findings, expected {n}; got {fired:?}",
                case.rule
            ));
        }
    }
    for e in &expected.expect {
        let rule = e.rule.as_deref().unwrap_or(&case.rule);
        let candidates: Vec<_> = report.findings.iter().filter(|f| f.rule == rule).collect();
        if candidates.is_empty() {
            problems.push(format!("expected {rule} to fire; got {fired:?}"));
            continue;
        }
        let ok = candidates.iter().any(|f| {
            e.objects.as_ref().is_none_or(|o| {
                let mut want = o.clone();
                want.sort();
                want == f.objects
            }) && e.nodes.as_ref().is_none_or(|n| {
                let mut want = n.clone();
                want.sort();
                want == f.nodes
            }) && e.facts.iter().all(|(k, v)| f.facts.get(k) == Some(v))
                && e.count.is_none_or(|c| c == f.count)
                && e.mentions.iter().all(|m| {
                    f.summary.contains(m.as_str())
                        || f.remediation.iter().any(|r| r.contains(m.as_str()))
                        || f.table.as_ref().is_some_and(|t| {
                            t.rows.iter().flatten().any(|c| c.contains(m.as_str()))
                        })
                })
                && e.evidence
                    .iter()
                    .all(|m| f.evidence.iter().any(|x| x.excerpt.contains(m.as_str())))
                && e.status.is_none_or(|s| s == f.story.status)
                && e.severity.is_none_or(|s| s == f.severity)
                && e.includes.iter().all(|o| f.objects.contains(o))
                && e.caused_by.as_ref().is_none_or(|want| {
                    let mut got: Vec<&str> = f
                        .story
                        .caused_by
                        .iter()
                        .filter_map(|id| report.findings.iter().find(|x| &x.story.id == id))
                        .map(|x| x.rule.as_str())
                        .collect();
                    got.sort();
                    got.dedup();
                    let mut want: Vec<&str> = want.iter().map(String::as_str).collect();
                    want.sort();
                    want == got
                })
        });
        if !ok {
            let got: Vec<String> = candidates
                .iter()
                .map(|f| {
                    format!(
                        "objects={:?} nodes={:?} count={} status={} caused_by={:?} facts={:?}",
                        f.objects,
                        f.nodes,
                        f.count,
                        f.story.status.as_str(),
                        f.story.caused_by,
                        f.facts
                    )
                })
                .collect();
            problems.push(format!(
                "{rule} fired, but not as expected ({e:?}); got {got:?}"
            ));
        }
    }
    let mut absent = expected.absent.clone();
    if case.name.starts_with("ok-") && !absent.contains(&case.rule) {
        absent.push(case.rule.clone());
    }
    for a in &absent {
        if let Some(f) = report.findings.iter().find(|f| &f.rule == a) {
            problems.push(format!(
                "{a} must not fire, but did: {} / {:?} / {:?}",
                f.summary,
                f.objects,
                f.evidence.first().map(|e| &e.excerpt)
            ));
        }
    }
    problems
}
