//! agent id -> the agent's current connection.
//!
//! A `BTreeMap`, so every walk over it (snapshots, hub shutdown) has one order. The
//! lock is a plain mutex held for map operations only, never across an await.
//! Registry events (`conn.registered`, `conn.replaced`) are emitted under the lock,
//! so their order in the trace is the order the map changed.
//!
//! Generic over what a connection's entry is, so other hub designs (the zoo) keep
//! their registry exactly as the hub does and differ only in what they do with a
//! replaced connection.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use crate::events::emit;
use crate::{AgentId, ConnId};

/// What the registry holds per agent: a cheap handle to one connection.
pub trait Entry: Clone {
    /// The connection's number.
    fn conn(&self) -> ConnId;
    /// The agent it belongs to.
    fn agent(&self) -> &AgentId;
}

/// Returned by [`Registry::register`] once hub shutdown has begun: the
/// connection was not registered and should be ended as part of the shutdown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShuttingDown;

/// agent -> current connection, with compare-and-remove cleanup.
#[derive(Debug)]
pub struct Registry<E> {
    inner: Mutex<Inner<E>>,
}

#[derive(Debug)]
struct Inner<E> {
    agents: BTreeMap<AgentId, E>,
    /// Set once by hub shutdown; after it nothing registers and no task starts.
    shutting_down: bool,
}

impl<E> Default for Registry<E> {
    fn default() -> Self {
        Registry {
            inner: Mutex::new(Inner {
                agents: BTreeMap::new(),
                shutting_down: false,
            }),
        }
    }
}

impl<E: Entry> Registry<E> {
    fn lock(&self) -> MutexGuard<'_, Inner<E>> {
        // A panic elsewhere while holding the lock leaves the map consistent (every
        // critical section is a single map operation), so keep going.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Makes `entry` the agent's connection and returns the one it replaced, which
    /// the caller must end. During hub shutdown nothing is registered.
    pub fn register(&self, entry: &E) -> Result<Option<E>, ShuttingDown> {
        let mut inner = self.lock();
        if inner.shutting_down {
            return Err(ShuttingDown);
        }
        let (conn, agent) = (entry.conn(), entry.agent());
        let old = inner.agents.insert(agent.clone(), entry.clone());
        emit!(
            info,
            "conn.registered",
            conn = conn.get(),
            agent = agent.as_str()
        );
        if let Some(old) = &old {
            emit!(
                info,
                "conn.replaced",
                conn = old.conn().get(),
                agent = agent.as_str(),
                by = conn.get()
            );
        }
        Ok(old)
    }

    /// Compare-and-remove: drops the agent's entry only if it still is `entry`'s
    /// connection, so an old connection's cleanup never removes its replacement.
    pub fn unregister(&self, entry: &E) -> bool {
        let mut inner = self.lock();
        let agent = entry.agent();
        if inner
            .agents
            .get(agent)
            .is_some_and(|e| e.conn() == entry.conn())
        {
            inner.agents.remove(agent);
            true
        } else {
            false
        }
    }

    /// The agent's current connection.
    pub fn get(&self, agent: &str) -> Option<E> {
        self.lock().agents.get(agent).cloned()
    }

    /// Each agent with its current connection, in agent order.
    pub fn snapshot(&self) -> BTreeMap<AgentId, ConnId> {
        self.lock()
            .agents
            .iter()
            .map(|(a, e)| (a.clone(), e.conn()))
            .collect()
    }

    /// Runs `f` unless the hub is shutting down; the check and `f` are atomic with
    /// respect to [`begin_shutdown`](Self::begin_shutdown).
    pub fn unless_shutting_down<T>(&self, f: impl FnOnce() -> T) -> Option<T> {
        let inner = self.lock();
        (!inner.shutting_down).then(f)
    }

    /// Marks the hub as shutting down. The first call returns every registered
    /// connection (in agent order); later calls return `None`.
    pub fn begin_shutdown(&self) -> Option<Vec<E>> {
        let mut inner = self.lock();
        if inner.shutting_down {
            return None;
        }
        inner.shutting_down = true;
        Some(inner.agents.values().cloned().collect())
    }
}
