//! `aksbundle batch` and `aksbundle summarize`.

use crate::exit::ExitCode;

/// Flags of `aksbundle batch`.
#[derive(clap::Args, Debug)]
pub struct BatchArgs {
    /// Bundles or directories of bundles.
    #[arg(required = true)]
    pub paths: Vec<std::path::PathBuf>,
}

/// Flags of `aksbundle summarize`.
#[derive(clap::Args, Debug)]
pub struct SummarizeArgs {
    /// JSON Lines files written by `batch --out`.
    #[arg(required = true)]
    pub results: Vec<std::path::PathBuf>,
}

pub fn run(_args: BatchArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("batch is not built yet")
}

pub fn summarize(_args: SummarizeArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("summarize is not built yet")
}
