//! `aksbundle rules list | show ID | test [DIR]`.

use crate::exit::ExitCode;

/// Flags of `aksbundle rules`.
#[derive(clap::Args, Debug)]
pub struct RulesArgs {}

pub fn run(_args: RulesArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("rules is not built yet")
}
