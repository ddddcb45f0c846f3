//! Shared helpers of the integration tests.

#![allow(dead_code)]

pub mod cluster_gen;
pub mod fake_apiserver;

use flate2::read::GzDecoder;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// The real kubectl on PATH, when there is one.
pub fn kubectl_on_path() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("kubectl"))
        .find(|p| p.is_file())
}

/// The real kubectl, or the test returns (with a message) when kubectl is not on PATH.
#[macro_export]
macro_rules! require_kubectl {
    () => {
        match $crate::support::kubectl_on_path() {
            Some(k) => k,
            None => {
                eprintln!("SKIP: kubectl is not on PATH; install kubectl (Debian: kubernetes-client) to run this test");
                return;
            }
        }
    };
}

/// A temp home for the real kubectl, a kubeconfig pointing at a server, a wrapper that
/// runs kubectl with HOME and KUBECACHEDIR in that home, and an output folder.
pub struct KubectlEnv {
    pub dir: tempfile::TempDir,
    pub kubectl: PathBuf,
    pub kubeconfig: PathBuf,
    pub out: PathBuf,
}

impl KubectlEnv {
    /// `context` names the kubeconfig context (with `namespace: default` when `with_namespace`),
    /// `token` the user's bearer token.
    pub fn new(
        real_kubectl: &Path,
        server: &str,
        context: &str,
        token: &str,
        with_namespace: bool,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        let namespace = if with_namespace {
            "\n    namespace: default"
        } else {
            ""
        };
        std::fs::write(
            &kubeconfig,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {server}\ncontexts:\n- name: {context}\n  context:\n    cluster: fake\n    user: fake-user{namespace}\ncurrent-context: {context}\nusers:\n- name: fake-user\n  user:\n    token: {token}\n"
            ),
        )
        .unwrap();
        let kubectl = script(
            &dir.path().join("kubectl-wrapper"),
            &format!(
                "export HOME='{}' KUBECACHEDIR='{}'\nexec '{}' \"$@\"",
                home.display(),
                dir.path().join("cache").display(),
                real_kubectl.display()
            ),
        );
        let out = dir.path().join("out");
        std::fs::create_dir_all(&out).unwrap();
        KubectlEnv {
            dir,
            kubectl,
            kubeconfig,
            out,
        }
    }

    /// Collection options through this kubectl, into `out`.
    pub fn options(&self) -> collector::Options {
        collector::Options {
            kubectl: self.kubectl.clone(),
            kubeconfig: Some(self.kubeconfig.clone()),
            output: Some(self.out.clone()),
            progress: false,
            request_timeout: Duration::from_secs(20),
            probe_timeout: Duration::from_secs(5),
            ..collector::Options::default()
        }
    }

    /// The members of the one bundle in `out`.
    pub fn bundle(&self) -> BTreeMap<String, Vec<u8>> {
        members(&only_file(&self.out))
    }
}

/// Members by path relative to the bundle's single root folder (asserted).
pub fn members(bundle: &Path) -> BTreeMap<String, Vec<u8>> {
    let stem = bundle
        .file_name()
        .unwrap()
        .to_string_lossy()
        .trim_end_matches(".tar.gz")
        .to_string();
    read_bundle(bundle)
        .into_iter()
        .map(|(name, data)| {
            let rel = name
                .strip_prefix(&format!("{stem}/"))
                .unwrap_or_else(|| panic!("{name} is not under the root folder {stem}/"));
            (rel.to_string(), data)
        })
        .collect()
}

/// A member as JSON.
pub fn json(members: &BTreeMap<String, Vec<u8>>, name: &str) -> serde_json::Value {
    let bytes = members.get(name).unwrap_or_else(|| {
        panic!(
            "{name} missing; bundle has {:?}",
            members.keys().collect::<Vec<_>>()
        )
    });
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A member as text.
pub fn text(members: &BTreeMap<String, Vec<u8>>, name: &str) -> String {
    String::from_utf8(
        members
            .get(name)
            .unwrap_or_else(|| {
                panic!(
                    "{name} missing; bundle has {:?}",
                    members.keys().collect::<Vec<_>>()
                )
            })
            .clone(),
    )
    .unwrap()
}
