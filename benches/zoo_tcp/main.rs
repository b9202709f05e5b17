//! Wall time to the first failure for each zoo design served on real loopback TCP
//! with real timers, next to the simulation's figures (DESIGN.md, "Yardsticks").
//!
//! `cargo bench --bench zoo_tcp` serves `ZooHub` (go-original, then sleep-100ms)
//! in-process on a `tokio::net::TcpListener` bound to 127.0.0.1:0 (multi-thread
//! runtime, real clock, the incident preset's short config: heartbeat timeout
//! 1.5 s, write deadline 2 s). Each round starts a fresh hub and runs the agents of
//! the simulation's incident preset over real sockets: `steady` (JSON heartbeats),
//! `pinger` (Pings, then JSON), `reconnect` (a second connection replaces the
//! first), `silent` (stops heartbeating; the heartbeat timeout ends it), `slow`
//! (stops reading while the server pushes 64 KiB-1 MiB binary messages at it), with
//! the preset's pushes to every agent. Real TCP has no chaos transport: the only
//! way a write blocks or is cut short is backpressure, so the listening socket has
//! a 64 KiB send buffer (inherited by accepted sockets, no autotuning) and the slow
//! agent a 16 KiB receive buffer; while it does not read, the server's writes to it
//! are partial and then block for hundreds of milliseconds, longer than the fix's
//! 100 ms sleep. How the slow agent ends varies by round (see [`SlowEnd`]): as in
//! the preset (resume, then Close), a Close sent while still not reading, or
//! silence until the hub's shutdown at the end of the round; each time a closer
//! races a blocked write.
//!
//! Every agent feeds every byte it receives to a `wsrace_frame::Checker`
//! (server-to-client). A failure is a violation (a torn or truncated frame) or a
//! connection that ended without a Close frame although the agent did not start
//! the close. Rounds repeat until the first failure or the time bound
//! (`WSRACE_BENCH_SECS`, default 60 s per design); a markdown table is printed.
//! `WSRACE_BENCH_SLOW_END` (`preset`, `close-stalled`, `stalled`) pins the slow
//! agent's ending for every round.
//!
//! Run without `--bench` (as `cargo test --benches` does) it is a smoke run: one
//! round per design at half the preset's timings, a few seconds in all. Only
//! 127.0.0.1; every wait is bounded.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::watch;
use tokio::time::{sleep, sleep_until, timeout, Instant};
use wsrace_frame::{Checker, Direction};
use wsrace_hub::{Config, Message, Tokens};
use wsrace_zoo::{Design, ZooHub};

/// Send buffer of the listening socket, inherited by every accepted socket.
const SERVER_SNDBUF: u32 = 64 * 1024;
/// Receive buffer of the slow agent's socket.
const SLOW_RCVBUF: u32 = 16 * 1024;
/// Any single network wait (connect, upgrade, reading to EOF) longer than this
/// ends the agent (reported, not counted as a failure).
const WAIT: Duration = Duration::from_secs(10);
/// Longest hub shutdown at the end of a round.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(8);

const AGENTS: [&str; 5] = ["steady", "pinger", "reconnect", "silent", "slow"];

// ---------------------------------------------------------------------------------------
// Plan.

struct Plan {
    full: bool,
    /// Time bound per design.
    budget: Duration,
    /// Rounds per design at most (the smoke run does one).
    max_rounds: u64,
    /// Timings are the preset's multiplied by `scale_pct / 100`.
    scale_pct: u64,
}

impl Plan {
    fn from_args() -> Plan {
        let full = std::env::args().any(|a| a == "--bench");
        if full {
            let secs = match std::env::var("WSRACE_BENCH_SECS") {
                Ok(v) => v
                    .parse()
                    .unwrap_or_else(|_| panic!("WSRACE_BENCH_SECS={v:?} is not a number")),
                Err(_) => 60,
            };
            Plan {
                full,
                budget: Duration::from_secs(secs),
                max_rounds: u64::MAX,
                scale_pct: 100,
            }
        } else {
            Plan {
                full,
                budget: Duration::from_secs(3),
                max_rounds: 1,
                scale_pct: 50,
            }
        }
    }

    /// `ms` of the preset's timeline, scaled.
    fn ms(&self, ms: u64) -> Duration {
        Duration::from_millis(ms * self.scale_pct / 100)
    }

    fn hub_config(&self) -> Config {
        let mut c = Config::default();
        c.heartbeat_timeout = self.ms(1_500);
        c.write_deadline = Duration::from_millis(2_000);
        c.close_deadline = Duration::from_millis(1_000);
        c.handshake_deadline = Duration::from_millis(2_000);
        c.outbound_queue = 64;
        c
    }
}

/// How the slow agent ends, chosen by round number.
#[derive(Clone, Copy, Debug)]
enum SlowEnd {
    /// The preset's script: resume reading, heartbeat, Close.
    Preset,
    /// Close while still not reading; resume reading 300 ms later.
    CloseWhileStalled,
    /// Stay silent and stalled until the hub shuts down at the end of the round.
    StalledUntilShutdown,
}

impl SlowEnd {
    /// By round number (`WSRACE_BENCH_SLOW_END` = `preset`, `close-stalled` or
    /// `stalled` pins one ending for every round).
    fn for_round(round: u64) -> SlowEnd {
        match std::env::var("WSRACE_BENCH_SLOW_END").as_deref() {
            Ok("preset") => return SlowEnd::Preset,
            Ok("close-stalled") => return SlowEnd::CloseWhileStalled,
            Ok("stalled") => return SlowEnd::StalledUntilShutdown,
            Ok(other) => {
                panic!("WSRACE_BENCH_SLOW_END={other:?}: expected preset, close-stalled or stalled")
            }
            Err(_) => {}
        }
        match round % 3 {
            0 => SlowEnd::Preset,
            1 => SlowEnd::CloseWhileStalled,
            _ => SlowEnd::StalledUntilShutdown,
        }
    }
}

/// A small deterministic RNG (xorshift64*), for push sizes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn push_size(&mut self) -> usize {
        (64 * 1024 + self.next() % (960 * 1024)) as usize
    }
}

// ---------------------------------------------------------------------------------------
// Findings.

#[derive(Clone, Debug)]
struct Failure {
    at: Instant,
    what: String,
}

/// What the agents found in one round; the earliest failure is kept.
#[derive(Default)]
struct Findings {
    first: Option<Failure>,
    /// Agent-side problems that are not failures of the design (timeouts, refused
    /// upgrades); shown in the table's last column.
    notes: Vec<String>,
    frames: u64,
    bytes: u64,
}

type Shared = Arc<Mutex<Findings>>;

fn record_failure(findings: &Shared, what: String) {
    let at = Instant::now();
    let mut f = findings.lock().unwrap_or_else(|e| e.into_inner());
    if f.first.as_ref().is_none_or(|old| at < old.at) {
        f.first = Some(Failure { at, what });
    }
}

fn note(findings: &Shared, what: String) {
    let mut f = findings.lock().unwrap_or_else(|e| e.into_inner());
    if f.notes.len() < 8 {
        f.notes.push(what);
    }
}

mod agents;
use agents::*;

// ---------------------------------------------------------------------------------------
// A round.

struct Round {
    addr: SocketAddr,
    findings: Shared,
    /// Flips to true once the hub's shutdown began (the stalled slow agent resumes
    /// reading 300 ms later).
    shutdown: watch::Receiver<bool>,
}

async fn agent(plan: Arc<Plan>, round: Arc<Round>, name: &'static str, slow_end: SlowEnd) {
    let f = &round.findings;
    let rcvbuf = (name == "slow").then_some(SLOW_RCVBUF);
    let Some(mut c) = connect(round.addr, name, 1, rcvbuf, f).await else {
        return;
    };
    match name {
        "steady" => {
            c.heartbeats(&plan, 250, 16, Beat::Json).await;
            c.close().await;
        }
        "pinger" => {
            let _ = c.heartbeats(&plan, 100, 12, Beat::Ping).await
                && c.heartbeats(&plan, 100, 12, Beat::Json).await;
            c.close().await;
        }
        "reconnect" => {
            c.heartbeats(&plan, 150, 6, Beat::Json).await;
            // The second connection replaces the first; the first must get a Close.
            let Some(mut c2) = connect(round.addr, name, 2, None, f).await else {
                c.finish(f).await;
                return;
            };
            c2.heartbeats(&plan, 150, 6, Beat::Ping).await;
            c2.close().await;
            c.finish(f).await;
            c2.finish(f).await;
            return;
        }
        "silent" => {
            c.heartbeats(&plan, 200, 3, Beat::Json).await;
            sleep(plan.ms(2_500)).await;
        }
        "slow" => {
            c.heartbeats(&plan, 200, 2, Beat::Json).await;
            c.pause(true);
            // Pings too (the preset's slow agent sends JSON only): under go-original
            // the reader writes Pongs itself, into the writer's partial writes.
            for i in 0..8 {
                let kind = if i % 2 == 0 { Beat::Ping } else { Beat::Json };
                if !c.beat(kind).await {
                    break;
                }
                sleep(plan.ms(100)).await;
            }
            match slow_end {
                SlowEnd::Preset => {
                    sleep(plan.ms(600)).await;
                    c.pause(false);
                    c.heartbeats(&plan, 200, 3, Beat::Json).await;
                    c.close().await;
                }
                SlowEnd::CloseWhileStalled => {
                    c.close().await;
                    sleep(Duration::from_millis(300)).await;
                    c.pause(false);
                }
                SlowEnd::StalledUntilShutdown => {
                    let mut shutdown = round.shutdown.clone();
                    let _ = timeout(WAIT, shutdown.wait_for(|s| *s)).await;
                    sleep(Duration::from_millis(300)).await;
                    c.pause(false);
                }
            }
        }
        _ => unreachable!("unknown agent {name}"),
    }
    c.finish(f).await;
}

/// The preset's pushes: (at ms, agent).
const PUSHES: [(u64, &str); 11] = [
    (500, "steady"),
    (600, "slow"),
    (700, "pinger"),
    (800, "slow"),
    (900, "reconnect"),
    (1000, "slow"),
    (1300, "pinger"),
    (1700, "reconnect"),
    (2000, "steady"),
    (2300, "pinger"),
    (3000, "steady"),
];

/// One round on a fresh hub; returns the findings.
async fn run_round(plan: Arc<Plan>, design: Design, round_no: u64) -> Findings {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .set_send_buffer_size(SERVER_SNDBUF)
        .expect("SO_SNDBUF");
    socket
        .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .expect("bind 127.0.0.1:0");
    let listener: TcpListener = socket.listen(128).expect("listen");
    let addr = listener.local_addr().expect("local addr");
    let tokens =
        Tokens::from_pairs(AGENTS.iter().map(|a| (*a, format!("token-{a}")))).expect("tokens");
    let hub = ZooHub::new(design, plan.hub_config(), tokens);
    let server = tokio::spawn({
        let hub = hub.clone();
        async move { hub.serve(listener).await }
    });

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let round = Arc::new(Round {
        addr,
        findings: Shared::default(),
        shutdown: shutdown_rx,
    });
    let slow_end = SlowEnd::for_round(round_no);
    let agents: Vec<_> = AGENTS
        .iter()
        .map(|name| tokio::spawn(agent(plan.clone(), round.clone(), name, slow_end)))
        .collect();

    // The pushes, on the preset's timeline.
    let t0 = Instant::now();
    let mut rng = Rng(0x5eed ^ (round_no + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    for (at, to) in PUSHES {
        sleep_until(t0 + plan.ms(at)).await;
        let _ = hub.send(to, Message::Binary(vec![0xa5; rng.push_size()]));
    }
    // Every script but the stalled slow agent's has ended by ~3.2 s (preset time).
    sleep_until(t0 + plan.ms(3_300)).await;

    shutdown_tx.send_replace(true);
    if timeout(SHUTDOWN_WAIT, hub.shutdown()).await.is_err() {
        note(
            &round.findings,
            format!("hub shutdown took over {SHUTDOWN_WAIT:?}"),
        );
    }
    server.abort();
    for a in agents {
        let abort = a.abort_handle();
        if timeout(WAIT * 2, a).await.is_err() {
            abort.abort();
        }
    }
    let mut f = round.findings.lock().unwrap_or_else(|e| e.into_inner());
    std::mem::take(&mut *f)
}

// ---------------------------------------------------------------------------------------
// Per design, and the table.

struct Outcome {
    design: Design,
    rounds: u64,
    wall: Duration,
    first: Option<(Duration, u64, String)>,
    frames: u64,
    bytes: u64,
    notes: Vec<String>,
}

async fn run_design(plan: Arc<Plan>, design: Design) -> Outcome {
    let start = Instant::now();
    let mut out = Outcome {
        design,
        rounds: 0,
        wall: Duration::ZERO,
        first: None,
        frames: 0,
        bytes: 0,
        notes: Vec::new(),
    };
    while out.rounds < plan.max_rounds && start.elapsed() < plan.budget {
        let round_no = out.rounds;
        out.rounds += 1;
        let f = run_round(plan.clone(), design, round_no).await;
        out.frames += f.frames;
        out.bytes += f.bytes;
        for n in f.notes {
            if out.notes.len() < 4 {
                out.notes.push(format!("round {}: {n}", out.rounds));
            }
        }
        if let Some(failure) = f.first {
            let slow = format!("{:?}", SlowEnd::for_round(round_no));
            out.first = Some((
                failure.at - start,
                out.rounds,
                format!("{} (slow agent: {slow})", failure.what),
            ));
            break;
        }
    }
    out.wall = start.elapsed();
    out
}

fn sim_figure(design: Design) -> &'static str {
    match design {
        Design::GoOriginal => {
            "schedules to first failure: median 1 (1-9), any or wire-only oracles; \
             ~0.06 s per search (caught at seed 0 within ms)"
        }
        Design::Sleep100ms => {
            "median 2.5 schedules (any oracle, ~0.15 s); wire only: median 39 (1-307), \
             ~0.65 s per search"
        }
        _ => "-",
    }
}

fn table(plan: &Plan, outcomes: &[Outcome]) -> String {
    let mut out = format!(
        "zoo_tcp: ZooHub on real loopback TCP (127.0.0.1), real timers, incident preset \
         agents, bound {} s per design{}\n\n",
        plan.budget.as_secs(),
        if plan.full {
            ""
        } else {
            " (smoke run: one round at half timings; pass --bench for the full run)"
        }
    );
    out.push_str(
        "| design | rounds | wall time to first failure (TCP) | what was seen | \
         simulation (BENCHMARKS.md, proptest) |\n|---|---|---|---|---|\n",
    );
    for o in outcomes {
        let (time, seen) = match &o.first {
            Some((t, round, what)) => (
                format!("**{:.2} s** (round {round})", t.as_secs_f64()),
                what.clone(),
            ),
            None => (
                format!("none within {} s", plan.budget.as_secs()),
                format!(
                    "{} clean frames, {:.1} MiB checked",
                    o.frames,
                    o.bytes as f64 / (1 << 20) as f64
                ),
            ),
        };
        let notes = if o.notes.is_empty() {
            String::new()
        } else {
            format!("; notes: {}", o.notes.join("; "))
        };
        out.push_str(&format!(
            "| `zoo:{}` | {} | {time} | {seen}{notes} | {} |\n",
            o.design,
            o.rounds,
            sim_figure(o.design)
        ));
    }
    let total: f64 = outcomes.iter().map(|o| o.wall.as_secs_f64()).sum();
    out.push_str(&format!(
        "\nwall time in all: {total:.1} s on {} CPUs; server send buffer {} KiB, slow \
         agent receive buffer {} KiB, pushes 64 KiB-1 MiB\n",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        SERVER_SNDBUF / 1024,
        SLOW_RCVBUF / 1024
    ));
    out
}

fn main() {
    let plan = Arc::new(Plan::from_args());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let outcomes: Vec<Outcome> = [Design::GoOriginal, Design::Sleep100ms]
        .into_iter()
        .map(|d| runtime.block_on(run_design(plan.clone(), d)))
        .collect();
    runtime.shutdown_timeout(Duration::from_secs(1));
    println!("{}", table(&plan, &outcomes));
}
