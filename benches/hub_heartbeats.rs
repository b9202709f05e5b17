//! 1,000 agents heartbeating over loopback against `wsrace serve`.
//!
//! `cargo bench --bench hub_heartbeats` starts the release `wsrace serve` on
//! 127.0.0.1 (port picked by the OS), connects the agents, lets each send a WebSocket
//! Ping every second (spread evenly over the second) for a warm-up and then a
//! measured window, and prints a markdown table: heartbeat round trip (Ping written ->
//! its Pong read) p50/p99/p99.9/max, the server's CPU over the window (from
//! `/proc/<pid>/stat`) as % of one core and CPU-seconds per 1,000 heartbeats, its
//! resident memory (`VmRSS`, `VmHWM`), and how long SIGTERM takes to close every
//! agent with 1001 and exit. It stops by itself; any agent error fails the run.
//!
//! The agents are plain tokio tasks on one runtime thread with raw sockets: they
//! write the upgrade request, then masked Ping frames, and read the Pong (and at the
//! end the Close) with a few lines of parsing. A tungstenite client per agent would
//! add its own buffering, queueing and automatic replies to the client's CPU, which
//! shares the machine with the server; raw frames keep the client's cost to the
//! syscalls and time exactly one write and one read. A single client thread leaves
//! the other cores to the server.
//!
//! Environment: `WSRACE_BENCH_AGENTS` (default 1000), `WSRACE_BENCH_SECS` (measured
//! window, default 20). Run without `--bench` (as `cargo test --benches` does) it is a
//! smoke run: 50 agents, 2 s. It needs about agents + 100 file descriptors per
//! process; it checks `ulimit -n` first and says so if that is too low.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::time::{sleep_until, timeout, Instant};

/// Heartbeat period of each agent.
const PERIOD: Duration = Duration::from_secs(1);
/// Heartbeats before the window: the first round, connection warm-up.
const WARM_UP: Duration = Duration::from_secs(2);
/// Any single network wait longer than this is an error.
const WAIT: Duration = Duration::from_secs(10);
/// Upgrades in flight at once while connecting (well under the listen backlog).
const CONNECTING: usize = 64;

struct Plan {
    agents: usize,
    window: Duration,
}

fn plan() -> Plan {
    let full = std::env::args().any(|a| a == "--bench");
    let env = |name: &str, default: u64| -> u64 {
        match std::env::var(name) {
            Ok(v) => v
                .parse()
                .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
            Err(_) => default,
        }
    };
    if full {
        Plan {
            agents: env("WSRACE_BENCH_AGENTS", 1000) as usize,
            window: Duration::from_secs(env("WSRACE_BENCH_SECS", 20)),
        }
    } else {
        Plan {
            agents: 50,
            window: Duration::from_secs(2),
        }
    }
}

fn main() {
    let plan = plan();
    check_fd_limit(plan.agents);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let report = runtime.block_on(run(&plan));
    println!("{}", report.table(&plan));
}

// ---------------------------------------------------------------------------------------
// The server process.

struct Server {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Server {
    fn start(agents: usize) -> Server {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let tokens = dir.join("hub_heartbeats-tokens");
        let text: String = (0..agents)
            .map(|i| format!("agent-{i} token-{i}\n"))
            .collect();
        std::fs::write(&tokens, text).expect("write the tokens file");
        let log = dir.join("hub_heartbeats-server.log");
        let stderr = std::fs::File::create(&log).expect("create the server log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_wsrace"))
            .args(["serve", "--listen", "127.0.0.1:0", "--tokens"])
            .arg(&tokens)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn wsrace serve");
        let out = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(out).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(WAIT).unwrap_or_else(|e| {
            panic!(
                "wsrace serve printed no address ({e}); see {}",
                log.display()
            )
        });
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("expected `listening on ADDR`, got {line:?}"));
        Server { child, addr, log }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn terminate(&self) {
        let ok = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill -TERM {} failed", self.pid());
    }

    async fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "wsrace serve did not exit within {WAIT:?} of SIGTERM; see {}",
                self.log.display()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------
// /proc.

/// utime + stime of `pid` (or "self"), in seconds.
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc/<pid>/stat");
    // Fields after the parenthesised command name; utime and stime are fields 14, 15.
    let rest = &stat[stat.rfind(')').expect("stat has (comm)") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / clock_ticks() as f64
}

fn clock_ticks() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100)
    })
}

/// A `kB` field of `/proc/<pid>/status`, in MiB.
fn status_mib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read status");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"));
    kb as f64 / 1024.0
}

fn check_fd_limit(agents: usize) {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let soft = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse::<usize>().ok());
    let need = agents + 100;
    if let Some(soft) = soft {
        if soft < need {
            eprintln!(
                "hub_heartbeats: {agents} agents need about {need} file descriptors per process \
                 (client and server), but `ulimit -n` is {soft}. Raise it first, e.g. \
                 `ulimit -n {}` in this shell.",
                need.next_power_of_two()
            );
            std::process::exit(2);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Agents.

/// A connected agent: its socket and its masking key.
struct Agent {
    id: usize,
    tcp: TcpStream,
    key: [u8; 4],
}

fn mask_key(id: usize) -> [u8; 4] {
    (id as u32).wrapping_mul(0x9e37_79b9).to_be_bytes()
}

async fn within<T>(
    what: &str,
    id: usize,
    fut: impl std::future::Future<Output = std::io::Result<T>>,
) -> Result<T, String> {
    match timeout(WAIT, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("agent-{id}: {what}: {e}")),
        Err(_) => Err(format!("agent-{id}: {what}: no progress within {WAIT:?}")),
    }
}

async fn connect(addr: SocketAddr, id: usize) -> Result<Agent, String> {
    let mut tcp = within("connect", id, TcpStream::connect(addr)).await?;
    tcp.set_nodelay(true)
        .map_err(|e| format!("agent-{id}: nodelay: {e}"))?;
    let request = format!(
        "GET /agent HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
         Authorization: Bearer token-{id}\r\n\r\n"
    );
    within("write upgrade", id, tcp.write_all(request.as_bytes())).await?;
    // Read the response head byte by byte: nothing may be read past it (the hub
    // sends nothing before the first Pong anyway).
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let byte = within("read upgrade response", id, tcp.read_u8()).await?;
        head.push(byte);
        if head.len() > 4096 {
            return Err(format!("agent-{id}: response head too long"));
        }
    }
    if !head.starts_with(b"HTTP/1.1 101") {
        return Err(format!(
            "agent-{id}: upgrade refused: {:?}",
            String::from_utf8_lossy(&head)
        ));
    }
    Ok(Agent {
        id,
        tcp,
        key: mask_key(id),
    })
}

/// A masked client frame with a short payload.
fn masked(opcode: u8, payload: &[u8], key: [u8; 4]) -> Vec<u8> {
    assert!(payload.len() <= 125);
    let mut frame = vec![0x80 | opcode, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&key);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    frame
}

/// Reads one server frame with a short payload: (opcode, payload).
async fn read_frame(agent: &mut Agent) -> Result<(u8, Vec<u8>), String> {
    let id = agent.id;
    let mut header = [0u8; 2];
    within("read frame header", id, agent.tcp.read_exact(&mut header)).await?;
    if header[0] & 0x70 != 0
        || header[0] & 0x80 == 0
        || header[1] & 0x80 != 0
        || header[1] & 0x7f > 125
    {
        return Err(format!("agent-{id}: unexpected frame header {header:02x?}"));
    }
    let mut payload = vec![0u8; usize::from(header[1] & 0x7f)];
    within("read frame payload", id, agent.tcp.read_exact(&mut payload)).await?;
    Ok((header[0] & 0x0f, payload))
}

/// Round trips (µs) of the heartbeats sent at or after `measure_from`.
async fn heartbeat(
    agent: &mut Agent,
    first: Instant,
    measure_from: Instant,
    stop: Instant,
) -> Result<Vec<u32>, String> {
    let mut rtts = Vec::new();
    let mut next = first;
    let mut seq = 0u64;
    while next < stop {
        sleep_until(next).await;
        seq += 1;
        let payload = seq.to_be_bytes();
        let ping = masked(0x9, &payload, agent.key);
        let sent = Instant::now();
        within("write ping", agent.id, agent.tcp.write_all(&ping)).await?;
        let (opcode, got) = read_frame(agent).await?;
        let rtt = sent.elapsed();
        if opcode != 0xA || got != payload {
            return Err(format!(
                "agent-{}: expected Pong {payload:02x?}, got opcode {opcode:#x} {got:02x?}",
                agent.id
            ));
        }
        if sent >= measure_from {
            rtts.push(u32::try_from(rtt.as_micros()).unwrap_or(u32::MAX));
        }
        next += PERIOD;
    }
    Ok(rtts)
}

/// Waits for the server's Close, answers it, reads to EOF; returns the code.
async fn await_close(mut agent: Agent) -> Result<u16, String> {
    let (opcode, payload) = read_frame(&mut agent).await?;
    if opcode != 0x8 || payload.len() < 2 {
        return Err(format!(
            "agent-{}: expected a Close with a code, got opcode {opcode:#x} {payload:02x?}",
            agent.id
        ));
    }
    let code = u16::from_be_bytes([payload[0], payload[1]]);
    let reply = masked(0x8, &payload[..2], agent.key);
    within("write close", agent.id, agent.tcp.write_all(&reply)).await?;
    let mut rest = Vec::new();
    within("read to EOF", agent.id, agent.tcp.read_to_end(&mut rest)).await?;
    if !rest.is_empty() {
        return Err(format!(
            "agent-{}: {} bytes after Close",
            agent.id,
            rest.len()
        ));
    }
    Ok(code)
}

// ---------------------------------------------------------------------------------------
// The run.

struct Report {
    agents: usize,
    connect: Duration,
    rtts: Vec<u32>,
    server_cpu: f64,
    client_cpu: f64,
    window: Duration,
    rss_idle: f64,
    rss_connected: f64,
    rss_end: f64,
    hwm: f64,
    close_all: Duration,
    exit: Duration,
    status: ExitStatus,
    log: PathBuf,
}

async fn run(plan: &Plan) -> Report {
    let mut server = Server::start(plan.agents);
    let pid = server.pid();
    let rss_idle = status_mib(pid, "VmRSS");

    // Connect everyone.
    let started = Instant::now();
    let gate = Arc::new(Semaphore::new(CONNECTING));
    let tasks: Vec<_> = (0..plan.agents)
        .map(|id| {
            let gate = Arc::clone(&gate);
            let addr = server.addr;
            tokio::spawn(async move {
                let _permit = gate.acquire().await.expect("semaphore");
                connect(addr, id).await
            })
        })
        .collect();
    let mut agents = Vec::with_capacity(plan.agents);
    for task in tasks {
        agents.push(
            task.await
                .expect("connect task")
                .unwrap_or_else(|e| fail(&server, &e)),
        );
    }
    let connect = started.elapsed();
    let rss_connected = status_mib(pid, "VmRSS");

    // Heartbeat: agent i starts at i/n of a period, so the load is even.
    let t0 = Instant::now() + Duration::from_millis(100);
    let measure_from = t0 + WARM_UP;
    let stop = measure_from + plan.window;
    let n = plan.agents as u32;
    let tasks: Vec<_> = agents
        .into_iter()
        .enumerate()
        .map(|(i, mut agent)| {
            let first = t0 + PERIOD * i as u32 / n;
            tokio::spawn(async move {
                heartbeat(&mut agent, first, measure_from, stop)
                    .await
                    .map(|rtts| (agent, rtts))
            })
        })
        .collect();
    sleep_until(measure_from).await;
    let (server0, client0) = (cpu_seconds(&pid.to_string()), cpu_seconds("self"));
    sleep_until(stop).await;
    let (server1, client1) = (cpu_seconds(&pid.to_string()), cpu_seconds("self"));
    let window = stop - measure_from;
    let mut rtts = Vec::new();
    let mut agents = Vec::with_capacity(plan.agents);
    for task in tasks {
        let (agent, r) = task
            .await
            .expect("heartbeat task")
            .unwrap_or_else(|e| fail(&server, &e));
        rtts.extend(r);
        agents.push(agent);
    }
    let rss_end = status_mib(pid, "VmRSS");
    let hwm = status_mib(pid, "VmHWM");

    // SIGTERM: every agent must get Close 1001 and the server must exit 0.
    let closers: Vec<_> = agents
        .into_iter()
        .map(|a| tokio::spawn(await_close(a)))
        .collect();
    let signalled = Instant::now();
    server.terminate();
    for closer in closers {
        let code = closer
            .await
            .expect("close task")
            .unwrap_or_else(|e| fail(&server, &e));
        if code != 1001 {
            fail(
                &server,
                &format!("expected Close 1001 on SIGTERM, got {code}"),
            );
        }
    }
    let close_all = signalled.elapsed();
    let status = server.wait_exit().await;
    let exit = signalled.elapsed();
    if !status.success() {
        fail(&server, &format!("wsrace serve exited with {status}"));
    }

    rtts.sort_unstable();
    Report {
        agents: plan.agents,
        connect,
        rtts,
        server_cpu: server1 - server0,
        client_cpu: client1 - client0,
        window,
        rss_idle,
        rss_connected,
        rss_end,
        hwm,
        close_all,
        exit,
        status,
        log: server.log.clone(),
    }
}

fn fail(server: &Server, error: &str) -> ! {
    panic!(
        "hub_heartbeats: {error}\nserver log: {}",
        server.log.display()
    );
}

impl Report {
    fn percentile(&self, p: f64) -> Duration {
        let i = ((self.rtts.len() as f64 * p).ceil() as usize).clamp(1, self.rtts.len()) - 1;
        Duration::from_micros(u64::from(self.rtts[i]))
    }

    fn table(&self, plan: &Plan) -> String {
        let beats = self.rtts.len();
        let secs = self.window.as_secs_f64();
        let ms = |d: Duration| format!("{:.3} ms", d.as_secs_f64() * 1e3);
        let rows: Vec<(&str, String)> = vec![
            ("agents", self.agents.to_string()),
            (
                "heartbeats measured",
                format!(
                    "{beats} in {secs:.0} s ({:.0}/s), after {} s warm-up",
                    beats as f64 / secs,
                    WARM_UP.as_secs()
                ),
            ),
            ("round trip p50", ms(self.percentile(0.50))),
            ("round trip p99", ms(self.percentile(0.99))),
            ("round trip p99.9", ms(self.percentile(0.999))),
            ("round trip max", ms(self.percentile(1.0))),
            (
                "server CPU",
                format!(
                    "{:.2}% of one core ({:.2} CPU-s in {secs:.0} s)",
                    self.server_cpu / secs * 100.0,
                    self.server_cpu
                ),
            ),
            (
                "server CPU per 1,000 heartbeats",
                format!("{:.2} ms", self.server_cpu / beats as f64 * 1000.0 * 1e3),
            ),
            (
                "server RSS idle / connected / end, peak (VmHWM)",
                format!(
                    "{:.1} / {:.1} / {:.1} MiB, peak {:.1} MiB",
                    self.rss_idle, self.rss_connected, self.rss_end, self.hwm
                ),
            ),
            (
                "server RSS per connection",
                format!(
                    "{:.1} KiB",
                    (self.rss_connected - self.rss_idle) * 1024.0 / self.agents as f64
                ),
            ),
            (
                "connect + upgrade all agents",
                format!("{} ({CONNECTING} at a time)", ms(self.connect)),
            ),
            ("SIGTERM -> every agent has Close 1001", ms(self.close_all)),
            (
                "SIGTERM -> server exited",
                format!("{} ({})", ms(self.exit), self.status),
            ),
            (
                "client CPU (all agents, 1 thread)",
                format!("{:.2}% of one core", self.client_cpu / secs * 100.0),
            ),
        ];
        let mut out = format!(
            "hub_heartbeats: {} agents, 1 Ping/s each, {}-s window{}\n\n| figure | value |\n|---|---|\n",
            plan.agents,
            plan.window.as_secs(),
            if std::env::args().any(|a| a == "--bench") { "" } else { " (smoke run: pass --bench for the full run)" }
        );
        for (k, v) in rows {
            out.push_str(&format!("| {k} | {v} |\n"));
        }
        out.push_str(&format!(
            "\nmachine: {} ({} CPUs), server log: {}\n",
            cpu_model(),
            cpus(),
            self.log.display()
        ));
        out
    }
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("model name")?
                    .split_once(':')
                    .map(|(_, m)| m.trim().to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}
