//! `aksbundle batch` and `aksbundle summarize` end to end, on the real binary: line order,
//! failures that do not stop the run, shards, the Indexed Job default, --resume, and
//! bundles inside a ticket's zip.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_aksbundle"));
    c.env_remove("JOB_COMPLETION_INDEX")
        .env_remove("AKSBUNDLE_SHARDS");
    c
}

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(name)
}

fn ok(o: Output) -> Output {
    assert!(
        o.status.success(),
        "exit {:?}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn batch(args: &[&str], paths: &[&Path]) -> Output {
    bin()
        .arg("batch")
        .args(args)
        .args(paths)
        .output()
        .expect("runs")
}

fn lines(file: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line ({e}): {l}")))
        .collect()
}

fn paths(file: &Path) -> Vec<String> {
    lines(file)
        .iter()
        .map(|v| v["bundle"]["path"].as_str().unwrap().to_string())
        .collect()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_tree(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// A folder of tickets: archives of every kind, unpacked trees and noise, 14 bundles.
fn tickets(root: &Path) -> Vec<&'static str> {
    let kv = testdata("keyvault-nmi");
    let write = |rel: &str, bytes: &[u8]| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    };
    let tgz = analyzer::cases::pack_tar_gz(&kv).unwrap();
    let zip = analyzer::cases::pack_zip(&testdata("ipam-leak")).unwrap();
    for i in 0..8 {
        write(&format!("t{i:03}/aksbundle.tar.gz"), &tgz);
    }
    write("t100/bundle.zip", &zip);
    write("t100/notes.txt", b"customer says: it broke");
    copy_tree(&testdata("healthy"), &root.join("t200/unpacked"));
    copy_tree(&testdata("cluster-info-dump"), &root.join("t300/dump"));
    write("t400/broken.tar.gz", b"this is not an archive");
    let mut truncated = tgz.clone();
    truncated.truncate(tgz.len() / 3);
    write("t401/truncated.tgz", &truncated);
    write("t500/a.tgz", &tgz);
    vec![
        "t000/aksbundle.tar.gz",
        "t001/aksbundle.tar.gz",
        "t002/aksbundle.tar.gz",
        "t003/aksbundle.tar.gz",
        "t004/aksbundle.tar.gz",
        "t005/aksbundle.tar.gz",
        "t006/aksbundle.tar.gz",
        "t007/aksbundle.tar.gz",
        "t100/bundle.zip",
        "t200/unpacked",
        "t300/dump",
        "t400/broken.tar.gz",
        "t401/truncated.tgz",
        "t500/a.tgz",
    ]
}

#[test]
fn lines_are_in_sorted_path_order_whatever_finishes_first() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("in");
    let want = tickets(&root);
    // The first bundle in order is by far the slowest: a large log to scan.
    let big = t.path().join("big");
    copy_tree(&testdata("keyvault-nmi"), &big);
    let log = big.join("logs/default/web-1/app.log");
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    let mut f = std::fs::File::create(&log).unwrap();
    for i in 0..60_000 {
        writeln!(
            f,
            "2026-11-22T03:59:{:02}Z INFO request {i} served in 12ms path=/api/v1/items",
            i % 60
        )
        .unwrap();
    }
    drop(f);
    std::fs::write(
        root.join("a-first.tar.gz"),
        analyzer::cases::pack_tar_gz(&big).unwrap(),
    )
    .unwrap();

    let out4 = t.path().join("j4.jsonl");
    let out1 = t.path().join("j1.jsonl");
    ok(batch(
        &["-j", "4", "--out", out4.to_str().unwrap()],
        &[&root],
    ));
    ok(batch(
        &["-j", "1", "--out", out1.to_str().unwrap()],
        &[&root],
    ));
    let mut expected = vec!["a-first.tar.gz"];
    expected.extend(want);
    assert_eq!(paths(&out4), expected);
    assert_eq!(
        std::fs::read(&out4).unwrap(),
        std::fs::read(&out1).unwrap(),
        "-j4 and -j1 write the same bytes"
    );
}

#[test]
fn a_corrupt_bundle_gets_an_errors_line_and_the_run_goes_on() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("in");
    let want = tickets(&root);
    let out = t.path().join("r.jsonl");
    let o = ok(batch(&["--out", out.to_str().unwrap()], &[&root]));
    // Quiet when stderr is not a terminal: no progress, no per-bundle chatter.
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let ls = lines(&out);
    assert_eq!(ls.len(), want.len());
    let analyze_keys: Vec<String> = {
        let o = ok(bin()
            .args(["analyze", "--format", "json"])
            .arg(testdata("healthy"))
            .output()
            .unwrap());
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v.as_object().unwrap().keys().cloned().collect()
    };
    for l in &ls {
        for k in &analyze_keys {
            // Keys the report leaves out when empty may be absent on any line.
            if k != "node_ip_usage" && k != "warning_events" {
                assert!(l.get(k).is_some(), "line lacks {k}: {l}");
            }
        }
        assert_eq!(l["schema"], "aksbundle.report/v1");
    }
    let by_path = |p: &str| ls.iter().find(|l| l["bundle"]["path"] == p).unwrap();
    let broken = by_path("t400/broken.tar.gz");
    assert_eq!(broken["outcome"], "failed");
    assert_eq!(broken["errors"][0]["file"], "(bundle)");
    assert!(broken["findings"].as_array().unwrap().is_empty());
    assert_eq!(by_path("t401/truncated.tgz")["outcome"], "damaged");
    // The bundles after the broken ones were analyzed.
    let last = by_path("t500/a.tgz");
    assert_eq!(last["outcome"], "analyzed");
    assert!(!last["findings"].as_array().unwrap().is_empty(), "{last}");
    assert_eq!(
        by_path("t000/aksbundle.tar.gz")["findings"][0]["rule"],
        "kv-nmi-token-error"
    );
}

#[test]
fn shards_cover_every_input_exactly_once_and_are_stable() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("in");
    let mut want: Vec<String> = tickets(&root).into_iter().map(String::from).collect();
    want.sort();
    for n in [1u32, 3] {
        let mut all = Vec::new();
        for k in 0..n {
            let a = t.path().join(format!("{k}-{n}-a.jsonl"));
            let b = t.path().join(format!("{k}-{n}-b.jsonl"));
            let shard = format!("{k}/{n}");
            ok(batch(
                &["--shard", &shard, "-j", "2", "--out", a.to_str().unwrap()],
                &[&root],
            ));
            ok(batch(
                &["--shard", &shard, "-j", "1", "--out", b.to_str().unwrap()],
                &[&root],
            ));
            assert_eq!(
                std::fs::read(&a).unwrap(),
                std::fs::read(&b).unwrap(),
                "shard {shard} is stable"
            );
            all.extend(paths(&a));
        }
        all.sort();
        assert_eq!(all, want, "{n} shards cover every bundle exactly once");
    }
    let bad = batch(&["--shard", "3/3", "--out", "x.jsonl"], &[&root]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn summarize_of_shard_outputs_equals_the_unsharded_summary() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("in");
    tickets(&root);
    let whole = t.path().join("whole.jsonl");
    ok(batch(
        &[
            "--out",
            whole.to_str().unwrap(),
            "--summary",
            t.path().join("whole.html").to_str().unwrap(),
        ],
        &[&root],
    ));
    let mut shard_files = Vec::new();
    for k in 0..3 {
        let f = t.path().join(format!("shard-{k}.jsonl"));
        ok(batch(
            &["--shard", &format!("{k}/3"), "--out", f.to_str().unwrap()],
            &[&root],
        ));
        shard_files.push(f);
    }
    for ext in ["md", "html", "json"] {
        let merged = t.path().join(format!("merged.{ext}"));
        let single = t.path().join(format!("single.{ext}"));
        ok(bin()
            .arg("summarize")
            .args(&shard_files)
            .arg("-o")
            .arg(&merged)
            .output()
            .unwrap());
        ok(bin()
            .arg("summarize")
            .arg(&whole)
            .arg("-o")
            .arg(&single)
            .output()
            .unwrap());
        let merged = std::fs::read_to_string(&merged).unwrap();
        assert_eq!(merged, std::fs::read_to_string(&single).unwrap(), "{ext}");
        assert!(merged.contains("kv-nmi-token-error"));
    }
    let html = std::fs::read_to_string(t.path().join("whole.html")).unwrap();
    assert_eq!(
        html,
        std::fs::read_to_string(t.path().join("merged.html")).unwrap()
    );
    assert!(html.contains("<svg") && !html.contains("<script") && !html.contains("src=\"http"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(t.path().join("merged.json")).unwrap())
            .unwrap();
    assert_eq!(json["bundles"], 14);
    assert_eq!(json["failed"], 1);
    assert_eq!(json["damaged"], 1);
    // Stdout, with --format.
    let o = ok(bin()
        .arg("summarize")
        .args(["--format", "md"])
        .arg(&whole)
        .output()
        .unwrap());
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("# aksbundle batch summary"));
}

#[test]
fn resume_skips_done_bundles_and_keeps_their_lines() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("in");
    tickets(&root);
    let out = t.path().join("r.jsonl");
    // A first run over part of the tickets, written as an earlier run would have.
    ok(batch(
        &["--shard", "0/2", "--out", out.to_str().unwrap()],
        &[&root],
    ));
    let first = paths(&out);
    assert!(!first.is_empty());
    // Mark the kept lines, and break a done bundle on disk: neither may be redone.
    let marked = std::fs::read_to_string(&out).unwrap().replace(
        "\"schema\":\"aksbundle.report/v1\"",
        "\"schema\":\"aksbundle.report/v1\",\"kept\":true",
    );
    std::fs::write(&out, marked).unwrap();
    let done_archive = first
        .iter()
        .find(|p| p.ends_with(".tar.gz") && p.starts_with("t0"))
        .unwrap();
    std::fs::write(root.join(done_archive), b"broken since").unwrap();

    let o = ok(batch(
        &["--resume", "--out", out.to_str().unwrap()],
        &[&root],
    ));
    let ls = lines(&out);
    let mut all = paths(&out);
    assert_eq!(all.len(), 14, "{:?}", String::from_utf8_lossy(&o.stderr));
    let sorted = {
        let mut s = all.clone();
        s.sort();
        s
    };
    assert_eq!(all, sorted, "merged in input order");
    for l in &ls {
        let p = l["bundle"]["path"].as_str().unwrap();
        assert_eq!(l.get("kept").is_some(), first.iter().any(|f| f == p), "{p}");
    }
    let again = ls
        .iter()
        .find(|l| l["bundle"]["path"] == done_archive.as_str())
        .unwrap();
    assert_ne!(
        again["outcome"], "failed",
        "a done bundle was analyzed again"
    );
    assert!(!t.path().join("r.jsonl.partial").exists());
    all.dedup();
    assert_eq!(all.len(), 14);
}

#[test]
fn job_completion_index_picks_the_shard() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("in");
    tickets(&root);
    let explicit = t.path().join("explicit.jsonl");
    ok(batch(
        &["--shard", "1/3", "--out", explicit.to_str().unwrap()],
        &[&root],
    ));
    let from_env = t.path().join("shard-{shard}.jsonl");
    ok(bin()
        .arg("batch")
        .arg(&root)
        .arg("--out")
        .arg(&from_env)
        .env("JOB_COMPLETION_INDEX", "1")
        .env("AKSBUNDLE_SHARDS", "3")
        .output()
        .unwrap());
    let written = t.path().join("shard-1.jsonl");
    assert_eq!(
        std::fs::read(&written).unwrap(),
        std::fs::read(&explicit).unwrap()
    );
    let flag = t.path().join("flag.jsonl");
    ok(bin()
        .arg("batch")
        .arg(&root)
        .args(["--shards", "3", "--out"])
        .arg(&flag)
        .env("JOB_COMPLETION_INDEX", "1")
        .output()
        .unwrap());
    assert_eq!(
        std::fs::read(&flag).unwrap(),
        std::fs::read(&explicit).unwrap()
    );
    // Half a configuration is refused rather than running everything on every pod.
    let half = bin()
        .arg("batch")
        .arg(&root)
        .env("JOB_COMPLETION_INDEX", "1")
        .output()
        .unwrap();
    assert_eq!(half.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&half.stderr).contains("AKSBUNDLE_SHARDS"));
}

#[test]
fn a_ticket_zip_holding_a_bundle_tar_gz_is_found_and_analyzed() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("tickets");
    std::fs::create_dir_all(root.join("case-2611220001")).unwrap();
    let tgz = analyzer::cases::pack_tar_gz(&testdata("keyvault-nmi")).unwrap();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    // Not under an `attachments/` folder: the reader takes `<top>/attachments/...` for a
    // bundle's own attachments (a known limit, see docs/batch.md).
    zip.start_file("case-2611220001/customer-notes.txt", opts)
        .unwrap();
    zip.write_all(b"pods cannot read secrets since 03:50")
        .unwrap();
    zip.start_file(
        "case-2611220001/aksbundle-prod-20261122T040000Z.tar.gz",
        opts,
    )
    .unwrap();
    zip.write_all(&tgz).unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    std::fs::write(root.join("case-2611220001/ticket-export.zip"), bytes).unwrap();
    let summary = t.path().join("summary.md");
    let o = ok(batch(&["--summary", summary.to_str().unwrap()], &[&root]));
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.contains("**1** bundles") && md.contains("kv-nmi-token-error"),
        "{md}"
    );
    let text = String::from_utf8(o.stdout).unwrap();
    let ls: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(ls.len(), 1, "{text}");
    assert_eq!(ls[0]["bundle"]["path"], "case-2611220001/ticket-export.zip");
    assert_eq!(ls[0]["outcome"], "analyzed");
    assert_eq!(ls[0]["findings"][0]["rule"], "kv-nmi-token-error");
}
