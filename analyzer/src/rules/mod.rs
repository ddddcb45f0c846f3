//! The diagnosis catalogue: rule files compiled into the binary at build time, plus a
//! user's own rules (`--rules DIR`) in the same format. Loading compiles every regex and
//! template and reports every broken file at once, each with its path.

pub mod lazy;
pub mod spec;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::checks::{self, CheckFn};
use crate::render::shell::Command;
use spec::{MatcherSpec, RuleSpec, Source};

/// A rule file compiled into the binary.
#[derive(Debug)]
pub struct EmbeddedRule {
    /// Folder relative to `rules/`, e.g. `acr/image-pull-unauthorized`.
    pub dir: &'static str,
    pub yaml: &'static str,
    /// The same rule as JSON, converted at build time (what start-up parses).
    pub json: Option<&'static str>,
    pub readme: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/catalogue.rs"));

/// A text pattern of a rule: compiled at load for user rules, on first use for the
/// built-in catalogue (see [`lazy`]).
pub type RuleRegex = lazy::Lazy<regex::Regex>;

/// A matcher with its regexes compiled.
#[derive(Debug, Clone)]
pub struct CompiledMatcher {
    pub spec: MatcherSpec,
    pub patterns: Vec<RuleRegex>,
    pub require: Vec<RuleRegex>,
    pub exclude: Vec<RuleRegex>,
    pub pod_name: Option<regex::Regex>,
}

/// A loaded rule.
#[derive(Clone)]
pub struct Rule {
    pub spec: RuleSpec,
    /// Where it came from: `rules/<area>/<id>` for the catalogue, a path for user rules.
    pub origin: String,
    /// The area folder (`keyvault`, `acr` ...), or `user`.
    pub area: String,
    pub readme: String,
    pub matchers: Vec<CompiledMatcher>,
    pub check: Option<CheckFn>,
    pub context_name: Option<regex::Regex>,
    /// `exclude_paste`, compiled like the matchers' patterns.
    pub exclude_paste: Vec<RuleRegex>,
    /// Each remediation step's commands, compiled with their placeholders' shell contexts.
    pub commands: Commands,
}

/// A rule's commands per remediation step: compiled at load for a user rule (a broken
/// one is reported with its file), on first use for a built-in one (only rules with a
/// finding render commands; the tests compile them all ahead).
#[derive(Clone, Debug)]
pub struct Commands {
    steps: Vec<Vec<String>>,
    kinds: std::collections::BTreeMap<String, crate::render::shell::Kind>,
    compiled: std::sync::OnceLock<Vec<Vec<Command>>>,
}

impl Commands {
    fn lazy(spec: &RuleSpec) -> Commands {
        Commands {
            steps: spec
                .remediation
                .iter()
                .map(|s| s.commands.clone())
                .collect(),
            kinds: spec.kinds.clone(),
            compiled: std::sync::OnceLock::new(),
        }
    }
}

impl std::ops::Deref for Commands {
    type Target = Vec<Vec<Command>>;

    fn deref(&self) -> &Vec<Vec<Command>> {
        self.compiled.get_or_init(|| {
            self.steps
                .iter()
                .map(|cmds| {
                    cmds.iter()
                        .filter_map(|c| {
                            crate::render::guarded(|| Command::compile_as(c, &self.kinds, false))
                                .and_then(Result::ok)
                        })
                        .collect()
                })
                .collect()
        })
    }
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule")
            .field("id", &self.spec.id)
            .field("origin", &self.origin)
            .finish()
    }
}

/// A rule file that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct RuleError {
    /// The rule file.
    pub path: String,
    pub message: String,
}

/// Every loaded rule, in ID order.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    pub rules: Vec<Rule>,
    /// The rules' patterns compiled for one pass, built on first use and reused by every
    /// bundle analyzed with this catalogue (batch runs, fuzzing).
    compiled: std::sync::OnceLock<Compiled>,
    /// The log and attachment patterns as sets for pasted text, built on first use.
    paste_sets: std::sync::OnceLock<crate::matchers::attachment::PasteSets>,
}

/// Every rule's patterns, compiled per source.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// Log and attachment patterns, matched while the bundle streams.
    pub plan: crate::scan::ScanPlan,
    /// For each pattern of `plan`, its rule and matcher.
    pub origins: Vec<crate::matchers::Origin>,
    pub events: crate::matchers::SourceSet,
    pub statuses: crate::matchers::SourceSet,
    pub manifest_errors: crate::matchers::SourceSet,
}

impl Compiled {
    /// Compiles the event, container status and manifest error sets now.
    pub fn warm_sets(&self) {
        self.events.warm();
        self.statuses.warm();
        self.manifest_errors.warm();
    }
}

impl Catalogue {
    /// The built-in catalogue. Errors here are bugs caught by the meta-tests. Its text
    /// patterns compile on first use and its templates are not compiled ahead: the
    /// catalogue's tests check both ([`Catalogue::builtin_checked`]).
    pub fn builtin() -> (Catalogue, Vec<RuleError>) {
        Catalogue::builtin_with(Load::Builtin)
    }

    /// The built-in catalogue with every regex and template compiled at load, as a user
    /// rule is: what the tests use to prove [`Catalogue::builtin`] safe.
    pub fn builtin_checked() -> (Catalogue, Vec<RuleError>) {
        Catalogue::builtin_with(Load::Everything)
    }

    fn builtin_with(load: Load) -> (Catalogue, Vec<RuleError>) {
        use rayon::prelude::*;
        let mut errors = Vec::new();
        let mut rules = Vec::new();
        // Rules compile independently: regexes and templates of each on its own thread.
        let compiled: Vec<_> = EMBEDDED
            .par_iter()
            .map(|e| {
                let origin = format!("rules/{}", e.dir);
                let area = e.dir.split('/').next().unwrap_or("").to_string();
                let text = match e.json {
                    Some(json) => RuleText::Json(json),
                    None => RuleText::Yaml(e.yaml),
                };
                compile_with(text, &origin, &area, e.readme, load)
            })
            .collect();
        for c in compiled {
            match c {
                Ok(r) => rules.push(r),
                Err(errs) => errors.extend(errs),
            }
        }
        let mut cat = Catalogue::new(rules);
        cat.finish(&mut errors);
        (cat, errors)
    }

    /// The patterns that failed to compile on first use in this process (parsed at load,
    /// but over the compiled size limit): each matched nothing. One issue per pattern,
    /// naming its rule file.
    pub fn pattern_failures(&self) -> Vec<crate::ReadIssue> {
        let mut out: Vec<crate::ReadIssue> = Vec::new();
        let mut push = |rule: &Rule, pattern: &str, why: &str| {
            let message = format!("bad regex {pattern:?}: {why}; it matched nothing in this run");
            if !out
                .iter()
                .any(|i| i.file == rule.origin && i.message == message)
            {
                out.push(crate::ReadIssue {
                    file: rule.origin.clone(),
                    message,
                });
            }
        };
        for rule in &self.rules {
            for m in &rule.matchers {
                for r in m.patterns.iter().chain(&m.require).chain(&m.exclude) {
                    if let Some(why) = r.failure() {
                        push(rule, r.as_str(), why);
                    }
                }
            }
            for r in &rule.exclude_paste {
                if let Some(why) = r.failure() {
                    push(rule, r.as_str(), why);
                }
            }
        }
        if let Some(c) = self.compiled.get() {
            for (p, o) in c.plan.patterns().iter().zip(&c.origins) {
                for r in std::iter::once(&p.regex)
                    .chain(&p.require)
                    .chain(&p.exclude)
                {
                    if let Some(why) = r.failure() {
                        push(&self.rules[o.rule], r.as_str(), why);
                    }
                }
            }
        }
        out
    }

    /// Adds the rules found under `dir` (every `rule.yaml`, recursively).
    pub fn add_dir(&mut self, dir: &Path) -> Vec<RuleError> {
        let mut errors = Vec::new();
        let mut files = Vec::new();
        find_rule_files(dir, &mut files, 0);
        if files.is_empty() {
            errors.push(RuleError {
                path: dir.display().to_string(),
                message: "no rule.yaml found".into(),
            });
        }
        files.sort();
        // Read in order, compile in parallel (every regex and template of a user rule
        // compiles at load), then add in order.
        let mut texts = Vec::new();
        for f in files {
            let path = f.display().to_string();
            let len = std::fs::metadata(&f).map(|m| m.len()).unwrap_or(0);
            if len > MAX_RULE_FILE_BYTES as u64 {
                errors.push(RuleError {
                    path,
                    message: too_big(len as usize),
                });
                continue;
            }
            let yaml = match std::fs::read_to_string(&f) {
                Ok(y) => y,
                Err(e) => {
                    errors.push(RuleError {
                        path,
                        message: e.to_string(),
                    });
                    continue;
                }
            };
            let readme = f
                .parent()
                .map(|p| p.join("README.md"))
                .and_then(|p| std::fs::read_to_string(p).ok())
                .unwrap_or_default();
            texts.push((f, path, yaml, readme));
        }
        let compiled: Vec<_> = {
            use rayon::prelude::*;
            texts
                .par_iter()
                .map(|(_, path, yaml, readme)| compile(yaml, path, "user", readme))
                .collect()
        };
        for ((f, path, _, _), c) in texts.into_iter().zip(compiled) {
            match c {
                Ok(r) => {
                    let folder = f
                        .parent()
                        .and_then(|p| p.file_name())
                        .map(|n| n.to_string_lossy().into_owned());
                    if folder.as_deref() != Some(r.spec.id.as_str()) {
                        errors.push(RuleError {
                            path: path.clone(),
                            message: format!("id '{}' differs from its folder name", r.spec.id),
                        });
                    }
                    if let Some(pos) = self.rules.iter().position(|x| x.spec.id == r.spec.id) {
                        errors.push(RuleError {
                            path: path.clone(),
                            message: format!(
                                "id '{}' is already defined by {}; this file replaces it",
                                r.spec.id, self.rules[pos].origin
                            ),
                        });
                        self.rules.remove(pos);
                    }
                    self.rules.push(r);
                }
                Err(errs) => errors.extend(errs),
            }
        }
        self.finish(&mut errors);
        errors
    }

    fn finish(&mut self, errors: &mut Vec<RuleError>) {
        self.compiled = Default::default();
        self.paste_sets = Default::default();
        self.rules.sort_by(|a, b| a.spec.id.cmp(&b.spec.id));
        let mut seen = HashSet::new();
        for r in &self.rules {
            if !seen.insert(r.spec.id.clone()) {
                errors.push(RuleError {
                    path: r.origin.clone(),
                    message: format!("duplicate rule id '{}'", r.spec.id),
                });
            }
        }
        let ids: HashSet<&str> = self.rules.iter().map(|r| r.spec.id.as_str()).collect();
        for r in &self.rules {
            for s in &r.spec.supersedes {
                if !ids.contains(s.as_str()) {
                    errors.push(RuleError {
                        path: r.origin.clone(),
                        message: format!("supersedes unknown rule '{s}'"),
                    });
                }
            }
        }
    }

    /// A catalogue of these rules.
    pub fn new(rules: Vec<Rule>) -> Catalogue {
        Catalogue {
            rules,
            compiled: Default::default(),
            paste_sets: Default::default(),
        }
    }

    /// The log and attachment patterns for pasted text (built once, then shared).
    pub fn paste_sets(&self) -> &crate::matchers::attachment::PasteSets {
        self.paste_sets
            .get_or_init(|| crate::matchers::attachment::PasteSets::new(self))
    }

    /// The rules' patterns compiled for one pass (built once, then shared).
    pub fn compiled(&self) -> &Compiled {
        self.compiled.get_or_init(|| {
            use crate::matchers::SourceSet;
            let ((plan, origins), (events, (statuses, manifest_errors))) = rayon::join(
                || crate::engine::scan_plan(self),
                || {
                    rayon::join(
                        || SourceSet::new(self, Source::Event),
                        || {
                            rayon::join(
                                || SourceSet::new(self, Source::ContainerStatus),
                                || SourceSet::new(self, Source::ManifestError),
                            )
                        },
                    )
                },
            );
            Compiled {
                plan,
                origins,
                events,
                statuses,
                manifest_errors,
            }
        })
    }

    /// A rule by ID.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.spec.id == id)
    }
}

fn find_rule_files(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    if depth > 8 {
        return;
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() && p.file_name().is_some_and(|n| n != "cases") {
            find_rule_files(&p, out, depth + 1);
        } else if ft.is_file() && p.file_name().is_some_and(|n| n == "rule.yaml") {
            out.push(p);
        }
    }
}

/// Bytes a rule file may have; larger files are refused unread.
pub const MAX_RULE_FILE_BYTES: usize = 256 * 1024;
/// Nesting a rule file may have (block indentation levels, sequence entries and flow
/// brackets together); the catalogue's deepest is 6.
pub const MAX_RULE_NESTING: usize = 32;

fn too_big(len: usize) -> String {
    format!("rule file is {len} bytes, over the limit of {MAX_RULE_FILE_BYTES}")
}

/// An upper bound of a YAML text's nesting, found without parsing it: indentation levels,
/// `- ` entries opened on one line, and `[`/`{` outside quoted scalars.
fn yaml_nesting(yaml: &str) -> usize {
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    let mut max = 0usize;
    for line in yaml.lines() {
        let body = line.trim_start_matches(' ');
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = line.len() - body.len();
        if flow == 0 {
            while indents.last().is_some_and(|i| *i >= indent) {
                indents.pop();
            }
            indents.push(indent);
        }
        let mut rest = body;
        let mut dashes = 0;
        while let Some(r) = rest.strip_prefix("- ") {
            dashes += 1;
            rest = r.trim_start_matches(' ');
        }
        let mut quote: Option<char> = None;
        let mut prev = ' ';
        let mut escaped = false;
        for c in rest.chars() {
            match quote {
                Some('"') if escaped => escaped = false,
                Some('"') if c == '\\' => escaped = true,
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if (c == '"' || c == '\'') && " [{,:".contains(prev) => quote = Some(c),
                None if c == '#' && prev == ' ' => break,
                None if c == '[' || c == '{' => flow += 1,
                None if c == ']' || c == '}' => flow = flow.saturating_sub(1),
                None => {}
            }
            max = max.max(indents.len() + dashes + flow);
            prev = c;
        }
        max = max.max(indents.len() + dashes + flow);
    }
    max
}

/// Compiles one rule file (a user's); every problem in it is returned. Templates compile
/// now; text patterns are parsed now and compile on first use.
pub fn compile(yaml: &str, origin: &str, area: &str, readme: &str) -> Result<Rule, Vec<RuleError>> {
    compile_with(RuleText::Yaml(yaml), origin, area, readme, Load::User)
}

/// How much of a rule is compiled at load.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Load {
    /// A built-in rule in a run: patterns compile on first use, templates are not
    /// test-compiled (the tests do both).
    Builtin,
    /// A user rule: templates compile, patterns are parsed (compiled on first use).
    User,
    /// Everything compiled now: what the tests prove the built-in catalogue with.
    Everything,
}

/// A rule file's text: YAML as written, or JSON converted from it at build time.
#[derive(Clone, Copy)]
enum RuleText<'a> {
    Yaml(&'a str),
    Json(&'a str),
}

fn compile_with(
    text: RuleText<'_>,
    origin: &str,
    area: &str,
    readme: &str,
    load: Load,
) -> Result<Rule, Vec<RuleError>> {
    let eager = load != Load::Builtin;
    let err = |message: String| RuleError {
        path: origin.to_string(),
        message,
    };
    let spec: RuleSpec = match text {
        RuleText::Yaml(yaml) => {
            if yaml.len() > MAX_RULE_FILE_BYTES {
                return Err(vec![err(too_big(yaml.len()))]);
            }
            let depth = yaml_nesting(yaml);
            if depth > MAX_RULE_NESTING {
                return Err(vec![err(format!(
                    "rule file nests {depth} levels deep, over the limit of {MAX_RULE_NESTING}"
                ))]);
            }
            serde_yaml::from_str(yaml).map_err(|e| vec![err(format!("invalid rule file: {e}"))])?
        }
        // The built-in catalogue, converted from its YAML by the build.
        RuleText::Json(json) => {
            serde_json::from_str(json).map_err(|e| vec![err(format!("invalid rule file: {e}"))])?
        }
    };
    let mut errors = Vec::new();
    if spec.id.is_empty()
        || !spec
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        errors.push(err(format!(
            "id '{}' must be lower-case letters, digits and '-'",
            spec.id
        )));
    }
    if spec.matchers.is_empty() && spec.check.is_none() {
        errors.push(err("a rule needs `match`, `check`, or both".into()));
    }
    let check = match &spec.check {
        Some(name) => match checks::lookup(name) {
            Some(f) => Some(f),
            None => {
                errors.push(err(format!(
                    "unknown check '{name}' (known: {})",
                    checks::names().join(", ")
                )));
                None
            }
        },
        None => None,
    };
    let re = |p: &str, errors: &mut Vec<RuleError>| match regex::RegexBuilder::new(p)
        .size_limit(16 << 20)
        .build()
    {
        Ok(r) => Some(r),
        Err(e) => {
            errors.push(err(format!("bad regex {p:?}: {e}")));
            None
        }
    };
    let lazy_re = |p: &str, errors: &mut Vec<RuleError>| {
        let r = match load {
            Load::Builtin => return Some(RuleRegex::new(p)),
            Load::User => RuleRegex::checked(p),
            Load::Everything => RuleRegex::compiled(p),
        };
        match r {
            Ok(r) => Some(r),
            Err(e) => {
                errors.push(err(format!("bad regex {p:?}: {e}")));
                None
            }
        }
    };
    let mut matchers = Vec::new();
    for m in &spec.matchers {
        if m.patterns.is_empty() {
            errors.push(err(
                "a matcher needs at least one pattern (use \"\" to accept any text)".into(),
            ));
        }
        if m.source == Source::Log || m.source == Source::Attachment {
            // Line patterns are matched per line; a pattern spanning lines could never match.
            for p in &m.patterns {
                if p.contains("\\n") {
                    errors.push(err(format!("line pattern {p:?} cannot contain \\n")));
                }
            }
        }
        let patterns = m
            .patterns
            .iter()
            .filter_map(|p| lazy_re(p, &mut errors))
            .collect();
        let require = m
            .require
            .iter()
            .filter_map(|p| lazy_re(p, &mut errors))
            .collect();
        let exclude = m
            .exclude
            .iter()
            .filter_map(|p| lazy_re(p, &mut errors))
            .collect();
        let pod_name = m
            .pods
            .as_ref()
            .and_then(|f| f.name.as_deref())
            .and_then(|p| re(p, &mut errors));
        matchers.push(CompiledMatcher {
            spec: m.clone(),
            patterns,
            require,
            exclude,
            pod_name,
        });
    }
    let exclude_paste = spec
        .exclude_paste
        .iter()
        .filter_map(|p| lazy_re(p, &mut errors))
        .collect();
    let context_name = spec
        .context_logs
        .as_ref()
        .and_then(|c| c.name.as_deref())
        .and_then(|p| re(p, &mut errors));
    // Templates compile now, so a broken one is reported at load, not mid-report.
    let env = crate::render::template_env();
    let mut templates: Vec<(&str, String)> = Vec::new();
    for (lang, t) in [
        ("en", Some(&spec.summary.en)),
        ("ja", spec.summary.ja.as_ref()),
        ("ko", spec.summary.ko.as_ref()),
    ] {
        if let Some(t) = t {
            templates.push(("summary", format!("{lang}: {t}")));
        }
    }
    let commands = Commands::lazy(&spec);
    let mut compiled_commands = Vec::new();
    for step in &spec.remediation {
        if eager {
            let mut compiled = Vec::new();
            for c in &step.commands {
                let cmd = crate::render::guarded(|| Command::compile_as(c, &spec.kinds, true))
                    .unwrap_or_else(|| Err("the command lexer failed on it".into()));
                match cmd {
                    Ok(cmd) => compiled.push(cmd),
                    Err(e) => errors.push(err(format!("bad command {c:?}: {e}"))),
                }
            }
            compiled_commands.push(compiled);
        }
        for t in [
            Some(&step.text.en),
            step.text.ja.as_ref(),
            step.text.ko.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            templates.push(("remediation text", t.clone()));
        }
        if let Some(w) = step.when.as_ref().filter(|_| eager) {
            let compiled = crate::render::check_expression(w).and_then(|()| {
                crate::render::guarded(|| {
                    env.compile_expression(w)
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                })
                .unwrap_or_else(|| Err("the template engine failed on it".into()))
            });
            if let Err(e) = compiled {
                errors.push(err(format!("bad `when` expression {w:?}: {e}")));
            }
        }
    }
    for (what, t) in templates.into_iter().filter(|_| eager) {
        let compiled = crate::render::guarded(|| {
            env.template_from_str(&t)
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .unwrap_or_else(|| Err("the template engine failed on it".into()));
        if let Err(e) = compiled {
            errors.push(err(format!("bad {what} template {t:?}: {e}")));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if eager {
        let _ = commands.compiled.set(compiled_commands);
    }
    Ok(Rule {
        spec,
        origin: origin.to_string(),
        area: area.to_string(),
        readme: readme.to_string(),
        matchers,
        check,
        context_name,
        exclude_paste,
        commands,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str = r#"
id: demo
severity: warning
title: {en: "t"}
summary: {en: "s"}
explanation: {en: "e"}
match:
  - source: event
    patterns: ["x"]
remediation:
  - when: WHEN
    text: {en: "step"}
"#;

    /// A user pattern that parses but compiles over the size limit loads (patterns are
    /// parsed at load, compiled on first use), matches nothing, and the run reports it
    /// with the rule's file; the other rules of the run still fire.
    #[test]
    fn a_user_pattern_too_large_to_compile_is_reported_by_the_run_that_needed_it() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("demo");
        std::fs::create_dir_all(&dir).unwrap();
        // Every event message holds "e" (the literal): the pattern is tried and compiled.
        let yaml = RULE
            .replace("WHEN", "\"true\"")
            .replace(r#"patterns: ["x"]"#, r#"patterns: ['e\w{1000}{1000}']"#);
        std::fs::write(dir.join("rule.yaml"), yaml).unwrap();
        let (mut cat, _) = Catalogue::builtin();
        let errors = cat.add_dir(tmp.path());
        assert!(errors.is_empty(), "{errors:?}");
        let bundle =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/keyvault-nmi");
        let analysis =
            crate::analyze(&bundle, &cat, &crate::AnalyzeOptions::default()).expect("analyzes");
        let path = dir.join("rule.yaml").display().to_string();
        let issue = analysis
            .report
            .errors
            .iter()
            .find(|e| e.file == path)
            .unwrap_or_else(|| panic!("no issue for {path}: {:?}", analysis.report.errors));
        assert!(issue.message.contains("size limit"), "{}", issue.message);
        assert!(
            issue.message.contains("matched nothing"),
            "{}",
            issue.message
        );
        assert!(
            analysis
                .report
                .findings
                .iter()
                .any(|f| f.rule.starts_with("kv-")),
            "the built-in rules still fire"
        );
        assert!(!analysis.report.findings.iter().any(|f| f.rule == "demo"));
    }

    /// Regression: the `rule_loader` fuzzer (fuzz/artifacts/rule_loader/crash-d1fa9f28...)
    /// found that `}}` in a `when:` expression panicked inside minijinja.
    #[test]
    fn template_delimiters_in_when_are_an_error_not_a_panic() {
        for when in [
            r#""exit_code == '' or exit_code }} '127'""#,
            r#""a %} b""#,
            r#""{{ x }}""#,
        ] {
            let yaml = RULE.replace("WHEN", when);
            let errs = compile(&yaml, "user/demo/rule.yaml", "user", "").unwrap_err();
            assert!(
                errs.iter()
                    .any(|e| e.message.contains("bad `when` expression")),
                "{errs:?}"
            );
        }
    }

    /// Issue 17 item 6: a hostile rule folder (deep nesting, a billion laughs, a huge file,
    /// a runaway template) fails fast, every file with its path, all at once.
    #[test]
    fn hostile_rule_files_fail_fast_with_their_paths() {
        let tmp = tempfile::tempdir().unwrap();
        let base = RULE.replace("WHEN", "\"ok\"");
        let deep_flow = format!(
            "{base}references: {}{}\n",
            "[".repeat(5000),
            "]".repeat(5000)
        );
        let mut deep_block = base.clone() + "explanation2:\n";
        for i in 0..200 {
            deep_block.push_str(&format!("{}k{i}:\n", " ".repeat(i + 1)));
        }
        let laughs = {
            let mut y = String::from("a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
            for i in 1..10 {
                let prev = format!("*a{}", i - 1);
                y.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 9].join(",")));
            }
            format!("{base}summary2: *a9\n{y}")
        };
        let huge = format!("{base}# {}\n", "x".repeat(MAX_RULE_FILE_BYTES));
        let runaway = base.replace(
            "text: {en: \"step\"}",
            "text: {en: \"{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\"}",
        );
        let cases = [
            ("deep-flow", deep_flow, "nests"),
            ("deep-block", deep_block, "nests"),
            ("laughs", laughs, "invalid rule file"),
            ("huge", huge, "over the limit"),
        ];
        for (name, yaml, _) in &cases {
            let dir = tmp.path().join(name);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("rule.yaml"), yaml).unwrap();
        }
        let start = std::time::Instant::now();
        let mut cat = Catalogue::default();
        let errors = cat.add_dir(tmp.path());
        for (name, _, expect) in &cases {
            let path = tmp
                .path()
                .join(name)
                .join("rule.yaml")
                .display()
                .to_string();
            assert!(
                errors
                    .iter()
                    .any(|e| e.path == path && e.message.contains(expect)),
                "{name}: {errors:?}"
            );
        }
        assert!(cat.rules.is_empty());
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "{:?}",
            start.elapsed()
        );
        // A template that would run forever loads (it is valid) but renders within its fuel.
        let rule = compile(
            &runaway.replace("id: demo", "id: runaway"),
            "runaway/rule.yaml",
            "user",
            "",
        )
        .unwrap();
        let t = rule.spec.remediation[0].text.get("en");
        assert_eq!(crate::render::render_text(t, &serde_json::json!({})), t);
    }

    /// `Catalogue::builtin` skips the checks of load (its regexes compile on first use, its
    /// templates at render): this is what proves it may.
    #[test]
    fn the_builtin_catalogue_passes_every_check_of_load() {
        let (checked, errors) = Catalogue::builtin_checked();
        assert!(errors.is_empty(), "{errors:?}");
        let (lazy, errors) = Catalogue::builtin();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(lazy.rules.len(), checked.rules.len());
        let mut n = 0;
        for r in &lazy.rules {
            for p in &r.exclude_paste {
                assert!(!p.is_compiled(), "{} compiled at load", p.as_str());
                assert!(regex::Regex::new(p.as_str()).is_ok(), "{}", p.as_str());
            }
        }
        for m in lazy.rules.iter().flat_map(|r| &r.matchers) {
            for p in m.patterns.iter().chain(&m.require).chain(&m.exclude) {
                assert!(!p.is_compiled(), "{} compiled at load", p.as_str());
                let bytes: lazy::Lazy<regex::bytes::Regex> = lazy::Lazy::new(p.as_str());
                assert!(bytes.try_get().is_ok(), "{}", p.as_str());
                n += 1;
            }
        }
        assert!(n > 100, "{n} patterns");
    }

    /// The JSON the build converted each built-in rule to reads as the same rule as
    /// its YAML.
    #[test]
    fn every_builtin_rule_reads_the_same_from_its_json_as_from_its_yaml() {
        for e in EMBEDDED {
            let json = e.json.unwrap_or_else(|| panic!("{}: no JSON", e.dir));
            let from_yaml: RuleSpec = serde_yaml::from_str(e.yaml).unwrap();
            let from_json: RuleSpec = serde_json::from_str(json).unwrap();
            assert_eq!(
                format!("{from_yaml:?}"),
                format!("{from_json:?}"),
                "{}",
                e.dir
            );
        }
        assert!(EMBEDDED.len() >= 72, "{} rules", EMBEDDED.len());
    }

    #[test]
    fn nesting_of_the_catalogue_is_far_below_the_limit() {
        for e in EMBEDDED {
            let d = yaml_nesting(e.yaml);
            assert!(d <= 8, "{}: {d}", e.dir);
        }
    }

    #[test]
    fn every_problem_of_a_rule_file_is_reported_with_its_path() {
        let yaml = RULE
            .replace("WHEN", "\"ok\"")
            .replace("patterns: [\"x\"]", "patterns: [\"(\"]")
            .replace("summary: {en: \"s\"}", "summary: {en: \"{{ unclosed\"}");
        let errs = compile(&yaml, "user/demo/rule.yaml", "user", "").unwrap_err();
        assert!(errs.len() >= 2, "{errs:?}");
        assert!(errs.iter().all(|e| e.path == "user/demo/rule.yaml"));
        assert!(errs.iter().any(|e| e.message.contains("bad regex")));
        assert!(errs
            .iter()
            .any(|e| e.message.contains("bad summary template")));
    }
}
