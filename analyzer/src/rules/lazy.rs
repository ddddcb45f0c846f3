//! Regexes compiled on first use. The built-in catalogue's patterns are checked by its
//! tests, so a run compiles only those it uses: the automata of the sources and pods a
//! bundle has, and a pattern's own regex when a text matched its set. User rules compile
//! at load, so a broken one is reported with its file before the run.

use std::sync::OnceLock;

/// A regex type a [`Lazy`] can hold.
pub trait Compile: Sized {
    fn compile(pattern: &str) -> Result<Self, regex::Error>;
}

/// Size limit of one rule regex's compiled program.
const SIZE_LIMIT: usize = 16 << 20;

impl Compile for regex::Regex {
    fn compile(pattern: &str) -> Result<Self, regex::Error> {
        regex::RegexBuilder::new(pattern)
            .size_limit(SIZE_LIMIT)
            .build()
    }
}

impl Compile for regex::bytes::Regex {
    fn compile(pattern: &str) -> Result<Self, regex::Error> {
        regex::bytes::RegexBuilder::new(pattern)
            .size_limit(SIZE_LIMIT)
            .build()
    }
}

/// A pattern and its regex, compiled now ([`Lazy::compiled`]) or on first use
/// ([`Lazy::new`], for patterns already known to compile).
#[derive(Debug, Clone)]
pub struct Lazy<R> {
    pattern: String,
    re: OnceLock<R>,
}

impl<R: Compile> Lazy<R> {
    /// A pattern compiled on first use. Use it only for patterns known to compile (the
    /// built-in catalogue's, which its tests compile): a failure then is a bug, and panics.
    pub fn new(pattern: &str) -> Lazy<R> {
        Lazy {
            pattern: pattern.to_string(),
            re: OnceLock::new(),
        }
    }

    /// A pattern compiled now.
    pub fn compiled(pattern: &str) -> Result<Lazy<R>, regex::Error> {
        let re = OnceLock::new();
        let _ = re.set(R::compile(pattern)?);
        Ok(Lazy {
            pattern: pattern.to_string(),
            re,
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

    fn deref(&self) -> &R {
        match self.try_get() {
            Ok(r) => r,
            Err(e) => panic!(
                "built-in pattern {:?} does not compile: {e} (the catalogue's tests catch this)",
                self.pattern
            ),
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
    fn a_broken_pattern_is_an_error_at_load_or_on_try_get() {
        assert!(Lazy::<regex::Regex>::compiled("(").is_err());
        let l: Lazy<regex::bytes::Regex> = Lazy::new("(");
        assert!(l.try_get().is_err());
        assert!(Lazy::<regex::Regex>::compiled("a+").unwrap().is_compiled());
    }
}
