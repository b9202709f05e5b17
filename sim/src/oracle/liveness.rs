//! `hub.liveness`: things that must happen do, within their bounds.
//!
//! From the hub's events, per connection, with `T = heartbeat_timeout` and
//! `S = slack` from [`Bounds`](crate::record::Bounds):
//! - a `heartbeat.timeout` fires within `[T, T + S]` of the connection's last
//!   `heartbeat` (or its `conn.registered` when it never had one);
//! - none is missed: a registered connection whose end is not yet decided is never
//!   silent for more than `T + S` (checked at its next heartbeat, at its
//!   `shutdown.begun`, and at the end of the run);
//! - every `shutdown.begun` reaches `conn.closed` within
//!   `3 * write_deadline + close_deadline + S`: the hub's writer may finish the
//!   frame in progress, write the Close frame and shut the transport, each under
//!   `write_deadline`, and waits `close_deadline` for the agent's answer.
//!
//! A crash or bounce of the server's host ends that server's clock: nothing more
//! is expected of its connections. After a bounce a new server numbers its
//! connections from 1 again and is judged on its own (connections are
//! `HubConn`s), until its own end. And whatever the server: the run must reach
//! quiescence; if it did not, the finding lists what was pending.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::record::{RunRecord, TraceEvent};

use super::facts::{
    harness_id, hub_conn_events, name_server_conn, row, secs, HubConn, SERVER_HOST,
};
use super::{id, Finding, Oracle};

/// See the module doc.
pub struct HubLiveness;

impl Oracle for HubLiveness {
    fn id(&self) -> &'static str {
        id::HUB_LIVENESS
    }

    fn check(&self, run: &RunRecord) -> Vec<Finding> {
        let mut out = Walk::new(run).run();
        if !run.end.quiescent {
            let mut f = Finding::new(
                id::HUB_LIVENESS,
                None,
                Some(run.end.at),
                format!("the run did not reach quiescence by {}", secs(run.end.at)),
            );
            f.details = run.end.pending.iter().map(|p| row("pending", p)).collect();
            out.push(f);
        }
        out
    }
}

/// What the walk knows about one server connection.
#[derive(Default)]
struct Conn {
    /// Since when the heartbeat deadline runs: `None` before registration and
    /// once the end is decided.
    quiet_since: Option<Duration>,
    shutdown_at: Option<Duration>,
    closed: bool,
}

struct Walk<'a> {
    run: &'a RunRecord,
    conns: BTreeMap<HubConn, Conn>,
    /// When each server incarnation stopped being able to do anything (the
    /// crash or bounce of its host that ended it), in order; the last one runs
    /// to the end of the run.
    downs: Vec<Duration>,
    out: Vec<Finding>,
}

impl<'a> Walk<'a> {
    fn new(run: &'a RunRecord) -> Self {
        let mut downs: Vec<Duration> = run
            .faults
            .iter()
            .filter(|f| matches!(f.kind.as_str(), "crash" | "bounce"))
            .filter(|f| f.hosts.iter().any(|h| h == SERVER_HOST))
            .map(|f| f.at)
            .collect();
        downs.sort();
        Walk {
            run,
            conns: BTreeMap::new(),
            downs,
            out: Vec::new(),
        }
    }

    /// The end of incarnation `inc`'s clock.
    fn horizon(&self, inc: u64) -> Duration {
        let end = self.run.end.at;
        usize::try_from(inc)
            .ok()
            .and_then(|i| self.downs.get(i))
            .map_or(end, |d| (*d).min(end))
    }

    fn run(mut self) -> Vec<Finding> {
        let run = self.run;
        for (n, e) in hub_conn_events(run) {
            if e.at > self.horizon(n.0) {
                continue;
            }
            match e.name.as_str() {
                "conn.registered" => self.conns.entry(n).or_default().quiet_since = Some(e.at),
                "heartbeat" => {
                    self.missed(n, e.at);
                    if let Some(c) = self.conns.get_mut(&n) {
                        c.quiet_since = c.quiet_since.map(|_| e.at);
                    }
                }
                "heartbeat.timeout" => self.timeout(n, e),
                "shutdown.begun" => {
                    self.missed(n, e.at);
                    let c = self.conns.entry(n).or_default();
                    c.quiet_since = None;
                    c.shutdown_at.get_or_insert(e.at);
                }
                "conn.closed" => self.closed(n, e.at),
                _ => {}
            }
        }
        let ns: Vec<HubConn> = self.conns.keys().copied().collect();
        for n in ns {
            self.missed(n, self.horizon(n.0));
            self.unfinished(n);
        }
        self.out
    }

    fn bound(&self) -> Duration {
        let b = &self.run.bounds;
        b.heartbeat_timeout + b.slack
    }

    fn push(&mut self, n: HubConn, at: Duration, summary: String) {
        self.out.push(Finding::new(
            id::HUB_LIVENESS,
            harness_id(self.run, n),
            Some(at),
            summary,
        ));
    }

    /// At `now` the connection has been quiet longer than the timeout allows.
    fn missed(&mut self, n: HubConn, now: Duration) {
        let Some(since) = self.conns.get(&n).and_then(|c| c.quiet_since) else {
            return;
        };
        if now.saturating_sub(since) <= self.bound() {
            return;
        }
        let summary = format!(
            "{} missed its heartbeat timeout: quiet since {}, no timeout by {} (limit {} + slack {})",
            name_server_conn(self.run, n),
            secs(since),
            secs(since + self.bound()),
            secs(self.run.bounds.heartbeat_timeout),
            secs(self.run.bounds.slack),
        );
        // Each caller then restarts or stops the deadline: one report per silence.
        self.push(n, since + self.bound(), summary);
    }

    fn timeout(&mut self, n: HubConn, e: &TraceEvent) {
        let Some(since) = self.conns.get(&n).and_then(|c| c.quiet_since) else {
            let summary = format!(
                "{} reported a heartbeat timeout while not registered or already ending",
                name_server_conn(self.run, n)
            );
            return self.push(n, e.at, summary);
        };
        let quiet = e.at.saturating_sub(since);
        let t = self.run.bounds.heartbeat_timeout;
        if quiet < t || quiet > self.bound() {
            let summary = format!(
                "{} timed out after {} of silence (since {}); expected within [{}, {}]",
                name_server_conn(self.run, n),
                secs(quiet),
                secs(since),
                secs(t),
                secs(self.bound())
            );
            self.push(n, e.at, summary);
        }
        if let Some(c) = self.conns.get_mut(&n) {
            c.quiet_since = None;
        }
    }

    fn shutdown_bound(&self) -> Duration {
        let b = &self.run.bounds;
        b.write_deadline * 3 + b.close_deadline + b.slack
    }

    fn closed(&mut self, n: HubConn, at: Duration) {
        let c = self.conns.entry(n).or_default();
        c.closed = true;
        c.quiet_since = None;
        let Some(begun) = c.shutdown_at else { return };
        if at.saturating_sub(begun) > self.shutdown_bound() {
            let summary = format!(
                "{} took {} from shutdown.begun to conn.closed (bound {})",
                name_server_conn(self.run, n),
                secs(at - begun),
                secs(self.shutdown_bound())
            );
            self.push(n, at, summary);
        }
    }

    /// A shutdown that never completed although its bound passed before the end.
    fn unfinished(&mut self, n: HubConn) {
        let Some(c) = self.conns.get(&n) else { return };
        let Some(begun) = c.shutdown_at.filter(|_| !c.closed) else {
            return;
        };
        let due = begun + self.shutdown_bound();
        if self.horizon(n.0) > due {
            let summary = format!(
                "{} began shutting down at {} and was not closed by {} (bound {})",
                name_server_conn(self.run, n),
                secs(begun),
                secs(due),
                secs(self.shutdown_bound())
            );
            self.push(n, due, summary);
        }
    }
}
