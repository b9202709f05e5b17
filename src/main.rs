//! `wsrace`: the command-line front end.
//!
//! Exit codes are part of the interface: 0 success, 1 a failure was found
//! (a violation, a failing seed), 2 bad usage or unreadable input.

mod check;
mod explore;
mod fuzz;
mod hex_input;
mod serve;
mod simulate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Makes WebSocket connection-lifecycle races reproducible.
#[derive(Debug, Parser)]
#[command(name = "wsrace", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a captured byte stream against RFC 6455 framing rules.
    Check(check::CheckArgs),
    /// Run the agent hub on real TCP.
    Serve(serve::ServeArgs),
    /// Run scenario files through the simulation over their seeds.
    Run(simulate::RunArgs),
    /// Replay one seed of a scenario: the command every failure prints.
    Replay(simulate::ReplayArgs),
    /// Sweep every scenario in a directory over many seeds (the main job).
    Explore(explore::ExploreArgs),
    /// Search generated interleavings with proptest; save each shrunk failure as a scenario file.
    Fuzz(fuzz::FuzzArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // clap exits 0 for --help/--version and 2 for usage errors, as we want.
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() { 2 } else { 0 });
        }
    };
    match cli.command {
        Command::Check(args) => check::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Run(args) => simulate::run(args),
        Command::Replay(args) => simulate::replay(args),
        Command::Explore(args) => explore::run(args),
        Command::Fuzz(args) => fuzz::run(args),
    }
}
