//! The top level: help, version, and no command at all.

use crate::support::wsrace;

const SUBCOMMANDS: [&str; 6] = ["check", "serve", "run", "replay", "explore", "fuzz"];

#[test]
fn help_exits_0_and_lists_every_subcommand() {
    let run = wsrace(["--help"]);
    run.exits(0).stdout_has("Usage: wsrace <COMMAND>");
    for sub in SUBCOMMANDS {
        assert!(
            run.stdout
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{sub} "))),
            "--help does not list `{sub}`:\n{run}"
        );
    }
}

#[test]
fn every_subcommand_has_its_own_help() {
    for sub in SUBCOMMANDS {
        wsrace([sub, "--help"])
            .exits(0)
            .stdout_has(&format!("Usage: wsrace {sub}"));
    }
}

#[test]
fn version_exits_0_with_the_package_version() {
    wsrace(["--version"])
        .exits(0)
        .stdout_has(&format!("wsrace {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn no_arguments_exit_2_with_usage_on_stderr() {
    let run = wsrace::<[&str; 0], &str>([]);
    run.exits(2).stderr_has("Usage: wsrace <COMMAND>");
    assert!(run.stdout.is_empty(), "{run}");
}

#[test]
fn an_unknown_subcommand_exits_2() {
    wsrace(["explode"])
        .exits(2)
        .stderr_has("unrecognized subcommand 'explode'");
}
