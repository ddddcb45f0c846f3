//! A literal prefilter for the line patterns, as ripgrep has: from each pattern's syntax
//! tree, the literals at least one of which every match contains. Blocks of log text are
//! searched for those literals with Aho-Corasick (case-insensitive), and only the lines a
//! literal occurs on are given to the regexes. Patterns without such literals are searched
//! with their own alternation.

use regex_syntax::hir::{Class, Hir, HirKind};

/// Literals shorter than this select too many lines to be worth it.
const MIN_LITERAL: usize = 3;

/// The literals (lower-cased ASCII) of which every match of `pattern` contains one, or
/// `None` when the pattern guarantees none long enough.
///
/// Case-insensitive letters are recognised by their ASCII pair (`[kK]`); the non-ASCII
/// members Unicode case folding adds (the Kelvin sign, the long s) are not searched for,
/// which no log line realistically relies on.
///
/// The built-in catalogue's patterns are answered from a table the build computed with
/// [`extract`] (start-up parses none of them); any other pattern is parsed now.
pub fn required_literals(pattern: &str) -> Option<Vec<Vec<u8>>> {
    #[cfg(aksbundle_literal_table)]
    if let Ok(i) = table::BUILTIN.binary_search_by(|(p, _)| (*p).cmp(pattern)) {
        return table::BUILTIN[i]
            .1
            .map(|lits| lits.iter().map(|l| l.to_vec()).collect());
    }
    extract(pattern)
}

/// The table of the built-in patterns' literals, written by `build.rs`.
#[cfg(aksbundle_literal_table)]
mod table {
    include!(concat!(env!("OUT_DIR"), "/literals.rs"));
}

/// [`required_literals`] computed from the pattern's syntax tree (what the build runs
/// for the built-in patterns; this file is also compiled into `build.rs`).
pub fn extract(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .ok()?;
    let lits = required(&hir)?;
    (score(&lits) >= MIN_LITERAL).then_some(lits)
}

fn required(h: &Hir) -> Option<Vec<Vec<u8>>> {
    match h.kind() {
        HirKind::Literal(l) => Some(vec![l.0.to_ascii_lowercase()]),
        HirKind::Class(c) => single_byte(c).map(|b| vec![vec![b]]),
        HirKind::Capture(c) => required(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => required(&r.sub),
        HirKind::Repetition(_) | HirKind::Empty | HirKind::Look(_) => None,
        HirKind::Alternation(alts) => {
            let mut out = Vec::new();
            for a in alts {
                out.extend(required(a)?);
            }
            Some(out)
        }
        HirKind::Concat(items) => {
            let mut best: Option<Vec<Vec<u8>>> = None;
            let mut consider = |cand: Vec<Vec<u8>>| {
                if best.as_ref().is_none_or(|b| better(&cand, b)) {
                    best = Some(cand);
                }
            };
            let mut run: Vec<u8> = Vec::new();
            for it in items {
                match literal_bytes(it) {
                    Some(bytes) => run.extend(bytes),
                    // Zero-width assertions do not break a run of text.
                    None if matches!(it.kind(), HirKind::Look(_)) => {}
                    None => {
                        if !run.is_empty() {
                            consider(vec![std::mem::take(&mut run)]);
                        }
                        if let Some(c) = required(it) {
                            consider(c);
                        }
                    }
                }
            }
            if !run.is_empty() {
                consider(vec![run]);
            }
            best
        }
    }
}

/// The bytes a node always matches exactly (a literal, or a one-letter class).
fn literal_bytes(h: &Hir) -> Option<Vec<u8>> {
    match h.kind() {
        HirKind::Literal(l) => Some(l.0.to_ascii_lowercase()),
        HirKind::Class(c) => single_byte(c).map(|b| vec![b]),
        _ => None,
    }
}

/// The ASCII byte a class stands for: one character, or one letter in both cases.
fn single_byte(c: &Class) -> Option<u8> {
    let mut ascii: Vec<u8> = Vec::new();
    match c {
        Class::Unicode(u) => {
            for r in u.iter() {
                for ch in r.start()..=r.end() {
                    if ch.is_ascii() {
                        ascii.push(ch as u8);
                    }
                    if ascii.len() > 2 {
                        return None;
                    }
                }
            }
        }
        Class::Bytes(b) => {
            for r in b.iter() {
                for byte in r.start()..=r.end() {
                    ascii.push(byte);
                    if ascii.len() > 2 {
                        return None;
                    }
                }
            }
        }
    }
    match ascii.as_slice() {
        [one] => Some(one.to_ascii_lowercase()),
        [a, b] if a.eq_ignore_ascii_case(b) => Some(a.to_ascii_lowercase()),
        _ => None,
    }
}

/// The shortest literal's length: what decides how selective a set is.
fn score(lits: &[Vec<u8>]) -> usize {
    lits.iter().map(Vec::len).min().unwrap_or(0)
}

fn better(a: &[Vec<u8>], b: &[Vec<u8>]) -> bool {
    (score(a), std::cmp::Reverse(a.len())) > (score(b), std::cmp::Reverse(b.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pattern of the built-in catalogue is in the build's table, with the
    /// literals the syntax tree gives.
    #[test]
    fn the_build_computed_every_builtin_pattern() {
        let (cat, _) = crate::Catalogue::builtin();
        let mut n = 0;
        for m in cat.rules.iter().flat_map(|r| &r.matchers) {
            for p in &m.patterns {
                let i = table::BUILTIN
                    .binary_search_by(|(q, _)| (*q).cmp(p.as_str()))
                    .unwrap_or_else(|_| panic!("{} is not in the table", p.as_str()));
                let from_table = table::BUILTIN[i]
                    .1
                    .map(|l| l.iter().map(|x| x.to_vec()).collect());
                assert_eq!(from_table, extract(p.as_str()), "{}", p.as_str());
                n += 1;
            }
        }
        assert!(n > 200, "{n} patterns");
    }

    fn lits(p: &str) -> Option<Vec<String>> {
        required_literals(p).map(|v| {
            v.into_iter()
                .map(|l| String::from_utf8(l).unwrap())
                .collect()
        })
    }

    #[test]
    fn optional_prefix_groups_leave_the_required_middle() {
        assert_eq!(
            lits(
                r"(?i)(?:client_id=(?P<c>[0-9a-f-]{36}).*?)?Identity not found(?:.*?client_id=(?P<d>[0-9a-f-]{36}))?"
            ),
            Some(vec!["identity not found".into()])
        );
    }

    #[test]
    fn alternations_give_one_literal_per_branch() {
        assert_eq!(
            lits(
                r"(?i)unable to connect to the server|the connection to the server \S+ was refused"
            ),
            Some(vec![
                "unable to connect to the server".into(),
                "the connection to the server ".into()
            ])
        );
    }

    #[test]
    fn the_longest_run_is_chosen_and_word_boundaries_do_not_break_it() {
        assert_eq!(
            lits(r"nmi response failed with status code: (?P<c>\d{3})"),
            Some(vec!["nmi response failed with status code: ".into()])
        );
        assert_eq!(lits(r"(?i)\bdial tcp\b"), Some(vec!["dial tcp".into()]));
    }

    #[test]
    fn patterns_without_a_long_enough_literal_have_none() {
        assert_eq!(lits(r"(?i)(?:foo)?\d+"), None);
        assert_eq!(lits(r"a|bc"), None);
        assert_eq!(lits(""), None);
    }

    #[test]
    fn every_literal_really_occurs_in_what_the_pattern_matches() {
        let cases = [
            (
                r"(?i)failed to get (?:key ?vault|kv) token: nmi response failed",
                "Failed to get KeyVault token: NMI response failed",
            ),
            (
                r"(?i)AADSTS(?P<a>70021\d*):?\s*No matching federated identity record found",
                "AADSTS70021: No matching federated identity record found",
            ),
        ];
        for (p, text) in cases {
            let l = required_literals(p).unwrap();
            let lower = text.to_ascii_lowercase();
            assert!(
                l.iter()
                    .any(|x| lower.contains(std::str::from_utf8(x).unwrap())),
                "{p}: {l:?}"
            );
        }
    }
}
