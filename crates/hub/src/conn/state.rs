//! A connection's lifecycle as data. Every transition is a method here, so an illegal
//! one is a `match` arm you can read, and every transition emits its event.
//!
//! ```text
//!   Open --begin_shutdown--> Closing --close_sent--> CloseSent
//!     \                        |                        |
//!      `-----------------------+------- ended ----------+--> Ended
//! ```
//!
//! (The handshake happens before this state exists: a connection gets one only
//! once it is authenticated and about to be registered.)
//!
//! What the agent's side has done is tracked separately in [`Peer`], because it
//! changes independently: the agent may close first, or vanish while the hub is
//! still writing.

use tokio::sync::watch;

use crate::events::emit;
use crate::{AgentId, ConnEnd, ConnId, ShutdownReason};

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Lifecycle {
    /// Upgraded and registered; frames flow both ways.
    Open,
    /// The end is decided; the writer will stop at the next frame boundary.
    Closing { reason: ShutdownReason },
    /// The hub's Close frame is flushed; waiting for the agent's Close or EOF.
    CloseSent { reason: ShutdownReason },
    /// The writer is done (transport shut or abandoned). Terminal.
    Ended {
        reason: ShutdownReason,
        end: ConnEnd,
    },
}

impl Lifecycle {
    pub fn is_open(&self) -> bool {
        matches!(self, Lifecycle::Open)
    }

    pub fn is_ended(&self) -> bool {
        matches!(self, Lifecycle::Ended { .. })
    }

    pub fn reason(&self) -> Option<&ShutdownReason> {
        match self {
            Lifecycle::Open => None,
            Lifecycle::Closing { reason }
            | Lifecycle::CloseSent { reason }
            | Lifecycle::Ended { reason, .. } => Some(reason),
        }
    }
}

/// What the agent's side has done, as seen by the reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Peer {
    /// Still sending frames (or silent).
    Open,
    /// Its Close frame arrived.
    Closed,
    /// EOF or read error: it will send nothing more.
    Gone,
}

impl Peer {
    pub fn is_done(self) -> bool {
        !matches!(self, Peer::Open)
    }
}

/// The shared, watchable state of one connection.
#[derive(Debug)]
pub(crate) struct ConnState {
    pub id: ConnId,
    pub agent: AgentId,
    life: watch::Sender<Lifecycle>,
    peer: watch::Sender<Peer>,
}

impl ConnState {
    pub fn new(id: ConnId, agent: AgentId) -> Self {
        ConnState {
            id,
            agent,
            life: watch::Sender::new(Lifecycle::Open),
            peer: watch::Sender::new(Peer::Open),
        }
    }

    pub fn lifecycle(&self) -> watch::Receiver<Lifecycle> {
        self.life.subscribe()
    }

    pub fn peer(&self) -> watch::Receiver<Peer> {
        self.peer.subscribe()
    }

    pub fn is_open(&self) -> bool {
        self.life.borrow().is_open()
    }

    /// Decides that the connection ends. Returns false (and changes nothing) if the
    /// end was already decided: the first reason wins.
    pub fn begin_shutdown(&self, reason: ShutdownReason) -> bool {
        self.begin_shutdown_because(reason, || {})
    }

    /// [`begin_shutdown`](Self::begin_shutdown), calling `cause` first if this
    /// reason wins, so the event that explains the shutdown precedes `shutdown.begun`.
    ///
    /// Both events are emitted while the new state is not yet visible (under the
    /// watch's lock), so on a multi-threaded runtime too no event of the writer's
    /// reaction (`close.sent`, ...) can precede them in a log.
    pub fn begin_shutdown_because(&self, reason: ShutdownReason, cause: impl FnOnce()) -> bool {
        let (conn, agent) = (self.id.get(), self.agent.as_str());
        self.life.send_if_modified(|life| match life {
            Lifecycle::Open => {
                cause();
                emit!(
                    info,
                    "shutdown.begun",
                    conn,
                    agent,
                    reason = reason.as_str()
                );
                *life = Lifecycle::Closing { reason };
                true
            }
            Lifecycle::Closing { .. } | Lifecycle::CloseSent { .. } | Lifecycle::Ended { .. } => {
                false
            }
        })
    }

    /// The writer flushed the Close frame.
    pub fn close_sent(&self, code: u16, text: &str) {
        self.life.send_modify(|life| {
            *life = match std::mem::replace(life, Lifecycle::Open) {
                Lifecycle::Closing { reason } => Lifecycle::CloseSent { reason },
                // Only the writer calls this, once, after seeing Closing; keep
                // whatever else is there rather than invent a transition.
                other => other,
            }
        });
        emit!(
            info,
            "close.sent",
            conn = self.id.get(),
            code,
            reason = text
        );
    }

    /// The writer finished; wakes the reader, which then stops. Returns the reason
    /// the connection ended for. Calling it again keeps the first account.
    pub fn ended(&self, end: ConnEnd) -> ShutdownReason {
        let mut reason_out = ShutdownReason::HubShutdown;
        self.life.send_modify(|life| {
            let next = match std::mem::replace(life, Lifecycle::Open) {
                Lifecycle::Closing { reason } | Lifecycle::CloseSent { reason } => {
                    Lifecycle::Ended { reason, end }
                }
                done @ Lifecycle::Ended { .. } => done,
                // A writer leaves its loop only on Closing, so this means it died
                // (a panic: a bug). Record an abnormal end rather than panic again.
                Lifecycle::Open => Lifecycle::Ended {
                    reason: ShutdownReason::HubShutdown,
                    end: ConnEnd::WriteFailed,
                },
            };
            if let Some(r) = next.reason() {
                reason_out = r.clone();
            }
            *life = next;
        });
        reason_out
    }

    /// The agent's Close frame arrived.
    pub fn peer_closed(&self) {
        self.peer.send_if_modified(|p| {
            let changed = *p == Peer::Open;
            if changed {
                *p = Peer::Closed;
            }
            changed
        });
    }

    /// The agent will send nothing more (EOF, read error).
    pub fn peer_gone(&self) {
        self.peer.send_if_modified(|p| {
            let changed = *p == Peer::Open;
            if changed {
                *p = Peer::Gone;
            }
            changed
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> ConnState {
        ConnState::new(ConnId::new(1), AgentId::new("a1"))
    }

    #[test]
    fn the_first_shutdown_reason_wins() {
        let s = state();
        assert!(s.begin_shutdown(ShutdownReason::HeartbeatTimeout));
        assert!(!s.begin_shutdown(ShutdownReason::HubShutdown));
        assert_eq!(
            s.lifecycle().borrow().reason(),
            Some(&ShutdownReason::HeartbeatTimeout)
        );
    }

    #[test]
    fn ended_keeps_the_reason_and_the_first_end() {
        let s = state();
        s.begin_shutdown(ShutdownReason::SlowConsumer);
        s.close_sent(1008, "slow");
        assert_eq!(s.ended(ConnEnd::Unanswered), ShutdownReason::SlowConsumer);
        assert_eq!(s.ended(ConnEnd::WriteFailed), ShutdownReason::SlowConsumer);
        assert_eq!(
            *s.lifecycle().borrow(),
            Lifecycle::Ended {
                reason: ShutdownReason::SlowConsumer,
                end: ConnEnd::Unanswered
            }
        );
    }

    #[test]
    fn the_peer_state_records_only_its_first_change() {
        let s = state();
        s.peer_closed();
        s.peer_gone();
        assert_eq!(*s.peer().borrow(), Peer::Closed);
    }
}
