//! [`ZooHub`]: the hub's public shape over a zoo design, so the simulation can
//! serve either. Accepting, numbering, the registry and shutdown work as in the
//! hub; what differs is inside each connection (`paths.rs`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tracing::Instrument;
use wsrace_hub::parts::Registry;
use wsrace_hub::{AgentId, Config, ConnId, Listener, Message, SendError, ShutdownReason, Tokens};

use crate::conn::{Outbound, Registered, ZooConn};
use crate::events::{emit, task_span};
use crate::paths::handle_cc_connection;
use crate::Design;

/// Pause after an accept error that is not about one connection, as the hub does.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// A hub built the way `design` says. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct ZooHub {
    shared: Arc<Shared>,
}

pub(crate) struct Shared {
    pub design: Design,
    pub config: Config,
    pub tokens: Tokens,
    /// The hub's own registry: the designs differ in how they close, not in
    /// who is registered.
    pub registry: Registry<Registered>,
    next_conn: AtomicU64,
    pub stop: watch::Sender<bool>,
    tasks: watch::Sender<usize>,
}

/// Counts one task; dropped (even by a panic) when it ends.
struct TaskGuard(Arc<Shared>);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        self.0.tasks.send_modify(|n| *n -= 1);
    }
}

impl ZooHub {
    /// A zoo hub of `design` accepting the agents in `tokens`.
    pub fn new(design: Design, config: Config, tokens: Tokens) -> ZooHub {
        ZooHub {
            shared: Arc::new(Shared {
                design,
                config,
                tokens,
                registry: Registry::default(),
                next_conn: AtomicU64::new(0),
                stop: watch::Sender::new(false),
                tasks: watch::Sender::new(0),
            }),
        }
    }

    /// The design it runs.
    pub fn design(&self) -> Design {
        self.shared.design
    }

    /// Accepts from `listener` until [`shutdown`](Self::shutdown), one
    /// `HandleCCConnection` task per connection.
    pub async fn serve<L: Listener>(&self, mut listener: L) {
        let mut stop = self.shared.stop.subscribe();
        loop {
            let accepted = tokio::select! {
                biased;
                _ = stop.wait_for(|s| *s) => return,
                accepted = listener.accept() => accepted,
            };
            match accepted {
                Ok((stream, peer)) => {
                    let Some(guard) = self.task_guard() else {
                        return;
                    };
                    let n = self.shared.next_conn.fetch_add(1, Ordering::Relaxed) + 1;
                    let shared = self.shared.clone();
                    let task = async move {
                        let _guard = guard;
                        handle_cc_connection(shared, ConnId::new(n), stream, peer).await;
                    };
                    tokio::spawn(task.instrument(task_span(n, "HandleCCConnection")));
                }
                Err(error) => {
                    emit!(warn, "accept.failed", error = %error);
                    tokio::select! {
                        biased;
                        _ = stop.wait_for(|s| *s) => return,
                        () = tokio::time::sleep(ACCEPT_BACKOFF) => {}
                    }
                }
            }
        }
    }

    /// Counts a new task, unless the hub is shutting down.
    fn task_guard(&self) -> Option<TaskGuard> {
        let shared = &self.shared;
        shared.registry.unless_shutting_down(|| {
            shared.tasks.send_modify(|n| *n += 1);
            TaskGuard(shared.clone())
        })
    }

    /// Queues `message` for `agent`'s writeLoop, as [`wsrace_hub::Hub::send`] does.
    pub fn send(
        &self,
        agent: impl AsRef<str>,
        message: impl Into<Message>,
    ) -> Result<(), SendError> {
        let agent = agent.as_ref();
        let who = || agent.to_owned();
        let conn = self
            .shared
            .registry
            .get(agent)
            .ok_or_else(|| SendError::NotConnected { agent: who() })?;
        if !conn.is_open() {
            return Err(SendError::Closing { agent: who() });
        }
        match conn.queue.try_send(Outbound::Message(message.into())) {
            Ok(()) => Ok(()),
            Err(tokio::sync::mpsc::error::TrySendError::Closed(_)) => {
                Err(SendError::Closing { agent: who() })
            }
            Err(tokio::sync::mpsc::error::TrySendError::Full(_)) => {
                self.spawn_closer(conn.0, ShutdownReason::SlowConsumer, "send");
                Err(SendError::QueueFull { agent: who() })
            }
        }
    }

    /// A snapshot of the registry, in agent order.
    pub fn agents(&self) -> BTreeMap<AgentId, ConnId> {
        self.shared.registry.snapshot()
    }

    /// Ends every connection the design's way (reason `hub_shutdown`) and
    /// returns once every task has ended.
    pub async fn shutdown(&self) {
        let first = match self.shared.registry.begin_shutdown() {
            Some(conns) => {
                emit!(info, "hub.shutdown.begun", agents = conns.len() as u64);
                self.shared.stop.send_replace(true);
                for conn in conns {
                    self.spawn_closer(conn.0, ShutdownReason::HubShutdown, "shutdown");
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

    /// Runs a closer in a task of its own (the caller must not sleep 100 ms).
    /// Outside a tokio runtime (`send` may be called from anywhere) the end is
    /// only decided and the writer told; writeLoop and the reader finish it.
    fn spawn_closer(&self, conn: Arc<ZooConn>, reason: ShutdownReason, role: &'static str) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            conn.decide(reason, || {});
            conn.cancel.send_replace(true);
            return;
        };
        let shared = self.shared.clone();
        shared.tasks.send_modify(|n| *n += 1);
        let guard = TaskGuard(shared);
        let span = task_span(conn.id.get(), role);
        runtime.spawn(
            async move {
                let _guard = guard;
                conn.end(reason).await;
            }
            .instrument(span),
        );
    }
}
