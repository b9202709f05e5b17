//! End-to-end tests of `wsrace serve` over real loopback TCP.
//!
//! Each test starts the real binary on 127.0.0.1 at a port the OS picks, with a
//! temporary tokens file and short timeouts, and talks to it as agents do. Every wait
//! is bounded; the server process is killed if a test fails. Every byte the server
//! sends to a Rust agent is checked with `wsrace_frame::Checker`.

// Harness: the server process, a tokio-tungstenite agent with a byte tap, the
// shared Python virtualenv (also used by wsrace-frame's Autobahn test).
#[path = "serve_tcp/agent.rs"]
mod agent;
#[path = "serve_tcp/server.rs"]
mod server;
#[path = "../crates/frame/tests/support/venv.rs"]
mod venv;

// Tests.
#[path = "serve_tcp/python_agent.rs"]
mod python_agent; // the `websockets` agent in serve_tcp/agent.py: the same paths from Python
#[path = "serve_tcp/tungstenite_agent.rs"]
mod tungstenite_agent; // heartbeats, pushes, timeout, reconnect, SIGTERM
#[path = "serve_tcp/unauthorized.rs"]
mod unauthorized; // 401 for a missing or bad token, from raw TCP
