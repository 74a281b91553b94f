//! `kezek`: the command line. Wiring only; the queue logic lives in `kezek-core`.

mod cli;
mod simulate;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Commands::Simulate(args) => simulate::run(&args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kezek: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
