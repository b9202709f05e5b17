//! `hub.registry`: one live connection per agent, the newest wins a reconnect, and
//! at quiescence the server's registry is the set of agents still connected.
//!
//! Read from the hub's events (a server that emits none is skipped: there is no
//! registry to judge). A connection is *live* from its `conn.registered` until its
//! `conn.replaced`, `shutdown.begun` or `conn.closed`, or until its server's
//! incarnation ends (a crash or bounce of the server's host; the next server
//! starts with an empty registry and numbers connections from 1 again, so
//! connections are `HubConn`s).
//!
//! - When B registers for an agent whose connection A is live, A must stop being
//!   live (normally `conn.replaced {conn: A, by: B}`, which the hub emits right
//!   after, under the same lock) before the next registration or the end of the
//!   trace; otherwise the agent had two live connections.
//! - `conn.replaced` must name the agent's newest registration as `by`.
//! - At quiescence, `registry_at_end` (when reported) must map exactly the agents
//!   whose latest connection the agent still sees open, each to that connection.
//!   A connection of an earlier incarnation is gone whatever its agent believes.
//!   An agent that cannot tell, because it stopped reading for good and cannot
//!   see the stream's end
//!   (`agent_stopped_reading`) or because
//!   a fault could have
//!   cut its connection (a partitioned agent never learns that the server timed
//!   it out; a server behind a partition never learns that its agent gave up),
//!   may have its entry (for that connection) or not. After a crash there is no
//!   server left to ask.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::record::{ConnRecord, RunRecord, TraceEvent};

use super::facts::{
    agent_sees_open, agent_stopped_reading, explaining_fault, harness_id, has_hub_events,
    hub_conn_events, last_incarnation, name_server_conn, row, HubConn,
};
use super::{id, Finding, Oracle};

/// See the module doc.
pub struct HubRegistry;

impl Oracle for HubRegistry {
    fn id(&self) -> &'static str {
        id::HUB_REGISTRY
    }

    fn check(&self, run: &RunRecord) -> Vec<Finding> {
        if !has_hub_events(run) {
            return Vec::new();
        }
        let mut out = Walk::default().run(run);
        out.extend(check_end(run));
        out
    }
}

/// A registration that made an agent's older live connection redundant.
struct Pending {
    agent: String,
    old: HubConn,
    new: HubConn,
    at: Duration,
}

#[derive(Default)]
struct Walk {
    /// The incarnation of the events so far.
    inc: u64,
    /// Server conn -> agent, for connections currently live.
    live: BTreeMap<HubConn, String>,
    /// Agent -> its newest registered server conn.
    newest: BTreeMap<String, HubConn>,
    pending: Vec<Pending>,
    out: Vec<Finding>,
}

impl Walk {
    fn run(mut self, run: &RunRecord) -> Vec<Finding> {
        for (conn, e) in hub_conn_events(run) {
            // A replacement is one decision: the old connection must stop being
            // live in the same instant the new one registers, not whenever it
            // happens to end later (a timeout would otherwise excuse it).
            self.flush_before(run, e.at);
            if conn.0 != self.inc {
                // A new server: the old one's connections died with it.
                self.flush(run);
                self.live.clear();
                self.newest.clear();
                self.inc = conn.0;
            }
            match e.name.as_str() {
                "conn.registered" => self.registered(run, e, conn),
                "conn.replaced" => self.replaced(run, e, conn),
                "shutdown.begun" | "conn.closed" => self.gone(conn),
                _ => {}
            }
        }
        self.flush(run);
        self.out
    }

    fn registered(&mut self, run: &RunRecord, e: &TraceEvent, conn: HubConn) {
        self.flush(run);
        let agent = e.field("agent").unwrap_or_default().to_owned();
        for (&old, a) in &self.live {
            if *a == agent {
                self.pending.push(Pending {
                    agent: agent.clone(),
                    old,
                    new: conn,
                    at: e.at,
                });
            }
        }
        self.newest.insert(agent.clone(), conn);
        self.live.insert(conn, agent);
    }

    fn replaced(&mut self, run: &RunRecord, e: &TraceEvent, conn: HubConn) {
        let agent = e.field("agent").unwrap_or_default();
        let by = e.num("by").map(|b| (conn.0, b));
        let newest = self.newest.get(agent).copied();
        if by != newest || by == Some(conn) {
            let summary = format!(
                "{} of agent {agent} was replaced by {}, but the agent's newest connection is {}",
                name_server_conn(run, conn),
                by.map_or("?".to_owned(), |b| name_server_conn(run, b)),
                newest.map_or("none".to_owned(), |n| name_server_conn(run, n)),
            );
            self.out.push(Finding::new(
                id::HUB_REGISTRY,
                harness_id(run, conn),
                Some(e.at),
                summary,
            ));
        }
        self.gone(conn);
    }

    fn gone(&mut self, conn: HubConn) {
        self.live.remove(&conn);
        self.pending.retain(|p| p.old != conn);
    }

    /// Registrations before `at` whose older connection is still live.
    fn flush_before(&mut self, run: &RunRecord, at: Duration) {
        if self.pending.iter().any(|p| p.at < at) {
            let (late, now): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending)
                .into_iter()
                .partition(|p| p.at < at);
            self.pending = late;
            self.flush(run);
            self.pending = now;
        }
    }

    /// Registrations whose older connection is still live: two live at once.
    fn flush(&mut self, run: &RunRecord) {
        for p in std::mem::take(&mut self.pending) {
            let summary = format!(
                "agent {} has two live connections: {} registered while {} was live, and the older was never replaced",
                p.agent,
                name_server_conn(run, p.new),
                name_server_conn(run, p.old),
            );
            self.out.push(Finding::new(
                id::HUB_REGISTRY,
                harness_id(run, p.old),
                Some(p.at),
                summary,
            ));
        }
    }
}

/// What the registry may hold for one agent at the end; an agent with no entry
/// in the expectation must have none in the registry.
enum Want {
    /// Exactly this connection (`None`: the harness never learned its number).
    Present(Option<u64>),
    /// No entry, or one of these connections.
    AnyOf(BTreeSet<u64>),
}

impl Want {
    fn admits(&self, got: Option<u64>) -> bool {
        match (self, got) {
            (Want::Present(n), Some(g)) => n.is_none_or(|n| n == g),
            (Want::Present(_), None) => false,
            (Want::AnyOf(set), Some(g)) => set.contains(&g),
            (Want::AnyOf(_), None) => true,
        }
    }

    fn show(&self) -> String {
        match self {
            Want::Present(n) => n.map_or("?".to_owned(), |n| n.to_string()),
            Want::AnyOf(set) => std::iter::once("none".to_owned())
                .chain(set.iter().map(u64::to_string))
                .collect::<Vec<_>>()
                .join(" or "),
        }
    }
}

/// The registry at quiescence against the agents' own view.
///
/// An agent's registered connection is its latest upgraded one, if it still sees
/// it open. A later connection whose upgrade failed does not replace it, unless
/// a fault could have lost the server's 101 (then the server may have registered
/// it). See the module doc for the agents that cannot tell.
fn check_end(run: &RunRecord) -> Option<Finding> {
    let got = run.registry_at_end.as_ref().filter(|_| run.end.quiescent)?;
    let (inc, crashed) = last_incarnation(run);
    if crashed {
        return None;
    }
    let unsure =
        |c: &ConnRecord| explaining_fault(run, c, run.end.at).is_some() || agent_stopped_reading(c);
    let current = |c: &ConnRecord| c.server_conn.is_none() || c.server_incarnation == inc;
    let mut by_agent: BTreeMap<&str, Vec<&ConnRecord>> = BTreeMap::new();
    for c in &run.conns {
        by_agent.entry(c.agent.as_str()).or_default().push(c);
    }
    let mut want: BTreeMap<&str, Want> = BTreeMap::new();
    for (agent, conns) in by_agent {
        let upgraded = conns.iter().rposition(|c| c.upgraded);
        let later = upgraded.map_or(0, |i| i + 1);
        // Failed upgrades the server may have registered all the same.
        let mut maybe: BTreeSet<u64> = conns[later..]
            .iter()
            .filter(|c| c.server_incarnation == inc && unsure(c))
            .filter_map(|c| c.server_conn)
            .collect();
        let last = upgraded.map(|i| conns[i]).filter(|c| current(c));
        let w = match last {
            Some(c) if agent_sees_open(c) && !unsure(c) && maybe.is_empty() => {
                Want::Present(c.server_conn)
            }
            Some(c) if agent_sees_open(c) || unsure(c) => {
                maybe.extend(c.server_conn);
                Want::AnyOf(maybe)
            }
            _ if maybe.is_empty() => continue,
            _ => Want::AnyOf(maybe),
        };
        want.insert(agent, w);
    }
    let same = want.iter().all(|(a, w)| w.admits(got.get(*a).copied()))
        && got.keys().all(|a| want.contains_key(a.as_str()));
    if same {
        return None;
    }
    let show = |m: Vec<(&str, String)>| -> String {
        let items: Vec<String> = m.into_iter().map(|(a, n)| format!("{a} -> {n}")).collect();
        if items.is_empty() {
            "(none)".to_owned()
        } else {
            items.join(", ")
        }
    };
    let want_s = show(want.iter().map(|(a, w)| (*a, w.show())).collect());
    let got_s = show(
        got.iter()
            .map(|(a, n)| (a.as_str(), n.to_string()))
            .collect(),
    );
    let mut f = Finding::new(
        id::HUB_REGISTRY,
        None,
        Some(run.end.at),
        "at quiescence the registry differs from the agents still connected".to_owned(),
    );
    f.details = row("expected", &want_s) + &row("got", &got_s);
    Some(f)
}
