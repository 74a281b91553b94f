//! `kezek`: the command line. Each command is a short module of [`commands`]; the rules are
//! in `kezek-core`, the application in `kezek-app`, the HTTP API in `kezek-http`.

mod cli;
mod commands;
mod config;
mod telemetry;

use clap::Parser;

/// mimalloc instead of the system allocator: loading a city makes millions of small
/// allocations, and glibc's malloc spent a third of that time in its slow paths.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Commands::Simulate(args) => commands::simulate::run(&args),
        cli::Commands::Serve(args) => commands::serve::run(&args),
        cli::Commands::Keys(cli::KeysCommand::Create(args)) => commands::keys::create(&args),
        cli::Commands::Keys(cli::KeysCommand::List(args)) => commands::keys::list(&args),
        cli::Commands::Keys(cli::KeysCommand::Revoke(args)) => commands::keys::revoke(&args),
        cli::Commands::Import(args) => commands::import::run(&args),
        cli::Commands::RollOver(args) => commands::roll_over::run(&args),
        cli::Commands::Portal(cli::PortalCommand::Trust(args)) => commands::portal::trust(&args),
        cli::Commands::Public(cli::PublicCommand::Enable(args)) => commands::portal::publish(&args),
        cli::Commands::Retention(cli::RetentionCommand::Erase(args)) => {
            commands::retention::erase(&args)
        }
        cli::Commands::Verify(args) => commands::verify::run(&args),
        cli::Commands::Backup(args) => commands::backup::run(&args),
        cli::Commands::Migrate(args) => commands::migrate::run(&args),
        cli::Commands::Policy(cli::PolicyCommand::Adopt(args)) => commands::policy::adopt(&args),
        cli::Commands::Policy(cli::PolicyCommand::Show(args)) => commands::policy::show(&args),
        cli::Commands::Authority(cli::AuthorityCommand::Show(args)) => {
            commands::authority::show(&args)
        }
        cli::Commands::Authority(cli::AuthorityCommand::Rotate(args)) => {
            commands::authority::rotate(&args)
        }
        cli::Commands::Authority(cli::AuthorityCommand::Replace(args)) => {
            commands::authority::replace(&args)
        }
        cli::Commands::Officials(cli::OfficialsCommand::Add(args)) => {
            commands::officials::add(&args)
        }
        cli::Commands::Officials(cli::OfficialsCommand::List(args)) => {
            commands::officials::list(&args)
        }
        cli::Commands::Officials(cli::OfficialsCommand::Leave(args)) => {
            commands::officials::leave(&args)
        }
        cli::Commands::Officials(cli::OfficialsCommand::Certificate(args)) => {
            commands::officials::certificate(&args)
        }
        cli::Commands::Documents(cli::DocumentsCommand::Verify(args)) => {
            commands::documents::verify(&args)
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
