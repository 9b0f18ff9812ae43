//! `quarry fmt`: print KQL in canonical form.

use anyhow::Result;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// KQL files to format
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

pub fn run(_args: Args) -> Result<ExitCode> {
    Ok(ExitCode::SUCCESS)
}
