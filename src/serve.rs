//! `wsrace serve`: the agent hub on real TCP.
//!
//! Prints `listening on ADDR` on stdout once it accepts connections (so
//! `--listen 127.0.0.1:0` is usable from scripts), logs through `tracing` on stderr
//! (`RUST_LOG`, default `info`), and on Ctrl-C or SIGTERM shuts the hub down (every
//! agent gets Close 1001) and exits 0. A second signal during shutdown exits at once
//! with 130. Exit 2: the tokens file is unreadable or malformed; exit 1: the
//! address cannot be bound or the runtime cannot start.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use tracing_subscriber::EnvFilter;
use wsrace_hub::{Config, Hub, Tokens};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free one (see the `listening on` line).
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Tokens file: one `AGENT_ID TOKEN` per line, `#` starts a comment.
    #[arg(long, value_name = "FILE")]
    tokens: PathBuf,
    /// Close an agent that sends no heartbeat for this long.
    #[arg(long, value_name = "SECS", default_value_t = Config::default().heartbeat_timeout.as_secs())]
    heartbeat_timeout: u64,
    /// Give up on a frame write (the agent stopped reading) after this long.
    #[arg(long, value_name = "SECS", default_value_t = Config::default().write_deadline.as_secs())]
    write_timeout: u64,
    /// Drop a connection that has not completed its upgrade request after this long.
    #[arg(long, value_name = "SECS", default_value_t = Config::default().handshake_deadline.as_secs())]
    handshake_timeout: u64,
    /// After sending Close, wait this long for the agent's Close before hanging up.
    #[arg(long, value_name = "SECS", default_value_t = Config::default().close_deadline.as_secs())]
    close_timeout: u64,
    /// Largest frame and message an agent may send (larger: Close 1009).
    #[arg(long, value_name = "BYTES", default_value_t = Config::default().max_message_size)]
    max_message_size: u64,
    /// Outbound messages queued per agent; an agent whose queue fills is closed (1008).
    #[arg(long, value_name = "N", default_value_t = Config::default().outbound_queue,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    queue: usize,
    /// Push `{"type":"push","seq":N}` to every connected agent every SECS (may be
    /// fractional), N counting up from 1 per tick; for end-to-end tests and
    /// benchmarks. Off by default.
    #[arg(long, value_name = "SECS", value_parser = parse_interval)]
    push_every: Option<Duration>,
}

fn parse_interval(text: &str) -> Result<Duration, String> {
    let secs: f64 = text.parse().map_err(|e| format!("{e}"))?;
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if !d.is_zero() => Ok(d),
        _ => Err("expected a positive number of seconds".to_owned()),
    }
}

impl ServeArgs {
    fn config(&self) -> Config {
        let mut config = Config::default();
        config.heartbeat_timeout = Duration::from_secs(self.heartbeat_timeout);
        config.write_deadline = Duration::from_secs(self.write_timeout);
        config.handshake_deadline = Duration::from_secs(self.handshake_timeout);
        config.close_deadline = Duration::from_secs(self.close_timeout);
        config.max_frame_size = self.max_message_size;
        config.max_message_size = self.max_message_size;
        config.outbound_queue = self.queue;
        config
    }
}

pub fn run(args: ServeArgs) -> ExitCode {
    init_tracing();
    let tokens = match Tokens::load(&args.tokens) {
        Ok(tokens) => tokens,
        Err(e) => {
            eprintln!("wsrace serve: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wsrace serve: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve(args.listen, args.config(), tokens, args.push_every))
}

fn init_tracing() {
    let filter = match EnvFilter::try_from_default_env() {
        Ok(filter) => filter,
        Err(e) => {
            if std::env::var_os(EnvFilter::DEFAULT_ENV).is_some() {
                eprintln!("wsrace serve: ignoring RUST_LOG ({e}); logging at info");
            }
            EnvFilter::new("info")
        }
    };
    // stdout carries only the `listening on` line; logs go to stderr.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        // Colour codes only help a person at a terminal; they garble log files.
        .with_ansi(io::IsTerminal::is_terminal(&io::stderr()))
        .try_init();
}

async fn serve(
    listen: SocketAddr,
    config: Config,
    tokens: Tokens,
    push_every: Option<Duration>,
) -> ExitCode {
    // Handlers first: a script may signal as soon as it reads the address.
    let mut signals = match Signals::new() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("wsrace serve: cannot install signal handlers: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("wsrace serve: cannot listen on {listen}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let addr = listener.local_addr().unwrap_or(listen);
    let hub = Hub::new(config, tokens);
    let server = tokio::spawn({
        let hub = hub.clone();
        async move { hub.serve(listener).await }
    });
    let pusher = push_every.map(|every| tokio::spawn(push_forever(hub.clone(), every)));
    {
        let mut out = io::stdout().lock();
        // If nobody reads stdout any more, keep serving anyway.
        let _ = writeln!(out, "listening on {addr}").and_then(|()| out.flush());
    }

    let signal = signals.next().await;
    tracing::info!(target: "wsrace", signal, "shutting down: every agent gets Close 1001");
    if let Some(pusher) = pusher {
        pusher.abort();
    }
    tokio::select! {
        () = hub.shutdown() => {}
        signal = signals.next() => {
            eprintln!("wsrace serve: {signal} during shutdown; exiting without waiting");
            return ExitCode::from(130);
        }
    }
    let _ = server.await;
    tracing::info!(target: "wsrace", "shut down");
    ExitCode::SUCCESS
}

/// `--push-every`: tick N pushes `{"type":"push","seq":N}` to every agent then
/// registered. A failed send is already reported by the hub's events (a full queue
/// closes the agent as a slow consumer), so it is not reported again here.
async fn push_forever(hub: Hub, every: Duration) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for seq in 1u64.. {
        ticks.tick().await;
        let push = format!(r#"{{"type":"push","seq":{seq}}}"#);
        for agent in hub.agents().into_keys() {
            let _ = hub.send(&agent, push.as_str());
        }
    }
}

/// Ctrl-C, and SIGTERM on Unix.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    #[cfg(unix)]
    fn new() -> io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    #[cfg(not(unix))]
    fn new() -> io::Result<Signals> {
        Ok(Signals {})
    }

    /// The name of the next signal received.
    #[cfg(unix)]
    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "SIGINT",
            _ = self.terminate.recv() => "SIGTERM",
        }
    }

    #[cfg(not(unix))]
    async fn next(&mut self) -> &'static str {
        match tokio::signal::ctrl_c().await {
            Ok(()) => "Ctrl-C",
            // No way to hear signals: serve until killed.
            Err(_) => std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: ServeArgs,
    }

    #[test]
    fn the_defaults_are_the_hubs_defaults() {
        let cli = Cli::try_parse_from(["serve", "--tokens", "t"]).unwrap();
        assert_eq!(cli.args.listen, "127.0.0.1:8080".parse().unwrap());
        let mut expected = Config::default();
        expected.max_frame_size = expected.max_message_size;
        assert_eq!(cli.args.config(), expected);
    }

    #[test]
    fn flags_reach_the_config() {
        let cli = Cli::try_parse_from([
            "serve",
            "--tokens",
            "t",
            "--listen",
            "127.0.0.1:0",
            "--heartbeat-timeout",
            "5",
            "--queue",
            "3",
        ])
        .unwrap();
        let config = cli.args.config();
        assert_eq!(config.heartbeat_timeout, Duration::from_secs(5));
        assert_eq!(config.outbound_queue, 3);
        assert!(Cli::try_parse_from(["serve", "--tokens", "t", "--queue", "0"]).is_err());
        assert!(
            Cli::try_parse_from(["serve"]).is_err(),
            "--tokens is required"
        );
    }
}
