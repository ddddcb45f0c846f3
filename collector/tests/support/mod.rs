//! Shared helpers of the integration tests.

#![allow(dead_code)]

pub mod cluster_gen;
pub mod fake_apiserver;

use flate2::read::GzDecoder;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Every member of a `.tar.gz`: (path, bytes).
pub fn read_bundle(path: &Path) -> Vec<(String, Vec<u8>)> {
    let file = std::fs::File::open(path).unwrap();
    let mut archive = tar::Archive::new(GzDecoder::new(file));
    archive
        .entries()
        .unwrap()
        .map(|entry| {
            let mut entry = entry.unwrap();
            let name = entry.path().unwrap().to_string_lossy().into_owned();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).unwrap();
            (name, data)
        })
        .collect()
}

/// The whole decompressed tar stream (headers included), for grepping every byte.
pub fn decompressed(path: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// True when `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Writes an executable shell script.
#[cfg(unix)]
pub fn script(path: &Path, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_path_buf()
}

/// The only file in `dir` (the bundle); panics when there is not exactly one.
pub fn only_file(dir: &Path) -> PathBuf {
    let files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        files.len(),
        1,
        "expected exactly one file in {}: {files:?}",
        dir.display()
    );
    files.into_iter().next().unwrap()
}

/// The JSON member whose path ends with `/<rel>` (under the bundle's root folder).
pub fn json_of(entries: &[(String, Vec<u8>)], rel: &str) -> serde_json::Value {
    let suffix = format!("/{rel}");
    let (_, data) = entries
        .iter()
        .find(|(name, _)| name.ends_with(&suffix))
        .unwrap_or_else(|| panic!("{rel} missing"));
    serde_json::from_slice(data).unwrap()
}
