//! Hostile bundles, generated here (nothing large is committed). For every case `analyze`
//! must end with exit 0, 1 or 2 — never a panic or a signal — within bounded time and
//! memory, write nothing outside its output, never follow a link out of the bundle, and
//! say what it skipped.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A hang guard, not a performance assertion: benchmarks live in scripts/.
const HANG_GUARD: Duration = Duration::from_secs(180);
/// Address-space cap for the analyzer under test.
const MEMORY_CAP_KIB: u64 = 3 * 1024 * 1024;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn analyze(bundle: &Path, cwd: &Path, extra: &[&str]) -> Run {
    let bin = env!("CARGO_BIN_EXE_aksbundle");
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("ulimit -v {MEMORY_CAP_KIB}; b=\"$1\"; shift; exec \"$0\" analyze \"$b\" --format json \"$@\""))
        .arg(bin)
        .arg(bundle)
        .args(extra)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn");
    let start = Instant::now();
    // Drain pipes on threads so a large report cannot block the child.
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
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if start.elapsed() > HANG_GUARD {
            child.kill().ok();
            panic!(
                "analyze of {} did not finish within {HANG_GUARD:?}",
                bundle.display()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = t_out.join().unwrap();
    let stderr = t_err.join().unwrap();
    let code = status.code().unwrap_or_else(|| {
        panic!(
            "analyze of {} died by a signal: {status:?}\n{stderr}",
            bundle.display()
        )
    });
    assert!(matches!(code, 0..=2), "exit {code}: {stderr}");
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    Run {
        code,
        stdout,
        stderr,
    }
}

fn errors_of(run: &Run) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("no JSON report ({e}); stderr: {}", run.stderr));
    v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} :: {}",
                e["file"].as_str().unwrap_or(""),
                e["message"].as_str().unwrap_or("")
            )
        })
        .collect()
}

fn has(errors: &[String], a: &str, b: &str) -> bool {
    errors.iter().any(|e| e.contains(a) && e.contains(b))
}

fn tar_entry(
    b: &mut tar::Builder<impl Write>,
    name: &str,
    kind: tar::EntryType,
    body: &[u8],
    link: Option<&str>,
) {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_size(if matches!(kind, tar::EntryType::Regular) {
        body.len() as u64
    } else {
        0
    });
    h.set_mode(0o644);
    if let Some(l) = link {
        h.set_link_name(l).unwrap();
    }
    {
        let raw = h.as_old_mut();
        raw.name[..name.len()].copy_from_slice(name.as_bytes());
    }
    h.set_cksum();
    let body = if matches!(kind, tar::EntryType::Regular) {
        body
    } else {
        &[]
    };
    b.append(&h, body).unwrap();
}

const MANIFEST: &[u8] = br#"{"format":"aksbundle/v1","collected_at":"2026-11-22T04:00:00Z","cluster":{"context":"hostile"},"errors":[]}"#;

/// A reader of `n` zero bytes.
struct Zeros(u64);
impl std::io::Read for Zeros {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.0) as usize;
        buf[..n].fill(0);
        self.0 -= n as u64;
        Ok(n)
    }
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn assert_nothing_written(cwd: &Path) {
    let left: Vec<PathBuf> = std::fs::read_dir(cwd)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| !p.ends_with("input"))
        .collect();
    assert!(left.is_empty(), "analyze wrote {left:?}");
}

#[test]
fn gzip_bomb_stops_at_the_member_limit() {
    let dir = tmp();
    let input = dir.path().join("input");
    std::fs::create_dir(&input).unwrap();
    let path = input.join("bomb.tar.gz");
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    let mut b = tar::Builder::new(gz);
    tar_entry(
        &mut b,
        "b/manifest.json",
        tar::EntryType::Regular,
        MANIFEST,
        None,
    );
    let mut h = tar::Header::new_gnu();
    h.set_path("b/logs/ns/pod/app.log").unwrap();
    h.set_size(3 << 30);
    h.set_mode(0o644);
    h.set_cksum();
    b.append(&h, Zeros(3 << 30)).unwrap();
    b.into_inner().unwrap().finish().unwrap();
    assert!(
        std::fs::metadata(&path).unwrap().len() < 64 << 20,
        "the bomb is small on disk"
    );
    let run = analyze(&path, dir.path(), &[]);
    let errors = errors_of(&run);
    assert!(has(&errors, "app.log", "--max-member-bytes"), "{errors:?}");
    assert_nothing_written(dir.path());
}

#[test]
fn zip_bomb_stops_at_the_member_limit() {
    let dir = tmp();
    let input = dir.path().join("input");
    std::fs::create_dir(&input).unwrap();
    let path = input.join("bomb.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
        .large_file(true);
    z.start_file("b/manifest.json", opts).unwrap();
    z.write_all(MANIFEST).unwrap();
    z.start_file("b/attachments/huge.txt", opts).unwrap();
    std::io::copy(&mut Zeros(3 << 30), &mut z).unwrap();
    z.finish().unwrap();
    let run = analyze(&path, dir.path(), &[]);
    assert!(
        has(&errors_of(&run), "huge.txt", "--max-member-bytes"),
        "{:?}",
        errors_of(&run)
    );
}

#[test]
fn links_devices_and_fifos_in_tar_are_skipped_not_followed() {
    let dir = tmp();
    let mut b = tar::Builder::new(Vec::new());
    tar_entry(
        &mut b,
        "b/manifest.json",
        tar::EntryType::Regular,
        MANIFEST,
        None,
    );
    tar_entry(
        &mut b,
        "b/attachments/passwd",
        tar::EntryType::Symlink,
        b"",
        Some("/etc/passwd"),
    );
    tar_entry(
        &mut b,
        "b/attachments/hard",
        tar::EntryType::Link,
        b"",
        Some("/etc/shadow"),
    );
    tar_entry(&mut b, "b/attachments/dev", tar::EntryType::Char, b"", None);
    tar_entry(
        &mut b,
        "b/attachments/fifo",
        tar::EntryType::Fifo,
        b"",
        None,
    );
    let path = dir.path().join("links.tar");
    std::fs::write(&path, b.into_inner().unwrap()).unwrap();
    let run = analyze(&path, dir.path(), &[]);
    let errors = errors_of(&run);
    assert!(has(&errors, "attachments/passwd", "link"), "{errors:?}");
    assert!(has(&errors, "attachments/hard", "link"), "{errors:?}");
    assert!(has(&errors, "attachments/dev", "special"), "{errors:?}");
    assert!(has(&errors, "attachments/fifo", "special"), "{errors:?}");
    assert!(
        !run.stdout.contains("root:x:0:0"),
        "content of /etc/passwd leaked into the report"
    );
}

#[test]
fn directory_with_fifo_and_link_out_neither_hangs_nor_follows() {
    let dir = tmp();
    let b = dir.path().join("bundle");
    std::fs::create_dir_all(b.join("attachments")).unwrap();
    std::fs::write(b.join("manifest.json"), MANIFEST).unwrap();
    let fifo = b.join("attachments/pipe.txt");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    std::os::unix::fs::symlink("/etc/passwd", b.join("attachments/passwd.txt")).unwrap();
    std::os::unix::fs::symlink("/", b.join("logs")).unwrap();
    let run = analyze(&b, dir.path(), &[]);
    let errors = errors_of(&run);
    assert!(has(&errors, "pipe.txt", "special"), "{errors:?}");
    assert!(has(&errors, "passwd.txt", "link"), "{errors:?}");
    assert!(has(&errors, "logs", "link"), "{errors:?}");
    assert!(!run.stdout.contains("root:x:0:0"));
}

#[test]
fn endless_line_nul_bytes_and_invalid_utf8() {
    let dir = tmp();
    let b = dir.path().join("bundle");
    std::fs::create_dir_all(b.join("logs/kube-system/aks-secrets-store-provider-azure-x1k9z"))
        .unwrap();
    std::fs::write(b.join("manifest.json"), MANIFEST).unwrap();
    let mut log = vec![b'A'; 80 << 20];
    log.extend_from_slice(b"\n\xff\xfe\x00\x00 garbage \xc3\x28\n");
    log.extend_from_slice(b"2026-11-22T03:59:31.2Z E1122 03:59:31.2 1 s.go:1] failed to get key vault token: nmi response failed with status code: 403\n");
    std::fs::write(
        b.join("logs/kube-system/aks-secrets-store-provider-azure-x1k9z/provider.log"),
        &log,
    )
    .unwrap();
    let run = analyze(&b, dir.path(), &[]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    // The line after 80 MiB without a newline is still found, with its right number.
    let ev = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["evidence"].as_array().unwrap().iter())
        .find(|e| e["file"].as_str().unwrap().ends_with("provider.log"));
    assert_eq!(
        ev.map(|e| e["line"].as_u64()),
        Some(Some(3)),
        "{}",
        run.stdout
    );
}

#[test]
fn broken_json_of_every_kind_is_an_error_on_its_file_only() {
    let dir = tmp();
    let b = dir.path().join("bundle");
    for ns in ["a", "b", "c", "d"] {
        std::fs::create_dir_all(b.join(format!("namespaces/{ns}"))).unwrap();
    }
    std::fs::write(b.join("manifest.json"), MANIFEST).unwrap();
    std::fs::write(
        b.join("namespaces/a/pods.json"),
        r#"{"kind":"List","items":[{"metadata":{"name":"x"#,
    )
    .unwrap();
    std::fs::write(
        b.join("namespaces/b/pods.json"),
        r#"{"kind":"List","items":"not a list"}"#,
    )
    .unwrap();
    std::fs::write(b.join("namespaces/c/pods.json"), "[".repeat(200_000)).unwrap();
    std::fs::write(b.join("namespaces/d/events.json"), "\u{0}\u{1}binary\u{ff}").unwrap();
    std::fs::create_dir_all(b.join("namespaces/ok")).unwrap();
    std::fs::write(
        b.join("namespaces/ok/pods.json"),
        r#"{"kind":"List","items":[]}"#,
    )
    .unwrap();
    let run = analyze(&b, dir.path(), &[]);
    let errors = errors_of(&run);
    assert!(
        has(&errors, "namespaces/a/pods.json", "truncated"),
        "{errors:?}"
    );
    assert!(
        has(&errors, "namespaces/b/pods.json", "shape"),
        "{errors:?}"
    );
    assert!(has(&errors, "namespaces/c/pods.json", "JSON"), "{errors:?}");
    assert!(
        has(&errors, "namespaces/d/events.json", "JSON"),
        "{errors:?}"
    );
    assert!(
        !errors.iter().any(|e| e.contains("namespaces/ok")),
        "{errors:?}"
    );
}

#[test]
fn a_hundred_thousand_tiny_members() {
    let dir = tmp();
    let path = dir.path().join("many.tar.gz");
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    let mut b = tar::Builder::new(gz);
    tar_entry(
        &mut b,
        "b/manifest.json",
        tar::EntryType::Regular,
        MANIFEST,
        None,
    );
    for i in 0..100_000 {
        tar_entry(
            &mut b,
            &format!("b/attachments/n{i}.txt"),
            tar::EntryType::Regular,
            b"x\n",
            None,
        );
    }
    b.into_inner().unwrap().finish().unwrap();
    let run = analyze(&path, dir.path(), &[]);
    assert!(matches!(run.code, 0 | 1), "{}", run.stderr);
    // With a lower member limit the rest is reported, not silently dropped.
    let run = analyze(&path, dir.path(), &["--max-members", "1000"]);
    assert!(
        has(&errors_of(&run), "", "--max-members"),
        "{:?}",
        errors_of(&run)
    );
}

#[test]
fn tar_cut_mid_member_and_duplicate_names() {
    let dir = tmp();
    let mut b = tar::Builder::new(Vec::new());
    tar_entry(
        &mut b,
        "b/manifest.json",
        tar::EntryType::Regular,
        MANIFEST,
        None,
    );
    tar_entry(
        &mut b,
        "b/cluster/nodes.json",
        tar::EntryType::Regular,
        br#"{"items":[{"metadata":{"name":"n1"}}]}"#,
        None,
    );
    tar_entry(
        &mut b,
        "b/cluster/nodes.json",
        tar::EntryType::Regular,
        br#"{"items":[{"metadata":{"name":"evil"}}]}"#,
        None,
    );
    tar_entry(
        &mut b,
        "b/attachments/long.txt",
        tar::EntryType::Regular,
        &vec![b'z'; 100_000],
        None,
    );
    let full = b.into_inner().unwrap();
    let dup = dir.path().join("dup.tar");
    std::fs::write(&dup, &full).unwrap();
    let run = analyze(&dup, dir.path(), &[]);
    assert!(
        has(&errors_of(&run), "cluster/nodes.json", "duplicate"),
        "{:?}",
        errors_of(&run)
    );
    let cut = dir.path().join("cut.tar");
    std::fs::write(&cut, &full[..full.len() - 60_000]).unwrap();
    let run = analyze(&cut, dir.path(), &[]);
    assert_eq!(
        run.code, 2,
        "a cut archive exits 2 after reporting what it read"
    );
    assert!(run.stderr.contains("cut.tar"), "{}", run.stderr);
    assert!(
        has(&errors_of(&run), "(bundle)", "damaged"),
        "{:?}",
        errors_of(&run)
    );
}

#[test]
fn bundle_nested_in_a_ticket_zip_and_an_encrypted_entry() {
    let dir = tmp();
    let inner = {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut b = tar::Builder::new(gz);
        tar_entry(
            &mut b,
            "aksbundle-x-20261122T040000Z/manifest.json",
            tar::EntryType::Regular,
            MANIFEST,
            None,
        );
        tar_entry(
            &mut b,
            "aksbundle-x-20261122T040000Z/attachments/az.txt",
            tar::EntryType::Regular,
            b"Unable to connect to the server: dial tcp 20.61.12.9:443: i/o timeout\n",
            None,
        );
        b.into_inner().unwrap().finish().unwrap()
    };
    let path = dir.path().join("ticket-4711.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let opts = zip::write::SimpleFileOptions::default();
    z.start_file("ticket-4711/notes.txt", opts).unwrap();
    z.write_all(b"customer says pods cannot mount secrets")
        .unwrap();
    z.start_file(
        "ticket-4711/aksbundle-x-20261122T040000Z.tar.gz",
        opts.compression_method(zip::CompressionMethod::Stored),
    )
    .unwrap();
    z.write_all(&inner).unwrap();
    z.start_file(
        "ticket-4711/secret.txt",
        opts.compression_method(zip::CompressionMethod::Stored),
    )
    .unwrap();
    z.write_all(b"encrypted").unwrap();
    z.finish().unwrap();
    // Mark the last entry encrypted (general-purpose bit 0) in its local and central
    // headers, as a password-protected export has it.
    let mut bytes = std::fs::read(&path).unwrap();
    for sig in [&b"PK\x03\x04"[..], &b"PK\x01\x02"[..]] {
        let at = bytes.windows(4).rposition(|w| w == sig).unwrap();
        let flag_at = at + if sig[2] == 3 { 6 } else { 8 };
        bytes[flag_at] |= 1;
    }
    std::fs::write(&path, bytes).unwrap();
    let run = analyze(&path, dir.path(), &[]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        v["bundle"]["cluster"]["context"], "hostile",
        "the nested bundle's manifest was read: {}",
        run.stdout
    );
    assert!(
        has(&errors_of(&run), "secret.txt", "encrypted"),
        "{:?}",
        errors_of(&run)
    );
}

#[test]
fn bundle_among_a_ticket_exports_attachments_is_read() {
    // Regression: `export/attachments/bundle.tar.gz` was taken for the bundle's own
    // attachment and scanned as text.
    let dir = tmp();
    let inner = {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut b = tar::Builder::new(gz);
        tar_entry(
            &mut b,
            "aksbundle-x-20261122T040000Z/manifest.json",
            tar::EntryType::Regular,
            MANIFEST,
            None,
        );
        b.into_inner().unwrap().finish().unwrap()
    };
    let path = dir.path().join("export.zip");
    let mut z = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    z.start_file(
        "export/attachments/aksbundle-x-20261122T040000Z.tar.gz",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    z.write_all(&inner).unwrap();
    z.finish().unwrap();
    let run = analyze(&path, dir.path(), &[]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        v["bundle"]["cluster"]["context"], "hostile",
        "{}",
        run.stdout
    );
}

/// Copies a rule case's bundle into `to`, replacing `from` with `with` in every file.
fn hostile_copy(case: &str, to: &Path, from: &str, with: &str) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(case)
        .join("bundle");
    for entry in walk(&src) {
        let rel = entry.strip_prefix(&src).unwrap();
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        let text = std::fs::read_to_string(&entry).unwrap();
        std::fs::write(dest, text.replace(from, with)).unwrap();
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Every suggested command of a JSON report, and every withheld value.
fn commands_of(run: &Run) -> (Vec<String>, Vec<String>) {
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let mut cmds = Vec::new();
    let mut withheld = Vec::new();
    for f in v["findings"].as_array().unwrap() {
        for s in f["steps"].as_array().unwrap() {
            for c in s["commands"].as_array().unwrap() {
                cmds.push(c.as_str().unwrap().to_string());
            }
            for w in s["withheld"].as_array().into_iter().flatten() {
                withheld.push(w["value"].as_str().unwrap().to_string());
            }
        }
    }
    (cmds, withheld)
}

/// Issue 17 item 1: a container named `$(cd;touch pwned)` (it landed in a jsonpath inside
/// '...') and an image `$(cd;touch pwned).azurecr.io/...` must never enter a suggested
/// command, yet stay visible beside it.
#[test]
fn container_and_image_named_like_command_substitutions_never_enter_commands() {
    let dir = tmp();
    let crash = dir.path().join("crash");
    hostile_copy(
        "rules/workloads/pod-crashloop/cases/fires-error-exit-1-with-previous-log",
        &crash,
        "\"name\": \"api\"",
        "\"name\": \"$(cd;touch pwned)\"",
    );
    let pull = dir.path().join("pull");
    hostile_copy(
        "rules/acr/image-platform-mismatch/cases/fires-amd64-image-on-arm64-node",
        &pull,
        "contosoacr.azurecr.io",
        "$(cd;touch pwned).azurecr.io",
    );
    for (bundle, rule) in [
        (&crash, "pod-crashloop"),
        (&pull, "image-platform-mismatch"),
    ] {
        let run = analyze(bundle, dir.path(), &[]);
        assert!(
            run.stdout.contains(rule),
            "{rule} did not fire: {}",
            run.stdout
        );
        let (cmds, withheld) = commands_of(&run);
        assert!(!cmds.is_empty());
        for c in &cmds {
            assert!(!c.contains("pwned") && !c.contains("$(cd"), "{rule}: {c}");
        }
        assert!(
            withheld.iter().any(|w| w.contains("touch pwned")),
            "{rule}: {withheld:?}"
        );
    }
}
