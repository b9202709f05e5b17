//! The reader: reads the agent's bytes, checks them with `wsrace-frame`
//! (client-to-server rules, the hub's size limits), assembles messages and acts on
//! them. It never writes; replies go through the writer's queue.
//!
//! While the connection is open, every read is bounded by the heartbeat deadline.
//! Once the end is decided the reader keeps reading, ignoring data, only to see the
//! agent's Close or EOF (which lets the writer finish early); it stops when the
//! writer is done, which the close and write deadlines bound.

use std::io;

use super::heartbeat;
use super::inbound::{FrameReader, Incoming};
use super::state::{ConnState, Lifecycle};
use super::{ConnHandle, Outbound};
use crate::events::emit;
use crate::{Config, Message, ShutdownReason};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::{sleep, Instant};

/// Bytes asked for per read.
const READ_CHUNK: usize = 4096;

pub(crate) async fn run<R>(mut r: R, leftover: Vec<u8>, handle: ConnHandle, config: Config)
where
    R: AsyncRead + Unpin,
{
    let mut reader = Reader {
        handle: &handle,
        state: &handle.state,
        frames: FrameReader::new(&config),
        poisoned: false,
        heartbeat_due: None,
    };
    let mut life = handle.state.lifecycle();
    let heartbeat = sleep(config.heartbeat_timeout);
    tokio::pin!(heartbeat);
    let mut buf = vec![0u8; READ_CHUNK];

    // The agent may have sent frames right behind its upgrade request.
    let mut pending = leftover;
    loop {
        if !pending.is_empty() {
            let flow = reader.bytes(&pending);
            pending.clear();
            if flow == Flow::Stop {
                return;
            }
            if let Some(at) = reader.heartbeat_due.take() {
                heartbeat.as_mut().reset(at + config.heartbeat_timeout);
            }
        }
        let open = life.borrow_and_update().is_open();
        let read = tokio::select! {
            biased;
            _ = life.wait_for(Lifecycle::is_ended) => return,
            () = &mut heartbeat, if open => {
                let conn = handle.state.id.get();
                let agent = handle.state.agent.as_str();
                handle.state.begin_shutdown_because(ShutdownReason::HeartbeatTimeout, || {
                    emit!(info, "heartbeat.timeout", conn, agent);
                });
                continue;
            }
            read = r.read(&mut buf) => read,
        };
        match read {
            Ok(0) => return reader.peer_hung_up(ShutdownReason::PeerGone),
            Ok(n) => pending.extend_from_slice(&buf[..n]),
            Err(e) => return reader.peer_hung_up(read_failed(&e)),
        }
    }
}

fn read_failed(e: &io::Error) -> ShutdownReason {
    ShutdownReason::ReadFailed { kind: e.kind() }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

struct Reader<'a> {
    handle: &'a ConnHandle,
    state: &'a ConnState,
    frames: FrameReader,
    /// The checker found a violation; later bytes cannot be framed and are ignored.
    poisoned: bool,
    /// Set when a heartbeat arrived: the deadline restarts from this instant.
    heartbeat_due: Option<Instant>,
}

impl Reader<'_> {
    fn peer_hung_up(&self, reason: ShutdownReason) {
        self.state.peer_gone();
        self.state.begin_shutdown(reason);
    }

    fn bytes(&mut self, bytes: &[u8]) -> Flow {
        if self.poisoned {
            return Flow::Continue;
        }
        let (completed, checked) = self.frames.feed(bytes);
        // Frames completed before a violation passed every check; act on them.
        for incoming in completed {
            if self.incoming(incoming) == Flow::Stop {
                return Flow::Stop;
            }
        }
        if let Err(v) = checked {
            self.protocol_error(v.rule, v.detail);
        }
        Flow::Continue
    }

    fn protocol_error(&mut self, rule: wsrace_frame::Rule, detail: String) {
        self.poisoned = true;
        self.state
            .begin_shutdown(ShutdownReason::Protocol { rule, detail });
    }

    fn incoming(&mut self, incoming: Incoming) -> Flow {
        let conn = self.state.id.get();
        let agent = self.state.agent.as_str();
        // After the end is decided only the agent's Close matters (RFC 6455 5.5.1).
        let open = self.state.is_open();
        match incoming {
            Incoming::Frame { opcode, len } => {
                emit!(trace, "frame.read", conn, opcode, len);
            }
            Incoming::Close { code } => {
                // 1005: "no status code", as in `close.sent`.
                emit!(debug, "close.received", conn, code = code.unwrap_or(1005));
                self.state.peer_closed();
                self.state
                    .begin_shutdown(ShutdownReason::PeerClosed { code });
                return Flow::Stop;
            }
            Incoming::Ping(payload) if open => {
                emit!(debug, "heartbeat", conn, agent, kind = "ping");
                self.heartbeat_due = Some(Instant::now());
                let _ = self.handle.enqueue(Outbound::Pong(payload));
            }
            Incoming::Text(bytes) if open => match String::from_utf8(bytes) {
                Err(_) => {
                    // The checker validates UTF-8 first; this only guards against
                    // the two disagreeing.
                    self.protocol_error(wsrace_frame::Rule::InvalidUtf8, String::new());
                    return Flow::Continue;
                }
                Ok(text) => match heartbeat::parse(&text) {
                    Some(hb) => {
                        emit!(debug, "heartbeat", conn, agent, kind = "json");
                        self.heartbeat_due = Some(Instant::now());
                        let _ = self
                            .handle
                            .enqueue(Outbound::Message(Message::Text(hb.ack())));
                    }
                    None => {
                        let len = text.len() as u64;
                        emit!(debug, "message.received", conn, agent, kind = "text", len);
                    }
                },
            },
            Incoming::Binary(bytes) if open => {
                let len = bytes.len() as u64;
                emit!(debug, "message.received", conn, agent, kind = "binary", len);
            }
            // Unsolicited Pongs, and anything after the end was decided.
            Incoming::Ping(_) | Incoming::Pong | Incoming::Text(_) | Incoming::Binary(_) => {}
        }
        Flow::Continue
    }
}
