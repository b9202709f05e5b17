//! `wsrace check`: run the frame checker over a captured stream and say what
//! it found, frame by frame.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde_json::{json, Value};
use wsrace_frame::{Checker, Config, Direction, FrameHeader, Sink, StreamEnd, Violation};

use crate::hex_input;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Which way the bytes travelled: s2c frames must be unmasked, c2s masked.
    #[arg(long, value_enum, default_value_t = Dir::S2c)]
    direction: Dir,
    /// The input is hex text (whitespace, `0x`, `:` and `#` comments allowed).
    #[arg(long)]
    hex: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// RSV bits an extension negotiated, e.g. 4 for RSV1 (permessage-deflate).
    #[arg(long, value_name = "BITS", default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=7))]
    allow_rsv: u8,
    /// Largest frame payload accepted, in bytes.
    #[arg(long, value_name = "BYTES")]
    max_frame: Option<u64>,
    /// Largest message accepted, in bytes.
    #[arg(long, value_name = "BYTES")]
    max_message: Option<u64>,
    /// Show at most this many frames in the listing (all are checked).
    #[arg(long, value_name = "N", default_value_t = 1000)]
    show: usize,
    /// A file of raw bytes, or `-` for standard input.
    input: PathBuf,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Dir {
    /// Server to client.
    S2c,
    /// Client to server.
    C2s,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

pub fn run(args: CheckArgs) -> ExitCode {
    let bytes = match read_input(&args) {
        Ok(bytes) => bytes,
        Err(message) => {
            eprintln!("wsrace check: {message}");
            return ExitCode::from(2);
        }
    };
    let direction = match args.direction {
        Dir::S2c => Direction::ServerToClient,
        Dir::C2s => Direction::ClientToServer,
    };
    let mut config = Config::new(direction);
    config.allowed_rsv = args.allow_rsv << 4;
    config.max_frame_payload = args.max_frame;
    config.max_message_size = args.max_message;

    let mut checker = Checker::new(config);
    let mut listing = Listing {
        frames: Vec::new(),
        previews: Vec::new(),
        show: args.show,
        current: Vec::new(),
    };
    let verdict = checker
        .feed_with(&bytes, &mut listing)
        .and_then(|()| checker.finish());

    let out = match args.format {
        Format::Text => text_report(&args, direction, &bytes, &listing, &verdict),
        Format::Json => json_report(direction, &bytes, &listing, &verdict).to_string() + "\n",
    };
    // A closed pipe (`| head`) is not a verdict; the exit code still is.
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    ExitCode::from(if verdict.is_ok() { 0 } else { 1 })
}

fn read_input(args: &CheckArgs) -> Result<Vec<u8>, String> {
    let name = args.input.display().to_string();
    let mut raw = Vec::new();
    let read = if name == "-" {
        std::io::stdin().lock().read_to_end(&mut raw).map(|_| ())
    } else {
        std::fs::File::open(&args.input)
            .and_then(|mut f| f.read_to_end(&mut raw))
            .map(|_| ())
    };
    read.map_err(|e| format!("cannot read {name}: {e}"))?;
    if !args.hex {
        return Ok(raw);
    }
    let text = String::from_utf8(raw).map_err(|e| {
        format!(
            "{name}: --hex input is not UTF-8 text (byte {})",
            e.utf8_error().valid_up_to()
        )
    })?;
    hex_input::decode(&text).map_err(|e| format!("{name}:{e}"))
}

/// Records the frames the checker walked, with a short unmasked preview.
struct Listing {
    frames: Vec<FrameHeader>,
    previews: Vec<Vec<u8>>,
    show: usize,
    current: Vec<u8>,
}

const PREVIEW: usize = 32;

impl Sink for Listing {
    fn payload(&mut self, header: &FrameHeader, at: u64, wire: &[u8]) {
        if self.frames.len() >= self.show || at >= PREVIEW as u64 {
            return;
        }
        let take = wire.len().min(PREVIEW - at as usize);
        for (i, b) in wire[..take].iter().enumerate() {
            let key = header.mask.map_or(0, |m| m[(at as usize + i) % 4]);
            self.current.push(b ^ key);
        }
    }

    fn frame_end(&mut self, header: &FrameHeader) {
        if self.frames.len() < self.show {
            self.frames.push(*header);
            self.previews.push(std::mem::take(&mut self.current));
        }
    }
}

fn opcode_name(opcode: u8) -> &'static str {
    match opcode {
        0x0 => "Continuation",
        0x1 => "Text",
        0x2 => "Binary",
        0x8 => "Close",
        0x9 => "Ping",
        0xA => "Pong",
        _ => "Reserved",
    }
}

fn preview_text(bytes: &[u8], total: u64) -> String {
    let mut s: String = bytes
        .iter()
        .map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            }
        })
        .collect();
    if total > bytes.len() as u64 {
        s.push('…');
    }
    s
}

fn text_report(
    args: &CheckArgs,
    direction: Direction,
    bytes: &[u8],
    listing: &Listing,
    verdict: &Result<StreamEnd, Violation>,
) -> String {
    let mut out = format!(
        "{}: {} bytes, direction {}\n",
        args.input.display(),
        bytes.len(),
        direction.short()
    );
    for (h, preview) in listing.frames.iter().zip(&listing.previews) {
        out += &format!(
            "  #{:<5} @{:<8} {} {:<12} {:<8} len={:<8} {}\n",
            h.index,
            h.offset,
            if h.fin { "FIN" } else { "   " },
            opcode_name(h.opcode),
            if h.mask.is_some() {
                "masked"
            } else {
                "unmasked"
            },
            h.payload_len,
            preview_text(preview, h.payload_len),
        );
    }
    let checked = match verdict {
        Ok(end) => end.frames,
        Err(v) => v.frame_index,
    };
    if checked as usize > listing.frames.len() {
        out += &format!(
            "  ... {} more frames not shown\n",
            checked as usize - listing.frames.len()
        );
    }
    match verdict {
        Ok(end) => {
            out += &format!(
                "clean: {} frames, {} bytes, ends at a frame boundary",
                end.frames, end.bytes
            );
            match &end.close {
                Some(close) => {
                    let code = close
                        .code
                        .map_or("no status code".to_string(), |c| format!("code {c}"));
                    out += &format!(", closed with {code} {:?}\n", close.reason);
                }
                None => out += ", no Close frame\n",
            }
        }
        Err(violation) => {
            out += &violation.render(Some(bytes));
            if !out.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    out
}

fn frame_json(h: &FrameHeader) -> Value {
    json!({
        "index": h.index,
        "offset": h.offset,
        "header_len": h.header_len,
        "fin": h.fin,
        "rsv": h.rsv >> 4,
        "opcode": h.opcode,
        "opcode_name": opcode_name(h.opcode),
        "masked": h.mask.is_some(),
        "payload_len": h.payload_len,
    })
}

fn json_report(
    direction: Direction,
    bytes: &[u8],
    listing: &Listing,
    verdict: &Result<StreamEnd, Violation>,
) -> Value {
    let frames: Vec<Value> = listing.frames.iter().map(frame_json).collect();
    match verdict {
        Ok(end) => json!({
            "direction": direction.short(),
            "bytes": bytes.len(),
            "frames": frames,
            "verdict": "clean",
            "frame_count": end.frames,
            "close": end.close.as_ref().map(|c| json!({"code": c.code, "reason": c.reason, "offset": c.offset})),
        }),
        Err(v) => json!({
            "direction": direction.short(),
            "bytes": bytes.len(),
            "frames": frames,
            "verdict": "violation",
            "violation": {
                "rule": v.rule.id(),
                "problems": v.problems.iter().map(|r| r.id()).collect::<Vec<_>>(),
                "frame_index": v.frame_index,
                "frame_offset": v.frame_offset,
                "byte_offset": v.byte_offset,
                "gorilla": v.gorilla(),
                "explanation": v.rule.explanation(),
                "detail": v.detail,
                "close_code": v.rule.close_code(),
                "last_good": v.last_good.as_ref().map(frame_json),
                "sync_lost_hint": v.sync_lost_hint,
                "report": v.render(Some(bytes)),
            },
        }),
    }
}
