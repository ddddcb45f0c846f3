//! Reads a bundle in one sequential streaming pass: detects the container by magic bytes
//! (gzip, zip, tar, or a directory), walks its members, parses object files into the
//! [`Index`] and streams text members through the [`Scanner`]. A `.tar.gz` is inflated on
//! one thread and parsed and scanned on another. Nothing is extracted or written to disk.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use serde::de::DeserializeOwned;

use crate::error::{OpenError, ReadIssue};
use crate::index::{Index, NamespaceObjects};
use crate::layout::{self, ObjectKind, Role};
use crate::limits::Limits;
use crate::model::{self, List};
use crate::scan::{ScanPlan, ScanResults, Scanner, TextFile, TextSource};

/// What kind of container a bundle came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContainerKind {
    TarGz,
    Tar,
    Zip,
    Directory,
}

/// The result of the reading pass.
#[derive(Debug)]
pub struct ReadOutcome {
    pub container: ContainerKind,
    pub index: Index,
    pub scan: ScanResults,
    /// Members that could not be read or were skipped, one line each.
    pub issues: Vec<ReadIssue>,
    /// Set when the container itself is damaged (truncated gzip, bad CRC): what was read
    /// before the damage was analyzed, and the run must say so and exit 2.
    pub damaged: Option<String>,
    /// Members seen (files, folders, links).
    pub members: u64,
}

const CHUNK: usize = 256 << 10;

/// Reads a bundle held in memory (tests, nested tickets). `name` is used in messages.
pub fn read_bytes(
    name: &str,
    bytes: &[u8],
    limits: &Limits,
    plan: &ScanPlan,
) -> Result<ReadOutcome, OpenError> {
    let path = Path::new(name);
    if bytes.is_empty() {
        return Err(OpenError::Empty {
            path: path.to_path_buf(),
        });
    }
    let mut sink = Sink::new(plan, *limits);
    let kind = sniff_bytes(&bytes[..bytes.len().min(512)]);
    match kind {
        Some(ContainerKind::TarGz) => read_tar_gz_threaded(bytes, path, &mut sink)?,
        Some(ContainerKind::Tar) => read_tar(
            TotalLimit::new(bytes, limits.max_total_bytes),
            path,
            &mut sink,
            0,
        )?,
        Some(ContainerKind::Zip) => read_zip(io::Cursor::new(bytes), path, &mut sink, 0)?,
        _ => {
            return Err(OpenError::NotAnArchive {
                path: path.to_path_buf(),
                detail: "not a gzip, tar or zip file (checked by its first bytes)".into(),
            })
        }
    }
    if sink.members_ok == 0 && sink.damaged.is_some() {
        return Err(OpenError::Damaged {
            path: path.to_path_buf(),
            detail: sink.damaged.take().unwrap_or_default(),
        });
    }
    Ok(sink.finish(kind.expect("matched above")))
}

/// Reads the bundle at `path`.
pub fn read_bundle(
    path: &Path,
    limits: &Limits,
    plan: &ScanPlan,
) -> Result<ReadOutcome, OpenError> {
    let meta = std::fs::metadata(path).map_err(|e| OpenError::io(path, e))?;
    let mut sink = Sink::new(plan, *limits);
    let container = if meta.is_dir() {
        read_dir_tree(path, &mut sink)?;
        ContainerKind::Directory
    } else {
        if !meta.is_file() {
            return Err(OpenError::NotAnArchive {
                path: path.to_path_buf(),
                detail: "not a regular file".into(),
            });
        }
        if meta.len() == 0 {
            return Err(OpenError::Empty {
                path: path.to_path_buf(),
            });
        }
        let mut file = File::open(path).map_err(|e| OpenError::io(path, e))?;
        let kind = sniff(&mut file).map_err(|e| OpenError::io(path, e))?;
        file.rewind().map_err(|e| OpenError::io(path, e))?;
        match kind {
            Some(ContainerKind::TarGz) => read_tar_gz_threaded(file, path, &mut sink)?,
            Some(ContainerKind::Tar) => {
                let r = TotalLimit::new(
                    BufReader::with_capacity(CHUNK, file),
                    limits.max_total_bytes,
                );
                read_tar(r, path, &mut sink, 0)?
            }
            Some(ContainerKind::Zip) => read_zip(BufReader::new(file), path, &mut sink, 0)?,
            _ => {
                return Err(OpenError::NotAnArchive {
                    path: path.to_path_buf(),
                    detail: "not a gzip, tar or zip file (checked by its first bytes)".into(),
                })
            }
        }
        kind.expect("matched above")
    };
    if sink.members_ok == 0 && sink.damaged.is_some() {
        return Err(OpenError::Damaged {
            path: path.to_path_buf(),
            detail: sink.damaged.take().unwrap_or_default(),
        });
    }
    Ok(sink.finish(container))
}

/// Detects the container by its first bytes.
fn sniff(file: &mut File) -> io::Result<Option<ContainerKind>> {
    let mut head = [0u8; 512];
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(sniff_bytes(&head[..n]))
}

/// The container kind of a file by its first (up to 512) bytes: gzip, zip or tar.
pub fn sniff_bytes(head: &[u8]) -> Option<ContainerKind> {
    if head.starts_with(&[0x1f, 0x8b]) {
        Some(ContainerKind::TarGz)
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Some(ContainerKind::Zip)
    } else if head.len() >= 262 && &head[257..262] == b"ustar" {
        Some(ContainerKind::Tar)
    } else if head.len() == 512 && tar_header_checksum_ok(head) {
        // Old (v7) tar headers have no magic; their checksum still identifies them.
        Some(ContainerKind::Tar)
    } else {
        None
    }
}

fn tar_header_checksum_ok(h: &[u8]) -> bool {
    let field = &h[148..156];
    let text: String = field
        .iter()
        .take_while(|b| **b != 0 && **b != b' ')
        .map(|b| *b as char)
        .collect();
    let Ok(expected) = u32::from_str_radix(text.trim(), 8) else {
        return false;
    };
    let sum: u32 = h
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(*b)
            }
        })
        .sum();
    sum == expected && h[0] != 0
}

/// Inflates on a second thread, parses tar and scans on this one.
fn read_tar_gz_threaded<R: Read + Send>(
    file: R,
    path: &Path,
    sink: &mut Sink,
) -> Result<(), OpenError> {
    let (tx, rx) = mpsc::sync_channel::<io::Result<Vec<u8>>>(8);
    let (back_tx, back_rx) = mpsc::channel::<Vec<u8>>();
    std::thread::scope(|s| {
        s.spawn(move || {
            let mut gz = flate2::read::MultiGzDecoder::new(BufReader::with_capacity(CHUNK, file));
            loop {
                let mut buf = back_rx.try_recv().unwrap_or_default();
                buf.resize(CHUNK, 0);
                let mut n = 0;
                let mut err = None;
                while n < CHUNK {
                    match gz.read(&mut buf[n..]) {
                        Ok(0) => break,
                        Ok(k) => n += k,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            err = Some(e);
                            break;
                        }
                    }
                }
                buf.truncate(n);
                let done = n < CHUNK;
                if n > 0 && tx.send(Ok(buf)).is_err() {
                    return;
                }
                if let Some(e) = err {
                    let _ = tx.send(Err(e));
                    return;
                }
                if done {
                    return;
                }
            }
        });
        let reader = ChannelReader {
            rx,
            cur: Vec::new(),
            pos: 0,
            back: back_tx,
        };
        let limited = TotalLimit::new(reader, sink.limits.max_total_bytes);
        read_tar(limited, path, sink, 0)
    })
}

struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Vec<u8>>>,
    cur: Vec<u8>,
    pos: usize,
    back: mpsc::Sender<Vec<u8>>,
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.cur.len() {
            match self.rx.recv() {
                Ok(Ok(next)) => {
                    let old = std::mem::replace(&mut self.cur, next);
                    let _ = self.back.send(old);
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.cur.len() - self.pos);
        out[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The bundle-wide inflated-bytes limit.
struct TotalLimit<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R> TotalLimit<R> {
    fn new(inner: R, limit: u64) -> Self {
        TotalLimit {
            inner,
            left: limit,
            limit,
        }
    }
}

/// Raised by a limit reader; recognised so limits are not mistaken for damage.
#[derive(Debug)]
pub(crate) struct LimitHit(pub String);

impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for LimitHit {}

fn limit_hit(e: &io::Error) -> Option<String> {
    e.get_ref()?.downcast_ref::<LimitHit>().map(|l| l.0.clone())
}

impl<R: Read> Read for TotalLimit<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // Probe one byte: a bundle of exactly the limit is fine.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::other(LimitHit(format!(
                    "the bundle inflates to more than {} bytes (--max-total-bytes); the rest was not read",
                    self.limit
                )))),
            };
        }
        let want = out.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut out[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// A member's bytes, capped at `limit`.
struct MemberLimit<'a> {
    inner: &'a mut dyn Read,
    left: u64,
    limit: u64,
    flag: &'static str,
}

impl Read for MemberLimit<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::other(LimitHit(format!(
                    "larger than {} bytes ({}); the rest was not read",
                    self.limit, self.flag
                )))),
            };
        }
        let want = out.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut out[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Remembers the first I/O error the container's own reader gave, which means the
/// container is damaged (truncated, bad CRC) rather than the member's content being bad.
struct Tracking<'a, R: Read + ?Sized> {
    inner: &'a mut R,
    error: Option<String>,
}

impl<R: Read + ?Sized> Read for Tracking<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.inner.read(out).inspect_err(|e| {
            // A limit is ours, not damage of the container.
            if self.error.is_none() && limit_hit(e).is_none() {
                self.error = Some(e.to_string());
            }
        })
    }
}

/// Hands one member to the sink. Returns whether to go on, and whether the container's
/// own reader failed under the member (damage: truncated, bad CRC), already recorded.
fn feed(
    sink: &mut Sink,
    name: &str,
    ty: MemberType,
    data: &mut dyn Read,
    path: &Path,
    depth: u32,
) -> (bool, bool) {
    let mut tracked = Tracking {
        inner: data,
        error: None,
    };
    let go_on = sink.member(name, ty, &mut tracked, path, depth);
    match tracked.error {
        Some(err) => {
            sink.damage(format!(
                "{}: member '{name}' is damaged: {err}",
                path.display()
            ));
            (go_on, true)
        }
        None => (go_on, false),
    }
}

/// Member types as archives describe them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MemberType {
    File,
    Dir,
    Link,
    Special,
}

fn read_tar<R: Read>(r: R, path: &Path, sink: &mut Sink, depth: u32) -> Result<(), OpenError> {
    // The guard refuses oversized long-name and PAX members before the crate buffers them.
    let mut archive = tar::Archive::new(crate::bounds::TarGuard::new(r));
    let entries = archive.entries().map_err(|e| OpenError::io(path, e))?;
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                if let Some(l) = limit_hit(&e) {
                    sink.issue("(bundle)", l);
                } else {
                    sink.damage(format!(
                        "{}: the tar stream is damaged after {} members: {}",
                        path.display(),
                        sink.members,
                        e
                    ));
                }
                return Ok(());
            }
        };
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let ty = match entry.header().entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => MemberType::File,
            tar::EntryType::Directory => MemberType::Dir,
            tar::EntryType::Symlink | tar::EntryType::Link => MemberType::Link,
            tar::EntryType::GNULongName
            | tar::EntryType::GNULongLink
            | tar::EntryType::XHeader
            | tar::EntryType::XGlobalHeader => continue,
            _ => MemberType::Special,
        };
        // A tar stream cannot be read past damage.
        let (go_on, damaged) = feed(sink, &name, ty, &mut entry, path, depth);
        if !go_on || damaged {
            return Ok(());
        }
    }
    Ok(())
}

fn read_zip<R: Read + Seek>(
    r: R,
    path: &Path,
    sink: &mut Sink,
    depth: u32,
) -> Result<(), OpenError> {
    let mut zip = zip::ZipArchive::new(r).map_err(|e| OpenError::NotAnArchive {
        path: path.to_path_buf(),
        detail: format!("unreadable zip: {e}"),
    })?;
    let raw_names: Vec<String> = (0..zip.len())
        .map(|i| zip.name_for_index(i).unwrap_or("?").to_string())
        .collect();
    // Entries sharing bytes (one deflate stream behind a thousand entries) are refused
    // before any is inflated.
    let overlapping = crate::bounds::zip_overlaps(&mut zip);
    for (i, overlaps) in overlapping.into_iter().enumerate() {
        if overlaps {
            sink.members += 1;
            sink.issue(
                raw_names.get(i).map_or("?", String::as_str),
                "entry overlaps another entry's bytes (an overlapping-entries zip bomb); skipped"
                    .into(),
            );
            continue;
        }
        let mut f = match zip.by_index(i) {
            Ok(f) => f,
            Err(e) => {
                let name = raw_names.get(i).cloned().unwrap_or_else(|| "?".into());
                let what = match e {
                    zip::result::ZipError::UnsupportedArchive(m)
                        if m.contains("ncrypt") || m.contains("assword") =>
                    {
                        "encrypted entry; skipped".to_string()
                    }
                    other => format!("unreadable entry; skipped: {other}"),
                };
                sink.members += 1;
                sink.issue(&name, what);
                continue;
            }
        };
        let name = f.name().to_string();
        let ty = if f.is_dir() {
            MemberType::Dir
        } else if f.is_symlink() {
            MemberType::Link
        } else if f.is_file() {
            MemberType::File
        } else {
            MemberType::Special
        };
        // A zip's other members stay readable after one is damaged.
        let (go_on, _) = feed(sink, &name, ty, &mut f, path, depth);
        if !go_on {
            return Ok(());
        }
    }
    Ok(())
}

fn read_dir_tree(root: &Path, sink: &mut Sink) -> Result<(), OpenError> {
    fn walk(root: &Path, dir: &Path, sink: &mut Sink, depth: usize) -> bool {
        let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => {
                sink.issue(&rel_name(root, dir), format!("cannot list folder: {e}"));
                return true;
            }
        };
        entries.sort();
        for p in entries {
            let name = rel_name(root, &p);
            let meta = match std::fs::symlink_metadata(&p) {
                Ok(m) => m,
                Err(e) => {
                    sink.issue(&name, format!("cannot stat: {e}"));
                    continue;
                }
            };
            let ft = meta.file_type();
            if ft.is_dir() {
                sink.members += 1;
                if depth >= 32 {
                    sink.issue(&name, "folders nested more than 32 deep; skipped".into());
                    continue;
                }
                if !walk(root, &p, sink, depth + 1) {
                    return false;
                }
            } else if ft.is_file() {
                match File::open(&p) {
                    // Re-check after opening: the path may have been swapped for something else.
                    Ok(mut f) if f.metadata().map(|m| m.is_file()).unwrap_or(false) => {
                        if !sink.member(&name, MemberType::File, &mut f, root, 0) {
                            return false;
                        }
                    }
                    Ok(_) => sink.issue(&name, "not a regular file when opened; skipped".into()),
                    Err(e) => sink.issue(&name, format!("cannot open: {e}")),
                }
            } else {
                let ty = if ft.is_symlink() {
                    MemberType::Link
                } else {
                    MemberType::Special
                };
                let mut empty = io::empty();
                if !sink.member(&name, ty, &mut empty, root, 0) {
                    return false;
                }
            }
        }
        true
    }
    walk(root, root, sink, 0);
    Ok(())
}

fn rel_name(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Receives members, in any order, and builds the index and scan results.
struct Sink<'p> {
    limits: Limits,
    index: Index,
    scanner: Scanner<'p>,
    issues: Vec<ReadIssue>,
    damaged: Option<String>,
    seen: HashSet<String>,
    members: u64,
    members_ok: u64,
}

impl<'p> Sink<'p> {
    fn new(plan: &'p ScanPlan, limits: Limits) -> Self {
        Sink {
            limits,
            index: Index::default(),
            scanner: Scanner::new(plan, limits.max_line_bytes),
            issues: Vec::new(),
            damaged: None,
            seen: HashSet::new(),
            members: 0,
            members_ok: 0,
        }
    }

    fn issue(&mut self, file: &str, message: String) {
        self.issues.push(ReadIssue {
            file: file.to_string(),
            message,
        });
    }

    fn damage(&mut self, what: String) {
        if self.damaged.is_none() {
            self.issue(
                "(bundle)",
                format!("{what}; the members before it were analyzed"),
            );
            self.damaged = Some(what);
        }
    }

    /// Handles one member. Returns false when reading must stop (member limit).
    fn member(
        &mut self,
        raw: &str,
        ty: MemberType,
        data: &mut dyn Read,
        container: &Path,
        depth: u32,
    ) -> bool {
        self.members += 1;
        if self.members > self.limits.max_members {
            self.issue(
                raw,
                format!(
                    "the bundle has more than {} members (--max-members); the rest were not read",
                    self.limits.max_members
                ),
            );
            return false;
        }
        let parts = match layout::safe_components(raw) {
            Ok(p) => p,
            Err(why) => {
                self.issue(raw, format!("{why}; skipped, not followed"));
                return true;
            }
        };
        match ty {
            MemberType::Dir => return true,
            MemberType::Link => {
                self.issue(raw, "link member; skipped, not followed".into());
                return true;
            }
            MemberType::Special => {
                self.issue(raw, "device, FIFO or other special member; skipped".into());
                return true;
            }
            MemberType::File => {}
        }
        let placed = layout::place(&parts);
        if !self.seen.insert(placed.rel.clone()) && placed.role != Role::Unknown {
            self.issue(
                &placed.rel,
                "duplicate member name; the first copy was used".into(),
            );
            return true;
        }
        if placed.role != Role::Unknown && self.index.layout.is_none() {
            self.index.layout = Some(placed.layout);
        }
        let rel = placed.rel.clone();
        let result = match placed.role {
            Role::Manifest => self.object(&rel, data, |ix, v| ix.manifest = Some(v)),
            Role::Version => self.object(&rel, data, |ix, v| ix.version = Some(v)),
            Role::Nodes => self.object(&rel, data, |ix, v: List<model::Node>| {
                ix.nodes = Some(v.items)
            }),
            Role::Nnc => self.object(&rel, data, |ix, v: List<model::NodeNetworkConfig>| {
                ix.nnc = Some(v.items)
            }),
            Role::Ipam { node } => self.object(&rel, data, move |ix, mut v: model::IpamCounts| {
                if v.node.is_empty() {
                    v.node = node.clone();
                }
                ix.ipam.insert(node, v);
            }),
            Role::Objects { namespace, kind } => self.namespaced(&rel, namespace, kind, data),
            Role::Log {
                namespace,
                pod,
                container,
                previous,
            } => self.text(
                TextFile {
                    file: rel.clone(),
                    source: TextSource::Log,
                    namespace: Some(namespace),
                    pod: Some(pod),
                    container: Some(container),
                    previous,
                },
                false,
                data,
            ),
            Role::DumpLogs { namespace, pod } => self.text(
                TextFile {
                    file: rel.clone(),
                    source: TextSource::Log,
                    namespace: Some(namespace),
                    pod: Some(pod),
                    container: None,
                    previous: false,
                },
                true,
                data,
            ),
            Role::Attachment { .. } if depth < self.limits.max_nesting && is_archive_name(&rel) => {
                // A ticket export keeps the bundle archive among its attachments.
                return self.nested(&rel, data, container, depth);
            }
            Role::Attachment { .. } => self.text(
                TextFile {
                    file: rel.clone(),
                    source: TextSource::Attachment,
                    namespace: None,
                    pod: None,
                    container: None,
                    previous: false,
                },
                false,
                data,
            ),
            Role::Unknown => {
                if depth < self.limits.max_nesting && is_archive_name(&rel) {
                    return self.nested(&rel, data, container, depth);
                }
                Ok(())
            }
        };
        match result {
            Ok(()) => self.members_ok += 1,
            Err(message) => self.issue(&rel, message),
        }
        true
    }

    fn nested(&mut self, rel: &str, data: &mut dyn Read, container: &Path, depth: u32) -> bool {
        let inner_path = container.join(rel);
        let mut head = [0u8; 512];
        let mut n = 0;
        while n < head.len() {
            match data.read(&mut head[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) => {
                    self.issue(rel, format!("cannot read nested archive: {e}"));
                    return true;
                }
            }
        }
        let chained = (&head[..n]).chain(data);
        let result = match sniff_bytes(&head[..n]) {
            Some(ContainerKind::TarGz) => {
                let gz = flate2::read::MultiGzDecoder::new(chained);
                read_tar(gz, &inner_path, self, depth + 1)
            }
            Some(ContainerKind::Tar) => read_tar(chained, &inner_path, self, depth + 1),
            Some(ContainerKind::Zip) => {
                // zip needs to seek: hold the nested archive in memory, within the member limit.
                let mut bytes = Vec::new();
                let mut limited = MemberLimit {
                    inner: &mut { chained },
                    left: self.limits.max_object_bytes,
                    limit: self.limits.max_object_bytes,
                    flag: "--max-object-bytes",
                };
                match limited.read_to_end(&mut bytes) {
                    Ok(_) => read_zip(io::Cursor::new(bytes), &inner_path, self, depth + 1),
                    Err(e) => {
                        self.issue(rel, format!("nested zip not read: {e}"));
                        return true;
                    }
                }
            }
            _ => return true,
        };
        if let Err(e) = result {
            self.issue(rel, format!("nested archive not read: {e}"));
        }
        true
    }

    fn object<T: DeserializeOwned>(
        &mut self,
        _rel: &str,
        data: &mut dyn Read,
        store: impl FnOnce(&mut Index, T),
    ) -> Result<(), String> {
        let mut limited = MemberLimit {
            inner: data,
            left: self.limits.max_object_bytes,
            limit: self.limits.max_object_bytes,
            flag: "--max-object-bytes",
        };
        // Strings are cut as they stream by: a 400 MB message never reaches memory.
        let capped = crate::bounds::JsonStringCap::new(&mut limited, self.limits.max_string_bytes);
        let reader = BufReader::with_capacity(64 << 10, capped);
        let mut de = serde_json::Deserializer::from_reader(reader);
        // Deeply nested hostile JSON: serde_json's recursion limit (128) turns it into an error.
        let value = T::deserialize(&mut de).map_err(|e| describe_json_error(&e))?;
        de.end().map_err(|e| describe_json_error(&e))?;
        store(&mut self.index, value);
        Ok(())
    }

    fn namespaced(
        &mut self,
        rel: &str,
        ns: String,
        kind: ObjectKind,
        data: &mut dyn Read,
    ) -> Result<(), String> {
        fn slot(ix: &mut Index, ns: String) -> &mut NamespaceObjects {
            ix.namespaces.entry(ns).or_default()
        }
        match kind {
            ObjectKind::Pods => self.object(rel, data, |ix, v: List<model::Pod>| {
                slot(ix, ns).pods = Some(v.items)
            }),
            ObjectKind::Events => self.object(rel, data, |ix, v: List<model::Event>| {
                slot(ix, ns).events = Some(v.items)
            }),
            ObjectKind::Services => self.object(rel, data, |ix, v: List<model::Service>| {
                slot(ix, ns).services = Some(v.items)
            }),
            ObjectKind::Endpoints => self.object(rel, data, |ix, v: List<model::Endpoints>| {
                slot(ix, ns).endpoints = Some(v.items)
            }),
            ObjectKind::NetworkPolicies => {
                self.object(rel, data, |ix, v: List<model::NetworkPolicy>| {
                    slot(ix, ns).network_policies = Some(v.items)
                })
            }
            ObjectKind::Jobs => self.object(rel, data, |ix, v: List<model::Job>| {
                slot(ix, ns).jobs = Some(v.items)
            }),
        }
    }

    fn text(&mut self, file: TextFile, dump: bool, data: &mut dyn Read) -> Result<(), String> {
        let mut limited = MemberLimit {
            inner: data,
            left: self.limits.max_member_bytes,
            limit: self.limits.max_member_bytes,
            flag: "--max-member-bytes",
        };
        self.index.text_files.push(file.clone());
        self.scanner
            .scan(file, dump, &mut limited)
            .map_err(|e| match limit_hit(&e) {
                Some(l) => l,
                None => format!("read failed: {e}"),
            })
    }

    fn finish(self, container: ContainerKind) -> ReadOutcome {
        ReadOutcome {
            container,
            index: self.index,
            scan: self.scanner.finish(),
            issues: self.issues,
            damaged: self.damaged,
            members: self.members,
        }
    }
}

fn is_archive_name(rel: &str) -> bool {
    let lower = rel.to_ascii_lowercase();
    [".tar.gz", ".tgz", ".tar", ".zip"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

fn describe_json_error(e: &serde_json::Error) -> String {
    if e.is_io() {
        let inner = e.to_string();
        return format!("read failed: {inner}");
    }
    match e.classify() {
        serde_json::error::Category::Eof => format!(
            "truncated JSON (ends at line {}, column {})",
            e.line(),
            e.column()
        ),
        serde_json::error::Category::Syntax => format!("invalid JSON: {e}"),
        serde_json::error::Category::Data => format!("unexpected JSON shape: {e}"),
        serde_json::error::Category::Io => format!("read failed: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_by_magic_not_extension() {
        assert_eq!(sniff_bytes(&[0x1f, 0x8b, 8, 0]), Some(ContainerKind::TarGz));
        assert_eq!(sniff_bytes(b"PK\x03\x04rest"), Some(ContainerKind::Zip));
        assert_eq!(sniff_bytes(b"{\"kind\":\"List\"}"), None);
        let mut header = tar::Header::new_gnu();
        header.set_path("a.txt").unwrap();
        header.set_size(0);
        header.set_cksum();
        assert_eq!(sniff_bytes(header.as_bytes()), Some(ContainerKind::Tar));
    }

    #[test]
    fn total_limit_stops_with_a_recognisable_error() {
        let data = [0u8; 100];
        let mut r = TotalLimit::new(&data[..], 10);
        let mut out = Vec::new();
        let err = r.read_to_end(&mut out).unwrap_err();
        assert!(limit_hit(&err).unwrap().contains("--max-total-bytes"));
        assert_eq!(out.len(), 10);
        let mut exact = TotalLimit::new(&data[..10], 10);
        assert_eq!(exact.read_to_end(&mut Vec::new()).unwrap(), 10);
    }
}
