//! The text redactor: one line at a time, so a log streams through it. Three kinds of rule:
//! self-identifying token formats (`secret-patterns/tokens.yaml`), structural rules written
//! here (key/value pairs in every syntax judged by the key's name, flags, URLs with
//! passwords, Authorization schemes, tool-specific flags, PEM private keys across lines),
//! and base64 runs decoded and checked against the same rules. An Aho-Corasick pass over
//! each line's keywords decides which rules run at all, so ordinary lines cost one scan.

use super::names::{self, Strength};
use super::REDACTED;
use aho_corasick::AhoCorasick;
use base64::Engine as _;
use regex::bytes::Regex;
use std::borrow::Cow;
use std::sync::OnceLock;

/// The token formats, shipped as data (see `secret-patterns/README.md`).
const TOKENS_YAML: &str = include_str!("../../secret-patterns/tokens.yaml");

/// Base64 runs shorter than this are not decoded.
const MIN_BASE64: usize = 24;
/// Base64 inside base64 is decoded this many levels deep.
const MAX_DEPTH: u8 = 2;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenFile {
    rules: Vec<TokenSpec>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenSpec {
    id: String,
    regex: String,
    keywords: Vec<String>,
    #[serde(default)]
    entropy: Option<f64>,
}

/// What a rule's match means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The `secret` group (or the whole match) is a secret.
    Secret,
    /// `name` and `value` groups: a secret when the name says so.
    Pair,
}

/// One compiled rule.
pub(super) struct Rule {
    pub(super) id: String,
    re: Regex,
    kind: Kind,
    min_entropy: Option<f64>,
    check: Option<fn(&[u8]) -> bool>,
    /// Indices of the `secret`, `sep` and `value` groups (looked up once: by name
    /// per match, the lookup showed in profiles).
    groups: Groups,
}

#[derive(Clone, Copy)]
struct Groups {
    secret: Option<usize>,
    sep: Option<usize>,
    value: Option<usize>,
}

impl Groups {
    fn of(re: &Regex) -> Groups {
        let at = |wanted: &str| re.capture_names().position(|n| n == Some(wanted));
        Groups {
            secret: at("secret"),
            sep: at("sep"),
            value: at("value"),
        }
    }
}

/// Structural rules: (id, regex, keywords, kind, extra check on the secret).
type Structural = (
    &'static str,
    &'static str,
    &'static [&'static str],
    Kind,
    Option<fn(&[u8]) -> bool>,
);

/// A value as the key/value rules capture it: JSON-escaped quotes (inside a log line that is
/// itself a JSON string), double or single quotes, or bare up to a delimiter. A bare value may
/// hold URL escapes except `%26` (`&`), which ends a parameter in a URL-encoded form.
const VALUE: &str = r#"(?P<value>\\"(?:[^"\\\r\n]|\\\\)*\\"|"(?:[^"\\\r\n]|\\.)*"|'[^'\r\n]*'|(?:%(?:[013-9A-Fa-f][0-9A-Fa-f]|2[0-57-9A-Fa-f])|[^\s"'&;,<>{}\[\]\\|%`])+)"#;

fn structural() -> Vec<Structural> {
    vec![
        (
            "pem-private-key-inline",
            // A whole block on one line: JSON-escaped newlines, or a one-line paste.
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?P<secret>(?:[A-Za-z0-9+/=:,\- \t]|\\[rn])+?)-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----",
            &["-----begin"],
            Kind::Secret,
            None,
        ),
        (
            "jwt",
            r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",
            &["eyj"],
            Kind::Secret,
            None,
        ),
        (
            "url-password",
            r#"\b[A-Za-z][A-Za-z0-9+.\-]*://[^/\s:@"'<>]*:(?P<secret>[^@/\s"'<>]+)@"#,
            &["://"],
            Kind::Secret,
            None,
        ),
        (
            "url-key",
            // A key as the whole user part of a URL: Sentry-style DSNs, git remotes with a token.
            r#"\b[A-Za-z][A-Za-z0-9+.\-]*://(?P<secret>[A-Za-z0-9_\-]{16,})@"#,
            &["://"],
            Kind::Secret,
            Some(names::looks_random),
        ),
        (
            "bearer",
            r"(?i)\bbearer[ \t]+(?P<secret>[A-Za-z0-9\-._~+/]{20,}=*)",
            &["bearer"],
            Kind::Secret,
            None,
        ),
        (
            "basic-auth",
            r"(?i)\bbasic[ \t]+(?P<secret>[A-Za-z0-9+/]{8,}={0,2})",
            &["basic"],
            Kind::Secret,
            Some(is_basic_credentials),
        ),
        (
            "shared-key",
            r"(?i)\bSharedKey(?:Lite)?[ \t]+[A-Za-z0-9\-]+:(?P<secret>[A-Za-z0-9+/]{20,}={0,2})",
            &["sharedkey"],
            Kind::Secret,
            None,
        ),
        (
            "device-code",
            r"(?i)\benter the code\s+(?P<secret>[A-Z0-9]{6,12})\b",
            &["enter the code"],
            Kind::Secret,
            None,
        ),
        (
            "mysql-password-flag",
            // mysql -uroot -pS3cret (the value attached to -p; a bare -p prompts).
            r"\b(?i:mysql|mysqldump|mysqladmin|mysqlsh|mysqlimport|mariadb|mariadb-dump)\b[^\r\n]*?[ \t'\x22]-p(?P<secret>[^\s\x22'\-][^\s\x22']*)",
            &["mysql", "mariadb"],
            Kind::Secret,
            None,
        ),
        (
            "redis-cli-password",
            r"\bredis-cli\b[^\r\n]*?[ \t]-a[ \t]+(?P<secret>[^\s\x22']+)",
            &["redis-cli"],
            Kind::Secret,
            None,
        ),
        (
            "sshpass-password",
            r"\bsshpass\b[ \t]+-p[ \t]*(?P<secret>[^\s\x22']+)",
            &["sshpass"],
            Kind::Secret,
            None,
        ),
        (
            "corefile-credentials",
            // CoreDNS plugin directives with a password as their second argument, alone on
            // their line: `credentials USER PASSWORD` (etcd), `aws_access_key ID SECRET`
            // (route53), as users put them in the coredns-custom ConfigMap.
            r"(?m)^[ \t]*(?:credentials|aws_access_key)[ \t]+[^\s{}]+[ \t]+(?P<secret>[^\s{}]+)[ \t]*\r?$",
            &["credentials", "aws_access_key"],
            Kind::Secret,
            None,
        ),
        (
            "curl-user",
            r#"\bcurl\b[^\r\n]*?[ \t](?:-u|--user)[ \t=]+["']?[^\s:"']*:(?P<secret>[^\s"']+)"#,
            &["curl"],
            Kind::Secret,
            None,
        ),
        (
            "key-value",
            // NAME=value, name: value, "name": "value", \"name\":\"value\", name%3Dvalue.
            concat_value(
                r#"(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)(?:\\?["'])?(?P<sep>[ \t]*(?:=>|:=|[=:])[ \t]*|%3[Dd])"#,
            ),
            PAIR_KEYWORDS,
            Kind::Pair,
            None,
        ),
        (
            "flag-value",
            // --password VALUE, -password VALUE (two words).
            r#"(?:^|[\s"'\[,=(])--?(?P<name>[A-Za-z][A-Za-z0-9_\-]*)(?P<sep>[ \t]+)(?P<value>"(?:[^"\\\r\n]|\\.)*"|'[^'\r\n]*'|[^\s"'\-][^\s"'\]\[,)]*)"#,
            PAIR_KEYWORDS,
            Kind::Pair,
            None,
        ),
    ]
}

/// Fragments of every strong or weak secret name: a line without one skips the pair rules.
const PAIR_KEYWORDS: &[&str] = &[
    "pass",
    "pwd",
    "secret",
    "token",
    "key",
    "cred",
    "sig",
    "sas",
    "dsn",
    "webhook",
    "connection",
    "auth",
    "pat",
    "cookie",
    "cert",
    "hmac",
    "salt",
];

fn concat_value(prefix: &'static str) -> &'static str {
    // Built once per process (the engine is a OnceLock); leaking keeps the table 'static.
    Box::leak(format!("{prefix}{VALUE}").into_boxed_str())
}

/// Basic credentials decode to `user:password`.
fn is_basic_credentials(secret: &[u8]) -> bool {
    decode_base64(secret)
        .is_some_and(|d| d.contains(&b':') && d.iter().all(|b| (0x20..0x7f).contains(b)))
}

/// The compiled rules and their keyword index.
pub(super) struct Engine {
    pub(super) rules: Vec<Rule>,
    keywords: AhoCorasick,
    /// Keyword pattern index → rule index.
    owner: Vec<usize>,
}

/// The engine, built on first use. The token file and the structural rules are constants
/// checked by the unit tests, so a failure here is a build defect.
pub(super) fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::build().expect("redaction rules compile"))
}

impl Engine {
    pub(super) fn build() -> Result<Engine, String> {
        let mut rules = Vec::new();
        let mut keywords: Vec<String> = Vec::new();
        let mut owner = Vec::new();
        for (id, re, kws, kind, check) in structural() {
            let re = Regex::new(re).map_err(|e| format!("rule {id}: {e}"))?;
            for kw in kws {
                keywords.push(kw.to_string());
                owner.push(rules.len());
            }
            rules.push(Rule {
                id: id.into(),
                groups: Groups::of(&re),
                re,
                kind,
                min_entropy: None,
                check,
            });
        }
        let file: TokenFile =
            serde_yaml::from_str(TOKENS_YAML).map_err(|e| format!("tokens.yaml: {e}"))?;
        for spec in file.rules {
            let re = Regex::new(&spec.regex).map_err(|e| format!("rule {}: {e}", spec.id))?;
            if spec.keywords.is_empty() {
                return Err(format!("rule {}: no keywords", spec.id));
            }
            for kw in &spec.keywords {
                keywords.push(kw.to_ascii_lowercase());
                owner.push(rules.len());
            }
            rules.push(Rule {
                id: spec.id,
                groups: Groups::of(&re),
                re,
                kind: Kind::Secret,
                min_entropy: spec.entropy,
                check: None,
            });
        }
        let keywords = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            // A full DFA: the fastest overlapping search, and the set is small.
            .kind(Some(aho_corasick::AhoCorasickKind::DFA))
            .build(&keywords)
            .map_err(|e| format!("keywords: {e}"))?;
        Ok(Engine {
            rules,
            keywords,
            owner,
        })
    }

    /// Which rules may match `line`.
    fn active(&self, line: &[u8], out: &mut Vec<bool>) {
        out.clear();
        out.resize(self.rules.len(), false);
        for m in self.keywords.find_overlapping_iter(line) {
            out[self.owner[m.pattern().as_usize()]] = true;
        }
    }
}

/// Redacts text line by line, carrying what must cross lines (an open PEM private key).
#[derive(Debug, Default)]
pub struct LineRedactor {
    in_pem: bool,
    active: Vec<bool>,
    depth: u8,
}

impl LineRedactor {
    /// A fresh redactor (no open PEM block).
    pub fn new() -> Self {
        LineRedactor::default()
    }

    fn nested(depth: u8) -> Self {
        LineRedactor {
            depth,
            ..LineRedactor::default()
        }
    }

    /// Redacts one line (with or without its `\n`). Returns the line, borrowed when
    /// unchanged, and the number of secrets replaced.
    pub fn line<'a>(&mut self, line: &'a [u8]) -> (Cow<'a, [u8]>, u64) {
        let engine = engine();
        if self.in_pem {
            if let Some(done) = self.pem_body(line) {
                return (done, 0);
            }
        }
        engine.active(line, &mut self.active);
        let mut text: Cow<'a, [u8]> = Cow::Borrowed(line);
        let mut count = 0;
        for (i, rule) in engine.rules.iter().enumerate() {
            if !self.active[i] {
                continue;
            }
            if let Some((changed, n)) = apply(rule, &text) {
                text = Cow::Owned(changed);
                count += n;
            }
        }
        // Rule 0 is `pem-private-key-inline`: its keyword (`-----BEGIN`) gates the
        // multi-line PEM handling too.
        if self.active.first().copied().unwrap_or(false) {
            if let Some((changed, n)) = self.pem_open(&text) {
                text = Cow::Owned(changed);
                count += n;
            }
        }
        if self.depth < MAX_DEPTH {
            if let Some((changed, n)) = self.base64(&text) {
                text = Cow::Owned(changed);
                count += n;
            }
        }
        (text, count)
    }

    /// A `BEGIN ... PRIVATE KEY` line whose block goes on below: the rest of the line is
    /// replaced and the following key lines dropped until the END line.
    fn pem_open(&mut self, line: &[u8]) -> Option<(Vec<u8>, u64)> {
        static BEGIN: OnceLock<Regex> = OnceLock::new();
        let re = BEGIN.get_or_init(|| {
            Regex::new(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----").expect("constant")
        });
        let m = re.find_iter(line).last()?;
        let rest = &line[m.end()..];
        if rest.starts_with(REDACTED.as_bytes()) || contains(rest, b"-----END") {
            return None;
        }
        let body_end = rest
            .iter()
            .position(|b| matches!(b, b'\r' | b'\n' | b'"' | b'\\'))
            .unwrap_or(rest.len());
        let ends_line = rest[body_end..].iter().all(|b| matches!(b, b'\r' | b'\n'));
        if ends_line {
            self.in_pem = true;
        }
        let mut out = line[..m.end()].to_vec();
        out.extend_from_slice(REDACTED.as_bytes());
        out.extend_from_slice(&rest[body_end..]);
        Some((out, 1))
    }

    /// Inside an open PEM block: key lines are dropped, the END line ends the block. A line
    /// that is neither (the block was cut off) ends it too and is redacted as usual.
    fn pem_body<'a>(&mut self, line: &'a [u8]) -> Option<Cow<'a, [u8]>> {
        if let Some(at) = find(line, b"-----END ") {
            self.in_pem = false;
            return Some(Cow::Borrowed(&line[at..]));
        }
        let body = strip_timestamp(line);
        let key_material = body
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"+/= \t\r\n".contains(b))
            || body.starts_with(b"Proc-Type:")
            || body.starts_with(b"DEK-Info:");
        if key_material {
            return Some(Cow::Borrowed(&line[line.len()..]));
        }
        self.in_pem = false;
        None
    }

    /// Long base64 runs whose decoded text holds a secret are replaced whole.
    fn base64(&self, line: &[u8]) -> Option<(Vec<u8>, u64)> {
        let mut out: Option<Vec<u8>> = None;
        let mut count = 0;
        let mut copied = 0;
        let mut i = 0;
        while i < line.len() {
            if !is_b64(line[i]) {
                i += 1;
                continue;
            }
            let start = i;
            while i < line.len() && is_b64(line[i]) {
                i += 1;
            }
            let mut end = i;
            while end < line.len() && line[end] == b'=' && end - i < 2 {
                end += 1;
            }
            if i - start < MIN_BASE64 {
                i = end.max(i);
                continue;
            }
            let run = &line[start..end];
            let holds_secret = decode_base64(run).is_some_and(|decoded| {
                is_texty(&decoded) && {
                    let (_, n) = redact_lines(&decoded, self.depth + 1);
                    n > 0
                }
            });
            if holds_secret {
                let buf = out.get_or_insert_with(|| Vec::with_capacity(line.len()));
                buf.extend_from_slice(&line[copied..start]);
                buf.extend_from_slice(REDACTED.as_bytes());
                copied = end;
                count += 1;
            }
            i = end;
        }
        out.map(|mut buf| {
            buf.extend_from_slice(&line[copied..]);
            (buf, count)
        })
    }
}

/// Redacts a whole text, line by line.
pub(super) fn redact_lines(input: &[u8], depth: u8) -> (Cow<'_, [u8]>, u64) {
    let mut redactor = LineRedactor::nested(depth);
    let mut out: Option<Vec<u8>> = None;
    let mut count = 0;
    let mut offset = 0;
    for line in input.split_inclusive(|b| *b == b'\n') {
        let (done, n) = redactor.line(line);
        count += n;
        match (&mut out, done) {
            (None, Cow::Borrowed(_)) => {}
            (None, Cow::Owned(changed)) => {
                let mut buf = Vec::with_capacity(input.len());
                buf.extend_from_slice(&input[..offset]);
                buf.extend_from_slice(&changed);
                out = Some(buf);
            }
            (Some(buf), done) => buf.extend_from_slice(&done),
        }
        offset += line.len();
    }
    match out {
        Some(buf) => (Cow::Owned(buf), count),
        None => (Cow::Borrowed(input), count),
    }
}

/// Applies one rule to a line; `None` when nothing changed.
fn apply(rule: &Rule, text: &[u8]) -> Option<(Vec<u8>, u64)> {
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    let mut count = 0;
    let mut at = 0;
    while at <= text.len() {
        // The fast search first; captures (much slower) only for a match that matters.
        let Some(found) = rule.re.find_at(text, at) else {
            break;
        };
        if rule.kind == Kind::Pair {
            let (name_start, name_end) = name_span(text, found.start(), found.end());
            // `https://webhook.svc:443/path`: a URL's host and port, not a name and a value.
            let url_host = text[..name_start].ends_with(b"://");
            // `spvest/azure-keyvault-webhook:1.3.1`: an image's repository and tag.
            let image = text[..name_start].ends_with(b"/") && text.get(name_end) == Some(&b':');
            if url_host
                || image
                || names::strength(std::str::from_utf8(&text[name_start..name_end]).unwrap_or(""))
                    == Strength::None
            {
                // Not a secret's name: look again after it, the value may hold a pair itself.
                at = name_end.max(found.start() + 1);
                continue;
            }
        }
        let Some(caps) = rule.re.captures_at(text, found.start()) else {
            break;
        };
        let whole = caps.get(0).expect("group 0");
        let group = |i: Option<usize>| i.and_then(|i| caps.get(i));
        let span = match rule.kind {
            Kind::Secret => group(rule.groups.secret)
                .map(|m| (m.start(), m.end()))
                .unwrap_or((whole.start(), whole.end())),
            Kind::Pair => {
                let value = group(rule.groups.value).expect("pair rules have a value group");
                let (name_start, name_end) = name_span(text, whole.start(), whole.end());
                let sep = group(rule.groups.sep).map(|m| m.as_bytes()).unwrap_or(b"=");
                match pair_secret(
                    text,
                    &text[name_start..name_end],
                    sep,
                    value.start(),
                    value.end(),
                ) {
                    Some(span) => span,
                    None => {
                        at = value.start().max(whole.start() + 1);
                        continue;
                    }
                }
            }
        };
        let (start, end) = unquote(text, span.0, span.1);
        let secret = &text[start..end];
        let keep = names::is_placeholder(secret)
            || secret.starts_with(REDACTED.as_bytes())
            || rule
                .min_entropy
                .is_some_and(|min| names::entropy(secret) < min)
            || rule.check.is_some_and(|check| !check(secret));
        if !keep {
            let buf = out.get_or_insert_with(|| Vec::with_capacity(text.len() + 16));
            buf.extend_from_slice(&text[copied..start]);
            buf.extend_from_slice(REDACTED.as_bytes());
            copied = end;
            count += 1;
        }
        at = whole.end().max(whole.start() + 1);
    }
    out.map(|mut buf| {
        buf.extend_from_slice(&text[copied..]);
        (buf, count)
    })
}

/// The name in a pair rule's match: after any leading delimiter and dashes (`--password`),
/// and after the hex digit of a URL escape it may start with (`%3Fsig%3D...` is `sig`).
fn name_span(text: &[u8], start: usize, end: usize) -> (usize, usize) {
    let is_name = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-');
    let mut s = start;
    while s < end && !(text[s].is_ascii_alphabetic() || text[s] == b'_') {
        s += 1;
    }
    let e = s + text[s..end].iter().take_while(|b| is_name(b)).count();
    if e > s + 1 && s >= 2 && text[s - 2] == b'%' && text[s].is_ascii_hexdigit() {
        return (s + 1, e);
    }
    (s, e)
}

/// Authorization schemes: in `Authorization: Bearer x` the secret is the word after them.
const SCHEMES: &[&str] = &[
    "bearer",
    "basic",
    "token",
    "digest",
    "negotiate",
    "ntlm",
    "sharedkey",
    "sharedkeylite",
    "sharedaccesssignature",
    "apikey",
    "api-key",
    "key",
    "ssws",
    "sso-key",
    "pop",
];

/// The span of the secret in a name/value pair, if the name announces one.
fn pair_secret(
    text: &[u8],
    name: &[u8],
    sep: &[u8],
    start: usize,
    end: usize,
) -> Option<(usize, usize)> {
    let name = std::str::from_utf8(name).ok()?;
    let strength = names::strength(name);
    if strength == Strength::None {
        return None;
    }
    let (inner_start, inner_end) = unquote(text, start, end);
    let inner = &text[inner_start..inner_end];
    let bare = inner_start == start;
    if bare
        && SCHEMES
            .iter()
            .any(|s| inner.eq_ignore_ascii_case(s.as_bytes()))
    {
        // `Authorization: Token abc`: the credential is the next word.
        let rest = &text[end..];
        let gap = rest
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
        let word = rest[gap..]
            .iter()
            .take_while(|b| !b.is_ascii_whitespace() && !matches!(b, b'"' | b'\'' | b'\\' | b','))
            .count();
        return (gap > 0 && word > 0).then_some((end + gap, end + gap + word));
    }
    let spaced = sep.iter().all(|b| matches!(b, b' ' | b'\t'));
    let colon = sep.contains(&b':') && !sep.contains(&b'=');
    if bare && (spaced || colon) && is_prose(inner, &text[end..]) {
        return None;
    }
    // After a colon, a bare word of letters only is the next word of a message
    // (`GetSecret: Failure sending request`, `token: Get "http://..."`), not a credential.
    if bare && colon {
        let word = inner
            .iter()
            .rposition(|b| !b"().,;:!?".contains(b))
            .map_or(&inner[..0], |last| &inner[..=last]);
        if word.iter().all(u8::is_ascii_alphabetic) {
            return None;
        }
    }
    // A cluster Service's address (`webhook:kyverno-svc.kyverno.svc`) is where a webhook
    // lives, never a credential.
    if names::is_service_host(inner) {
        return None;
    }
    match strength {
        Strength::Strong => Some((start, end)),
        Strength::Weak if names::looks_random(inner) => Some((start, end)),
        _ => None,
    }
}

/// Words that follow `password:` or `--token` in messages rather than in credentials:
/// `failed to read password: file not found`.
fn is_prose(value: &[u8], after: &[u8]) -> bool {
    const STOP: &[&str] = &[
        "a", "an", "the", "is", "was", "not", "no", "for", "from", "of", "to", "in", "on", "and",
        "or", "file", "error", "failed", "invalid", "expired", "missing", "found", "empty",
        "required", "must", "should", "will", "can", "cannot", "could", "has", "have", "had", "be",
        "been", "using", "with", "via", "set", "unset", "provided", "given", "ok", "none",
    ];
    if value.is_empty() || value.len() > 12 || !value.iter().all(u8::is_ascii_lowercase) {
        return false;
    }
    let word = std::str::from_utf8(value).unwrap_or("");
    let more_prose =
        after.first() == Some(&b' ') && after.get(1).is_some_and(u8::is_ascii_lowercase);
    STOP.contains(&word) || more_prose
}

/// Narrows a span to inside its quotes: `"x"`, `'x'` or `\"x\"`.
fn unquote(text: &[u8], start: usize, end: usize) -> (usize, usize) {
    let s = &text[start..end];
    if s.len() >= 4 && s.starts_with(b"\\\"") && s.ends_with(b"\\\"") {
        return (start + 2, end - 2);
    }
    if s.len() >= 2
        && ((s[0] == b'"' && s[s.len() - 1] == b'"') || (s[0] == b'\'' && s[s.len() - 1] == b'\''))
    {
        return (start + 1, end - 1);
    }
    (start, end)
}

fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_')
}

/// Standard or URL-safe base64, padded or not.
pub(super) fn decode_base64(run: &[u8]) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
    let trimmed = run
        .strip_suffix(b"==")
        .or_else(|| run.strip_suffix(b"="))
        .unwrap_or(run);
    if trimmed.len() % 4 == 1 {
        return None;
    }
    STANDARD_NO_PAD
        .decode(trimmed)
        .or_else(|_| URL_SAFE_NO_PAD.decode(trimmed))
        .ok()
}

/// Decoded bytes that are text (UTF-8, few control characters), worth redacting.
fn is_texty(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    let odd = text
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        .count();
    odd * 20 <= text.chars().count()
}

/// The rest of a log line after kubectl's `--timestamps` prefix.
fn strip_timestamp(line: &[u8]) -> &[u8] {
    match line.iter().position(|b| *b == b' ') {
        Some(sp) if sp >= 20 && line[..4].iter().all(u8::is_ascii_digit) && line[10] == b'T' => {
            &line[sp + 1..]
        }
        _ => line,
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    find(hay, needle).is_some()
}
