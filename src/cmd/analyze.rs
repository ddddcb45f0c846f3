//! `aksbundle analyze`.

use crate::exit::ExitCode;

/// Flags of `aksbundle analyze`.
#[derive(clap::Args, Debug)]
pub struct AnalyzeArgs {
    /// A .tar.gz/.tgz/.tar/.zip bundle or an unpacked directory.
    pub bundle: std::path::PathBuf,
}

pub fn run(_args: AnalyzeArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("analyze is not built yet")
}
