//! Differential test: `wsrace_frame::Checker` (server-to-client) against tungstenite 0.30
//! reading the same bytes in the client role over an in-memory stream.
//!
//! proptest builds mostly-valid frame sequences (fragmented text split anywhere, even inside
//! a code point; binary; pings and pongs between fragments; an optional Close) and applies up
//! to two targeted mutations: flipped RSV bits, reserved opcodes, a set mask bit, non-minimal
//! or top-bit lengths, oversized or fragmented control frames, broken fragmentation, invalid
//! UTF-8 in text and close reasons, bad close codes, a one-byte Close payload, bytes after
//! Close, a cut stream, a flipped byte (the generator is in `differential/streams.rs`).
//! Both sides give accept or reject; any disagreement that [`explain`] does not attribute
//! to one of the [`Disagreement`]s below fails the test with the stream in hex, the
//! checker's report and tungstenite's error.
//!
//! How tungstenite's outcome is read (from its `protocol/mod.rs`, checked by the
//! `tungstenite_*` tests at the bottom):
//! - `read()` is called until it fails. `ConnectionClosed` (end of stream after a Close) and
//!   `ResetWithoutClosingHandshake` (end of stream before one) are *accept*: a stream that
//!   simply stops is not a protocol violation for the checker either.
//! - Every other error is *reject*, and so is a Close that tungstenite hands back rewritten
//!   to `1002 "Protocol violation"`: it does that instead of failing when the close code is
//!   not allowed, and it answers the peer with that Close, which is failing the connection.
//!   (Generated close reasons never say "Protocol violation", so this cannot be confused
//!   with an echo.)
//!
//! Expected disagreements (each one demonstrated by a `tungstenite_*` test below):
//! 1. **Truncated last frame** (checker: `truncated-frame`). tungstenite's frame codec
//!    returns "no frame" at end of input whether or not a frame was half read, so a stream
//!    cut mid-frame ends exactly like one cut at a boundary.
//! 2. **A violation inside a frame that never completes**. tungstenite reads the whole frame
//!    (header and payload) before it looks at RSV bits, the mask bit, control-frame rules,
//!    fragmentation, UTF-8 or the close payload; the reserved-opcode check runs once the
//!    header (with extended length and mask key) is complete. The checker fails at the
//!    offending byte, so a cut stream shows it a problem tungstenite never reaches.
//! 3. **Non-minimal length encoding** (checker: `non-minimal-length`). tungstenite decodes
//!    16- and 64-bit lengths without checking that the short form would have fitted.
//! 4. **Bytes after Close that do not make up a whole frame** (checker: `data-after-close`).
//!    tungstenite, as a client, keeps reading after the peer's Close and reports
//!    `ReceivedAfterClosing` only when a complete frame arrives (or a complete header with a
//!    reserved opcode, or one that declares more than its 16 MiB frame limit); a partial
//!    frame followed by end of stream is `ConnectionClosed` to it.
//! 5. **Close code 1014** (checker accepts, tungstenite rejects). 1014 (Bad Gateway) is
//!    registered and valid on the wire; tungstenite 0.30's `CloseCode::from(u16)` has no arm
//!    for it, so it is `Bad(1014)`, not allowed, and rewritten to 1002.
//!
//! Agreements worth stating, because they were open questions:
//! - tungstenite does check close codes: 0-999, 1004-1006, 1015, 1016-2999 and everything
//!   >= 5000 are rewritten to 1002 (counted as reject, like the checker's `close-code`).
//! - tungstenite checks text UTF-8 per fragment as fragments arrive (an incomplete code point
//!   at a fragment end is carried over; a definitely-invalid sequence fails that fragment),
//!   and an incomplete code point at the end of the message fails the message.
//! - A 64-bit length with the top bit set is rejected by tungstenite's 16 MiB frame-size
//!   limit (a capacity error) as soon as the header is complete.
//! - tungstenite's size limits (16 MiB frame, 64 MiB message) are far above anything
//!   generated here except declared-but-absent lengths, which the checker rejects too.
//!
//! The stream is fed to the checker in one piece; chunking is covered by the crate's own
//! proptests. `WRONG: ` in a failure means an unexplained disagreement.

use proptest::test_runner::{
    Config as ProptestConfig, FileFailurePersistence, TestCaseError, TestRunner,
};
use std::io::{self, Cursor, Read, Write};
use tungstenite::error::ProtocolError;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::{Role, WebSocket, WebSocketConfig};
use tungstenite::{Error as WsError, Message};
use wsrace_frame::{Checker, Config, Direction, Rule, Violation};

#[path = "differential/streams.rs"]
mod streams;

use streams::{case_strategy, render, Frame, LenForm};

const CASES: u32 = 20_000;

// ---------------------------------------------------------------------------------------
// The two parsers.

/// In-memory transport: reads come from the stream under test, writes (pongs, close
/// replies) are dropped.
struct Wire(Cursor<Vec<u8>>);

impl Read for Wire {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Wire {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tung {
    Accept,
    /// tungstenite's error, or the note that it rewrote a close code.
    Reject(String),
}

fn tungstenite_verdict(stream: &[u8]) -> Tung {
    // Default limits; a 4 KiB read buffer only changes how often it calls `read`.
    let config = WebSocketConfig::default().read_buffer_size(4096);
    let mut ws = WebSocket::from_raw_socket(
        Wire(Cursor::new(stream.to_vec())),
        Role::Client,
        Some(config),
    );
    for _ in 0..stream.len() + 4 {
        match ws.read() {
            Ok(Message::Close(Some(close)))
                if close.code == CloseCode::Protocol
                    && close.reason.as_str() == "Protocol violation" =>
            {
                return Tung::Reject("close code rewritten to 1002 \"Protocol violation\"".into());
            }
            Ok(_) => {}
            Err(
                WsError::ConnectionClosed
                | WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake),
            ) => {
                return Tung::Accept;
            }
            Err(e) => return Tung::Reject(e.to_string()),
        }
    }
    panic!(
        "tungstenite did not reach the end of a {}-byte stream",
        stream.len()
    );
}

/// The checker's verdict on the whole stream (boxed: a `Violation` is large).
fn checker_verdict(stream: &[u8]) -> Verdict {
    let mut checker = Checker::new(Config::new(Direction::ServerToClient));
    checker
        .feed(stream)
        .and_then(|()| checker.finish().map(|_| ()))
        .map_err(Box::new)
}

type Verdict = Result<(), Box<Violation>>;

// ---------------------------------------------------------------------------------------
// Expected disagreements.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Disagreement {
    TruncatedLastFrame,
    ViolationInUnfinishedFrame,
    NonMinimalLength,
    PartialFrameAfterClose,
    CloseCode1014,
}

/// A header as it stands on the wire at `at`: (header length, payload length, opcode), or
/// `None` if the stream ends inside it.
fn wire_header(stream: &[u8], at: usize) -> Option<(usize, u64, u8)> {
    let b = stream.get(at..)?;
    if b.len() < 2 {
        return None;
    }
    let (ext, short) = match b[1] & 0x7f {
        126 => (2, None),
        127 => (8, None),
        n => (0, Some(u64::from(n))),
    };
    let mask = if b[1] & 0x80 != 0 { 4 } else { 0 };
    let len = 2 + ext + mask;
    if b.len() < len {
        return None;
    }
    let payload = short.unwrap_or_else(|| {
        b[2..2 + ext]
            .iter()
            .fold(0u64, |acc, &x| acc << 8 | u64::from(x))
    });
    Some((len, payload, b[0] & 0x0f))
}

/// Does tungstenite get to act on the frame at `at`: the whole frame is there, or (for
/// the checks it makes on the header alone) the header is there and says reserved opcode
/// or more than 16 MiB?
fn tungstenite_sees_frame(stream: &[u8], at: usize) -> bool {
    match wire_header(stream, at) {
        None => false,
        Some((hlen, plen, op)) => {
            let reserved = matches!(op, 3..=7 | 11..=15);
            reserved || plen > 16 << 20 || (at + hlen) as u64 + plen <= stream.len() as u64
        }
    }
}

fn explain(stream: &[u8], checker: &Verdict, tung: &Tung) -> Result<Option<Disagreement>, String> {
    match (checker, tung) {
        (Ok(()), Tung::Accept) | (Err(_), Tung::Reject(_)) => Ok(None),
        (Err(v), Tung::Accept) => {
            let frame_at = v.frame_offset as usize;
            if v.rule == Rule::TruncatedFrame {
                return Ok(Some(Disagreement::TruncatedLastFrame));
            }
            if v.rule == Rule::NonMinimalLength {
                return Ok(Some(Disagreement::NonMinimalLength));
            }
            if v.rule == Rule::DataAfterClose {
                // The first byte after the Close starts the frame tungstenite would read.
                let after = v.byte_offset as usize;
                if !tungstenite_sees_frame(stream, after) {
                    return Ok(Some(Disagreement::PartialFrameAfterClose));
                }
                return Err(
                    "the bytes after Close hold a whole frame, yet tungstenite accepted".into(),
                );
            }
            if !tungstenite_sees_frame(stream, frame_at) {
                return Ok(Some(Disagreement::ViolationInUnfinishedFrame));
            }
            Err(format!(
                "tungstenite accepted a complete frame the checker rejects ({})",
                v.rule.id()
            ))
        }
        (Ok(()), Tung::Reject(why)) => {
            if why.contains("rewritten") && stream_has_close_code(stream, 1014) {
                return Ok(Some(Disagreement::CloseCode1014));
            }
            Err(format!(
                "tungstenite rejects a stream the checker accepts: {why}"
            ))
        }
    }
}

/// Walks the (valid) stream's frames and tells whether its Close carries `code`.
fn stream_has_close_code(stream: &[u8], code: u16) -> bool {
    let mut at = 0;
    while let Some((hlen, plen, op)) = wire_header(stream, at) {
        let start = at + hlen;
        if op == 0x8 && plen >= 2 {
            return stream.get(start..start + 2) == Some(&code.to_be_bytes()[..]);
        }
        at = start + plen as usize;
    }
    false
}

// ---------------------------------------------------------------------------------------
// Reporting.

fn hex(bytes: &[u8]) -> String {
    const LIMIT: usize = 2048;
    let mut s = String::new();
    for (i, line) in bytes[..bytes.len().min(LIMIT)].chunks(32).enumerate() {
        s.push_str(&format!("{:06x}  ", i * 32));
        for b in line {
            s.push_str(&format!("{b:02x}"));
        }
        s.push('\n');
    }
    if bytes.len() > LIMIT {
        s.push_str(&format!("... ({} bytes in all)\n", bytes.len()));
    }
    s
}

fn report(stream: &[u8], checker: &Verdict, tung: &Tung, why: &str) -> String {
    let c = match checker {
        Ok(()) => "accept".to_string(),
        Err(v) => format!("reject: {v}\n{}", v.render(Some(stream))),
    };
    format!(
        "WRONG: {why}\nstream ({} bytes):\n{}checker: {c}\ntungstenite: {tung:?}\n",
        stream.len(),
        hex(stream)
    )
}

fn compare(stream: &[u8]) -> Result<Option<Disagreement>, String> {
    let checker = checker_verdict(stream);
    let tung = tungstenite_verdict(stream);
    explain(stream, &checker, &tung).map_err(|why| report(stream, &checker, &tung, &why))
}

// ---------------------------------------------------------------------------------------
// Tests.

#[test]
fn checker_and_tungstenite_agree_except_where_documented() {
    let mut runner = TestRunner::new(ProptestConfig {
        cases: CASES,
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    });
    let tally = std::cell::RefCell::new(std::collections::BTreeMap::<String, u32>::new());
    runner
        .run(&case_strategy(), |case| {
            let stream = render(&case);
            let outcome = compare(&stream).map_err(TestCaseError::fail)?;
            let key = match outcome {
                Some(d) => format!("expected disagreement: {d:?}"),
                None => match checker_verdict(&stream) {
                    Ok(()) => "both accept".to_string(),
                    Err(v) => format!("both reject (checker: {})", v.rule.id()),
                },
            };
            *tally.borrow_mut().entry(key).or_default() += 1;
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let tally = tally.into_inner();
    for (k, n) in &tally {
        println!("{n:6}  {k}");
    }
    let accepted = tally.get("both accept").copied().unwrap_or(0);
    let rejected: u32 = tally
        .iter()
        .filter(|(k, _)| k.starts_with("both reject"))
        .map(|(_, n)| n)
        .sum();
    assert!(
        accepted > CASES / 10,
        "too few clean streams generated: {accepted}"
    );
    assert!(
        rejected > CASES / 4,
        "too few rejected streams generated: {rejected}"
    );
}

/// Builds a stream from (fin, opcode, payload) triples, unmasked, minimal lengths.
fn frames(spec: &[(bool, u8, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for &(fin, op, p) in spec {
        Frame::new(fin, op, p.to_vec(), op == 1).encode(&mut out);
    }
    out
}

fn close(code: u16, reason: &[u8]) -> Vec<u8> {
    let mut p = code.to_be_bytes().to_vec();
    p.extend_from_slice(reason);
    p
}

fn rule(stream: &[u8]) -> Option<Rule> {
    checker_verdict(stream).err().map(|v| v.rule)
}

#[test]
fn an_unlisted_disagreement_fails_the_comparison() {
    // RSV1 on a complete frame: both reject. Pretend tungstenite accepted it.
    let s = vec![0xc1, 0x02, b'h', b'i'];
    let checker = checker_verdict(&s);
    assert_eq!(checker.as_ref().err().map(|v| v.rule), Some(Rule::RsvBits));
    assert!(explain(&s, &checker, &Tung::Accept).is_err());
    // A clean stream tungstenite rejected for a reason not on the list.
    let s = frames(&[(true, 1, b"ok")]);
    assert!(explain(&s, &checker_verdict(&s), &Tung::Reject("made up".into())).is_err());
    assert!(report(&s, &checker_verdict(&s), &Tung::Accept, "demo").contains("000000  81026f6b"));
}

#[test]
fn tungstenite_takes_a_truncated_last_frame_for_a_clean_end() {
    let mut s = frames(&[(true, 1, b"hello"), (true, 2, b"0123456789")]);
    s.truncate(s.len() - 3);
    assert_eq!(tungstenite_verdict(&s), Tung::Accept);
    assert_eq!(rule(&s), Some(Rule::TruncatedFrame));
    assert_eq!(compare(&s), Ok(Some(Disagreement::TruncatedLastFrame)));
}

#[test]
fn tungstenite_ignores_a_violation_in_a_frame_that_never_completes() {
    // RSV1 on a binary frame whose payload is cut short.
    let mut s = frames(&[(true, 1, b"ok")]);
    s.extend_from_slice(&[0xc2, 0x05, 1, 2]);
    assert_eq!(tungstenite_verdict(&s), Tung::Accept);
    assert_eq!(rule(&s), Some(Rule::RsvBits));
    assert_eq!(
        compare(&s),
        Ok(Some(Disagreement::ViolationInUnfinishedFrame))
    );
    // Reserved opcode with the 16-bit length still missing: no header, no check.
    let s = vec![0x83, 0x7e, 0x01];
    assert_eq!(tungstenite_verdict(&s), Tung::Accept);
    assert_eq!(
        compare(&s),
        Ok(Some(Disagreement::ViolationInUnfinishedFrame))
    );
    // Reserved opcode with the header complete but the payload missing: tungstenite fails.
    let s = vec![0x83, 0x05, 1];
    assert!(matches!(tungstenite_verdict(&s), Tung::Reject(_)));
    assert_eq!(compare(&s), Ok(None));
}

#[test]
fn tungstenite_accepts_non_minimal_lengths() {
    let mut s = Vec::new();
    let mut f = Frame::new(true, 1, b"short".to_vec(), true);
    f.len = LenForm::Wide16;
    f.encode(&mut s);
    assert_eq!(tungstenite_verdict(&s), Tung::Accept);
    assert_eq!(rule(&s), Some(Rule::NonMinimalLength));
    let mut s = Vec::new();
    f.len = LenForm::Wide64;
    f.encode(&mut s);
    assert_eq!(tungstenite_verdict(&s), Tung::Accept);
    assert_eq!(compare(&s), Ok(Some(Disagreement::NonMinimalLength)));
}

#[test]
fn tungstenite_reports_data_after_close_only_for_a_whole_frame() {
    let base = frames(&[(true, 1, b"hi"), (true, 8, &close(1000, b"bye"))]);
    // A whole ping after Close: ReceivedAfterClosing.
    let mut whole = base.clone();
    whole.extend_from_slice(&frames(&[(true, 9, b"late")]));
    match tungstenite_verdict(&whole) {
        Tung::Reject(e) => assert!(e.contains("after"), "{e}"),
        Tung::Accept => panic!("tungstenite accepted a whole frame after Close"),
    }
    assert_eq!(rule(&whole), Some(Rule::DataAfterClose));
    // Three stray bytes: tungstenite waits for the rest of a frame, then sees the end.
    let mut partial = base;
    partial.extend_from_slice(&[0x81, 0x05, b'x']);
    assert_eq!(tungstenite_verdict(&partial), Tung::Accept);
    assert_eq!(
        compare(&partial),
        Ok(Some(Disagreement::PartialFrameAfterClose))
    );
}

#[test]
fn tungstenite_rewrites_the_valid_close_code_1014() {
    let s = frames(&[(true, 8, &close(1014, b""))]);
    assert!(checker_verdict(&s).is_ok());
    assert!(matches!(tungstenite_verdict(&s), Tung::Reject(_)));
    assert_eq!(compare(&s), Ok(Some(Disagreement::CloseCode1014)));
}

#[test]
fn tungstenite_rewrites_invalid_close_codes_including_5000_and_above() {
    for code in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
        let s = frames(&[(true, 8, &close(code, b"x"))]);
        assert!(
            matches!(tungstenite_verdict(&s), Tung::Reject(_)),
            "code {code}"
        );
        assert_eq!(rule(&s), Some(Rule::CloseCode), "code {code}");
    }
    for code in [1000, 1003, 1007, 1013, 3000, 4999] {
        let s = frames(&[(true, 8, &close(code, b"x"))]);
        assert_eq!(tungstenite_verdict(&s), Tung::Accept, "code {code}");
        assert!(checker_verdict(&s).is_ok(), "code {code}");
    }
}

#[test]
fn tungstenite_checks_text_utf8_per_fragment_and_at_message_end() {
    // Invalid in the first fragment; the message never finishes.
    let s = frames(&[(false, 1, b"ab\xff")]);
    assert!(matches!(tungstenite_verdict(&s), Tung::Reject(_)));
    assert_eq!(rule(&s), Some(Rule::InvalidUtf8));
    // A code point split across fragments is fine for both.
    let s = frames(&[(false, 1, b"\xe2\x82"), (true, 0, b"\xac")]);
    assert_eq!(tungstenite_verdict(&s), Tung::Accept);
    assert!(checker_verdict(&s).is_ok());
    // An incomplete code point at the end of the message fails both.
    let s = frames(&[(false, 1, b"a\xe2"), (true, 0, b"")]);
    assert!(matches!(tungstenite_verdict(&s), Tung::Reject(_)));
    assert_eq!(rule(&s), Some(Rule::InvalidUtf8));
}

#[test]
fn tungstenite_rejects_a_top_bit_length_through_its_frame_size_limit() {
    let mut s = vec![0x82, 0x7f];
    s.extend_from_slice(&(1u64 << 63 | 5).to_be_bytes());
    s.extend_from_slice(b"12345");
    match tungstenite_verdict(&s) {
        Tung::Reject(e) => assert!(
            e.to_lowercase().contains("too long") || e.contains("Space limit"),
            "{e}"
        ),
        Tung::Accept => panic!("tungstenite accepted a top-bit length"),
    }
    assert_eq!(rule(&s), Some(Rule::LengthTopBit));
}
