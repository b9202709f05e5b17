//! The public handle: serve a listener, push messages, look at the registry, shut
//! down.

use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tracing::Instrument;

use crate::conn::ConnHandle;
use crate::conn::{self, EnqueueError, Outbound};
use crate::events::{emit, task_span};
use crate::registry::Registry;
use crate::{AgentId, Config, ConnId, Listener, Message, ShutdownReason, Tokens};

/// Pause after an accept error that is not about one connection (e.g. out of file
/// descriptors), so the accept loop does not spin while nothing can change.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The agent hub. Cheap to clone; clones share everything.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use wsrace_hub::{Config, Hub, Tokens};
/// let hub = Hub::new(Config::default(), Tokens::load("tokens.txt")?);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
/// let server = tokio::spawn({
///     let hub = hub.clone();
///     async move { hub.serve(listener).await }
/// });
/// hub.send("agent-1", "hello")?; // fails unless agent-1 is connected
/// hub.shutdown().await; // every agent gets Close 1001; all tasks joined
/// server.await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Hub {
    shared: Arc<Shared>,
}

/// Why [`Hub::send`] did not accept a message. The message is not sent in any case.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The agent has no connection. Send again after it (re)connects, or give up.
    #[error("agent {agent} is not connected")]
    NotConnected {
        /// The agent asked for.
        agent: String,
    },
    /// The agent's connection is closing (timeout, replacement, ...). Its next
    /// connection, if any, will be a new registry entry; send again then.
    #[error("agent {agent}'s connection is closing")]
    Closing {
        /// The agent asked for.
        agent: String,
    },
    /// The outbound queue was full: the agent does not read what it is sent. The
    /// connection is now being closed (slow consumer, Close 1008); the agent
    /// should reconnect and the caller resend what it still needs delivered.
    #[error("agent {agent} is not reading: outbound queue full, connection closed")]
    QueueFull {
        /// The agent asked for.
        agent: String,
    },
}

/// What every connection task shares with the hub.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: Config,
    pub tokens: Tokens,
    pub registry: Registry<ConnHandle>,
    next_conn: AtomicU64,
    /// Becomes true once, at hub shutdown; stops accept loops and handshakes.
    stop: watch::Sender<bool>,
    /// Live connection tasks; shutdown waits for zero.
    tasks: watch::Sender<usize>,
}

impl Shared {
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }
}

/// Counts one connection task; dropped (even by a panic) when the task ends.
struct TaskGuard(Arc<Shared>);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        self.0.tasks.send_modify(|n| *n -= 1);
    }
}

impl Hub {
    /// A hub that accepts the agents in `tokens`. It serves nothing until
    /// [`serve`](Self::serve) is given a listener.
    pub fn new(config: Config, tokens: Tokens) -> Hub {
        Hub {
            shared: Arc::new(Shared {
                config,
                tokens,
                registry: Registry::default(),
                next_conn: AtomicU64::new(0),
                stop: watch::Sender::new(false),
                tasks: watch::Sender::new(0),
            }),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Accepts connections from `listener` until [`shutdown`](Self::shutdown), each
    /// in its own task. Several listeners may be served at once. Returns when the
    /// hub shuts down (at once if it already has); connections it started keep
    /// running until closed and are joined by `shutdown`, not by this.
    pub async fn serve<L: Listener>(&self, mut listener: L) {
        let mut stop = self.shared.stopping();
        loop {
            let accepted = tokio::select! {
                biased;
                _ = stop.wait_for(|stopping| *stopping) => return,
                accepted = listener.accept() => accepted,
            };
            match accepted {
                Ok((stream, peer)) => self.spawn_connection(stream, peer),
                Err(error) => {
                    emit!(warn, "accept.failed", error = %error);
                    if !is_about_one_connection(&error) {
                        tokio::select! {
                            biased;
                            _ = stop.wait_for(|stopping| *stopping) => return,
                            () = tokio::time::sleep(ACCEPT_BACKOFF) => {}
                        }
                    }
                }
            }
        }
    }

    fn spawn_connection<S>(&self, stream: S, peer: String)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let shared = &self.shared;
        // Counted under the registry lock, so once shutdown has begun no task can
        // start behind its back.
        let guard = shared.registry.unless_shutting_down(|| {
            shared.tasks.send_modify(|n| *n += 1);
            TaskGuard(shared.clone())
        });
        let Some(guard) = guard else {
            return; // shutting down: the stream is dropped unanswered
        };
        let id = ConnId::new(shared.next_conn.fetch_add(1, Ordering::Relaxed) + 1);
        let shared = shared.clone();
        tokio::spawn(
            async move {
                let _guard = guard;
                conn::run(shared, id, stream, peer).await;
            }
            .instrument(task_span(id.get(), "supervisor")),
        );
    }

    /// Queues `message` for `agent`'s connection without waiting.
    ///
    /// Accepted messages are written in order, at most once: a message still queued
    /// when the connection closes is dropped. A full queue closes the connection as
    /// a slow consumer (see [`SendError::QueueFull`]), so memory per agent stays
    /// bounded by [`Config::outbound_queue`].
    pub fn send(
        &self,
        agent: impl AsRef<str>,
        message: impl Into<Message>,
    ) -> Result<(), SendError> {
        let agent = agent.as_ref();
        let handle = self
            .shared
            .registry
            .get(agent)
            .ok_or_else(|| SendError::NotConnected {
                agent: agent.to_owned(),
            })?;
        handle
            .enqueue(Outbound::Message(message.into()))
            .map_err(|e| match e {
                EnqueueError::Closing => SendError::Closing {
                    agent: agent.to_owned(),
                },
                EnqueueError::Full => SendError::QueueFull {
                    agent: agent.to_owned(),
                },
            })
    }

    /// A snapshot of the registry: each agent with its current connection (which
    /// may already be closing), in agent order.
    pub fn agents(&self) -> BTreeMap<AgentId, ConnId> {
        self.shared.registry.snapshot()
    }

    /// Stops accepting, sends every connection `Shutdown(HubShutdown)` (Close 1001
    /// "going away"), and returns once every connection task has been joined.
    /// Connections still in their handshake are dropped without a response.
    ///
    /// Bounded: each connection needs at most about two `write_deadline`s and one
    /// `close_deadline`. Safe to call more than once or concurrently; every call
    /// waits for the same end.
    pub async fn shutdown(&self) {
        let first = match self.shared.registry.begin_shutdown() {
            Some(handles) => {
                emit!(info, "hub.shutdown.begun", agents = handles.len() as u64);
                self.shared.stop.send_replace(true);
                for handle in handles {
                    handle.state.begin_shutdown(ShutdownReason::HubShutdown);
                }
                true
            }
            None => false,
        };
        let mut tasks = self.shared.tasks.subscribe();
        let _ = tasks.wait_for(|live| *live == 0).await;
        if first {
            emit!(info, "hub.shutdown.done");
        }
    }
}

/// Accept errors that concern only the connection being accepted; the next accept
/// may well succeed at once.
fn is_about_one_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    )
}
