//! False redactions on realistic text: every line of the fixture cluster's logs and every
//! string of its objects goes through the redactor; only the lines and strings that carry a
//! planted secret may change. (The unit tests in `src/redact.rs` hold the per-format corpus.)

use collector::redact::{redact_json, redact_str, REDACTED};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Markers of the secrets planted in `testdata/apiserver` (see `collect_e2e.rs`).
const PLANTED: &[&str] = &[
    "hunter2-db-Passw0rd",
    "AccountKey=",
    "svc-lastapplied-Secret-9f8e",
    "eyJhbGciOiJSUzI1NiIs",
    "Authorization: Bearer",
    "sig=",
    "c2VjcmV0LW9iamVjdC1kYXRh",
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/apiserver")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "json" || e == "log") {
            out.push(path);
        }
    }
}

fn strings<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

#[test]
fn only_planted_secrets_are_redacted_in_the_fixture_cluster() {
    let mut all = Vec::new();
    files(&fixtures(), &mut all);
    let (mut checked, mut redacted, mut planted_seen) = (0, 0, 0);
    for path in all {
        let text = std::fs::read_to_string(&path).unwrap();
        let units: Vec<String> = if path.extension().is_some_and(|e| e == "json") {
            let value: Value = serde_json::from_str(&text).unwrap();
            let mut out = Vec::new();
            strings(&value, &mut out);
            out.into_iter().map(String::from).collect()
        } else {
            text.lines().map(String::from).collect()
        };
        for unit in units {
            checked += 1;
            let planted = PLANTED.iter().any(|p| unit.contains(p));
            planted_seen += usize::from(planted);
            let (out, n) = redact_str(&unit);
            if n > 0 {
                redacted += 1;
                assert!(
                    planted,
                    "false redaction in {}:\n  {unit}\n  {out}",
                    path.display()
                );
                assert!(out.contains(REDACTED));
            } else {
                // A planted secret the text rules do not see must be one the object rules
                // handle (env values by name, the last-applied annotation, Secret data that
                // is never fetched).
                assert!(
                    !planted
                        || unit == "hunter2-db-Passw0rd"
                        || unit.contains("svc-lastapplied-Secret-9f8e")
                        || unit.contains("c2VjcmV0LW9iamVjdC1kYXRh"),
                    "planted secret not redacted in {}: {unit}",
                    path.display()
                );
            }
        }
    }
    eprintln!("redaction corpus: {checked} strings and lines, {redacted} redacted, {planted_seen} carry a planted secret");
    assert!(
        checked > 1000,
        "the corpus is too small to mean anything: {checked}"
    );
    assert!(redacted >= 5);
}

#[test]
fn object_rules_catch_what_text_rules_cannot() {
    let pods: Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("pods.json")).unwrap()).unwrap();
    let services: Value =
        serde_json::from_slice(&std::fs::read(fixtures().join("services.json")).unwrap()).unwrap();
    for mut list in [pods, services] {
        let n = redact_json(&mut list);
        assert!(n >= 1);
        let text = list.to_string();
        for secret in [
            "hunter2-db-Passw0rd",
            "svc-lastapplied-Secret-9f8e",
            "Zm9vYmFyYmF6cXV4",
        ] {
            assert!(!text.contains(secret), "{secret} survived");
        }
    }
}
