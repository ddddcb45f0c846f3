//! `aksbundle batch` and `aksbundle summarize`: flags → the analyzer's batch module, with a
//! progress bar when stderr is a terminal.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use analyzer::batch::resume::ResultsFile;
use analyzer::batch::summary::BundleRow;
use analyzer::batch::{self, Input, Outcome, Shard, Summary};
use analyzer::AnalyzeOptions;
use anyhow::Context;

use super::analyze::{load_catalogue, write_output, FormatArg, Lang, LimitArgs};
use crate::exit::ExitCode;

/// Flags of `aksbundle batch`.
#[derive(clap::Args, Debug)]
pub struct BatchArgs {
    /// Bundles, or folders walked recursively for bundles (archives and unpacked trees).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Write the results here as JSON Lines, one report per bundle in input order
    /// (default: standard output). `{shard}` in the name becomes the shard index.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also write a summary: HTML for .html/.htm, JSON for .json, else Markdown.
    /// `{shard}` in the name becomes the shard index.
    #[arg(long, value_name = "FILE")]
    pub summary: Option<PathBuf>,
    /// Analyze only share K of N (0-based K), chosen by a hash of each bundle's path.
    /// Default: JOB_COMPLETION_INDEX of N when that is set (a Kubernetes Indexed Job).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// The shard count N used with JOB_COMPLETION_INDEX.
    #[arg(long, value_name = "N", env = "AKSBUNDLE_SHARDS")]
    pub shards: Option<u32>,
    /// Bundles analyzed at once (default: all cores).
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    pub jobs: Option<usize>,
    /// Skip the bundles already in --out (or in its journal, after an interrupted run)
    /// and keep their lines.
    #[arg(long, requires = "out")]
    pub resume: bool,
    /// Also load the rules found in this folder.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// How long before the collection a healthy finding's last signal must be for it to
    /// count as over (see `analyze --quiet-window`).
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = super::analyze::parse_quiet_window)]
    pub quiet_window: i64,
    /// Report language.
    #[arg(long, value_enum, default_value = "en")]
    pub lang: Lang,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Flags of `aksbundle summarize`.
#[derive(clap::Args, Debug)]
pub struct SummarizeArgs {
    /// JSON Lines files written by `batch --out` (for example one per shard).
    #[arg(required = true)]
    pub results: Vec<PathBuf>,
    /// Summary format (default: from the -o file's extension, else md).
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Write the summary to this file instead of standard output (atomically over a
    /// regular file; straight to a device or FIFO; `-` is standard output).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The shard to run: `--shard`, else JOB_COMPLETION_INDEX with `--shards`/AKSBUNDLE_SHARDS,
/// else everything. Half a configuration is an error, never a silent full run.
pub fn resolve_shard(
    shard: Option<Shard>,
    shards: Option<u32>,
    job_index: Option<&str>,
) -> anyhow::Result<Shard> {
    if let Some(s) = shard {
        if let Some(n) = shards {
            if n != s.count {
                anyhow::bail!("--shard {s} disagrees with --shards/AKSBUNDLE_SHARDS {n}");
            }
        }
        return Ok(s);
    }
    match (job_index.map(str::trim).filter(|s| !s.is_empty()), shards) {
        (Some(k), Some(n)) => {
            let k: u32 = k
                .parse()
                .map_err(|_| anyhow::anyhow!("JOB_COMPLETION_INDEX '{k}' is not a number"))?;
            Shard::new(k, n).map_err(|e| anyhow::anyhow!("JOB_COMPLETION_INDEX: {e}"))
        }
        (Some(_), None) => anyhow::bail!(
            "JOB_COMPLETION_INDEX is set but not the shard count: pass --shards N or set AKSBUNDLE_SHARDS (the Job's completions)"
        ),
        (None, Some(1)) | (None, None) => Ok(Shard::ALL),
        (None, Some(n)) => anyhow::bail!(
            "--shards/AKSBUNDLE_SHARDS {n} needs --shard K/{n} or JOB_COMPLETION_INDEX"
        ),
    }
}

fn with_shard(path: &Path, shard: Shard) -> PathBuf {
    let s = path.to_string_lossy();
    if s.contains("{shard}") {
        PathBuf::from(s.replace("{shard}", &shard.index.to_string()))
    } else {
        path.to_path_buf()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SummaryFormat {
    Md,
    Html,
    Json,
}

fn format_of(path: Option<&Path>, flag: Option<FormatArg>) -> SummaryFormat {
    match flag {
        Some(FormatArg::Md) => return SummaryFormat::Md,
        Some(FormatArg::Html) => return SummaryFormat::Html,
        Some(FormatArg::Json) => return SummaryFormat::Json,
        None => {}
    }
    let ext = path
        .and_then(|p| p.extension())
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("html" | "htm") => SummaryFormat::Html,
        Some("json") => SummaryFormat::Json,
        _ => SummaryFormat::Md,
    }
}

fn render(summary: &Summary, format: SummaryFormat) -> String {
    match format {
        SummaryFormat::Md => summary.to_markdown(),
        SummaryFormat::Html => summary.to_html(),
        SummaryFormat::Json => summary.to_json(),
    }
}

/// Reads the report lines of result files; lines that do not parse are reported and skipped.
fn read_rows(files: &[PathBuf], rows: &mut Vec<BundleRow>) -> anyhow::Result<()> {
    for f in files {
        let r = BufReader::new(
            std::fs::File::open(f).with_context(|| format!("reading {}", f.display()))?,
        );
        for (n, line) in r.lines().enumerate() {
            let line = line.with_context(|| format!("reading {}", f.display()))?;
            if line.trim().is_empty() {
                continue;
            }
            match BundleRow::parse(&line) {
                Ok(row) => rows.push(row),
                Err(e) => eprintln!(
                    "aksbundle: {}",
                    analyzer::terminal::visible(&format!(
                        "{}:{}: not a report line ({e}); skipped",
                        f.display(),
                        n + 1
                    ))
                ),
            }
        }
    }
    Ok(())
}

fn build_summary(rows: Vec<BundleRow>) -> Summary {
    let (summary, duplicates) = Summary::build(rows);
    if let Some(first) = duplicates.first() {
        eprintln!(
            "aksbundle: {} bundle path(s) appear more than once (first: {}); each counted once",
            duplicates.len(),
            analyzer::terminal::visible(first)
        );
    }
    summary
}

fn progress_bar(len: usize) -> Option<indicatif::ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = indicatif::ProgressBar::new(len as u64);
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} bundles · {msg} · ETA {eta}",
        )
        .expect("the template is valid"),
    );
    pb.enable_steady_tick(std::time::Duration::from_millis(200));
    Some(pb)
}

/// Runs `batch`: exit 0 once every bundle has its line (failed bundles included), 2 when
/// the arguments or the output cannot be used.
pub fn run(args: BatchArgs) -> anyhow::Result<ExitCode> {
    let job_index = std::env::var("JOB_COMPLETION_INDEX").ok();
    let shard = resolve_shard(args.shard, args.shards, job_index.as_deref())?;
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if jobs == 0 {
        anyhow::bail!("-j must be at least 1");
    }
    let (catalogue, rule_issues) = load_catalogue(&args.rules)?;
    let opts = AnalyzeOptions {
        limits: args.limits.limits(),
        lang: args.lang.code().to_string(),
        display_path: None,
        story: analyzer::StoryOptions {
            quiet_window_seconds: args.quiet_window,
        },
    };

    let work = batch::Batch::new(&catalogue, opts, rule_issues);

    let mut warn = |w: String| eprintln!("aksbundle: {}", analyzer::terminal::visible(&w));
    let found = batch::discover(&args.paths, &mut warn)?;
    let inputs: Vec<Input> = found
        .into_iter()
        .filter(|i| shard.owns(&i.display))
        .collect();
    let order: Vec<String> = inputs.iter().map(|i| i.display.clone()).collect();

    let out_path = args.out.as_deref().map(|p| with_shard(p, shard));
    let summary_path = args.summary.as_deref().map(|p| with_shard(p, shard));
    // A regular file (or a new one) gets the crash-safe journal; a device, FIFO or `-`
    // gets the lines as they come, like standard output.
    let mut results: Option<(ResultsFile, PathBuf)> = None;
    let mut direct: Option<outfile::Output> = None;
    let mut done = HashSet::new();
    if let Some(out) = &out_path {
        match outfile::Target::of(out)? {
            outfile::Target::Atomic(real) => {
                let (file, already) = ResultsFile::open(&real, args.resume, &mut warn)
                    .map_err(|e| outfile::Error::new(&real, e))?;
                results = Some((file, real));
                done = already;
            }
            _ if args.resume => anyhow::bail!(
                "--resume needs --out to be a regular file (or a new one), not {}",
                out.display()
            ),
            outfile::Target::Stdout => {}
            outfile::Target::Direct(_) => direct = Some(outfile::Output::create(out)?),
        }
    }
    let todo: Vec<Input> = inputs
        .into_iter()
        .filter(|i| !done.contains(&i.display))
        .collect();
    let skipped = order.len() - todo.len();

    let pb = progress_bar(todo.len());
    let started = Instant::now();
    let mut bytes_done = 0u64;
    let mut counts = [0usize; 3];
    let mut rows: Vec<BundleRow> = Vec::new();
    let keep_rows = summary_path.is_some() && results.is_none();
    let mut stdout = std::io::stdout().lock();
    let window = (jobs * 8).max(64);
    batch::run(
        &todo,
        jobs,
        window,
        |input| work.analyze(input),
        |i, line| -> anyhow::Result<()> {
            let input = &todo[i];
            match (&mut results, &mut direct) {
                (Some((f, real)), _) => f
                    .append(&input.display, &line.json)
                    .map_err(|e| outfile::Error::new(real, e))?,
                (None, Some(d)) => {
                    let path = d.path().to_path_buf();
                    d.write_all(format!("{}\n", line.json).as_bytes())
                        .map_err(|e| outfile::Error::new(&path, e))?;
                }
                (None, None) => {
                    stdout.write_all(line.json.as_bytes())?;
                    stdout.write_all(b"\n")?;
                }
            }
            if keep_rows {
                rows.push(BundleRow::parse(&line.json).expect("our own line parses"));
            }
            counts[match line.outcome {
                Outcome::Analyzed => 0,
                Outcome::Damaged => 1,
                Outcome::Failed => 2,
            }] += 1;
            bytes_done += input.bytes;
            if let Some(pb) = &pb {
                let secs = started.elapsed().as_secs_f64().max(1e-3);
                let n = (counts.iter().sum::<usize>()) as f64;
                pb.set_message(format!(
                    "{:.1} bundles/s · {:.1} MB/s",
                    n / secs,
                    bytes_done as f64 / 1e6 / secs
                ));
                pb.inc(1);
            }
            Ok(())
        },
    )?;
    stdout.flush()?;
    drop(stdout);
    if let Some(pb) = &pb {
        pb.finish_and_clear();
    }
    if let Some(d) = direct {
        d.commit()?;
    }
    let written = match results {
        Some((f, real)) => {
            f.finish(&order)
                .map_err(|e| outfile::Error::new(&real, e))?;
            Some(real)
        }
        None => None,
    };

    if let Some(path) = &summary_path {
        if let Some(out) = &written {
            read_rows(std::slice::from_ref(out), &mut rows)?;
        }
        let summary = build_summary(rows);
        let text = render(&summary, format_of(Some(path), None));
        outfile::write(path, text.as_bytes())?;
    }
    if std::io::stderr().is_terminal() {
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "aksbundle: {} bundles in {secs:.1}s ({} skipped as done): {} analyzed, {} damaged, {} failed{}",
            todo.len(),
            skipped,
            counts[0],
            counts[1],
            counts[2],
            if shard.count > 1 {
                format!("; shard {shard}")
            } else {
                String::new()
            }
        );
    }
    Ok(ExitCode::Clean)
}

/// Runs `summarize`: one summary of every line of every file given.
pub fn summarize(args: SummarizeArgs) -> anyhow::Result<ExitCode> {
    let mut rows = Vec::new();
    read_rows(&args.results, &mut rows)?;
    let summary = build_summary(rows);
    let text = render(&summary, format_of(args.output.as_deref(), args.format));
    write_output(args.output.as_deref(), text.as_bytes())?;
    Ok(ExitCode::Clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_defaults_from_the_indexed_job() {
        let s = |k, n| Shard::new(k, n).unwrap();
        assert_eq!(resolve_shard(None, None, None).unwrap(), Shard::ALL);
        assert_eq!(resolve_shard(None, Some(4), Some("2")).unwrap(), s(2, 4));
        assert_eq!(
            resolve_shard(Some(s(1, 3)), None, Some("2")).unwrap(),
            s(1, 3)
        );
        assert_eq!(resolve_shard(None, Some(1), None).unwrap(), Shard::ALL);
        assert!(resolve_shard(None, None, Some("2")).is_err());
        assert!(resolve_shard(None, Some(4), None).is_err());
        assert!(resolve_shard(None, Some(4), Some("4")).is_err());
        assert!(resolve_shard(None, Some(4), Some("x")).is_err());
        assert!(resolve_shard(Some(s(1, 3)), Some(4), None).is_err());
    }

    #[test]
    fn summary_format_follows_flag_then_extension() {
        assert_eq!(
            format_of(Some(Path::new("s.HTML")), None),
            SummaryFormat::Html
        );
        assert_eq!(
            format_of(Some(Path::new("s.json")), None),
            SummaryFormat::Json
        );
        assert_eq!(format_of(Some(Path::new("s.md")), None), SummaryFormat::Md);
        assert_eq!(format_of(None, None), SummaryFormat::Md);
        assert_eq!(
            format_of(Some(Path::new("s.md")), Some(FormatArg::Html)),
            SummaryFormat::Html
        );
    }

    #[test]
    fn shard_placeholder_in_file_names() {
        let s = Shard::new(3, 8).unwrap();
        assert_eq!(
            with_shard(Path::new("/r/shard-{shard}.jsonl"), s),
            PathBuf::from("/r/shard-3.jsonl")
        );
        assert_eq!(
            with_shard(Path::new("r.jsonl"), s),
            PathBuf::from("r.jsonl")
        );
    }
}
