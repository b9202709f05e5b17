//! `hub.delivery`: what `send` accepted arrives in order, at most once.
//!
//! Per agent, the pushes it received must be a subsequence of the pushes the
//! server accepted for it, in acceptance order: nothing twice, nothing that was
//! never accepted, nothing overtaking on the same connection. Order is a
//! per-connection promise: across a reconnect, a push the old connection was
//! already writing (a frame is never cut short) may land after a later push on
//! the new one, and the agent reads both at once, so no server can promise
//! more without holding the new connection back. And, when the run is quiescent (nothing
//! left in flight), every accepted push whose connection stayed open to the end
//! arrived. A push's connection is the agent's connection registered strictly
//! before it was asked for (`conn.registered`, of the server incarnation it
//! belongs to; without hub events, the latest upgraded connection opened
//! strictly before); at equal times the push may have raced a reconnect and is
//! not required. Nor is a push on a connection whose agent stopped reading for
//! good and left bytes unread (it may be among them), or read every byte but
//! cannot see whether the server ended the connection (a server that reports
//! neither `shutdown.begun` nor `conn.closed` for it still owes the push), whose
//! server was since crashed or
//! bounced (the push died with it), or that a fault could have cut (a partition
//! or hold of its link, say: turmoil never retransmits, so bytes lost or held
//! there never arrive, while the agent may well go on seeing the stream open).

use std::collections::{BTreeMap, BTreeSet};

use wsrace_frame::opcode;

use crate::record::{ConnRecord, Push, RunRecord, Way};

use super::facts::{
    agent_blind, agent_sees_open, agent_stopped_reading, conn_by_server, explaining_fault,
    has_hub_events, hub_conn_events, last_incarnation, row, secs,
};
use super::scan;
use super::{id, Finding, Oracle};

/// See the module doc.
pub struct HubDelivery;

impl Oracle for HubDelivery {
    fn id(&self) -> &'static str {
        id::HUB_DELIVERY
    }

    fn check(&self, run: &RunRecord) -> Vec<Finding> {
        let mut agents: BTreeSet<&str> = run.pushes.iter().map(|p| p.agent.as_str()).collect();
        agents.extend(run.received_pushes.keys().map(String::as_str));
        agents
            .into_iter()
            .flat_map(|a| check_agent(run, a))
            .collect()
    }
}

fn check_agent(run: &RunRecord, agent: &str) -> Vec<Finding> {
    let accepted: Vec<&Push> = run
        .pushes
        .iter()
        .filter(|p| p.agent == agent && p.accepted)
        .collect();
    let received = run
        .received_pushes
        .get(agent)
        .map_or(&[][..], Vec::as_slice);
    let arrived_on = arrival_conns(run, agent);
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    // Index into `accepted` just past the latest push that arrived, overall
    // and per connection.
    let mut next = 0;
    let mut next_on: BTreeMap<u64, usize> = BTreeMap::new();
    for (i, payload) in received.iter().enumerate() {
        let problem = if !seen.insert(payload.as_str()) {
            Some(format!("push {payload:?} arrived twice (received #{i})"))
        } else {
            match accepted.iter().position(|p| p.payload == *payload) {
                None if run.pushes.iter().any(|p| p.payload == *payload) => Some(format!(
                    "push {payload:?} arrived although send rejected it"
                )),
                None => Some(format!("push {payload:?} arrived but was never sent")),
                Some(k) => {
                    // Bound by what arrived before on the same connection; a
                    // push whose connection is unknown is bound by everything.
                    let conn = arrived_on.get(payload.as_bytes()).copied();
                    let bound = conn.map_or(next, |c| next_on.get(&c).copied().unwrap_or(0));
                    if k < bound {
                        Some(format!(
                            "push {payload:?} arrived after {:?}, which was accepted later (out of order)",
                            accepted[bound - 1].payload
                        ))
                    } else {
                        next = next.max(k + 1);
                        if let Some(c) = conn {
                            next_on.insert(c, k + 1);
                        }
                        None
                    }
                }
            }
        };
        if let Some(summary) = problem {
            let mut f = Finding::new(
                id::HUB_DELIVERY,
                None,
                None,
                format!("agent {agent}: {summary}"),
            );
            f.details = row(
                "accepted",
                &list(accepted.iter().map(|p| p.payload.as_str())),
            ) + &row("received", &list(received.iter().map(String::as_str)));
            out.push(f);
        }
    }
    if run.end.quiescent {
        out.extend(missing(run, agent, &accepted, &seen));
    }
    out
}

/// Which connection each push arrived on, read from what the agent received
/// (pushes are single text frames starting `{"type":"push"`).
fn arrival_conns<'r>(run: &'r RunRecord, agent: &str) -> BTreeMap<&'r [u8], u64> {
    let mut on = BTreeMap::new();
    for conn in run.conns.iter().filter(|c| c.agent == agent) {
        let s = scan(&conn.s2c, Way::S2c);
        for f in s
            .frames
            .iter()
            .filter(|f| f.opcode == opcode::TEXT && f.fin)
        {
            let (start, end) = (f.payload_start() as usize, f.end() as usize);
            if let Some(payload) = s.bytes.get(start..end) {
                if payload.starts_with(br#"{"type":"push""#) {
                    on.entry(payload).or_insert(conn.id);
                }
            }
        }
    }
    on
}

/// Accepted pushes that should have arrived and did not.
fn missing(
    run: &RunRecord,
    agent: &str,
    accepted: &[&Push],
    seen: &BTreeSet<&str>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for p in accepted
        .iter()
        .filter(|p| !seen.contains(p.payload.as_str()))
    {
        let Some(conn) = target(run, agent, p) else {
            continue;
        };
        let latest = run.conns.iter().rfind(|c| c.agent == agent).map(|c| c.id);
        if latest != Some(conn.id) || !agent_sees_open(conn) || agent_blind(conn) {
            continue;
        }
        if agent_stopped_reading(conn) && !server_kept_open(run, conn) {
            continue;
        }
        if explaining_fault(run, conn, run.end.at).is_some() {
            continue;
        }
        if conn.server_conn.is_some() && conn.server_incarnation != last_incarnation(run).0 {
            continue;
        }
        let summary = format!(
            "agent {agent}: push {:?} accepted at {} never arrived, though conn #{} stayed open to the end",
            p.payload,
            secs(p.at),
            conn.id
        );
        out.push(Finding::new(
            id::HUB_DELIVERY,
            Some(conn.id),
            Some(p.at),
            summary,
        ));
    }
    out
}

/// Whether the server's events say it never began ending `conn` (false for a
/// server without hub events: nothing says).
fn server_kept_open(run: &RunRecord, conn: &ConnRecord) -> bool {
    let Some(n) = conn.server_conn.filter(|_| has_hub_events(run)) else {
        return false;
    };
    let key = (conn.server_incarnation, n);
    !hub_conn_events(run)
        .any(|(k, e)| k == key && matches!(e.name.as_str(), "shutdown.begun" | "conn.closed"))
}

/// The connection a push was sent on (see the module doc).
fn target<'a>(run: &'a RunRecord, agent: &str, p: &Push) -> Option<&'a ConnRecord> {
    if has_hub_events(run) {
        let n = hub_conn_events(run)
            .filter(|(_, e)| {
                e.name == "conn.registered" && e.field("agent") == Some(agent) && e.at < p.at
            })
            .map(|(n, _)| n)
            .last()?;
        return conn_by_server(run, n);
    }
    run.conns
        .iter()
        .rfind(|c| c.agent == agent && c.upgraded && c.opened_at < p.at)
}

fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<String> = items.map(|s| format!("{s:?}")).collect();
    if v.is_empty() {
        "(none)".to_owned()
    } else {
        v.join(", ")
    }
}
