//! `hub.tasks`: no task outlives its connection.
//!
//! - Nothing the server says about a connection comes after that connection's
//!   `conn.closed` (the hub joins both tasks before emitting it, so a later event
//!   means a task was still running).
//! - When the run is quiescent and no connection is open, the server host has no
//!   tasks beyond those it had before the first connection (`extra_tasks_at_end`,
//!   skipped when the runtime cannot count them). A connection is open, with hub
//!   events, from `conn.accepted` to `conn.closed` or `handshake.rejected` (and
//!   only the last server incarnation's count: a bounce ended the others);
//!   without, while its agent sees it open or cannot tell (it stopped reading
//!   for good).
//!
//! Connections are `HubConn`s: a bounced server numbers them from 1 again.

use std::collections::BTreeSet;

use crate::record::RunRecord;

use super::facts::{
    agent_sees_open, agent_stopped_reading, harness_id, has_hub_events, hub_conn_events,
    last_incarnation, name_server_conn, HubConn,
};
use super::{id, Finding, Oracle};

/// See the module doc.
pub struct HubTasks;

impl Oracle for HubTasks {
    fn id(&self) -> &'static str {
        id::HUB_TASKS
    }

    fn check(&self, run: &RunRecord) -> Vec<Finding> {
        let mut out = events_after_close(run);
        out.extend(extra_tasks(run));
        out
    }
}

fn events_after_close(run: &RunRecord) -> Vec<Finding> {
    let mut closed = BTreeSet::<HubConn>::new();
    let mut reported = BTreeSet::new();
    let mut out = Vec::new();
    for (n, e) in hub_conn_events(run) {
        if closed.contains(&n) {
            if reported.insert(n) {
                let summary = format!(
                    "{} emitted {} after its conn.closed: a task outlived the connection",
                    name_server_conn(run, n),
                    e.name
                );
                out.push(Finding::new(
                    id::HUB_TASKS,
                    harness_id(run, n),
                    Some(e.at),
                    summary,
                ));
            }
        } else if e.name == "conn.closed" {
            closed.insert(n);
        }
    }
    out
}

fn extra_tasks(run: &RunRecord) -> Option<Finding> {
    let extra = run.extra_tasks_at_end.filter(|&n| n > 0)?;
    if !run.end.quiescent || open_conns(run) > 0 {
        return None;
    }
    let summary =
        format!("{extra} task(s) still alive on the server at the end, with no connection open");
    Some(Finding::new(id::HUB_TASKS, None, Some(run.end.at), summary))
}

fn open_conns(run: &RunRecord) -> usize {
    if !has_hub_events(run) {
        return run
            .conns
            .iter()
            .filter(|c| agent_sees_open(c) || agent_stopped_reading(c))
            .count();
    }
    let (last, _) = last_incarnation(run);
    let mut open = BTreeSet::new();
    for (n, e) in hub_conn_events(run).filter(|(n, _)| n.0 == last) {
        match e.name.as_str() {
            "conn.accepted" => {
                open.insert(n);
            }
            "conn.closed" | "handshake.rejected" => {
                open.remove(&n);
            }
            _ => {}
        }
    }
    open.len()
}
