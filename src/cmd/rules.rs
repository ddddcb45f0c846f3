//! `aksbundle rules list | show ID | test [DIR]`, like `ruff rule CODE`.

use std::io::Write;
use std::path::PathBuf;

use analyzer::cases::{discover, run_case};

use crate::cmd::analyze::load_catalogue;
use crate::exit::ExitCode;

/// Flags of `aksbundle rules`.
#[derive(clap::Args, Debug)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub action: RulesAction,
    /// Also load the rules found in this folder.
    #[arg(long = "rules", value_name = "DIR", global = true)]
    pub rules: Vec<PathBuf>,
}

#[derive(clap::Subcommand, Debug)]
pub enum RulesAction {
    /// List every diagnosis: ID, severity, area and title.
    List,
    /// Print one rule's documentation.
    Show {
        /// The rule ID, e.g. image-pull-unauthorized.
        id: String,
    },
    /// Run every rule's cases (fires-* and ok-*) as tar.gz and zip.
    Test {
        /// The rules folder holding the cases (default: ./rules).
        dir: Option<PathBuf>,
    },
}

pub fn run(args: RulesArgs) -> anyhow::Result<ExitCode> {
    let mut extra = args.rules.clone();
    if let RulesAction::Test { dir: Some(d) } = &args.action {
        // A user's folder is loaded as rules too, so its own rules' cases can run.
        if !is_builtin_rules_dir(d) {
            extra.push(d.clone());
        }
    }
    let (catalogue, issues) = load_catalogue(&extra)?;
    let mut out = std::io::stdout().lock();
    match args.action {
        RulesAction::List => {
            for r in &catalogue.rules {
                writeln!(
                    out,
                    "{:<32} {:<9} {:<16} {}",
                    r.spec.id,
                    r.spec.severity.as_str(),
                    r.area,
                    r.spec.title.en
                )?;
            }
            Ok(ExitCode::Clean)
        }
        RulesAction::Show { id } => {
            let Some(rule) = catalogue.get(&id) else {
                anyhow::bail!("no rule '{id}'; `aksbundle rules list` shows every ID");
            };
            if rule.readme.is_empty() {
                writeln!(
                    out,
                    "# {}\n\n{}\n\n{}",
                    rule.spec.id, rule.spec.title.en, rule.spec.explanation.en
                )?;
            } else {
                out.write_all(rule.readme.as_bytes())?;
            }
            Ok(ExitCode::Clean)
        }
        RulesAction::Test { dir } => {
            for i in &issues {
                writeln!(out, "BROKEN {}: {}", i.file, i.message)?;
            }
            let dir = dir.unwrap_or_else(|| PathBuf::from("rules"));
            let cases = discover(&dir);
            if cases.is_empty() {
                anyhow::bail!(
                    "{}: no cases found (expected <rule>/cases/<fires-|ok->*/)",
                    dir.display()
                );
            }
            let (mut passed, mut failed) = (0usize, 0usize);
            for case in &cases {
                match run_case(case, &catalogue) {
                    Ok(()) => passed += 1,
                    Err(problems) => {
                        failed += 1;
                        for p in problems {
                            writeln!(out, "FAIL {p}")?;
                        }
                    }
                }
            }
            writeln!(out, "{passed} passed, {failed} failed")?;
            Ok(if failed == 0 && issues.is_empty() {
                ExitCode::Clean
            } else {
                ExitCode::FindingsReached
            })
        }
    }
}

fn is_builtin_rules_dir(d: &std::path::Path) -> bool {
    let Ok(abs) = d.canonicalize() else {
        return false;
    };
    let builtin = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules");
    builtin.canonicalize().is_ok_and(|b| b == abs)
}
