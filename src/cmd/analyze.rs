//! `aksbundle analyze`: flags → analyzer options, then report and exit code.

use std::io::Write;
use std::path::PathBuf;

use analyzer::render::Format;
use analyzer::{AnalyzeOptions, Catalogue, Limits, Severity};
use anyhow::Context;

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
}

impl LimitArgs {
    pub fn limits(&self) -> Limits {
        Limits {
            max_total_bytes: self.max_total_bytes,
            max_member_bytes: self.max_member_bytes,
            max_object_bytes: self.max_object_bytes,
            max_members: self.max_members,
            max_line_bytes: self.max_line_bytes,
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
    /// Write the report to this file (atomically) instead of standard output.
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
            eprintln!("aksbundle: rule {}: {}", e.path, e.message);
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
    let text = analyzer::render::render(&analysis.report, args.format.into());
    match &args.output {
        Some(path) => write_atomically(path, text.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    if let Some(damage) = analysis.damaged {
        eprintln!("aksbundle: {damage}; the report covers what was read before it");
        return Ok(ExitCode::Unusable);
    }
    let fail_on: Severity = args.fail_on.into();
    Ok(match analysis.report.worst() {
        Some(worst) if worst >= fail_on => ExitCode::FindingsReached,
        _ => ExitCode::Clean,
    })
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so
/// a reader never sees half a file and an existing file survives a failed run.
pub fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    // Reports are ordinary files: keep the mode of the file replaced, else rw-r--r--
    // (tempfile creates 0600).
    let mode = std::fs::metadata(path)
        .map(|m| m.permissions())
        .unwrap_or_else(|_| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::Permissions::from_mode(0o644)
        });
    tmp.as_file().set_permissions(mode)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
