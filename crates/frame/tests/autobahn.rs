//! Agreement with the Autobahn|Testsuite on frames a server sends (direction s2c).
//!
//! Autobahn's "fuzzingserver" cases are what a server sends to a client under test; each
//! case also says what a client must do about it. kosoku (PyPI, pinned below) runs
//! Autobahn's own case files from a Rust runner; `autobahn/fuzzingserver.py` serves them on
//! 127.0.0.1 at an ephemeral port. This test is the client:
//!
//! 1. It makes `target/wsrace-venv` (python3 -m venv, pip install kosoku) unless it is
//!    already there, and fails with the reason if that cannot be done: it never skips.
//!    `support/venv.rs` does this, under a lock file, so concurrent runs do not collide.
//! 2. For every case it connects over loopback, completes the opening handshake and runs a
//!    client driven by the checker: bytes go through `Checker::feed_with` as they arrive;
//!    complete messages are echoed, pings answered, a Close is answered with its code; at
//!    the first violation the client sends Close with the rule's code and only listens from
//!    then on. Every byte the server sends is captured until it closes the connection.
//! 3. After the run kosoku reports each case: its expectation (`expected_close`: who closes,
//!    which close codes are acceptable), its verdict on this client, and the octets it
//!    logged as sent, which must equal the capture wherever its wire log is complete.
//! 4. Each capture is checked again in one piece. Autobahn requires the client to fail the
//!    connection when 1000 is not among the acceptable close codes: the checker must report
//!    a violation there. Where 1000 is acceptable the checker must accept, except for the
//!    cases in [`STRICTER`], where it is stricter on purpose and says so with the listed rule.
//!    The one-shot verdict must equal the verdict reached chunk by chunk over TCP.
//! 5. kosoku's own verdict on the checker-driven client must be a pass for every case not
//!    in [`STRICTER`].
//!
//! Sections 12 and 13 (permessage-deflate) are left out: they need a client that inflates
//! and deflates to echo, and compressed payloads are opaque to a frame checker that does
//! not inflate. Results are in `autobahn/README.md`; `cargo test --test autobahn --
//! --nocapture` prints the table.

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};
#[path = "support/venv.rs"]
mod venv;

use wsrace_frame::{
    encode, opcode, Checker, Config, Direction, FrameHeader, Rule, Sink, Violation,
};

const KOSOKU_VERSION: &str = "0.1.0";
const AGENT: &str = "wsrace-frame";
const EXCLUDED: &[&str] = &["12.*", "13.*"];
const WORKERS: usize = 8;
const CASE_DEADLINE: Duration = Duration::from_secs(90);
const RUN_DEADLINE_SECS: u64 = 900;
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// Cases where Autobahn lets (or wants) a client accept what the checker rejects.
const STRICTER: &[(&str, Rule, &str)] = &[
    (
        "7.1.2",
        Rule::DataAfterClose,
        "a second Close after the first: nothing may follow a Close",
    ),
    (
        "7.1.3",
        Rule::DataAfterClose,
        "a Ping after Close: nothing may follow a Close",
    ),
    (
        "7.1.4",
        Rule::DataAfterClose,
        "a Text message after Close: nothing may follow a Close",
    ),
    (
        "7.1.5",
        Rule::DataAfterClose,
        "the last fragment of a message after Close: nothing may follow a Close",
    ),
    (
        "7.1.6",
        Rule::DataAfterClose,
        "a Ping after Close (informational case): nothing may follow a Close",
    ),
    (
        "7.13.1",
        Rule::CloseCode,
        "close code 5000 (informational case): codes >= 5000 are not valid on the wire",
    ),
    (
        "7.13.2",
        Rule::CloseCode,
        "close code 65535 (informational case): codes >= 5000 are not valid on the wire",
    ),
];

// ---------------------------------------------------------------------------------------
// Python side.

/// The fuzzing server process; killed when dropped.
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    /// Collects stderr until the process exits (read it after a kill).
    stderr: Option<std::thread::JoinHandle<String>>,
    port: u16,
}

impl Server {
    fn start(python: &Path) -> Server {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/autobahn/fuzzingserver.py");
        let mut cmd = Command::new(python);
        cmd.arg(script);
        for e in EXCLUDED {
            cmd.args(["--exclude", e]);
        }
        cmd.args(["--timeout", &RUN_DEADLINE_SECS.to_string()]);
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("autobahn: cannot start {cmd:?}: {e}"));
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut err = child.stderr.take().expect("piped stderr");
        let stderr = Some(std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err.read_to_string(&mut s);
            s
        }));
        let stdin = child.stdin.take();
        let mut server = Server {
            child,
            stdin,
            lines,
            stderr,
            port: 0,
        };
        let first = server.next(Duration::from_secs(60), "the listening port");
        server.port = first["port"]
            .as_u64()
            .and_then(|p| u16::try_from(p).ok())
            .unwrap_or_else(|| {
                panic!("autobahn: the fuzzing server's first line has no port: {first}")
            });
        server
    }

    fn next(&mut self, wait: Duration, what: &str) -> Value {
        match self.lines.recv_timeout(wait) {
            Ok(line) => serde_json::from_str(&line).unwrap_or_else(|e| {
                panic!("autobahn: bad line from the fuzzing server ({e}): {line}")
            }),
            Err(e) => {
                // Its stderr is complete once it has exited: stop it, then read.
                let _ = self.child.kill();
                let _ = self.child.wait();
                let said = self
                    .stderr
                    .take()
                    .and_then(|h| h.join().ok())
                    .unwrap_or_default();
                panic!(
                    "autobahn: no {what} from the fuzzing server within {wait:?} ({e}).\n--- its stderr\n{said}"
                )
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------
// The client.

const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

/// Connects and completes the opening handshake; returns the stream and any bytes that
/// came after the response head.
fn open(port: u16, path: &str) -> Result<(TcpStream, Vec<u8>), String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(10))
        .map_err(|e| format!("connect: {e}"))?;
    s.set_nodelay(true).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_millis(250)))
        .map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    s.write_all(request.as_bytes())
        .map_err(|e| format!("send handshake: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let accept = tungstenite::handshake::derive_accept_key(KEY.as_bytes());
            let ok_status = head.starts_with("HTTP/1.1 101");
            let ok_accept = head.lines().any(|l| {
                l.split_once(':').is_some_and(|(k, v)| {
                    k.trim().eq_ignore_ascii_case("sec-websocket-accept") && v.trim() == accept
                })
            });
            if !(ok_status && ok_accept) {
                return Err(format!("bad handshake response for {path}:\n{head}"));
            }
            return Ok((s, buf[end + 4..].to_vec()));
        }
        match s.read(&mut chunk) {
            Ok(0) => return Err(format!("connection closed during the handshake for {path}")),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if Instant::now() > deadline {
                    return Err(format!("no handshake response for {path} within 10 s"));
                }
            }
            Err(e) => return Err(format!("handshake for {path}: {e}")),
        }
    }
}

/// Collects what the checker lets through and queues the replies a client owes.
#[derive(Default)]
struct Echo {
    message: Vec<u8>,
    message_opcode: u8,
    control: Vec<u8>,
    replies: Vec<(u8, Vec<u8>)>,
}

impl Sink for Echo {
    fn frame_start(&mut self, h: &FrameHeader) {
        if h.is_control() {
            self.control.clear();
        } else if h.opcode != opcode::CONTINUATION {
            self.message.clear();
            self.message_opcode = h.opcode;
        }
    }

    fn payload(&mut self, h: &FrameHeader, _at: u64, wire: &[u8]) {
        // Server frames are unmasked: the wire bytes are the payload.
        if h.is_control() {
            self.control.extend_from_slice(wire);
        } else {
            self.message.extend_from_slice(wire);
        }
    }

    fn frame_end(&mut self, h: &FrameHeader) {
        match h.opcode {
            opcode::PING => self
                .replies
                .push((opcode::PONG, std::mem::take(&mut self.control))),
            opcode::CLOSE => {
                let code = self.control.get(..2).unwrap_or(&[]).to_vec();
                self.replies.push((opcode::CLOSE, code));
            }
            opcode::PONG => {}
            _ if h.fin => self
                .replies
                .push((self.message_opcode, std::mem::take(&mut self.message))),
            _ => {}
        }
    }
}

/// One case's connection, as seen by the checker-driven client.
struct Capture {
    bytes: Vec<u8>,
    /// The checker's verdict reached chunk by chunk as bytes arrived.
    online: Option<Violation>,
}

struct Client {
    checker: Checker,
    echo: Echo,
    capture: Capture,
    close_sent: bool,
}

impl Client {
    fn new() -> Self {
        Client {
            checker: Checker::new(Config::new(Direction::ServerToClient)),
            echo: Echo::default(),
            capture: Capture {
                bytes: Vec::new(),
                online: None,
            },
            close_sent: false,
        }
    }

    fn send(&mut self, s: &mut TcpStream, op: u8, payload: &[u8]) {
        if self.close_sent {
            return;
        }
        self.close_sent = op == opcode::CLOSE;
        let mut out = Vec::with_capacity(payload.len() + 14);
        encode::frame(&mut out, true, op, Some(MASK), payload);
        // The server may already be gone; the capture is what matters.
        let _ = s.write_all(&out);
    }

    fn receive(&mut self, bytes: &[u8], s: &mut TcpStream) {
        self.capture.bytes.extend_from_slice(bytes);
        if self.capture.online.is_some() {
            return;
        }
        let verdict = self.checker.feed_with(bytes, &mut self.echo);
        for (op, payload) in std::mem::take(&mut self.echo.replies) {
            self.send(s, op, &payload);
        }
        if let Err(v) = verdict {
            self.send(s, opcode::CLOSE, &v.rule.close_code().to_be_bytes());
            self.capture.online = Some(v);
        }
    }
}

/// Reads until the server closes the connection.
fn drive(port: u16, path: &str, client: &mut Client) -> Result<(), String> {
    let (mut s, early) = open(port, path)?;
    client.receive(&early, &mut s);
    let deadline = Instant::now() + CASE_DEADLINE;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => client.receive(&buf[..n], &mut s),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if Instant::now() > deadline {
                    return Err(format!(
                        "{path}: the server did not close within {CASE_DEADLINE:?}"
                    ));
                }
            }
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return Ok(()),
            Err(e) => return Err(format!("{path}: {e}")),
        }
    }
}

fn case_count(port: u16) -> usize {
    let mut client = Client::new();
    drive(port, "/getCaseCount", &mut client).unwrap_or_else(|e| panic!("autobahn: {e}"));
    // The count arrives as the first frame: a short text message.
    let bytes = &client.capture.bytes;
    let len = usize::from(bytes.get(1).copied().unwrap_or(0) & 0x7f);
    let digits = bytes.get(2..2 + len).unwrap_or(&[]);
    std::str::from_utf8(digits)
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| panic!("autobahn: unexpected /getCaseCount reply {bytes:02x?}"))
}

// ---------------------------------------------------------------------------------------
// Judging.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// The acceptable close codes leave out 1000: the client must fail the connection.
    Fail,
    /// A normal close (or the echoed code) is acceptable.
    Accept,
    /// An informational case: the spec leaves the outcome open.
    Either,
}

struct Case {
    id: String,
    info: Value,
    capture: Capture,
}

impl Case {
    fn section(&self) -> u32 {
        self.id
            .split('.')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    fn expect(&self) -> Expect {
        // Informational cases set this verdict whatever the client does.
        if self.info["behavior"] == "INFORMATIONAL" {
            return Expect::Either;
        }
        let codes = self.info["expected_close"]["closeCode"].as_array();
        if codes.is_some_and(|c| c.iter().any(|c| c == 1000)) {
            Expect::Accept
        } else {
            Expect::Fail
        }
    }

    fn kosoku_passed(&self) -> bool {
        self.info["passed"].as_bool().unwrap_or(false)
    }
}

/// How the capture compared with the octets kosoku logged as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum WireLog {
    /// Byte for byte (where a long write was logged cut short, its known prefix).
    Equal,
    /// The capture equals the log minus a last Close frame. kosoku logs its answer to the
    /// client's Close but ends the connection before it is delivered (a plain Python
    /// socket client sees the same).
    EqualButUndeliveredClose,
    /// The case turned the wire log off for its large payloads and on again to close:
    /// what it logged is the tail of the capture.
    Tail,
    /// No wire log kept.
    Absent,
}

fn check_wire_log(case: &Case) -> Result<WireLog, String> {
    let Some(entries) = case.info["sent"].as_array() else {
        return Ok(WireLog::Absent);
    };
    // Logged bytes; None where a long write's hex was cut short.
    let mut logged: Vec<Option<u8>> = Vec::new();
    for e in entries {
        let len = e[0].as_u64().unwrap_or(0) as usize;
        let hex = e[1].as_str().unwrap_or("");
        let start = logged.len();
        logged.extend(
            (0..hex.len() / 2).map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()),
        );
        logged.resize(start + len, None);
    }
    let got = &case.capture.bytes;
    let matches = |log: &[Option<u8>], seen: &[u8]| {
        log.iter().zip(seen).all(|(l, s)| l.is_none_or(|l| l == *s))
    };
    let differ = |what: &str| {
        Err(format!(
            "{}: the capture differs from kosoku's wire log ({what})",
            case.id
        ))
    };
    if logged.len() == got.len() {
        return if matches(&logged, got) {
            Ok(WireLog::Equal)
        } else {
            differ("same length")
        };
    }
    if logged.len() > got.len() {
        let missing = &logged[got.len()..];
        let close = missing.len() <= 2 + 125 && missing.first() == Some(&Some(0x88));
        if case.capture.online.is_some() && close && matches(&logged[..got.len()], got) {
            return Ok(WireLog::EqualButUndeliveredClose);
        }
        return differ("the capture is shorter");
    }
    if matches(&logged, &got[got.len() - logged.len()..]) {
        Ok(WireLog::Tail)
    } else {
        differ("the log is shorter and not the capture's tail")
    }
}

#[derive(Default)]
struct Row {
    cases: u32,
    must_fail: u32,
    must_accept: u32,
    either: u32,
    agree: u32,
    stricter: u32,
    kosoku_pass: u32,
}

fn table(rows: &BTreeMap<u32, Row>) -> String {
    let mut t = String::from(
        "| section | cases | Autobahn: must fail | Autobahn: accept | informational | checker agrees | checker stricter on purpose | kosoku passes the checker-driven client |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    let mut total = Row::default();
    for (s, r) in rows {
        let _ = writeln!(
            t,
            "| {s} | {} | {} | {} | {} | {} | {} | {} |",
            r.cases, r.must_fail, r.must_accept, r.either, r.agree, r.stricter, r.kosoku_pass
        );
        total.cases += r.cases;
        total.must_fail += r.must_fail;
        total.must_accept += r.must_accept;
        total.either += r.either;
        total.agree += r.agree;
        total.stricter += r.stricter;
        total.kosoku_pass += r.kosoku_pass;
    }
    let _ = writeln!(
        t,
        "| all | {} | {} | {} | {} | {} | {} | {} |",
        total.cases,
        total.must_fail,
        total.must_accept,
        total.either,
        total.agree,
        total.stricter,
        total.kosoku_pass
    );
    t
}

#[test]
fn checker_agrees_with_autobahn_on_every_fuzzingserver_case() {
    let python =
        venv::python(&[("kosoku", KOSOKU_VERSION)]).unwrap_or_else(|e| panic!("autobahn: {e}"));
    let mut server = Server::start(&python);
    let port = server.port;
    let count = case_count(port);
    assert!(count > 200, "autobahn: only {count} cases served");

    let started = Instant::now();
    let next = AtomicUsize::new(1);
    let captures: Mutex<BTreeMap<usize, Result<Capture, String>>> = Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index > count {
                    break;
                }
                let mut client = Client::new();
                let path = format!("/runCase?case={index}&agent={AGENT}");
                let result = drive(port, &path, &mut client).map(|()| client.capture);
                captures.lock().unwrap().insert(index, result);
            });
        }
    });
    let mut report = Client::new();
    drive(port, &format!("/updateReports?agent={AGENT}"), &mut report)
        .unwrap_or_else(|e| panic!("autobahn: {e}"));

    let mut infos = BTreeMap::new();
    loop {
        let line = server.next(Duration::from_secs(120), "case results");
        if line.get("done").is_some() {
            break;
        }
        let info = line["case"].clone();
        let index = info["index"].as_u64().expect("case index") as usize;
        infos.insert(index, info);
    }
    drop(server);
    let elapsed = started.elapsed();

    let mut captures = captures.into_inner().unwrap();
    let mut cases = Vec::new();
    let mut problems = Vec::new();
    for (index, info) in infos {
        let id = info["id"].as_str().unwrap_or("?").to_string();
        match captures.remove(&index) {
            Some(Ok(capture)) => cases.push(Case { id, info, capture }),
            Some(Err(e)) => problems.push(format!("{id}: {e}")),
            None => problems.push(format!("{id}: not run")),
        }
    }
    assert_eq!(
        cases.len() + problems.len(),
        count,
        "kosoku reported a different number of cases"
    );

    let mut rows: BTreeMap<u32, Row> = BTreeMap::new();
    let mut wire_logs: BTreeMap<WireLog, u32> = BTreeMap::new();
    let mut verdicts: BTreeMap<String, u32> = BTreeMap::new();
    let mut stricter_seen = Vec::new();
    for case in &cases {
        let stream = &case.capture.bytes;
        let offline = {
            let mut c = Checker::new(Config::new(Direction::ServerToClient));
            c.feed(stream).and_then(|()| c.finish().map(|_| ()))
        };
        let online = case.capture.online.as_ref();
        let same = match (&offline, online) {
            (Ok(()), None) => true,
            (Err(a), Some(b)) => a.rule == b.rule && a.byte_offset == b.byte_offset,
            _ => false,
        };
        if !same {
            problems.push(format!(
                "{}: one-shot verdict {:?} differs from the verdict over TCP {:?}",
                case.id,
                offline.as_ref().err().map(|v| v.to_string()),
                online.map(|v| v.to_string())
            ));
        }
        match check_wire_log(case) {
            Ok(how) => *wire_logs.entry(how).or_insert(0) += 1,
            Err(e) => problems.push(e),
        }

        let row = rows.entry(case.section()).or_default();
        row.cases += 1;
        let stricter = STRICTER.iter().find(|(id, _, _)| *id == case.id);
        let expect = case.expect();
        match expect {
            Expect::Fail => row.must_fail += 1,
            Expect::Accept => row.must_accept += 1,
            Expect::Either => row.either += 1,
        }
        let describe = || {
            format!(
                "{} ({}): {}\n  checker: {}\n  bytes: {:02x?}",
                case.id,
                case.info["description"].as_str().unwrap_or(""),
                case.info["expectation"].as_str().unwrap_or(""),
                match &offline {
                    Ok(()) => "accept".to_string(),
                    Err(v) => format!("{v}\n{}", v.render(Some(stream))),
                },
                &stream[..stream.len().min(256)]
            )
        };
        match (stricter, &offline) {
            (Some((_, rule, _)), Err(v)) if v.rule == *rule => {
                row.stricter += 1;
                stricter_seen.push(case.id.clone());
            }
            (Some((_, rule, why)), _) => problems.push(format!(
                "listed as deliberately stricter ({}: {why}) but the checker said otherwise: {}",
                rule.id(),
                describe()
            )),
            (None, Ok(())) if expect != Expect::Fail => row.agree += 1,
            (None, Err(_)) if expect == Expect::Fail => row.agree += 1,
            (None, Ok(())) => problems.push(format!(
                "Autobahn requires failing; the checker accepts: {}",
                describe()
            )),
            (None, Err(_)) => problems.push(format!(
                "Autobahn expects acceptance; the checker rejects: {}",
                describe()
            )),
        }
        let verdict = format!(
            "{} / {}",
            case.info["behavior"].as_str().unwrap_or("?"),
            case.info["behavior_close"].as_str().unwrap_or("?")
        );
        *verdicts.entry(verdict).or_insert(0) += 1;
        if case.kosoku_passed() {
            row.kosoku_pass += 1;
        } else if stricter.is_none() {
            problems.push(format!(
                "kosoku fails the checker-driven client on {}: {} / {} ({}; {})",
                case.id,
                case.info["behavior"],
                case.info["behavior_close"],
                case.info["result"].as_str().unwrap_or(""),
                case.info["result_close"].as_str().unwrap_or("")
            ));
        }
    }

    println!(
        "{} cases in {elapsed:.1?}; capture against kosoku's wire log: {wire_logs:?}",
        cases.len()
    );
    println!("kosoku's verdicts (behavior / close) on the checker-driven client: {verdicts:?}");
    println!("{}", table(&rows));
    for (id, rule, why) in STRICTER {
        println!("stricter on purpose: {id} {} - {why}", rule.id());
    }
    let equal = wire_logs.get(&WireLog::Equal).copied().unwrap_or(0);
    assert!(
        equal > 100,
        "the capture equals kosoku's wire log on only {equal} cases: {wire_logs:?}"
    );
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n\n")
    );
    assert_eq!(stricter_seen.len(), STRICTER.len());
}
