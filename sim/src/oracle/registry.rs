//! `hub.registry`: one live connection per agent, the newest wins a reconnect, and
//! at quiescence the server's registry is the set of agents still connected.
//!
//! Read from the hub's events (a server that emits none is skipped: there is no
//! registry to judge). A connection is *live* from its `conn.registered` until its
//! `conn.replaced`, `shutdown.begun` or `conn.closed`.
//!
//! - When B registers for an agent whose connection A is live, A must stop being
//!   live (normally `conn.replaced {conn: A, by: B}`, which the hub emits right
//!   after, under the same lock) before the next registration or the end of the
//!   trace; otherwise the agent had two live connections.
//! - `conn.replaced` must name the agent's newest registration as `by`.
//! - At quiescence, `registry_at_end` (when reported) must map exactly the agents
//!   whose latest connection the agent still sees open, each to that connection.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::record::{RunRecord, TraceEvent};

use super::facts::{
    agent_sees_open, harness_id, has_hub_events, hub_events, name_server_conn, row,
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
    old: u64,
    new: u64,
    at: Duration,
}

#[derive(Default)]
struct Walk {
    /// Server conn -> agent, for connections currently live.
    live: BTreeMap<u64, String>,
    /// Agent -> its newest registered server conn.
    newest: BTreeMap<String, u64>,
    pending: Vec<Pending>,
    out: Vec<Finding>,
}

impl Walk {
    fn run(mut self, run: &RunRecord) -> Vec<Finding> {
        for e in hub_events(run) {
            let Some(conn) = e.num("conn") else { continue };
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

    fn registered(&mut self, run: &RunRecord, e: &TraceEvent, conn: u64) {
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

    fn replaced(&mut self, run: &RunRecord, e: &TraceEvent, conn: u64) {
        let agent = e.field("agent").unwrap_or_default();
        let by = e.num("by");
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

    fn gone(&mut self, conn: u64) {
        self.live.remove(&conn);
        self.pending.retain(|p| p.old != conn);
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

/// The registry at quiescence against the agents' own view.
fn check_end(run: &RunRecord) -> Option<Finding> {
    let got = run.registry_at_end.as_ref().filter(|_| run.end.quiescent)?;
    // Each agent's latest connection, by connect order.
    let mut latest = BTreeMap::new();
    for c in &run.conns {
        latest.insert(c.agent.as_str(), c);
    }
    let want: BTreeMap<&str, Option<u64>> = latest
        .into_iter()
        .filter(|(_, c)| agent_sees_open(c))
        .map(|(a, c)| (a, c.server_conn))
        .collect();
    let same = want.len() == got.len()
        && want
            .iter()
            .all(|(a, n)| got.get(*a).is_some_and(|g| n.is_none_or(|n| n == *g)));
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
    let want_s = show(
        want.iter()
            .map(|(a, n)| (*a, n.map_or("?".to_owned(), |n| n.to_string())))
            .collect(),
    );
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
