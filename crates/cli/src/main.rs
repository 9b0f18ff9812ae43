//! `quarry`: check, format and run KQL hunts and Sentinel rules offline.

mod bundled;
mod commands;
mod data;
mod output;
mod rulefiles;
mod source;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Run KQL hunts and Sentinel rules offline, on exported telemetry.
#[derive(Parser)]
#[command(name = "quarry", version, propagate_version = true, max_term_width = 100)]
struct Cli {
    /// Log decisions on stderr: -v for debug, -vv for trace (QUARRY_LOG overrides)
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check KQL files and rule files for errors
    Check(commands::check::Args),
    /// Print KQL in canonical form
    Fmt(commands::fmt::Args),
    /// Run a KQL query over telemetry files
    Query(commands::query::Args),
    /// Run rules over telemetry and print the alerts they raise
    Hunt(commands::hunt::Args),
    /// Run rule tests (*.tests.yaml)
    Test(commands::test::Args),
    /// Turn a rule card into a rule file
    Import(commands::import::Args),
    /// Write an ATT&CK Navigator layer of the rules' techniques
    Coverage(commands::coverage::Args),
    /// List the tables in telemetry files: files, rows, time range, unknown columns
    Tables(commands::tables::Args),
    /// Write telemetry as one Parquet file per table, sorted by time
    Convert(commands::convert::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let result = match cli.command {
        Command::Check(args) => commands::check::run(args),
        Command::Fmt(args) => commands::fmt::run(args),
        Command::Query(args) => commands::query::run(args),
        Command::Hunt(args) => commands::hunt::run(args),
        Command::Test(args) => commands::test::run(args),
        Command::Import(args) => commands::import::run(args),
        Command::Coverage(args) => commands::coverage::run(args),
        Command::Tables(args) => commands::tables::run(args),
        Command::Convert(args) => commands::convert::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) if output::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}

fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn",
        1 => {
            "quarry=debug,quarry_syntax=debug,quarry_plan=debug,quarry_rules=debug,quarry_sources=debug,warn"
        }
        _ => "trace",
    };
    let filter = EnvFilter::try_from_env("QUARRY_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
}
