//! `manifest.json`, exactly as bundle-format.md describes it: what was collected, by what,
//! when, with which options, how many secrets were redacted, and every step that failed.

use serde::{Deserialize, Serialize};

/// The format tag this collector writes.
pub const FORMAT: &str = "aksbundle/v1";

/// The whole manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// Which program wrote the bundle.
    pub collector: CollectorInfo,
    /// When collection started (RFC 3339, UTC).
    pub collected_at: String,
    /// The cluster as kubectl saw it.
    pub cluster: ClusterInfo,
    /// The options that shaped the bundle.
    pub options: ManifestOptions,
    /// How many secrets were replaced by `[REDACTED]` (or dropped) in the bundle.
    pub redactions: u64,
    /// Every collection step that failed, in the order they failed.
    pub errors: Vec<StepError>,
}

/// The collecting program.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CollectorInfo {
    /// `aksbundle`.
    pub name: String,
    /// The collector's version.
    pub version: String,
}

impl Default for CollectorInfo {
    fn default() -> Self {
        CollectorInfo {
            name: "aksbundle".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// What is known about the cluster; fields stay `null` when kubectl could not tell.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct ClusterInfo {
    /// The kubeconfig context used.
    pub context: Option<String>,
    /// The API server URL from the kubeconfig.
    pub server: Option<String>,
    /// The server's `gitVersion`, when it answered.
    pub version: Option<String>,
}

/// The options recorded in the manifest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ManifestOptions {
    /// The log window (`1h`).
    pub since: String,
    /// The namespaces collected; `["*"]` for all.
    pub namespaces: Vec<String>,
    /// Whether node IPAM counts were requested.
    pub node_ipam: bool,
}

/// One failed step, with the tool's own words.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StepError {
    /// Which step (`nodes`, `pods`, `logs/kube-system/nmi-abcde/nmi`, `ipam/<node>`, ...).
    pub step: String,
    /// The kubectl command, global flags left out.
    pub command: String,
    /// kubectl's exit code; 124 when we killed it at its timeout, 127 when it could not be
    /// started, 130 when the user interrupted, 0 when it succeeded but printed garbage.
    pub exit_code: i32,
    /// kubectl's stderr (redacted), or what went wrong with its output.
    pub stderr: String,
    /// When the step failed (RFC 3339, UTC).
    pub at: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serializes_with_the_documented_keys() {
        let manifest = Manifest {
            format: FORMAT.into(),
            collector: CollectorInfo::default(),
            collected_at: "2026-11-22T04:00:00Z".into(),
            cluster: ClusterInfo {
                context: Some("prod-westeu".into()),
                server: Some("https://prod-xxxx.hcp.westeurope.azmk8s.io:443".into()),
                version: None,
            },
            options: ManifestOptions {
                since: "1h".into(),
                namespaces: vec!["*".into()],
                node_ipam: true,
            },
            redactions: 12,
            errors: vec![StepError {
                step: "nnc".into(),
                command: "kubectl get nodenetworkconfigs.acn.azure.com -A -o json".into(),
                exit_code: 1,
                stderr: "error: the server doesn't have a resource type".into(),
                at: "2026-11-22T04:00:03Z".into(),
            }],
        };
        let value = serde_json::to_value(&manifest).unwrap();
        assert_eq!(
            value,
            json!({
                "format": "aksbundle/v1",
                "collector": {"name": "aksbundle", "version": env!("CARGO_PKG_VERSION")},
                "collected_at": "2026-11-22T04:00:00Z",
                "cluster": {"context": "prod-westeu", "server": "https://prod-xxxx.hcp.westeurope.azmk8s.io:443", "version": null},
                "options": {"since": "1h", "namespaces": ["*"], "node_ipam": true},
                "redactions": 12,
                "errors": [{"step": "nnc", "command": "kubectl get nodenetworkconfigs.acn.azure.com -A -o json",
                            "exit_code": 1, "stderr": "error: the server doesn't have a resource type", "at": "2026-11-22T04:00:03Z"}]
            })
        );
    }
}
