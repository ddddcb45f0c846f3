//! False redactions on realistic text: every line of the fixture cluster's logs and every
//! string of its objects goes through the redactor; only the lines and strings that carry a
//! planted secret may change, and every one of those must. (The unit tests in
//! `src/redact/tests.rs` hold the per-format corpus.)

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
    // Issue 17.
    "Tw0W0rdArg-Pl4nted",
    "MyR00tPl4nted!",
    "DumpPl4nted2026",
    "Js0nEsc4pedPl4nted",
    "c0ffee5e1f2a3b4c5d6e7f8091a2b3c4",
    "5b1e2d3c4f5a69788796a5b4c3d2e1f0",
    "Pl4ntedMidL1ne!",
    "UrlEnc0dedSasPl4nted",
    "AKIAVB3XDWD6XAZPHNPX",
    "xMb8Q~2gQvDOVwBM3T5lnbyw575.r85bLHxb7RQB",
    "eyJ1c2VybmFtZSI6InN2YyIsInBhc3N3b3JkIjoi",
    "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
    "TeamsHookPl4nted",
    "Pwd!Planted2026",
    "ghp_HAZt9xslXTTIQrh6bpy0VAq3GZuO2R8UziJd",
    "3f2a9c1b7d4e4f0a8b6c5d4e3f2a1b0c@",
    "hooks.slack.com/services/",
    "a7c4e91f0b3d58e26f1a9c7b4d2e0f83",
    "probe-Hdr-Pl4nted-7f3e2d1c",
    "xoxb-84550261446",
    // Issue 12: a node's provisioning log (`--node-logs`).
    "8Q~plantedProvisionSecret",
    // Issue 12: the new kinds (workload templates, CronJob args, coredns-custom, an Ingress
    // snippet, a webhook URL).
    "C0nnStr1ngPl4nted",
    "SbK3yPl4nted",
    "St4tefulR00tPl4nted",
    "W0rksp4ceK3yPl4nted",
    "CronT0kenPl4nted",
    "Q3JvbkN1cmxCZWFyZXJQbDRudGVk",
    "CoreDnsAzurePl4nted",
    "EtcdPassw0rdPl4nted",
    "SW5ncmVzc1NuaXBwZXRCZWFyZXJQbDRudGVk",
    "WebhookUrlPl4nted",
];

/// Planted secrets that are plain values: only the object rules see them (an env value by
/// its name, an args word after its flag, an annotation or header by its key, the
/// last-applied annotation, Secret data that is never fetched).
const OBJECT_ONLY: &[&str] = &[
    "hunter2-db-Passw0rd",
    "svc-lastapplied-Secret-9f8e",
    "c2VjcmV0LW9iamVjdC1kYXRh",
    "Tw0W0rdArg-Pl4nted",
    "-pDumpPl4nted2026",
    "Pwd!Planted2026",
    "a7c4e91f0b3d58e26f1a9c7b4d2e0f83",
    "probe-Hdr-Pl4nted-7f3e2d1c",
    "St4tefulR00tPl4nted",
    "W0rksp4ceK3yPl4nted",
    "CronT0kenPl4nted",
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
    let (mut checked, mut redacted, mut planted_seen, mut ordinary) = (0, 0, 0, 0);
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
            ordinary += usize::from(!planted);
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
                assert!(
                    !planted || OBJECT_ONLY.iter().any(|o| unit.contains(o)),
                    "planted secret not redacted in {}: {unit}",
                    path.display()
                );
            }
        }
    }
    eprintln!("redaction corpus: {checked} strings and lines; {planted_seen} carry a planted secret, {redacted} redacted by the text rules; false redactions 0 of {ordinary} ordinary strings and lines");
    assert!(
        checked > 1000,
        "the corpus is too small to mean anything: {checked}"
    );
    assert!(redacted >= 20, "{redacted}");
}

#[test]
fn object_rules_catch_what_text_rules_cannot() {
    let load = |name: &str| -> Value {
        serde_json::from_slice(&std::fs::read(fixtures().join(name)).unwrap()).unwrap()
    };
    let mut total = 0;
    for (i, mut list) in [
        load("pods.json"),
        load("services.json"),
        load("events.json"),
        // Issue 12's kinds that carry planted secrets.
        load("deployments.json"),
        load("replicasets.json"),
        load("statefulsets.json"),
        load("daemonsets.json"),
        load("cronjobs.json"),
        load("configmaps.json"),
        load("ingresses.json"),
        load("validatingwebhookconfigurations.json"),
    ]
    .into_iter()
    .enumerate()
    {
        let n = redact_json(&mut list);
        assert!(n >= 1);
        total += n;
        let text = list.to_string();
        // Markers that are context (`sig=`, a webhook's host) rather than the secret itself
        // stay; the secrets go.
        let secrets = OBJECT_ONLY
            .iter()
            .chain(PLANTED)
            .filter(|s| !s.ends_with('=') && !s.ends_with('/') && !s.contains(' '));
        for secret in secrets {
            let secret = secret.trim_start_matches("-p");
            assert!(!text.contains(secret), "{secret} survived");
        }
        if i == 0 {
            for kept in [
                "kv-prod-westeu",
                "--db-host",
                "db.prod.internal",
                "--single-transaction",
                "mysql.prod.internal",
                "prometheus.io/scrape",
                "keyvault-secrets",
                "5f3c2a1e-7b9d-4c8e-a1f2-3d4e5f6a7b8c",
            ] {
                assert!(text.contains(kept), "{kept} lost");
            }
        }
    }
    eprintln!("object rules: {total} redactions in pods, services, events and the workload, ConfigMap, Ingress and webhook lists");
}

/// Every file under a `bundle/` folder below `dir`.
fn bundle_files(dir: &Path, inside: bool, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let here = inside || path.file_name().is_some_and(|n| n == "bundle");
        if path.is_dir() {
            bundle_files(&path, here, out);
        } else if here {
            out.push(path);
        }
    }
}

/// The diagnosis catalogue's cases and the wordings corpus hold real error messages (Key
/// Vault provider, CSI driver, kubelet events, Argo CD, External Secrets, Terraform) that the
/// redactor's rules were not written from: not one may change.
#[test]
fn real_wordings_from_the_catalogue_are_not_redacted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut all = Vec::new();
    bundle_files(&root.join("testdata/wordings"), false, &mut all);
    bundle_files(&root.join("rules"), false, &mut all);
    let mut checked = 0;
    for path in &all {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let units: Vec<String> = match serde_json::from_str::<Value>(&text) {
            Ok(value) if path.extension().is_some_and(|e| e == "json") => {
                let mut out = Vec::new();
                strings(&value, &mut out);
                out.into_iter().map(String::from).collect()
            }
            _ => text.lines().map(String::from).collect(),
        };
        for unit in units {
            checked += 1;
            let (out, n) = redact_str(&unit);
            assert_eq!(
                n,
                0,
                "false redaction in {}:\n  {unit}\n  {out}",
                path.display()
            );
        }
    }
    eprintln!(
        "real wordings: false redactions 0 of {checked} strings and lines in {} files",
        all.len()
    );
    assert!(checked > 5000, "{checked}");
}
