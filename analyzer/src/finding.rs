//! Findings and the report: the shapes the JSON contract (spec: cli.md) fixes, plus the
//! extra keys the Markdown and HTML reports use.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::ReadIssue;

/// How bad a finding is. Ordered: `Info < Warning < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Context that helps the engineer.
    Info,
    /// Degraded or about to fail.
    Warning,
    /// Workloads are failing now.
    Critical,
}

impl Severity {
    /// The lower-case name used in reports and flags.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "info" => Ok(Severity::Info),
            "warning" => Ok(Severity::Warning),
            "critical" => Ok(Severity::Critical),
            other => Err(format!(
                "unknown severity '{other}' (critical, warning or info)"
            )),
        }
    }
}

/// One piece of evidence: where in the bundle, what it says, how often and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Path inside the bundle, relative to its root folder.
    pub file: String,
    /// 1-based line for text files; `null` for object files.
    pub line: Option<u64>,
    pub excerpt: String,
    pub count: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// The object this evidence is about, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// `signal` for what triggered the finding, `context` for correlated lines.
    #[serde(default = "signal")]
    pub role: String,
}

fn signal() -> String {
    "signal".into()
}

impl Evidence {
    /// A signal read from an object file (no line, no time): what structural checks find.
    pub fn of_object(
        file: impl Into<String>,
        excerpt: impl Into<String>,
        object: Option<String>,
    ) -> Evidence {
        Evidence {
            file: file.into(),
            line: None,
            excerpt: excerpt.into(),
            count: 1,
            first_seen: None,
            last_seen: None,
            object,
            role: signal(),
        }
    }
}

/// A remediation step: prose and the commands to run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub text: String,
    pub commands: Vec<String>,
    /// Bundle values left out of the commands because they do not look like what they
    /// should be: each command shows `<placeholder>` instead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withheld: Vec<crate::render::shell::Withheld>,
}

/// A small table a structural check shows (per-node IPAM counts, closest pods).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A diagnosis the analyzer made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub title: String,
    pub summary: String,
    /// `<namespace>/<kind>/<name>` of each object concerned.
    pub objects: Vec<String>,
    pub evidence: Vec<Evidence>,
    /// Each step as one string: the prose, then its commands on their own lines.
    pub remediation: Vec<String>,
    pub references: Vec<String>,
    /// Nodes the objects run on.
    #[serde(default)]
    pub nodes: Vec<String>,
    /// Why it happens.
    #[serde(default)]
    pub explanation: String,
    /// Remediation with prose and commands apart.
    #[serde(default)]
    pub steps: Vec<Step>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<Table>,
    /// Values the rule captured (status code, registry, vault ...).
    #[serde(default)]
    pub facts: BTreeMap<String, String>,
    /// Occurrences across all evidence.
    #[serde(default)]
    pub count: u64,
    #[serde(default)]
    pub first_seen: Option<String>,
    #[serde(default)]
    pub last_seen: Option<String>,
}

/// A diagnosis the bundle could not support.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotChecked {
    pub rule: String,
    pub reason: String,
}

/// The cluster a bundle came from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterFacts {
    pub context: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// What is known about the bundle itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleFacts {
    pub path: String,
    pub format: Option<String>,
    pub collected_at: Option<String>,
    pub cluster: ClusterFacts,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collector: Option<String>,
    /// The layout the reader recognised (`aksbundle/v1`, `kubectl-cluster-info-dump`,
    /// `kubectl-cluster-info-dump-stream`, `troubleshoot.sh/v1beta2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<String>,
    /// The objects were written as Go's internal types (kubectl 1.13 and older) and were
    /// normalised on reading.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub legacy_shapes: bool,
    /// How many objects of each kind were read, and how many container logs.
    #[serde(default)]
    pub counts: BTreeMap<String, u64>,
    /// The collecting tool's own analysis (troubleshoot's `analysis.json`): shown as the
    /// bundle's own analysis, never as findings of ours.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub own_analysis: Vec<OwnResult>,
}

/// One result of the collecting tool's own analyzers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnResult {
    /// The analyzer's name.
    pub name: String,
    /// Its severity in its own words (`error`, `warn`, `debug`, `pass` ...).
    pub severity: String,
    /// Its headline.
    pub title: String,
    /// Its detail.
    pub message: String,
}

/// The report: the JSON contract's top level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema: String,
    pub bundle: BundleFacts,
    pub findings: Vec<Finding>,
    pub not_checked: Vec<NotChecked>,
    pub errors: Vec<ReadIssue>,
    /// Collection steps that failed, from the manifest.
    #[serde(default)]
    pub collection_errors: Vec<crate::model::CollectionError>,
    /// Per-node IPAM and nnc figures, for charts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub node_ip_usage: Vec<NodeIpUsage>,
    /// Warning events over time, for the timeline.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warning_events: Vec<TimelineEvent>,
    /// The report's language (`en`, `ja`, `ko`).
    #[serde(default = "en")]
    pub lang: String,
}

fn en() -> String {
    "en".into()
}

/// IP figures of one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeIpUsage {
    pub node: String,
    pub ipam_allocated: Option<i64>,
    pub running_pods: i64,
    pub nnc_requested: Option<i64>,
    pub nnc_allocated: Option<i64>,
}

/// A warning event for the timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEvent {
    pub time: String,
    pub object: String,
    pub reason: String,
    pub message: String,
    pub count: u64,
}

/// The schema name of the JSON report.
pub const REPORT_SCHEMA: &str = "aksbundle.report/v1";

impl Report {
    /// The highest severity among the findings.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}
