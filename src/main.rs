//! `wsrace`: the command-line front end.
//!
//! Exit codes are part of the interface: 0 success, 1 a failure was found
//! (a violation, a failing seed), 2 bad usage or unreadable input.

mod check;
mod hex_input;
mod serve;

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
    }
}
