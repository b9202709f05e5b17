//! Properties over generated streams:
//! - arbitrary bytes never panic, in either direction, under any configuration;
//! - any chunking gives the same verdict (same `Result`, same offsets, same report) as
//!   one-shot, for arbitrary bytes and for valid streams with a few bytes damaged;
//! - streams built from valid frames (fragmented messages, text split anywhere even
//!   inside a code point, control frames between fragments, an optional final Close
//!   with a valid code) always pass, masked with changing keys for client-to-server;
//! - a sink sees every frame and every payload byte exactly as on the wire.

mod support;

use proptest::collection::vec;
use proptest::prelude::*;
use support::{check, check_bytewise, check_cut};
use wsrace_frame::opcode::{BINARY, CLOSE, CONTINUATION, PING, PONG, TEXT};
use wsrace_frame::{encode, Checker, CloseFrame, Config, Direction, FrameHeader, Sink};

fn direction() -> impl Strategy<Value = Direction> {
    prop_oneof![
        Just(Direction::ServerToClient),
        Just(Direction::ClientToServer)
    ]
}

fn config() -> impl Strategy<Value = Config> {
    (
        direction(),
        prop_oneof![Just(0u8), Just(0x40)],
        proptest::option::of(0u64..300),
        proptest::option::of(0u64..600),
    )
        .prop_map(|(d, rsv, frame, msg)| Config {
            direction: d,
            allowed_rsv: rsv,
            max_frame_payload: frame,
            max_message_size: msg,
        })
}

/// One data message: text or binary payload, where to cut it into fragments, and
/// control frames to slip in after some fragments.
#[derive(Clone, Debug)]
struct Message {
    text: bool,
    payload: Vec<u8>,
    cuts: Vec<usize>,
    controls: Vec<(usize, u8, Vec<u8>)>,
}

fn message() -> impl Strategy<Value = Message> {
    let control = (
        0usize..6,
        prop_oneof![Just(PING), Just(PONG)],
        vec(any::<u8>(), 0..=125),
    );
    (
        any::<bool>(),
        vec(any::<char>(), 0..40),
        vec(any::<u8>(), 0..300),
        vec(any::<usize>(), 0..4),
        vec(control, 0..3),
    )
        .prop_map(|(text, chars, bytes, cuts, controls)| Message {
            text,
            payload: if text {
                chars.into_iter().collect::<String>().into_bytes()
            } else {
                bytes
            },
            cuts,
            controls,
        })
}

const VALID_CODES: &[u16] = &[
    1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4000, 4999,
];

#[derive(Clone, Debug)]
struct Script {
    messages: Vec<Message>,
    close: Option<(Option<u16>, String)>,
    key_seed: u32,
}

fn script() -> impl Strategy<Value = Script> {
    let close = proptest::option::of((
        proptest::option::of(proptest::sample::select(VALID_CODES)),
        vec(any::<char>(), 0..30).prop_map(|c| c.into_iter().collect::<String>()),
    ));
    (vec(message(), 0..6), close, any::<u32>()).prop_map(|(messages, close, key_seed)| Script {
        messages,
        close,
        key_seed,
    })
}

/// Encodes a script for a direction; returns the bytes, the frame count and the Close
/// frame the checker should report.
fn build(s: &Script, dir: Direction) -> (Vec<u8>, u64, Option<CloseFrame>) {
    let mut out = Vec::new();
    let mut frames = 0u64;
    let mut seed = s.key_seed;
    let mut put = |out: &mut Vec<u8>, fin: bool, op: u8, payload: &[u8]| {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let key = dir.requires_mask().then(|| seed.to_le_bytes());
        let at = out.len() as u64;
        encode::frame(out, fin, op, key, payload);
        frames += 1;
        (frames - 1, at)
    };
    for m in &s.messages {
        let mut cuts: Vec<usize> = m.cuts.iter().map(|c| c % (m.payload.len() + 1)).collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut pieces = Vec::new();
        let mut from = 0;
        for c in cuts.into_iter().chain([m.payload.len()]) {
            pieces.push(&m.payload[from..c]);
            from = c;
        }
        let n = pieces.len();
        for (i, piece) in pieces.into_iter().enumerate() {
            let op = match (i, m.text) {
                (0, true) => TEXT,
                (0, false) => BINARY,
                _ => CONTINUATION,
            };
            put(&mut out, i + 1 == n, op, piece);
            if i + 1 < n {
                for (_, op, payload) in m.controls.iter().filter(|c| c.0 % n == i) {
                    put(&mut out, true, *op, payload);
                }
            }
        }
    }
    let close = s.close.as_ref().map(|(code, reason)| {
        let payload = code
            .map(|c| encode::close_payload(c, reason))
            .unwrap_or_default();
        let (frame_index, offset) = put(&mut out, true, CLOSE, &payload);
        let reason = if payload.len() > 2 {
            String::from_utf8(payload[2..].to_vec()).unwrap()
        } else {
            String::new()
        };
        CloseFrame {
            frame_index,
            offset,
            code: *code,
            reason,
        }
    });
    (out, frames, close)
}

/// Records what a sink is told.
#[derive(Default)]
struct Recorder {
    starts: Vec<FrameHeader>,
    ends: Vec<FrameHeader>,
    payload: Vec<u8>,
    bad_position: bool,
}

impl Sink for Recorder {
    fn frame_start(&mut self, header: &FrameHeader) {
        self.starts.push(*header);
    }
    fn payload(&mut self, header: &FrameHeader, at: u64, wire: &[u8]) {
        let seen: u64 = self.payload.len() as u64;
        let before: u64 = self.ends.iter().map(|h| h.payload_len).sum();
        self.bad_position |= before + at != seen;
        self.payload.extend_from_slice(wire);
        let _ = header;
    }
    fn frame_end(&mut self, header: &FrameHeader) {
        self.ends.push(*header);
    }
}

fn cases(n: u32) -> ProptestConfig {
    ProptestConfig {
        cases: n,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(cases(2048))]

    #[test]
    fn arbitrary_bytes_never_panic(config in config(), bytes in vec(any::<u8>(), 0..400), cuts in vec(0usize..400, 0..6)) {
        let verdict = check_cut(config.clone(), &bytes, &cuts);
        if let Err(v) = &verdict {
            let _ = (v.gorilla(), v.to_string(), v.render(None), v.render(Some(&bytes)), v.render(Some(&bytes[..bytes.len() / 2])));
        }
        prop_assert_eq!(verdict, check(config, &bytes));
    }

    #[test]
    fn damaged_streams_give_the_same_verdict_in_any_chunking(
        s in script(),
        dir in direction(),
        flips in vec((any::<usize>(), 1u8..=255), 0..3),
        cut_end in proptest::option::of(any::<usize>()),
        cuts in vec(any::<usize>(), 0..8),
    ) {
        let (mut bytes, _, _) = build(&s, dir);
        if !bytes.is_empty() {
            for (at, x) in flips {
                let i = at % bytes.len();
                bytes[i] ^= x;
            }
        }
        if let Some(c) = cut_end {
            bytes.truncate(c % (bytes.len() + 1));
        }
        let cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        let config = Config::new(dir);
        let one_shot = check(config.clone(), &bytes);
        prop_assert_eq!(&check_cut(config.clone(), &bytes, &cuts), &one_shot);
        prop_assert_eq!(&check_bytewise(config, &bytes), &one_shot);
    }

    #[test]
    fn streams_of_valid_frames_always_pass(s in script(), dir in direction(), cuts in vec(any::<usize>(), 0..8)) {
        let (bytes, frames, close) = build(&s, dir);
        let cuts: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
        let end = check_cut(Config::new(dir), &bytes, &cuts);
        prop_assert!(end.is_ok(), "{}", end.as_ref().unwrap_err().render(Some(&bytes)));
        let end = end.unwrap();
        prop_assert_eq!((end.frames, end.bytes), (frames, bytes.len() as u64));
        prop_assert_eq!(end.close, close);
    }

    #[test]
    fn a_sink_sees_every_frame_and_payload_byte(s in script(), dir in direction(), split in any::<usize>()) {
        let (bytes, frames, _) = build(&s, dir);
        let split = split % (bytes.len() + 1);
        let mut c = Checker::new(Config::new(dir));
        let mut rec = Recorder::default();
        c.feed_with(&bytes[..split], &mut rec).unwrap();
        c.feed_with(&bytes[split..], &mut rec).unwrap();
        prop_assert_eq!(rec.starts.len() as u64, frames);
        prop_assert_eq!(&rec.starts, &rec.ends);
        prop_assert!(!rec.bad_position);
        let mut wire_payload = Vec::new();
        for h in &rec.ends {
            wire_payload.extend_from_slice(&bytes[h.payload_start() as usize..h.end() as usize]);
        }
        prop_assert_eq!(rec.payload, wire_payload);
    }
}
