//! Reads a bundle in one sequential streaming pass: detects the container by magic bytes
//! (gzip, zip, tar, or a directory), walks its members, parses object files into the
//! [`Index`] and streams text members through the [`Scanner`]. A `.tar.gz` is inflated on
//! one thread and parsed and scanned on another. Nothing is extracted or written to disk.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

use serde::de::DeserializeOwned;

use crate::error::{OpenError, ReadIssue};
use crate::index::{Index, NamespaceObjects};
use crate::layout::{self, ObjectKind, Role};
use crate::limits::Limits;
use crate::model;
use crate::scan::{ScanPlan, ScanResults, Scanner, TextFile, TextSource};

/// What kind of container a bundle came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContainerKind {
    TarGz,
    Tar,
    Zip,
    Directory,
    /// One text file: `kubectl cluster-info dump` printed to a stream.
    Text,
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
        _ if layout::dump::is_stream_head(&bytes[..bytes.len().min(4096)]) => {
            read_text(&mut &bytes[..], path, &mut sink)
        }
        _ => {
            return Err(OpenError::NotAnArchive {
                path: path.to_path_buf(),
                detail: NOT_AN_ARCHIVE.into(),
            })
        }
    }
    conclude(sink, path, kind.unwrap_or(ContainerKind::Text))
}

/// Reads the bundle at `path`.
pub fn read_bundle(
    path: &Path,
    limits: &Limits,
    plan: &ScanPlan,
) -> Result<ReadOutcome, OpenError> {
    read_bundle_observed(path, limits, plan, None)
}

// --- Observer hook (for `aksbundle serve`) -------------------------------------------------

/// Sees what the reading pass reads, for consumers other than the analysis (the
/// `aksbundle serve` API server). The reader's limits and member checks apply unchanged.
pub trait Observer {
    /// An object file (any role the reader parses as JSON) as a whole JSON document, read
    /// within `--max-object-bytes`, before it is typed into the index. A dump stream's
    /// objects arrive as one `{"items": [...]}` document per kind and namespace.
    fn object(&mut self, role: &Role, rel: &str, doc: serde_json::Value);
    /// A text member (log or attachment) is about to be read; every byte the scanner reads
    /// from it (within `--max-member-bytes`) is also written to the writer returned.
    fn text(&mut self, file: &TextFile) -> Option<Box<dyn Write>>;
}

/// [`read_bundle`], with an [`Observer`] that sees each object file and text member.
pub fn read_bundle_observed<'p>(
    path: &Path,
    limits: &Limits,
    plan: &'p ScanPlan,
    observer: Option<&'p mut dyn Observer>,
) -> Result<ReadOutcome, OpenError> {
    let meta = std::fs::metadata(path).map_err(|e| OpenError::io(path, e))?;
    let mut sink = Sink::new(plan, *limits);
    sink.observer = observer;
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
            None if is_stream_file(&mut file).map_err(|e| OpenError::io(path, e))? => {
                read_text(&mut BufReader::new(file), path, &mut sink)
            }
            _ => {
                return Err(OpenError::NotAnArchive {
                    path: path.to_path_buf(),
                    detail: NOT_AN_ARCHIVE.into(),
                })
            }
        }
        kind.unwrap_or(ContainerKind::Text)
    };
    conclude(sink, path, container)
}

const NOT_AN_ARCHIVE: &str =
    "not a gzip, tar or zip file (checked by its first bytes), nor a kubectl cluster-info dump";

/// True when a file that is no archive starts like a `kubectl cluster-info dump` stream;
/// the file is rewound.
fn is_stream_file(file: &mut File) -> io::Result<bool> {
    let mut head = Vec::with_capacity(4096);
    (&mut *file).take(4096).read_to_end(&mut head)?;
    file.rewind()?;
    Ok(layout::dump::is_stream_head(&head))
}

/// A bundle that is one text file: the file is its only member.
fn read_text(data: &mut dyn Read, path: &Path, sink: &mut Sink) {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "cluster-info-dump.txt".into());
    sink.member(&name, MemberType::File, data, path, 0);
}

/// The end of reading: a container damaged before any member, or a bundle in which
/// nothing known was read, cannot be used; anything else is analyzed.
fn conclude(
    mut sink: Sink,
    path: &Path,
    container: ContainerKind,
) -> Result<ReadOutcome, OpenError> {
    if sink.members_ok == 0 && sink.damaged.is_some() {
        return Err(OpenError::Damaged {
            path: path.to_path_buf(),
            detail: sink.damaged.take().unwrap_or_default(),
        });
    }
    if sink.damaged.is_none() && sink.index.is_empty() && sink.gaps.is_empty() {
        return Err(OpenError::Unusable {
            path: path.to_path_buf(),
            detail: sink.unusable(),
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
#[derive(Debug, Clone, PartialEq, Eq)]
enum MemberType {
    File,
    Dir,
    /// A symbolic link (target relative to its folder) or a tar hard link (target
    /// relative to the archive's root). `None`: the target is the member's content (zip).
    Link {
        target: Option<String>,
        hard: bool,
    },
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
            t @ (tar::EntryType::Symlink | tar::EntryType::Link) => MemberType::Link {
                target: entry
                    .link_name_bytes()
                    .map(|b| String::from_utf8_lossy(&b).into_owned()),
                hard: t == tar::EntryType::Link,
            },
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
            // A zip symlink's target is its content; the sink reads it.
            MemberType::Link {
                target: None,
                hard: false,
            }
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
                    MemberType::Link {
                        target: std::fs::read_link(&p)
                            .ok()
                            .map(|t| t.to_string_lossy().into_owned()),
                        hard: false,
                    }
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

/// Receives members, in any order, and builds the index and scan results. Which index
/// entry a member fills is its layout module's answer ([`layout::place`]); the sink
/// parses and stores.
struct Sink<'p> {
    /// See [`Observer`]; `current` is the member being read (role, path), kept only while observed.
    observer: Option<&'p mut dyn Observer>,
    current: Option<(Role, String)>,
    limits: Limits,
    index: Index,
    scanner: Scanner<'p>,
    issues: Vec<ReadIssue>,
    damaged: Option<String>,
    seen: HashSet<String>,
    /// Every file member's safe path, as written in its archive (links resolve to these).
    files: HashSet<String>,
    /// Links that stayed inside the bundle: (link, target), checked against `files` at the end.
    links: Vec<(String, String)>,
    /// Collection gaps read from other layouts' error files.
    gaps: Vec<model::CollectionError>,
    /// Bytes of attachments kept for [`crate::paste`].
    paste_bytes: u64,
    /// The collecting tool and its version, when the bundle says (troubleshoot's version.yaml).
    tool: Option<(String, Option<String>)>,
    /// The first entries of the bundle, for the "no layout I know" message.
    tops: Vec<String>,
    /// Known files that failed to read: how many, and the first one's message.
    known_failed: (u64, Option<String>),
    members: u64,
    members_ok: u64,
}

/// Issues kept per file for skipped items; the rest are counted.
const ITEM_ISSUES_PER_FILE: usize = 5;
/// Collection gaps kept per errors file.
const GAPS_PER_FILE: usize = 200;
/// Bytes of a troubleshoot `-logs-errors.log` read.
const LOG_ERROR_BYTES: u64 = 64 << 10;

impl<'p> Sink<'p> {
    fn new(plan: &'p ScanPlan, limits: Limits) -> Self {
        Sink {
            observer: None,
            current: None,
            limits,
            index: Index::default(),
            scanner: Scanner::new(plan, limits.max_line_bytes),
            issues: Vec::new(),
            damaged: None,
            seen: HashSet::new(),
            files: HashSet::new(),
            links: Vec::new(),
            gaps: Vec::new(),
            paste_bytes: 0,
            tool: None,
            tops: Vec::new(),
            known_failed: (0, None),
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
        if self.tops.len() < 8 && ty != MemberType::Dir {
            let top = parts[..parts.len().min(2)].join("/");
            if !self.tops.contains(&top) {
                self.tops.push(top);
            }
        }
        match ty {
            MemberType::Dir => return true,
            MemberType::Link { target, hard } => {
                self.link(raw, &parts, target, hard, data);
                return true;
            }
            MemberType::Special => {
                self.issue(raw, "device, FIFO or other special member; skipped".into());
                return true;
            }
            MemberType::File => {}
        }
        // Nested archives too: their links resolve against their own root.
        self.files.insert(parts.join("/"));
        let placed = layout::place(&parts);
        if !self.seen.insert(placed.rel.clone()) && placed.role != Role::Unknown {
            self.issue(
                &placed.rel,
                "duplicate member name; the first copy was used".into(),
            );
            return true;
        }
        let rel = placed.rel.clone();
        let known = placed.role != Role::Unknown;
        let placed_layout = placed.layout;
        if self.observer.is_some() {
            self.current = Some((placed.role.clone(), rel.clone()));
        }
        let result = match self.fill(placed, data, container, depth) {
            Filled::Done(r) => r,
            Filled::Nested => return true,
        };
        match result {
            Ok(()) => {
                self.members_ok += 1;
                // The layout is the first that a member was read in: a stray file that
                // only looks like another layout's (a Helm chart's version.yaml) fails to
                // read and does not name the bundle's layout.
                if known && self.index.layout.is_none() {
                    self.index.layout = Some(placed_layout);
                }
            }
            Err(message) => {
                if known {
                    self.known_failed.0 += 1;
                    if self.known_failed.1.is_none() {
                        self.known_failed.1 = Some(format!("{rel}: {message}"));
                    }
                }
                self.issue(&rel, message)
            }
        }
        true
    }

    /// A link member: one that stays inside the bundle is a duplicate of the member it
    /// points at (troubleshoot's `all-logs/`), checked at the end; one that leaves it is
    /// refused. Links are never followed.
    fn link(
        &mut self,
        raw: &str,
        parts: &[&str],
        target: Option<String>,
        hard: bool,
        data: &mut dyn Read,
    ) {
        let target = match target {
            Some(t) => t,
            None => {
                let mut t = String::new();
                let _ = data.take(4096).read_to_string(&mut t);
                t
            }
        };
        match layout::link_target(parts, &target, hard) {
            Ok(to) => self.links.push((raw.to_string(), to.join("/"))),
            Err(why) => self.issue(raw, format!("link member ({why}); skipped, not followed")),
        }
    }

    /// Reads one placed member into the index.
    fn fill(
        &mut self,
        placed: layout::Placed,
        data: &mut dyn Read,
        container: &Path,
        depth: u32,
    ) -> Filled {
        let rel = placed.rel;
        let lay = placed.layout;
        let legacy = matches!(
            lay,
            layout::Layout::ClusterInfoDump | layout::Layout::ClusterInfoDumpStream
        );
        let normalize: fn(&mut serde_json::Value) -> bool = if legacy {
            layout::dump::normalize_internal
        } else {
            layout::objects::as_is
        };
        Filled::Done(match placed.role {
            Role::Manifest => self.value(data).and_then(|v| {
                self.index.manifest = Some(
                    serde_json::from_value(v)
                        .map_err(|e| layout::objects::describe_json_error(&e))?,
                );
                Ok(())
            }),
            Role::Version(shape) => self.value(data).and_then(|v| {
                self.index.version = Some(match shape {
                    layout::VersionShape::Kubectl => serde_json::from_value(v)
                        .map_err(|e| layout::objects::describe_json_error(&e))?,
                    layout::VersionShape::Troubleshoot => model::VersionInfo {
                        server_version: Some(model::VersionDetail {
                            git_version: layout::troubleshoot::cluster_version(&v),
                        }),
                        client_version: None,
                    },
                });
                Ok(())
            }),
            Role::Nodes => self.list(&rel, data, normalize).map(|v| {
                self.index.nodes_file = Some(rel.clone());
                self.index.nodes = Some(v);
            }),
            Role::Nnc => self
                .list(&rel, data, normalize)
                .map(|v| self.index.nnc = Some(v)),
            Role::ClusterObjects { kind } => {
                self.index.cluster_files.insert(kind, rel.clone());
                self.cluster_objects(&rel, kind, data, normalize)
            }
            Role::ConfigMaps { namespace } => self
                .value(data)
                .map(|v| self.config_maps(&rel, &namespace, v)),
            Role::Ipam { node } => self.value(data).and_then(|v| {
                let mut v: model::IpamCounts = serde_json::from_value(v)
                    .map_err(|e| layout::objects::describe_json_error(&e))?;
                if v.node.is_empty() {
                    v.node = node.clone();
                }
                self.index.ipam.insert(node, v);
                Ok(())
            }),
            Role::Objects { namespace, kind } => {
                self.index
                    .object_files
                    .insert((namespace.clone(), kind), rel.clone());
                self.namespaced(&rel, namespace, kind, data, normalize)
            }
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
            Role::ListErrors { step } => self.value(data).and_then(|v| {
                let errors = layout::troubleshoot::list_errors(&v)?;
                if errors.len() > GAPS_PER_FILE {
                    self.issue(
                        &rel,
                        format!(
                            "{} errors; the first {GAPS_PER_FILE} were kept",
                            errors.len()
                        ),
                    );
                }
                for (ns, message) in errors.into_iter().take(GAPS_PER_FILE) {
                    self.gaps.push(model::CollectionError {
                        step: Some(match ns {
                            Some(ns) => format!("{step}/{ns}"),
                            None => step.clone(),
                        }),
                        stderr: Some(crate::engine::cut(&message)),
                        file: Some(rel.clone()),
                        ..Default::default()
                    });
                }
                Ok(())
            }),
            Role::LogErrors {
                namespace,
                pod,
                container,
            } => {
                let mut text = Vec::new();
                match data.take(LOG_ERROR_BYTES).read_to_end(&mut text) {
                    Ok(_) => {
                        let text = String::from_utf8_lossy(&text).trim().to_string();
                        self.index.logs_read += 1;
                        self.index.log_gaps += 1;
                        self.gaps.push(model::CollectionError {
                            step: Some(format!("logs/{namespace}/{pod}/{container}")),
                            stderr: Some(crate::engine::cut(&text)),
                            file: Some(rel.clone()),
                            ..Default::default()
                        });
                        Ok(())
                    }
                    Err(e) => Err(format!("read failed: {e}")),
                }
            }
            Role::BundleVersion => {
                let mut bytes = Vec::new();
                match data.take(LOG_ERROR_BYTES).read_to_end(&mut bytes) {
                    Ok(_) => layout::troubleshoot::bundle_version(&bytes)
                        .map(|v| self.tool = Some(("troubleshoot".into(), v))),
                    Err(e) => Err(format!("read failed: {e}")),
                }
            }
            Role::OwnAnalysis => self.value(data).and_then(|v| {
                self.index.own_analysis = layout::troubleshoot::own_analysis(&v)?;
                Ok(())
            }),
            Role::Attachment { .. } if depth < self.limits.max_nesting && is_archive_name(&rel) => {
                // A ticket export keeps the bundle archive among its attachments.
                self.nested(&rel, data, container, depth);
                return Filled::Nested;
            }
            Role::Attachment { .. } => {
                // Pasted text is also kept (bounded) to be given a structure after the
                // pass: describe blocks, logs pastes, az CLI errors (see `paste`).
                let room = PASTE_BYTES_TOTAL
                    .saturating_sub(self.paste_bytes)
                    .min(PASTE_BYTES);
                let mut keep = Keep {
                    inner: data,
                    kept: Vec::new(),
                    room: room as usize,
                };
                let read = self.text(
                    TextFile {
                        file: rel.clone(),
                        source: TextSource::Attachment,
                        namespace: None,
                        pod: None,
                        container: None,
                        previous: false,
                    },
                    false,
                    &mut keep,
                );
                if !keep.kept.is_empty() && !keep.kept.contains(&0) {
                    self.paste_bytes += keep.kept.len() as u64;
                    let text = String::from_utf8_lossy(&keep.kept);
                    let paste = crate::paste::parse(&rel, &text);
                    self.index.pastes.push(paste);
                }
                read
            }
            Role::Unknown => {
                if depth < self.limits.max_nesting && is_archive_name(&rel) {
                    self.nested(&rel, data, container, depth);
                    return Filled::Nested;
                }
                return self.maybe_stream(&rel, data);
            }
        })
    }

    /// A file no layout places by path may still be a `kubectl cluster-info dump` printed
    /// to one stream (pasted into a ticket): recognised by its first bytes.
    fn maybe_stream(&mut self, rel: &str, data: &mut dyn Read) -> Filled {
        let mut head = Vec::with_capacity(4096);
        if data.take(4096).read_to_end(&mut head).is_err() || !layout::dump::is_stream_head(&head) {
            return Filled::Done(Ok(()));
        }
        let known = self.index.layout.is_none();
        if known {
            self.index.layout = Some(layout::Layout::ClusterInfoDumpStream);
        }
        let mut chained = (&head[..]).chain(data);
        Filled::Done(self.dump_stream(rel, &mut chained))
    }

    /// Reads a dump stream: its log sections go through the scanner as they pass, its JSON
    /// documents are parsed after, each routed by its kind (or its place in kubectl's order).
    fn dump_stream(&mut self, rel: &str, data: &mut dyn Read) -> Result<(), String> {
        let limit = self.limits.max_object_bytes;
        let mut limited = MemberLimit {
            inner: data,
            left: self.limits.max_member_bytes,
            limit: self.limits.max_member_bytes,
            flag: "--max-member-bytes",
        };
        let mut split = layout::dump::StreamSplit::new(BufReader::new(&mut limited), limit);
        let file = TextFile {
            file: rel.to_string(),
            source: TextSource::Log,
            namespace: None,
            pod: None,
            container: None,
            previous: false,
        };
        self.index.text_files.push(file.clone());
        let scanned = self.scanner.scan(file, true, &mut split);
        let layout::dump::StreamSplit { docs, errors, .. } = split;
        for e in errors {
            self.issue(rel, e);
        }
        // Namespaces of empty lists come from the other lists of the same namespace.
        let mut parsed: Vec<(layout::dump::StreamDoc, Vec<serde_json::Value>)> = Vec::new();
        for (i, doc) in docs.iter().enumerate() {
            let v = match layout::objects::parse(doc) {
                Ok(v) => v,
                Err(e) => {
                    self.issue(rel, format!("document {}: {e}", i + 1));
                    continue;
                }
            };
            let what = layout::dump::stream_doc(&v, parsed.len());
            match layout::objects::items(v) {
                Ok(items) => parsed.push((what, items)),
                Err(e) => self.issue(rel, format!("document {}: {e}", i + 1)),
            }
        }
        for (what, items) in parsed {
            match what {
                layout::dump::StreamDoc::Nodes => {
                    let nodes = self.typed(rel, items, layout::dump::normalize_internal);
                    self.index.nodes.get_or_insert_with(Vec::new).extend(nodes);
                    self.index.nodes_file = Some(rel.to_string());
                }
                layout::dump::StreamDoc::Objects(kind) => {
                    self.stream_objects(rel, kind, items);
                }
                layout::dump::StreamDoc::Other => {}
            }
        }
        scanned.map_err(|e| match limit_hit(&e) {
            Some(l) => l,
            None => format!("read failed: {e}"),
        })
    }

    /// One list of a dump stream, split by the namespace its items name.
    fn stream_objects(&mut self, rel: &str, kind: ObjectKind, items: Vec<serde_json::Value>) {
        let mut by_ns: std::collections::BTreeMap<String, Vec<serde_json::Value>> =
            Default::default();
        for mut item in items {
            layout::dump::normalize_internal(&mut item);
            let ns = item
                .pointer("/metadata/namespace")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("default")
                .to_string();
            by_ns.entry(ns).or_default().push(item);
        }
        for (ns, items) in by_ns {
            if let Some(observer) = self.observer.as_deref_mut() {
                let role = Role::Objects {
                    namespace: ns.clone(),
                    kind,
                };
                observer.object(&role, rel, serde_json::json!({ "items": items.clone() }));
            }
            self.index
                .object_files
                .insert((ns.clone(), kind), rel.to_string());
            // Already normalised above; the typed pass must not see them as internal.
            let _ = self.store(
                rel,
                ns,
                kind,
                Source::Items(items),
                layout::objects::as_is,
                true,
            );
        }
    }

    fn nested(&mut self, rel: &str, data: &mut dyn Read, container: &Path, depth: u32) {
        let inner_path = container.join(rel);
        let mut head = [0u8; 512];
        let mut n = 0;
        while n < head.len() {
            match data.read(&mut head[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) => {
                    self.issue(rel, format!("cannot read nested archive: {e}"));
                    return;
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
                        return;
                    }
                }
            }
            _ => return,
        };
        if let Err(e) = result {
            self.issue(rel, format!("nested archive not read: {e}"));
        }
    }

    /// An object file's JSON, read whole within `--max-object-bytes`.
    fn value(&mut self, data: &mut dyn Read) -> Result<serde_json::Value, String> {
        let bytes = self.bytes(data)?;
        // Deeply nested hostile JSON: serde_json's recursion limit (128) turns it into an error.
        layout::objects::parse(&bytes)
    }

    /// An object file's bytes, read whole within `--max-object-bytes`.
    fn bytes(&mut self, data: &mut dyn Read) -> Result<Vec<u8>, String> {
        let mut limited = MemberLimit {
            inner: data,
            left: self.limits.max_object_bytes,
            limit: self.limits.max_object_bytes,
            flag: "--max-object-bytes",
        };
        // Strings are cut as they stream by: a 400 MB message never reaches memory.
        let mut capped =
            crate::bounds::JsonStringCap::new(&mut limited, self.limits.max_string_bytes);
        let mut bytes = Vec::new();
        capped
            .read_to_end(&mut bytes)
            .map_err(|e| match limit_hit(&e) {
                Some(l) => l,
                None => format!("read failed: {e}"),
            })?;
        if let (Some(observer), Some((role, rel))) =
            (self.observer.as_deref_mut(), self.current.as_ref())
        {
            if let Ok(doc) = layout::objects::parse(&bytes) {
                observer.object(role, rel, doc);
            }
        }
        Ok(bytes)
    }

    /// Items of a list file, typed as they are read; skipped items are reported on the file.
    fn list<T: DeserializeOwned>(
        &mut self,
        rel: &str,
        data: &mut dyn Read,
        normalize: fn(&mut serde_json::Value) -> bool,
    ) -> Result<Vec<T>, String> {
        let bytes = self.bytes(data)?;
        // Deeply nested hostile JSON: serde_json's recursion limit (128) turns it into an error.
        let t = layout::objects::read_typed::<T>(&bytes, normalize)?;
        Ok(self.report_typed(rel, t))
    }

    fn typed<T: DeserializeOwned>(
        &mut self,
        rel: &str,
        items: Vec<serde_json::Value>,
        normalize: fn(&mut serde_json::Value) -> bool,
    ) -> Vec<T> {
        let t = layout::objects::typed::<T>(items, normalize);
        self.report_typed(rel, t)
    }

    /// Keeps what was typed and reports what was skipped.
    fn report_typed<T>(&mut self, rel: &str, t: layout::objects::Typed<T>) -> Vec<T> {
        self.index.legacy_shapes |= t.normalized;
        let more = t.skipped.len().saturating_sub(ITEM_ISSUES_PER_FILE);
        for m in t.skipped.into_iter().take(ITEM_ISSUES_PER_FILE) {
            self.issue(rel, m);
        }
        if more > 0 {
            self.issue(rel, format!("{more} more items skipped"));
        }
        t.items
    }

    /// Types a cluster-scoped list as `kind` into [`crate::index::ClusterObjects`].
    fn cluster_objects(
        &mut self,
        rel: &str,
        kind: layout::ClusterKind,
        data: &mut dyn Read,
        normalize: fn(&mut serde_json::Value) -> bool,
    ) -> Result<(), String> {
        use layout::ClusterKind as K;
        macro_rules! fill {
            ($field:ident) => {{
                let v = self.list(rel, data, normalize)?;
                self.index.cluster.$field = Some(v);
            }};
        }
        match kind {
            K::PersistentVolumes => fill!(persistent_volumes),
            K::StorageClasses => fill!(storage_classes),
            K::VolumeAttachments => fill!(volume_attachments),
            K::CsiNodes => fill!(csi_nodes),
            K::CsiDrivers => fill!(csi_drivers),
            K::Namespaces => fill!(namespaces),
            K::ApiServices => fill!(api_services),
            K::ValidatingWebhookConfigurations => fill!(validating_webhooks),
            K::MutatingWebhookConfigurations => fill!(mutating_webhooks),
            K::ValidatingAdmissionPolicies => fill!(validating_admission_policies),
            K::ValidatingAdmissionPolicyBindings => fill!(validating_admission_policy_bindings),
            K::IngressClasses => fill!(ingress_classes),
            K::PriorityClasses => fill!(priority_classes),
            K::FlowSchemas => fill!(flow_schemas),
            K::PriorityLevelConfigurations => fill!(priority_level_configurations),
        }
        Ok(())
    }

    /// Keeps the named ConfigMaps of one object or of a List (troubleshoot's
    /// `configmaps/<ns>.json`); every other ConfigMap is dropped unread.
    fn config_maps(&mut self, rel: &str, ns: &str, v: serde_json::Value) {
        let items = match v {
            serde_json::Value::Object(mut m) if m.contains_key("items") => {
                match m.remove("items") {
                    Some(serde_json::Value::Array(a)) => a,
                    _ => Vec::new(),
                }
            }
            serde_json::Value::Array(a) => a,
            other => vec![other],
        };
        for item in items {
            let name = item
                .pointer("/metadata/name")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("");
            let item_ns = item
                .pointer("/metadata/namespace")
                .and_then(serde_json::Value::as_str)
                .unwrap_or(ns);
            if !layout::NAMED_CONFIG_MAPS.contains(&(item_ns, name)) {
                continue;
            }
            let key = (item_ns.to_string(), name.to_string());
            match serde_json::from_value::<model::ConfigMap>(item) {
                Ok(c) => {
                    self.index.config_maps.insert(key, (c, rel.to_string()));
                }
                Err(e) => self.issue(rel, layout::objects::describe_json_error(&e)),
            }
        }
    }

    fn namespaced(
        &mut self,
        rel: &str,
        ns: String,
        kind: ObjectKind,
        data: &mut dyn Read,
        normalize: fn(&mut serde_json::Value) -> bool,
    ) -> Result<(), String> {
        let bytes = self.bytes(data)?;
        self.store(rel, ns, kind, Source::Bytes(&bytes), normalize, false)
    }

    /// Types the items of `src` as `kind` and stores them under `ns` (appending when
    /// `append`, as a stream may hold several lists of one namespace).
    fn store(
        &mut self,
        rel: &str,
        ns: String,
        kind: ObjectKind,
        src: Source,
        normalize: fn(&mut serde_json::Value) -> bool,
        append: bool,
    ) -> Result<(), String> {
        fn put<T>(slot: &mut Option<Vec<T>>, v: Vec<T>, append: bool) {
            match slot {
                Some(old) if append => old.extend(v),
                _ => *slot = Some(v),
            }
        }
        macro_rules! fill {
            ($field:ident) => {{
                let t = match src {
                    Source::Bytes(b) => layout::objects::read_typed(b, normalize)?,
                    Source::Items(items) => layout::objects::typed(items, normalize),
                };
                let v = self.report_typed(rel, t);
                put(&mut slot(&mut self.index, ns).$field, v, append)
            }};
        }
        match kind {
            ObjectKind::Pods => fill!(pods),
            ObjectKind::Events => fill!(events),
            ObjectKind::Services => fill!(services),
            ObjectKind::Endpoints => fill!(endpoints),
            ObjectKind::NetworkPolicies => fill!(network_policies),
            ObjectKind::Jobs => fill!(jobs),
            ObjectKind::Deployments => fill!(deployments),
            ObjectKind::ReplicaSets => fill!(replica_sets),
            ObjectKind::StatefulSets => fill!(stateful_sets),
            ObjectKind::DaemonSets => fill!(daemon_sets),
            ObjectKind::CronJobs => fill!(cron_jobs),
            ObjectKind::PersistentVolumeClaims => fill!(pvcs),
            ObjectKind::HorizontalPodAutoscalers => fill!(hpas),
            ObjectKind::PodDisruptionBudgets => fill!(pdbs),
            ObjectKind::ResourceQuotas => fill!(resource_quotas),
            ObjectKind::LimitRanges => fill!(limit_ranges),
            ObjectKind::Ingresses => fill!(ingresses),
            ObjectKind::EndpointSlices => fill!(endpoint_slices),
        }
        Ok(())
    }

    fn text(&mut self, file: TextFile, dump: bool, data: &mut dyn Read) -> Result<(), String> {
        let mut limited = MemberLimit {
            inner: data,
            left: self.limits.max_member_bytes,
            limit: self.limits.max_member_bytes,
            flag: "--max-member-bytes",
        };
        self.index.text_files.push(file.clone());
        let copy = self.observer.as_deref_mut().and_then(|o| o.text(&file));
        let mut tee;
        let reader: &mut dyn Read = match copy {
            Some(out) => {
                tee = Tee {
                    inner: &mut limited,
                    out,
                };
                &mut tee
            }
            None => &mut limited,
        };
        self.scanner
            .scan(file, dump, reader)
            .map_err(|e| match limit_hit(&e) {
                Some(l) => l,
                None => format!("read failed: {e}"),
            })
    }

    /// Why a bundle that yielded nothing known cannot be used, in one line.
    fn unusable(&self) -> String {
        if let (n, Some(first)) = &self.known_failed {
            return format!(
                "nothing in the bundle could be read: {n} file{} of a known layout failed (first: {})",
                if *n == 1 { "" } else { "s" },
                visible(first)
            );
        }
        if self.tops.is_empty() {
            return "no layout I know: the bundle holds no files".into();
        }
        let tops: Vec<String> = self.tops.iter().map(|t| visible(t)).collect();
        format!(
            "no layout I know: no Kubernetes objects or logs found; top-level entries {}{}",
            tops.join(", "),
            if self.tops.len() >= 8 { ", ..." } else { "" }
        )
    }

    fn finish(mut self, container: ContainerKind) -> ReadOutcome {
        for (link, target) in std::mem::take(&mut self.links) {
            if !self.files.contains(&target) {
                self.issue(
                    &link,
                    "link to a member the bundle does not hold; skipped, not followed".into(),
                );
            }
        }
        let mut scan = self.scanner.finish();
        self.index.logs_read += scan.logs_read;
        self.index.log_gaps += scan.gaps.len() as u64;
        let mut gaps = std::mem::take(&mut self.gaps);
        gaps.extend(log_gap_errors(
            std::mem::take(&mut scan.gaps),
            self.index.logs_read,
        ));
        let layout = self.index.layout;
        match &mut self.index.manifest {
            Some(m) => m.errors.extend(gaps),
            None => {
                // Another layout's collection record: what it says about its collection.
                let foreign = layout.filter(|l| *l != layout::Layout::V1);
                if foreign.is_some() || !gaps.is_empty() {
                    self.index.manifest = Some(model::Manifest {
                        format: foreign.map(|l| l.name().to_string()),
                        collector: self
                            .tool
                            .take()
                            .map(|(name, version)| model::CollectorInfo {
                                name: Some(name),
                                version,
                            }),
                        errors: gaps,
                        ..Default::default()
                    });
                }
            }
        }
        ReadOutcome {
            container,
            index: self.index,
            scan,
            issues: self.issues,
            damaged: self.damaged,
            members: self.members,
        }
    }
}

/// Where a list's items come from: an object file's bytes (typed as they are read), or
/// items already parsed (a document of a dump stream).
enum Source<'a> {
    Bytes(&'a [u8]),
    Items(Vec<serde_json::Value>),
}

/// What reading one placed member came to.
enum Filled {
    Done(Result<(), String>),
    /// A nested archive, read member by member into the same sink.
    Nested,
}

fn slot(ix: &mut Index, ns: String) -> &mut NamespaceObjects {
    ix.namespaces.entry(ns).or_default()
}

/// Text from a bundle in a one-line message: control characters shown, length capped.
fn visible(s: &str) -> String {
    let mut out: String = s.chars().take(200).flat_map(char::escape_debug).collect();
    if s.chars().count() > 200 {
        out.push('…');
    }
    out
}

/// Log fetch errors as collection gaps. When most fetches failed the same way (at least
/// three, and half of the logs read), that is said once, with how many, rather than once
/// per container: it is one fault (often the API server's path to the kubelets).
fn log_gap_errors(gaps: Vec<crate::scan::LogGap>, logs_read: u64) -> Vec<model::CollectionError> {
    static NAMES: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r#""[^"]*"|\(get pods [^)]*\)|/containerLogs/\S+|containerd://\S+|docker://\S+"#,
        )
        .expect("static regex")
    });
    let of = |g: &crate::scan::LogGap| {
        let f = &g.file;
        let mut step = format!(
            "logs/{}/{}/{}",
            f.namespace.as_deref().unwrap_or("?"),
            f.pod.as_deref().unwrap_or("?"),
            f.container.as_deref().unwrap_or("?")
        );
        if f.previous {
            step.push_str("/previous");
        }
        model::CollectionError {
            step: Some(step),
            stderr: Some(g.text.clone()),
            file: Some(f.file.clone()),
            ..Default::default()
        }
    };
    let mut groups: std::collections::BTreeMap<String, Vec<&crate::scan::LogGap>> =
        Default::default();
    for g in &gaps {
        groups
            .entry(NAMES.replace_all(&g.text, "…").into_owned())
            .or_default()
            .push(g);
    }
    let most = groups
        .iter()
        .max_by_key(|(_, v)| v.len())
        .filter(|(_, v)| v.len() >= 3 && (v.len() as u64) * 2 >= logs_read)
        .map(|(k, v)| (k.clone(), v.len()));
    let mut out = Vec::new();
    if let Some((key, n)) = &most {
        let first = groups[key][0];
        let mut e = of(first);
        e.step = Some("logs".into());
        e.count = Some(*n as u64);
        out.push(e);
    }
    for g in &gaps {
        let key = NAMES.replace_all(&g.text, "…");
        if most.as_ref().is_some_and(|(k, _)| *k == key) {
            continue;
        }
        out.push(of(g));
    }
    out
}

/// Copies what is read to an observer's writer; a failing writer only stops the copy.
/// Bytes of one attachment kept for [`crate::paste`].
const PASTE_BYTES: u64 = 4 << 20;
/// Bytes of all attachments kept for [`crate::paste`].
const PASTE_BYTES_TOTAL: u64 = 16 << 20;

/// Passes a member through, keeping a copy of its first `room` bytes.
struct Keep<'a> {
    inner: &'a mut dyn Read,
    kept: Vec<u8>,
    room: usize,
}

impl Read for Keep<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let take = n.min(self.room - self.kept.len().min(self.room));
        self.kept.extend_from_slice(&buf[..take]);
        Ok(n)
    }
}

struct Tee<'a> {
    inner: &'a mut dyn Read,
    out: Box<dyn Write>,
}

impl Read for Tee<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.out.write_all(&buf[..n]).is_err() {
            self.out = Box::new(io::sink());
        }
        Ok(n)
    }
}

fn is_archive_name(rel: &str) -> bool {
    let lower = rel.to_ascii_lowercase();
    [".tar.gz", ".tgz", ".tar", ".zip"]
        .iter()
        .any(|ext| lower.ends_with(ext))
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
