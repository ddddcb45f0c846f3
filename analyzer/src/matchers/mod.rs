//! Text matchers, one file per source. Each source gets one literal search over the
//! patterns of every rule: a message is searched once for the literals each pattern's
//! matches must contain (see [`crate::prefilter`]), and only the patterns whose literals
//! it holds (and the few that have none) are run, each compiled on its first use. A bundle
//! whose events are all routine compiles next to nothing.

pub mod attachment;
pub mod event;
pub mod log;
pub mod manifest;
pub mod status;

use std::collections::BTreeMap;

use crate::engine::Hit;
use crate::index::Index;
use crate::rules::spec::{PodFilter, Source};
use crate::rules::{Catalogue, CompiledMatcher};

/// Where a pattern of a source's set came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub rule: usize,
    pub matcher: usize,
    pub pattern: usize,
}

/// All patterns of one source across the catalogue, searched by their literals (the
/// search is built on first use: a bundle without events never builds the event one).
#[derive(Debug, Clone)]
pub struct SourceSet {
    patterns: Vec<String>,
    gate: std::sync::OnceLock<Gate>,
    origins: Vec<Origin>,
    /// Texts come line after line (log and attachment patterns over pasted text).
    lines: bool,
}

/// Which of a list of patterns a text may match, by the literals every match of each
/// must contain ([`crate::prefilter`]): the object sources' and pasted text's search here,
/// and the scanner's per-line choice of patterns (`scan::ClassPlan`).
#[derive(Debug, Clone)]
pub(crate) struct LiteralIndex {
    /// The distinct literals, lower-cased.
    literals: Vec<Vec<u8>>,
    /// The same, searched ASCII case-insensitively; `None` when there is none.
    search: Option<aho_corasick::AhoCorasick>,
    /// The patterns (indices into the list) each literal stands for.
    of_literal: Vec<Vec<usize>>,
    /// The patterns without a required literal, ascending.
    pub(crate) always: Vec<usize>,
    /// How many patterns the list has.
    n: usize,
}

impl LiteralIndex {
    /// Indexes each pattern's literals (`None`: it has none). `kind` is the automaton:
    /// a contiguous NFA builds fast for a few short texts; a DFA searches faster when
    /// texts come line after line.
    pub(crate) fn new<'a>(
        each: impl IntoIterator<Item = Option<&'a [Vec<u8>]>>,
        kind: aho_corasick::AhoCorasickKind,
    ) -> Result<LiteralIndex, aho_corasick::BuildError> {
        let mut ids: std::collections::HashMap<&[u8], usize> = Default::default();
        let mut literals: Vec<Vec<u8>> = Vec::new();
        let mut of_literal: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        let mut n = 0;
        for (i, lits) in each.into_iter().enumerate() {
            n = i + 1;
            let Some(lits) = lits else {
                always.push(i);
                continue;
            };
            for l in lits {
                let id = *ids.entry(l.as_slice()).or_insert_with(|| {
                    literals.push(l.clone());
                    of_literal.push(Vec::new());
                    literals.len() - 1
                });
                if of_literal[id].last() != Some(&i) {
                    of_literal[id].push(i);
                }
            }
        }
        let search = if literals.is_empty() {
            None
        } else {
            Some(
                aho_corasick::AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .kind(Some(kind))
                    .build(&literals)?,
            )
        };
        Ok(LiteralIndex {
            literals,
            search,
            of_literal,
            always,
            n,
        })
    }

    /// The distinct literals, lower-cased.
    pub(crate) fn literals(&self) -> &[Vec<u8>] {
        &self.literals
    }

    /// True when `text` holds one of the literals.
    pub(crate) fn any(&self, text: &[u8]) -> bool {
        self.search.as_ref().is_some_and(|ac| ac.is_match(text))
    }

    /// The patterns whose literals `text` holds, plus those without literals when
    /// `with_always`; ascending.
    pub(crate) fn patterns(&self, text: &[u8], with_always: bool) -> Vec<usize> {
        let mut hit = vec![false; self.n];
        if with_always {
            for &i in &self.always {
                hit[i] = true;
            }
        }
        if let Some(ac) = &self.search {
            for m in ac.find_overlapping_iter(text) {
                for &i in &self.of_literal[m.pattern().as_usize()] {
                    hit[i] = true;
                }
            }
        }
        (0..self.n).filter(|&i| hit[i]).collect()
    }
}

/// Which patterns of a source may match a text.
#[derive(Debug, Clone)]
enum Gate {
    Literals(LiteralIndex),
    /// No literal automaton could be built: every pattern runs.
    All(usize),
}

impl Gate {
    /// `lines`: the source is searched line by line in bulk (pasted logs, node files):
    /// worth a DFA's longer build.
    fn new(patterns: &[String], lines: bool) -> Gate {
        let lits: Vec<Option<Vec<Vec<u8>>>> = patterns
            .iter()
            .map(|p| crate::prefilter::required_literals(p))
            .collect();
        // Events and states are few short texts: an NFA builds in a fraction of a DFA's
        // time. Pasted logs and node files are searched line after line.
        let kind = if lines {
            aho_corasick::AhoCorasickKind::DFA
        } else {
            aho_corasick::AhoCorasickKind::ContiguousNFA
        };
        match LiteralIndex::new(lits.iter().map(Option::as_deref), kind) {
            Ok(index) => Gate::Literals(index),
            Err(_) => Gate::All(patterns.len()),
        }
    }

    /// The patterns that may match `text`, ascending.
    fn candidates(&self, text: &str) -> Vec<usize> {
        match self {
            Gate::All(n) => (0..*n).collect(),
            // No literal: only the patterns without one.
            Gate::Literals(index) if !index.any(text.as_bytes()) => index.always.clone(),
            Gate::Literals(index) => index.patterns(text.as_bytes(), true),
        }
    }
}

impl SourceSet {
    /// Collects every pattern of `source`.
    pub fn new(catalogue: &Catalogue, source: Source) -> SourceSet {
        let mut pats = Vec::new();
        let mut origins = Vec::new();
        for (ri, rule) in catalogue.rules.iter().enumerate() {
            for (mi, m) in rule.matchers.iter().enumerate() {
                if m.spec.source != source {
                    continue;
                }
                for (pi, p) in m.patterns.iter().enumerate() {
                    pats.push(p.as_str().to_string());
                    origins.push(Origin {
                        rule: ri,
                        matcher: mi,
                        pattern: pi,
                    });
                }
            }
        }
        SourceSet {
            patterns: pats,
            gate: std::sync::OnceLock::new(),
            origins,
            lines: matches!(source, Source::Log | Source::Attachment),
        }
    }

    /// The literal search.
    fn gate(&self) -> &Gate {
        self.gate
            .get_or_init(|| Gate::new(&self.patterns, self.lines))
    }

    /// Builds the literal search now (on another thread while the bundle is read).
    pub fn warm(&self) {
        if !self.is_empty() {
            self.gate();
        }
    }

    /// True when no rule reads this source.
    pub fn is_empty(&self) -> bool {
        self.origins.is_empty()
    }

    /// Patterns matching `text`, with their captures, after `require`/`exclude`.
    pub fn matches<'c>(
        &self,
        catalogue: &'c Catalogue,
        text: &str,
    ) -> Vec<(Origin, &'c CompiledMatcher, BTreeMap<String, String>)> {
        let mut out = Vec::new();
        if self.origins.is_empty() {
            return out;
        }
        let mut done_matchers: Vec<(usize, usize)> = Vec::new();
        for id in self.gate().candidates(text) {
            let o = self.origins[id];
            // One hit per matcher even when several of its patterns match.
            if done_matchers.contains(&(o.rule, o.matcher)) {
                continue;
            }
            let m = &catalogue.rules[o.rule].matchers[o.matcher];
            let Some(caps) = m.patterns[o.pattern].captures(text) else {
                continue;
            };
            if !m.require.iter().all(|r| r.is_match(text))
                || m.exclude.iter().any(|r| r.is_match(text))
            {
                continue;
            }
            done_matchers.push((o.rule, o.matcher));
            out.push((o, m, captures_of(&m.patterns[o.pattern], &caps)));
        }
        out
    }
}

/// Named captures as facts.
pub fn captures_of(re: &regex::Regex, caps: &regex::Captures) -> BTreeMap<String, String> {
    re.capture_names()
        .flatten()
        .filter_map(|n| {
            caps.name(n)
                .map(|m| (n.to_string(), m.as_str().to_string()))
        })
        .collect()
}

/// True when a pod passes a matcher's pod filter. When the pod object is not in the
/// bundle, only a name pattern can vouch for it.
pub fn pod_ok(
    filter: Option<&PodFilter>,
    name_re: Option<&regex::Regex>,
    index: &Index,
    ns: &str,
    pod: &str,
) -> bool {
    pod_ok_with(filter, name_re, index.pod(ns, pod), ns, pod)
}

/// [`pod_ok`] with the pod object at hand (one the bundle holds, or what a pasted
/// `kubectl describe pod` says of it).
pub fn pod_ok_with(
    filter: Option<&PodFilter>,
    name_re: Option<&regex::Regex>,
    object: Option<&crate::model::Pod>,
    ns: &str,
    pod: &str,
) -> bool {
    let Some(f) = filter else { return true };
    if f.namespace.as_deref().is_some_and(|want| want != ns) {
        return false;
    }
    match object {
        Some(p) => {
            let identity_ok = (f.labels.is_empty() && name_re.is_none())
                || f.labels.iter().any(|set| p.matches_labels(set))
                || name_re.is_some_and(|r| r.is_match(pod));
            let driver_ok = f.volume_driver.as_deref().is_none_or(|d| {
                p.spec
                    .volumes
                    .iter()
                    .any(|v| v.csi.as_ref().is_some_and(|c| c.driver == d))
            });
            identity_ok && driver_ok
        }
        None => match name_re {
            Some(r) => r.is_match(pod),
            None => f.labels.is_empty(),
        },
    }
}

/// A source's matcher: every `(rule index, hit)` it finds.
type SourceFn = fn(&crate::engine::Inputs) -> Vec<(usize, Hit)>;

/// Hits of every rule for every source, indexed by rule.
pub fn all_hits(ctx: &crate::engine::Inputs) -> Vec<Vec<Hit>> {
    let n = ctx.catalogue.rules.len();
    let mut per_rule: Vec<Vec<Hit>> = vec![Vec::new(); n];
    let sources: [SourceFn; 5] = [
        event::hits,
        status::hits,
        log::hits,
        manifest::hits,
        attachment::hits,
    ];
    let results: Vec<Vec<(usize, Hit)>> = {
        use rayon::prelude::*;
        sources.par_iter().map(|f| f(ctx)).collect()
    };
    for r in results {
        for (rule, hit) in r {
            per_rule[rule].push(hit);
        }
    }
    per_rule
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every string of every JSON file and every line of every other text file of the
    /// rule cases and the holdout corpus: real event and status messages, log lines,
    /// pasted text.
    fn case_texts() -> Vec<String> {
        fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::String(s) if s.len() >= 8 => out.push(s.clone()),
                serde_json::Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
                serde_json::Value::Object(o) => o.values().for_each(|v| strings(v, out)),
                _ => {}
            }
        }
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            let Ok(rd) = std::fs::read_dir(dir) else {
                return;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(&p) else {
                    continue;
                };
                match serde_json::from_str::<serde_json::Value>(&text) {
                    Ok(v) if p.extension().is_some_and(|e| e == "json") => strings(&v, out),
                    _ => out.extend(text.lines().map(str::to_string)),
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut out = Vec::new();
        walk(&root.join("rules"), &mut out);
        walk(&root.join("testdata/wordings"), &mut out);
        out.sort();
        out.dedup();
        out
    }

    /// The literal search runs exactly the patterns a set of all of them reports, for
    /// every source and every real text of the cases: it never skips a pattern that
    /// matches.
    #[test]
    fn the_literal_search_skips_no_pattern_that_matches() {
        let (cat, errors) = Catalogue::builtin();
        assert!(errors.is_empty(), "{errors:?}");
        let texts = case_texts();
        assert!(texts.len() > 5_000, "{} texts", texts.len());
        let mut matched = 0;
        let mut skipped = 0;
        for source in [
            Source::Event,
            Source::ContainerStatus,
            Source::ManifestError,
            Source::Log,
            Source::Attachment,
        ] {
            let set = SourceSet::new(&cat, source);
            assert!(!set.is_empty(), "{source:?}");
            let all = regex::RegexSetBuilder::new(&set.patterns)
                .size_limit(64 << 20)
                .build()
                .expect("the catalogue's patterns compile");
            let gate = set.gate();
            assert!(
                matches!(gate, Gate::Literals(i) if !i.literals().is_empty()),
                "{source:?}: no literal at all"
            );
            for t in &texts {
                let want: Vec<usize> = all.matches(t).iter().collect();
                let cands = gate.candidates(t);
                for &w in &want {
                    assert!(
                        cands.contains(&w),
                        "{source:?}: pattern {} matches {t:?} but was not a candidate",
                        set.patterns[w]
                    );
                }
                matched += want.len();
                skipped += set.patterns.len() - cands.len();
            }
        }
        assert!(
            matched > 1_000,
            "only {matched} matches over the case texts"
        );
        assert!(
            skipped > matched,
            "the search skipped only {skipped} patterns"
        );
    }
}
