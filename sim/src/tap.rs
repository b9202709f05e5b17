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

use crate::agent::AnchorLog;
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
    /// Lifecycle events anchored world steps wait for.
    pub anchors: AnchorLog,
    /// Simulated time of the last byte moved or connection opened anywhere.
    pub last_activity: Duration,
    /// The run is over: teardown (dropping hosts closes streams) records nothing.
    pub frozen: bool,
    /// The server's incarnation: one more after each crash or bounce of its host.
    pub server_incarnation: u64,
    /// What the server's current incarnation still has to do, by its events.
    pub server_work: ServerWork,
}

/// Work the server has announced and not finished, from its hub-schema events
/// (`source == "hub"`; a server without them never has any): connections accepted
/// but neither registered nor rejected, and connections between `shutdown.begun`
/// and `conn.closed`. Kept up to date by the trace layer, event by event, so the
/// driver asks it every tick for the price of an `is_empty`. A crash or bounce of
/// the server's host ends it all.
#[derive(Clone, Debug, Default)]
pub(crate) struct ServerWork {
    /// Server conn -> when it was accepted, until registered, rejected or ending.
    pub handshaking: BTreeMap<u64, Duration>,
    /// Server conn -> its `shutdown.begun`, until `conn.closed`.
    pub closing: BTreeMap<u64, Duration>,
}

impl ServerWork {
    /// Nothing left to wait for.
    pub fn idle(&self) -> bool {
        self.handshaking.is_empty() && self.closing.is_empty()
    }

    /// Takes note of one server event (`conn` is its `conn` field).
    pub fn event(&mut self, name: &str, conn: u64, at: Duration) {
        match name {
            "conn.accepted" => {
                self.handshaking.insert(conn, at);
            }
            "conn.registered" | "handshake.rejected" => {
                self.handshaking.remove(&conn);
            }
            "shutdown.begun" => {
                self.handshaking.remove(&conn);
                self.closing.entry(conn).or_insert(at);
            }
            "conn.closed" => {
                self.handshaking.remove(&conn);
                self.closing.remove(&conn);
            }
            _ => {}
        }
    }

    /// One line per connection still waited for, for the run's pending list.
    pub fn pending(&self) -> Vec<String> {
        let secs = crate::oracle::secs;
        let hs = self.handshaking.iter().map(|(n, at)| {
            format!(
                "server conn {n}: accepted at {}, neither registered nor rejected (handshake pending)",
                secs(*at)
            )
        });
        let cl = self.closing.iter().map(|(n, at)| {
            format!(
                "server conn {n}: shutdown.begun at {}, no conn.closed yet (close handshake or write pending)",
                secs(*at)
            )
        });
        hs.chain(cl).collect()
    }
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
                        server_incarnation: 0,
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
    /// address that has no number yet, numbered by the current incarnation.
    pub fn note_server_conn(&self, peer: &str, server_conn: u64) {
        let mut st = self.lock();
        let incarnation = st.server_incarnation;
        let State { slots, by_addr, .. } = &mut *st;
        if let Some(ix) = by_addr.get(peer) {
            if let Some(&i) = ix
                .iter()
                .rev()
                .find(|&&i| slots[i].server_joined && slots[i].rec.server_conn.is_none())
            {
                slots[i].rec.server_conn = Some(server_conn);
                slots[i].rec.server_incarnation = incarnation;
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
        if side == Side::Server {
            let State { slots, anchors, .. } = &mut *st;
            let rec = &slots[id as usize - 1].rec;
            anchors.server_wrote(id, &rec.agent, &rec.s2c.written, &rec.s2c.writes, at);
        }
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

    /// A hub-schema event from the server (see [`ServerWork`]).
    pub fn server_event(&self, name: &str, conn: u64) {
        let at = now();
        let mut st = self.lock();
        if !st.frozen {
            st.server_work.event(name, conn, at);
        }
    }

    pub fn fault(&self, at: Duration, kind: &str, conns: Vec<u64>, hosts: Vec<String>) {
        let mut st = self.lock();
        if st.frozen {
            return;
        }
        // The oracles count incarnations the same way, from the trace's `fault` events.
        if matches!(kind, "crash" | "bounce") && hosts.iter().any(|h| h == crate::server::HOST) {
            st.server_incarnation += 1;
            st.server_work = ServerWork::default();
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

#[cfg(test)]
mod tests {
    use super::ServerWork;
    use std::time::Duration;

    #[test]
    fn server_work_follows_handshakes_and_shutdowns() {
        let ms = Duration::from_millis;
        let mut w = ServerWork::default();
        assert!(w.idle());
        // A hold during the upgrade: accepted, nothing more.
        w.event("conn.accepted", 1, ms(100));
        w.event("conn.accepted", 2, ms(200));
        w.event("conn.registered", 2, ms(210));
        assert!(!w.idle());
        assert_eq!(
            w.pending(),
            ["server conn 1: accepted at 0.100000s, neither registered nor rejected (handshake pending)"]
        );
        w.event("handshake.rejected", 1, ms(10_100));
        assert!(w.idle());
        // Registered connections are idle; a shutdown is work until conn.closed.
        w.event("heartbeat", 2, ms(300));
        w.event("shutdown.begun", 2, ms(310));
        w.event("close.sent", 2, ms(320));
        assert!(!w.idle());
        assert!(w.pending()[0].starts_with("server conn 2: shutdown.begun at 0.310000s"));
        w.event("conn.closed", 2, ms(5_320));
        assert!(w.idle());
        // Shut down during the hub's own shutdown, never registered.
        w.event("conn.accepted", 3, ms(400));
        w.event("shutdown.begun", 3, ms(410));
        assert_eq!(w.pending().len(), 1);
        w.event("conn.closed", 3, ms(420));
        assert!(w.idle());
    }
}
