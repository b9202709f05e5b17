//! `Violation::render` and `hexdump::render`: what a person reads when a stream fails.

mod support;

use support::{check, Wire};
use wsrace_frame::hexdump::{self, Mark};
use wsrace_frame::opcode::{BINARY, CLOSE, TEXT};
use wsrace_frame::{encode, Config, Direction, Rule};

const S2C: Direction = Direction::ServerToClient;

/// A heartbeat, then the incident's torn bytes: `47 80` read as a header.
const TORN: &[u8] = &[0x81, 0x01, 0x61, 0x47, 0x80, 0x7b, 0x22, 0x74, 0x79, b'x'];

const TORN_REPORT: &str = r#"rsv-bits (also reserved-opcode, mask-direction) in the server-to-client stream (s2c)
  frame      #1 starting at offset 3 (0x3)
  bad byte   offset 3 (0x3)
  gorilla    RSV1 set, bad opcode 7, bad MASK
  detail     RSV1 set without an extension that allows it; opcode 7 (0x7) is reserved; masked frame from the server
  header     no-FIN RSV1 Op7(reserved) masked len=0
  last good  frame #0 @ 0: FIN Text, unmasked, 1 byte
  meaning    An RSV bit is set but no extension was negotiated that uses it. On a connection without extensions this almost always means the reader is looking at payload or torn bytes where it expected a frame header. A receiver should close with 1002.
  sync       frame #0 @ 0 declared 1 payload byte(s), so a header was expected at 3; the bytes there (47 80 7b 22 74 79, "G.{"ty") look like payload (printable ASCII, like JSON), not a header. Frame sync was probably lost before this point: an earlier frame was cut short (a torn write) so its declared length ran past the real boundary, or another writer's bytes landed between frames

       0  81 01 61 47 80 7b 22 74  79 78                   |..aG.{"tyx      |
          ^ 0: frame #0: FIN Text unmasked len=1
                   ^ 3: frame #1: no-FIN RSV1 Op7(reserved) masked len=0
                   ^ 3: first bad byte (rsv-bits)
"#;

#[test]
fn the_incident_report_is_exactly_this() {
    let v = check(Config::new(S2C), TORN).unwrap_err();
    assert_eq!(v.render(Some(TORN)), TORN_REPORT);
}

#[test]
fn without_the_stream_the_report_has_no_hexdump() {
    let v = check(Config::new(S2C), TORN).unwrap_err();
    let text = v.render(None);
    assert_eq!(
        text,
        TORN_REPORT.split("\n\n").next().unwrap().to_owned() + "\n"
    );
}

#[test]
fn the_one_line_form_names_direction_rule_offsets_and_gorilla_text() {
    let v = check(Config::new(S2C), TORN).unwrap_err();
    let line = v.to_string();
    assert!(!line.contains('\n'));
    assert!(
        line.starts_with(
            "s2c rsv-bits at offset 3 (frame #1 @ 3): RSV1 set, bad opcode 7, bad MASK; "
        ),
        "{line}"
    );
}

/// A binary frame cut after 8 of its 32 bytes; two JSON text frames followed. The
/// reader's header lands inside the second text frame.
fn torn_binary() -> Vec<u8> {
    let mut w = Wire::new(S2C);
    w.frame(true, BINARY, b"\x00\x01\x02");
    let mut cut = Vec::new();
    encode::frame(&mut cut, true, BINARY, None, &[0u8; 30]);
    w.bytes(&cut[..8]);
    w.frame(true, TEXT, br#"{"type":"heartbeat_ack","seq":17}"#);
    w.frame(true, TEXT, br#"{"type":"heartbeat_ack","seq":18}"#);
    w.bytes
}

#[test]
fn a_torn_binary_frame_is_traced_back_to_where_it_was_cut() {
    let stream = torn_binary();
    let v = check(Config::new(S2C), &stream).unwrap_err();
    assert_eq!(
        (v.rule, v.frame_index, v.frame_offset),
        (Rule::RsvBits, 2, 37)
    );
    let hint = v.sync_lost_hint.as_deref().unwrap();
    assert!(
        hint.contains("frame #1 @ 5 declared 30 payload byte(s), so a header was expected at 37"),
        "{hint}"
    );
    assert!(
        hint.contains("look like payload (printable ASCII, like JSON)"),
        "{hint}"
    );
    let text = v.render(Some(&stream));
    for want in [
        "rsv-bits in the server-to-client stream (s2c)",
        "  frame      #2 starting at offset 37 (0x25)",
        "  bad byte   offset 37 (0x25)",
        "  gorilla    RSV2 set",
        "  last good  frame #1 @ 5: FIN Binary, unmasked, 30 bytes",
        "  resync     a valid-looking frame (FIN Text unmasked len=33) starts at offset 13, 6 byte(s) into the payload of frame #1",
        "       0  82 03 00 01 02 82 1e 00  00 00 00 00 00 81 21 7b |..............!{|",
        "          ^ 0: frame #0: FIN Binary unmasked len=3",
        "                         ^ 5: frame #1: FIN Binary unmasked len=30",
        "^ 13: valid-looking frame: FIN Text unmasked len=33",
        "^ 37: frame #2: no-FIN RSV2 Binary unmasked len=44",
        "^ 37: first bad byte (rsv-bits)",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
}

#[test]
fn a_torn_text_frame_shows_up_as_bad_utf8_where_the_next_frame_starts() {
    let mut w = Wire::new(S2C);
    w.frame(true, TEXT, br#"{"type":"heartbeat"}"#);
    let mut cut = Vec::new();
    encode::frame(
        &mut cut,
        true,
        TEXT,
        None,
        br#"{"type":"push","data":"0123456789abcdef"}"#,
    );
    w.bytes(&cut[..12]);
    let next = w.frame(true, TEXT, br#"{"type":"heartbeat_ack","seq":17}"#);
    w.frame(true, TEXT, br#"{"type":"heartbeat_ack","seq":18}"#);
    let v = check(Config::new(S2C), &w.bytes).unwrap_err();
    assert_eq!((v.rule, v.byte_offset), (Rule::InvalidUtf8, next));
    let text = v.render(Some(&w.bytes));
    assert!(
        text.contains(&format!(
            "a valid-looking frame (FIN Text unmasked len=33) starts at offset {next}"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("^ {next}: first bad byte (invalid-utf8)")),
        "{text}"
    );
}

#[test]
fn a_real_header_a_byte_into_the_garbage_is_pointed_out() {
    // One stray byte (0x6b) before a real frame: the reader reads `6b 81` as a header.
    let stream = [0x81, 0x01, b'a', 0x6b, 0x81, 0x02, b'h', b'i', 0x89, 0x00];
    let v = check(Config::new(S2C), &stream).unwrap_err();
    assert_eq!(v.gorilla(), "RSV1 set, RSV2 set, bad opcode 11, bad MASK");
    let hint = v.sync_lost_hint.as_deref().unwrap();
    assert!(
        hint.contains(
            "a valid-looking header (FIN Text unmasked len=2) starts 1 byte(s) later, at offset 4"
        ),
        "{hint}"
    );
    let text = v.render(Some(&stream));
    assert!(
        text.contains("frames seem to resume at offset 4 (FIN Text unmasked len=2)"),
        "{text}"
    );
}

#[test]
fn a_truncated_frame_marks_where_the_stream_ends() {
    let mut w = Wire::new(S2C);
    w.frame(true, TEXT, b"hi");
    w.frame(true, TEXT, b"cut here");
    w.bytes.truncate(w.bytes.len() - 3);
    let v = check(Config::new(S2C), &w.bytes).unwrap_err();
    let text = v.render(Some(&w.bytes));
    assert!(text.contains("  gorilla    unexpected EOF"), "{text}");
    assert!(text.contains("3 byte(s) missing"), "{text}");
    assert!(text.contains("a receiver reports 1006 locally"), "{text}");
    assert!(
        text.contains(
            "                                            ^ 11: stream ends here (truncated-frame)"
        ),
        "{text}"
    );
}

#[test]
fn bytes_after_close_are_decoded_as_the_frame_another_writer_sent() {
    let mut w = Wire::new(Direction::ClientToServer);
    w.frame(true, CLOSE, &encode::close_payload(1000, ""));
    let late = w.frame(true, TEXT, b"late");
    let v = check(Config::new(Direction::ClientToServer), &w.bytes).unwrap_err();
    let text = v.render(Some(&w.bytes));
    assert!(
        text.contains("the bytes after the Close frame form a frame (FIN Text masked len=4)"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "^ {late}: Close frame ended here; nothing may follow"
        )),
        "{text}"
    );
}

#[test]
fn render_never_panics_on_a_stream_that_does_not_match() {
    let v = check(Config::new(S2C), TORN).unwrap_err();
    for stream in [&[][..], &TORN[..2], &[0xff; 300][..]] {
        assert!(v.render(Some(stream)).contains("first bad byte"));
    }
}

#[test]
fn hexdump_marks_sit_under_their_bytes_and_blank_what_is_outside() {
    let stream: Vec<u8> = (0u8..40).collect();
    let marks = [
        Mark::new(20, "here"),
        Mark::new(17, "there"),
        Mark::new(500, "omitted"),
    ];
    let out = hexdump::render(&stream[8..], 8, 18..22, &marks);
    let want = concat!(
        "      16        12 13 14 15                                |  ....          |\n",
        "             ^ 17: there\n",
        "                      ^ 20: here\n",
    );
    assert_eq!(out, want);
}
