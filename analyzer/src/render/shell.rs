//! Suggested commands: an engineer pastes them into a shell, so every value a command takes
//! from a bundle is quoted for the shell context it lands in and must match the grammar of
//! what it is. The context of each `{{ ... }}` is found once, when the rule loads, by a small
//! shell lexer over the template; a value that does not fit is withheld: the command shows
//! `<name>` and the raw value is reported beside the command, never inside it.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use minijinja::{Environment, Value};
use serde::{Deserialize, Serialize};

/// What a value is, and so the grammar it must match to enter a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A DNS-1123 subdomain: pod, node, service, secret and workload names.
    Name,
    /// A DNS-1123 label: namespaces, container names.
    Label,
    /// An image reference: `[registry[:port]/]path[:tag][@digest]`.
    Image,
    /// A DNS host name or an IP address, with an optional port.
    Host,
    /// An IPv4 or IPv6 address.
    Ip,
    /// An address range: `10.0.0.0/16`.
    Cidr,
    /// A non-negative integer.
    Number,
    /// An Azure resource name (vault, registry, scale set, node pool, subnet).
    AzureName,
    /// An `http(s)://` URL without query or credentials.
    Url,
    /// A Kubernetes label selector (`app=web,tier in (a,b)`).
    Selector,
    /// A user or identity: `system:serviceaccount:ns:sa`, `someone@example.com`.
    Principal,
    /// A token such as a resource type, a verb or an Azure resource ID.
    Word,
    /// An absolute path (a non-resource URL, a file on a node).
    Path,
    /// A GUID (client and object IDs).
    Guid,
    /// Anything on one line; quoting alone keeps it one argument.
    Text,
}

/// The kind of each variable name the catalogue uses; rule files may add or override names
/// with `kinds:`. Names not listed fall back on their suffix (`*_ip`, `*_namespace` ...),
/// then on `text`.
const KINDS: &[(&str, Kind)] = &[
    ("pod", Kind::Name),
    ("name", Kind::Name),
    ("node", Kind::Name),
    ("workload", Kind::Name),
    ("service", Kind::Name),
    ("closest_pod", Kind::Name),
    ("pending_pod", Kind::Name),
    ("source_pod", Kind::Name),
    ("target_pod", Kind::Name),
    ("provider_pod", Kind::Name),
    ("pull_secret", Kind::Name),
    ("existing_name", Kind::Name),
    ("service_account", Kind::Name),
    ("sa_name", Kind::Name),
    ("role_name", Kind::Name),
    ("namespace", Kind::Label),
    ("container", Kind::Label),
    ("image", Kind::Image),
    ("intended_image", Kind::Image),
    ("registry", Kind::Host),
    ("server_host", Kind::Host),
    ("address", Kind::Host),
    ("host", Kind::Host),
    ("token_host", Kind::Host),
    ("ip", Kind::Ip),
    ("cidr", Kind::Cidr),
    ("subnet_cidr", Kind::Cidr),
    ("count", Kind::Number),
    ("port", Kind::Number),
    ("suggested_port", Kind::Number),
    ("port_index", Kind::Number),
    ("instance_id", Kind::Number),
    ("exit_code", Kind::Number),
    ("status_code", Kind::Number),
    ("acr_name", Kind::AzureName),
    ("vault", Kind::AzureName),
    ("vault_name", Kind::AzureName),
    ("vmss", Kind::AzureName),
    ("nodepool", Kind::AzureName),
    ("subnet", Kind::AzureName),
    ("object", Kind::AzureName),
    ("server", Kind::Url),
    ("issuer", Kind::Url),
    ("selector", Kind::Selector),
    ("node_selector", Kind::Selector),
    ("user", Kind::Principal),
    ("subject", Kind::Principal),
    ("audience", Kind::Principal),
    ("workload_kind", Kind::Word),
    ("existing_kind", Kind::Word),
    ("kind", Kind::Word),
    ("resource", Kind::Word),
    ("resource_arg", Kind::Word),
    ("resource_type", Kind::Word),
    ("verb", Kind::Word),
    ("container_field", Kind::Word),
    ("code", Kind::Word),
    ("os", Kind::Word),
    ("target_os", Kind::Word),
    ("repository", Kind::Word),
    ("repo", Kind::Word),
    ("tag", Kind::Word),
    ("subscription", Kind::Word),
    ("path", Kind::Path),
    ("store_path", Kind::Path),
    ("client_id", Kind::Guid),
    ("client_id_after", Kind::Guid),
    ("oid", Kind::Guid),
    ("appid", Kind::Guid),
    ("tenant", Kind::Guid),
];

/// The kind of a variable: `overrides` (a rule's `kinds:`) first, then the table, then
/// the name's suffix.
pub fn kind_of(name: &str, overrides: &BTreeMap<String, Kind>) -> Kind {
    if let Some(k) = overrides.get(name) {
        return *k;
    }
    if let Some((_, k)) = KINDS.iter().find(|(n, _)| *n == name) {
        return *k;
    }
    for (suffix, k) in [
        ("_ip", Kind::Ip),
        ("_namespace", Kind::Label),
        ("_port", Kind::Number),
        ("_count", Kind::Number),
        ("_pod", Kind::Name),
        ("_node", Kind::Name),
        ("_image", Kind::Image),
    ] {
        if name.ends_with(suffix) {
            return k;
        }
    }
    Kind::Text
}

macro_rules! re {
    ($p:expr) => {{
        static R: OnceLock<regex::Regex> = OnceLock::new();
        R.get_or_init(|| regex::Regex::new($p).expect("grammar regex compiles"))
    }};
}

impl Kind {
    /// True when `v` is a well-formed value of this kind.
    pub fn accepts(self, v: &str) -> bool {
        const DNS_LABEL: &str = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
        match self {
            Kind::Name => {
                v.len() <= 253
                    && re!(
                        r"^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$"
                    )
                    .is_match(v)
            }
            Kind::Label => v.len() <= 63 && re!(r"^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$").is_match(v),
            Kind::Image => {
                v.len() <= 512
                    && re!(concat!(
                        r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?/)?",
                        r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*",
                        r"(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*",
                        r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?",
                        r"(?:@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,})?$"
                    ))
                    .is_match(v)
            }
            Kind::Host => {
                let (host, port) = match v.rsplit_once(':') {
                    Some((h, p)) if !h.contains(':') => (h, Some(p)),
                    _ => (v, None),
                };
                let port_ok = port.is_none_or(|p| Kind::Number.accepts(p) && p.len() <= 5);
                v.parse::<std::net::IpAddr>().is_ok()
                    || (port_ok
                        && host.len() <= 253
                        && (host.parse::<std::net::IpAddr>().is_ok()
                            || host.trim_end_matches('.').split('.').all(|l| {
                                regex::Regex::is_match(re!(&format!("^{DNS_LABEL}$")), l)
                            })))
            }
            Kind::Ip => v.parse::<std::net::IpAddr>().is_ok(),
            Kind::Cidr => v.split_once('/').is_some_and(|(ip, bits)| {
                ip.parse::<std::net::IpAddr>().is_ok()
                    && bits.parse::<u8>().is_ok_and(|b| b <= 128)
                    && Kind::Number.accepts(bits)
            }),
            Kind::Number => v.len() <= 18 && !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()),
            Kind::AzureName => v.len() <= 90 && re!(r"^[A-Za-z0-9][A-Za-z0-9._-]*$").is_match(v),
            Kind::Url => {
                v.len() <= 2048
                    && re!(r"^https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~%/-]*)?$")
                        .is_match(v)
            }
            Kind::Selector => v.len() <= 1024 && re!(r"^[A-Za-z0-9._/=!,() -]+$").is_match(v),
            Kind::Principal => v.len() <= 256 && is_inert(v),
            Kind::Word => v.len() <= 512 && re!(r"^[A-Za-z0-9/*][A-Za-z0-9._/*-]*$").is_match(v),
            Kind::Path => v.len() <= 1024 && re!(r"^/[A-Za-z0-9._/*-]*$").is_match(v),
            Kind::Guid => re!(
                r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
            )
            .is_match(v),
            Kind::Text => v.chars().count() <= 1024,
        }
    }

    /// The name rule files use for this kind.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Name => "name",
            Kind::Label => "label",
            Kind::Image => "image",
            Kind::Host => "host",
            Kind::Ip => "ip",
            Kind::Cidr => "cidr",
            Kind::Number => "number",
            Kind::AzureName => "azure_name",
            Kind::Url => "url",
            Kind::Selector => "selector",
            Kind::Principal => "principal",
            Kind::Word => "word",
            Kind::Path => "path",
            Kind::Guid => "guid",
            Kind::Text => "text",
        }
    }
}

/// Characters no shell, JSON, jsonpath, JMESPath or URL gives a meaning inside a quoted
/// string: a value of only these is what may enter a string that is itself code.
fn is_inert(v: &str) -> bool {
    v.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+".contains(c))
}

/// Characters a rule's own string literals in a command (`default('<pod>')`) may hold:
/// inert ones, plus `<>` for visible placeholders (no `*`: it would glob).
fn is_safe_literal(v: &str) -> bool {
    v.chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+<>".contains(c))
}

/// Where in the shell's grammar a placeholder lands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Quote {
    /// An unquoted word (also inside `$( ... )`).
    Bare,
    /// Inside `'...'`.
    Single,
    /// Inside `"..."`.
    Double,
    /// In the body of a here-document whose delimiter is quoted (nothing expands there);
    /// the value must not hold the delimiter.
    Heredoc(String),
}

/// One `{{ ... }}` of a command template.
#[derive(Debug, Clone)]
pub struct Slot {
    /// The variable the expression starts from (`pod` in `pod | default('<pod>')`).
    pub name: String,
    pub kind: Kind,
    pub quote: Quote,
    /// Inside a quoted string that holds more than plain words (a script for `sh -c`, JSON,
    /// jsonpath, JMESPath, a URL): only inert characters may enter it.
    pub embedded: bool,
    /// The expression's own string literals, shown as they are (validated at load).
    pub literals: Vec<String>,
}

/// A command template compiled for safe rendering.
#[derive(Debug, Clone)]
pub struct Command {
    /// The rule's template as written.
    pub source: String,
    /// The template with each expression wrapped in the slot filter.
    rewritten: String,
    pub slots: Vec<Slot>,
}

/// A value that was left out of a command: the command shows `<placeholder>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withheld {
    /// The placeholder as shown in the command, e.g. `<container>`.
    pub placeholder: String,
    /// The value from the bundle, exactly as found.
    pub value: String,
}

/// A rendered command and the values withheld from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    pub withheld: Vec<Withheld>,
}

const SLOT_FILTER: &str = "__aksbundle_slot";
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';
const BLOCKS: &[&str] = &["if", "elif", "else", "endif", "for", "endfor", "set"];

/// A piece of a template: literal text, an expression, or a block tag.
#[derive(Debug)]
enum Piece {
    Text(String),
    Expr(String),
    Tag(String),
}

/// Splits a template into text, `{{ }}` and `{% %}` (comments dropped).
fn pieces(src: &str) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut rest = src;
    loop {
        let next = ["{{", "{%", "{#"]
            .iter()
            .filter_map(|d| rest.find(d).map(|i| (i, *d)))
            .min();
        let Some((i, d)) = next else {
            if !rest.is_empty() {
                out.push(Piece::Text(rest.to_string()));
            }
            return Ok(out);
        };
        if i > 0 {
            out.push(Piece::Text(rest[..i].to_string()));
        }
        let body = &rest[i + 2..];
        let close = match d {
            "{{" => "}}",
            "{%" => "%}",
            _ => "#}",
        };
        let end = if d == "{#" {
            body.find(close)
        } else {
            find_close(body, close)
        }
        .ok_or_else(|| format!("unclosed {d}"))?;
        let inner = &body[..end];
        if inner.starts_with('-') || inner.ends_with('-') || inner.starts_with('+') {
            return Err("whitespace control (`{{-`, `-%}` ...) is not allowed in commands".into());
        }
        match d {
            "{{" => out.push(Piece::Expr(inner.to_string())),
            "{%" => out.push(Piece::Tag(inner.to_string())),
            _ => {}
        }
        rest = &body[end + 2..];
    }
}

/// The position of `close` in an expression, skipping string literals.
fn find_close(body: &str, close: &str) -> Option<usize> {
    let b = body.as_bytes();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < b.len() {
        match quote {
            Some(q) => {
                if b[i] == b'\\' {
                    i += 1;
                } else if b[i] == q {
                    quote = None;
                }
            }
            None => {
                if b[i] == b'\'' || b[i] == b'"' {
                    quote = Some(b[i]);
                } else if b[i..].starts_with(close.as_bytes()) {
                    return Some(i);
                }
            }
        }
        i += 1;
    }
    None
}

/// The string literals of an expression, or an error for one that is not closed.
fn literals(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = expr.chars();
    while let Some(c) = chars.next() {
        if c == '\'' || c == '"' {
            let mut lit = String::new();
            while let Some(d) = chars.next() {
                if d == '\\' {
                    if let Some(e) = chars.next() {
                        lit.push('\\');
                        lit.push(e);
                    }
                } else if d == c {
                    break;
                } else {
                    lit.push(d);
                }
            }
            out.push(lit);
        }
    }
    out
}

/// The variable an expression starts from; `facts.x`, `values.x` and `cluster.x` name `x`.
fn root_name(expr: &str) -> String {
    let e = expr.trim_start().trim_start_matches(['(', ' ']);
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let first = ident(e);
    if first.is_empty() || first.starts_with(|c: char| c.is_ascii_digit()) {
        return "value".into();
    }
    if ["facts", "values", "cluster"].contains(&first.as_str()) {
        if let Some(rest) = e[first.len()..].strip_prefix('.') {
            let second = ident(rest);
            if !second.is_empty() {
                return second;
            }
        }
    }
    first
}

/// One level of the shell lexer.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Mode {
    /// Unquoted; `sub` when opened by `$(`, with the depth of plain parentheses.
    Top {
        sub: bool,
        depth: u32,
    },
    Single,
    Double,
    AnsiC,
    Backtick,
    /// `$(( ... ))`, with its parenthesis depth.
    Arith(u32),
    /// `${ ... }`, with its brace depth.
    Param(u32),
    Comment,
}

/// A here-document waiting for its body, or being read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Heredoc {
    delim: String,
    strip_tabs: bool,
    quoted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct LexState {
    stack: Vec<Mode>,
    pending: Vec<Heredoc>,
    /// The here-document whose body is being read, and its current line.
    body: Option<(Heredoc, String)>,
}

/// A token for the lexer: a character of literal text, a slot, or a block tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Ch(char),
    Slot(usize),
    Tag,
}

/// Finds the shell context of every slot in `toks`.
fn lex(toks: &[Tok], nslots: usize) -> Result<Vec<(Quote, bool)>, String> {
    let mut ctx: Vec<Option<(Quote, bool)>> = vec![None; nslots];
    let mut st = LexState {
        stack: vec![Mode::Top {
            sub: false,
            depth: 0,
        }],
        pending: Vec::new(),
        body: None,
    };
    let mut word_start = true;
    // The quoted string being read: its literal characters and its slots.
    let mut seg_text = String::new();
    let mut seg_slots: Vec<usize> = Vec::new();
    let mut tag_state: Option<LexState> = None;
    let ch = |i: usize| match toks.get(i) {
        Some(Tok::Ch(c)) => Some(*c),
        _ => None,
    };
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i];
        if t == Tok::Tag {
            match &tag_state {
                None => tag_state = Some(st.clone()),
                Some(s) if *s == st => {}
                Some(_) => {
                    return Err(
                        "the quoting differs between its {% %} blocks, so a placeholder's context depends on the facts"
                            .into(),
                    )
                }
            }
            i += 1;
            continue;
        }
        // Here-document body.
        if let Some((doc, line)) = &mut st.body {
            match t {
                Tok::Slot(s) => {
                    if !doc.quoted {
                        return Err(format!(
                            "placeholder in the body of an unquoted here-document (<<{}): quote its delimiter",
                            doc.delim
                        ));
                    }
                    ctx[s] = Some((Quote::Heredoc(doc.delim.clone()), true));
                    line.push(OPEN);
                }
                Tok::Ch('\n') => {
                    let l = if doc.strip_tabs {
                        line.trim_start_matches('\t')
                    } else {
                        line.as_str()
                    };
                    if l == doc.delim {
                        st.body = None;
                        if !st.pending.is_empty() {
                            let next = st.pending.remove(0);
                            st.body = Some((next, String::new()));
                        }
                    } else {
                        line.clear();
                    }
                }
                Tok::Ch(c) => line.push(c),
                Tok::Tag => {}
            }
            i += 1;
            continue;
        }
        let mode = st
            .stack
            .last()
            .cloned()
            .expect("the stack keeps its bottom");
        if let Tok::Slot(s) = t {
            if i > 0 && ch(i - 1) == Some('$') {
                return Err("placeholder right after `$`".into());
            }
            if i > 0 && ch(i - 1) == Some('\\') && !matches!(mode, Mode::Single) {
                return Err("placeholder right after a backslash".into());
            }
            let q = match mode {
                Mode::Top { .. } => Quote::Bare,
                Mode::Single => Quote::Single,
                Mode::Double => Quote::Double,
                Mode::AnsiC => return Err("placeholder inside $'...'".into()),
                Mode::Backtick => return Err("placeholder inside backticks".into()),
                Mode::Arith(_) => return Err("placeholder inside $(( ... ))".into()),
                Mode::Param(_) => return Err("placeholder inside ${ ... }".into()),
                Mode::Comment => return Err("placeholder inside a # comment".into()),
            };
            if matches!(mode, Mode::Single | Mode::Double) {
                seg_slots.push(s);
            }
            ctx[s] = Some((q, false));
            word_start = false;
            i += 1;
            continue;
        }
        let Tok::Ch(c) = t else { unreachable!() };
        let next = ch(i + 1);
        match mode {
            Mode::Top { sub, depth } => {
                let was_word_start = word_start;
                word_start = c.is_whitespace() || ";|&()<>".contains(c);
                match c {
                    '\\' => {
                        word_start = false;
                        i += 1;
                    }
                    '\'' => {
                        st.stack.push(Mode::Single);
                        seg_text.clear();
                        seg_slots.clear();
                    }
                    '"' => {
                        st.stack.push(Mode::Double);
                        seg_text.clear();
                        seg_slots.clear();
                    }
                    '`' => st.stack.push(Mode::Backtick),
                    '#' if was_word_start => st.stack.push(Mode::Comment),
                    '$' => match next {
                        Some('\'') => {
                            st.stack.push(Mode::AnsiC);
                            i += 1;
                        }
                        Some('(') if ch(i + 2) == Some('(') => {
                            st.stack.push(Mode::Arith(2));
                            i += 2;
                        }
                        Some('(') => {
                            st.stack.push(Mode::Top {
                                sub: true,
                                depth: 0,
                            });
                            word_start = true;
                            i += 1;
                        }
                        Some('{') => {
                            st.stack.push(Mode::Param(1));
                            i += 1;
                        }
                        _ => {}
                    },
                    '(' => set_depth(&mut st, sub, depth + 1),
                    ')' => {
                        if sub && depth == 0 {
                            st.stack.pop();
                        } else {
                            set_depth(&mut st, sub, depth.saturating_sub(1));
                        }
                    }
                    '<' if next == Some('<') && ch(i + 2) != Some('<') => {
                        let (doc, used) = heredoc_word(toks, i + 2)?;
                        st.pending.push(doc);
                        i += 1 + used;
                    }
                    '<' if next == Some('<') => i += 2,
                    '\n' if !st.pending.is_empty() => {
                        let doc = st.pending.remove(0);
                        st.body = Some((doc, String::new()));
                    }
                    _ => {}
                }
            }
            Mode::Single => {
                if c == '\'' {
                    close_segment(&mut ctx, &seg_text, &seg_slots);
                    st.stack.pop();
                } else {
                    seg_text.push(c);
                }
            }
            Mode::Double => match c {
                '"' => {
                    close_segment(&mut ctx, &seg_text, &seg_slots);
                    st.stack.pop();
                }
                '\\' => {
                    seg_text.push(c);
                    if let Some(n) = next {
                        seg_text.push(n);
                    }
                    i += 1;
                }
                '`' => {
                    seg_text.push(c);
                    st.stack.push(Mode::Backtick);
                }
                '$' => {
                    seg_text.push(c);
                    match next {
                        Some('(') if ch(i + 2) == Some('(') => {
                            st.stack.push(Mode::Arith(2));
                            i += 2;
                        }
                        Some('(') => {
                            st.stack.push(Mode::Top {
                                sub: true,
                                depth: 0,
                            });
                            i += 1;
                        }
                        Some('{') => {
                            st.stack.push(Mode::Param(1));
                            i += 1;
                        }
                        _ => {}
                    }
                }
                _ => seg_text.push(c),
            },
            Mode::AnsiC => match c {
                '\\' => i += 1,
                '\'' => {
                    st.stack.pop();
                }
                _ => {}
            },
            Mode::Backtick => match c {
                '\\' => i += 1,
                '`' => {
                    st.stack.pop();
                }
                _ => {}
            },
            Mode::Arith(d) => {
                let d = match c {
                    '(' => d + 1,
                    ')' => d - 1,
                    _ => d,
                };
                st.stack.pop();
                if d > 0 {
                    st.stack.push(Mode::Arith(d));
                }
            }
            Mode::Param(d) => {
                let d = match c {
                    '{' => d + 1,
                    '}' => d - 1,
                    _ => d,
                };
                st.stack.pop();
                if d > 0 {
                    st.stack.push(Mode::Param(d));
                }
            }
            Mode::Comment => {
                if c == '\n' {
                    st.stack.pop();
                    word_start = true;
                    if !st.pending.is_empty() {
                        let doc = st.pending.remove(0);
                        st.body = Some((doc, String::new()));
                    }
                }
            }
        }
        i += 1;
    }
    // A here-document may end the template without a final newline.
    if let Some((doc, line)) = &st.body {
        let l = if doc.strip_tabs {
            line.trim_start_matches('\t')
        } else {
            line.as_str()
        };
        if l == doc.delim {
            st.body = None;
        }
    }
    if st.stack.last() == Some(&Mode::Comment) {
        st.stack.pop();
    }
    if st.stack.len() != 1 || st.body.is_some() || !st.pending.is_empty() {
        return Err(format!(
            "unterminated {}",
            match (st.stack.last(), &st.body) {
                (_, Some((d, _))) => format!("here-document (<<{})", d.delim),
                (Some(Mode::Single), _) => "'...' quote".into(),
                (Some(Mode::Double), _) => "\"...\" quote".into(),
                (Some(Mode::Top { .. }), _) if st.stack.len() > 1 => "$( ... )".into(),
                (Some(m), _) => format!("{m:?}"),
                (None, _) => "input".into(),
            }
        ));
    }
    ctx.into_iter()
        .enumerate()
        .map(|(i, c)| c.ok_or_else(|| format!("placeholder {i} has no shell context")))
        .collect()
}

fn set_depth(st: &mut LexState, sub: bool, depth: u32) {
    if let Some(m) = st.stack.last_mut() {
        *m = Mode::Top { sub, depth };
    }
}

/// A quoted string closed: its slots are embedded when it holds more than plain words.
fn close_segment(ctx: &mut [Option<(Quote, bool)>], text: &str, slots: &[usize]) {
    let embedded = !is_inert(text);
    for s in slots {
        if let Some((_, e)) = &mut ctx[*s] {
            *e = embedded;
        }
    }
}

/// Reads a here-document's delimiter word starting at `start` (after `<<`): returns it and
/// how many tokens it used.
fn heredoc_word(toks: &[Tok], start: usize) -> Result<(Heredoc, usize), String> {
    let mut i = start;
    let mut strip_tabs = false;
    if toks.get(i) == Some(&Tok::Ch('-')) {
        strip_tabs = true;
        i += 1;
    }
    while matches!(toks.get(i), Some(Tok::Ch(' ' | '\t'))) {
        i += 1;
    }
    let mut delim = String::new();
    let mut quoted = false;
    let mut quote: Option<char> = None;
    while let Some(t) = toks.get(i) {
        match t {
            Tok::Slot(_) | Tok::Tag => {
                return Err("a here-document delimiter cannot hold a placeholder or a block".into())
            }
            Tok::Ch(c) => {
                let c = *c;
                match quote {
                    Some(q) if c == q => quote = None,
                    Some(_) => delim.push(c),
                    None if c == '\'' || c == '"' => {
                        quoted = true;
                        quote = Some(c);
                    }
                    None if c == '\\' => quoted = true,
                    None if c.is_whitespace() || ";|&<>()".contains(c) => break,
                    None => delim.push(c),
                }
            }
        }
        i += 1;
    }
    if delim.is_empty() {
        return Err("a here-document needs a delimiter".into());
    }
    Ok((
        Heredoc {
            delim,
            strip_tabs,
            quoted,
        },
        i - start,
    ))
}

impl Command {
    /// Compiles a command template: finds each placeholder's shell context and kind.
    /// `kinds` are the rule's overrides of the variable-kind table.
    pub fn compile(source: &str, kinds: &BTreeMap<String, Kind>) -> Result<Command, String> {
        Command::compile_as(source, kinds, true)
    }

    /// [`Command::compile`], with the template engine's own parse of the rewritten
    /// template left to the first render when `check` is false: for the built-in
    /// catalogue, whose tests compile every command ahead (`Catalogue::builtin_checked`).
    /// A template that then fails at render time still falls back to its source.
    pub fn compile_as(
        source: &str,
        kinds: &BTreeMap<String, Kind>,
        check: bool,
    ) -> Result<Command, String> {
        if source.contains([OPEN, CLOSE]) || source.contains(SLOT_FILTER) {
            return Err("the command holds characters reserved for the renderer".into());
        }
        let pieces = pieces(source)?;
        let mut toks = Vec::new();
        let mut slots = Vec::new();
        let mut rewritten = String::new();
        for p in &pieces {
            match p {
                Piece::Text(t) => {
                    toks.extend(t.chars().map(Tok::Ch));
                    rewritten.push_str(t);
                }
                Piece::Tag(t) => {
                    let word = t.split_whitespace().next().unwrap_or("");
                    if !BLOCKS.contains(&word) {
                        return Err(format!(
                            "`{{% {word} %}}` is not allowed in commands (only {})",
                            BLOCKS.join(", ")
                        ));
                    }
                    toks.push(Tok::Tag);
                    rewritten.push_str("{%");
                    rewritten.push_str(t);
                    rewritten.push_str("%}");
                }
                Piece::Expr(e) => {
                    let lits = literals(e);
                    if let Some(bad) = lits.iter().find(|l| !is_safe_literal(l)) {
                        return Err(format!(
                            "string {bad:?} in a command may hold only letters, digits and -_./:=@,+<>"
                        ));
                    }
                    let name = root_name(e);
                    toks.push(Tok::Slot(slots.len()));
                    rewritten
                        .push_str(&format!("{{{{ ({e}) | {SLOT_FILTER}({}) }}}}", slots.len()));
                    slots.push(Slot {
                        kind: kind_of(&name, kinds),
                        name,
                        quote: Quote::Bare,
                        embedded: false,
                        literals: lits,
                    });
                }
            }
        }
        let contexts = lex(&toks, slots.len())?;
        for (s, (q, embedded)) in slots.iter_mut().zip(contexts) {
            s.quote = q;
            s.embedded = embedded;
        }
        if check {
            let compiled = super::guarded(|| {
                ENV.with(|env| {
                    env.template_from_str(&rewritten)
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                })
            })
            .unwrap_or_else(|| Err("the template engine failed on it".into()));
            compiled?;
        }
        Ok(Command {
            source: source.to_string(),
            rewritten,
            slots,
        })
    }

    /// Renders the command over a finding's context, each value quoted for its context or
    /// withheld. A template that fails at render time falls back to its source.
    pub fn render(&self, ctx: &serde_json::Value) -> Rendered {
        RECORDED.with(|r| r.borrow_mut().clear());
        let skeleton =
            super::guarded(|| ENV.with(|env| super::render_capped(env, &self.rewritten, ctx)))
                .and_then(Result::ok);
        let recorded = RECORDED.with(|r| std::mem::take(&mut *r.borrow_mut()));
        let Some(skeleton) = skeleton else {
            return Rendered {
                text: self.source.clone(),
                withheld: Vec::new(),
            };
        };
        let mut text = String::with_capacity(skeleton.len());
        let mut withheld: Vec<Withheld> = Vec::new();
        let mut chars = skeleton.chars();
        while let Some(c) = chars.next() {
            if c != OPEN {
                text.push(c);
                continue;
            }
            let k: usize = chars
                .by_ref()
                .take_while(|c| *c != CLOSE)
                .collect::<String>()
                .parse()
                .unwrap_or(usize::MAX);
            let Some((slot, raw)) = recorded
                .get(k)
                .and_then(|(s, raw)| Some((self.slots.get(*s)?, raw)))
            else {
                continue;
            };
            match escape(slot, raw) {
                Ok(v) => text.push_str(&v),
                Err(()) => {
                    let placeholder = format!("<{}>", slot.name);
                    text.push_str(&placeholder);
                    let w = Withheld {
                        placeholder,
                        value: raw.clone(),
                    };
                    if !withheld.contains(&w) {
                        withheld.push(w);
                    }
                }
            }
        }
        Rendered { text, withheld }
    }
}

/// A value as it may enter the command at `slot`, or `Err` when it must be withheld.
fn escape(slot: &Slot, raw: &str) -> Result<String, ()> {
    if raw.is_empty() || slot.literals.iter().any(|l| l == raw) {
        // Nothing, or the rule's own text (checked at load).
        return Ok(raw.to_string());
    }
    let refused = raw
        .chars()
        .any(|c| c.is_control() || ('\u{E000}'..='\u{F8FF}').contains(&c));
    if refused || !slot.kind.accepts(raw) || (slot.embedded && !is_inert(raw)) {
        return Err(());
    }
    Ok(match &slot.quote {
        Quote::Bare => super::shell_quote(raw.to_string()),
        Quote::Single => raw.replace('\'', r"'\''"),
        Quote::Double => {
            let mut out = String::with_capacity(raw.len());
            for c in raw.chars() {
                match c {
                    '$' | '`' | '"' | '\\' => {
                        out.push('\\');
                        out.push(c);
                    }
                    // Interactive shells expand `!` in double quotes; single quotes keep it.
                    '!' => out.push_str(r#""'!'""#),
                    _ => out.push(c),
                }
            }
            out
        }
        Quote::Heredoc(delim) => {
            if raw.contains(delim.as_str()) {
                return Err(());
            }
            raw.to_string()
        }
    })
}

thread_local! {
    static RECORDED: RefCell<Vec<(usize, String)>> = const { RefCell::new(Vec::new()) };
    static ENV: Environment<'static> = command_env();
}

fn command_env() -> Environment<'static> {
    let mut env = super::template_env();
    // Quoting is automatic: the old explicit filter does nothing in commands.
    env.add_filter("shell_quote", |v: Value| v);
    env.add_filter(SLOT_FILTER, slot_filter);
    env
}

/// Records the value of slot `i` and leaves a marker the renderer replaces.
fn slot_filter(v: Value, i: usize) -> String {
    let raw = if v.is_undefined() || v.is_none() {
        String::new()
    } else {
        v.to_string()
    };
    RECORDED.with(|r| {
        let mut r = r.borrow_mut();
        r.push((i, raw));
        format!("{OPEN}{}{CLOSE}", r.len() - 1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cmd(src: &str) -> Command {
        Command::compile(src, &BTreeMap::new()).unwrap_or_else(|e| panic!("{src}: {e}"))
    }

    fn ctx_of(src: &str) -> Vec<(Quote, bool)> {
        cmd(src)
            .slots
            .iter()
            .map(|s| (s.quote.clone(), s.embedded))
            .collect()
    }

    #[test]
    fn contexts_follow_the_shell_grammar() {
        assert_eq!(ctx_of("kubectl get pod {{ pod }}"), [(Quote::Bare, false)]);
        assert_eq!(ctx_of("grep -F '{{ user }}'"), [(Quote::Single, false)]);
        assert_eq!(
            ctx_of("sh -c 'nslookup {{ registry }}; telnet {{ ip }} 443'"),
            [(Quote::Single, true), (Quote::Single, true)]
        );
        assert_eq!(
            ctx_of(r#"az identity list --query "[?clientId=='{{ client_id }}']""#),
            [(Quote::Double, true)]
        );
        assert_eq!(
            ctx_of("az x --scope $(az acr show -n {{ acr_name }} --query id -o tsv)"),
            [(Quote::Bare, false)]
        );
        assert_eq!(
            ctx_of("echo \"$(printf {{ pod }})\" '{{ pod }}'"),
            [(Quote::Bare, false), (Quote::Single, false)]
        );
        assert_eq!(
            ctx_of("cat <<'EOF' | kubectl apply -f -\nmetadata:\n  name: {{ pod }}\nEOF\n"),
            [(Quote::Heredoc("EOF".into()), true)]
        );
        assert_eq!(
            ctx_of("a {% if x %}-n '{{ ns }}'{% else %}--all{% endif %} {{ pod }}"),
            [(Quote::Single, false), (Quote::Bare, false)]
        );
    }

    #[test]
    fn placeholders_where_nothing_can_quote_them_are_load_errors() {
        for bad in [
            "echo `{{ pod }}`",
            "echo $(( {{ count }} + 1 ))",
            "echo ${{ pod }}",
            "echo ${ {{ pod }} }",
            "echo \\{{ pod }}",
            "echo $'{{ pod }}'",
            "kubectl get pod # {{ pod }}",
            "cat <<EOF\n{{ pod }}\nEOF",
            "echo '{{ pod }}",
            "echo {% if a %}'{% endif %}{{ pod }}'",
            "echo {{ x | default('$(touch X)') }}",
            "echo {% macro m() %}{{ pod }}{% endmacro %}",
            "echo {{- pod }}",
            "echo {{ pod | default('ポッド') }}",
        ] {
            assert!(Command::compile(bad, &BTreeMap::new()).is_err(), "{bad}");
        }
    }

    /// Multi-byte text anywhere in a template must not split a character (a panic the
    /// rule loader would hit on a user's rule).
    #[test]
    fn multibyte_text_in_templates_does_not_panic() {
        for src in [
            "echo 'ポッド {{ pod }}' {{ pod }} # 日本語",
            "echo {{ 'é' ~ pod }}}}",
            "echo {{ pod }}é{% if x %}ü{% endif %}",
            "echo {{ \"ü\" }}",
        ] {
            let _ = Command::compile(src, &BTreeMap::new());
        }
        let c = cmd("echo 'ポッド {{ pod }}'");
        assert_eq!(
            c.render(&json!({"pod": "web-1"})).text,
            "echo 'ポッド web-1'"
        );
    }

    #[test]
    fn values_are_quoted_for_their_context() {
        let c = cmd("a {{ pod }} '{{ user }}' \"{{ user }}\" --image={{ image }}");
        let r = c.render(&json!({"pod": "web-1", "user": "it's", "image": "nginx:1.25"}));
        // `it's` is not a principal: withheld everywhere.
        assert_eq!(r.text, "a web-1 '<user>' \"<user>\" --image=nginx:1.25");
        assert_eq!(
            r.withheld,
            [Withheld {
                placeholder: "<user>".into(),
                value: "it's".into()
            }]
        );
        let t = cmd("a {{ msg }} '{{ msg }}' \"{{ msg }}\"");
        let r = t.render(&json!({"msg": "it's $HOME `x` \"q\" \\ !!"}));
        assert_eq!(
            r.text,
            r#"a 'it'\''s $HOME `x` "q" \ !!' 'it'\''s $HOME `x` "q" \ !!' "it's \$HOME \`x\` \"q\" \\ "'!'""'!'"""#
        );
    }

    #[test]
    fn rule_literals_show_as_written_and_empty_values_stay_empty() {
        let c = cmd("kubectl logs {{ pod | default('<pod>') }} -n {{ namespace }}");
        assert_eq!(c.render(&json!({})).text, "kubectl logs <pod> -n ");
    }

    /// Regression for issue 17 item 1: an image named `$(cd;touch pwned).azurecr.io/x`
    /// inside `sh -c '...'` became a live command substitution.
    #[test]
    fn image_named_like_a_command_substitution_never_enters_a_command() {
        let c = cmd("kubectl debug node/{{ node }} -- sh -c 'nslookup {{ registry }}; docker pull {{ image }}'");
        let r = c.render(&json!({
            "node": "aks-np-1",
            "registry": "$(cd;touch pwned).azurecr.io",
            "image": "$(cd;touch pwned).azurecr.io/x",
        }));
        assert_eq!(
            r.text,
            "kubectl debug node/aks-np-1 -- sh -c 'nslookup <registry>; docker pull <image>'"
        );
        assert_eq!(r.withheld.len(), 2);
    }

    #[test]
    fn grammars_accept_real_values_and_refuse_others() {
        let ok = [
            (Kind::Name, "web-7d4b9c-x2x5q"),
            (Kind::Name, "aks-nodepool1-12345678-vmss000000"),
            (Kind::Label, "kube-system"),
            (Kind::Image, "mcr.microsoft.com/cbl-mariner/busybox:2.0"),
            (Kind::Image, "myacr.azurecr.io/team/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
            (Kind::Image, "nginx"),
            (Kind::Host, "myacr.azurecr.io"),
            (Kind::Host, "10.0.0.4:443"),
            (Kind::Host, "fd00::1"),
            (Kind::Ip, "10.244.1.7"),
            (Kind::Cidr, "10.224.0.0/16"),
            (Kind::Url, "https://aks-1-dns-abc.hcp.eastus.azmk8s.io:443"),
            (Kind::Selector, "app=web,tier in (a,b)"),
            (Kind::Principal, "system:serviceaccount:default:builder"),
            (Kind::Guid, "3f2504e0-4f89-11d3-9a0c-0305e82c3301"),
            (Kind::Word, "deployments.apps"),
            (Kind::Path, "/var/lib/cni/networks/kubenet"),
        ];
        for (k, v) in ok {
            assert!(k.accepts(v), "{k:?} {v}");
        }
        let bad = [
            (Kind::Name, "$(touch x)"),
            (Kind::Label, "Web"),
            (Kind::Image, "$(cd;touch pwned).azurecr.io/x"),
            (Kind::Host, "a b.io"),
            (Kind::Ip, "10.0.0.300"),
            (Kind::Number, "1;2"),
            (Kind::Url, "https://x.io/?a=$(b)"),
            (Kind::Selector, "app=`x`"),
            (Kind::Guid, "not-a-guid"),
            (Kind::Word, "-rf"),
        ];
        for (k, v) in bad {
            assert!(!k.accepts(v), "{k:?} {v}");
        }
    }
}
