//! Whole-system tests of the `wsrace` binary: every subcommand run as a user
//! would run it, judged by exit code and by what it prints. Each test spawns
//! the built binary (`CARGO_BIN_EXE_wsrace`) from the repository root; files
//! it needs are written under `CARGO_TARGET_TMPDIR`.
//!
//! The exit codes are the interface (README, "Commands"): 0 as expected,
//! 1 something was found, 2 bad usage or unreadable input.

#[path = "cli/support.rs"]
mod support;

#[path = "cli/check.rs"]
mod check;
#[path = "cli/explore.rs"]
mod explore;
#[path = "cli/fuzz.rs"]
mod fuzz;
#[path = "cli/replay.rs"]
mod replay;
#[path = "cli/run.rs"]
mod run;
#[path = "cli/usage.rs"]
mod usage;
