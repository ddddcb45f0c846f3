//! Finds the bundles under the paths given to `aksbundle batch`: archives recognised by
//! their first bytes (or a bundle extension), and unpacked bundle folders, which are taken
//! whole and not descended into. Folders are walked in sorted path order.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// One bundle to analyze.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// Where it is on disk.
    pub path: PathBuf,
    /// `bundle.path` in the report: relative to the folder given, or the path as given.
    pub display: String,
    /// Bytes on disk (a folder: the sum of its files), for MB/s.
    pub bytes: u64,
}

/// Folders deeper than this below a given path are not walked.
const MAX_DEPTH: usize = 32;

/// Walks `roots` in the order given and each folder in sorted path order. A root that
/// does not exist is an error; a folder that cannot be listed is reported to `warn` and
/// skipped. With several roots, each display path starts with the root as given, so two
/// folders holding the same names cannot collide. Duplicates keep their first place.
pub fn discover(roots: &[PathBuf], warn: &mut dyn FnMut(String)) -> io::Result<Vec<Input>> {
    let mut out: Vec<Input> = Vec::new();
    let prefix_roots = roots.len() > 1;
    for root in roots {
        let meta = fs::metadata(root)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", root.display())))?;
        let as_given = root.to_string_lossy().replace('\\', "/");
        if !meta.is_dir() || is_bundle_dir(root) {
            out.push(Input {
                path: root.clone(),
                display: as_given,
                bytes: size_of(root, &meta),
            });
            continue;
        }
        let base = as_given.trim_end_matches('/').to_string();
        let mut found = Vec::new();
        walk(root, 0, &mut found, warn);
        for (path, meta) in found {
            let rel = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            let display = if prefix_roots {
                format!("{base}/{rel}")
            } else {
                rel
            };
            let bytes = size_of(&path, &meta);
            out.push(Input {
                path,
                display,
                bytes,
            });
        }
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|i| seen.insert(i.display.clone()));
    Ok(out)
}

fn walk(
    dir: &Path,
    depth: usize,
    out: &mut Vec<(PathBuf, fs::Metadata)>,
    warn: &mut dyn FnMut(String),
) {
    let mut entries: Vec<PathBuf> = match fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            warn(format!(
                "{}: cannot list folder: {e}; skipped",
                dir.display()
            ));
            return;
        }
    };
    entries.sort();
    for p in entries {
        // Hidden entries (.git, .snapshot, editors' files) are never bundles.
        if p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            continue;
        }
        let Ok(link_meta) = fs::symlink_metadata(&p) else {
            continue;
        };
        if link_meta.is_dir() {
            if is_bundle_dir(&p) {
                out.push((p, link_meta));
            } else if depth + 1 >= MAX_DEPTH {
                warn(format!(
                    "{}: folders nested more than {MAX_DEPTH} deep; skipped",
                    p.display()
                ));
            } else {
                walk(&p, depth + 1, out, warn);
            }
            continue;
        }
        // Linked files are followed, linked folders are not (no loops).
        let meta = if link_meta.file_type().is_symlink() {
            match fs::metadata(&p) {
                Ok(m) if m.is_file() => m,
                _ => continue,
            }
        } else {
            link_meta
        };
        if meta.is_file() && is_bundle_file(&p) {
            out.push((p, meta));
        }
    }
}

fn size_of(path: &Path, meta: &fs::Metadata) -> u64 {
    if !meta.is_dir() {
        return meta.len();
    }
    fn sum(dir: &Path, depth: usize) -> u64 {
        if depth > MAX_DEPTH {
            return 0;
        }
        let Ok(rd) = fs::read_dir(dir) else { return 0 };
        rd.flatten()
            .map(|e| match e.file_type() {
                Ok(t) if t.is_dir() => sum(&e.path(), depth + 1),
                Ok(t) if t.is_file() => e.metadata().map(|m| m.len()).unwrap_or(0),
                _ => 0,
            })
            .sum()
    }
    sum(path, 0)
}

/// True when a folder is an unpacked bundle: it has `manifest.json`, the `aksbundle/v1`
/// top folders (`namespaces/`, or `cluster/` with `nodes.json` or `version.json`), or is
/// a `kubectl cluster-info dump` (`nodes.json` next to namespace folders of object files).
pub fn is_bundle_dir(dir: &Path) -> bool {
    if dir.join("manifest.json").is_file() || dir.join("namespaces").is_dir() {
        return true;
    }
    let cluster = dir.join("cluster");
    if cluster.join("nodes.json").is_file() || cluster.join("version.json").is_file() {
        return true;
    }
    if !dir.join("nodes.json").is_file() {
        return false;
    }
    let Ok(rd) = fs::read_dir(dir) else {
        return false;
    };
    rd.flatten().any(|e| {
        let p = e.path();
        p.is_dir()
            && ["pods.json", "events.json", "services.json"]
                .iter()
                .any(|f| p.join(f).is_file())
    })
}

/// True when a file is a bundle archive: gzip, zip or tar by its first bytes, or named
/// like one (`.tar.gz`, `.tgz`, `.tar`, `.zip`), so a damaged bundle still gets its line.
pub fn is_bundle_file(path: &Path) -> bool {
    let lower = path.to_string_lossy().to_ascii_lowercase();
    if [".tar.gz", ".tgz", ".tar", ".zip"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        return true;
    }
    let mut head = [0u8; 512];
    let Ok(mut f) = File::open(path) else {
        return false;
    };
    let mut n = 0;
    while n < head.len() {
        match f.read(&mut head[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    is_archive_magic(&head[..n])
}

/// gzip, zip or tar by the first bytes: the reader's own detection.
pub fn is_archive_magic(head: &[u8]) -> bool {
    crate::reader::sniff_bytes(head).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(p: &Path, bytes: &[u8]) {
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }

    #[test]
    fn finds_archives_by_magic_and_folders_by_shape_in_sorted_order() {
        let t = tempfile::tempdir().unwrap();
        let r = t.path();
        touch(&r.join("b/ticket-2/export.zip"), b"PK\x03\x04rest");
        touch(&r.join("a/blob"), &[0x1f, 0x8b, 8, 0]);
        touch(&r.join("a/notes.txt"), b"hello");
        touch(&r.join("a/.hidden.tar.gz"), &[0x1f, 0x8b]);
        touch(&r.join("c/broken.tar.gz"), b"not really");
        touch(&r.join("d/unpacked/manifest.json"), b"{}");
        touch(&r.join("d/unpacked/namespaces/x/pods.json"), b"{}");
        touch(&r.join("d/unpacked/inner.tar.gz"), &[0x1f, 0x8b]);
        touch(&r.join("e/dump/nodes.json"), b"{}");
        touch(&r.join("e/dump/kube-system/pods.json"), b"{}");
        touch(&r.join("f/v1/cluster/nodes.json"), b"{}");
        touch(&r.join("g/empty-folder/readme"), b"x");
        let mut warns = Vec::new();
        let found = discover(&[r.to_path_buf()], &mut |w| warns.push(w)).unwrap();
        let names: Vec<&str> = found.iter().map(|i| i.display.as_str()).collect();
        assert_eq!(
            names,
            [
                "a/blob",
                "b/ticket-2/export.zip",
                "c/broken.tar.gz",
                "d/unpacked",
                "e/dump",
                "f/v1"
            ]
        );
        assert!(warns.is_empty());
        assert_eq!(found[3].bytes, 6);
    }

    #[test]
    fn several_roots_prefix_and_dedupe() {
        let t = tempfile::tempdir().unwrap();
        touch(&t.path().join("x/one.tgz"), &[0x1f, 0x8b]);
        touch(&t.path().join("y/one.tgz"), &[0x1f, 0x8b]);
        let x = t.path().join("x");
        let y = t.path().join("y");
        let found = discover(&[x.clone(), y.clone(), x.clone()], &mut |_| {}).unwrap();
        assert_eq!(found.len(), 2);
        assert!(found[0].display.ends_with("/x/one.tgz"));
        assert!(found[1].display.ends_with("/y/one.tgz"));
        let single = discover(&[x.join("one.tgz")], &mut |_| {}).unwrap();
        assert_eq!(single[0].display, x.join("one.tgz").to_string_lossy());
        assert!(discover(&[t.path().join("missing")], &mut |_| {}).is_err());
    }

    #[test]
    fn tar_headers_are_recognised() {
        let mut header = tar::Header::new_gnu();
        header.set_path("a.txt").unwrap();
        header.set_size(0);
        header.set_cksum();
        assert!(is_archive_magic(header.as_bytes()));
        assert!(!is_archive_magic(b"{\"kind\":\"List\"}"));
    }
}
