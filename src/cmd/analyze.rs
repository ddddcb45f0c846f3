//! `aksbundle analyze`: flags → analyzer options, then report and exit code.

use std::io::Write;
use std::path::PathBuf;

use analyzer::render::Format;
use analyzer::{AnalyzeOptions, Catalogue, Limits, Severity};

use crate::exit::ExitCode;

/// Report formats on the command line.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormatArg {
    Md,
    Html,
    Json,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Md => Format::Markdown,
            FormatArg::Html => Format::Html,
            FormatArg::Json => Format::Json,
        }
    }
}

/// Report languages.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ja,
    Ko,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
            Lang::Ko => "ko",
        }
    }
}

/// Severities for `--fail-on`.
#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    Critical,
    Warning,
    Info,
}

impl From<FailOn> for Severity {
    fn from(f: FailOn) -> Severity {
        match f {
            FailOn::Critical => Severity::Critical,
            FailOn::Warning => Severity::Warning,
            FailOn::Info => Severity::Info,
        }
    }
}

/// Reading limits, shared by `analyze` and `batch`.
#[derive(clap::Args, Debug, Clone)]
pub struct LimitArgs {
    /// Stop reading a bundle after this many inflated bytes.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_total_bytes, help_heading = "Limits")]
    pub max_total_bytes: u64,
    /// Largest member (log file) read, in inflated bytes.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_member_bytes, help_heading = "Limits")]
    pub max_member_bytes: u64,
    /// Largest JSON object file parsed, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_object_bytes, help_heading = "Limits")]
    pub max_object_bytes: u64,
    /// Most members (files, folders, links) read from one bundle.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_members, help_heading = "Limits")]
    pub max_members: u64,
    /// Longest log line matched, in bytes; the rest of a longer line is skipped.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_line_bytes, help_heading = "Limits")]
    pub max_line_bytes: usize,
    /// Longest string kept from a JSON object file (an event or status message), in bytes;
    /// the rest is dropped and marked `… [truncated, N bytes]`.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_string_bytes, help_heading = "Limits")]
    pub max_string_bytes: usize,
}

impl LimitArgs {
    pub fn limits(&self) -> Limits {
        Limits {
            max_total_bytes: self.max_total_bytes,
            max_member_bytes: self.max_member_bytes,
            max_object_bytes: self.max_object_bytes,
            max_members: self.max_members,
            max_line_bytes: self.max_line_bytes,
            max_string_bytes: self.max_string_bytes,
            ..Limits::default()
        }
    }
}

/// Flags of `aksbundle analyze`.
#[derive(clap::Args, Debug)]
pub struct AnalyzeArgs {
    /// A .tar.gz/.tgz/.tar/.zip bundle, or an unpacked bundle folder.
    pub bundle: PathBuf,
    /// Report format.
    #[arg(long, value_enum, default_value = "md")]
    pub format: FormatArg,
    /// Write the report to this file instead of standard output (atomically over a regular
    /// file; straight to a device or FIFO; `-` is standard output).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also load the rules found in this folder (rule.yaml files, the catalogue's format).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Run only the rules given with --rules, not the built-in catalogue (also how the
    /// benchmark measures reading alone).
    #[arg(long)]
    pub no_default_rules: bool,
    /// Report language.
    #[arg(long, value_enum, default_value = "en")]
    pub lang: Lang,
    /// Exit 1 when a finding has this severity or a higher one.
    #[arg(long, value_enum, default_value = "critical")]
    pub fail_on: FailOn,
    /// A finding whose objects are all healthy at collection time is over (recovered
    /// before the collection, shown as info, never reaching --fail-on) once its last signal
    /// is this much older than the collection: 90s, 10m, 2h.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_quiet_window)]
    pub quiet_window: i64,
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// Parses `--quiet-window` into seconds.
pub fn parse_quiet_window(raw: &str) -> Result<i64, String> {
    analyzer::time::parse_duration(raw)
}

/// Loads the built-in catalogue plus user rule folders. Broken user rules are reported on
/// stderr and in the report's errors; they never stop the run.
pub fn load_catalogue(dirs: &[PathBuf]) -> anyhow::Result<(Catalogue, Vec<analyzer::ReadIssue>)> {
    load_catalogue_with(dirs, true)
}

/// Like [`load_catalogue`], optionally without the built-in rules.
pub fn load_catalogue_with(
    dirs: &[PathBuf],
    builtin: bool,
) -> anyhow::Result<(Catalogue, Vec<analyzer::ReadIssue>)> {
    let (mut cat, builtin_errors) = if builtin {
        Catalogue::builtin()
    } else {
        (Catalogue::default(), Vec::new())
    };
    let mut issues: Vec<analyzer::ReadIssue> = builtin_errors
        .iter()
        .map(|e| analyzer::ReadIssue {
            file: e.path.clone(),
            message: e.message.clone(),
        })
        .collect();
    for d in dirs {
        if !d.is_dir() {
            anyhow::bail!("--rules {}: not a folder", d.display());
        }
        for e in cat.add_dir(d) {
            eprintln!(
                "aksbundle: {}",
                analyzer::terminal::visible(&format!("rule {}: {}", e.path, e.message))
            );
            issues.push(analyzer::ReadIssue {
                file: e.path,
                message: e.message,
            });
        }
    }
    Ok((cat, issues))
}

pub fn run(args: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let (catalogue, rule_issues) = load_catalogue_with(&args.rules, !args.no_default_rules)?;
    let opts = AnalyzeOptions {
        limits: args.limits.limits(),
        lang: args.lang.code().to_string(),
        display_path: None,
        story: analyzer::StoryOptions {
            quiet_window_seconds: args.quiet_window,
        },
    };
    let mut analysis = analyzer::analyze(&args.bundle, &catalogue, &opts)?;
    analysis.report.errors.extend(rule_issues);
    let format: Format = args.format.into();
    if format == Format::Json {
        // Streamed: a large report is never held twice in memory.
        write_streamed(args.output.as_deref(), |w| {
            analyzer::render::json::write(&analysis.report, w)
        })?;
    } else {
        let text = analyzer::render::render(&analysis.report, format);
        write_output(args.output.as_deref(), text.as_bytes())?;
    }
    if let Some(damage) = analysis.damaged {
        eprintln!(
            "aksbundle: {}; the report covers what was read before it",
            analyzer::terminal::visible(&damage)
        );
        return Ok(ExitCode::Unusable);
    }
    let fail_on: Severity = args.fail_on.into();
    Ok(match analysis.report.worst() {
        Some(worst) if worst >= fail_on => ExitCode::FindingsReached,
        _ => ExitCode::Clean,
    })
}

/// Like [`write_output`], with the output produced by `write` as it goes.
pub fn write_streamed(
    path: Option<&std::path::Path>,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    match path {
        Some(path) => {
            let mut out = outfile::Output::create(path)?;
            let shown = out.path().to_path_buf();
            {
                let mut w = std::io::BufWriter::new(&mut out);
                write(&mut w)
                    .and_then(|()| w.flush())
                    .map_err(|e| outfile::Error::new(&shown, e))?;
            }
            out.commit()?;
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            write(&mut out)?;
            out.flush()?;
        }
    }
    Ok(())
}

/// Writes a report or summary to `-o FILE` (by the rules of [`outfile::Target`]: atomic over
/// a regular file, straight to a device or FIFO) or, without `-o` or with `-o -`, to
/// standard output.
pub fn write_output(path: Option<&std::path::Path>, bytes: &[u8]) -> anyhow::Result<()> {
    match path {
        Some(path) => outfile::write(path, bytes)?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()?;
        }
    }
    Ok(())
}
