//! Scripted agents: each runs its [`AgentStep`]s in order on the host it is
//! assigned to, taps every byte it sends and receives, and reports on a shared
//! board what it is doing, so a run that does not settle can say what each
//! agent was still waiting for.

mod anchors;
mod conn;
mod wire;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::{sleep, timeout};
use wsrace_frame::opcode;

use crate::rng::SimRng;
use crate::scenario::{ordinal, AgentSpec, AgentStep, HeartbeatKind, Trigger};
use crate::tap::{now, Recorder};
use crate::trace::sim_event;
pub(crate) use anchors::{AnchorLog, Mark};
use conn::{Conn, Link, NET_DEADLINE};

/// What one agent is doing, for the liveness report.
#[derive(Clone, Debug, Default)]
pub(crate) struct Status {
    pub done: bool,
    pub doing: String,
    pub since: Duration,
}

/// Every agent's status, by name. The driver reads it between steps.
pub(crate) type Board = Rc<RefCell<BTreeMap<String, Status>>>;

/// The token an agent presents unless its spec names another.
pub fn token_for(agent: &str) -> String {
    format!("token-{agent}")
}

/// Runs the agents of one host, then keeps their connections alive (their
/// readers keep reading) until the host stops.
pub(crate) async fn run_host(specs: Vec<AgentSpec>, rec: Recorder, board: Board, rng: SimRng) {
    let mut tasks = Vec::new();
    for spec in specs {
        let link = Rc::new(Link {
            agent: spec.name.clone(),
            host: spec.host.clone(),
            label: format!("agent {}", spec.name),
            raw_label: format!("agent {} raw", spec.name),
            rec: rec.clone(),
            mask: RefCell::new(rng.fork(&spec.name)),
            notify: Notify::new(),
        });
        tasks.push(tokio::task::spawn_local(run_agent(
            spec,
            link,
            board.clone(),
        )));
    }
    for t in tasks {
        let _ = t.await;
    }
    std::future::pending::<()>().await;
}

fn describe(step: &AgentStep) -> String {
    match step {
        AgentStep::Connect => "connecting".into(),
        AgentStep::Heartbeat {
            every_ms,
            count,
            kind,
        } => {
            format!("heartbeating ({count} x {kind:?} every {every_ms} ms)")
        }
        AgentStep::Wait { ms } => format!("waiting {ms} ms"),
        AgentStep::SendText { .. } => "sending text".into(),
        AgentStep::SendRaw { .. } => "sending raw bytes".into(),
        AgentStep::StopReading => "stopping reading".into(),
        AgentStep::ResumeReading => "resuming reading".into(),
        AgentStep::Close { code } => {
            format!("closing ({code}), waiting for the server's Close and EOF")
        }
        AgentStep::Hangup => "hanging up".into(),
        AgentStep::AwaitPushes { count } => format!("waiting for {count} push(es)"),
        AgentStep::Await { .. } => "awaiting".into(),
    }
}

fn step_name(step: &AgentStep) -> &'static str {
    match step {
        AgentStep::Connect => "connect",
        AgentStep::Heartbeat { .. } => "heartbeat",
        AgentStep::Wait { .. } => "wait",
        AgentStep::SendText { .. } => "send_text",
        AgentStep::SendRaw { .. } => "send_raw",
        AgentStep::StopReading => "stop_reading",
        AgentStep::ResumeReading => "resume_reading",
        AgentStep::Close { .. } => "close",
        AgentStep::Hangup => "hangup",
        AgentStep::AwaitPushes { .. } => "await_pushes",
        AgentStep::Await { .. } => "await",
    }
}

async fn run_agent(spec: AgentSpec, link: Rc<Link>, board: Board) {
    let agent = spec.name.as_str();
    let token = spec.token.clone().unwrap_or_else(|| token_for(agent));
    // Older connections stay here, so their readers live on after a reconnect.
    let mut conns: Vec<Conn> = Vec::new();
    let mut seq: u64 = 0;
    let set = |doing: String| {
        board.borrow_mut().insert(
            agent.to_owned(),
            Status {
                done: false,
                doing,
                since: now(),
            },
        );
    };
    for step in &spec.script {
        set(describe(step));
        // The newest connection, live or not: the one the step acts on.
        let newest = conns.last().map(|c| c.id);
        match newest {
            Some(conn) => sim_event!("agent", "agent.step", agent, conn, step = step_name(step)),
            None => sim_event!("agent", "agent.step", agent, step = step_name(step)),
        }
        let live = conns.last().filter(|c| c.alive());
        let needs_conn = !matches!(
            step,
            AgentStep::Connect
                | AgentStep::Wait { .. }
                | AgentStep::AwaitPushes { .. }
                | AgentStep::Await { .. }
        );
        if needs_conn && live.is_none() {
            match newest {
                Some(conn) => sim_event!(
                    "agent",
                    "agent.no_connection",
                    agent,
                    conn,
                    step = step_name(step)
                ),
                None => sim_event!(
                    "agent",
                    "agent.no_connection",
                    agent,
                    step = step_name(step)
                ),
            }
            continue;
        }
        match step {
            AgentStep::Connect => {
                if let Some(c) = conn::open(&link, &token).await {
                    conns.push(c);
                }
            }
            AgentStep::Heartbeat {
                every_ms,
                count,
                kind,
            } => {
                let c = conns.last().expect("checked above");
                for i in 0..*count {
                    if !c.alive() {
                        sim_event!(
                            "agent",
                            "agent.heartbeats_stopped",
                            agent,
                            conn = c.id,
                            reason = "connection ended"
                        );
                        break;
                    }
                    seq += 1;
                    let ok = match kind {
                        HeartbeatKind::Ping => {
                            c.send(&link, opcode::PING, seq.to_string().as_bytes())
                                .await
                        }
                        HeartbeatKind::Json => {
                            let text = format!(r#"{{"type":"heartbeat","seq":{seq}}}"#);
                            c.send(&link, opcode::TEXT, text.as_bytes()).await
                        }
                    };
                    if !ok {
                        break;
                    }
                    link.note(Mark::Heartbeat);
                    if i + 1 < *count {
                        sleep(Duration::from_millis(*every_ms)).await;
                    }
                }
            }
            AgentStep::Wait { ms } => sleep(Duration::from_millis(*ms)).await,
            AgentStep::SendText { text } => {
                conns
                    .last()
                    .expect("checked")
                    .send(&link, opcode::TEXT, text.as_bytes())
                    .await;
            }
            AgentStep::SendRaw { bytes } => {
                conns.last().expect("checked").send_raw(&link, bytes).await;
            }
            AgentStep::StopReading => conns.last().expect("checked").set_reading(&link, false),
            AgentStep::ResumeReading => conns.last().expect("checked").set_reading(&link, true),
            AgentStep::Close { code } => {
                let c = conns.last_mut().expect("checked");
                c.close(&link, *code).await;
                let state = c.state.clone();
                let ended = timeout(NET_DEADLINE, async {
                    loop {
                        let woken = link.notify.notified();
                        if state.borrow().ended {
                            break;
                        }
                        woken.await;
                    }
                })
                .await;
                if ended.is_err() {
                    sim_event!("agent", "agent.close_timeout", agent, conn = c.id);
                    c.hang_up(&link);
                }
            }
            AgentStep::Hangup => conns.last_mut().expect("checked").hang_up(&link),
            AgentStep::AwaitPushes { count } => loop {
                let woken = link.notify.notified();
                let got = link
                    .rec
                    .lock()
                    .received_pushes
                    .get(agent)
                    .map_or(0, Vec::len);
                if got >= *count as usize {
                    break;
                }
                woken.await;
            },
            AgentStep::Await { .. } => {
                if let Some(trigger) = step.awaited(agent) {
                    await_event(&link, &trigger, &board).await;
                }
            }
        }
    }
    match conns.last() {
        Some(c) => sim_event!("agent", "agent.done", agent, conn = c.id),
        None => sim_event!("agent", "agent.done", agent),
    }
    board.borrow_mut().insert(
        agent.to_owned(),
        Status {
            done: true,
            doing: "done".into(),
            since: now(),
        },
    );
    // Keep the connections (and so their readers) alive.
    std::future::pending::<()>().await;
}

/// An `await` step: waits (in simulated time, woken by every anchor event
/// noted anywhere) until `trigger`'s moment has happened. If the log learned of
/// it later than this host's clock reads (the server's host runs a tick before
/// the agents' hosts do, so its clock is ahead within a tick), it then sleeps
/// until that moment: the next step never comes before the event was known.
/// Keeps the board's line current: `awaiting a1's 2nd push_write (1 so far)`.
async fn await_event(link: &Link, trigger: &Trigger, board: &Board) {
    let anchor = trigger.anchor();
    let agent = link.agent.as_str();
    let notify = link.rec.lock().anchors.notify.clone();
    let mut shown = None;
    let seen = loop {
        let woken = notify.notified();
        let (count, nth) = link.rec.lock().anchors.occurrence(trigger);
        if let Some(nth) = nth {
            break nth;
        }
        if shown != Some(count) {
            shown = Some(count);
            if let Some(status) = board.borrow_mut().get_mut(agent) {
                status.doing = format!(
                    "awaiting {}'s {} {} ({count} so far)",
                    anchor.agent,
                    ordinal(anchor.nth),
                    anchor.event.name()
                );
            }
        }
        woken.await;
    };
    let lag = seen.known.saturating_sub(now());
    if !lag.is_zero() {
        sleep(lag).await;
    }
    sim_event!(
        "agent",
        "agent.awaited",
        agent,
        of = anchor.agent.as_str(),
        awaited = anchor.event.name(),
        nth = anchor.nth,
        event_at = crate::oracle::secs(seen.at).as_str()
    );
}
