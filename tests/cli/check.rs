//! `wsrace check`: a captured byte stream against RFC 6455 framing.

use crate::support::{wsrace, wsrace_stdin, Scratch};

/// A well-formed server-to-client stream: Text "Hello", an empty Ping, a
/// 2-byte Binary, Close 1000 "bye".
const CLEAN_S2C: &[u8] = &[
    0x81, 0x05, b'H', b'e', b'l', b'l', b'o', //
    0x89, 0x00, //
    0x82, 0x02, 0x01, 0x02, //
    0x88, 0x05, 0x03, 0xe8, b'b', b'y', b'e',
];

/// The same bytes as hex text, the way a hand-written capture looks.
const CLEAN_S2C_HEX: &str = "# Text, Ping, Binary, Close\n\
    81 05 48 65 6c 6c 6f\n\
    0x89 0x00\n\
    82:02:01:02 # binary\n\
    88 05 03e8 627965\n";

const INCIDENT_HEX: &str = "tests/cli/incident.hex";

#[test]
fn a_clean_server_stream_in_a_file_exits_0_listing_every_frame_and_saying_clean() {
    let dir = Scratch::new("check-clean-file");
    let file = dir.join("clean.bin");
    std::fs::write(&file, CLEAN_S2C).unwrap();

    let run = wsrace(["check", &file.display().to_string()]);
    run.exits(0)
        .stdout_has(&format!("{}: 20 bytes, direction s2c", file.display()))
        .stdout_has(
            "clean: 4 frames, 20 bytes, ends at a frame boundary, closed with code 1000 \"bye\"",
        );
    let frames: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.trim_start().starts_with('#'))
        .collect();
    assert_eq!(frames.len(), 4, "{run}");
    for (line, (opcode, len)) in
        frames
            .iter()
            .zip([("Text", 5), ("Ping", 0), ("Binary", 2), ("Close", 5)])
    {
        assert!(line.contains(opcode), "{line:?} is not a {opcode} frame");
        assert!(line.contains("FIN"), "{line:?}");
        assert!(line.contains("unmasked"), "{line:?}");
        assert!(line.contains(&format!("len={len} ")), "{line:?}");
    }
    assert!(frames[0].ends_with("Hello"), "{:?}", frames[0]);
    assert!(run.stderr.is_empty(), "{run}");
}

#[test]
fn the_same_stream_as_hex_on_stdin_gets_the_same_listing_and_verdict() {
    let dir = Scratch::new("check-clean-stdin");
    let file = dir.join("clean.bin");
    std::fs::write(&file, CLEAN_S2C).unwrap();
    let from_file = wsrace(["check", &file.display().to_string()]);
    let from_stdin = wsrace_stdin(["check", "--hex", "-"], CLEAN_S2C_HEX.as_bytes());

    from_stdin
        .exits(0)
        .stdout_has("-: 20 bytes, direction s2c\n")
        .stdout_has("clean: 4 frames");
    // Only the first line, which names the input, may differ.
    let body = |s: &str| s.split_once('\n').map(|(_, rest)| rest.to_owned());
    assert_eq!(body(&from_stdin.stdout), body(&from_file.stdout));
}

#[test]
fn the_incidents_bytes_exit_1_with_the_rule_gorillas_wording_and_an_annotated_hexdump() {
    let run = wsrace(["check", "--hex", INCIDENT_HEX]);
    run.exits(1)
        .stdout_has("rsv-bits")
        .stdout_has("RSV1 set, bad opcode 7, bad MASK")
        .stdout_has("also reserved-opcode, mask-direction")
        .stdout_has("bad byte   offset 0 (0x0)");
    // The hexdump: offset, the bytes, their ASCII column, and a caret under
    // the first bad byte.
    let dump = run
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("0  47 85 00 01 02 03"))
        .unwrap_or_else(|| panic!("no hexdump row at offset 0:\n{run}"));
    assert!(dump.contains("|G....."), "{dump:?}");
    run.stdout_has("^ 0: first bad byte (rsv-bits)");
}

#[test]
fn an_unmasked_frame_read_as_client_to_server_is_a_mask_direction_violation() {
    let run = wsrace_stdin(
        ["check", "--direction", "c2s", "--hex", "-"],
        b"81 05 48 65 6c 6c 6f\n",
    );
    run.exits(1)
        .stdout_has("direction c2s")
        .stdout_has("mask-direction in the client-to-server stream (c2s)")
        .stdout_has("bad MASK");

    // The same frame masked is what a client should send.
    wsrace_stdin(
        ["check", "--direction", "c2s", "--hex", "-"],
        b"81 85 01 02 03 04 49 67 6f 68 6e\n",
    )
    .exits(0)
    .stdout_has("masked   len=5        Hello")
    .stdout_has("clean: 1 frames");
}

#[test]
fn json_output_of_a_violation_is_one_document_with_verdict_rule_and_byte_offset() {
    let run = wsrace(["check", "--hex", "--format", "json", INCIDENT_HEX]);
    run.exits(1);
    let doc = run.json();
    assert_eq!(doc["verdict"], "violation", "{doc:#}");
    assert_eq!(doc["direction"], "s2c", "{doc:#}");
    assert_eq!(doc["bytes"], 6, "{doc:#}");
    let v = &doc["violation"];
    assert_eq!(v["rule"], "rsv-bits", "{doc:#}");
    assert_eq!(v["byte_offset"], 0, "{doc:#}");
    assert_eq!(v["gorilla"], "RSV1 set, bad opcode 7, bad MASK", "{doc:#}");
    assert_eq!(
        v["problems"],
        serde_json::json!(["rsv-bits", "reserved-opcode", "mask-direction"]),
        "{doc:#}"
    );
    assert_eq!(v["close_code"], 1002, "{doc:#}");
}

#[test]
fn json_output_of_a_clean_stream_says_clean_and_lists_the_frames() {
    let run = wsrace_stdin(
        ["check", "--hex", "--format", "json", "-"],
        CLEAN_S2C_HEX.as_bytes(),
    );
    run.exits(0);
    let doc = run.json();
    assert_eq!(doc["verdict"], "clean", "{doc:#}");
    assert_eq!(doc["frame_count"], 4, "{doc:#}");
    let names: Vec<&str> = doc["frames"]
        .as_array()
        .expect("frames is an array")
        .iter()
        .map(|f| f["opcode_name"].as_str().expect("opcode_name"))
        .collect();
    assert_eq!(names, ["Text", "Ping", "Binary", "Close"], "{doc:#}");
    assert_eq!(doc["close"]["code"], 1000, "{doc:#}");
    assert_eq!(doc["close"]["reason"], "bye", "{doc:#}");
}

#[test]
fn a_missing_file_exits_2_naming_the_file_and_printing_nothing_on_stdout() {
    let dir = Scratch::new("check-missing");
    let missing = dir.join("no-such-capture.bin").display().to_string();
    let run = wsrace(["check", &missing]);
    run.exits(2)
        .stderr_has(&format!("wsrace check: cannot read {missing}: "));
    assert!(run.stdout.is_empty(), "{run}");
}

#[test]
fn bad_hex_exits_2_with_the_line_and_column_of_the_first_bad_digit() {
    let dir = Scratch::new("check-bad-hex");
    let file = dir.join("torn.hex");
    // Line 2, column 4: a byte whose second digit is not hex.
    std::fs::write(&file, "81 05 48 65\n6c 6z 6f\n").unwrap();
    let run = wsrace(["check", "--hex", &file.display().to_string()]);
    run.exits(2)
        .stderr_has(&format!("{}:2:4: ", file.display()))
        .stderr_has("second hex digit");
    assert!(run.stdout.is_empty(), "{run}");

    // On stdin the input is called `-`; a lone digit is an error, not a shift
    // of every later byte.
    wsrace_stdin(["check", "--hex", "-"], b"81 0 05\n")
        .exits(2)
        .stderr_has("-:1:4: ")
        .stderr_has("needs a second hex digit");
}

#[test]
fn an_unknown_flag_exits_2_with_usage() {
    wsrace(["check", "--bogus", INCIDENT_HEX])
        .exits(2)
        .stderr_has("--bogus")
        .stderr_has("Usage: wsrace check");
}

#[test]
fn a_bad_direction_value_exits_2_listing_the_valid_ones() {
    wsrace(["check", "--direction", "sideways", INCIDENT_HEX])
        .exits(2)
        .stderr_has("invalid value 'sideways' for '--direction")
        .stderr_has("s2c, c2s");
}
