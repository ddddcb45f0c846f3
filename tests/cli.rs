//! The `aksbundle` binary end to end: the JSON contract, exit codes, every container
//! giving the same answer, and bad input ending in one clear line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_aksbundle"))
}

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

fn analyze(args: &[&str]) -> Output {
    bin().arg("analyze").args(args).output().expect("runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_without_path(o: &Output) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)));
    v["bundle"]["path"] = serde_json::Value::Null;
    v
}

fn pack_tar(dir: &Path) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    b.append_dir_all("aksbundle-prod-20261122T040000Z", dir)
        .unwrap();
    b.into_inner().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn every_container_gives_identical_json() {
    let tmp = tempfile::tempdir().unwrap();
    let src = testdata("keyvault-nmi");
    let tgz = write(
        tmp.path(),
        "b.tar.gz",
        &analyzer::cases::pack_tar_gz(&src).unwrap(),
    );
    let zip = write(
        tmp.path(),
        "b.zip",
        &analyzer::cases::pack_zip(&src).unwrap(),
    );
    let tar = write(tmp.path(), "b.tar", &pack_tar(&src));
    // The extension lies: detection is by magic bytes.
    let misnamed = write(tmp.path(), "b.zip.txt", &std::fs::read(&tgz).unwrap());
    let dir = analyze(&[src.to_str().unwrap(), "--format", "json"]);
    let reference = json_without_path(&dir);
    assert!(
        !reference["findings"].as_array().unwrap().is_empty(),
        "the sample must produce findings"
    );
    for p in [&tgz, &zip, &tar, &misnamed] {
        let o = analyze(&[p.to_str().unwrap(), "--format", "json"]);
        assert_eq!(json_without_path(&o), reference, "{} differs", p.display());
        assert_eq!(o.status.code(), dir.status.code());
    }
}

#[test]
fn json_report_has_the_fixed_keys() {
    let o = analyze(&[
        testdata("keyvault-nmi").to_str().unwrap(),
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema"], "aksbundle.report/v1");
    for k in ["path", "format", "collected_at", "cluster"] {
        assert!(v["bundle"].get(k).is_some(), "bundle.{k}");
    }
    let f = &v["findings"][0];
    for k in [
        "rule",
        "severity",
        "title",
        "summary",
        "objects",
        "evidence",
        "remediation",
        "references",
    ] {
        assert!(f.get(k).is_some(), "findings[].{k}");
    }
    let e = &f["evidence"][0];
    for k in [
        "file",
        "line",
        "excerpt",
        "count",
        "first_seen",
        "last_seen",
    ] {
        assert!(e.get(k).is_some(), "evidence[].{k}");
    }
    for k in ["id", "status", "caused_by", "explains"] {
        assert!(f.get(k).is_some(), "findings[].{k}");
    }
    assert!(v["timeline"].is_array(), "timeline");
    assert!(v["not_checked"].is_array() && v["errors"].is_array());
}

#[test]
fn an_over_finding_never_reaches_fail_on() {
    // A pod that could not reach the API server for 30 seconds after a node restart, then
    // Running and Ready for 40 minutes before the collection.
    let bundle = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "rules/networking/pod-apiserver-unreachable/cases/fires-recovered-after-node-restart/bundle",
    );
    let run = |extra: &[&str]| {
        let mut args = vec![bundle.to_str().unwrap(), "--format", "json"];
        args.extend_from_slice(extra);
        analyze(&args)
    };
    let o = run(&["--fail-on", "info"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "pod-apiserver-unreachable");
    assert_eq!(f["status"], "over");
    assert_eq!(f["severity"], "info");
    assert_eq!(f["rule_severity"], "critical");
    // A quiet window longer than the 40 quiet minutes makes it ongoing again: critical, exit 1.
    let o = run(&["--quiet-window", "2h"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["findings"][0]["status"], "ongoing");
    assert_eq!(v["findings"][0]["severity"], "critical");
    assert_eq!(v["story"]["quiet_window_seconds"], 7200);
    // A duration that is none is an argument error.
    assert_eq!(run(&["--quiet-window", "soon"]).status.code(), Some(2));
}

#[test]
fn exit_codes_follow_fail_on() {
    let code = |bundle: &str, fail_on: &str| {
        analyze(&[
            testdata(bundle).to_str().unwrap(),
            "--format",
            "json",
            "--fail-on",
            fail_on,
        ])
        .status
        .code()
    };
    // keyvault-nmi has critical findings; apiserver-unreachable a critical one; healthy none.
    assert_eq!(code("keyvault-nmi", "critical"), Some(1));
    assert_eq!(code("healthy", "critical"), Some(0));
    assert_eq!(code("healthy", "info"), Some(0));
    // Without --fail-on the default is critical.
    let default = analyze(&[
        testdata("keyvault-nmi").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(default.status.code(), Some(1));
    // A report whose worst finding is below --fail-on exits 0: raise the bar above what
    // the bundle reaches by running only a user rule of severity info.
    let rules = tempfile::tempdir().unwrap();
    let dir = rules.path().join("events-seen");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(
        dir.join("rule.yaml"),
        r#"id: events-seen
severity: info
title: {en: "Events were collected"}
summary: {en: "The bundle holds events."}
explanation: {en: "Context only."}
match:
  - source: event
    patterns: ["(?i)failed"]
remediation:
  - text: {en: "Nothing to do."}
"#,
    )
    .unwrap();
    let only_info = |fail_on: &str| {
        analyze(&[
            testdata("keyvault-nmi").to_str().unwrap(),
            "--format",
            "json",
            "--no-default-rules",
            "--rules",
            rules.path().to_str().unwrap(),
            "--fail-on",
            fail_on,
        ])
        .status
        .code()
    };
    assert_eq!(only_info("warning"), Some(0));
    assert_eq!(only_info("info"), Some(1));
}

#[test]
fn output_file_is_written_and_stdout_stays_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("report.md");
    let o = analyze(&[
        testdata("keyvault-nmi").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.stdout.is_empty());
    let md = std::fs::read_to_string(&out).unwrap();
    assert!(md.contains("kv-nmi-token-error"));
    // Only the report is in the folder: no temporary file left behind.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    // An ordinary file, not the temporary file's 0600.
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o644
    );
}

fn assert_unusable(o: &Output, needle: &str) {
    assert_eq!(o.status.code(), Some(2), "stderr: {}", stderr(o));
    let err = stderr(o);
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line expected: {err:?}"
    );
    assert!(err.contains(needle), "{err:?} lacks {needle:?}");
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope.tar.gz");
    assert_unusable(
        &analyze(&[missing.to_str().unwrap()]),
        "nope.tar.gz: no such file",
    );
    let empty = write(tmp.path(), "empty.tar.gz", b"");
    assert_unusable(&analyze(&[empty.to_str().unwrap()]), "empty file");
    let text = write(
        tmp.path(),
        "notes.zip",
        b"this is a support note, not an archive\n",
    );
    assert_unusable(
        &analyze(&[text.to_str().unwrap()]),
        "not a gzip, tar or zip",
    );
}

#[test]
fn truncated_gzip_analyzes_what_was_read_and_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let full = analyzer::cases::pack_tar_gz(&testdata("keyvault-nmi")).unwrap();
    let cut = write(tmp.path(), "cut.tar.gz", &full[..full.len() * 2 / 3]);
    let o = analyze(&[cut.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("cut.tar.gz"), "{err}");
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).expect("a report of what was read");
    let errors = v["errors"].as_array().unwrap();
    assert!(
        errors.iter().any(|e| e["message"]
            .as_str()
            .unwrap()
            .contains("the members before it were analyzed")),
        "{errors:?}"
    );
}

#[test]
fn zip_with_bad_crc_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("b/attachments/az.txt", opts).unwrap();
    zip.write_all(b"Unable to connect to the server: dial tcp 20.1.2.3:443: i/o timeout\n")
        .unwrap();
    let mut bytes = zip.finish().unwrap().into_inner();
    // Flip one byte of the stored content: its CRC no longer matches.
    let at = bytes.windows(6).position(|w| w == b"Unable").unwrap();
    bytes[at] = b'X';
    let bad = write(tmp.path(), "bad.zip", &bytes);
    let o = analyze(&[bad.to_str().unwrap(), "--format", "json"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("bad.zip"));
    assert!(
        stderr(&o).to_lowercase().contains("checksum") || stderr(&o).to_lowercase().contains("crc"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn unsafe_members_are_reported_and_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &[u8], body: &[u8], kind: tar::EntryType, link: Option<&str>| {
        let mut h = tar::Header::new_gnu();
        {
            let raw = h.as_old_mut();
            raw.name[..name.len()].copy_from_slice(name);
        }
        h.set_size(body.len() as u64);
        h.set_entry_type(kind);
        h.set_mode(0o644);
        if let Some(l) = link {
            h.set_link_name(l).unwrap();
        }
        h.set_cksum();
        b.append(&h, body).unwrap();
    };
    add(
        b"b/manifest.json",
        br#"{"format":"aksbundle/v1","errors":[]}"#,
        tar::EntryType::Regular,
        None,
    );
    add(b"../../evil.json", b"{}", tar::EntryType::Regular, None);
    add(b"/etc/cron.d/evil", b"x", tar::EntryType::Regular, None);
    add(
        b"b/logs/ns/p/c.log",
        b"",
        tar::EntryType::Symlink,
        Some("/etc/passwd"),
    );
    let p = write(tmp.path(), "hostile.tar", &b.into_inner().unwrap());
    let o = analyze(&[p.to_str().unwrap(), "--format", "json"]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let msgs: Vec<String> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{} {}", e["file"], e["message"]))
        .collect();
    assert!(
        msgs.iter()
            .any(|m| m.contains("../../evil.json") && m.contains("'..'")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.contains("/etc/cron.d/evil") && m.contains("absolute")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.contains("c.log") && m.contains("link")),
        "{msgs:?}"
    );
    assert!(!tmp.path().join("evil.json").exists() && !Path::new("/tmp/evil.json").exists());
}

#[test]
fn cluster_info_dump_reads_as_directory_and_archive() {
    let src = testdata("cluster-info-dump");
    let dir = analyze(&[src.to_str().unwrap(), "--format", "json"]);
    let v = json_without_path(&dir);
    assert_eq!(v["bundle"]["format"], "kubectl-cluster-info-dump");
    let tmp = tempfile::tempdir().unwrap();
    let tgz = write(
        tmp.path(),
        "dump.tgz",
        &analyzer::cases::pack_tar_gz(&src).unwrap(),
    );
    assert_eq!(
        json_without_path(&analyze(&[tgz.to_str().unwrap(), "--format", "json"])),
        v
    );
}

#[test]
fn rules_list_and_show() {
    let o = bin().args(["rules", "list"]).output().unwrap();
    assert!(o.status.success());
    let list = String::from_utf8_lossy(&o.stdout);
    assert!(list
        .lines()
        .any(|l| l.starts_with("kv-nmi-token-error") && l.contains("critical")));
    let o = bin()
        .args(["rules", "show", "kv-nmi-token-error"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("# kv-nmi-token-error"));
    let o = bin()
        .args(["rules", "show", "no-such-rule"])
        .output()
        .unwrap();
    assert_unusable(&o, "no rule 'no-such-rule'");
}

#[test]
fn docs_catalogue_is_current() {
    let o = bin()
        .args(["rules", "list", "--markdown"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let generated = String::from_utf8(o.stdout).unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/catalogue.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/catalogue.md is stale: run `cargo run -- rules list --markdown > docs/catalogue.md`"
    );
}
