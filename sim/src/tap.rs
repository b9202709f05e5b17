//! The recorder: every byte on every connection, both ends, with who wrote it.
//!
//! The two ends of a connection meet here by address: the agent knows its
//! stream's local address, the server's listener sees the same string as the
//! peer. Whichever end arrives first opens the connection's slot; the other
//! joins the newest slot for that address it has not joined yet, so a port that
//! turmoil hands out again later still gets a fresh slot.
//!
//! Shared behind `Arc<Mutex>` because server streams must be `Send`; everything
//! runs on one thread, so the lock is never contended.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::record::{ConnRecord, Fault, Push, ReaderEnd, Tap, WriteSpan};

/// Counts of what the chaos transport did, for tests and benchmarks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChaosStats {
    pub short_writes: u64,
    pub pending_writes: u64,
    pub stalls: u64,
    pub coalesced_reads: u64,
    pub split_reads: u64,
    pub read_errors: u64,
    pub resets: u64,
}

/// Which end of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Agent,
    Server,
}

struct Slot {
    rec: ConnRecord,
    addr: String,
    agent_joined: bool,
    server_joined: bool,
}

#[derive(Default)]
pub(crate) struct State {
    slots: Vec<Slot>,
    by_addr: BTreeMap<String, Vec<usize>>,
    pub faults: Vec<Fault>,
    pub pushes: Vec<Push>,
    pub received_pushes: BTreeMap<String, Vec<String>>,
    pub stats: ChaosStats,
    /// Simulated time of the last byte moved or connection opened anywhere.
    pub last_activity: Duration,
    /// The run is over: teardown (dropping hosts closes streams) records nothing.
    pub frozen: bool,
}

impl State {
    /// Connection `id`'s record, unless the run is over.
    fn slot(&mut self, id: u64) -> Option<&mut ConnRecord> {
        if self.frozen {
            return None;
        }
        self.slots.get_mut(id as usize - 1).map(|s| &mut s.rec)
    }
}

/// Cheap handle to the run's recorder.
#[derive(Clone, Default)]
pub(crate) struct Recorder(Arc<Mutex<State>>);

/// Simulated time as the calling host sees it (zero outside a step).
pub(crate) fn now() -> Duration {
    turmoil::sim_elapsed().unwrap_or_default()
}

impl Recorder {
    pub fn lock(&self) -> MutexGuard<'_, State> {
        // One thread drives a run, so the lock is never contended: a busy lock
        // means it was re-entered, which would deadlock. Fail loudly instead.
        match self.0.try_lock() {
            Ok(g) => g,
            // A panic while holding it is already a failed run; keep recording.
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {
                panic!("recorder lock re-entered (a bug in wsrace-sim)")
            }
        }
    }

    /// Joins (or opens) the slot for `addr` from `side`; returns the harness id.
    /// The agent's side says who it is: `(agent, host)`.
    pub fn join(&self, addr: &str, side: Side, agent: Option<(&str, &str)>) -> u64 {
        let at = now();
        let mut st = self.lock();
        st.last_activity = at;
        let free = st.by_addr.get(addr).and_then(|ix| {
            ix.iter().rev().copied().find(|&i| {
                let s = &st.slots[i];
                match side {
                    Side::Agent => !s.agent_joined,
                    Side::Server => !s.server_joined,
                }
            })
        });
        let i = match free {
            Some(i) => i,
            None => {
                let i = st.slots.len();
                st.slots.push(Slot {
                    rec: ConnRecord {
                        id: i as u64 + 1,
                        agent: String::new(),
                        host: String::new(),
                        server_conn: None,
                        opened_at: at,
                        s2c: Tap::default(),
                        c2s: Tap::default(),
                        agent_initiated_close: false,
                        upgraded: false,
                    },
                    addr: addr.to_owned(),
                    agent_joined: false,
                    server_joined: false,
                });
                st.by_addr.entry(addr.to_owned()).or_default().push(i);
                i
            }
        };
        let slot = &mut st.slots[i];
        match side {
            Side::Agent => slot.agent_joined = true,
            Side::Server => slot.server_joined = true,
        }
        if let Some((agent, host)) = agent {
            slot.rec.agent = agent.to_owned();
            slot.rec.host = host.to_owned();
        }
        slot.rec.id
    }

    /// Runs `f` on connection `id`'s record.
    pub fn conn(&self, id: u64, f: impl FnOnce(&mut ConnRecord)) {
        if let Some(rec) = self.lock().slot(id) {
            f(rec);
        }
    }

    /// The server announced its own number for the stream from `peer`
    /// (`conn.accepted`): it belongs to the newest server-joined slot of that
    /// address that has no number yet.
    pub fn note_server_conn(&self, peer: &str, server_conn: u64) {
        let mut st = self.lock();
        let State { slots, by_addr, .. } = &mut *st;
        if let Some(ix) = by_addr.get(peer) {
            if let Some(&i) = ix
                .iter()
                .rev()
                .find(|&&i| slots[i].server_joined && slots[i].rec.server_conn.is_none())
            {
                slots[i].rec.server_conn = Some(server_conn);
            }
        }
    }

    /// Bytes that left `side` on connection `id`.
    pub fn wrote(&self, id: u64, side: Side, bytes: &[u8], writer: &str) {
        if bytes.is_empty() {
            return;
        }
        let at = now();
        let mut st = self.lock();
        st.last_activity = at;
        let Some(rec) = st.slot(id) else { return };
        let tap = match side {
            Side::Server => &mut rec.s2c,
            Side::Agent => &mut rec.c2s,
        };
        let start = tap.written.len() as u64;
        tap.written.extend_from_slice(bytes);
        // Consecutive writes by the same writer stay separate spans: where one
        // write ended is exactly what a torn-frame report needs to show.
        tap.writes.push(WriteSpan {
            start,
            end: start + bytes.len() as u64,
            at,
            writer: writer.to_owned(),
        });
    }

    /// Bytes that `side` read from connection `id`.
    pub fn received(&self, id: u64, side: Side, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let at = now();
        let mut st = self.lock();
        st.last_activity = at;
        let Some(rec) = st.slot(id) else { return };
        match side {
            Side::Server => rec.c2s.received.extend_from_slice(bytes),
            Side::Agent => rec.s2c.received.extend_from_slice(bytes),
        }
    }

    /// How `side`'s reading of connection `id` ended; the first end sticks.
    pub fn reader_end(&self, id: u64, side: Side, end: ReaderEnd) {
        let at = now();
        let mut st = self.lock();
        st.last_activity = at;
        let Some(rec) = st.slot(id) else { return };
        let tap = match side {
            Side::Server => &mut rec.c2s,
            Side::Agent => &mut rec.s2c,
        };
        if tap.reader_end == ReaderEnd::StillOpen {
            tap.reader_end = end;
            tap.ended_at = Some(at);
        }
    }

    pub fn fault(&self, at: Duration, kind: &str, conns: Vec<u64>, hosts: Vec<String>) {
        let mut st = self.lock();
        if st.frozen {
            return;
        }
        st.faults.push(Fault {
            at,
            kind: kind.to_owned(),
            conns,
            hosts,
        });
    }

    /// All connection records, in id order.
    pub fn conns(&self) -> Vec<ConnRecord> {
        self.lock().slots.iter().map(|s| s.rec.clone()).collect()
    }

    /// Connections whose two readers have not both ended, with their address.
    pub fn open_conns(&self) -> Vec<(u64, String, String)> {
        self.lock()
            .slots
            .iter()
            .filter(|s| {
                s.rec.s2c.reader_end == ReaderEnd::StillOpen
                    || (s.server_joined && s.rec.c2s.reader_end == ReaderEnd::StillOpen)
            })
            .map(|s| (s.rec.id, s.rec.agent.clone(), s.addr.clone()))
            .collect()
    }
}
