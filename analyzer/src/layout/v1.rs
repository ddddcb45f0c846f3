//! The `aksbundle/v1` tree the collector writes (spec: bundle-format.md).

use super::{ClusterKind, ObjectKind, Role, VersionShape};

/// The role of a path of the `aksbundle/v1` tree, relative to its root.
pub fn place(parts: &[&str]) -> Option<Role> {
    Some(match parts {
        ["manifest.json"] => Role::Manifest,
        ["cluster", "version.json"] => Role::Version(VersionShape::Kubectl),
        ["cluster", "nodes.json"] => Role::Nodes,
        ["cluster", "nnc.json"] => Role::Nnc,
        ["cluster", file] => Role::ClusterObjects {
            kind: ClusterKind::from_file(file)?,
        },
        ["namespaces", ns, "configmaps", file] if file.ends_with(".json") => Role::ConfigMaps {
            namespace: ns.to_string(),
        },
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
        // `--node-logs`: the node's journals and files are text a person would have pasted
        // from the node, so they are read as attachments named by their path.
        ["nodes", _, "kubelet.log"
        | "containerd.log"
        | "cluster-provision.log"
        | "resolv.conf"
        | "resolv.systemd.conf"] => Role::Attachment {
            name: parts.join("/"),
        },
        ["attachments", rest @ ..] if !rest.is_empty() => Role::Attachment {
            name: rest.join("/"),
        },
        _ => return None,
    })
}
