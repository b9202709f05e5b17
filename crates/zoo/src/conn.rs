//! One connection's shared state and the ways it ends.
//!
//! Every path that decides the end calls [`ZooConn::end`]. The first reason wins
//! (it is the one reported in `shutdown.begun` and `conn.closed`), but unlike
//! the hub, every caller still goes on to close in its design's way: the Go code
//! had no "first wins", each closer closed. What closing means is
//! [`Design::closing`](crate::Design).

use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use wsrace_hub::{AgentId, ConnEnd, ConnId, Message, ShutdownReason};

use crate::design::{Closing, Design};
use crate::events::emit;
use crate::wire::{Wire, WireError};

/// Something for writeLoop to write.
#[derive(Debug)]
pub(crate) enum Outbound {
    Pong(Vec<u8>),
    Message(Message),
}

impl Outbound {
    pub fn encode(&self) -> (u8, usize, Vec<u8>) {
        match self {
            Outbound::Pong(p) => (
                wsrace_frame::opcode::PONG,
                p.len(),
                wsrace_hub::parts::pong_frame(p),
            ),
            Outbound::Message(m) => {
                let (op, len) = match m {
                    Message::Text(t) => (wsrace_frame::opcode::TEXT, t.len()),
                    Message::Binary(b) => (wsrace_frame::opcode::BINARY, b.len()),
                };
                (op, len, wsrace_hub::parts::message_frame(m))
            }
        }
    }
}

/// What is known about how the connection is ending.
#[derive(Debug, Default)]
struct Life {
    reason: Option<ShutdownReason>,
    close_sent: bool,
    peer_closed: bool,
    peer_gone: bool,
    write_failed: bool,
}

/// A connection as the hub's registry holds it.
#[derive(Clone)]
pub(crate) struct Registered(pub Arc<ZooConn>);

impl wsrace_hub::parts::Entry for Registered {
    fn conn(&self) -> ConnId {
        self.0.id
    }
    fn agent(&self) -> &AgentId {
        &self.0.agent
    }
}

impl std::ops::Deref for Registered {
    type Target = Arc<ZooConn>;
    fn deref(&self) -> &Arc<ZooConn> {
        &self.0
    }
}

pub(crate) struct ZooConn {
    pub id: ConnId,
    pub agent: AgentId,
    pub design: Design,
    pub wire: Wire,
    pub queue: mpsc::Sender<Outbound>,
    /// Go's `writeCancel()`; also the hub-like designs' shutdown message.
    pub cancel: watch::Sender<bool>,
    /// When the last heartbeat arrived; monitorConnection watches it.
    pub last_heartbeat: watch::Sender<Instant>,
    life: Mutex<Life>,
}

impl ZooConn {
    pub fn new(
        id: ConnId,
        agent: AgentId,
        design: Design,
        wire: Wire,
        queue: mpsc::Sender<Outbound>,
    ) -> Arc<ZooConn> {
        Arc::new(ZooConn {
            id,
            agent,
            design,
            wire,
            queue,
            cancel: watch::Sender::new(false),
            last_heartbeat: watch::Sender::new(Instant::now()),
            life: Mutex::new(Life::default()),
        })
    }

    fn life(&self) -> MutexGuard<'_, Life> {
        self.life.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_open(&self) -> bool {
        self.life().reason.is_none()
    }

    pub fn reason(&self) -> ShutdownReason {
        let reason = self.life().reason.clone();
        reason.unwrap_or(ShutdownReason::HubShutdown)
    }

    /// Records the first reason (calling `cause` first, so its event precedes
    /// `shutdown.begun`); false if the end was already decided.
    pub fn decide(&self, reason: ShutdownReason, cause: impl FnOnce()) -> bool {
        let mut life = self.life();
        if life.reason.is_some() {
            return false;
        }
        cause();
        let (conn, agent) = (self.id.get(), self.agent.as_str());
        emit!(
            info,
            "shutdown.begun",
            conn,
            agent,
            reason = reason.as_str()
        );
        life.reason = Some(reason);
        true
    }

    pub fn peer_closed(&self) {
        self.life().peer_closed = true;
    }

    pub fn peer_gone(&self) {
        self.life().peer_gone = true;
    }

    /// A frame write failed: reports it unless the socket was closed on purpose.
    pub fn write_failed(&self, error: WireError) {
        if let WireError::Io(error) = error {
            emit!(warn, "write.failed", conn = self.id.get(), error = %error);
            self.life().write_failed = true;
        }
    }

    pub fn close_sent(&self, close: &wsrace_hub::parts::CloseFrame) {
        self.life().close_sent = true;
        let (conn, code) = (self.id.get(), close.event_code());
        emit!(
            info,
            "close.sent",
            conn,
            code,
            reason = close.reason.as_str()
        );
    }

    /// Ends the connection for `reason`, the way this design closes.
    pub async fn end(&self, reason: ShutdownReason) {
        self.end_because(reason, || {}).await;
    }

    /// [`end`](Self::end), emitting `cause` first if this reason wins.
    pub async fn end_because(&self, reason: ShutdownReason, cause: impl FnOnce()) {
        let won = self.decide(reason, cause);
        match self.design.closing() {
            Closing::AtOnce => {
                self.wire.close().await;
            }
            Closing::CancelSleepClose(pause) => {
                self.cancel.send_replace(true);
                // The fix's whole idea: by now writeLoop has surely finished.
                tokio::time::sleep(pause).await;
                if won {
                    self.close_politely(true).await;
                } else {
                    self.wire.close().await;
                }
            }
            Closing::ViaWriter => {
                self.cancel.send_replace(true);
            }
        }
    }

    /// Writes the reason's Close frame (if it sends one and the agent has not
    /// gone), then closes the socket. `interrupt`: take the wire from whoever is
    /// writing (the fix's `Conn.Close()`); otherwise queue for it like any write.
    pub async fn close_politely(&self, interrupt: bool) {
        let gone = self.life().peer_gone;
        let close = self.reason().close_frame().filter(|_| !gone);
        let Some(close) = close else {
            self.wire.close().await;
            return;
        };
        let frame = close.encode();
        let written = if interrupt {
            self.wire.close_with(&frame).await
        } else {
            self.wire.write_frame(&frame).await.map(|()| true)
        };
        match written {
            Ok(true) => self.close_sent(&close),
            Ok(false) => {}
            Err(e) => self.write_failed(e),
        }
        self.wire.close().await;
    }

    /// How it ended, for `conn.closed`. The hub has no word for Go's
    /// `Conn.Close()` without a Close frame; it is reported as `write_failed`
    /// (abnormal), never `write_aborted`, which `wire.close` would take as an
    /// explanation of a cut frame.
    pub fn conn_end(&self) -> ConnEnd {
        let life = self.life();
        if life.write_failed {
            ConnEnd::WriteFailed
        } else if life.close_sent && life.peer_closed {
            ConnEnd::Clean
        } else if life.close_sent {
            ConnEnd::Unanswered
        } else if life.peer_gone || life.peer_closed {
            ConnEnd::PeerGone
        } else {
            ConnEnd::WriteFailed
        }
    }
}
