//! The zoo's designs over in-memory streams on tokio's paused clock. A scripted
//! transport stalls or shortens chosen writes, so each design's flaw shows up
//! on a fixed schedule: every test here either proves a fixture tears frames
//! (the bytes fail `wsrace_frame::Checker`, or end without a Close frame) or, for
//! the sleep fix, that it is correct when writes are quick.

mod support;

// The incident's hub: a Pong inside a push, a close that cuts a push short, a
// reconnect that drops the old connection without a Close frame.
mod go_original;
// The shipped fix: torn when a write is blocked past 100 ms, clean when not.
mod sleep_100ms;
// The other two designs, one tear each.
mod others;
// Every design serves like the hub when nothing races; names and spans.
mod api;
