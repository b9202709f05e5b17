//! `Violation::render`: the multi-line report with an annotated hexdump.

use crate::hexdump::{self, Mark};
use crate::{sync, Rule, Violation};

/// Show at most this many bytes around the offending byte.
const BEFORE: u64 = 48;
const AFTER: u64 = 32;
/// Reach back to the previous frame's start (or a resync point) if it is this close.
const REACH: u64 = 128;

pub(crate) fn render(v: &Violation, stream: Option<&[u8]>) -> String {
    let mut out = String::new();
    let mut line = |label: &str, text: &str| out.push_str(&format!("  {label:<10} {text}\n"));
    let others: Vec<&str> = v.problems.iter().skip(1).map(|r| r.id()).collect();
    let title = if others.is_empty() {
        format!(
            "{} in the {} stream ({})\n",
            v.rule.id(),
            v.direction.long(),
            v.direction
        )
    } else {
        format!(
            "{} (also {}) in the {} stream ({})\n",
            v.rule.id(),
            others.join(", "),
            v.direction.long(),
            v.direction
        )
    };
    line(
        "frame",
        &format!(
            "#{} starting at offset {} (0x{:x})",
            v.frame_index, v.frame_offset, v.frame_offset
        ),
    );
    line(
        "bad byte",
        &format!("offset {} (0x{:x})", v.byte_offset, v.byte_offset),
    );
    line("gorilla", &v.gorilla());
    if !v.detail.is_empty() {
        line("detail", &v.detail);
    }
    match &v.header {
        Some(h) if v.problems.contains(&Rule::TruncatedFrame) && v.rule != Rule::TruncatedFrame => {
            line(
                "header",
                &format!("{} (cut short; missing fields shown as 0)", h.words()),
            )
        }
        Some(h) => line("header", &h.words()),
        None => {}
    }
    match &v.last_good {
        Some(h) => line("last good", &h.describe()),
        None => line("last good", "none: no frame completed before this one"),
    }
    let meaning = if v.rule == Rule::TruncatedFrame {
        format!(
            "{} Nothing can be sent; a receiver reports 1006 locally.",
            v.rule.explanation()
        )
    } else {
        format!(
            "{} A receiver should close with {}.",
            v.rule.explanation(),
            v.rule.close_code()
        )
    };
    line("meaning", &meaning);
    if let Some(hint) = &v.sync_lost_hint {
        line("sync", hint);
    }
    if let Some(stream) = stream {
        let resync = stream_analysis(v, stream);
        if let Some((_, text)) = &resync {
            line("resync", text);
        }
        out.push('\n');
        out.push_str(&dump(v, stream, resync.as_ref().map(|(m, _)| m)));
    }
    title + &out
}

/// Stream-wide hints: where real frames were around a bad header, or what the bytes
/// after a Close frame look like.
fn stream_analysis(v: &Violation, stream: &[u8]) -> Option<(Mark, String)> {
    let suspect = v.sync_lost_hint.is_some();
    if suspect {
        let (at, h, text) =
            sync::stream_hint(stream, v.frame_offset, v.last_good.as_ref(), v.direction)?;
        return Some((
            Mark::new(at, format!("valid-looking frame: {}", h.words())),
            text,
        ));
    }
    if v.rule == Rule::InvalidUtf8 {
        let h = v.header?;
        let (at, found, text) = sync::inside_payload(stream, &h, v.byte_offset, v.direction)?;
        return Some((
            Mark::new(at, format!("valid-looking frame: {}", found.words())),
            text,
        ));
    }
    if v.rule == Rule::DataAfterClose {
        let h = sync::plausible(
            stream.get(v.byte_offset as usize..)?,
            v.byte_offset,
            v.direction,
        )?;
        let text = format!(
            "the bytes after the Close frame form a frame ({}): a writer kept sending after close",
            h.words()
        );
        return Some((
            Mark::new(v.byte_offset, format!("frame after close: {}", h.words())),
            text,
        ));
    }
    None
}

fn dump(v: &Violation, stream: &[u8], resync: Option<&Mark>) -> String {
    let len = stream.len() as u64;
    let focus = v.byte_offset.min(v.frame_offset);
    let mut lo = focus.saturating_sub(BEFORE);
    if let Some(prev) = &v.last_good {
        if prev.offset < lo && focus - prev.offset <= REACH {
            lo = prev.offset;
        }
    }
    if let Some(m) = resync {
        if m.offset < lo && focus - m.offset <= REACH {
            lo = m.offset;
        }
    }
    let header_end = v.header.map_or(v.byte_offset, |h| h.payload_start());
    let hi = (v.byte_offset.max(header_end) + AFTER).min(len);
    // A mark at the stream's end (truncation) needs its blank cell shown.
    let window = lo..hi.max(v.byte_offset + 1).max(lo + 1);

    let mut marks: Vec<Mark> = Vec::new();
    for h in &v.recent {
        marks.push(Mark::new(
            h.offset,
            format!("frame #{}: {}", h.index, h.words()),
        ));
    }
    let frame_text = match (&v.header, v.rule) {
        (_, Rule::DataAfterClose) => "Close frame ended here; nothing may follow".to_owned(),
        (Some(h), _) => format!("frame #{}: {}", v.frame_index, h.words()),
        (None, _) => format!("frame #{}: header cut short", v.frame_index),
    };
    marks.push(Mark::new(v.frame_offset, frame_text));
    if let Some(m) = resync {
        marks.push(m.clone());
    }
    let bad = if v.rule == Rule::TruncatedFrame {
        format!("stream ends here ({})", v.rule.id())
    } else {
        format!("first bad byte ({})", v.rule.id())
    };
    marks.push(Mark::new(v.byte_offset, bad));
    hexdump::render(stream, 0, window, &marks)
}
