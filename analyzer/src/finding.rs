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

    /// A signal read from a line of a text file (a paste, a log), seen once, at no known
    /// time.
    pub fn of_line(
        file: impl Into<String>,
        line: u64,
        excerpt: impl Into<String>,
        object: Option<String>,
    ) -> Evidence {
        Evidence {
            line: Some(line),
            ..Evidence::of_object(file, excerpt, object)
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
    /// Where the finding stands in the bundle's story (id, ongoing or over, cause links):
    /// set by the story step, flattened into the finding's JSON keys.
    #[serde(flatten)]
    pub story: StoryFacts,
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
    /// The merged timeline of the bundle (story step), sorted by time.
    #[serde(default)]
    pub timeline: Vec<TimelineEntry>,
    /// How the story step judged time: the quiet window and the events' horizon (null
    /// when the bundle could not be read).
    #[serde(default)]
    pub story: Option<StoryMeta>,
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
    /// The highest severity among the ongoing findings: what `--fail-on` compares with. A
    /// finding that was over before the collection never counts.
    pub fn worst(&self) -> Option<Severity> {
        self.findings
            .iter()
            .filter(|f| f.story.status == Status::Ongoing)
            .map(|f| f.severity)
            .max()
    }
}

// ---- The story: ongoing or over, cause links, one timeline (issue 11) ----

/// Whether a finding is still happening when the bundle was collected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Something the finding names is unhealthy at collection time, or its last signal
    /// is recent (within the quiet window), or the bundle cannot tell.
    #[default]
    Ongoing,
    /// Every object it names is healthy at collection time and its last signal is older
    /// than the quiet window: it recovered before the collection.
    Over,
}

impl Status {
    /// The lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ongoing => "ongoing",
            Status::Over => "over",
        }
    }
}

/// A finding's place in the story.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoryFacts {
    /// Unique in the report and stable for the same bundle (`f1`, `f2` ...).
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub status: Status,
    /// Ids of the findings that explain this one (its root causes).
    #[serde(default)]
    pub caused_by: Vec<String>,
    /// Ids of the findings this one explains (its symptoms).
    #[serde(default)]
    pub explains: Vec<String>,
    /// The rule's severity, kept when an over finding is shown as `info`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_severity: Option<Severity>,
    /// How many findings of the same cause were merged into this one (more pods or
    /// workloads failing the same way on the same nodes); 0 when none were.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub merged: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// One entry of the merged timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// RFC 3339 UTC.
    pub time: String,
    /// `event` (a Warning event), `node` (a node condition transition), `container` (a
    /// restart or termination), `log` (a log line a rule matched), `collection` (a
    /// collection step that failed).
    pub kind: String,
    /// `<namespace>/<kind>/<name>`, or empty for the cluster.
    pub object: String,
    pub text: String,
    /// The id of the finding this entry belongs to, when one does.
    pub finding: Option<String>,
}

/// How the story step judged time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoryMeta {
    /// A finding whose last signal is older than this (before the collection) and whose
    /// objects are all healthy is over.
    pub quiet_window_seconds: i64,
    /// Events older than this were already gone from the API server when the bundle was
    /// collected (they live about an hour): no event before it means "unknown", not "none".
    pub events_horizon: Option<String>,
}
