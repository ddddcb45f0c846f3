//! Where a member sits in a bundle: finds the bundle root (one top folder or the archive's
//! root) and classifies each path of the `aksbundle/v1` tree or of a
//! `kubectl cluster-info dump --output-directory` tree. Pure functions of the path, so
//! members can be classified as they stream, in any order.

/// What an object file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    Pods,
    Events,
    Services,
    Endpoints,
    NetworkPolicies,
    Jobs,
}

impl ObjectKind {
    fn from_file(name: &str) -> Option<ObjectKind> {
        Some(match name {
            "pods.json" => ObjectKind::Pods,
            "events.json" => ObjectKind::Events,
            "services.json" => ObjectKind::Services,
            "endpoints.json" => ObjectKind::Endpoints,
            "networkpolicies.json" => ObjectKind::NetworkPolicies,
            "jobs.json" => ObjectKind::Jobs,
            _ => return None,
        })
    }
}

/// The role of one member, with the names its path carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// `manifest.json`.
    Manifest,
    /// `cluster/version.json`.
    Version,
    /// `cluster/nodes.json` (or a dump's `nodes.json`).
    Nodes,
    /// `cluster/nnc.json`.
    Nnc,
    /// `namespaces/<ns>/<kind>.json` (or a dump's `<ns>/<kind>.json`).
    Objects { namespace: String, kind: ObjectKind },
    /// `logs/<ns>/<pod>/<container>[.previous].log`.
    Log {
        namespace: String,
        pod: String,
        container: String,
        previous: bool,
    },
    /// A dump's `<ns>/<pod>/logs.txt`, holding every container between markers.
    DumpLogs { namespace: String, pod: String },
    /// `nodes/<node>/ipam.json`.
    Ipam { node: String },
    /// `attachments/<name>`.
    Attachment { name: String },
    /// A file this version does not know; kept out of analysis.
    Unknown,
}

/// Which tree the member belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// The `aksbundle/v1` tree.
    V1,
    /// `kubectl cluster-info dump --output-directory`.
    ClusterInfoDump,
}

/// A classified member: its path relative to the bundle root, its role and its layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placed {
    pub rel: String,
    pub role: Role,
    pub layout: Layout,
}

const V1_TOP: &[&str] = &[
    "manifest.json",
    "cluster",
    "namespaces",
    "logs",
    "nodes",
    "attachments",
];

/// Why a member name is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnsafeName {
    Absolute,
    ParentDir,
    Empty,
}

impl std::fmt::Display for UnsafeName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UnsafeName::Absolute => "absolute member name",
            UnsafeName::ParentDir => "member name contains '..'",
            UnsafeName::Empty => "empty member name",
        })
    }
}

/// Splits a raw member name into safe components (`./` and empty parts dropped).
/// Absolute names, drive letters and `..` are refused, never resolved.
pub fn safe_components(raw: &str) -> Result<Vec<&str>, UnsafeName> {
    let unified = raw.trim_end_matches('\0');
    if unified.starts_with('/') || unified.starts_with('\\') {
        return Err(UnsafeName::Absolute);
    }
    let bytes = unified.as_bytes();
    if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
        return Err(UnsafeName::Absolute);
    }
    let mut parts = Vec::new();
    for part in unified.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => return Err(UnsafeName::ParentDir),
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Err(UnsafeName::Empty);
    }
    Ok(parts)
}

/// Classifies a member by its safe components.
pub fn place(parts: &[&str]) -> Placed {
    // aksbundle/v1 at the root, or under one top folder.
    if let Some(first) = parts.first() {
        if V1_TOP.contains(first) {
            if let Some(p) = place_v1(parts) {
                return p;
            }
        }
    }
    if parts.len() >= 2 && V1_TOP.contains(&parts[1]) {
        if let Some(p) = place_v1(&parts[1..]) {
            return p;
        }
    }
    // cluster-info dump, at the root or under one top folder.
    if let Some(p) = place_dump(parts) {
        return p;
    }
    if parts.len() >= 2 {
        if let Some(p) = place_dump(&parts[1..]) {
            return p;
        }
    }
    Placed {
        rel: parts.join("/"),
        role: Role::Unknown,
        layout: Layout::V1,
    }
}

fn place_v1(parts: &[&str]) -> Option<Placed> {
    let role = match parts {
        ["manifest.json"] => Role::Manifest,
        ["cluster", "version.json"] => Role::Version,
        ["cluster", "nodes.json"] => Role::Nodes,
        ["cluster", "nnc.json"] => Role::Nnc,
        ["namespaces", ns, file] => Role::Objects {
            namespace: ns.to_string(),
            kind: ObjectKind::from_file(file)?,
        },
        ["logs", ns, pod, file] => {
            let (container, previous) = if let Some(c) = file.strip_suffix(".previous.log") {
                (c, true)
            } else {
                (file.strip_suffix(".log")?, false)
            };
            Role::Log {
                namespace: ns.to_string(),
                pod: pod.to_string(),
                container: container.to_string(),
                previous,
            }
        }
        ["nodes", node, "ipam.json"] => Role::Ipam {
            node: node.to_string(),
        },
        ["attachments", rest @ ..] if !rest.is_empty() => Role::Attachment {
            name: rest.join("/"),
        },
        _ => return None,
    };
    Some(Placed {
        rel: parts.join("/"),
        role,
        layout: Layout::V1,
    })
}

fn place_dump(parts: &[&str]) -> Option<Placed> {
    let role = match parts {
        ["nodes.json"] => Role::Nodes,
        [ns, file] => Role::Objects {
            namespace: ns.to_string(),
            kind: ObjectKind::from_file(file)?,
        },
        [ns, pod, "logs.txt"] => Role::DumpLogs {
            namespace: ns.to_string(),
            pod: pod.to_string(),
        },
        _ => return None,
    };
    Some(Placed {
        rel: parts.join("/"),
        role,
        layout: Layout::ClusterInfoDump,
    })
}

/// Parses a dump marker line: `==== START logs for container C of pod NS/POD ====`.
/// Returns `Some(Some(container))` for START, `Some(None)` for END, `None` otherwise.
pub fn dump_marker(line: &[u8]) -> Option<Option<String>> {
    let line = std::str::from_utf8(line).ok()?.trim_end();
    let rest = line.strip_prefix("==== ")?.strip_suffix(" ====")?;
    if let Some(r) = rest.strip_prefix("START logs for container ") {
        let container = r.split(" of pod ").next()?;
        return Some(Some(container.to_string()));
    }
    if rest.starts_with("END logs for container ") {
        return Some(None);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(raw: &str) -> Role {
        place(&safe_components(raw).unwrap()).role
    }

    #[test]
    fn v1_under_top_folder_and_at_root_agree() {
        let a = place(
            &safe_components("aksbundle-prod-20261122T040000Z/namespaces/default/pods.json")
                .unwrap(),
        );
        let b = place(&safe_components("./namespaces/default/pods.json").unwrap());
        assert_eq!(a, b);
        assert_eq!(a.rel, "namespaces/default/pods.json");
    }

    #[test]
    fn logs_split_current_and_previous() {
        assert_eq!(
            role("b/logs/kube-system/csi-x/secrets-store.previous.log"),
            Role::Log {
                namespace: "kube-system".into(),
                pod: "csi-x".into(),
                container: "secrets-store".into(),
                previous: true
            }
        );
    }

    #[test]
    fn cluster_info_dump_is_recognised_with_and_without_top_folder() {
        let p = place(&safe_components("dump/kube-system/pods.json").unwrap());
        assert_eq!(p.layout, Layout::ClusterInfoDump);
        assert_eq!(p.rel, "kube-system/pods.json");
        assert_eq!(role("nodes.json"), Role::Nodes);
        assert_eq!(
            role("kube-system/coredns-1/logs.txt"),
            Role::DumpLogs {
                namespace: "kube-system".into(),
                pod: "coredns-1".into()
            }
        );
    }

    #[test]
    fn unsafe_names_are_refused() {
        assert_eq!(safe_components("/etc/passwd"), Err(UnsafeName::Absolute));
        assert_eq!(safe_components("a/../../x"), Err(UnsafeName::ParentDir));
        assert_eq!(safe_components("C:\\x"), Err(UnsafeName::Absolute));
        assert_eq!(safe_components("./"), Err(UnsafeName::Empty));
    }

    #[test]
    fn unknown_files_stay_unknown() {
        assert_eq!(role("b/README.txt"), Role::Unknown);
        assert_eq!(role("namespaces/default/secrets.json"), Role::Unknown);
    }

    #[test]
    fn dump_markers() {
        assert_eq!(
            dump_marker(b"==== START logs for container app of pod shop/web-1 ===="),
            Some(Some("app".into()))
        );
        assert_eq!(
            dump_marker(b"==== END logs for container app of pod shop/web-1 ====\n"),
            Some(None)
        );
        assert_eq!(dump_marker(b"plain line"), None);
    }
}
