//! Where `-o`/`--out` output goes, for every command that writes: a device or FIFO is
//! written straight and never replaced, a write error exits 2 naming the path, a symbolic
//! link is resolved (the link stays, its target is replaced), `-` is standard output.

use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_aksbundle"))
}

fn healthy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/healthy")
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A batch results file of the healthy sample, for `summarize`.
fn results(dir: &Path) -> PathBuf {
    let out = dir.join("r.jsonl");
    let o = run(&[
        "batch",
        "--out",
        out.to_str().unwrap(),
        healthy().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    out
}

fn dev_null_is_a_device() -> bool {
    std::fs::metadata("/dev/null")
        .unwrap()
        .file_type()
        .is_char_device()
}

#[test]
fn batch_out_dev_null_leaves_dev_null_a_device() {
    // Regression: run as root, `batch --out /dev/null` renamed a regular file over
    // /dev/null. Every writing command is checked.
    let t = tempfile::tempdir().unwrap();
    let r = results(t.path());
    let h = healthy();
    let h = h.to_str().unwrap();
    for args in [
        vec!["batch", "--out", "/dev/null", h],
        vec!["batch", "--summary", "/dev/null", h],
        vec!["analyze", h, "-o", "/dev/null"],
        vec!["summarize", r.to_str().unwrap(), "-o", "/dev/null"],
    ] {
        let o = run(&args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        assert!(dev_null_is_a_device(), "{args:?} replaced /dev/null");
    }
    assert!(
        !Path::new("/dev/null.partial").exists(),
        "no journal beside a device"
    );
}

#[test]
fn dev_full_exits_2_naming_the_path() {
    let t = tempfile::tempdir().unwrap();
    let r = results(t.path());
    let h = healthy();
    let h = h.to_str().unwrap();
    for args in [
        vec!["analyze", h, "-o", "/dev/full"],
        vec!["batch", "--out", "/dev/full", h],
        vec!["batch", "--summary", "/dev/full", h],
        vec!["summarize", r.to_str().unwrap(), "-o", "/dev/full"],
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains("cannot write /dev/full: No space left on device"),
            "{args:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "one line: {err}");
    }
}

#[test]
fn a_fifo_receives_the_output() {
    let t = tempfile::tempdir().unwrap();
    let fifo = t.path().join("pipe");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    for args in [
        vec!["analyze", "--format", "json", "-o"],
        vec!["batch", "--out"],
    ] {
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        let mut argv = args.clone();
        let f = fifo.to_str().unwrap().to_string();
        let h = healthy().to_str().unwrap().to_string();
        argv.push(&f);
        if args[0] == "analyze" {
            argv.insert(1, &h);
        } else {
            argv.push(&h);
        }
        let o = run(&argv);
        assert!(o.status.success(), "{argv:?}: {}", stderr(&o));
        let got = reader.join().unwrap();
        let first = got.split(|b| *b == b'\n').next().unwrap();
        let v: serde_json::Value = if args[0] == "batch" {
            serde_json::from_slice(first).unwrap()
        } else {
            serde_json::from_slice(&got).unwrap()
        };
        assert_eq!(v["schema"], "aksbundle.report/v1", "{argv:?}");
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    }
}

#[test]
fn a_symlink_is_resolved_its_target_replaced_and_the_link_kept() {
    let t = tempfile::tempdir().unwrap();
    let real = t.path().join("real.json");
    std::fs::write(&real, "old").unwrap();
    let link = t.path().join("report.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let o = run(&[
        "analyze",
        healthy().to_str().unwrap(),
        "--format",
        "json",
        "-o",
        link.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&real).unwrap()).unwrap();
    assert_eq!(v["schema"], "aksbundle.report/v1");

    // batch's journal goes beside the link's target, and the link survives the rename.
    let out_real = t.path().join("results-real.jsonl");
    std::fs::write(&out_real, "").unwrap();
    let out_link = t.path().join("results.jsonl");
    std::os::unix::fs::symlink(&out_real, &out_link).unwrap();
    let o = run(&[
        "batch",
        "--out",
        out_link.to_str().unwrap(),
        healthy().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::symlink_metadata(&out_link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read_to_string(&out_real).unwrap().lines().count(),
        1
    );

    // A link to nothing is refused in one line naming it.
    let dangling = t.path().join("dangling.md");
    std::os::unix::fs::symlink(t.path().join("missing/x.md"), &dangling).unwrap();
    let o = run(&[
        "analyze",
        healthy().to_str().unwrap(),
        "-o",
        dangling.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("symbolic link"), "{}", stderr(&o));
    assert!(stderr(&o).contains("dangling.md"), "{}", stderr(&o));
}

#[test]
fn dash_is_standard_output_and_resume_needs_a_regular_file() {
    let o = run(&[
        "analyze",
        healthy().to_str().unwrap(),
        "--format",
        "json",
        "-o",
        "-",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["schema"], "aksbundle.report/v1");

    let o = run(&[
        "batch",
        "--resume",
        "--out",
        "/dev/null",
        healthy().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--resume needs --out to be a regular file"),
        "{}",
        stderr(&o)
    );
}
