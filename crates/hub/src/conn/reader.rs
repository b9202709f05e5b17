//! The reader: reads the agent's bytes, checks them with `wsrace-frame`
//! (client-to-server rules, the hub's size limits), assembles messages and acts on
//! them. It never writes; replies go through the writer's queue.
//!
//! While the connection is open, every read is bounded by the heartbeat deadline.
//! Once the end is decided the reader keeps reading, ignoring data, only to see the
//! agent's Close or EOF (which lets the writer finish early); it stops when the
//! writer is done, which the close and write deadlines bound.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::{sleep, Instant};
use wsrace_frame::{opcode, Checker, Direction, FrameHeader, Sink};

use super::heartbeat;
use super::state::{ConnState, Lifecycle};
use super::{ConnHandle, Outbound};
use crate::events::emit;
use crate::{Config, Message, ShutdownReason};

/// Bytes asked for per read.
const READ_CHUNK: usize = 4096;

pub(crate) async fn run<R>(mut r: R, leftover: Vec<u8>, handle: ConnHandle, config: Config)
where
    R: AsyncRead + Unpin,
{
    let checker = Checker::new(
        wsrace_frame::Config::new(Direction::ClientToServer)
            .with_max_frame_payload(config.max_frame_size)
            .with_max_message_size(config.max_message_size),
    );
    let mut reader = Reader {
        handle: &handle,
        state: &handle.state,
        checker,
        sink: Assembler::new(config.max_message_size),
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
    checker: Checker,
    sink: Assembler,
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
        let checked = self.checker.feed_with(bytes, &mut self.sink);
        // Frames completed before a violation passed every check; act on them.
        for incoming in std::mem::take(&mut self.sink.incoming) {
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

/// What one checked chunk of input contained, in order.
#[derive(Debug, PartialEq, Eq)]
enum Incoming {
    /// Any complete frame (reported before its content below).
    Frame {
        opcode: u8,
        len: u64,
    },
    Ping(Vec<u8>),
    Pong,
    Close {
        code: Option<u16>,
    },
    Text(Vec<u8>),
    Binary(Vec<u8>),
}

/// Unmasks payloads and assembles fragmented messages as the checker walks the
/// stream. The checker enforces the size limits before payload arrives here; the
/// cap below only keeps memory bounded should the two ever disagree.
struct Assembler {
    max_message: u64,
    control: Vec<u8>,
    message: Vec<u8>,
    message_is_text: bool,
    incoming: Vec<Incoming>,
}

impl Assembler {
    fn new(max_message: u64) -> Self {
        Assembler {
            max_message,
            control: Vec::new(),
            message: Vec::new(),
            message_is_text: false,
            incoming: Vec::new(),
        }
    }
}

impl Sink for Assembler {
    fn frame_start(&mut self, header: &FrameHeader) {
        if header.is_control() {
            self.control.clear();
        } else if header.opcode != opcode::CONTINUATION {
            self.message.clear();
            self.message_is_text = header.opcode == opcode::TEXT;
        }
    }

    fn payload(&mut self, header: &FrameHeader, at: u64, wire: &[u8]) {
        let out = if header.is_control() {
            &mut self.control
        } else {
            &mut self.message
        };
        let room = usize::try_from(self.max_message)
            .unwrap_or(usize::MAX)
            .saturating_sub(out.len());
        let wire = &wire[..wire.len().min(room)];
        match header.mask {
            Some(key) => {
                // `at` is this piece's offset in the payload; the key cycles from 0.
                let start = (at % 4) as usize;
                out.extend(
                    wire.iter()
                        .enumerate()
                        .map(|(i, b)| b ^ key[(start + i) % 4]),
                );
            }
            None => out.extend_from_slice(wire),
        }
    }

    fn frame_end(&mut self, header: &FrameHeader) {
        self.incoming.push(Incoming::Frame {
            opcode: header.opcode,
            len: header.payload_len,
        });
        let done = match header.opcode {
            opcode::PING => Incoming::Ping(std::mem::take(&mut self.control)),
            opcode::PONG => Incoming::Pong,
            opcode::CLOSE => {
                let code = (self.control.len() >= 2)
                    .then(|| u16::from_be_bytes([self.control[0], self.control[1]]));
                Incoming::Close { code }
            }
            _ if !header.fin => return,
            _ if self.message_is_text => Incoming::Text(std::mem::take(&mut self.message)),
            _ => Incoming::Binary(std::mem::take(&mut self.message)),
        };
        self.incoming.push(done);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(fin: bool, op: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        wsrace_frame::encode::frame(&mut out, fin, op, Some([0x37, 0xfa, 0x21, 0x3d]), payload);
        out
    }

    #[test]
    fn the_assembler_unmasks_split_pieces_and_joins_fragments() {
        let mut wire = masked(false, opcode::TEXT, b"hel");
        wire.extend(masked(true, opcode::PING, b"p"));
        wire.extend(masked(true, opcode::CONTINUATION, b"lo, world"));
        let mut checker = Checker::new(wsrace_frame::Config::new(Direction::ClientToServer));
        let mut sink = Assembler::new(1 << 20);
        // One byte at a time: every payload piece starts at a different key offset.
        for b in &wire {
            checker
                .feed_with(std::slice::from_ref(b), &mut sink)
                .unwrap();
        }
        let got: Vec<_> = sink
            .incoming
            .into_iter()
            .filter(|i| !matches!(i, Incoming::Frame { .. }))
            .collect();
        assert_eq!(
            got,
            vec![
                Incoming::Ping(b"p".to_vec()),
                Incoming::Text(b"hello, world".to_vec())
            ]
        );
    }

    #[test]
    fn a_close_without_a_code_has_none() {
        let mut checker = Checker::new(wsrace_frame::Config::new(Direction::ClientToServer));
        let mut sink = Assembler::new(1 << 20);
        checker
            .feed_with(&masked(true, opcode::CLOSE, b""), &mut sink)
            .unwrap();
        assert_eq!(sink.incoming.last(), Some(&Incoming::Close { code: None }));
    }
}
