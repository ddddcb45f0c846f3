//! Many bundles at once: [`discover`] finds them, [`shard`] picks a stable share, [`run`]
//! analyzes them on a rayon pool of `-j` threads and hands back one JSON line per bundle
//! in input order, [`resume`] keeps the results file crash-safe and resumable, and
//! [`summary`] folds result lines into one summary.

pub mod discover;
pub mod resume;
pub mod shard;
pub mod summary;

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Condvar, Mutex};

pub use discover::{discover, Input};
pub use shard::Shard;
pub use summary::Summary;

use crate::engine::{evaluate_with, scan_plan, AnalyzeOptions};
use crate::error::ReadIssue;
use crate::finding::{BundleFacts, Report, REPORT_SCHEMA};
use crate::matchers::Origin;
use crate::reader::read_bundle;
use crate::rules::Catalogue;
use crate::scan::ScanPlan;

/// How a bundle's analysis ended; the `outcome` key of its line.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Read whole and analyzed.
    Analyzed,
    /// The container is damaged: what was read before the damage was analyzed.
    Damaged,
    /// Could not be read at all: the line carries the reason in `errors`.
    Failed,
}

impl Outcome {
    /// The name written in lines and summaries.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Analyzed => "analyzed",
            Outcome::Damaged => "damaged",
            Outcome::Failed => "failed",
        }
    }
}

/// One finished bundle.
#[derive(Debug, Clone)]
pub struct Line {
    /// The report as one line of JSON (no newline): the `aksbundle.report/v1` object plus
    /// an `outcome` key.
    pub json: String,
    /// How the analysis ended (also in the line).
    pub outcome: Outcome,
}

/// What every bundle of a run shares: the catalogue, its scan plan (compiled once per
/// run rather than once per bundle, as [`crate::analyze`] does), and the options.
pub struct Batch<'c> {
    catalogue: &'c Catalogue,
    plan: ScanPlan,
    origins: Vec<Origin>,
    opts: AnalyzeOptions,
    extra_errors: Vec<ReadIssue>,
}

impl<'c> Batch<'c> {
    /// `extra_errors` (broken user rules) are added to every line, as `analyze` adds them
    /// to its report.
    pub fn new(
        catalogue: &'c Catalogue,
        opts: AnalyzeOptions,
        extra_errors: Vec<ReadIssue>,
    ) -> Self {
        let (plan, origins) = scan_plan(catalogue);
        Batch {
            catalogue,
            plan,
            origins,
            opts,
            extra_errors,
        }
    }

    /// Analyzes one bundle into its line. Never fails: a bundle that cannot be opened, or
    /// that makes the analyzer panic, gets a line whose `errors` say why.
    pub fn analyze(&self, input: &Input) -> Line {
        let lang = self.opts.lang.as_str();
        let result = catch_unwind(AssertUnwindSafe(|| {
            read_bundle(&input.path, &self.opts.limits, &self.plan).map(|outcome| {
                evaluate_with(
                    outcome,
                    self.catalogue,
                    &self.origins,
                    &input.display,
                    lang,
                    &self.opts.story,
                )
            })
        }));
        let (mut report, outcome) = match result {
            Ok(Ok(analysis)) => {
                let outcome = if analysis.damaged.is_some() {
                    Outcome::Damaged
                } else {
                    Outcome::Analyzed
                };
                (analysis.report, outcome)
            }
            Ok(Err(e)) => (failed_report(input, e.to_string(), lang), Outcome::Failed),
            Err(panic) => {
                let what = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "unknown panic".into());
                let message =
                    format!("the analyzer failed on this bundle (a bug; please report it): {what}");
                (failed_report(input, message, lang), Outcome::Failed)
            }
        };
        report.errors.extend(self.extra_errors.iter().cloned());
        Line {
            json: line_of(&report, outcome),
            outcome,
        }
    }
}

/// The report of a bundle that could not be read: the same keys, no findings, the reason
/// in `errors`.
pub fn failed_report(input: &Input, message: String, lang: &str) -> Report {
    Report {
        schema: REPORT_SCHEMA.into(),
        bundle: BundleFacts {
            path: input.display.clone(),
            ..BundleFacts::default()
        },
        findings: Vec::new(),
        not_checked: Vec::new(),
        errors: vec![ReadIssue {
            file: "(bundle)".into(),
            message: message.replace(['\r', '\n'], " "),
        }],
        collection_errors: Vec::new(),
        node_ip_usage: Vec::new(),
        warning_events: Vec::new(),
        timeline: Vec::new(),
        story: None,
        lang: lang.to_string(),
    }
}

/// The report as one JSON line, its keys in the report's order and `outcome` last.
pub fn line_of(report: &Report, outcome: Outcome) -> String {
    let mut s = serde_json::to_string(report).expect("reports serialize");
    debug_assert!(s.ends_with('}'));
    s.pop();
    s.push_str(",\"outcome\":\"");
    s.push_str(outcome.as_str());
    s.push_str("\"}");
    crate::terminal::json_escape_c1(s)
}

/// Runs `work` over `inputs` on a pool of `jobs` threads and calls `emit` on the calling
/// thread once per input, in input order, whatever order they finish in.
///
/// Each pool thread takes the next input in order, so at most `jobs` bundles are open at
/// once (the memory bound), and none is started more than `window` places ahead of the
/// last line emitted, so lines waiting for a slow bundle stay bounded too. `emit`
/// returning an error stops the run: no new bundle starts and the error is returned.
pub fn run<W, E, Er>(
    inputs: &[Input],
    jobs: usize,
    window: usize,
    work: W,
    mut emit: E,
) -> Result<(), Er>
where
    W: Fn(&Input) -> Line + Sync,
    E: FnMut(usize, Line) -> Result<(), Er>,
{
    if inputs.is_empty() {
        return Ok(());
    }
    let jobs = jobs.max(1).min(inputs.len());
    let window = window.max(jobs);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|i| format!("aksbundle-batch-{i}"))
        .build()
        .expect("a thread pool can be built");
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    // The index of the next line to emit, which workers may run at most `window` ahead of.
    let emitted = (Mutex::new(0usize), Condvar::new());
    let (tx, rx) = mpsc::channel::<(usize, Line)>();
    std::thread::scope(|s| {
        let next = &next;
        let stop = &stop;
        let emitted = &emitted;
        let work = &work;
        let pool = &pool;
        s.spawn(move || {
            // One loop per pool thread (broadcast), not one rayon task per bundle: a thread
            // waiting inside the engine's own parallel loops then steals only those small
            // tasks, never a second bundle, which keeps open bundles at `jobs`.
            pool.broadcast(|_| {
                let tx = tx.clone();
                loop {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= inputs.len() {
                        return;
                    }
                    {
                        let (lock, cv) = emitted;
                        let mut done = lock.lock().expect("not poisoned");
                        while i >= *done + window && !stop.load(Ordering::Relaxed) {
                            done = cv.wait(done).expect("not poisoned");
                        }
                    }
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let line = work(&inputs[i]);
                    if tx.send((i, line)).is_err() {
                        return;
                    }
                }
            });
            drop(tx);
        });
        let mut pending: BTreeMap<usize, Line> = BTreeMap::new();
        let mut want = 0usize;
        let mut result = Ok(());
        for (i, line) in rx.iter() {
            pending.insert(i, line);
            while let Some(line) = pending.remove(&want) {
                if let Err(e) = emit(want, line) {
                    result = Err(e);
                    break;
                }
                want += 1;
            }
            if result.is_err() {
                stop.store(true, Ordering::Relaxed);
            }
            let (lock, cv) = emitted;
            *lock.lock().expect("not poisoned") = want;
            cv.notify_all();
            if result.is_err() {
                break;
            }
        }
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::time::Duration;

    fn inputs(n: usize) -> Vec<Input> {
        (0..n)
            .map(|i| Input {
                path: PathBuf::from(format!("b{i:03}")),
                display: format!("b{i:03}"),
                bytes: 0,
            })
            .collect()
    }

    #[test]
    fn lines_come_out_in_input_order_whatever_finishes_first() {
        let ins = inputs(40);
        let mut got = Vec::new();
        run::<_, _, ()>(
            &ins,
            4,
            8,
            |i| {
                // Early inputs are the slowest.
                let n: u64 = i.display[1..].parse().unwrap();
                std::thread::sleep(Duration::from_millis(40u64.saturating_sub(n)));
                Line {
                    json: i.display.clone(),
                    outcome: Outcome::Analyzed,
                }
            },
            |idx, line| {
                got.push((idx, line.json));
                Ok(())
            },
        )
        .unwrap();
        let want: Vec<(usize, String)> = (0..40).map(|i| (i, format!("b{i:03}"))).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn workers_never_run_more_than_window_ahead() {
        let ins = inputs(60);
        let started = AtomicUsize::new(0);
        let emitted = AtomicUsize::new(0);
        let worst = AtomicUsize::new(0);
        run::<_, _, ()>(
            &ins,
            3,
            5,
            |i| {
                let idx: usize = i.display[1..].parse().unwrap();
                started.fetch_add(1, Ordering::SeqCst);
                let ahead = idx.saturating_sub(emitted.load(Ordering::SeqCst));
                worst.fetch_max(ahead, Ordering::SeqCst);
                if idx.is_multiple_of(10) {
                    std::thread::sleep(Duration::from_millis(30));
                }
                Line {
                    json: String::new(),
                    outcome: Outcome::Analyzed,
                }
            },
            |idx, _| {
                emitted.store(idx + 1, Ordering::SeqCst);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(started.load(Ordering::SeqCst), 60);
        assert!(
            worst.load(Ordering::SeqCst) < 5,
            "ran {} ahead",
            worst.load(Ordering::SeqCst)
        );
    }

    #[test]
    fn an_emit_error_stops_the_run() {
        let ins = inputs(200);
        let ran = AtomicUsize::new(0);
        let r = run(
            &ins,
            2,
            4,
            |_| {
                ran.fetch_add(1, Ordering::SeqCst);
                Line {
                    json: String::new(),
                    outcome: Outcome::Analyzed,
                }
            },
            |idx, _| if idx == 3 { Err("disk full") } else { Ok(()) },
        );
        assert_eq!(r, Err("disk full"));
        assert!(ran.load(Ordering::SeqCst) < 20);
    }

    #[test]
    fn a_missing_bundle_gets_a_failed_line_with_the_same_keys() {
        let (cat, _) = Catalogue::builtin();
        let input = Input {
            path: PathBuf::from("/nonexistent/x.tar.gz"),
            display: "t1/x.tar.gz".into(),
            bytes: 0,
        };
        let line = Batch::new(&cat, AnalyzeOptions::default(), Vec::new()).analyze(&input);
        assert_eq!(line.outcome, Outcome::Failed);
        let v: serde_json::Value = serde_json::from_str(&line.json).unwrap();
        for key in [
            "schema",
            "bundle",
            "findings",
            "not_checked",
            "errors",
            "outcome",
        ] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        assert_eq!(v["bundle"]["path"], "t1/x.tar.gz");
        assert_eq!(v["errors"][0]["file"], "(bundle)");
        assert_eq!(v["outcome"], "failed");
    }
}
