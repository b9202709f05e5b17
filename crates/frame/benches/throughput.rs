//! Frame checker throughput beside tungstenite on the same bytes, in one run.
//!
//! `cargo bench -p wsrace-frame --bench throughput` prints a markdown table (BENCHMARKS.md
//! keeps a copy). Each workload is a stream of frames in memory; every parser reads all of
//! it, several times; the median time is reported as frames/s and GiB/s of wire bytes.
//!
//! Parsers:
//! - **checker**: `Checker::feed` on the whole buffer, then `finish` (every rule on:
//!   direction, RSV, opcodes, minimal lengths, control frames, fragmentation, UTF-8).
//! - **checker 64K**: the same, fed in 64 KiB slices, as bytes would come off a socket.
//! - **tungstenite**: `WebSocket::read` over a `Cursor`, default config (128 KiB read
//!   buffer), client role for s2c and server role for c2s. This is tungstenite's public
//!   path that makes the same checks (RSV, opcodes, mask direction, control frames,
//!   fragmentation, UTF-8 of text), so it is the fair comparison. It also copies payloads
//!   out of its read buffer and (server role) unmasks them, which the checker never does:
//!   that is inherent in its design, not a handicap added here.
//! - **tungstenite frames**: `FrameSocket::read`: its frame layer alone (header parsing
//!   and payload splitting; no RSV, control, fragmentation or UTF-8 checks, no unmasking),
//!   a lower bound on its cost.
//! - **std from_utf8 / simdutf8 on payloads** (1 MiB text workloads only): the UTF-8 work
//!   alone, as yardsticks; the checker validates with `simdutf8`.
//!
//! Arguments select workloads by substring (`cargo bench -p wsrace-frame --bench throughput
//! -- 16-byte`). `WSRACE_BENCH_PROFILE=<parser>` runs that parser alone, for profiling.
//! Uses `std::time::Instant`: this is a benchmark, not simulation code.

use std::hint::black_box;
use std::io::{self, Cursor, Read, Write};
use std::time::{Duration, Instant};
use tungstenite::protocol::frame::FrameSocket;
use tungstenite::protocol::{Role, WebSocket};
use tungstenite::Message;
use wsrace_frame::{encode, opcode, Checker, Config, Direction};

const MIB: usize = 1 << 20;
/// 16 bytes, a heartbeat-sized JSON message.
const HEARTBEAT: &[u8; 16] = b"{\"hb\":123456789}";

struct Workload {
    name: &'static str,
    direction: Direction,
    bytes: Vec<u8>,
    frames: u64,
}

/// xorshift64*: deterministic filler, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn ascii_text(len: usize) -> Vec<u8> {
    let words = [
        "agent",
        "heartbeat",
        "{\"seq\":",
        "1234,",
        "\"ok\":true}",
        "reconnect",
        "the",
        "hub",
    ];
    let mut rng = Rng(7);
    let mut out = Vec::with_capacity(len + 16);
    while out.len() < len {
        out.extend_from_slice(words[(rng.next() % words.len() as u64) as usize].as_bytes());
        out.push(b' ');
    }
    out.truncate(len);
    out
}

/// About a third of the characters are 2- to 4-byte sequences; never cut inside one.
fn mixed_text(len: usize) -> Vec<u8> {
    let pieces = [
        "status ",
        "Grüße ",
        "κόσμε ",
        "接続 ",
        "ok ",
        "🙂 ",
        "naïve ",
        "agent ",
    ];
    let mut rng = Rng(11);
    let mut out = Vec::with_capacity(len + 16);
    loop {
        let p = pieces[(rng.next() % pieces.len() as u64) as usize].as_bytes();
        if out.len() + p.len() > len {
            break;
        }
        out.extend_from_slice(p);
    }
    out.resize(len, b' ');
    out
}

fn random_bytes(len: usize) -> Vec<u8> {
    let mut rng = Rng(3);
    (0..len).map(|_| rng.next() as u8).collect()
}

fn stream(frames: usize, op: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(frames * (payload.len() + 14));
    let mut rng = Rng(5);
    for _ in 0..frames {
        let mask = masked.then(|| (rng.next() as u32).to_be_bytes());
        encode::frame(&mut out, true, op, mask, payload);
    }
    out
}

fn workloads() -> Vec<Workload> {
    let small = 1_000_000;
    let large = 64;
    vec![
        Workload {
            name: "1 MiB text frames, ASCII (s2c)",
            direction: Direction::ServerToClient,
            bytes: stream(large, opcode::TEXT, &ascii_text(MIB), false),
            frames: large as u64,
        },
        Workload {
            name: "1 MiB text frames, 1/3 non-ASCII (s2c)",
            direction: Direction::ServerToClient,
            bytes: stream(large, opcode::TEXT, &mixed_text(MIB), false),
            frames: large as u64,
        },
        Workload {
            name: "1 MiB binary frames (s2c)",
            direction: Direction::ServerToClient,
            bytes: stream(large, opcode::BINARY, &random_bytes(MIB), false),
            frames: large as u64,
        },
        Workload {
            name: "16-byte text frames (s2c)",
            direction: Direction::ServerToClient,
            bytes: stream(small, opcode::TEXT, HEARTBEAT, false),
            frames: small as u64,
        },
        Workload {
            name: "16-byte masked text frames (c2s)",
            direction: Direction::ClientToServer,
            bytes: stream(small, opcode::TEXT, HEARTBEAT, true),
            frames: small as u64,
        },
    ]
}

/// In-memory transport for tungstenite; what it writes is dropped.
struct Wire<'a>(Cursor<&'a [u8]>);

impl Read for Wire<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Wire<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

type Parser = fn(&Workload) -> u64;

fn checker_whole(w: &Workload) -> u64 {
    let mut c = Checker::new(Config::new(w.direction));
    c.feed(black_box(&w.bytes)).expect("workload is valid");
    c.finish().expect("workload ends cleanly").frames
}

fn checker_chunked(w: &Workload) -> u64 {
    let mut c = Checker::new(Config::new(w.direction));
    for chunk in black_box(&w.bytes).chunks(64 * 1024) {
        c.feed(chunk).expect("workload is valid");
    }
    c.finish().expect("workload ends cleanly").frames
}

fn tungstenite_messages(w: &Workload) -> u64 {
    let role = match w.direction {
        Direction::ServerToClient => Role::Client,
        Direction::ClientToServer => Role::Server,
    };
    let mut ws = WebSocket::from_raw_socket(Wire(Cursor::new(black_box(&w.bytes))), role, None);
    let mut n = 0;
    loop {
        match ws.read() {
            Ok(m @ (Message::Text(_) | Message::Binary(_))) => {
                black_box(m);
                n += 1;
            }
            Ok(other) => panic!("unexpected {other:?}"),
            Err(tungstenite::Error::Protocol(
                tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
            )) => return n,
            Err(e) => panic!("tungstenite rejected the workload: {e}"),
        }
    }
}

fn tungstenite_frames(w: &Workload) -> u64 {
    let mut s = FrameSocket::new(Wire(Cursor::new(black_box(&w.bytes))));
    let mut n = 0;
    while let Some(f) = s.read(None).expect("frames parse") {
        black_box(f);
        n += 1;
    }
    n
}

/// Yardstick, not a parser: `validate` over each payload of a text workload of 1 MiB
/// frames (10-byte headers), i.e. the UTF-8 work alone.
fn payloads(w: &Workload, validate: fn(&[u8]) -> bool) -> u64 {
    let frame = 10 + MIB;
    if !w.name.contains("1 MiB text") {
        return w.frames;
    }
    let mut n = 0;
    for f in black_box(&w.bytes).chunks(frame) {
        assert!(validate(&f[10..]));
        n += 1;
    }
    n
}

fn std_from_utf8(w: &Workload) -> u64 {
    payloads(w, |p| std::str::from_utf8(p).is_ok())
}

/// The checker validates with `simdutf8::basic` (and `compat` only to place an error).
fn simdutf8_basic(w: &Workload) -> u64 {
    payloads(w, |p| simdutf8::basic::from_utf8(p).is_ok())
}

struct Measured {
    median: Duration,
}

fn measure(w: &Workload, parse: Parser) -> Measured {
    assert_eq!(parse(w), w.frames, "{}: wrong frame count", w.name);
    let warm = Instant::now();
    black_box(parse(w));
    let one = warm.elapsed().max(Duration::from_micros(1));
    let runs = (Duration::from_millis(1500).as_nanos() / one.as_nanos()).clamp(7, 101) as usize | 1;
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            black_box(parse(w));
            t.elapsed()
        })
        .collect();
    times.sort();
    Measured {
        median: times[runs / 2],
    }
}

fn cell(w: &Workload, m: &Measured) -> String {
    let secs = m.median.as_secs_f64();
    let fps = w.frames as f64 / secs;
    let gib = w.bytes.len() as f64 / secs / (1u64 << 30) as f64;
    let frames = match fps {
        f if f >= 1e6 => format!("{:.1} M/s", f / 1e6),
        f if f >= 1e4 => format!("{:.1} k/s", f / 1e3),
        f => format!("{f:.0} /s"),
    };
    if gib >= 100.0 {
        format!("{frames}, {gib:.0} GiB/s")
    } else {
        format!("{frames}, {gib:.2} GiB/s")
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!("{cpu}, {cores} cores available")
}

/// `WSRACE_BENCH_PROFILE=checker perf record ...`: runs one parser alone for 3 s per
/// selected workload, so a profile shows nothing else.
fn profile(name: &str, parsers: &[(&str, Parser)], filter: &[String]) {
    let (_, parse) = parsers
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no parser named {name:?}"));
    for w in workloads() {
        if !filter.is_empty() && !filter.iter().any(|f| w.name.contains(f.as_str())) {
            continue;
        }
        let start = Instant::now();
        let mut runs = 0u32;
        while start.elapsed() < Duration::from_secs(3) {
            black_box(parse(&w));
            runs += 1;
        }
        println!("{name}: {} x{runs}", w.name);
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing useful either.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let parsers: [(&str, Parser); 6] = [
        ("checker", checker_whole),
        ("checker 64K", checker_chunked),
        ("tungstenite", tungstenite_messages),
        ("tungstenite frames", tungstenite_frames),
        ("std from_utf8 on payloads", std_from_utf8),
        ("simdutf8 on payloads", simdutf8_basic),
    ];
    if let Ok(name) = std::env::var("WSRACE_BENCH_PROFILE") {
        return profile(&name, &parsers, &filter);
    }
    println!("machine: {}", machine());
    println!();
    println!(
        "| workload | wire MiB | {} | checker / tungstenite |",
        parsers.map(|p| p.0).join(" | ")
    );
    println!("|---|---|{}---|", "---|".repeat(parsers.len()));
    for w in workloads() {
        if !filter.is_empty() && !filter.iter().any(|f| w.name.contains(f.as_str())) {
            continue;
        }
        let results: Vec<Measured> = parsers.iter().map(|(_, p)| measure(&w, *p)).collect();
        let ratio = results[2].median.as_secs_f64() / results[0].median.as_secs_f64();
        println!(
            "| {} | {:.1} | {} | {ratio:.1}x |",
            w.name,
            w.bytes.len() as f64 / MIB as f64,
            results
                .iter()
                .enumerate()
                .map(|(i, m)| if i >= 4 && !w.name.contains("1 MiB text") {
                    "-".to_string()
                } else {
                    cell(&w, m)
                })
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
}
