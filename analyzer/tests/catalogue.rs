//! Tests over the whole catalogue (like ruff's registry tests and clippy's meta tests):
//! every rule loads, IDs are unique and equal their folders, every ID of the public
//! catalogue exists, docs have their headings, translations are complete, and every
//! rule's cases pass as tar.gz and as zip.

use std::collections::BTreeSet;
use std::path::PathBuf;

use analyzer::cases::{discover, run_case};
use analyzer::Catalogue;

/// The stable IDs of the diagnosis catalogue (a public contract: never renamed).
const CATALOGUE_IDS: &[&str] = &[
    "kv-nmi-token-error",
    "kv-egress-blocked",
    "kv-mount-failed",
    "kv-vault-forbidden",
    "kv-object-not-found",
    "kv-identity-not-found",
    "kv-workload-identity-mismatch",
    "kv-nmi-unreachable",
    "kv-driver-not-registered",
    "sc-extension-agent-timeout",
    "sc-extension-unschedulable",
    "sc-helm-chart-download",
    "sc-helm-release-error",
    "sc-job-failed",
    "sc-conflict",
    "sc-permission-denied",
    "sc-provider-not-registered",
    "apiserver-unreachable",
    "pod-ip-allocation-failed",
    "ipam-ip-leak",
    "nnc-ip-exhausted",
    "cns-unreachable",
    "service-no-endpoints",
    "service-port-mismatch",
    "rbac-forbidden",
    "pod-apiserver-unreachable",
    "image-pull-unauthorized",
    "image-not-found",
    "acr-registry-typo",
    "image-pull-forbidden",
    "image-pull-timeout",
    "image-platform-mismatch",
    "pod-crashloop",
    "container-oomkilled",
    "pod-unschedulable",
    "node-not-ready",
    "collection-incomplete",
    "resourcequota-exceeded",
    "controller-create-failed",
    "probe-failing",
    "image-pull-rate-limited",
    "create-container-config-error",
    "job-failed",
    "deployment-not-progressing",
];

const README_HEADINGS: &[&str] = &[
    "## What it finds",
    "## Why it matters",
    "## Example evidence",
    "## How to fix",
    "## References",
];

fn rules_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("rules")
}

fn catalogue() -> Catalogue {
    let (cat, errors) = Catalogue::builtin();
    assert!(
        errors.is_empty(),
        "broken rule files:\n{}",
        errors
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    cat
}

#[test]
fn every_rule_loads_and_ids_match_folders() {
    let cat = catalogue();
    let mut seen = BTreeSet::new();
    for r in &cat.rules {
        assert!(seen.insert(r.spec.id.clone()), "duplicate id {}", r.spec.id);
        assert!(
            r.origin.ends_with(&format!("/{}", r.spec.id)),
            "{} lives in {}",
            r.spec.id,
            r.origin
        );
    }
}

#[test]
fn every_catalogue_id_has_a_rule() {
    let cat = catalogue();
    let missing: Vec<&&str> = CATALOGUE_IDS
        .iter()
        .filter(|id| cat.get(id).is_none())
        .collect();
    assert!(missing.is_empty(), "diagnoses without a rule: {missing:?}");
}

#[test]
fn every_readme_has_its_headings() {
    for r in &catalogue().rules {
        for h in README_HEADINGS {
            assert!(r.readme.contains(h), "{}: README.md lacks '{h}'", r.spec.id);
        }
        assert!(
            r.readme.starts_with(&format!("# {}", r.spec.id)),
            "{}: README starts with '# <id>'",
            r.spec.id
        );
    }
}

#[test]
fn every_text_is_translated() {
    for r in &catalogue().rules {
        let s = &r.spec;
        let mut texts = vec![
            ("title", &s.title),
            ("summary", &s.summary),
            ("explanation", &s.explanation),
        ];
        for step in &s.remediation {
            texts.push(("remediation", &step.text));
        }
        for (what, t) in texts {
            assert!(
                t.ja.as_deref().is_some_and(|x| !x.trim().is_empty()),
                "{}: {what} lacks ja",
                s.id
            );
            assert!(
                t.ko.as_deref().is_some_and(|x| !x.trim().is_empty()),
                "{}: {what} lacks ko",
                s.id
            );
        }
    }
}

#[test]
fn every_rule_has_fires_and_ok_cases() {
    let cases = discover(&rules_dir());
    for r in &catalogue().rules {
        let mine: Vec<_> = cases.iter().filter(|c| c.rule == r.spec.id).collect();
        assert!(
            mine.iter().any(|c| c.name.starts_with("fires-")),
            "{} has no fires- case",
            r.spec.id
        );
        assert!(
            mine.iter().any(|c| c.name.starts_with("ok-")),
            "{} has no ok- case",
            r.spec.id
        );
    }
}

#[test]
fn explained_by_names_rules_of_the_catalogue() {
    let cat = catalogue();
    let ids: Vec<&str> = cat.rules.iter().map(|r| r.spec.id.as_str()).collect();
    for r in &cat.rules {
        for e in &r.spec.explained_by {
            assert!(
                ids.contains(&e.as_str()),
                "{}: explained_by names {e}, which is not in the catalogue",
                r.spec.id
            );
            assert_ne!(e, &r.spec.id, "{} explains itself", r.spec.id);
        }
    }
}

#[test]
fn every_expected_finding_says_ongoing_or_over() {
    // Each shipped case pins whether its finding is still happening at collection time.
    for c in discover(&rules_dir()) {
        let text = std::fs::read_to_string(c.dir.join("expected.yaml")).unwrap();
        let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        let expect = doc
            .get("expect")
            .and_then(|e| e.as_sequence())
            .cloned()
            .unwrap_or_default();
        for (i, e) in expect.iter().enumerate() {
            let status = e.get("status").and_then(|s| s.as_str());
            assert!(
                matches!(status, Some("ongoing" | "over")),
                "{}/{}: expect[{i}] has no status (ongoing or over)",
                c.rule,
                c.name
            );
        }
    }
}

#[test]
fn every_case_passes_as_tar_gz_and_zip() {
    let cat = catalogue();
    let cases = discover(&rules_dir());
    assert!(!cases.is_empty());
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|c| run_case(c, &cat).err())
        .flatten()
        .collect();
    assert!(
        failures.is_empty(),
        "{} failing case checks:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn severities_and_references_are_well_formed() {
    for r in &catalogue().rules {
        assert!(
            !r.spec.remediation.is_empty(),
            "{} has no remediation",
            r.spec.id
        );
        for u in &r.spec.references {
            assert!(
                u.starts_with("https://"),
                "{}: reference {u} is not an https link",
                r.spec.id
            );
        }
    }
}

#[test]
fn first_wave_rules_have_three_cases_from_sourced_real_wordings() {
    let cases = discover(&rules_dir());
    let cat = catalogue();
    let ids: Vec<&str> = cat.rules.iter().map(|r| r.spec.id.as_str()).collect();
    let mut short = Vec::new();
    // The catalogue's first 37 IDs are the first wave's (spec/diagnoses.md).
    assert_eq!(CATALOGUE_IDS[36], "collection-incomplete");
    for &id in &CATALOGUE_IDS[..37] {
        assert!(ids.contains(&id), "{id} is not in the catalogue");
        // Near misses (`ok-` cases) cite sources too, but only a case that fires is a
        // wording of the diagnosis.
        let sourced = cases
            .iter()
            .filter(|c| c.rule == id && c.name.starts_with("fires-"))
            .filter(|c| {
                let text = std::fs::read_to_string(c.dir.join("expected.yaml")).unwrap();
                let e: analyzer::cases::Expected = serde_yaml::from_str(&text).unwrap();
                for s in &e.sources {
                    assert!(
                        s.starts_with("https://"),
                        "{id}/{}: a source is a public URL first: {s:?}",
                        c.name
                    );
                }
                !e.sources.is_empty()
            })
            .count();
        if sourced < 3 {
            short.push(format!("{id}: {sourced}"));
        }
    }
    assert!(
        short.is_empty(),
        "rules with fewer than three firing cases from sourced wordings: {short:?}"
    );
}
