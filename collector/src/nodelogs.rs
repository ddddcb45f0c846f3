//! Node logs (`--node-logs`, and `aksbundle collect node`): a bounded tail of the kubelet
//! and containerd journals, `/etc/resolv.conf` (and systemd-resolved's upstream list), the
//! validity dates of the certificates under `/etc/kubernetes/certs`, the disk use of the
//! kubelet and containerd directories, and the tail of `/var/log/azure/cluster-provision.log`.
//!
//! Read either through the same short-lived `kubectl debug node/<node>` pods as the IPAM
//! counts ([`debug_node_logs`]), or on the node itself ([`collect_node_logs`]). Both give a
//! [`NodeLogs`], written to `nodes/<node>/` under the same names ([`NodeLogs::files`]).
//!
//! Certificates: only files named `*.crt` or `*.cer` are opened, and only their
//! `CERTIFICATE` PEM blocks are read; the debug pod's script prints nothing else of them,
//! and the bundle gets only the dates. Key files are never opened.

use crate::clock::{self, Utc};
use crate::error::CollectError;
use crate::ipam::{self, DebugPods, IpamError};
use crate::kubectl::Kubectl;
use crate::logs::TailBuffer;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Directories whose disk use is measured, as seen on the host.
pub const DISK_PATHS: &[&str] = &["/var/lib/kubelet", "/var/lib/containerd"];
/// Where the node's certificates are.
pub const CERT_DIR: &str = "/etc/kubernetes/certs";
/// The AKS node provisioning (CSE) log.
pub const PROVISION_LOG: &str = "/var/log/azure/cluster-provision.log";
/// systemd units whose journals are tailed, and the file each goes to.
pub const JOURNALS: &[(&str, &str)] =
    &[("kubelet", "kubelet.log"), ("containerd", "containerd.log")];
/// Plain files copied (tail-bounded), and the name each gets.
pub const COPIED: &[(&str, &str)] = &[
    ("/etc/resolv.conf", "resolv.conf"),
    ("/run/systemd/resolve/resolv.conf", "resolv.systemd.conf"),
];
/// Seconds `du` may take per directory in a debug pod.
const DU_TIMEOUT_SECS: u64 = 60;

/// Bounds of the text files.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Lines kept of each journal and of the provisioning log.
    pub lines: u64,
    /// Bytes kept of each text file (its end, from a line start).
    pub bytes: u64,
}

/// Everything read from one node.
#[derive(Debug, Clone, Default)]
pub struct NodeLogs {
    /// Node name.
    pub node: String,
    /// When it was read (RFC 3339, UTC).
    pub collected_at: String,
    /// `debug-pod` or `host`.
    pub source: String,
    /// Text files by name (`kubelet.log`, `resolv.conf`, ...), not yet redacted.
    pub texts: Vec<(String, Vec<u8>)>,
    /// One entry per certificate found.
    pub certificates: Vec<CertDates>,
    /// One entry per directory of [`DISK_PATHS`].
    pub disk: Vec<DiskUse>,
    /// What could not be read, and why.
    pub missing: Vec<Missing>,
}

/// Validity of one certificate (`nodes/<node>/certs.json`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CertDates {
    /// The file, as seen on the host (`/etc/kubernetes/certs/apiserver.crt`).
    pub file: String,
    /// Position of the certificate in the file (0 for the first; chains have more).
    pub index: usize,
    /// `notBefore`, RFC 3339 UTC.
    pub not_before: Option<String>,
    /// `notAfter`, RFC 3339 UTC.
    pub not_after: Option<String>,
    /// Why the dates could not be read, when they could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Disk use of one directory (`nodes/<node>/disk.json`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DiskUse {
    /// The directory, as seen on the host.
    pub path: String,
    /// Bytes the directory's files take on disk (`du -skx`), when it could be measured.
    pub used_bytes: Option<u64>,
    /// The file system holding it (`df -kP`).
    pub filesystem: Option<FsUse>,
    /// Why something could not be measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Size and use of a file system.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct FsUse {
    /// Total size in bytes.
    pub size_bytes: u64,
    /// Used bytes.
    pub used_bytes: u64,
    /// Bytes available to unprivileged users.
    pub avail_bytes: u64,
}

/// A file that could not be collected.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Missing {
    /// The bundle file name (`kubelet.log`).
    pub file: String,
    /// Why.
    pub reason: String,
}

impl NodeLogs {
    /// The JSON files: `certs.json`, `disk.json` and `node-logs.json` (what was collected
    /// from where, and what not).
    pub fn json_files(&self) -> Vec<(&'static str, Value)> {
        let head = |extra: (&str, Value)| {
            let mut v = serde_json::json!({
                "node": self.node,
                "collected_at": self.collected_at,
            });
            v[extra.0] = extra.1;
            v
        };
        let files: Vec<&str> = self.texts.iter().map(|(n, _)| n.as_str()).collect();
        let mut summary = head(("source", Value::String(self.source.clone())));
        summary["files"] = serde_json::json!(files);
        summary["missing"] = serde_json::to_value(&self.missing).unwrap_or_default();
        vec![
            (
                "certs.json",
                head((
                    "certificates",
                    serde_json::to_value(&self.certificates).unwrap_or_default(),
                )),
            ),
            (
                "disk.json",
                head((
                    "paths",
                    serde_json::to_value(&self.disk).unwrap_or_default(),
                )),
            ),
            ("node-logs.json", summary),
        ]
    }

    fn missing(&mut self, file: &str, reason: impl Into<String>) {
        self.missing.push(Missing {
            file: file.to_string(),
            reason: reason.into(),
        });
    }
}

/// Why a node gets no node-logs debug pod: Windows nodes have no journal, and cannot run
/// the Linux image. (A node that is not Ready is tried: its kubelet log is what explains
/// it; the pod gives up after the usual wait when the kubelet cannot run it.)
pub fn skip_reason(node: &Value) -> Option<String> {
    let name = node["metadata"]["name"].as_str().unwrap_or("?");
    let os = node["metadata"]["labels"]["kubernetes.io/os"]
        .as_str()
        .or_else(|| node["status"]["nodeInfo"]["operatingSystem"].as_str());
    (os == Some("windows")).then(|| {
        format!("node {name}: Windows node, node logs not collected (no journal, and the debug image is Linux)")
    })
}

// ---------------------------------------------------------------------------------------
// Through a debug pod.

/// The shell script of the node-logs debug pod (busybox `sh`, the host's root at `/host`).
/// Each part is framed by `<marker> begin <name>` and `<marker> end <name> <status>` lines;
/// the marker carries a random nonce so a log line cannot fake a frame.
pub fn debug_script(bounds: Bounds, nonce: &str) -> String {
    let m = format!("aksbundle-{nonce}");
    let n = bounds.lines;
    let b = bounds.bytes;
    let mut s = String::new();
    s.push_str(&format!(
        "M={m}; R=/tmp/aksbundle-rc; part() {{ echo \"$M begin $1\"; }}; done_() {{ echo; echo \"$M end $1 $(cat $R 2>/dev/null || echo 0)\"; rm -f $R; }}; "
    ));
    for (unit, file) in JOURNALS {
        s.push_str(&format!(
            "part {file}; if [ -x /host/usr/bin/journalctl ]; then {{ chroot /host /usr/bin/journalctl -u {unit} -n {n} --no-pager -o short-iso --utc 2>&1; echo $? >$R; }} | tail -c {b}; else echo 'no /usr/bin/journalctl on the node'; echo 127 >$R; fi; done_ {file}; "
        ));
    }
    for (path, file) in COPIED {
        s.push_str(&format!(
            "part {file}; {{ tail -n {n} /host{path} 2>&1; echo $? >$R; }} | tail -c {b}; done_ {file}; "
        ));
    }
    s.push_str(&format!(
        "part cluster-provision.log; {{ tail -n {n} /host{PROVISION_LOG} 2>&1; echo $? >$R; }} | tail -c {b}; done_ cluster-provision.log; "
    ));
    // Only CERTIFICATE blocks of *.crt / *.cer files: never a line of a key.
    s.push_str(&format!(
        "for f in /host{CERT_DIR}/*.crt /host{CERT_DIR}/*.cer; do [ -f \"$f\" ] || continue; part \"cert ${{f#/host}}\"; awk '/PRIVATE/ {{p=0; next}} /^-----BEGIN CERTIFICATE-----/ {{p=1}} /^-----BEGIN / && !/CERTIFICATE-----/ {{p=0}} p {{print}} /^-----END CERTIFICATE-----/ {{p=0}}' \"$f\"; done_ \"cert ${{f#/host}}\"; done; "
    ));
    let dirs: Vec<String> = DISK_PATHS.iter().map(|p| format!("/host{p}")).collect();
    for (i, dir) in dirs.iter().enumerate() {
        s.push_str(&format!(
            "part df{i}; {{ df -kP {dir} 2>&1; echo $? >$R; }}; done_ df{i}; part du{i}; {{ timeout {DU_TIMEOUT_SECS} du -skx {dir} 2>&1; echo $? >$R; }}; done_ du{i}; "
        ));
    }
    s.push_str("echo \"$M finished\"");
    s
}

/// One framed part of the debug pod's output.
#[derive(Debug, PartialEq, Eq)]
struct Part {
    name: String,
    body: Vec<u8>,
    status: i32,
}

/// Splits the debug pod's output into its parts. Lines outside frames are ignored; a part
/// without its end line (the pod was cut short) is dropped.
fn split_parts(out: &[u8], nonce: &str) -> Result<Vec<Part>, IpamError> {
    let marker = format!("aksbundle-{nonce} ");
    let mut parts = Vec::new();
    let mut current: Option<(String, Vec<u8>)> = None;
    let mut finished = false;
    for line in out.split_inclusive(|&b| b == b'\n') {
        let text = String::from_utf8_lossy(line);
        let trimmed = text.trim_end_matches('\n');
        if let Some(rest) = trimmed.strip_prefix(&marker) {
            if let Some(name) = rest.strip_prefix("begin ") {
                current = Some((name.to_string(), Vec::new()));
                continue;
            }
            if let Some(rest) = rest.strip_prefix("end ") {
                if let Some((name, mut body)) = current.take() {
                    let status = rest
                        .rsplit_once(' ')
                        .and_then(|(_, s)| s.trim().parse().ok())
                        .unwrap_or(0);
                    // The script adds one newline before the end line.
                    if body.last() == Some(&b'\n') {
                        body.pop();
                    }
                    parts.push(Part { name, body, status });
                }
                continue;
            }
            if rest == "finished" {
                finished = true;
                continue;
            }
        }
        if let Some((_, body)) = current.as_mut() {
            body.extend_from_slice(line);
        }
    }
    if !finished {
        return Err(IpamError::BadOutput(format!(
            "the node-logs script did not finish ({} parts read)",
            parts.len()
        )));
    }
    Ok(parts)
}

/// Reads the node-logs debug pod's output into a [`NodeLogs`].
pub fn parse_debug_output(
    node: &str,
    out: &[u8],
    nonce: &str,
    bounds: Bounds,
) -> Result<NodeLogs, IpamError> {
    let mut logs = NodeLogs {
        node: node.to_string(),
        collected_at: clock::now_rfc3339(),
        source: "debug-pod".into(),
        ..NodeLogs::default()
    };
    let parts = split_parts(out, nonce)?;
    let text_files: Vec<&str> = JOURNALS
        .iter()
        .map(|(_, f)| *f)
        .chain(COPIED.iter().map(|(_, f)| *f))
        .chain(["cluster-provision.log"])
        .collect();
    for file in text_files {
        match parts.iter().find(|p| p.name == file) {
            Some(p) if p.status == 0 => {
                let mut tail = TailBuffer::new(bounds.bytes);
                let _ = tail.write_all(&p.body);
                logs.texts.push((file.to_string(), tail.into_tail()));
            }
            Some(p) => {
                let why = String::from_utf8_lossy(&p.body).trim().to_string();
                let why: String = why.chars().take(500).collect();
                logs.missing(file, format!("exit status {}: {why}", p.status));
            }
            None => logs.missing(file, "no output from the debug pod"),
        }
    }
    for p in parts.iter().filter(|p| p.name.starts_with("cert ")) {
        let file = p.name["cert ".len()..].to_string();
        logs.certificates
            .extend(cert_dates(&file, &String::from_utf8_lossy(&p.body)));
    }
    for (i, path) in DISK_PATHS.iter().enumerate() {
        let df = parts.iter().find(|p| p.name == format!("df{i}"));
        let du = parts.iter().find(|p| p.name == format!("du{i}"));
        let mut errors = Vec::new();
        let filesystem = match df {
            Some(p) if p.status == 0 => parse_df(&String::from_utf8_lossy(&p.body)),
            Some(p) => {
                errors.push(format!("df: {}", String::from_utf8_lossy(&p.body).trim()));
                None
            }
            None => None,
        };
        let used_bytes = match du {
            Some(p) if p.status == 0 => parse_du(&String::from_utf8_lossy(&p.body)),
            Some(p) => {
                errors.push(format!(
                    "du (exit {}): {}",
                    p.status,
                    String::from_utf8_lossy(&p.body).trim()
                ));
                None
            }
            None => None,
        };
        logs.disk.push(DiskUse {
            path: path.to_string(),
            used_bytes,
            filesystem,
            error: (!errors.is_empty()).then(|| errors.join("; ")),
        });
    }
    Ok(logs)
}

/// The `df -kP <dir>` data line as a [`FsUse`].
fn parse_df(text: &str) -> Option<FsUse> {
    let line = text.lines().rev().find(|l| !l.trim().is_empty())?;
    let cols: Vec<&str> = line.split_whitespace().collect();
    if cols.len() < 6 {
        return None;
    }
    let kib = |s: &str| s.parse::<u64>().ok().map(|k| k * 1024);
    Some(FsUse {
        size_bytes: kib(cols[1])?,
        used_bytes: kib(cols[2])?,
        avail_bytes: kib(cols[3])?,
    })
}

/// The `du -sk <dir>` line as bytes.
fn parse_du(text: &str) -> Option<u64> {
    let line = text.lines().rev().find(|l| !l.trim().is_empty())?;
    line.split_whitespace()
        .next()?
        .parse::<u64>()
        .ok()
        .map(|k| k * 1024)
}

/// Reads the node logs of `node` through a debug pod, which is always deleted afterwards.
pub fn debug_node_logs(
    kubectl: &Kubectl,
    node: &str,
    image: &str,
    timeout: Duration,
    pods: &DebugPods,
    bounds: Bounds,
    nonce: &str,
) -> Result<NodeLogs, IpamError> {
    let script = debug_script(bounds, nonce);
    let out = ipam::run_debug_pod(kubectl, node, image, &script, timeout, pods)?;
    parse_debug_output(node, &out, nonce, bounds)
}

/// A random hex string for the frame marker.
pub fn nonce() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.write_u32(std::process::id());
    format!("{:016x}", h.finish())
}

// ---------------------------------------------------------------------------------------
// Certificates.

/// The validity dates of every `CERTIFICATE` block in `pem_text`. Other blocks (keys
/// above all) are skipped without being decoded.
pub fn cert_dates(file: &str, pem_text: &str) -> Vec<CertDates> {
    let blocks = match pem::parse_many(pem_text) {
        Ok(blocks) => blocks,
        Err(e) => {
            return vec![CertDates {
                file: file.to_string(),
                index: 0,
                not_before: None,
                not_after: None,
                error: Some(format!("not PEM: {e}")),
            }]
        }
    };
    blocks
        .iter()
        .filter(|b| b.tag() == "CERTIFICATE")
        .enumerate()
        .map(|(index, block)| {
            let (not_before, not_after, error) = match validity(block.contents()) {
                Ok((a, b)) => (Some(a), Some(b), None),
                Err(e) => (None, None, Some(format!("not an X.509 certificate: {e}"))),
            };
            CertDates {
                file: file.to_string(),
                index,
                not_before,
                not_after,
                error,
            }
        })
        .collect()
}

/// `notBefore` and `notAfter` of a DER certificate, as RFC 3339 UTC.
fn validity(der: &[u8]) -> Result<(String, String), yasna::ASN1Error> {
    yasna::parse_der(der, |r| {
        r.read_sequence(|r| {
            let dates = r.next().read_sequence(|r| {
                // version [0] EXPLICIT, optional
                r.read_optional(|r| r.read_tagged(yasna::Tag::context(0), |r| r.read_der()))?;
                let _serial = r.next().read_der()?;
                let _signature = r.next().read_der()?;
                let _issuer = r.next().read_der()?;
                let dates = r.next().read_sequence(|r| {
                    let a = read_time(r.next())?;
                    let b = read_time(r.next())?;
                    Ok((a, b))
                })?;
                // subject, key, extensions: not read.
                while r.read_optional(|r| r.read_der())?.is_some() {}
                Ok(dates)
            })?;
            let _alg = r.next().read_der()?;
            let _sig = r.next().read_der()?;
            Ok(dates)
        })
    })
}

fn read_time(r: yasna::BERReader) -> Result<String, yasna::ASN1Error> {
    let at = if r.lookahead_tag()? == yasna::tags::TAG_UTCTIME {
        r.read_utctime()?.datetime().unix_timestamp()
    } else {
        r.read_generalized_time()?.datetime().unix_timestamp()
    };
    let at = if at >= 0 {
        UNIX_EPOCH + Duration::from_secs(at as u64)
    } else {
        UNIX_EPOCH
    };
    Ok(Utc::from_system(at).rfc3339())
}

/// True for a file name that is read as a certificate: `*.crt` and `*.cer` only, so a
/// key (`*.key`, or a `*.pem` that may bundle one) is never opened.
pub fn is_certificate_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    (lower.ends_with(".crt") || lower.ends_with(".cer")) && !lower.contains("key")
}

// ---------------------------------------------------------------------------------------
// On the node itself.

/// Options of the node-logs part of `aksbundle collect node`.
#[derive(Debug, Clone)]
pub struct HostOptions {
    /// The node's root file system (`/`, or `/host` in a pod).
    pub host_root: PathBuf,
    /// The node name.
    pub node: String,
    /// The journalctl to run. Default: `journalctl` on `PATH`.
    pub journalctl: PathBuf,
    /// Bounds of the text files.
    pub bounds: Bounds,
}

/// Reads the node logs from the host's file system and journal.
pub fn read_host(opts: &HostOptions) -> NodeLogs {
    let root = &opts.host_root;
    let bounds = opts.bounds;
    let mut logs = NodeLogs {
        node: opts.node.clone(),
        collected_at: clock::now_rfc3339(),
        source: "host".into(),
        ..NodeLogs::default()
    };
    for (unit, file) in JOURNALS {
        match journal(opts, unit) {
            Ok(bytes) => logs.texts.push((file.to_string(), bytes)),
            Err(why) => logs.missing(file, why),
        }
    }
    for (path, file) in COPIED {
        match tail_file(&in_root(root, path), bounds) {
            Ok(bytes) => logs.texts.push((file.to_string(), bytes)),
            Err(e) => logs.missing(file, format!("{path}: {e}")),
        }
    }
    match tail_file(&in_root(root, PROVISION_LOG), bounds) {
        Ok(bytes) => logs.texts.push(("cluster-provision.log".into(), bytes)),
        Err(e) => logs.missing("cluster-provision.log", format!("{PROVISION_LOG}: {e}")),
    }
    logs.certificates = host_certs(root);
    for path in DISK_PATHS {
        logs.disk.push(host_disk(root, path));
    }
    logs
}

/// `<root>/<path>`, following a symbolic link whose absolute target means the host's root
/// (Ubuntu's `/etc/resolv.conf` → `/run/systemd/resolve/stub-resolv.conf`), a few times.
fn in_root(root: &Path, path: &str) -> PathBuf {
    let mut rel = PathBuf::from(path.trim_start_matches('/'));
    for _ in 0..8 {
        let full = root.join(&rel);
        match std::fs::read_link(&full) {
            Ok(target) if target.is_absolute() => {
                rel = target.strip_prefix("/").unwrap_or(&target).to_path_buf();
            }
            Ok(target) => {
                let parent = rel.parent().map(Path::to_path_buf).unwrap_or_default();
                rel = parent.join(target);
            }
            Err(_) => return full,
        }
    }
    root.join(rel)
}

/// The last `bounds.lines` lines of a file, at most `bounds.bytes` of them. Reads at most
/// four times the byte bound from the end, whatever the file's size.
fn tail_file(path: &Path, bounds: Bounds) -> std::io::Result<Vec<u8>> {
    let mut f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    let window = bounds.bytes.saturating_mul(crate::logs::TRANSFER_FACTOR);
    let start = len.saturating_sub(window);
    f.seek(std::io::SeekFrom::Start(start))?;
    let mut buf = Vec::new();
    f.take(window).read_to_end(&mut buf)?;
    if start > 0 {
        // The first line is partial.
        match buf.iter().position(|&b| b == b'\n') {
            Some(i) => {
                buf.drain(..=i);
            }
            None => buf.clear(),
        }
    }
    Ok(last_lines(buf, bounds))
}

/// Keeps the last `lines` lines, then the last `bytes` bytes of those from a line start.
fn last_lines(buf: Vec<u8>, bounds: Bounds) -> Vec<u8> {
    let body = buf.strip_suffix(b"\n").unwrap_or(&buf);
    let start = body
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, &b)| b == b'\n')
        .nth(usize::try_from(bounds.lines.saturating_sub(1)).unwrap_or(usize::MAX))
        .map(|(i, _)| i + 1)
        .unwrap_or(0);
    let mut tail = TailBuffer::new(bounds.bytes);
    let _ = tail.write_all(&buf[start..]);
    tail.into_tail()
}

/// `journalctl -u <unit>` of the host: on `/`, the system journal; under another root, its
/// journal directory (`var/log/journal`, else the volatile `run/log/journal`).
fn journal(opts: &HostOptions, unit: &str) -> Result<Vec<u8>, String> {
    let mut cmd = std::process::Command::new(&opts.journalctl);
    if opts.host_root != Path::new("/") {
        let dir = ["var/log/journal", "run/log/journal"]
            .iter()
            .map(|d| opts.host_root.join(d))
            .find(|d| d.is_dir())
            .ok_or_else(|| {
                format!(
                    "no journal under {} (var/log/journal or run/log/journal)",
                    opts.host_root.display()
                )
            })?;
        cmd.arg(format!("--directory={}", dir.display()));
    }
    cmd.args([
        "-u",
        unit,
        "-n",
        &opts.bounds.lines.to_string(),
        "--no-pager",
        "-o",
        "short-iso",
        "--utc",
    ])
    .stdin(std::process::Stdio::null());
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {}: {e}", opts.journalctl.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} exited with {}: {}",
            opts.journalctl.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(last_lines(out.stdout, opts.bounds))
}

/// Dates of the certificates under `<root>/etc/kubernetes/certs`, opening only
/// [`is_certificate_name`] files.
fn host_certs(root: &Path) -> Vec<CertDates> {
    let dir = root.join(CERT_DIR.trim_start_matches('/'));
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file() || t.is_symlink()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| is_certificate_name(n))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let file = format!("{CERT_DIR}/{name}");
        // A certificate is a few KiB; a bigger file is not one.
        let read = std::fs::File::open(dir.join(&name)).and_then(|f| {
            let mut s = String::new();
            f.take(1024 * 1024).read_to_string(&mut s)?;
            Ok(s)
        });
        match read {
            Ok(text) => out.extend(cert_dates(&file, &only_certificate_blocks(&text))),
            Err(e) => out.push(CertDates {
                file,
                index: 0,
                not_before: None,
                not_after: None,
                error: Some(e.to_string()),
            }),
        }
    }
    out
}

/// The lines of `CERTIFICATE` blocks only, as the debug pod's awk filter prints them.
fn only_certificate_blocks(text: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        if line.contains("PRIVATE") {
            inside = false;
            continue;
        }
        if line.starts_with("-----BEGIN CERTIFICATE-----") {
            inside = true;
        } else if line.starts_with("-----BEGIN ") {
            inside = false;
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
        if line.starts_with("-----END CERTIFICATE-----") {
            inside = false;
        }
    }
    out
}

/// Disk use of `<root>/<path>`: the bytes its files take (one file system only, as
/// `du -skx`) and its file system's size and use.
fn host_disk(root: &Path, path: &str) -> DiskUse {
    let full = root.join(path.trim_start_matches('/'));
    let mut errors = Vec::new();
    let used_bytes = match du(&full) {
        Ok(n) => Some(n),
        Err(e) => {
            errors.push(format!("du: {e}"));
            None
        }
    };
    let filesystem = match statvfs(&full) {
        Ok(fs) => Some(fs),
        Err(e) => {
            errors.push(format!("df: {e}"));
            None
        }
    };
    DiskUse {
        path: path.to_string(),
        used_bytes,
        filesystem,
        error: (!errors.is_empty()).then(|| errors.join("; ")),
    }
}

#[cfg(unix)]
fn du(dir: &Path) -> std::io::Result<u64> {
    use std::os::unix::fs::MetadataExt;
    let top = std::fs::symlink_metadata(dir)?;
    let dev = top.dev();
    let mut total = 0u64;
    let mut stack = vec![dir.to_path_buf()];
    let mut seen = std::collections::HashSet::new();
    while let Some(d) = stack.pop() {
        let meta = std::fs::symlink_metadata(&d)?;
        total += meta.blocks() * 512;
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(m) = entry.metadata() else { continue };
            if m.dev() != dev {
                continue;
            }
            if m.is_dir() {
                stack.push(entry.path());
            } else if m.nlink() <= 1 || seen.insert((m.dev(), m.ino())) {
                total += m.blocks() * 512;
            }
        }
    }
    Ok(total)
}

#[cfg(not(unix))]
fn du(_dir: &Path) -> std::io::Result<u64> {
    Err(std::io::Error::other("not supported on this system"))
}

#[cfg(unix)]
fn statvfs(path: &Path) -> std::io::Result<FsUse> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    // SAFETY: `c` is a valid NUL-terminated path and `st` a properly sized, zeroed struct
    // that statvfs(3) fills; neither outlives the call.
    let st = unsafe {
        let mut st: libc::statvfs = std::mem::zeroed();
        if libc::statvfs(c.as_ptr(), &mut st) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        st
    };
    let frsize = st.f_frsize as u64;
    Ok(FsUse {
        size_bytes: st.f_blocks as u64 * frsize,
        used_bytes: (st.f_blocks as u64).saturating_sub(st.f_bfree as u64) * frsize,
        avail_bytes: st.f_bavail as u64 * frsize,
    })
}

#[cfg(not(unix))]
fn statvfs(_path: &Path) -> std::io::Result<FsUse> {
    Err(std::io::Error::other("not supported on this system"))
}

/// Reads this host's node logs and writes them to `<output_dir>/nodes/<node>/` (text
/// files redacted). Returns the files written.
pub fn collect_node_logs(
    opts: &HostOptions,
    output_dir: &Path,
) -> Result<Vec<PathBuf>, CollectError> {
    let logs = read_host(opts);
    let dir = output_dir
        .join("nodes")
        .join(crate::bundle::safe_component(&opts.node));
    std::fs::create_dir_all(&dir).map_err(|e| CollectError::write(&dir, e))?;
    let mut written = Vec::new();
    for (name, bytes) in &logs.texts {
        let path = dir.join(name);
        let (text, _) = crate::redact::redact_text(bytes);
        std::fs::write(&path, &text).map_err(|e| CollectError::write(&path, e))?;
        written.push(path);
    }
    for (name, value) in logs.json_files() {
        let path = dir.join(name);
        let json =
            serde_json::to_vec_pretty(&value).map_err(|e| CollectError::write(&path, e.into()))?;
        std::fs::write(&path, json).map_err(|e| CollectError::write(&path, e))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A certificate issued with `openssl ca -startdate 20251128000000Z -enddate 20271128000000Z`.
    const CERT: &str = include_str!("../../testdata/apiserver/hosts/aks-nodepool1-12345678-vmss000000/etc/kubernetes/certs/apiserver.crt");

    #[test]
    fn certificate_dates_are_read_and_keys_skipped() {
        let with_key = format!(
            "{CERT}-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n"
        );
        let dates = cert_dates("/etc/kubernetes/certs/apiserver.crt", &with_key);
        assert_eq!(dates.len(), 1, "{dates:?}");
        assert!(dates[0].error.is_none(), "{dates:?}");
        let nb = dates[0].not_before.as_deref().unwrap();
        let na = dates[0].not_after.as_deref().unwrap();
        assert_eq!((nb, na), ("2025-11-28T00:00:00Z", "2027-11-28T00:00:00Z"));
        let bad = cert_dates(
            "x.crt",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        );
        assert_eq!(bad.len(), 1);
        assert!(bad[0].error.is_some());
        assert!(is_certificate_name("apiserver.crt") && is_certificate_name("CA.CER"));
        for key in [
            "client.key",
            "apiserver.pem",
            "kubelet-client-current.pem",
            "key.crt",
        ] {
            assert!(!is_certificate_name(key), "{key}");
        }
        let filtered = only_certificate_blocks(&with_key);
        assert!(!filtered.contains("PRIVATE") && !filtered.contains("MIIEvQIBADAN"));
    }

    #[test]
    fn frames_split_the_debug_output_and_a_forged_frame_does_not_match() {
        let out = b"aksbundle-abc begin kubelet.log\nI1122 line one\naksbundle-fake end kubelet.log 0\nI1122 line two\n\naksbundle-abc end kubelet.log 0\naksbundle-abc begin du0\ndu: cannot access\n\naksbundle-abc end du0 1\naksbundle-abc finished\n";
        let parts = split_parts(out, "abc").unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "kubelet.log");
        assert_eq!(
            parts[0].body,
            b"I1122 line one\naksbundle-fake end kubelet.log 0\nI1122 line two\n"
        );
        assert_eq!(parts[1].status, 1);
        assert!(split_parts(b"aksbundle-abc begin x\n", "abc").is_err());
    }

    #[test]
    fn df_and_du_lines_parse() {
        let df = "Filesystem     1024-blocks     Used Available Capacity Mounted on\n/dev/sda1        129886128 98765432  31104312      77% /host\n";
        assert_eq!(
            parse_df(df),
            Some(FsUse {
                size_bytes: 129_886_128 * 1024,
                used_bytes: 98_765_432 * 1024,
                avail_bytes: 31_104_312 * 1024
            })
        );
        assert_eq!(
            parse_du("5242880\t/host/var/lib/containerd\n"),
            Some(5_242_880 * 1024)
        );
        assert_eq!(parse_du("du: cannot read directory\n"), None);
    }

    #[test]
    fn last_lines_bounds_lines_then_bytes() {
        let text: Vec<u8> = (1..=10)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let b = |lines, bytes| Bounds { lines, bytes };
        assert_eq!(last_lines(text.clone(), b(2, 1000)), b"line 9\nline 10\n");
        assert_eq!(last_lines(text.clone(), b(100, 10)), b"line 10\n");
        assert_eq!(last_lines(b"no newline".to_vec(), b(1, 100)), b"no newline");
    }

    #[test]
    fn windows_nodes_are_skipped() {
        let win = serde_json::json!({"metadata": {"name": "akswin000000", "labels": {"kubernetes.io/os": "windows"}}});
        assert!(skip_reason(&win).unwrap().contains("Windows"));
        let linux = serde_json::json!({"metadata": {"name": "aks-np-0", "labels": {"kubernetes.io/os": "linux"}},
            "status": {"conditions": [{"type": "Ready", "status": "False"}]}});
        assert_eq!(skip_reason(&linux), None);
    }
}
