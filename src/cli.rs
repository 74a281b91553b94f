//! Command-line arguments.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Kezek: the waiting queue for state kindergarten places.
#[derive(Debug, Parser)]
#[command(name = "kezek", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Commands,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Run one allocation round over a city in memory and write the referrals.
    Simulate(SimulateArgs),
}

/// Arguments of `kezek simulate`.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// groups.csv of the city.
    #[arg(long)]
    pub groups: PathBuf,
    /// applications.csv of the city.
    #[arg(long)]
    pub applications: PathBuf,
    /// Tier policy (TOML); default: the built-in kz-2013.
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// Academic year whose ages decide the groups.
    #[arg(long, default_value_t = 2026)]
    pub academic_year: i16,
    /// Where to write referrals.csv.
    #[arg(long)]
    pub out: PathBuf,
}
