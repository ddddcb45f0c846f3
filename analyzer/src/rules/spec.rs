//! The `rule.yaml` format. Strict: an unknown key is an error, so a typo never silently
//! disables part of a rule.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::finding::Severity;
use crate::index::Input;

/// A text in every report language. English is required; the meta-tests require the others
/// for the shipped catalogue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub en: String,
    pub ja: Option<String>,
    pub ko: Option<String>,
}

impl Text {
    /// The text in `lang`, falling back to English.
    pub fn get(&self, lang: &str) -> &str {
        match lang {
            "ja" => self.ja.as_deref().unwrap_or(&self.en),
            "ko" => self.ko.as_deref().unwrap_or(&self.en),
            _ => &self.en,
        }
    }
}

/// One rule file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Stable ID, equal to the folder name.
    pub id: String,
    pub severity: Severity,
    /// A short title.
    pub title: Text,
    /// One sentence saying what is wrong; a minijinja template over the finding's facts.
    pub summary: Text,
    /// Why it happens.
    pub explanation: Text,
    /// Inputs that must all be in the bundle for the rule to be checked.
    #[serde(default)]
    pub requires: Vec<Input>,
    /// Text matchers: the rule fires on a hit of any of them.
    #[serde(default, rename = "match")]
    pub matchers: Vec<MatcherSpec>,
    /// A named Rust check (see `checks::CHECKS`). It receives the matchers' hits.
    #[serde(default)]
    pub check: Option<String>,
    /// Rules this one is more specific than: their hits on the same object are dropped.
    #[serde(default)]
    pub supersedes: Vec<String>,
    /// Facts whose distinct values make separate findings (default: one finding per rule).
    #[serde(default)]
    pub group_by: Vec<String>,
    /// Error-level log lines of related pods on the same node to show as context.
    #[serde(default)]
    pub context_logs: Option<ContextLogs>,
    pub remediation: Vec<StepSpec>,
    #[serde(default)]
    pub references: Vec<String>,
    /// What the variables of this rule's commands are (`name`, `image`, `ip` ...), where
    /// the built-in table does not already say; a value that does not match its kind's
    /// grammar is withheld from the command.
    #[serde(default)]
    pub kinds: BTreeMap<String, crate::render::shell::Kind>,

    // -- The story step (issue 11) --
    /// Diagnoses that can explain this one: a finding of one of them about an object this
    /// finding's objects depend on (a Service's pods, a pod's node, a Deployment's pods)
    /// is shown as its root cause, and this finding as its symptom.
    #[serde(default)]
    pub explained_by: Vec<String>,
    /// Inputs any one of which lets the rule run, besides its matchers' sources (a check
    /// that reads nodes.json but also takes events and journals in its place); only
    /// consulted when `requires` is empty.
    #[serde(default)]
    pub requires_any: Vec<Input>,
    /// An attached file one of whose lines of text (not the rows of describe blocks and
    /// tables) matches one of these is about something else
    /// (another extension's install, another product's run): the rule's hits read from it
    /// are dropped. Per-line `exclude` cannot see a command or a JSON name lines away.
    #[serde(default)]
    pub exclude_paste: Vec<String>,
}

/// A remediation step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    pub text: Text,
    /// Commands, minijinja templates over the facts.
    #[serde(default)]
    pub commands: Vec<String>,
    /// A minijinja expression; the step is shown only when it is true.
    #[serde(default)]
    pub when: Option<String>,
}

/// Where a text matcher looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Event messages (`reasons` filters by event reason, `kinds` by involved kind).
    Event,
    /// Container waiting/terminated reason and message in pod status.
    ContainerStatus,
    /// Container log lines.
    Log,
    /// Collection errors in the manifest (kubectl's stderr).
    ManifestError,
    /// Text files the user attached.
    Attachment,
}

impl Source {
    /// The bundle input this source reads.
    pub fn input(self) -> Input {
        match self {
            Source::Event => Input::Events,
            Source::ContainerStatus => Input::Pods,
            Source::Log => Input::Logs,
            Source::ManifestError => Input::Manifest,
            Source::Attachment => Input::Attachments,
        }
    }
}

/// A text matcher.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatcherSpec {
    pub source: Source,
    /// Any of these fires; named captures become facts.
    pub patterns: Vec<String>,
    /// All of these must match the same text too.
    #[serde(default)]
    pub require: Vec<String>,
    /// None of these may match the text.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Event reasons or container state reasons (exact, any of).
    #[serde(default)]
    pub reasons: Vec<String>,
    /// Involved object kinds of events (exact, any of).
    #[serde(default)]
    pub kinds: Vec<String>,
    /// The pod the text belongs to must match.
    #[serde(default)]
    pub pods: Option<PodFilter>,
    /// For log lines an add-on prints on behalf of another pod: where the line names it.
    #[serde(default)]
    pub about: Option<About>,
}

/// Where a log line names the pod it is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum About {
    /// klog's structured `pod="namespace/name"` (or `pod=namespace/name`) key.
    KlogPod,
}

/// Which pods a matcher accepts.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PodFilter {
    /// The pod's namespace.
    #[serde(default)]
    pub namespace: Option<String>,
    /// Any of these label sets (each all of its pairs).
    #[serde(default)]
    pub labels: Vec<BTreeMap<String, String>>,
    /// A regex over the pod name, used when the pod object is not in the bundle.
    #[serde(default)]
    pub name: Option<String>,
    /// The pod mounts a CSI volume of this driver.
    #[serde(default)]
    pub volume_driver: Option<String>,
}

/// Context lines from related pods on the same node.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextLogs {
    /// Label sets of the related pods (any of).
    pub labels: Vec<BTreeMap<String, String>>,
    /// A regex over pod names, when pods.json lacks the pod.
    #[serde(default)]
    pub name: Option<String>,
    /// How many lines to show. Default 8.
    #[serde(default = "eight")]
    pub max: usize,
}

fn eight() -> usize {
    8
}
