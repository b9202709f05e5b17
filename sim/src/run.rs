//! The driver: one run of one scenario with one seed, from an empty world to a
//! [`RunRecord`].
//!
//! It steps turmoil tick by tick (never `run()`, which only knows about
//! clients), applies the scenario's world steps between ticks, and stops at
//! quiescence (every script done, every world step applied, no byte moved for
//! longer than anything can be in flight, and the server, by its hub-schema
//! events, neither handshaking nor closing a connection) or at the scenario's
//! limit, when it lists what was still pending. A panic in a host becomes the
//! end of the run, not a crash of the caller. Seeds are printed by the callers
//! (the CLI, test failures), not here: a search runs thousands.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing_subscriber::layer::SubscriberExt;
use turmoil::Sim;

use crate::agent::{token_for, Board};
use crate::record::{Bounds, Push, RunEnd, RunRecord};
use crate::scenario::{AnchoredStep, Scenario, WorldAction, WorldStep};
use crate::server::{ServerFactory, ServerSetup, SimServer};
use crate::tap::{ChaosStats, Recorder};
use crate::trace::{self, sim_event, Collected, SimLayer};
use crate::world::TaskProbe;

/// A finished run: the record the oracles judge, its trace as text and hash,
/// and what the chaos transport did.
#[derive(Clone, Debug)]
pub struct RunOutcome {
    pub record: RunRecord,
    pub trace_text: String,
    pub trace_hash: u64,
    pub chaos: ChaosStats,
    /// turmoil steps taken.
    pub steps: u64,
}

/// Runs `scenario` once against a fresh server from `server`, with `seed`.
/// Equal inputs give an equal record and trace, byte for byte.
pub fn run_once(scenario: &Scenario, server: &dyn ServerFactory, seed: u64) -> RunOutcome {
    // Constant per build, which is the point: a wrong build must not run at all.
    #[allow(clippy::assertions_on_constants)]
    {
        assert!(
            cfg!(tokio_unstable),
            "wsrace-sim must be built with RUSTFLAGS containing `--cfg tokio_unstable` \
         (set in .cargo/config.toml; an environment RUSTFLAGS replaces it): without it \
         tokio's select! order is OS-random and a seed does not replay"
        );
    }
    // `count` expanded: from here on every agent is one entry.
    let expanded;
    let scenario = if scenario.agents.iter().any(|a| a.count.is_some()) {
        expanded = Scenario {
            agents: scenario.expanded_agents(),
            ..scenario.clone()
        };
        &expanded
    } else {
        scenario
    };

    let rec = Recorder::default();
    let out = Arc::new(Mutex::new(Collected::default()));
    let layer = SimLayer {
        out: out.clone(),
        rec: rec.clone(),
    };
    let subscriber = tracing_subscriber::registry().with(layer);
    let setup = ServerSetup {
        tokens: scenario
            .agents
            .iter()
            .map(|a| (a.name.clone(), token_for(&a.name)))
            .collect(),
        hub: scenario.hub.clone(),
    };
    let instance = server.build(&setup);

    let (end, steps, registry, extra_tasks) = tracing::subscriber::with_default(subscriber, || {
        let board: Board = Rc::new(RefCell::new(BTreeMap::new()));
        let probe = TaskProbe::default();
        let mut sim = crate::world::build(scenario, seed, instance.clone(), &rec, &board, &probe);
        let mut driver = Driver {
            scenario,
            rec: &rec,
            out: &out,
            server: &*instance,
            board: &board,
            pushes: 0,
        };
        sim_event!(
            "sim",
            "sim.start",
            scenario = scenario.name.as_str(),
            server = server.name().as_str(),
            seed
        );
        let (end, steps) = driver.drive(&mut sim);
        let registry = instance.registry();
        // A crashed server has no runtime left to ask.
        let extra_tasks = if sim.is_host_running(crate::server::HOST) {
            crate::world::extra_tasks(&probe)
        } else {
            None
        };
        lock(&out).frozen = true;
        rec.lock().frozen = true;
        drop(sim);
        (end, steps, registry, extra_tasks)
    });

    let mut collected = std::mem::take(&mut *lock(&out));
    let conns = rec.conns();
    let st = std::mem::take(&mut *rec.lock());
    let tick = Duration::from_millis(scenario.tick_ms.max(1));
    let max_latency = Duration::from_millis(scenario.max_latency_ms);
    let record = RunRecord {
        scenario: scenario.name.clone(),
        server: server.name(),
        seed,
        trace: std::mem::take(&mut collected.events),
        conns,
        faults: st.faults,
        pushes: st.pushes,
        received_pushes: st.received_pushes,
        registry_at_end: registry,
        extra_tasks_at_end: extra_tasks,
        bounds: Bounds {
            heartbeat_timeout: Duration::from_millis(scenario.hub.heartbeat_timeout_ms),
            write_deadline: Duration::from_millis(scenario.hub.write_deadline_ms),
            close_deadline: Duration::from_millis(scenario.hub.close_deadline_ms),
            slack: 4 * tick + 2 * max_latency + scenario.chaos.max_delay(),
        },
        end,
    };
    let trace_text = trace::text(&record.trace);
    RunOutcome {
        trace_hash: trace::hash(&trace_text),
        trace_text,
        chaos: st.stats,
        record,
        steps,
    }
}

fn lock(out: &Mutex<Collected>) -> std::sync::MutexGuard<'_, Collected> {
    out.lock().unwrap_or_else(|e| e.into_inner())
}

/// An anchored step during a run: `due` is `(event time, event + delay)` once
/// its event has happened.
struct Anchored<'s> {
    step: &'s AnchoredStep,
    due: Option<(Duration, Duration)>,
    applied: bool,
}

struct Driver<'r> {
    scenario: &'r Scenario,
    rec: &'r Recorder,
    out: &'r Arc<Mutex<Collected>>,
    server: &'r dyn SimServer,
    board: &'r Board,
    pushes: u64,
}

impl Driver<'_> {
    fn drive(&mut self, sim: &mut Sim<'_>) -> (RunEnd, u64) {
        let limit = Duration::from_millis(self.scenario.limit_ms);
        let tick = Duration::from_millis(self.scenario.tick_ms.max(1));
        // Longer than any byte can be in flight or held back by the chaos transport.
        let quiet = Duration::from_millis(self.scenario.max_latency_ms)
            + self.scenario.chaos.max_delay()
            + 3 * tick
            + Duration::from_millis(200);
        let mut world: Vec<&WorldStep> = self.scenario.steps.iter().collect();
        world.sort_by_key(|s| s.at_ms); // stable: equal times keep file order
        let mut next = 0;
        let mut anchored: Vec<Anchored<'_>> = self
            .scenario
            .anchored
            .iter()
            .map(|step| Anchored {
                step,
                due: None,
                applied: false,
            })
            .collect();
        let mut steps = 0u64;
        let mut failure: Option<String> = None;
        let quiescent = loop {
            let now = sim.elapsed();
            lock(self.out).driver_now = now;
            while next < world.len() && Duration::from_millis(world[next].at_ms) <= now {
                self.apply(sim, &world[next].action, now);
                next += 1;
            }
            // Anchored steps whose event has happened, at the first tick
            // boundary at or after event + delay, in file order.
            for a in anchored.iter_mut().filter(|a| !a.applied) {
                let Some((event_at, due)) = a.due else {
                    continue;
                };
                if due <= now {
                    a.applied = true;
                    let what = a.step.action.describe();
                    let trigger = a.step.trigger.describe();
                    sim_event!(
                        "sim",
                        "sim.anchored",
                        step = what.as_str(),
                        trigger = trigger.as_str(),
                        event_at = secs(event_at).as_str()
                    );
                    self.apply(sim, &a.step.action, now);
                }
            }
            match catch_unwind(AssertUnwindSafe(|| sim.step())) {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    failure = Some(format!("a host failed: {e}"));
                    break false;
                }
                Err(panic) => {
                    let msg = panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_else(|| "non-string panic".to_owned());
                    failure = Some(format!("a host panicked: {msg}"));
                    break false;
                }
            }
            steps += 1;
            let now = sim.elapsed();
            if anchored.iter().any(|a| a.due.is_none()) {
                let st = self.rec.lock();
                for a in anchored.iter_mut().filter(|a| a.due.is_none()) {
                    if let (_, Some(at)) = st.anchors.progress(&a.step.trigger) {
                        a.due = Some((at, at + Duration::from_millis(a.step.delay_ms)));
                    }
                }
            }
            let scripts_done = self.board.borrow().values().all(|s| s.done)
                && self.board.borrow().len() == self.scenario.agents.len();
            if scripts_done
                && next == world.len()
                && anchored.iter().all(|a| a.applied)
                && now.saturating_sub(self.rec.lock().last_activity) >= quiet
                && self.rec.lock().server_work.idle()
            {
                break true;
            }
            if now >= limit {
                break false;
            }
        };
        let at = sim.elapsed();
        lock(self.out).driver_now = at;
        let mut pending = Vec::new();
        if !quiescent {
            if let Some(f) = failure {
                pending.push(format!("sim: {f}"));
            }
            pending.extend(self.pending(&world[next..], &anchored));
        }
        sim_event!(
            "sim",
            "sim.end",
            quiescent,
            pending = pending.len() as u64,
            steps
        );
        (
            RunEnd {
                at,
                quiescent,
                pending,
            },
            steps,
        )
    }

    fn pending(&self, world: &[&WorldStep], anchored: &[Anchored<'_>]) -> Vec<String> {
        let mut out = Vec::new();
        for spec in &self.scenario.agents {
            match self.board.borrow().get(&spec.name) {
                Some(s) if s.done => {}
                Some(s) => out.push(format!(
                    "agent {}: {} since {}",
                    spec.name,
                    s.doing,
                    secs(s.since)
                )),
                None => out.push(format!("agent {}: never started", spec.name)),
            }
        }
        for (id, agent, addr) in self.rec.open_conns() {
            out.push(format!("conn #{id} (agent {agent}, {addr}): still open"));
        }
        out.extend(self.rec.lock().server_work.pending());
        for s in world {
            out.push(format!(
                "world step at {}: {:?} not applied",
                secs(Duration::from_millis(s.at_ms)),
                s.action
            ));
        }
        for a in anchored.iter().filter(|a| !a.applied) {
            let trigger = &a.step.trigger;
            let what = a.step.action.describe();
            let state = match a.due {
                Some((_, due)) => format!("due at {}, not applied", secs(due)),
                None => {
                    let (seen, _) = self.rec.lock().anchors.progress(trigger);
                    let anchor = trigger.anchor();
                    format!(
                        "waiting for {}'s {} {} ({seen} so far)",
                        anchor.agent,
                        crate::scenario::ordinal(anchor.nth),
                        anchor.event.name()
                    )
                }
            };
            out.push(format!(
                "world step `{what}` {}: {state}",
                trigger.describe()
            ));
        }
        out
    }

    fn apply(&mut self, sim: &mut Sim<'_>, action: &WorldAction, now: Duration) {
        // A world step starts work (a push to write, a link to cut): the quiet
        // period before quiescence counts from it, not from the last byte before.
        self.rec.lock().last_activity = now;
        let fault = |kind: &str, hosts: &[&String]| {
            self.rec.fault(
                now,
                kind,
                Vec::new(),
                hosts.iter().map(|h| (*h).clone()).collect(),
            );
            let hosts = hosts
                .iter()
                .map(|h| h.as_str())
                .collect::<Vec<_>>()
                .join(",");
            sim_event!("fault", "fault", kind, hosts = hosts.as_str());
        };
        match action {
            WorldAction::Push { agent } => {
                self.pushes += 1;
                let payload = format!(r#"{{"type":"push","seq":{}}}"#, self.pushes);
                let result = self.server.send(agent, &payload);
                let accepted = result.is_ok();
                let error = result.err().unwrap_or_default();
                sim_event!(
                    "sim",
                    "sim.push",
                    agent = agent.as_str(),
                    seq = self.pushes,
                    accepted,
                    error = error.as_str()
                );
                self.rec.lock().pushes.push(Push {
                    at: now,
                    agent: agent.clone(),
                    seq: self.pushes,
                    payload,
                    accepted,
                });
            }
            WorldAction::Partition { a, b } => {
                sim.partition(a.as_str(), b.as_str());
                fault("partition", &[a, b]);
            }
            WorldAction::Repair { a, b } => {
                sim.repair(a.as_str(), b.as_str());
                fault("repair", &[a, b]);
            }
            WorldAction::Hold { a, b } => {
                sim.hold(a.as_str(), b.as_str());
                fault("hold", &[a, b]);
            }
            WorldAction::Release { a, b } => {
                sim.release(a.as_str(), b.as_str());
                fault("release", &[a, b]);
            }
            WorldAction::Latency { a, b, ms } => {
                sim.set_link_latency(a.as_str(), b.as_str(), Duration::from_millis(*ms));
                fault("latency", &[a, b]);
            }
            WorldAction::Crash { host } => {
                sim.crash(host.as_str());
                fault("crash", &[host]);
            }
            WorldAction::Bounce { host } => {
                sim.bounce(host.as_str());
                fault("bounce", &[host]);
            }
            WorldAction::Shutdown => {
                let result = self.server.shutdown();
                let accepted = result.is_ok();
                let error = result.err().unwrap_or_default();
                sim_event!("sim", "sim.shutdown", accepted, error = error.as_str());
            }
        }
    }
}

/// `12.345678s`, as the oracles print times.
fn secs(d: Duration) -> String {
    format!("{}.{:06}s", d.as_secs(), d.subsec_micros())
}
