//! Regexes compiled on first use: a run compiles only the patterns a text of the bundle
//! may match (its literals occur in it). The built-in catalogue's patterns are compiled by
//! its tests. A user rule's patterns are parsed at load ([`Lazy::checked`]), so a broken
//! one is reported with its file before the run; what parsing cannot tell (a compiled
//! program over the size limit) is found on first use: the pattern then matches nothing
//! and [`Lazy::failure`] says why, which the run reports with the rule's file.

use std::sync::OnceLock;

/// A regex type a [`Lazy`] can hold.
pub trait Compile: Sized {
    fn compile(pattern: &str) -> Result<Self, regex::Error>;
    /// A regex that matches nothing: what a pattern that failed to compile becomes.
    fn never() -> Self;
}

/// An empty class: never matches, in either regex flavour.
const NEVER: &str = "[a&&b]";

/// Size limit of one rule regex's compiled program.
const SIZE_LIMIT: usize = 16 << 20;

impl Compile for regex::Regex {
    fn compile(pattern: &str) -> Result<Self, regex::Error> {
        regex::RegexBuilder::new(pattern)
            .size_limit(SIZE_LIMIT)
            .build()
    }

    fn never() -> Self {
        regex::Regex::new(NEVER).expect("static regex")
    }
}

impl Compile for regex::bytes::Regex {
    fn compile(pattern: &str) -> Result<Self, regex::Error> {
        regex::bytes::RegexBuilder::new(pattern)
            .size_limit(SIZE_LIMIT)
            .build()
    }

    fn never() -> Self {
        regex::bytes::Regex::new(NEVER).expect("static regex")
    }
}

/// A pattern and its regex, compiled now ([`Lazy::compiled`]) or on first use
/// ([`Lazy::new`], for patterns already known to compile).
#[derive(Debug, Clone)]
pub struct Lazy<R> {
    pattern: String,
    re: OnceLock<R>,
    /// Why the pattern failed to compile on first use (it then matches nothing).
    failed: OnceLock<String>,
}

impl<R: Compile> Lazy<R> {
    /// A pattern compiled on first use. Use it only for patterns known to compile (the
    /// built-in catalogue's, which its tests compile): a failure then is a bug, and panics.
    pub fn new(pattern: &str) -> Lazy<R> {
        Lazy {
            pattern: pattern.to_string(),
            re: OnceLock::new(),
            failed: OnceLock::new(),
        }
    }

    /// A pattern parsed now (its syntax, as the regex crate reads it) and compiled on
    /// first use: a user rule's. Parsing costs a small part of compiling.
    pub fn checked(pattern: &str) -> Result<Lazy<R>, regex::Error> {
        regex_syntax::ParserBuilder::new()
            .build()
            .parse(pattern)
            .map_err(|e| regex::Error::Syntax(e.to_string()))?;
        Ok(Lazy::new(pattern))
    }

    /// Why the pattern did not compile on first use, if it did not.
    pub fn failure(&self) -> Option<&str> {
        self.failed.get().map(String::as_str)
    }

    /// A pattern compiled now.
    pub fn compiled(pattern: &str) -> Result<Lazy<R>, regex::Error> {
        let re = OnceLock::new();
        let _ = re.set(R::compile(pattern)?);
        Ok(Lazy {
            pattern: pattern.to_string(),
            re,
            failed: OnceLock::new(),
        })
    }

    /// The pattern's text (compiles nothing).
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// The regex, compiled if it was not yet; an error for a pattern that does not compile.
    pub fn try_get(&self) -> Result<&R, regex::Error> {
        if let Some(r) = self.re.get() {
            return Ok(r);
        }
        let r = R::compile(&self.pattern)?;
        Ok(self.re.get_or_init(|| r))
    }

    /// True when the regex has been compiled.
    pub fn is_compiled(&self) -> bool {
        self.re.get().is_some()
    }
}

impl<R: Compile> std::ops::Deref for Lazy<R> {
    type Target = R;

    /// The regex; one that matches nothing when the pattern fails to compile (a user
    /// pattern that parsed but compiles over the size limit: see [`Lazy::failure`]).
    fn deref(&self) -> &R {
        match self.try_get() {
            Ok(r) => r,
            Err(e) => {
                let _ = self.failed.set(e.to_string());
                self.re.get_or_init(R::never)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lazy_regex_compiles_on_first_use_and_matches_like_the_regex() {
        let l: Lazy<regex::Regex> = Lazy::new(r"status code: (?P<c>\d+)");
        assert!(!l.is_compiled());
        assert_eq!(l.as_str(), r"status code: (?P<c>\d+)");
        assert!(!l.is_compiled(), "as_str must not compile");
        assert_eq!(&l.captures("x status code: 404").unwrap()["c"], "404");
        assert!(l.is_compiled());
    }

    #[test]
    fn a_pattern_that_parses_but_compiles_too_large_matches_nothing_and_says_why() {
        // Parses, but its compiled program is far over the size limit.
        let big = r"\w{1000}{1000}";
        let l = Lazy::<regex::Regex>::checked(big).expect("it parses");
        assert!(l.failure().is_none());
        assert!(!l.is_match(&"a".repeat(2000)));
        let why = l.failure().expect("the failure is kept");
        assert!(why.contains("size limit"), "{why}");
        let b: Lazy<regex::bytes::Regex> = Lazy::new(big);
        assert!(!b.is_match(b"aaaa"));
        assert!(b.failure().is_some());
        assert!(Lazy::<regex::Regex>::checked("(").is_err());
        assert!(Lazy::<regex::Regex>::checked("a(b").is_err());
    }

    #[test]
    fn a_broken_pattern_is_an_error_at_load_or_on_try_get() {
        assert!(Lazy::<regex::Regex>::compiled("(").is_err());
        let l: Lazy<regex::bytes::Regex> = Lazy::new("(");
        assert!(l.try_get().is_err());
        assert!(Lazy::<regex::Regex>::compiled("a+").unwrap().is_compiled());
    }
}
