//! Scans text members (container logs, attachments) line by line as they stream: one
//! reusable buffer, a line-length cap, and a `RegexSet` over whole blocks so that blocks
//! without any signal cost one automaton pass. Matching lines are aggregated per pattern,
//! file and captured values, so a line repeated a million times costs one entry.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use memchr::memchr_iter;
use regex::bytes::Regex;

/// Where a text line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TextSource {
    /// A container log.
    Log,
    /// A file the user attached.
    Attachment,
}

/// A line pattern's regex, over bytes (a log need not be UTF-8), compiled on first use.
pub type LineRegex = crate::rules::lazy::Lazy<Regex>;

/// One line pattern of the plan.
#[derive(Debug, Clone)]
pub struct LinePattern {
    /// Which sources the pattern applies to.
    pub sources: Vec<TextSource>,
    /// The pattern with its named captures.
    pub regex: LineRegex,
    /// Patterns that must all match the same line too.
    pub require: Vec<LineRegex>,
    /// Patterns none of which may match the line.
    pub exclude: Vec<LineRegex>,
    /// Patterns of one group (one rule matcher) count a line once: the first that matches.
    pub group: usize,
    /// The line's klog `pod="ns/name"` key names the pod it is about (an add-on logging
    /// for another pod): captured as `target_namespace` and `target_pod`.
    pub about_klog_pod: bool,
    /// The pods whose logs the pattern can apply to, as far as a log's path tells.
    pub scope: PodScope,
}

/// Which pods' logs a pattern can apply to, decided from the namespace and pod name of
/// the log alone: the pod objects may come after the logs in a stream, so labels are not
/// known yet. A superset of the matcher's pod filter (`matchers::pod_ok`), which still
/// decides after the pass: leaving a pattern out of a log this scope refuses never loses
/// a hit that the filter would have kept.
#[derive(Debug, Clone, Default)]
pub struct PodScope {
    /// The pod's namespace must be this.
    pub namespace: Option<String>,
    /// The pod's name must match this (set only when the name alone decides: a filter
    /// without labels, whose name pattern applies whether or not the pod object is known).
    pub name: Option<regex::Regex>,
}

impl PodScope {
    /// The scope of a matcher's pod filter and its compiled name pattern.
    pub fn of(
        filter: Option<&crate::rules::spec::PodFilter>,
        name: Option<&regex::Regex>,
    ) -> PodScope {
        let Some(f) = filter else {
            return PodScope::default();
        };
        PodScope {
            namespace: f.namespace.clone(),
            name: if f.labels.is_empty() {
                name.cloned()
            } else {
                None
            },
        }
    }

    /// True when a line of this pod's log may pass the filter. A log whose namespace or
    /// pod is unknown (a dump section switches pods mid-file) is admitted.
    pub fn admits(&self, namespace: Option<&str>, pod: Option<&str>) -> bool {
        let (Some(ns), Some(pod)) = (namespace, pod) else {
            return true;
        };
        self.namespace.as_deref().is_none_or(|want| want == ns)
            && self.name.as_ref().is_none_or(|r| r.is_match(pod))
    }

    fn key(&self) -> (Option<&str>, Option<&str>) {
        (
            self.namespace.as_deref(),
            self.name.as_ref().map(|r| r.as_str()),
        )
    }
}

/// Every line pattern of every rule. The automata are compiled per *source class*: the
/// patterns that can apply to one member (its source, and which pod scopes admit its
/// pod), on the first member of that class, and reused for every later one (and by every
/// bundle of a batch run). An application's log is scanned with the patterns of no pod
/// filter only; an add-on's log with those and its own.
#[derive(Debug)]
pub struct ScanPlan {
    patterns: Vec<LinePattern>,
    /// Each pattern's required literals (lower-cased), `None` when it has none; found
    /// when a class with the pattern is first compiled.
    literals: Vec<std::sync::OnceLock<Option<Vec<Vec<u8>>>>>,
    /// Distinct pod scopes of the patterns, and each pattern's index into them.
    scopes: Vec<PodScope>,
    scope_of: Vec<usize>,
    classes: std::sync::Mutex<HashMap<ClassKey, std::sync::Arc<ClassPlan>>>,
    /// Pod names whose error-level lines are kept as context (provider, driver, NMI).
    context_pods: Regex,
}

impl Clone for ScanPlan {
    fn clone(&self) -> ScanPlan {
        ScanPlan {
            patterns: self.patterns.clone(),
            literals: self.literals.clone(),
            scopes: self.scopes.clone(),
            scope_of: self.scope_of.clone(),
            classes: Default::default(),
            context_pods: self.context_pods.clone(),
        }
    }
}

/// A member's source class: its source and, per pod scope, whether it admits the pod.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ClassKey {
    source: TextSource,
    admitted: Vec<bool>,
}

/// The patterns of one source class, compiled for the pass.
#[derive(Debug)]
pub struct ClassPlan {
    /// The plan's indices of the class's patterns, ascending.
    ids: Vec<usize>,
    search: Candidates,
    /// The class's patterns without required literals, in one alternation (names removed).
    residual: Option<Regex>,
    /// On a candidate line: which patterns (indices into `ids`) its literals name; each
    /// is then run on its own, compiled on its first use. No set of the class's patterns
    /// is compiled. Those without literals run on a line the residual alternation matches.
    by_literal: crate::matchers::LiteralIndex,
}

/// How a block is searched for the literals every match of a pattern contains.
#[derive(Debug)]
enum Candidates {
    /// No pattern of the class has literals.
    None,
    /// A packed (SIMD, Teddy) searcher over the block lower-cased: for up to 64 literals.
    Packed(aho_corasick::packed::Searcher),
    /// An ASCII case-insensitive Aho-Corasick DFA over the block as it is.
    Dfa(aho_corasick::AhoCorasick),
}

/// The last answers of a block's candidate searches (see [`ClassPlan::candidate`]).
#[derive(Default)]
struct Cursor {
    literal: Next,
    residual: Next,
}

/// One search's last answer: `None` before the first search.
#[derive(Default)]
struct Next(Option<Option<usize>>);

impl Next {
    /// The first match at or after `pos`, searching only when the last answer lies
    /// before `pos`. Positions asked for only grow within a block.
    fn next(&mut self, pos: usize, search: impl FnOnce(usize) -> Option<usize>) -> Option<usize> {
        match self.0 {
            Some(None) => None,
            Some(Some(at)) if at >= pos => Some(at),
            _ => {
                let found = search(pos);
                self.0 = Some(found);
                found
            }
        }
    }
}

/// Literals a packed searcher takes at most (Teddy's limit).
const PACKED_LITERALS: usize = 64;
/// Bytes of a literal the packed searcher fingerprints.
const FINGERPRINT: usize = 4;

impl ClassPlan {
    fn new(plan: &ScanPlan, ids: Vec<usize>) -> Result<ClassPlan, regex::Error> {
        let lits: Vec<&Option<Vec<Vec<u8>>>> = ids
            .iter()
            .map(|&i| {
                plan.literals[i].get_or_init(|| {
                    crate::prefilter::required_literals(plan.patterns[i].regex.as_str())
                })
            })
            .collect();
        // Short texts, searched once each: an NFA builds in a fraction of a DFA's time.
        let by_literal = crate::matchers::LiteralIndex::new(
            lits.iter().map(|l| l.as_deref()),
            aho_corasick::AhoCorasickKind::ContiguousNFA,
        )
        .map_err(|e| regex::Error::Syntax(e.to_string()))?;
        let search = candidates(by_literal.literals().to_vec())
            .map_err(|e| regex::Error::Syntax(e.to_string()))?;
        let unnamed = regex::Regex::new(r"\(\?P?<[A-Za-z_][A-Za-z0-9_]*>").expect("static regex");
        let residual: Vec<String> = by_literal
            .always
            .iter()
            .map(|&local| {
                let p = plan.patterns[ids[local]].regex.as_str();
                format!("(?:{})", unnamed.replace_all(p, "(?:"))
            })
            .collect();
        let residual = if residual.is_empty() {
            None
        } else {
            Some(
                regex::bytes::RegexBuilder::new(&residual.join("|"))
                    .multi_line(true)
                    .size_limit(64 << 20)
                    .dfa_size_limit(64 << 20)
                    .build()?,
            )
        };
        Ok(ClassPlan {
            ids,
            search,
            residual,
            by_literal,
        })
    }

    /// The class's patterns (indices into `ids`, ascending) that may match `line`: those
    /// whose literals it holds, and those without literals when the residual alternation
    /// matches it.
    fn patterns_for(&self, line: &[u8]) -> Vec<usize> {
        let residual = self.residual.as_ref().is_some_and(|r| r.is_match(line));
        self.by_literal.patterns(line, residual)
    }

    /// The plan's indices of the class's patterns.
    pub fn ids(&self) -> &[usize] {
        &self.ids
    }

    /// True when the packed searcher serves the class (for the profiling examples).
    pub fn is_packed(&self) -> bool {
        matches!(self.search, Candidates::Packed(_))
    }

    /// Where the next line that may match is: the first literal occurrence or
    /// residual-pattern match at or after `pos`. `lower` is `data` lower-cased when the
    /// packed searcher is used (see [`ClassPlan::needs_lower`]). `cursor` keeps each
    /// search's last answer for the block: a search from an earlier position whose
    /// answer is still at or after `pos` is the answer from `pos` too, so a block with
    /// many candidates is not searched again from each of them (the residual regex would
    /// otherwise rescan the rest of the block once per literal hit).
    fn candidate(
        &self,
        data: &[u8],
        lower: &[u8],
        pos: usize,
        cursor: &mut Cursor,
    ) -> Option<usize> {
        let lit = cursor.literal.next(pos, |pos| match &self.search {
            Candidates::None => None,
            Candidates::Packed(s) => s
                .find_in(lower, aho_corasick::Span::from(pos..lower.len()))
                .map(|m| m.start()),
            Candidates::Dfa(ac) => ac
                .find(aho_corasick::Input::new(data).span(pos..data.len()))
                .map(|m| m.start()),
        });
        let res = cursor.residual.next(pos, |pos| {
            self.residual
                .as_ref()
                .and_then(|r| r.find_at(data, pos).map(|m| m.start()))
        });
        match (lit, res) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn needs_lower(&self) -> bool {
        matches!(self.search, Candidates::Packed(_))
    }
}

/// The literal search for a set of lower-cased literals: the packed searcher over
/// lower-cased text when it takes them, each literal cut to start at its rarest bytes
/// (Teddy fingerprints a literal's first bytes: a common start such as `fai` would
/// stop it on every `failed`); else a case-insensitive DFA.
fn candidates(mut literals: Vec<Vec<u8>>) -> Result<Candidates, aho_corasick::BuildError> {
    literals.sort();
    literals.dedup();
    if literals.is_empty() {
        return Ok(Candidates::None);
    }
    let mut cut: Vec<Vec<u8>> = literals.iter().map(|l| rare_suffix(l).to_vec()).collect();
    cut.sort();
    cut.dedup();
    if cut.len() <= PACKED_LITERALS {
        let mut config = aho_corasick::packed::Config::new();
        config.match_kind(aho_corasick::packed::MatchKind::LeftmostFirst);
        if let Some(s) = config.builder().extend(&cut).build() {
            return Ok(Candidates::Packed(s));
        }
    }
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        // A full DFA: the fastest search without SIMD, a few MiB for a whole catalogue.
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(&literals)
        .map(Candidates::Dfa)
}

/// The end of `literal` that starts where its first [`FINGERPRINT`] bytes are rarest in
/// log text; every text containing the literal contains it.
fn rare_suffix(literal: &[u8]) -> &[u8] {
    if literal.len() <= FINGERPRINT {
        return literal;
    }
    let best = (0..=literal.len() - FINGERPRINT)
        .min_by_key(|&i| {
            literal[i..i + FINGERPRINT]
                .iter()
                .map(|&b| u32::from(byte_rank(b)))
                .sum::<u32>()
        })
        .unwrap_or(0);
    &literal[best..]
}

/// How common a (lower-cased) byte is in log text, 0 (rare) to 255: letters by their
/// English frequency, and the space, digits and punctuation that timestamps, klog
/// headers, JSON and key=value pairs fill lines with.
fn byte_rank(b: u8) -> u8 {
    const COMMON: &[u8] = b" e\"ta0o1in2sr:.3l5c4d6u789h=-/pm,gf_y[]{}bwv\tk()x'q;jz";
    match COMMON.iter().position(|&c| c == b) {
        Some(i) => 255 - i as u8 * 4,
        None => 0,
    }
}

/// Error-level lines kept per context file.
const CONTEXT_LINES_PER_FILE: usize = 24;
/// Last lines kept of each previous-instance log (`*.previous.log`): how a crash ended.
const TAIL_LINES_PER_PREVIOUS_LOG: usize = 20;
/// Distinct aggregated entries kept per pattern and file.
const HITS_PER_PATTERN_FILE: usize = 32;
/// Bytes of a line kept as an excerpt.
const EXCERPT_BYTES: usize = 600;

impl ScanPlan {
    /// Prepares the plan; the automata are compiled per source class when first needed.
    /// `patterns` keep their order: a hit's `pattern` is its index.
    pub fn new(patterns: Vec<LinePattern>) -> Result<ScanPlan, regex::Error> {
        let literals = patterns.iter().map(|_| Default::default()).collect();
        let mut scopes: Vec<PodScope> = Vec::new();
        let mut scope_of = Vec::with_capacity(patterns.len());
        for p in &patterns {
            let i = match scopes.iter().position(|s| s.key() == p.scope.key()) {
                Some(i) => i,
                None => {
                    scopes.push(p.scope.clone());
                    scopes.len() - 1
                }
            };
            scope_of.push(i);
        }
        Ok(ScanPlan {
            patterns,
            literals,
            scopes,
            scope_of,
            classes: Default::default(),
            context_pods: Regex::new(
                r"secrets-store|provider-azure|csi-driver|(^|-)nmi-|azure-cns|sc-|extension",
            )
            .expect("static regex"),
        })
    }

    /// A plan with no patterns (reading alone).
    pub fn empty() -> ScanPlan {
        ScanPlan::new(Vec::new()).expect("empty set compiles")
    }

    /// The compiled patterns.
    pub fn patterns(&self) -> &[LinePattern] {
        &self.patterns
    }

    /// The compiled class of a member (built on first use).
    pub fn class_of(&self, file: &TextFile, dump_logs: bool) -> std::sync::Arc<ClassPlan> {
        let (ns, pod) = if dump_logs {
            // A dump's sections switch pods: every scope admits it.
            (None, None)
        } else {
            (file.namespace.as_deref(), file.pod.as_deref())
        };
        let key = ClassKey {
            source: file.source,
            admitted: self.scopes.iter().map(|s| s.admits(ns, pod)).collect(),
        };
        if let Some(c) = self.lock().get(&key) {
            return c.clone();
        }
        let ids: Vec<usize> = (0..self.patterns.len())
            .filter(|&i| {
                self.patterns[i].sources.contains(&key.source) && key.admitted[self.scope_of[i]]
            })
            .collect();
        // Compiled outside the lock: another thread may build another class meanwhile
        // (if both build the same one, the first stored wins).
        let class = std::sync::Arc::new(
            ClassPlan::new(self, ids).expect("patterns compiled one by one at load"),
        );
        self.lock().entry(key).or_insert(class).clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ClassKey, std::sync::Arc<ClassPlan>>> {
        // A panic while holding the lock leaves the map as it was: still usable.
        self.classes.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The file a line belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TextFile {
    /// Path relative to the bundle root.
    pub file: String,
    pub source: TextSource,
    pub namespace: Option<String>,
    pub pod: Option<String>,
    pub container: Option<String>,
    pub previous: bool,
}

/// Matching lines of one pattern in one file, with the same captured values.
#[derive(Debug, Clone)]
pub struct LineHit {
    /// Index of the pattern in the plan.
    pub pattern: usize,
    pub file: TextFile,
    /// Line number (1-based) of the first occurrence.
    pub line: u64,
    /// The first occurrence, timestamp prefix removed, cut to a few hundred bytes.
    pub excerpt: String,
    pub captures: BTreeMap<String, String>,
    pub count: u64,
    /// Raw timestamps (RFC 3339 or klog's `MMDD hh:mm:ss`), see `time::normalize`.
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
}

/// An error-level line of a provider/driver/NMI pod, kept for correlation.
#[derive(Debug, Clone)]
pub struct ContextLine {
    pub file: TextFile,
    pub line: u64,
    pub text: String,
    pub ts: Option<String>,
}

/// What the scan found in the whole bundle.
#[derive(Debug, Default)]
pub struct ScanResults {
    pub hits: Vec<LineHit>,
    pub context: Vec<ContextLine>,
    /// The last lines of every previous-instance log, in file order.
    pub tails: Vec<ContextLine>,
    /// Container logs whose body is a fetch error rather than the log (see
    /// [`crate::layout::is_log_fetch_error`]).
    pub gaps: Vec<LogGap>,
    /// Container logs read: log files, and the sections of dump `logs.txt` files.
    pub logs_read: u64,
    /// Lines scanned, for the performance figures.
    pub lines: u64,
    pub bytes: u64,
}

/// A container log whose body is the API server's or kubelet's error instead of the log.
#[derive(Debug, Clone)]
pub struct LogGap {
    /// The file, with the container (and for dumps the pod) the body belongs to.
    pub file: TextFile,
    /// The line the error is on.
    pub line: u64,
    /// The error, cut to an excerpt.
    pub text: String,
}

/// Lines a log body may have and still be a fetch error (the error and a blank line).
const GAP_MAX_LINES: u64 = 3;

/// Scans text members with one reusable buffer.
pub struct Scanner<'p> {
    plan: &'p ScanPlan,
    max_line: usize,
    buf: Vec<u8>,
    /// The block lower-cased, for the packed literal search.
    lower: Vec<u8>,
    /// Match only the lines holding a candidate (always, but in the tests that check
    /// the candidate search against matching every line).
    gate: bool,
    results: ScanResults,
}

struct FileState {
    file: TextFile,
    /// The patterns that can apply to this member.
    class: std::sync::Arc<ClassPlan>,
    dump_logs: bool,
    context: bool,
    line_no: u64,
    hits: HashMap<(usize, Vec<(String, String)>), LineHit>,
    per_pattern: HashMap<usize, usize>,
    ctx: std::collections::VecDeque<ContextLine>,
    /// Set for previous-instance logs: their last lines.
    tail: Option<std::collections::VecDeque<ContextLine>>,
    /// The first line of the body (the file, or the current dump section) and its number.
    first: Option<(u64, Vec<u8>)>,
    /// The line number the current body starts after.
    body_start: u64,
    /// A dump section is open.
    in_section: bool,
}

impl<'p> Scanner<'p> {
    /// A scanner for `plan`, matching at most `max_line` bytes of each line.
    pub fn new(plan: &'p ScanPlan, max_line: usize) -> Scanner<'p> {
        let max_line = max_line.max(256);
        Scanner {
            plan,
            max_line,
            buf: vec![0; (256 << 10).max(max_line + 1)],
            lower: Vec::new(),
            gate: true,
            results: ScanResults::default(),
        }
    }

    /// Scans one text member to its end. `dump_logs` marks a cluster-info dump
    /// `logs.txt`, whose START/END markers switch the current container.
    pub fn scan(
        &mut self,
        file: TextFile,
        dump_logs: bool,
        reader: &mut dyn Read,
    ) -> std::io::Result<()> {
        let context = file
            .pod
            .as_deref()
            .is_some_and(|p| self.plan.context_pods.is_match(p.as_bytes()));
        let class = self.plan.class_of(&file, dump_logs);
        let mut st = FileState {
            file,
            class,
            dump_logs,
            context,
            line_no: 0,
            hits: HashMap::new(),
            per_pattern: HashMap::new(),
            ctx: Default::default(),
            tail: None,
            first: None,
            body_start: 0,
            in_section: false,
        };
        if st.file.previous && st.file.source == TextSource::Log {
            st.tail = Some(Default::default());
        }
        let result = self.scan_inner(&mut st, reader);
        if st.file.source == TextSource::Log && (!st.dump_logs || st.in_section) {
            self.end_body(&mut st);
        }
        // Whatever was read before an error still counts.
        let mut hits: Vec<LineHit> = st.hits.into_values().collect();
        hits.sort_by_key(|h| (h.pattern, h.line));
        self.results.hits.extend(hits);
        self.results.context.extend(st.ctx);
        if let Some(tail) = st.tail {
            self.results.tails.extend(tail);
        }
        result
    }

    fn scan_inner(&mut self, st: &mut FileState, reader: &mut dyn Read) -> std::io::Result<()> {
        let mut filled = 0usize;
        let mut skipping = false; // inside the tail of an over-long line
        let mut eof = false;
        let plan = self.plan;
        while !eof {
            // Fill the buffer.
            while filled < self.buf.len() {
                match reader.read(&mut self.buf[filled..]) {
                    Ok(0) => {
                        eof = true;
                        break;
                    }
                    Ok(n) => {
                        filled += n;
                        self.results.bytes += n as u64;
                        if filled >= 64 << 10 {
                            break;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        // Scan the complete lines we have, then report.
                        let upto = memchr::memrchr(b'\n', &self.buf[..filled]).map(|i| i + 1);
                        if let Some(end) = upto {
                            let block = std::mem::take(&mut self.buf);
                            let start = if skipping {
                                skip_to_line_start(&block[..end])
                            } else {
                                0
                            };
                            self.block(st, plan, &block[start..end]);
                            self.buf = block;
                        }
                        return Err(e);
                    }
                }
            }
            let block = std::mem::take(&mut self.buf);
            let data = &block[..filled];
            let mut start = 0;
            if skipping {
                match memchr::memchr(b'\n', data) {
                    Some(i) => {
                        start = i + 1;
                        skipping = false;
                    }
                    None => {
                        filled = 0;
                        self.buf = block;
                        continue;
                    }
                }
            }
            let end = match memchr::memrchr(b'\n', &data[start..]) {
                _ if eof => filled,
                Some(i) => start + i + 1,
                None if filled - start >= self.max_line => {
                    // One line longer than the cap: match its head, skip the rest.
                    let head = &data[start..start + self.max_line];
                    self.line(st, plan, head, true);
                    skipping = true;
                    filled = 0;
                    self.buf = block;
                    continue;
                }
                None => start, // need more bytes for this line
            };
            if end > start {
                self.block(st, plan, &data[start..end]);
            }
            let rest = filled - end;
            let mut block = block;
            block.copy_within(end..filled, 0);
            filled = rest;
            // A partial line longer than the cap that did not fill the buffer yet
            // is handled on the next round.
            if filled >= self.max_line && memchr::memchr(b'\n', &block[..filled]).is_none() {
                let head_len = self.max_line;
                let head = block[..head_len].to_vec();
                self.line(st, plan, &head, true);
                skipping = true;
                filled = 0;
            }
            self.buf = block;
        }
        Ok(())
    }

    /// Closes a log body (a file, or a dump section): counts it, and records it as a gap
    /// when it is a short fetch error.
    fn end_body(&mut self, st: &mut FileState) {
        self.results.logs_read += 1;
        if let Some((line, text)) = st.first.take() {
            if st.line_no.saturating_sub(st.body_start) <= GAP_MAX_LINES
                && crate::layout::is_log_fetch_error(&text)
            {
                self.results.gaps.push(LogGap {
                    file: st.file.clone(),
                    line,
                    text: excerpt(text.trim_ascii()),
                });
            }
        }
    }

    /// A block of whole lines (ending with '\n', except at end of file).
    fn block(&mut self, st: &mut FileState, plan: &ScanPlan, data: &[u8]) {
        if st.line_no == 0 && !st.dump_logs && st.first.is_none() {
            let end = memchr::memchr(b'\n', data).unwrap_or(data.len());
            let first = &data[..end.min(EXCERPT_BYTES)];
            st.first = Some((1, split_timestamp(first).1.to_vec()));
        }
        let every_line = st.dump_logs || st.context || st.tail.is_some();
        let class = std::sync::Arc::clone(&st.class);
        if !self.gate {
            self.each_line(st, plan, data, None);
            return;
        }
        if class.ids.is_empty() {
            if every_line {
                self.each_line(st, plan, data, None);
            } else {
                self.count_lines(st, data);
            }
            return;
        }
        let mut lower = std::mem::take(&mut self.lower);
        lower.clear();
        if class.needs_lower() {
            lower.extend_from_slice(data);
            lower.make_ascii_lowercase();
        }
        let mut cursor = Cursor::default();
        if every_line {
            // Every line is visited (dump markers, an add-on's error lines kept as
            // context, a previous instance's last lines), but only the lines holding a
            // candidate go through the patterns.
            self.each_line(st, plan, data, Some((&class, &lower, &mut cursor)));
            self.lower = lower;
            return;
        }
        // Like ripgrep: search the whole block for a candidate (a required literal, or a
        // match of a pattern that has none), then look only at the line it is on; lines
        // without a candidate are counted, never visited.
        let mut pos = 0;
        while pos < data.len() {
            let Some(at) = class.candidate(data, &lower, pos, &mut cursor) else {
                break;
            };
            let start = memchr::memrchr(b'\n', &data[pos..at]).map_or(pos, |i| pos + i + 1);
            let end = memchr::memchr(b'\n', &data[at..]).map_or(data.len(), |i| at + i + 1);
            self.count_lines(st, &data[pos..start]);
            self.each_line(st, plan, &data[start..end], None);
            pos = end;
        }
        self.count_lines(st, &data[pos..]);
        self.lower = lower;
    }

    fn count_lines(&mut self, st: &mut FileState, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        let n = memchr_iter(b'\n', data).count() as u64 + u64::from(data[data.len() - 1] != b'\n');
        st.line_no += n;
        self.results.lines += n;
    }

    /// Visits each line of `data`. With `gate`, only a line holding a candidate of the
    /// class is matched; without, every visited line is.
    fn each_line(
        &mut self,
        st: &mut FileState,
        plan: &ScanPlan,
        data: &[u8],
        mut gate: Option<(&ClassPlan, &[u8], &mut Cursor)>,
    ) {
        let mut next = match &mut gate {
            Some((class, lower, cursor)) => class.candidate(data, lower, 0, cursor),
            None => Some(0),
        };
        let mut start = 0;
        while start < data.len() {
            let nl = memchr::memchr(b'\n', &data[start..]).map(|i| start + i);
            let end = nl.map_or(data.len(), |i| i + 1);
            let line = &data[start..nl.unwrap_or(data.len())];
            let line = &line[..line.len().min(self.max_line)];
            let matched = next.is_some_and(|at| at < end);
            self.line(st, plan, line, matched);
            if matched {
                if let Some((class, lower, cursor)) = &mut gate {
                    next = class.candidate(data, lower, end, cursor);
                }
            }
            start = end;
        }
    }

    /// One line: dump markers, context and tails, then the class's patterns when
    /// `matched` (the line may hold a match).
    fn line(&mut self, st: &mut FileState, plan: &ScanPlan, raw: &[u8], matched: bool) {
        st.line_no += 1;
        self.results.lines += 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if st.dump_logs {
            if let Some(marker) = crate::layout::dump_marker(raw) {
                if st.in_section && st.file.source == TextSource::Log {
                    self.end_body(st);
                }
                st.in_section = marker.is_some();
                st.body_start = st.line_no;
                st.first = None;
                match marker {
                    Some(section) => {
                        st.file.container = Some(section.container);
                        if section.pod.is_some() {
                            st.file.namespace = section.namespace;
                            st.file.pod = section.pod;
                        }
                    }
                    None => st.file.container = None,
                }
                return;
            }
            if st.in_section && st.first.is_none() && !raw.trim_ascii().is_empty() {
                st.first = Some((st.line_no, raw[..raw.len().min(EXCERPT_BYTES)].to_vec()));
            }
        }
        let (ts, text) = split_timestamp(raw);
        if let Some(tail) = &mut st.tail {
            if tail.len() == TAIL_LINES_PER_PREVIOUS_LOG {
                tail.pop_front();
            }
            tail.push_back(ContextLine {
                file: st.file.clone(),
                line: st.line_no,
                text: excerpt(text),
                ts: ts.clone().or_else(|| klog_time(text)),
            });
        }
        if st.context && is_error_level(text) {
            if st.ctx.len() == CONTEXT_LINES_PER_FILE {
                st.ctx.pop_front();
            }
            st.ctx.push_back(ContextLine {
                file: st.file.clone(),
                line: st.line_no,
                text: excerpt(text),
                ts: ts.clone().or_else(|| klog_time(text)),
            });
        }
        if !matched || st.class.ids.is_empty() {
            return;
        }
        let class = std::sync::Arc::clone(&st.class);
        let mut groups_done: Vec<usize> = Vec::new();
        for local in class.patterns_for(text) {
            let id = class.ids[local];
            let p = &plan.patterns[id];
            if groups_done.contains(&p.group) {
                continue;
            }
            if !p.sources.contains(&st.file.source) {
                continue;
            }
            let Some(caps) = p.regex.captures(text) else {
                continue;
            };
            if !p.require.iter().all(|r| r.is_match(text))
                || p.exclude.iter().any(|r| r.is_match(text))
            {
                continue;
            }
            groups_done.push(p.group);
            let mut captured: Vec<(String, String)> = Vec::new();
            for name in p.regex.capture_names().flatten() {
                if let Some(m) = caps.name(name) {
                    captured.push((
                        name.to_string(),
                        String::from_utf8_lossy(m.as_bytes()).into_owned(),
                    ));
                }
            }
            if p.about_klog_pod {
                if let Some((ns, pod)) = klog_pod(text) {
                    captured.push(("target_namespace".into(), ns));
                    captured.push(("target_pod".into(), pod));
                }
            }
            let stamp = ts.clone().or_else(|| klog_time(text));
            let key = (id, captured);
            if let Some(hit) = st.hits.get_mut(&key) {
                hit.count += 1;
                if stamp.is_some() {
                    hit.last_seen = stamp;
                }
                continue;
            }
            let seen = st.per_pattern.entry(id).or_default();
            if *seen >= HITS_PER_PATTERN_FILE {
                // Too many distinct variants: fold into the first one.
                if let Some(hit) = st.hits.values_mut().find(|h| h.pattern == id) {
                    hit.count += 1;
                }
                continue;
            }
            *seen += 1;
            let container_file = st.file.clone();
            st.hits.insert(
                key.clone(),
                LineHit {
                    pattern: id,
                    file: container_file,
                    line: st.line_no,
                    excerpt: excerpt(text),
                    captures: key.1.into_iter().collect(),
                    count: 1,
                    first_seen: stamp.clone(),
                    last_seen: stamp,
                },
            );
        }
    }

    /// Everything found so far.
    pub fn finish(self) -> ScanResults {
        self.results
    }
}

/// The pod a log line says it is about, as `(namespace, name)`: the `pod="ns/name"` (or
/// unquoted `pod=ns/name`, or JSON `"pod":"ns/name"`) key of a structured line, or the
/// kubelet's older `pod "<name>_<namespace>"` / `pod "<name>_<namespace>(<uid>)"` (pod and
/// namespace names cannot hold `_`).
pub fn klog_pod(line: &[u8]) -> Option<(String, String)> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r#"(?:^|[\s,{(\[])\\?"?pod\\?"?[=:]\s*\\?"?(?P<ns>[a-z0-9][-a-z0-9.]*)/(?P<name>[a-z0-9][-a-z0-9.]*)|\bpod \\?"(?P<old_name>[a-z0-9][-a-z0-9.]*)_(?P<old_ns>[a-z0-9][-a-z0-9]*)(?:\(|\\?")"#,
        )
        .expect("static regex")
    });
    let c = re.captures(line)?;
    let s = |k: &str| {
        c.name(k)
            .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
    };
    match (s("ns"), s("name")) {
        (Some(ns), Some(name)) => Some((ns, name)),
        _ => Some((s("old_ns")?, s("old_name")?)),
    }
}

fn skip_to_line_start(data: &[u8]) -> usize {
    memchr::memchr(b'\n', data).map_or(data.len(), |i| i + 1)
}

/// Splits a `kubectl logs --timestamps` prefix (`2026-11-22T04:00:01.123456789Z `) off a line.
pub fn split_timestamp(line: &[u8]) -> (Option<String>, &[u8]) {
    if line.len() > 20
        && line[4] == b'-'
        && line[7] == b'-'
        && line[10] == b'T'
        && line[..4].iter().all(u8::is_ascii_digit)
    {
        if let Some(sp) = memchr::memchr(b' ', &line[..line.len().min(40)]) {
            if let Ok(ts) = std::str::from_utf8(&line[..sp]) {
                return (Some(ts.to_string()), &line[sp + 1..]);
            }
        }
    }
    (None, line)
}

/// A klog header's time (`E1122 04:00:01.123456`) as `MMDD hh:mm:ss.ffffff`.
fn klog_time(text: &[u8]) -> Option<String> {
    if text.len() > 21
        && matches!(text[0], b'I' | b'W' | b'E' | b'F')
        && text[1..5].iter().all(u8::is_ascii_digit)
        && text[5] == b' '
        && text[8] == b':'
    {
        let end = memchr::memchr(b' ', &text[6..]).map_or(text.len(), |i| 6 + i);
        return std::str::from_utf8(&text[1..end]).ok().map(str::to_string);
    }
    None
}

/// Markers of an error-level line near its start: logfmt and JSON levels, and the upper-case
/// level names of Python `logging`, log4j/logback and similar formats, plus Python
/// tracebacks and Go panics.
const ERROR_MARKERS: &[&[u8]] = &[
    b"level=error",
    b"level=fatal",
    b"\"level\":\"error\"",
    b"\"level\":\"fatal\"",
    b" ERROR ",
    b"[ERROR]",
    b"ERROR:",
    b" FATAL ",
    b" CRITICAL ",
    b"Traceback (most recent call last)",
    b"panic: ",
];

/// klog `E`/`F` lines and the [`ERROR_MARKERS`].
fn is_error_level(text: &[u8]) -> bool {
    if text.len() > 5 && matches!(text[0], b'E' | b'F') && text[1..5].iter().all(u8::is_ascii_digit)
    {
        return true;
    }
    let head = &text[..text.len().min(200)];
    ERROR_MARKERS
        .iter()
        .any(|m| memchr::memmem::find(head, m).is_some())
}

fn excerpt(text: &[u8]) -> String {
    let cut = &text[..text.len().min(EXCERPT_BYTES)];
    let mut s = String::from_utf8_lossy(cut).into_owned();
    s.retain(|c| c != '\0');
    if text.len() > EXCERPT_BYTES {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(patterns: &[&str]) -> ScanPlan {
        ScanPlan::new(
            patterns
                .iter()
                .map(|p| LinePattern {
                    sources: vec![TextSource::Log],
                    regex: LineRegex::compiled(p).unwrap(),
                    require: vec![],
                    exclude: vec![],
                    group: 0,
                    about_klog_pod: false,
                    scope: PodScope::default(),
                })
                .collect(),
        )
        .unwrap()
    }

    fn file(pod: &str) -> TextFile {
        TextFile {
            file: format!("logs/kube-system/{pod}/c.log"),
            source: TextSource::Log,
            namespace: Some("kube-system".into()),
            pod: Some(pod.into()),
            container: Some("c".into()),
            previous: false,
        }
    }

    #[test]
    fn repeated_lines_aggregate_with_count_and_times() {
        let p = plan(&[r"status code: (?P<code>\d+)"]);
        let mut s = Scanner::new(&p, 4096);
        let log = "2026-11-22T04:00:01Z ok\n\
                   2026-11-22T04:00:02Z E1122 04:00:02.1 1 x.go:1] status code: 404\n\
                   2026-11-22T04:00:09Z E1122 04:00:09.1 1 x.go:1] status code: 404\n\
                   2026-11-22T04:00:10Z E1122 04:00:10.1 1 x.go:1] status code: 403";
        s.scan(file("app"), false, &mut log.as_bytes()).unwrap();
        let r = s.finish();
        assert_eq!(r.lines, 4);
        assert_eq!(r.hits.len(), 2);
        let h404 = r.hits.iter().find(|h| h.captures["code"] == "404").unwrap();
        assert_eq!((h404.count, h404.line), (2, 2));
        assert_eq!(h404.first_seen.as_deref(), Some("2026-11-22T04:00:02Z"));
        assert_eq!(h404.last_seen.as_deref(), Some("2026-11-22T04:00:09Z"));
        assert!(h404.excerpt.starts_with("E1122"));
    }

    #[test]
    fn line_numbers_survive_blocks_without_matches() {
        let p = plan(&["needle"]);
        let mut s = Scanner::new(&p, 1024);
        let mut log = String::new();
        for i in 0..100_000 {
            log.push_str(&format!("I1122 04:00:00.000000 1 a.go:1] line {i}\n"));
        }
        log.push_str("needle here\n");
        s.scan(file("app"), false, &mut log.as_bytes()).unwrap();
        let r = s.finish();
        assert_eq!(r.hits[0].line, 100_001);
    }

    #[test]
    fn overlong_line_is_cut_and_the_next_line_still_matches() {
        let p = plan(&["needle"]);
        let mut s = Scanner::new(&p, 300);
        let mut log = "x".repeat(1_000_000);
        log.push_str("needle-in-tail\nneedle second\n");
        s.scan(file("app"), false, &mut log.as_bytes()).unwrap();
        let r = s.finish();
        assert_eq!(r.hits.len(), 1);
        assert_eq!(r.hits[0].line, 2);
        assert_eq!(r.hits[0].excerpt, "needle second");
    }

    #[test]
    fn nul_bytes_and_invalid_utf8_do_not_stop_matching() {
        let p = plan(&["needle"]);
        let mut s = Scanner::new(&p, 1024);
        let log: &[u8] = b"\xff\xfe\x00garbage\nneedle \x00\xc3\n";
        s.scan(file("app"), false, &mut &log[..]).unwrap();
        assert_eq!(s.finish().hits[0].line, 2);
    }

    #[test]
    fn error_lines_of_provider_pods_are_kept_as_context() {
        let p = ScanPlan::empty();
        let mut s = Scanner::new(&p, 1024);
        let log = "I1122 04:00:00.1 1 a.go:1] fine\nE1122 04:00:01.5 1 a.go:2] failed to mount\n";
        s.scan(
            file("aks-secrets-store-provider-azure-x1"),
            false,
            &mut log.as_bytes(),
        )
        .unwrap();
        s.scan(file("web-1"), false, &mut log.as_bytes()).unwrap();
        let r = s.finish();
        assert_eq!(r.context.len(), 1);
        assert_eq!(r.context[0].line, 2);
        assert_eq!(r.context[0].ts.as_deref(), Some("1122 04:00:01.5"));
    }

    #[test]
    fn error_level_covers_common_formats() {
        for line in [
            "E1122 04:00:01.5 1 a.go:2] failed",
            "time=2026-11-22T04:00:01Z level=error msg=boom",
            r#"{"level":"error","msg":"boom"}"#,
            "2026-11-22 03:38:48,883 ERROR failed to create secret",
            "[ERROR] 2026-11-22 03:38:48 failed",
            "ERROR: failed to create secret",
            "Traceback (most recent call last):",
            "panic: runtime error: invalid memory address",
        ] {
            assert!(is_error_level(line.as_bytes()), "{line}");
        }
        for line in [
            "I1122 04:00:00.1 1 a.go:1] fine",
            "2026-11-22 03:38:43,120 INFO  creating service account",
            "level=info msg=\"no errors\"",
        ] {
            assert!(!is_error_level(line.as_bytes()), "{line}");
        }
    }

    #[test]
    fn klog_pod_key_in_its_spellings() {
        let want = Some(("shop".to_string(), "web-1".to_string()));
        assert_eq!(
            klog_pod(br#"E1122 1 server.go:1] "failed" err="x" pod="shop/web-1""#),
            want
        );
        assert_eq!(
            klog_pod(b"level=error msg=failed pod=shop/web-1 err=x"),
            want
        );
        assert_eq!(klog_pod(br#"{"msg":"failed","pod":"shop/web-1"}"#), want);
        assert_eq!(
            klog_pod(br#"err="failed to mount secrets store objects for pod shop/web-1""#),
            None
        );
        assert_eq!(klog_pod(br#"mypod="shop/web-1""#), None);
        // The kubelet before structured logging (rancher/rancher#14504's sandbox lines).
        let old = Some(("myzep".to_string(), "myzep-79945ccb7f-rz8ld".to_string()));
        assert_eq!(
            klog_pod(br#"E0711 15:11:17.994678   24727 kuberuntime_sandbox.go:54] CreatePodSandbox for pod "myzep-79945ccb7f-rz8ld_myzep(4ae2623a-8519-11e8-9f37-005056021169)" failed: rpc error"#),
            old
        );
        assert_eq!(
            klog_pod(br#"desc = NetworkPlugin cni failed to set up pod \"myzep-79945ccb7f-rz8ld_myzep\" network"#),
            old
        );
        assert_eq!(klog_pod(br#"failed to set up pod "web" network"#), None);
    }

    #[test]
    fn previous_logs_keep_their_last_lines() {
        let p = ScanPlan::empty();
        let mut s = Scanner::new(&p, 1024);
        let log: String = (1..=50).map(|i| format!("line {i}\n")).collect();
        let mut f = file("api-1");
        f.previous = true;
        s.scan(f, false, &mut log.as_bytes()).unwrap();
        s.scan(file("api-1"), false, &mut log.as_bytes()).unwrap();
        let r = s.finish();
        assert_eq!(r.tails.len(), TAIL_LINES_PER_PREVIOUS_LOG);
        assert_eq!(
            (r.tails[0].line, r.tails.last().unwrap().text.as_str()),
            (31, "line 50")
        );
    }

    #[test]
    fn dump_logs_switch_container_at_markers() {
        let p = plan(&["boom"]);
        let mut s = Scanner::new(&p, 1024);
        let log = "==== START logs for container a of pod ns/p ====\nok\n==== END logs for container a of pod ns/p ====\n\
                   ==== START logs for container b of pod ns/p ====\nboom\n==== END logs for container b of pod ns/p ====\n";
        let mut f = file("p");
        f.container = None;
        s.scan(f, true, &mut log.as_bytes()).unwrap();
        let r = s.finish();
        assert_eq!(r.hits[0].file.container.as_deref(), Some("b"));
        assert_eq!(r.hits[0].line, 5);
    }

    /// Every log line of the catalogue's cases and of the collected wordings.
    fn catalogue_log_text() -> String {
        fn walk(dir: &std::path::Path, out: &mut String) {
            let Ok(rd) = std::fs::read_dir(dir) else {
                return;
            };
            let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
            entries.sort();
            for p in entries {
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|e| e == "log")
                    && p.components().any(|c| c.as_os_str() == "logs")
                {
                    if let Ok(t) = std::fs::read_to_string(&p) {
                        out.push_str(&t);
                        out.push('\n');
                    }
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut text = String::new();
        walk(&root.join("rules"), &mut text);
        walk(&root.join("testdata").join("wordings"), &mut text);
        text
    }

    type HitKey = (usize, u64, u64, Vec<(String, String)>);

    fn hit_keys(hits: &[LineHit]) -> Vec<HitKey> {
        let mut keys: Vec<HitKey> = hits
            .iter()
            .map(|h| {
                let c = h.captures.iter().map(|(k, v)| (k.clone(), v.clone()));
                (h.pattern, h.line, h.count, c.collect())
            })
            .collect();
        keys.sort();
        keys
    }

    /// On a line, the class names every one of its patterns that matches the line: a
    /// pattern skipped there would lose its hit. Over every line of the case logs, for
    /// the class of every log pattern and of every attachment pattern.
    #[test]
    fn a_line_is_given_every_pattern_that_matches_it() {
        let (cat, errors) = crate::Catalogue::builtin();
        assert!(errors.is_empty(), "{errors:?}");
        let (plan, _) = crate::engine::scan_plan(&cat);
        let text = catalogue_log_text();
        let mut unknown = file("x");
        unknown.pod = None;
        unknown.namespace = None;
        let mut pasted = unknown.clone();
        pasted.source = TextSource::Attachment;
        let mut matched = 0;
        for f in [unknown, pasted] {
            let class = plan.class_of(&f, false);
            assert!(
                class.ids().len() > 10,
                "{:?}: {} patterns",
                f.source,
                class.ids().len()
            );
            for line in text.lines() {
                let (_, line) = split_timestamp(line.as_bytes());
                let given = class.patterns_for(line);
                for (local, &id) in class.ids().iter().enumerate() {
                    if plan.patterns()[id].regex.is_match(line) {
                        matched += 1;
                        assert!(
                            given.contains(&local),
                            "{} matches {:?} but was not given the line",
                            plan.patterns()[id].regex.as_str(),
                            String::from_utf8_lossy(line)
                        );
                    }
                }
            }
        }
        assert!(matched > 50, "only {matched} matching lines");
    }

    /// Matching only the lines the literal search stops on finds what matching every
    /// line finds, on every path: an application's log, an add-on's log kept as context,
    /// a previous instance, a log of unknown pod and a cluster-info dump's sections.
    #[test]
    fn candidate_lines_alone_find_what_every_line_finds() {
        let (cat, errors) = crate::Catalogue::builtin();
        assert!(errors.is_empty(), "{errors:?}");
        let (plan, _) = crate::engine::scan_plan(&cat);
        let text = catalogue_log_text();
        let mut dump = String::from("==== START logs for container c of pod kube-system/secrets-store-provider-azure-abcde ====\n");
        dump.push_str(&text);
        dump.push_str("==== END logs for container c of pod kube-system/secrets-store-provider-azure-abcde ====\n");
        let mut previous = file("web-1");
        previous.previous = true;
        let mut unknown = file("x");
        unknown.pod = None;
        unknown.namespace = None;
        let cases = [
            ("application", file("web-1"), false, text.as_str()),
            (
                "context",
                file("secrets-store-provider-azure-abcde"),
                false,
                &text,
            ),
            ("previous", previous, false, &text),
            ("unknown pod", unknown.clone(), false, &text),
            ("dump", unknown, true, &dump),
        ];
        for (what, f, dump_logs, body) in cases {
            let run = |gate: bool| {
                let mut s = Scanner::new(&plan, 64 << 10);
                s.gate = gate;
                // Short reads, so that blocks end in the middle of the text.
                struct Short<'a>(&'a [u8]);
                impl Read for Short<'_> {
                    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                        let n = buf.len().min(self.0.len()).min(7_777);
                        buf[..n].copy_from_slice(&self.0[..n]);
                        self.0 = &self.0[n..];
                        Ok(n)
                    }
                }
                s.scan(f.clone(), dump_logs, &mut Short(body.as_bytes()))
                    .unwrap();
                s.finish()
            };
            let (gated, every) = (run(true), run(false));
            assert!(every.hits.len() > 20, "{what}: {} hits", every.hits.len());
            assert_eq!(hit_keys(&gated.hits), hit_keys(&every.hits), "{what}");
            assert_eq!(gated.lines, every.lines, "{what}");
            let ctx = |r: &ScanResults| -> Vec<(u64, String)> {
                r.context
                    .iter()
                    .chain(&r.tails)
                    .map(|c| (c.line, c.text.clone()))
                    .collect()
            };
            assert_eq!(ctx(&gated), ctx(&every), "{what}");
        }
    }

    /// The per-source-class plans find, for each log, exactly the hits that scanning it
    /// with every log pattern finds and that its patterns' pod scopes admit.
    #[test]
    fn a_source_class_finds_what_the_full_set_finds_for_its_pods() {
        let (cat, errors) = crate::Catalogue::builtin();
        assert!(errors.is_empty(), "{errors:?}");
        let (plan, _) = crate::engine::scan_plan(&cat);
        let text = catalogue_log_text();
        assert!(text.len() > 10_000, "{} bytes of case logs", text.len());
        // A file whose pod is unknown is scanned with every log pattern.
        let mut s = Scanner::new(&plan, 64 << 10);
        let mut unknown = file("x");
        unknown.namespace = None;
        unknown.pod = None;
        s.scan(unknown, false, &mut text.as_bytes()).unwrap();
        let all = s.finish().hits;
        assert!(all.len() > 20, "{} hits over the case logs", all.len());
        let every_log_pattern = plan
            .patterns()
            .iter()
            .filter(|p| p.sources.contains(&TextSource::Log))
            .count();
        let pods = [
            ("shop", "web-7d9c6b5f4d-x2x9z"),
            ("kube-system", "coredns-789789675-2kq9v"),
            ("shop", "coredns-789789675-2kq9v"),
            ("kube-system", "aks-secrets-store-provider-azure-abcde"),
            ("kube-system", "secrets-store-provider-azure-abcde"),
            ("kube-system", "extension-agent-6d9f8c7b5-q2w3e"),
            ("sc-system", "sc-controller-5f6d7c8b9-zz1xx"),
        ];
        let mut smaller = 0;
        for (ns, pod) in pods {
            let mut f = file(pod);
            f.namespace = Some(ns.into());
            let class = plan.class_of(&f, false);
            if class.ids().len() < every_log_pattern {
                smaller += 1;
            }
            let mut s = Scanner::new(&plan, 64 << 10);
            s.scan(f, false, &mut text.as_bytes()).unwrap();
            let got = hit_keys(&s.finish().hits);
            let want: Vec<LineHit> = all
                .iter()
                .filter(|h| plan.patterns()[h.pattern].scope.admits(Some(ns), Some(pod)))
                .cloned()
                .collect();
            assert!(!want.is_empty(), "{ns}/{pod}: no hit to compare");
            assert_eq!(got, hit_keys(&want), "{ns}/{pod}");
        }
        assert!(smaller >= 3, "only {smaller} pods got a smaller class");
    }

    /// A pod scope must admit every log the matcher's pod filter can accept after the
    /// pass, whether or not the pod object is in the bundle, whatever its labels.
    #[test]
    fn pod_scopes_admit_every_pod_the_pod_filter_accepts() {
        use crate::index::{Index, NamespaceObjects};
        let (cat, _) = crate::Catalogue::builtin();
        let namespaces = ["kube-system", "sc-system", "shop"];
        let names = [
            "coredns-789789675-2kq9v",
            "secrets-store-provider-azure-abcde",
            "extension-agent-6d9f8c7b5-q2w3e",
            "web-1",
        ];
        let mut label_sets: Vec<serde_json::Value> = vec![serde_json::json!({})];
        for m in cat.rules.iter().flat_map(|r| &r.matchers) {
            if let Some(f) = &m.spec.pods {
                label_sets.extend(f.labels.iter().map(|l| serde_json::json!(l)));
            }
        }
        let mut checked = 0;
        let mut refused = 0;
        for ns in namespaces {
            for name in names {
                let mut indexes = vec![Index::default()];
                for labels in &label_sets {
                    let mut ix = Index::default();
                    let pod = serde_json::json!([{
                        "metadata": {"name": name, "namespace": ns, "labels": labels},
                        "spec": {"volumes": [{"name": "kv", "csi": {"driver": "secrets-store.csi.k8s.io"}}]},
                    }]);
                    ix.namespaces.insert(
                        ns.into(),
                        NamespaceObjects {
                            pods: Some(serde_json::from_value(pod).unwrap()),
                            ..Default::default()
                        },
                    );
                    indexes.push(ix);
                }
                for m in cat.rules.iter().flat_map(|r| &r.matchers) {
                    let scope = PodScope::of(m.spec.pods.as_ref(), m.pod_name.as_ref());
                    let admits = scope.admits(Some(ns), Some(name));
                    refused += usize::from(!admits);
                    for ix in &indexes {
                        let ok = crate::matchers::pod_ok(
                            m.spec.pods.as_ref(),
                            m.pod_name.as_ref(),
                            ix,
                            ns,
                            name,
                        );
                        assert!(
                            admits || !ok,
                            "{ns}/{name}: scope refuses what the filter accepts ({:?})",
                            m.spec.pods
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 1000, "{checked}");
        assert!(refused > 0, "no scope refused anything");
    }
}
