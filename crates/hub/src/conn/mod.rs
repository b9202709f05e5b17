//! One connection, from accept to `conn.closed`.
//!
//! [`run`] is the connection's supervisor task. It performs the handshake, registers
//! the agent, then spawns exactly two tasks and joins both:
//!
//! - the **reader** ([`reader`]) reads and checks the agent's frames, answers
//!   heartbeats by queueing replies, and notices EOF, errors and the heartbeat
//!   deadline;
//! - the **writer** ([`writer`]) is the only code that writes to the transport. It
//!   takes frames from a bounded queue and, once the end is decided, writes the
//!   Close frame at a frame boundary and shuts the transport.
//!
//! Anything that decides the connection ends calls
//! [`ConnState::begin_shutdown`]; nobody else touches the stream. Only after both
//! tasks are joined does the supervisor remove the registry entry (if it is still
//! this connection's) and emit `conn.closed`.

pub(crate) mod heartbeat;
pub(crate) mod inbound;
mod reader;
pub(crate) mod state;
mod writer;

use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tracing::Instrument;

use crate::events::{emit, task_span};
use crate::hub::Shared;
use crate::registry::{Entry, ShuttingDown};
use crate::{handshake, AgentId, ConnEnd, ConnId, Message, ShutdownReason};
use state::ConnState;

/// Something for the writer to put on the wire.
#[derive(Debug)]
pub(crate) enum Outbound {
    /// Answer to the agent's Ping, same payload.
    Pong(Vec<u8>),
    /// A push from [`Hub::send`](crate::Hub::send) or a JSON heartbeat reply.
    Message(Message),
}

impl Outbound {
    fn opcode(&self) -> u8 {
        match self {
            Outbound::Pong(_) => wsrace_frame::opcode::PONG,
            Outbound::Message(m) => m.opcode(),
        }
    }

    fn payload(&self) -> &[u8] {
        match self {
            Outbound::Pong(p) => p,
            Outbound::Message(m) => m.payload(),
        }
    }
}

/// Why [`ConnHandle::enqueue`] did not queue an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EnqueueError {
    /// The end is decided; nothing more is accepted.
    Closing,
    /// The queue was full; the connection is now closing as a slow consumer.
    Full,
}

/// What the registry and the reader hold: the connection's state and the sending
/// end of its writer's queue.
#[derive(Clone, Debug)]
pub(crate) struct ConnHandle {
    pub state: Arc<ConnState>,
    queue: mpsc::Sender<Outbound>,
}

impl Entry for ConnHandle {
    fn conn(&self) -> ConnId {
        self.state.id
    }
    fn agent(&self) -> &AgentId {
        &self.state.agent
    }
}

impl ConnHandle {
    /// Queues a frame without waiting. A full queue means the agent is not reading:
    /// waiting would let memory (or the caller) stall behind it, so the connection
    /// is closed instead.
    pub fn enqueue(&self, item: Outbound) -> Result<(), EnqueueError> {
        if !self.state.is_open() {
            return Err(EnqueueError::Closing);
        }
        match self.queue.try_send(item) {
            Ok(()) => Ok(()),
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.state.begin_shutdown(ShutdownReason::SlowConsumer);
                Err(EnqueueError::Full)
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(EnqueueError::Closing),
        }
    }
}

/// The supervisor: everything that happens to one accepted stream.
pub(crate) async fn run<S>(hub: Arc<Shared>, id: ConnId, mut stream: S, peer: String)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    emit!(info, "conn.accepted", conn = id.get(), peer = peer.as_str());
    let mut stop = hub.stopping();
    let upgraded = match handshake::accept(&mut stream, &hub.tokens, &hub.config, &mut stop).await {
        Ok(up) => up,
        Err(rejected) => {
            emit!(
                info,
                "handshake.rejected",
                conn = id.get(),
                peer = peer.as_str(),
                reason = rejected.why.as_str(),
                status = rejected.status
            );
            return;
        }
    };

    let (tx, rx) = mpsc::channel(hub.config.queue_capacity());
    let state = Arc::new(ConnState::new(id, upgraded.agent));
    let handle = ConnHandle {
        state: state.clone(),
        queue: tx,
    };
    // Registers, replacing the agent's older connection; or, if the hub is
    // shutting down, starts closing at once so this agent too gets its Close 1001.
    match hub.registry.register(&handle) {
        Ok(Some(old)) => {
            old.state
                .begin_shutdown(ShutdownReason::Replaced { by: id });
        }
        Ok(None) => {}
        Err(ShuttingDown) => {
            handle.state.begin_shutdown(ShutdownReason::HubShutdown);
        }
    }

    let (rd, wr) = tokio::io::split(stream);
    let writer = tokio::spawn(
        writer::run(wr, rx, state.clone(), hub.config.clone())
            .instrument(task_span(id.get(), "writer")),
    );
    let reader = tokio::spawn(
        reader::run(rd, upgraded.leftover, handle.clone(), hub.config.clone())
            .instrument(task_span(id.get(), "reader")),
    );

    // A writer task can only fail by panicking (a bug); count that as a failed write
    // so the reader is released and the registry still cleaned.
    let end = writer.await.unwrap_or(ConnEnd::WriteFailed);
    let reason = state.ended(end);
    // The reader stops once the state is Ended, so this join is bounded.
    let _ = reader.await;
    hub.registry.unregister(&handle);
    emit!(
        info,
        "conn.closed",
        conn = id.get(),
        agent = state.agent.as_str(),
        reason = reason.as_str(),
        end = end.as_str()
    );
}
