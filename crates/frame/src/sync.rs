//! Where frame sync was probably lost, for header violations.
//!
//! A torn write leaves a frame whose declared length runs past its real end; the
//! reader then takes the next writer's bytes as payload and lands on a "header" that
//! is really payload. The checker's hint uses only the bad header's own bytes (so it
//! is the same however the stream was chunked); `render` with the whole stream adds a
//! scan for where real frames were.

use crate::header::{self, FrameHeader};
use crate::{opcode, Direction};

/// The hint stored in `Violation::sync_lost_hint`.
pub(crate) fn header_hint(
    head: &[u8],
    at: u64,
    prev: Option<&FrameHeader>,
    dir: Direction,
) -> String {
    let mut s = match prev {
        Some(p) if p.end() == at => format!(
            "frame #{} @ {} declared {} payload byte(s), so a header was expected at {at}; ",
            p.index, p.offset, p.payload_len
        ),
        _ if at == 0 => "the stream's very first bytes are not a valid header; ".to_owned(),
        _ => format!("a header was expected at {at}; "),
    };
    s.push_str(&describe_bytes(head));
    if let Some((k, h)) = (1..head.len()).find_map(|k| {
        // A continuation start proves little: zero padding decodes as one.
        plausible(&head[k..], at + k as u64, dir)
            .filter(|h| h.opcode != 0)
            .map(|h| (k, h))
    }) {
        s.push_str(&format!(
            "; a valid-looking header ({}) starts {k} byte(s) later, at offset {}",
            h.words(),
            at + k as u64
        ));
    }
    s.push_str(match prev {
        Some(_) => {
            ". Frame sync was probably lost before this point: an earlier frame was cut \
             short (a torn write) so its declared length ran past the real boundary, or \
             another writer's bytes landed between frames"
        }
        None if at == 0 => {
            ". The capture may not start at a frame boundary, or the bytes are not \
             WebSocket frames"
        }
        None => ". Frame sync was probably lost before this point",
    });
    s
}

fn describe_bytes(head: &[u8]) -> String {
    let hex: Vec<String> = head.iter().map(|b| format!("{b:02x}")).collect();
    let printable = head
        .iter()
        .filter(|b| matches!(b, 0x20..=0x7e | b'\t' | b'\r' | b'\n'))
        .count();
    if head.len() >= 2 && printable * 4 >= head.len() * 3 {
        let text: String = head
            .iter()
            .map(|&b| {
                if (0x20..0x7f).contains(&b) {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        let json = head
            .iter()
            .any(|b| matches!(b, b'{' | b'}' | b'"' | b':' | b'['));
        let kind = if json {
            "printable ASCII, like JSON"
        } else {
            "printable ASCII"
        };
        format!(
            "the bytes there ({}, \"{text}\") look like payload ({kind}), not a header",
            hex.join(" ")
        )
    } else if head.iter().all(|&b| b == 0) {
        format!(
            "the bytes there ({}) are zeros, not a header",
            hex.join(" ")
        )
    } else {
        format!(
            "the bytes there ({}) do not form a valid header",
            hex.join(" ")
        )
    }
}

/// A header at the start of `b` that a sane writer could have produced, if the whole
/// header is in `b`.
pub(crate) fn plausible(b: &[u8], at: u64, dir: Direction) -> Option<FrameHeader> {
    let len = header::header_len(*b.get(1)?);
    if b.len() < len {
        return None;
    }
    let h = header::decode(b, 0, at);
    let len7 = b[1] & 0x7F;
    let minimal = match len7 {
        126 => h.payload_len >= 126,
        127 => h.payload_len > 0xFFFF && h.payload_len >> 63 == 0,
        _ => true,
    };
    let control_ok = !h.is_control() || (h.fin && len7 <= 125);
    let ok = h.rsv == 0
        && opcode::is_defined(h.opcode)
        && h.mask.is_some() == dir.requires_mask()
        && minimal
        && control_ok;
    ok.then_some(h)
}

/// A plausible header at stream offset `at` whose frame ends inside `stream`, at its
/// end or at another plausible header: two frames in a row rarely happen by chance.
pub(crate) fn chained(stream: &[u8], at: u64, dir: Direction) -> Option<FrameHeader> {
    let h = plausible(stream.get(at as usize..)?, at, dir)?;
    let end = h.end();
    let len = stream.len() as u64;
    if end > len || h.payload_len == 0 {
        return None;
    }
    let next_ok = end == len || plausible(&stream[end as usize..], end, dir).is_some();
    next_ok.then_some(h)
}

/// Where real frames probably were, from the whole stream: a valid-looking frame
/// inside the previous frame's payload (the torn write), else where frames resume
/// after the bad header.
pub(crate) fn stream_hint(
    stream: &[u8],
    bad: u64,
    prev: Option<&FrameHeader>,
    dir: Direction,
) -> Option<(u64, FrameHeader, String)> {
    if let Some(found) = prev
        .filter(|p| p.end() == bad)
        .and_then(|p| inside_payload(stream, p, bad, dir))
    {
        return Some(found);
    }
    let end = (stream.len() as u64).min(bad.saturating_add(4096));
    for y in bad + 1..end {
        if let Some(h) = chained(stream, y, dir) {
            let text = format!(
                "frames seem to resume at offset {y} ({}), {} byte(s) after the bad header",
                h.words(),
                y - bad
            );
            return Some((y, h, text));
        }
    }
    None
}

/// A valid-looking frame inside `frame`'s payload, up to and including `upto`: the sign
/// of a torn write (the frame was cut short and another writer's frame followed, which
/// the reader took as payload).
pub(crate) fn inside_payload(
    stream: &[u8],
    frame: &FrameHeader,
    upto: u64,
    dir: Direction,
) -> Option<(u64, FrameHeader, String)> {
    let from = frame.payload_start().max(upto.saturating_sub(64 * 1024));
    let to = upto.min(frame.end().saturating_sub(1));
    let y = (from..=to).find(|&y| chained(stream, y, dir).is_some())?;
    let h = chained(stream, y, dir)?;
    let text = format!(
        "a valid-looking frame ({}) starts at offset {y}, {} byte(s) into the payload of \
         frame #{}: that frame was probably cut short there (a torn write) and another \
         writer's frame followed, which the reader took as payload",
        h.words(),
        y - frame.payload_start(),
        frame.index
    );
    Some((y, h, text))
}
