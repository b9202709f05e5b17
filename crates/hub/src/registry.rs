//! agent id -> the agent's current connection.
//!
//! A `BTreeMap`, so every walk over it (snapshots, hub shutdown) has one order. The
//! lock is a plain mutex held for map operations only, never across an await.
//! Registry events (`conn.registered`, `conn.replaced`) are emitted under the lock,
//! so their order in the trace is the order the map changed.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use crate::conn::ConnHandle;
use crate::events::emit;
use crate::{AgentId, ConnId, ShutdownReason};

#[derive(Debug, Default)]
pub(crate) struct Registry {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    agents: BTreeMap<AgentId, ConnHandle>,
    /// Set once by hub shutdown; after it nothing registers and no task starts.
    shutting_down: bool,
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere while holding the lock leaves the map consistent (every
        // critical section is a single map operation), so keep going.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Makes `handle` the agent's connection; the previous one, if any, is told to
    /// shut down as replaced. During hub shutdown the new connection is not
    /// registered but told to shut down (so it, too, gets Close 1001).
    pub fn register(&self, handle: &ConnHandle) {
        let mut inner = self.lock();
        let (conn, agent) = (handle.id(), &handle.state.agent);
        if inner.shutting_down {
            drop(inner);
            handle.state.begin_shutdown(ShutdownReason::HubShutdown);
            return;
        }
        let old = inner.agents.insert(agent.clone(), handle.clone());
        emit!(
            info,
            "conn.registered",
            conn = conn.get(),
            agent = agent.as_str()
        );
        if let Some(old) = old {
            emit!(
                info,
                "conn.replaced",
                conn = old.id().get(),
                agent = agent.as_str(),
                by = conn.get()
            );
            old.state
                .begin_shutdown(ShutdownReason::Replaced { by: conn });
        }
    }

    /// Compare-and-remove: drops the agent's entry only if it still is `handle`'s
    /// connection, so an old connection's cleanup never removes its replacement.
    pub fn unregister(&self, handle: &ConnHandle) -> bool {
        let mut inner = self.lock();
        let agent = &handle.state.agent;
        if inner
            .agents
            .get(agent)
            .is_some_and(|h| h.id() == handle.id())
        {
            inner.agents.remove(agent);
            true
        } else {
            false
        }
    }

    pub fn get(&self, agent: &str) -> Option<ConnHandle> {
        self.lock().agents.get(agent).cloned()
    }

    pub fn snapshot(&self) -> BTreeMap<AgentId, ConnId> {
        self.lock()
            .agents
            .iter()
            .map(|(a, h)| (a.clone(), h.id()))
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
    pub fn begin_shutdown(&self) -> Option<Vec<ConnHandle>> {
        let mut inner = self.lock();
        if inner.shutting_down {
            return None;
        }
        inner.shutting_down = true;
        Some(inner.agents.values().cloned().collect())
    }
}
