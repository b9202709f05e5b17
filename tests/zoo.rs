//! The incident's designs fail the incident's situation, and the report says who
//! wrote the bad bytes.
//!
//! `zoo:go-original` (four paths write or close with no ordering) and
//! `zoo:sleep-100ms` (the shipped fix: cancel the writer, sleep 100 ms, close)
//! both run `presets::incident()`, seed after seed, until `wire.grammar` or
//! `wire.close` catches them. The sleep fix is only wrong when a write is blocked
//! longer than its sleep: it is caught with stalls of 120-400 ms and passes the
//! same situation with every stall shorter than 100 ms. Seeds to the first
//! failure are printed (`cargo test --test zoo -- --nocapture`).

use std::time::Duration;

use wsrace_sim::oracle::{self, id, Finding, Side};
use wsrace_sim::record::RunRecord;
use wsrace_sim::report::{self, ReportOptions};
use wsrace_sim::{presets, run_once, RunOutcome, Scenario, ZooFactory};
use wsrace_zoo::Design;

/// Every design must be caught within this many seeds (0, 1, ...).
const BOUND: u64 = 200;

/// The Go handler's paths: the zoo labels each write with the one that made it.
const GO_PATHS: &[&str] = &[
    "writeLoop",
    "HandleCCConnection",
    "monitorConnection",
    "handleAgentMessages",
];

/// A run with its first finding of a wire oracle.
struct Catch {
    seed: u64,
    out: RunOutcome,
    finding: Finding,
}

fn wire_finding(record: &RunRecord) -> Option<Finding> {
    oracle::check_all(record)
        .into_iter()
        .find(|f| f.oracle == id::WIRE_GRAMMAR || f.oracle == id::WIRE_CLOSE)
}

/// Runs seeds 0.. until a wire oracle fires; panics past [`BOUND`].
fn first_catch(design: Design, scenario: &Scenario) -> Catch {
    let server = ZooFactory(design);
    for seed in 0..BOUND {
        let out = run_once(scenario, &server, seed);
        if let Some(finding) = wire_finding(&out.record) {
            println!(
                "zoo:{design} on {}: first caught at seed {seed} ({} seed(s) run) by {}",
                scenario.name,
                seed + 1,
                finding.oracle
            );
            return Catch { seed, out, finding };
        }
    }
    panic!("zoo:{design} passed {BOUND} seeds of {}", scenario.name);
}

fn render(c: &Catch) -> String {
    report::render(
        &c.out.record,
        &c.finding,
        &ReportOptions::for_run(&c.out.record),
    )
}

/// The report names the server as the side and a Go path as the writer.
fn assert_names_side_and_task(c: &Catch) -> String {
    let text = render(c);
    assert_eq!(c.finding.side, Some(Side::Server), "{text}");
    let writer = c.finding.writer.as_deref().unwrap_or_default();
    assert!(
        writer.starts_with("zoo conn#") && GO_PATHS.iter().any(|p| writer.ends_with(p)),
        "writer {writer:?} is not a Go path\n{text}"
    );
    assert!(text.contains("\n  side        server "), "{text}");
    assert!(
        text.contains(&format!("\n  writer      {writer}\n")),
        "{text}"
    );
    assert!(
        text.contains(&format!("--seed {}", c.seed)),
        "no replay command\n{text}"
    );
    text
}

#[test]
fn go_original_is_caught_and_the_report_names_the_server_and_the_go_path() {
    let c = first_catch(Design::GoOriginal, &presets::incident());
    let text = assert_names_side_and_task(&c);
    println!("{text}");
}

#[test]
fn sleep_100ms_is_caught_by_a_write_blocked_longer_than_its_sleep() {
    let c = first_catch(Design::Sleep100ms, &presets::incident());
    let text = assert_names_side_and_task(&c);
    println!("{text}");
    // On the torn connection a closer decided the end while a write was blocked,
    // and the block outlasted the 100 ms sleep that was to let the write finish.
    let r = &c.out.record;
    let conn = c.finding.conn.expect("wire findings name a connection");
    let server_conn = r
        .conns
        .iter()
        .find(|x| x.id == conn)
        .and_then(|x| x.server_conn);
    let ms = Duration::from_millis;
    let mut stalls = r
        .trace
        .iter()
        .filter(|e| e.name == "chaos.stall" && e.num("conn") == Some(conn));
    let raced = stalls.find_map(|stall| {
        let until = stall.at + ms(stall.num("ms")?);
        r.trace
            .iter()
            .find(|e| {
                e.source == "hub"
                    && e.name == "shutdown.begun"
                    && e.num("conn") == server_conn
                    && stall.at <= e.at
                    && e.at + ms(100) < until
            })
            .map(|begun| (stall, begun))
    });
    let Some((stall, begun)) = raced else {
        panic!("conn #{conn}: no shutdown began during a write blocked past the sleep\n{text}");
    };
    println!(
        "conn #{conn}: a write stalled {} ms from {:?}; the end was decided at {:?}",
        stall.field("ms").unwrap_or("?"),
        stall.at,
        begun.at
    );
}

/// As many seeds as the catch above needed, many times over.
const CONTROL_SEEDS: u64 = 500;

#[test]
fn sleep_100ms_passes_the_same_situation_when_every_stall_is_shorter_than_its_sleep() {
    // Same agents, steps and chaos; only the stall range differs. Pending writes
    // (1-30 ms) stay as they are.
    let scenario = presets::incident_with_stalls(20, 90);
    let server = ZooFactory(Design::Sleep100ms);
    for seed in 0..CONTROL_SEEDS {
        let out = run_once(&scenario, &server, seed);
        // Only the wire oracles: they are the ones that catch the tear. (The
        // design trips `hub.tasks` whatever the stalls: HandleCCConnection's
        // closer of a replaced connection writes its Close frame after that
        // connection's own tasks are joined.)
        if let Some(f) = wire_finding(&out.record) {
            let text = report::render(&out.record, &f, &ReportOptions::for_run(&out.record));
            panic!("stalls < 100 ms, yet seed {seed} fails:\n{text}");
        }
    }
    println!(
        "zoo:sleep-100ms on {}: {CONTROL_SEEDS} seeds, no wire finding",
        scenario.name
    );
}

#[test]
fn every_zoo_design_is_caught_by_a_wire_oracle() {
    for &design in Design::all() {
        let c = first_catch(design, &presets::incident());
        assert_eq!(c.finding.side, Some(Side::Server), "{}", render(&c));
    }
}

#[test]
fn a_failing_seed_replays_to_the_same_report_byte_for_byte() {
    for design in [Design::GoOriginal, Design::Sleep100ms] {
        let scenario = presets::incident();
        let c = first_catch(design, &scenario);
        let again = run_once(&scenario, &ZooFactory(design), c.seed);
        assert_eq!(
            again.trace_hash, c.out.trace_hash,
            "zoo:{design} seed {}",
            c.seed
        );
        let finding = wire_finding(&again.record).expect("the replay fails too");
        let replayed = report::render(
            &again.record,
            &finding,
            &ReportOptions::for_run(&again.record),
        );
        assert_eq!(replayed, render(&c), "zoo:{design} seed {}", c.seed);
    }
}
