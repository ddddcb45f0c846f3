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
    /// Container log bounds, and the logs the budget left out. Absent in bundles of
    /// collectors before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logs: Option<crate::logs::LogsReport>,
    /// What the collector told the user that is not a failure (a missing CRD, a Windows
    /// node without node logs, a log cut at its cap).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
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
    /// Whether node logs (`--node-logs`) were requested.
    #[serde(default)]
    pub node_logs: bool,
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
                node_logs: false,
            },
            redactions: 12,
            errors: vec![StepError {
                step: "nnc".into(),
                command: "kubectl get nodenetworkconfigs.acn.azure.com -A -o json".into(),
                exit_code: 1,
                stderr: "error: the server doesn't have a resource type".into(),
                at: "2026-11-22T04:00:03Z".into(),
            }],
            logs: Some(crate::logs::LogsReport {
                max_lines: 1000,
                max_bytes: 262_144,
                budget: 268_435_456,
                written: 5_000,
                skipped: vec!["logs/default/web-1/web.log".into()],
                cut: Vec::new(),
            }),
            notes: vec!["no NodeNetworkConfig CRD".into()],
        };
        let value = serde_json::to_value(&manifest).unwrap();
        // A manifest of an older collector (no logs, notes or node_logs) still reads.
        let mut old = value.clone();
        old.as_object_mut().unwrap().remove("logs");
        old.as_object_mut().unwrap().remove("notes");
        old["options"].as_object_mut().unwrap().remove("node_logs");
        let old: Manifest = serde_json::from_value(old).unwrap();
        assert!(old.logs.is_none() && old.notes.is_empty() && !old.options.node_logs);
        assert_eq!(
            value,
            json!({
                "format": "aksbundle/v1",
                "collector": {"name": "aksbundle", "version": env!("CARGO_PKG_VERSION")},
                "collected_at": "2026-11-22T04:00:00Z",
                "cluster": {"context": "prod-westeu", "server": "https://prod-xxxx.hcp.westeurope.azmk8s.io:443", "version": null},
                "options": {"since": "1h", "namespaces": ["*"], "node_ipam": true, "node_logs": false},
                "redactions": 12,
                "errors": [{"step": "nnc", "command": "kubectl get nodenetworkconfigs.acn.azure.com -A -o json",
                            "exit_code": 1, "stderr": "error: the server doesn't have a resource type", "at": "2026-11-22T04:00:03Z"}],
                "logs": {"max_lines": 1000, "max_bytes": 262144, "budget": 268435456, "written": 5000,
                         "skipped": ["logs/default/web-1/web.log"], "cut": []},
                "notes": ["no NodeNetworkConfig CRD"]
            })
        );
    }
}
