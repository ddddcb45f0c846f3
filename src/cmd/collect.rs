//! `aksbundle collect`: flags → `collector::Options`.

use crate::exit::ExitCode;

/// Flags of `aksbundle collect`.
#[derive(clap::Args, Debug)]
pub struct CollectArgs {
    /// Write the bundle here.
    #[arg(short = 'o', long = "output")]
    pub output: Option<std::path::PathBuf>,
}

pub fn run(_args: CollectArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("collect is not built yet")
}
