//! `kezek`: the command line. Wiring only; the queue logic lives in `kezek-core`.

mod cli;
mod serve;
mod simulate;

use clap::Parser;

/// mimalloc instead of the system allocator: loading a city makes millions of small
/// allocations, and glibc's malloc spent a third of that time in its slow paths.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Commands::Simulate(args) => simulate::run(&args),
        cli::Commands::Serve(args) => serve::run(&args),
        cli::Commands::Keys(cli::KeysCommand::Create(args)) => serve::create_key(&args),
        cli::Commands::Import(args) => serve::import(&args),
        cli::Commands::Verify(args) => serve::verify(&args),
        cli::Commands::Documents(cli::DocumentsCommand::Verify(args)) => {
            serve::verify_document(&args)
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kezek: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
