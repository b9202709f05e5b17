//! gorilla/websocket's wording for each rule.
//!
//! Current gorilla (`Conn.advanceFrame`, the version in the incident; older releases
//! stopped at the first problem, e.g. "unexpected reserved bits 0x40") checks the
//! first two header bytes and reports
//! every problem it finds, joined with ", ", in this order: "RSV1 set", "RSV2 set",
//! "RSV3 set"; then by opcode: control frames "len > 125 for control", "FIN not set on
//! control"; Text/Binary "data before FIN"; continuation "continuation after FIN";
//! anything else "bad opcode N"; then "bad MASK". A receiver closes with 1002 and that
//! text as the reason. Later it says "bad close code N" and "invalid utf8 payload in
//! close frame"; a negative 64-bit length and the message size limit give its
//! `ErrReadLimit` ("read limit exceeded"); EOF inside a frame gives "unexpected EOF".
//!
//! Where we judge differently, the rule follows RFC 6455 and only the wording is
//! gorilla's: gorilla rejects close code 1014 (we accept it, it is registered), and
//! accepts a 1-byte Close payload, non-minimal lengths and invalid UTF-8 in text
//! messages (we reject them, with phrases of our own).

use crate::{Rule, Violation};

/// The phrase for one rule, with `N` standing for a number where gorilla prints one.
///
/// gorilla's own phrases: `rsv-bits` ("RSVn set"), `control-too-long`
/// ("len > 125 for control"), `control-not-final` ("FIN not set on control"),
/// `data-inside-fragmented` ("data before FIN"), `continuation-without-start`
/// ("continuation after FIN"), `reserved-opcode` ("bad opcode N"), `mask-direction`
/// ("bad MASK"), `close-code` ("bad close code N"), `close-reason-utf8` ("invalid utf8
/// payload in close frame"), `length-top-bit` and `message-too-large` ("read limit
/// exceeded"), `truncated-frame` ("unexpected EOF").
///
/// Ours, for rules gorilla does not check: `non-minimal-length` ("len not minimally
/// encoded"), `frame-too-large` ("len > limit for frame"), `invalid-utf8` ("invalid
/// utf8 payload in text frame"), `close-length-one` ("len 1 for close"),
/// `data-after-close` ("data after close").
pub fn gorilla_phrase(rule: Rule) -> &'static str {
    match rule {
        Rule::RsvBits => "RSVn set",
        Rule::ControlTooLong => "len > 125 for control",
        Rule::ControlNotFinal => "FIN not set on control",
        Rule::DataInsideFragmented => "data before FIN",
        Rule::ContinuationWithoutStart => "continuation after FIN",
        Rule::ReservedOpcode => "bad opcode N",
        Rule::MaskDirection => "bad MASK",
        Rule::CloseCode => "bad close code N",
        Rule::CloseReasonUtf8 => "invalid utf8 payload in close frame",
        Rule::LengthTopBit | Rule::MessageTooLarge => "read limit exceeded",
        Rule::TruncatedFrame => "unexpected EOF",
        Rule::NonMinimalLength => "len not minimally encoded",
        Rule::FrameTooLarge => "len > limit for frame",
        Rule::InvalidUtf8 => "invalid utf8 payload in text frame",
        Rule::CloseLengthOne => "len 1 for close",
        Rule::DataAfterClose => "data after close",
    }
}

/// gorilla's first-two-bytes group for the offending header, in its order. Its control
/// length check reads the 7-bit field, so any 16/64-bit form on a control frame is
/// "len > 125 for control" to it, even a non-minimal encoding of a short payload.
fn header_group(v: &Violation) -> Vec<String> {
    let Some(h) = v.header else {
        return Vec::new();
    };
    let has = |r: Rule| v.problems.contains(&r);
    let mut group = Vec::new();
    if has(Rule::RsvBits) {
        group.push(rsv_phrase(v));
    }
    match h.opcode {
        0x8..=0xA => {
            let masked = if h.mask.is_some() { 4 } else { 0 };
            if h.header_len > 2 + masked || has(Rule::ControlTooLong) {
                group.push("len > 125 for control".into());
            }
            if !h.fin {
                group.push("FIN not set on control".into());
            }
        }
        0x1 | 0x2 if has(Rule::DataInsideFragmented) => group.push("data before FIN".into()),
        0x0 if has(Rule::ContinuationWithoutStart) => group.push("continuation after FIN".into()),
        0x0..=0x2 => {}
        op => group.push(format!("bad opcode {op}")),
    }
    if has(Rule::MaskDirection) {
        group.push("bad MASK".into());
    }
    group
}

pub(crate) fn text(v: &Violation) -> String {
    // Payload-level rules come after a clean header; gorilla's group is empty for them.
    let header_level = v.problems.iter().any(|r| {
        !matches!(
            r,
            Rule::InvalidUtf8
                | Rule::CloseCode
                | Rule::CloseReasonUtf8
                | Rule::DataAfterClose
                | Rule::TruncatedFrame
        )
    });
    let group = if header_level {
        header_group(v)
    } else {
        Vec::new()
    };
    if group.is_empty() {
        phrase(v.rule, v)
    } else {
        group.join(", ")
    }
}

fn phrase(rule: Rule, v: &Violation) -> String {
    match rule {
        Rule::RsvBits => rsv_phrase(v),
        Rule::ReservedOpcode => match v.header {
            Some(h) => format!("bad opcode {}", h.opcode),
            None => "bad opcode".into(),
        },
        Rule::CloseCode => match number_after(&v.detail, "close code ") {
            Some(code) => format!("bad close code {code}"),
            None => "bad close code".into(),
        },
        other => gorilla_phrase(other).into(),
    }
}

/// The offending bits are named in `detail` ("RSV1 set"), which knows what the
/// configuration allowed; a hand-made violation falls back to the header's bits.
fn rsv_phrase(v: &Violation) -> String {
    let names = ["RSV1 set", "RSV2 set", "RSV3 set"];
    let mut found: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| v.detail.contains(n))
        .collect();
    if found.is_empty() {
        let rsv = v.header.map_or(0, |h| h.rsv);
        found = [0x40, 0x20, 0x10]
            .iter()
            .zip(names)
            .filter(|(bit, _)| rsv & **bit != 0)
            .map(|(_, n)| n)
            .collect();
    }
    if found.is_empty() {
        "RSV set".into()
    } else {
        found.join(", ")
    }
}

fn number_after(s: &str, prefix: &str) -> Option<u32> {
    let rest = &s[s.find(prefix)? + prefix.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}
