//! Text matchers, one file per source. Each source gets one `RegexSet` over the patterns
//! of every rule, so a message is run through one automaton whatever the catalogue's size;
//! only the patterns that matched are re-run for their captures.

pub mod attachment;
pub mod event;
pub mod log;
pub mod manifest;
pub mod status;

use std::collections::BTreeMap;

use regex::RegexSet;

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

/// All patterns of one source across the catalogue.
#[derive(Debug, Clone)]
pub struct SourceSet {
    set: RegexSet,
    origins: Vec<Origin>,
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
        let set = regex::RegexSetBuilder::new(&pats)
            .size_limit(64 << 20)
            .dfa_size_limit(64 << 20)
            .build()
            .unwrap_or_else(|_| RegexSet::empty());
        SourceSet { set, origins }
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
        for id in self.set.matches(text).iter() {
            let o = self.origins[id];
            // One hit per matcher even when several of its patterns match.
            if done_matchers.contains(&(o.rule, o.matcher)) {
                continue;
            }
            let m = &catalogue.rules[o.rule].matchers[o.matcher];
            if !m.require.iter().all(|r| r.is_match(text))
                || m.exclude.iter().any(|r| r.is_match(text))
            {
                continue;
            }
            let Some(caps) = m.patterns[o.pattern].captures(text) else {
                continue;
            };
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
