//! Building the turmoil world for one run: fixed epoch, the run's seed, the
//! scenario's tick and latency, host `hub` first (so it is bound before any
//! agent connects, and has the same IP in every run), then the agent hosts in
//! the order their agents are listed.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, UNIX_EPOCH};

use turmoil::net::TcpListener;
use turmoil::{Builder, Sim};

use crate::agent::{self, Board};
use crate::rng::SimRng;
use crate::scenario::{AgentSpec, Scenario};
use crate::server::{SimListener, SimServer, HOST, PORT};
use crate::tap::Recorder;

/// The server host's runtime, seen from inside it before its first accept, with
/// how many tasks were alive then. Set again by every incarnation (a bounce
/// starts a new runtime). The driver asks it at the end for tasks left over.
pub(crate) type TaskProbe = Rc<RefCell<Option<(tokio::runtime::Handle, usize)>>>;

/// Tasks alive on the server's runtime beyond those it had before its first
/// accept, if the probe is set. Only tasks on the runtime count: turmoil runs a
/// host's top-level future on a `LocalSet`, and `spawn_local`ed tasks are not
/// counted, so a server that spawns only locally always reports 0.
pub(crate) fn extra_tasks(probe: &TaskProbe) -> Option<usize> {
    let p = probe.borrow();
    let (handle, before) = p.as_ref()?;
    Some(handle.metrics().num_alive_tasks().saturating_sub(*before))
}

/// 2023-11-14T22:13:20Z. Only `since_epoch()` sees it; fixed so nothing varies.
const EPOCH_SECS: u64 = 1_700_000_000;

pub(crate) fn build<'a>(
    scenario: &Scenario,
    seed: u64,
    server: Rc<dyn SimServer>,
    rec: &Recorder,
    board: &Board,
    probe: &TaskProbe,
) -> Sim<'a> {
    let tick = Duration::from_millis(scenario.tick_ms.max(1));
    let min = Duration::from_millis(scenario.min_latency_ms);
    let max = Duration::from_millis(scenario.max_latency_ms.max(scenario.min_latency_ms));
    let mut sim = Builder::new()
        .rng_seed(seed)
        .epoch(UNIX_EPOCH + Duration::from_secs(EPOCH_SECS))
        .tick_duration(tick)
        // The driver enforces the scenario's limit itself and reports what was
        // pending; turmoil's own limit must never fire first.
        .simulation_duration(Duration::from_millis(scenario.limit_ms) + Duration::from_secs(3600))
        .min_message_latency(min)
        .max_message_latency(max)
        // Both the accept backlog and the per-direction segment credits: keep
        // turmoil's 64 (a reader that stops reading blocks the writer soon)
        // unless more agents than that may connect within one tick.
        .tcp_capacity(64.max(scenario.agents.len() * 2))
        .build();

    let root = SimRng::new(seed);
    let chaos_rng = root.fork("chaos");
    let chaos = scenario.chaos.clone();
    let hub_rec = rec.clone();
    let probe = probe.clone();
    sim.host(HOST, move || {
        let (server, rec, chaos, rng, probe) = (
            server.clone(),
            hub_rec.clone(),
            chaos.clone(),
            chaos_rng.clone(),
            probe.clone(),
        );
        async move {
            let listener = TcpListener::bind(("0.0.0.0", PORT)).await?;
            let handle = tokio::runtime::Handle::current();
            let before = handle.metrics().num_alive_tasks();
            *probe.borrow_mut() = Some((handle, before));
            server
                .serve(SimListener::new(listener, rec, chaos, rng))
                .await;
            // A server that stopped serving (after a shutdown) keeps its host:
            // its connections' tasks and sockets live on, and a finished host
            // would no longer be ticked.
            std::future::pending::<()>().await;
            Ok(())
        }
    });

    let mut hosts: Vec<(String, Vec<AgentSpec>)> = Vec::new();
    for spec in &scenario.agents {
        match hosts.iter_mut().find(|(h, _)| *h == spec.host) {
            Some((_, list)) => list.push(spec.clone()),
            None => hosts.push((spec.host.clone(), vec![spec.clone()])),
        }
    }
    for (host, specs) in hosts {
        let (rec, board, rng) = (
            rec.clone(),
            board.clone(),
            root.fork(&format!("agents {host}")),
        );
        sim.host(host.as_str(), move || {
            let run = agent::run_host(specs.clone(), rec.clone(), board.clone(), rng.clone());
            async move {
                run.await;
                Ok(())
            }
        });
    }
    sim
}
