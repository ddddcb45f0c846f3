//! Redaction of everything the collector writes: Kubernetes objects (JSON) and free text
//! (logs, attachments, kubectl's stderr, step errors). Each replaced secret counts once
//! toward `manifest.redactions`.
//!
//! Text goes through [`LineRedactor`] one line at a time ([`RedactingWriter`] streams a log
//! through it): self-identifying token formats from `secret-patterns/tokens.yaml`, key/value
//! pairs in every syntax judged by the key's name (with an entropy test for weak names such
//! as `key`), flags, URLs with credentials, Authorization schemes, PEM private keys, and
//! base64 runs that decode to any of these. Objects are walked: a string under a secret's
//! name, the value of a `{name, value}` pair (env, HTTP headers), the word after a secret
//! flag in an args array, and every other string as text. Rules are narrow on purpose:
//! resource names such as `keyvault-secrets`, UIDs, IPs, image digests, CA bundles and klog
//! lines come through untouched (see `tests/redaction_corpus.rs`).

mod names;
mod text;

pub use names::{entropy, looks_random, strength, Strength};
pub use text::LineRedactor;

use serde_json::Value;
use std::borrow::Cow;
use std::io::Write;

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// The annotation `kubectl apply` keeps; it holds the whole last-applied object, secrets and all.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Redacts secrets in free text. Returns the text (borrowed when nothing changed) and how
/// many secrets were replaced. Non-UTF-8 bytes are kept as they are.
pub fn redact_text(input: &[u8]) -> (Cow<'_, [u8]>, u64) {
    text::redact_lines(input, 0)
}

/// [`redact_text`] for a string.
pub fn redact_str(input: &str) -> (Cow<'_, str>, u64) {
    match redact_text(input.as_bytes()) {
        (Cow::Borrowed(_), n) => (Cow::Borrowed(input), n),
        (Cow::Owned(bytes), n) => (Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()), n),
    }
}

/// True for an environment variable name that announces a secret (`*PASSWORD*`, `*_PWD`,
/// `*TOKEN*`, `*SECRET*`, `*_KEY`, `*_PAT`, `*DSN*`, `*WEBHOOK*`, ...), case-insensitive.
/// Weak names (`*_KEY`, `*_PAT`) count too; [`redact_json`] redacts their values only when
/// the value looks random.
pub fn is_secret_env_name(name: &str) -> bool {
    strength(name) != Strength::None
}

/// Number of token-format rules shipped in `secret-patterns/tokens.yaml` and structural
/// rules, for the docs and tests.
pub fn rule_ids() -> Vec<&'static str> {
    text::engine().rules.iter().map(|r| r.id.as_str()).collect()
}

/// Redacts a Kubernetes object or list in place and returns the number of redactions.
///
/// - `metadata.managedFields` is dropped (noise; not counted);
/// - the `kubectl.kubernetes.io/last-applied-configuration` annotation is dropped (it can
///   embed a whole Secret manifest; counted);
/// - `{name, value}` pairs (env entries, HTTP headers) whose name announces a secret get
///   their value replaced, as does any string under such a key (`"password": "..."`);
/// - in an array of strings (container `command`/`args`), the element after a secret flag
///   (`"--password", "x"`) and attached tool passwords (`mysql ... "-px"`) are replaced;
/// - every other string goes through [`redact_text`].
pub fn redact_json(value: &mut Value) -> u64 {
    match value {
        Value::Object(map) => {
            let mut count = 0;
            if let Some(Value::Object(meta)) = map.get_mut("metadata") {
                meta.remove("managedFields");
                if let Some(Value::Object(annotations)) = meta.get_mut("annotations") {
                    if annotations.remove(LAST_APPLIED).is_some() {
                        count += 1;
                    }
                }
            }
            // A container's `args` are read with its `command`: `mysqldump` + `-pX`.
            let command: Vec<String> = match map.get("command") {
                Some(Value::Array(cmd)) => cmd
                    .iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect(),
                _ => Vec::new(),
            };
            if let Some(Value::Array(args)) = map.get_mut("args") {
                count += redact_args(args, &command);
            }
            let pair = map.get("name").and_then(Value::as_str).map(strength);
            if let (Some(pair), Some(Value::String(v))) = (pair, map.get_mut("value")) {
                count += redact_whole(v, pair);
            }
            for (key, child) in map.iter_mut() {
                if let Value::String(s) = child {
                    let n = redact_whole(s, strength(key));
                    if n > 0 {
                        count += n;
                        continue;
                    }
                }
                count += redact_json(child);
            }
            count
        }
        Value::Array(items) => {
            let mut count = redact_args(items, &[]);
            for item in items.iter_mut() {
                count += redact_json(item);
            }
            count
        }
        Value::String(s) => {
            let (redacted, n) = redact_str(s);
            if let Cow::Owned(new) = redacted {
                *s = new;
            }
            n
        }
        _ => 0,
    }
}

/// Replaces a whole value under a secret's name: always for a strong name, for a weak one
/// when the value looks random. Placeholders (`$(VAR)`, `<token>`, empty) are kept.
fn redact_whole(value: &mut String, strength: Strength) -> u64 {
    let secret = match strength {
        Strength::None => false,
        Strength::Strong => true,
        Strength::Weak => looks_random(value.as_bytes()),
    };
    if !secret || names::is_placeholder(value.as_bytes()) {
        return 0;
    }
    *value = REDACTED.to_string();
    1
}

/// Tools whose password flag takes its value attached (`-pS3cret`) or as the next word.
const ATTACHED_P: &[&str] = &[
    "mysql",
    "mysqldump",
    "mysqladmin",
    "mysqlsh",
    "mysqlimport",
    "mariadb",
    "mariadb-dump",
];

/// Secrets in an args array: `["--password", "x"]`, `["mysql", "-px"]`,
/// `["redis-cli", "-a", "x"]`, `["sshpass", "-p", "x"]`.
fn redact_args(items: &mut [Value], command: &[String]) -> u64 {
    let words: Vec<Option<String>> = items.iter().map(|v| v.as_str().map(String::from)).collect();
    let tool = |names: &[&str]| {
        words.iter().flatten().chain(command).any(|w| {
            let base = w.rsplit('/').next().unwrap_or(w);
            names.contains(&base)
        })
    };
    let mysql = tool(ATTACHED_P);
    let redis = tool(&["redis-cli"]);
    let sshpass = tool(&["sshpass"]);
    let mut count = 0;
    for i in 0..items.len() {
        let Some(word) = words[i].as_deref() else {
            continue;
        };
        if mysql && word.len() > 2 && word.starts_with("-p") && !word.starts_with("--") {
            if let Value::String(s) = &mut items[i] {
                if !names::is_placeholder(&s.as_bytes()[2..]) && &s[2..] != REDACTED {
                    *s = format!("-p{REDACTED}");
                    count += 1;
                }
            }
            continue;
        }
        let next_is_value = words
            .get(i + 1)
            .and_then(|w| w.as_deref())
            .is_some_and(|w| !w.starts_with('-'));
        if !next_is_value {
            continue;
        }
        let flag_strength = match word {
            "-a" if redis => Strength::Strong,
            "-p" if sshpass => Strength::Strong,
            _ => match word.strip_prefix("--").or_else(|| word.strip_prefix('-')) {
                Some(name) if name.len() > 1 && !name.contains('=') => strength(name),
                _ => Strength::None,
            },
        };
        if let Value::String(next) = &mut items[i + 1] {
            count += redact_whole(next, flag_strength);
        }
    }
    count
}

/// Longest line the streaming redactor holds before redacting what it has: a longer line is
/// cut at its last delimiter (space, `,`, `;`, `&`) before this many bytes.
pub const MAX_LINE: usize = 1024 * 1024;

/// A writer that redacts text line by line on its way to `inner`; memory stays bounded by
/// [`MAX_LINE`] whatever the size of the stream.
#[derive(Debug)]
pub struct RedactingWriter<W: Write> {
    inner: W,
    pending: Vec<u8>,
    redactor: LineRedactor,
    redactions: u64,
}

impl<W: Write> RedactingWriter<W> {
    /// A redacting writer over `inner`.
    pub fn new(inner: W) -> Self {
        RedactingWriter {
            inner,
            pending: Vec::new(),
            redactor: LineRedactor::new(),
            redactions: 0,
        }
    }

    /// Secrets replaced so far.
    pub fn redactions(&self) -> u64 {
        self.redactions
    }

    /// Redacts and writes `pending[start..end]` (one line or piece).
    fn emit_range(&mut self, start: usize, end: usize) -> std::io::Result<()> {
        let (done, n) = self.redactor.line(&self.pending[start..end]);
        self.redactions += n;
        self.inner.write_all(&done)
    }

    fn emit(&mut self, end: usize) -> std::io::Result<()> {
        self.emit_range(0, end)?;
        self.pending.drain(..end);
        Ok(())
    }

    /// Redacts and writes what is left. With `complete_lines_only` (the stream was cut off),
    /// an unfinished last line is dropped rather than written: a token cut in half no longer
    /// matches its format, and half a token is still a leak.
    pub fn finish(mut self, complete_lines_only: bool) -> std::io::Result<(W, u64)> {
        if !self.pending.is_empty() && !complete_lines_only {
            let end = self.pending.len();
            self.emit(end)?;
        }
        self.inner.flush()?;
        Ok((self.inner, self.redactions))
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut scan = self.pending.len();
        self.pending.extend_from_slice(buf);
        // Every complete line, then one drain (draining per line moved the rest each time).
        let mut start = 0;
        while let Some(pos) = self.pending[scan..].iter().position(|b| *b == b'\n') {
            let end = scan + pos + 1;
            self.emit_range(start, end)?;
            start = end;
            scan = end;
        }
        self.pending.drain(..start);
        while self.pending.len() > MAX_LINE {
            let cut = self.pending[..MAX_LINE]
                .iter()
                .rposition(|b| matches!(b, b' ' | b'\t' | b',' | b';' | b'&'))
                .map(|p| p + 1)
                .unwrap_or(MAX_LINE);
            self.emit(cut)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests;
