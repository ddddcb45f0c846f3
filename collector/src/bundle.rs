//! Writing a bundle: files are staged in a private temporary directory as steps finish, then
//! packed into a `.tar.gz` that is itself written to a temporary file beside the destination
//! and renamed into place (a device, FIFO or `-` is written straight; see `outfile`). Dropping a [`Staging`] before [`Staging::finish`] (error, Ctrl-C)
//! removes everything, so no half-written bundle is ever left.

use crate::error::CollectError;
use flate2::write::GzEncoder;
use flate2::Compression;
use std::collections::BTreeSet;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

/// Files of a bundle being collected.
#[derive(Debug)]
pub struct Staging {
    dir: tempfile::TempDir,
    written: Mutex<BTreeSet<String>>,
}

/// What [`Staging::finish`] produced.
#[derive(Debug, Clone)]
pub struct Written {
    /// The final archive.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// Members in the archive (files only).
    pub files: usize,
}

impl Staging {
    /// A fresh, empty staging directory under the system temp directory.
    pub fn new() -> Result<Self, CollectError> {
        let dir = tempfile::Builder::new()
            .prefix("aksbundle-staging-")
            .tempdir()
            .map_err(|e| CollectError::write(std::env::temp_dir(), e))?;
        Ok(Staging {
            dir,
            written: Mutex::new(BTreeSet::new()),
        })
    }

    /// Writes one member at `rel` (a `/`-separated path inside the bundle; unsafe
    /// components are refused), replacing an earlier one of the same name.
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), CollectError> {
        let path = self.member_path(rel)?;
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| CollectError::write(parent, e))?;
        }
        fs::write(&path, bytes).map_err(|e| CollectError::write(&path, e))?;
        self.written
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(rel.to_string());
        Ok(())
    }

    /// Creates (or truncates) member `rel` and returns it open for writing, for output that
    /// is streamed rather than held in memory (container logs).
    pub fn create(&self, rel: &str) -> Result<fs::File, CollectError> {
        let path = self.member_path(rel)?;
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| CollectError::write(parent, e))?;
        }
        let file = fs::File::create(&path).map_err(|e| CollectError::write(&path, e))?;
        self.written
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(rel.to_string());
        Ok(file)
    }

    /// True when `rel` was written.
    pub fn contains(&self, rel: &str) -> bool {
        self.written
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(rel)
    }

    /// Every member written so far, sorted.
    pub fn members(&self) -> Vec<String> {
        self.written
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    fn member_path(&self, rel: &str) -> Result<PathBuf, CollectError> {
        let rel_path = Path::new(rel);
        let safe = !rel.is_empty()
            && rel_path
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
        if !safe {
            return Err(CollectError::write(
                rel,
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "unsafe member name"),
            ));
        }
        Ok(self.dir.path().join(rel_path))
    }

    /// Packs every member under `root/` into a gzip'd tar at `out`: `manifest.json` first,
    /// the rest in sorted order. `out` is written by the rules of [`outfile::Target`]: a
    /// regular file (or a new one) through a temporary file beside it, renamed over it only
    /// when complete; a device or FIFO (or `-`, standard output) straight; a symbolic link
    /// is resolved. `mtime` (seconds since the epoch) stamps every member so the archive
    /// does not depend on staging times.
    pub fn finish(self, out: &Path, root: &str, mtime: u64) -> Result<Written, CollectError> {
        let output = outfile::Output::create(out).map_err(|e| {
            let path = e.path().to_path_buf();
            CollectError::write(path, into_io(e))
        })?;
        let shown = output.path().to_path_buf();
        let werr = |e| CollectError::write(&shown, e);
        let mut members = self.members();
        members.sort_by_key(|m| (m != "manifest.json", m.clone()));
        let files = members.len();
        let mut counted = Counted {
            inner: output,
            bytes: 0,
        };
        {
            let gz = GzEncoder::new(BufWriter::new(&mut counted), Compression::default());
            let mut tar = tar::Builder::new(gz);
            tar.mode(tar::HeaderMode::Deterministic);
            for member in &members {
                let data = fs::read(self.dir.path().join(member)).map_err(werr)?;
                let mut header = tar::Header::new_gnu();
                header.set_size(data.len() as u64);
                header.set_mode(0o644);
                header.set_mtime(mtime);
                header.set_entry_type(tar::EntryType::Regular);
                tar.append_data(&mut header, format!("{root}/{member}"), data.as_slice())
                    .map_err(werr)?;
            }
            let gz = tar.into_inner().map_err(werr)?;
            let mut buf = gz.finish().map_err(werr)?;
            buf.flush().map_err(werr)?;
        }
        let bytes = counted.bytes;
        counted
            .inner
            .commit()
            .map_err(|e| CollectError::write(e.path().to_path_buf(), into_io(e)))?;
        Ok(Written {
            path: out.to_path_buf(),
            bytes,
            files,
        })
    }
}

/// The I/O error inside an output error (the path travels in [`CollectError::Write`]).
fn into_io(e: outfile::Error) -> std::io::Error {
    std::io::Error::new(e.io().kind(), e.io().to_string())
}

/// Counts the bytes written through it (the archive's size, also for a device or a pipe).
struct Counted<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Makes one path component safe for the bundle: no separators, no `.`/`..`, no control
/// characters. Kubernetes names are already safe and come through unchanged.
pub fn safe_component(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    match cleaned.as_str() {
        "" | "." | ".." => format!("_{cleaned}"),
        _ => cleaned,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::GzDecoder;
    use std::io::Read;

    fn read_archive(path: &Path) -> Vec<(String, Vec<u8>)> {
        let mut archive = tar::Archive::new(GzDecoder::new(fs::File::open(path).unwrap()));
        archive
            .entries()
            .unwrap()
            .map(|e| {
                let mut e = e.unwrap();
                let name = e.path().unwrap().to_string_lossy().into_owned();
                let mut data = Vec::new();
                e.read_to_end(&mut data).unwrap();
                (name, data)
            })
            .collect()
    }

    #[test]
    fn packs_under_one_root_with_manifest_first() {
        let out_dir = tempfile::tempdir().unwrap();
        let staging = Staging::new().unwrap();
        staging
            .write("namespaces/default/pods.json", b"{}")
            .unwrap();
        staging
            .write("cluster/nodes.json", b"{\"items\":[]}")
            .unwrap();
        staging
            .write("manifest.json", b"{\"format\":\"aksbundle/v1\"}")
            .unwrap();
        let out = out_dir.path().join("b.tar.gz");
        let written = staging
            .finish(&out, "aksbundle-x-20261122T040000Z", 0)
            .unwrap();
        assert_eq!(written.files, 3);
        assert_eq!(written.bytes, fs::metadata(&out).unwrap().len());
        let names: Vec<String> = read_archive(&out).into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "aksbundle-x-20261122T040000Z/manifest.json",
                "aksbundle-x-20261122T040000Z/cluster/nodes.json",
                "aksbundle-x-20261122T040000Z/namespaces/default/pods.json",
            ]
        );
        // Only the bundle is left in the destination: no temporary file.
        let left: Vec<_> = fs::read_dir(out_dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1);
    }

    #[test]
    fn dropping_staging_leaves_nothing() {
        let staging = Staging::new().unwrap();
        staging.write("a/b.json", b"{}").unwrap();
        let dir = staging.dir.path().to_path_buf();
        assert!(dir.exists());
        drop(staging);
        assert!(!dir.exists());
    }

    #[test]
    fn unsafe_member_names_are_refused() {
        let staging = Staging::new().unwrap();
        for bad in ["../x", "/etc/passwd", "", "a/../../b"] {
            assert!(staging.write(bad, b"x").is_err(), "{bad}");
        }
        assert_eq!(safe_component(".."), "_..");
        assert_eq!(safe_component("a/b"), "a_b");
        assert_eq!(safe_component("kube-proxy-x7k2p"), "kube-proxy-x7k2p");
    }
}
