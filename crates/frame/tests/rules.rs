//! Every rule, in both directions: a clean stream that walks up to the rule's edge and
//! a stream that breaks it, with the rule, frame index, frame offset and offending byte
//! offset asserted, one-shot and byte by byte.

mod support;

use std::collections::BTreeSet;
use support::{check, check_bytewise, Wire, BOTH, KEY};
use wsrace_frame::opcode::{BINARY, CLOSE, CONTINUATION, PING, PONG, TEXT};
use wsrace_frame::{encode, Config, Direction, Rule};

struct Expect {
    index: u64,
    frame: u64,
    byte: u64,
}

struct Case {
    rule: Rule,
    config: fn(Direction) -> Config,
    clean: fn(&mut Wire),
    bad: fn(&mut Wire) -> Expect,
}

fn plain(d: Direction) -> Config {
    Config::new(d)
}

fn expect(index: u64, frame: u64, byte: u64) -> Expect {
    Expect { index, frame, byte }
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            rule: Rule::RsvBits,
            config: |d| Config::new(d).with_allowed_rsv(0x40),
            clean: |w| {
                // RSV1 negotiated: a compressed text message is not UTF-8 on the wire.
                w.raw(0x80 | 0x40 | 0x1, 0, false, b"\xff\xfe\x00");
                w.raw(0x80 | 0x40 | 0x2, 0, false, b"deflated");
            },
            bad: |w| {
                w.frame(true, TEXT, b"hi");
                let at = w.raw(0x80 | 0x20 | 0x1, 0, false, b"x");
                expect(1, at, at)
            },
        },
        Case {
            rule: Rule::ReservedOpcode,
            config: plain,
            clean: |w| {
                w.frame(true, TEXT, b"t");
                w.frame(true, BINARY, b"b");
                w.frame(true, PING, b"p");
                w.frame(true, PONG, b"q");
            },
            bad: |w| {
                w.frame(true, BINARY, b"\x00\x01");
                let at = w.raw(0x80 | 0x3, 0, false, b"");
                expect(1, at, at)
            },
        },
        Case {
            rule: Rule::MaskDirection,
            config: plain,
            clean: |w| {
                w.frame(true, TEXT, b"abc");
            },
            bad: |w| {
                w.frame(true, TEXT, b"ok");
                let at = w.raw(0x81, 0, true, b"flip");
                expect(1, at, at + 1)
            },
        },
        Case {
            rule: Rule::NonMinimalLength,
            config: plain,
            clean: |w| {
                w.raw(0x82, 7, false, &[0; 125]);
                w.raw(0x82, 16, false, &[0; 126]);
                w.raw(0x82, 16, false, &[0; 65535]);
                w.raw(0x82, 64, false, &[0; 65536]);
            },
            bad: |w| {
                w.frame(true, BINARY, b"x");
                let at = w.raw(0x82, 16, false, &[0; 125]);
                expect(1, at, at + 1)
            },
        },
        Case {
            rule: Rule::LengthTopBit,
            config: plain,
            clean: |w| {
                w.raw(0x82, 64, false, &[1; 70000]);
            },
            bad: |w| {
                let m = if w.dir.requires_mask() { 0x80 } else { 0 };
                let at = w.bytes(&[0x82, m | 127]);
                w.bytes(&((1u64 << 63) | 5).to_be_bytes());
                if m != 0 {
                    w.bytes(&KEY);
                }
                w.bytes(b"12345");
                expect(0, at, at + 2)
            },
        },
        Case {
            rule: Rule::FrameTooLarge,
            config: |d| Config::new(d).with_max_frame_payload(100),
            clean: |w| {
                w.frame(true, BINARY, &[7; 100]);
                w.frame(false, TEXT, &[b'a'; 100]);
                w.frame(true, CONTINUATION, &[b'a'; 100]);
            },
            bad: |w| {
                w.frame(true, BINARY, &[7; 100]);
                let at = w.frame(true, BINARY, &[7; 101]);
                expect(1, at, at + 1)
            },
        },
        Case {
            rule: Rule::MessageTooLarge,
            config: |d| Config::new(d).with_max_message_size(100),
            clean: |w| {
                w.frame(false, TEXT, &[b'a'; 60]);
                w.frame(true, PING, &[0; 50]);
                w.frame(true, CONTINUATION, &[b'b'; 40]);
                w.frame(true, BINARY, &[0; 100]);
            },
            bad: |w| {
                w.frame(false, BINARY, &[0; 60]);
                let at = w.frame(true, CONTINUATION, &[0; 41]);
                expect(1, at, at + 1)
            },
        },
        Case {
            rule: Rule::ControlNotFinal,
            config: plain,
            clean: |w| {
                w.frame(true, PING, b"p");
                w.frame(true, PONG, b"p");
            },
            bad: |w| {
                let at = w.frame(false, PING, b"p");
                expect(0, at, at)
            },
        },
        Case {
            rule: Rule::ControlTooLong,
            config: plain,
            clean: |w| {
                w.frame(true, PING, &[1; 125]);
            },
            bad: |w| {
                w.frame(true, PONG, &[1; 125]);
                let at = w.frame(true, PING, &[1; 126]);
                expect(1, at, at + 1)
            },
        },
        Case {
            rule: Rule::ContinuationWithoutStart,
            config: plain,
            clean: |w| {
                w.frame(false, TEXT, b"a");
                w.frame(false, CONTINUATION, b"b");
                w.frame(true, CONTINUATION, b"c");
            },
            bad: |w| {
                w.frame(true, TEXT, b"done");
                let at = w.frame(true, CONTINUATION, b"more");
                expect(1, at, at)
            },
        },
        Case {
            rule: Rule::DataInsideFragmented,
            config: plain,
            clean: |w| {
                w.frame(false, BINARY, b"a");
                w.frame(true, PING, b"");
                w.frame(true, CONTINUATION, b"b");
                w.frame(true, TEXT, b"new");
            },
            bad: |w| {
                w.frame(false, TEXT, b"a");
                w.frame(true, PING, b"");
                let at = w.frame(true, BINARY, b"b");
                expect(2, at, at)
            },
        },
        Case {
            rule: Rule::InvalidUtf8,
            config: plain,
            clean: |w| {
                let text = "aé€𝄞".as_bytes();
                w.frame(false, TEXT, &text[..2]);
                w.frame(true, PING, b"");
                w.frame(false, CONTINUATION, &text[2..5]);
                w.frame(true, CONTINUATION, &text[5..]);
            },
            bad: |w| {
                w.frame(false, TEXT, b"a\xE2\x82");
                let at = w.frame(true, CONTINUATION, b"\x41z");
                expect(1, at, at + w.short_header())
            },
        },
        Case {
            rule: Rule::CloseLengthOne,
            config: plain,
            clean: |w| {
                w.frame(true, CLOSE, b"");
            },
            bad: |w| {
                let at = w.frame(true, CLOSE, b"\x03");
                expect(0, at, at + 1)
            },
        },
        Case {
            rule: Rule::CloseCode,
            config: plain,
            clean: |w| {
                w.frame(true, CLOSE, &encode::close_payload(4999, "bye"));
            },
            bad: |w| {
                w.frame(true, TEXT, b"x");
                let at = w.frame(true, CLOSE, &encode::close_payload(1005, ""));
                expect(1, at, at + w.short_header())
            },
        },
        Case {
            rule: Rule::CloseReasonUtf8,
            config: plain,
            clean: |w| {
                w.frame(true, CLOSE, &encode::close_payload(1000, "é"));
            },
            bad: |w| {
                let at = w.frame(true, CLOSE, b"\x03\xe8ok\xff");
                expect(0, at, at + w.short_header() + 4)
            },
        },
        Case {
            rule: Rule::DataAfterClose,
            config: plain,
            clean: |w| {
                w.frame(true, TEXT, b"x");
                w.frame(true, CLOSE, &encode::close_payload(1000, ""));
            },
            bad: |w| {
                w.frame(true, TEXT, b"x");
                w.frame(true, CLOSE, &encode::close_payload(1000, ""));
                let at = w.frame(true, PING, b"");
                expect(2, at, at)
            },
        },
        Case {
            rule: Rule::TruncatedFrame,
            config: plain,
            clean: |w| {
                w.frame(true, TEXT, b"complete");
            },
            bad: |w| {
                w.frame(true, TEXT, b"one");
                let at = w.frame(true, TEXT, b"two two");
                w.bytes.truncate(w.bytes.len() - 3);
                expect(1, at, w.at())
            },
        },
    ]
}

#[test]
fn the_table_covers_every_rule() {
    let covered: BTreeSet<Rule> = cases().iter().map(|c| c.rule).collect();
    let all: BTreeSet<Rule> = Rule::all().iter().copied().collect();
    assert_eq!(covered, all);
}

#[test]
fn clean_streams_pass_in_both_directions() {
    for case in cases() {
        for dir in BOTH {
            let mut w = Wire::new(dir);
            (case.clean)(&mut w);
            let config = (case.config)(dir);
            let one_shot = check(config.clone(), &w.bytes);
            assert!(
                one_shot.is_ok(),
                "{} clean, {dir}: {}",
                case.rule.id(),
                one_shot.unwrap_err()
            );
            assert_eq!(
                check_bytewise(config, &w.bytes),
                one_shot,
                "{} clean, {dir}",
                case.rule.id()
            );
        }
    }
}

#[test]
fn violating_streams_fail_at_the_offending_byte_in_both_directions() {
    for case in cases() {
        for dir in BOTH {
            let mut w = Wire::new(dir);
            let want = (case.bad)(&mut w);
            let config = (case.config)(dir);
            let v = check(config.clone(), &w.bytes).expect_err(case.rule.id());
            let what = format!("{} bad, {dir}: {v}", case.rule.id());
            assert_eq!(v.rule, case.rule, "{what}");
            assert_eq!(v.direction, dir, "{what}");
            assert_eq!(v.frame_index, want.index, "frame index, {what}");
            assert_eq!(v.frame_offset, want.frame, "frame offset, {what}");
            assert_eq!(v.byte_offset, want.byte, "byte offset, {what}");
            assert_eq!(
                check_bytewise(config, &w.bytes),
                Err(v),
                "byte by byte, {what}"
            );
        }
    }
}

#[test]
fn the_torn_frame_of_the_incident_reads_exactly_as_gorilla_wrote_it() {
    for b0 in [0x47, 0xC7] {
        let mut w = Wire::new(Direction::ServerToClient);
        w.frame(true, TEXT, b"{\"hb\":1}");
        let at = w.bytes(&[b0, 0x80, 0x7b, 0x22, 0x74, 0x79, b'x']);
        let v = check(Config::new(Direction::ServerToClient), &w.bytes).unwrap_err();
        assert_eq!(v.gorilla(), "RSV1 set, bad opcode 7, bad MASK");
        assert_eq!(
            v.problems,
            [Rule::RsvBits, Rule::ReservedOpcode, Rule::MaskDirection]
        );
        assert_eq!(
            (v.rule, v.frame_index, v.frame_offset, v.byte_offset),
            (Rule::RsvBits, 1, at, at)
        );
        assert_eq!(v.rule.close_code(), 1002);
        assert!(v.sync_lost_hint.is_some());
    }
    // A server receiving the same bytes sees them masked, as they should be.
    let v = check(
        Config::new(Direction::ClientToServer),
        &[0x47, 0x80, 1, 2, 3, 4],
    )
    .unwrap_err();
    assert_eq!(v.gorilla(), "RSV1 set, bad opcode 7");
}

#[test]
fn gorilla_reports_every_header_problem_in_its_order() {
    let s2c = Direction::ServerToClient;
    let g = |bytes: &[u8]| check(Config::new(s2c), bytes).unwrap_err().gorilla();
    assert_eq!(
        g(&[0x79, 0x7E, 0, 200]),
        "RSV1 set, RSV2 set, RSV3 set, len > 125 for control, FIN not set on control"
    );
    assert_eq!(
        g(&[0x09, 0x80 | 126, 0, 200, 1, 2, 3, 4]),
        "len > 125 for control, FIN not set on control, bad MASK"
    );
    assert_eq!(
        g(&[0x89, 126, 0, 5, 1, 2, 3, 4, 5]),
        "len > 125 for control"
    );
    assert_eq!(g(&[0x01, 0, 0x81, 0]), "data before FIN");
    assert_eq!(g(&[0x80, 0]), "continuation after FIN");
    assert_eq!(g(&[0x8B, 0]), "bad opcode 11");
    let close = |p: &[u8]| {
        let mut w = Vec::new();
        encode::frame(&mut w, true, CLOSE, None, p);
        g(&w)
    };
    assert_eq!(
        close(&encode::close_payload(1005, "")),
        "bad close code 1005"
    );
    assert_eq!(close(&encode::close_payload(999, "")), "bad close code 999");
    assert_eq!(
        close(&encode::close_payload(5000, "")),
        "bad close code 5000"
    );
    assert_eq!(
        close(b"\x03\xe8\xc3"),
        "invalid utf8 payload in close frame"
    );
    assert_eq!(close(b"\x03"), "len 1 for close");
    assert_eq!(
        g(&[0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0]),
        "read limit exceeded"
    );
    assert_eq!(
        g(&[0x81, 2, 0xC0, 0x80]),
        "invalid utf8 payload in text frame"
    );
}

#[test]
fn every_close_code_is_judged_as_the_registry_says() {
    for code in 0..=u16::MAX {
        let valid = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
        assert_eq!(wsrace_frame::is_valid_close_code(code), valid, "{code}");
    }
    for code in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
        let mut w = Wire::new(Direction::ClientToServer);
        w.frame(true, CLOSE, &encode::close_payload(code, "r"));
        let v = check(Config::new(Direction::ClientToServer), &w.bytes).unwrap_err();
        assert_eq!(v.rule, Rule::CloseCode, "{code}");
        assert!(v.detail.contains(&code.to_string()), "{code}: {}", v.detail);
    }
}

#[test]
fn every_reserved_opcode_is_rejected() {
    for op in (3..=7).chain(0xB..=0xF) {
        let v = check(Config::new(Direction::ServerToClient), &[0x80 | op, 0]).unwrap_err();
        assert_eq!(v.rule, Rule::ReservedOpcode);
        assert_eq!(v.gorilla(), format!("bad opcode {op}"));
    }
}

#[test]
fn a_text_message_ending_inside_a_code_point_fails_at_the_frame_end() {
    for dir in BOTH {
        let mut w = Wire::new(dir);
        w.frame(false, TEXT, b"ab\xE2");
        w.frame(true, PING, b"");
        let at = w.frame(true, CONTINUATION, b"\x82");
        let end = w.at();
        let v = check(Config::new(dir), &w.bytes).unwrap_err();
        assert_eq!(
            (v.rule, v.frame_index, v.frame_offset, v.byte_offset),
            (Rule::InvalidUtf8, 2, at, end)
        );
        assert!(v.detail.contains("E2 82"), "{}", v.detail);
        assert_eq!(check_bytewise(Config::new(dir), &w.bytes), Err(v));
    }
}

#[test]
fn a_header_cut_short_reports_what_its_bytes_already_break() {
    let s2c = Config::new(Direction::ServerToClient);
    let v = check(s2c.clone(), &[0x81, 0x01, b'a', 0x47, 0x80]).unwrap_err();
    assert_eq!(
        v.problems,
        [
            Rule::RsvBits,
            Rule::ReservedOpcode,
            Rule::MaskDirection,
            Rule::TruncatedFrame
        ]
    );
    assert_eq!(v.gorilla(), "RSV1 set, bad opcode 7, bad MASK");
    assert_eq!((v.frame_index, v.frame_offset, v.byte_offset), (1, 3, 3));

    let v = check(s2c.clone(), &[0x81, 0x01, b'a', 0x81, 126, 0]).unwrap_err();
    assert_eq!(
        (v.rule, v.problems.len(), v.byte_offset),
        (Rule::TruncatedFrame, 1, 6)
    );
    assert!(
        v.detail.contains("at least 1 byte(s) missing"),
        "{}",
        v.detail
    );

    let v = check(s2c, &[0x81, 0x05, b'a']).unwrap_err();
    assert_eq!(
        (v.rule, v.frame_offset, v.byte_offset),
        (Rule::TruncatedFrame, 0, 3)
    );
    assert!(v.detail.contains("4 byte(s) missing"), "{}", v.detail);
}

#[test]
fn after_a_violation_the_checker_keeps_returning_it() {
    let mut c = wsrace_frame::Checker::new(Config::new(Direction::ServerToClient));
    let first = c.feed(&[0x81, 0x01, b'a', 0x83, 0x00]).unwrap_err();
    assert_eq!(c.feed(&[0x81, 0x00]), Err(first.clone()));
    assert_eq!(c.finish().unwrap_err(), first);
    assert_eq!(c.violation(), Some(&first));
}

#[test]
fn a_clean_end_reports_frames_bytes_and_the_close_frame() {
    let mut w = Wire::new(Direction::ClientToServer);
    w.frame(false, TEXT, "héllo".as_bytes());
    w.frame(true, CONTINUATION, b"!");
    let close_at = w.frame(true, CLOSE, &encode::close_payload(1001, "going away"));
    let mut c = wsrace_frame::Checker::new(Config::new(Direction::ClientToServer));
    c.feed(&w.bytes[..3]).unwrap();
    assert!(!c.at_frame_boundary());
    c.feed(&w.bytes[3..]).unwrap();
    assert!(c.at_frame_boundary() && !c.in_fragmented_message());
    assert_eq!((c.offset(), c.frame_count()), (w.at(), 3));
    assert_eq!(c.last_frame().map(|h| h.offset), Some(close_at));
    let end = c.finish().unwrap();
    assert_eq!((end.frames, end.bytes), (3, w.at()));
    let close = end.close.unwrap();
    assert_eq!(
        (close.frame_index, close.offset, close.code),
        (2, close_at, Some(1001))
    );
    assert_eq!(close.reason, "going away");
}

#[test]
fn an_open_fragmented_message_at_the_end_is_not_a_violation() {
    let mut c = wsrace_frame::Checker::new(Config::new(Direction::ServerToClient));
    c.feed(&[0x01, 0x01, b'a']).unwrap();
    assert!(c.in_fragmented_message());
    assert_eq!(c.finish().map(|e| e.frames), Ok(1));
}
