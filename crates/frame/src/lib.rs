//! wsrace-frame: an RFC 6455 frame-stream checker for either direction, with
//! diagnostics a person can act on. Synchronous, no I/O, no allocation per frame.
//!
//! Feed a [`Checker`] the bytes one peer wrote, in any chunking; it returns the first
//! [`Violation`] (rule, frame, exact byte offset, gorilla/websocket's wording, a
//! report with an annotated hexdump) or, at [`Checker::finish`], a clean
//! [`StreamEnd`].
//!
//! Where to start reading: [`checker`](Checker) (the state machine and hot path),
//! then `judge` (header rules) and [`Rule`].
//!
//! Modules:
//! - `config`: [`Direction`], [`Config`].
//! - `rule`: [`Rule`] ids, close codes, explanations.
//! - `header`: [`FrameHeader`] decoding and wording.
//! - `judge`: every problem of a header, in gorilla order.
//! - `checker`: [`Checker`], [`CloseFrame`], [`StreamEnd`]; `checker::faults` builds
//!   the [`Violation`] when a step fails.
//! - `utf8`: UTF-8 across fragment and chunk boundaries.
//! - `close`: close codes and the Close payload.
//! - `mask`: XOR masking.
//! - `ring`: the last 8 clean frames.
//! - `sink`: [`Sink`], observing a stream as it is checked.
//! - `violation`, `gorilla`, `report`, `sync`: the diagnostic, its gorilla wording,
//!   its rendering, and where frame sync was lost.
//! - [`hexdump`]: annotated hexdump, shared with the simulation's reports.
//! - [`encode`]: minimal frame and Close-payload writers.
//! - [`opcode`]: opcode constants.

#![warn(missing_docs)]

mod checker;
mod close;
mod config;
pub mod encode;
mod gorilla;
mod header;
pub mod hexdump;
mod judge;
mod mask;
pub mod opcode;
mod report;
mod ring;
mod rule;
mod sink;
mod sync;
mod utf8;
mod violation;

pub use checker::{Checker, CloseFrame, StreamEnd};
pub use close::is_valid_close_code;
pub use config::{Config, Direction, ParseDirectionError};
pub use gorilla::gorilla_phrase;
pub use header::FrameHeader;
pub use rule::Rule;
pub use sink::Sink;
pub use violation::Violation;
