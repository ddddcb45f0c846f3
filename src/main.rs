//! `aksbundle`: the thin binary. It parses arguments, calls the `collector` and `analyzer`
//! libraries, and maps outcomes to the fixed exit codes of `analyze`.

mod cmd;
mod exit;

use clap::{Parser, Subcommand};
use exit::ExitCode;

/// Snapshot a broken AKS cluster into a support bundle, and diagnose bundles offline.
#[derive(Parser, Debug)]
#[command(name = "aksbundle", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Snapshot the cluster your kubectl points at into one .tar.gz for a support ticket.
    Collect(cmd::collect::CollectArgs),
    /// Diagnose a bundle offline and write a Markdown, HTML or JSON report.
    Analyze(cmd::analyze::AnalyzeArgs),
    /// Analyze many bundles in parallel and write JSON Lines (and a summary).
    Batch(cmd::batch::BatchArgs),
    /// Merge batch results (for example one file per shard) into one summary.
    Summarize(cmd::batch::SummarizeArgs),
    /// List, show and test the diagnosis rules.
    Rules(cmd::rules::RulesArgs),
}

fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // --help and --version are not usage errors.
            let code = if err.use_stderr() {
                ExitCode::Unusable
            } else {
                ExitCode::Clean
            };
            let _ = err.print();
            return code.into();
        }
    };
    let result = match cli.command {
        Command::Collect(args) => cmd::collect::run(args),
        Command::Analyze(args) => cmd::analyze::run(args),
        Command::Batch(args) => cmd::batch::run(args),
        Command::Summarize(args) => cmd::batch::summarize(args),
        Command::Rules(args) => cmd::rules::run(args),
    };
    match result {
        Ok(code) => code.into(),
        Err(err) => {
            if exit::is_broken_pipe(&err) {
                return ExitCode::Clean.into();
            }
            // Errors quote bundle text (member names): controls are shown, not sent.
            eprintln!(
                "aksbundle: {}",
                analyzer::terminal::visible(&exit::one_line(&err))
            );
            ExitCode::Unusable.into()
        }
    }
}
