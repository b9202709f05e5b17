//! wsrace-sim: the deterministic simulation. The server under test runs on
//! turmoil host `hub`; scripted agents connect to it; a seeded chaos transport
//! tears writes and merges reads; every byte in both directions is recorded
//! with who wrote it; oracles judge the [`RunRecord`] afterwards.
//!
//! Where to start reading: [`run_once`] (`run.rs`), then `world.rs` (how a run's
//! world is built), `chaos.rs` and `agent/`.
//!
//! Modules:
//! - [`record`]: the data model every part agrees on ([`RunRecord`] and friends).
//! - [`scenario`]: a scenario as plain data (serde-ready for TOML).
//! - `run`: the driver: [`run_once`] -> [`RunOutcome`].
//! - `world`: builds the turmoil `Sim` (fixed epoch, seed, tick, hosts).
//! - [`server`]: bring your own server ([`ServerFactory`], [`SimServer`],
//!   [`SimListener`]) and the hub adaptor [`HubFactory`].
//! - `chaos`: [`ChaosStream`], [`ChaosConfig`].
//! - `tap`: the recorder both ends of every connection write into; [`ChaosStats`].
//! - `agent`: scripted agents.
//! - [`trace`]: the tracing layer, the stable text form and its hash.
//! - [`rng`]: the seeded PRNG and FNV-1a.
//! - [`oracle`], [`report`]: judging a record and reporting a failure.
//! - [`presets`]: scenarios built in Rust (the incident's situation, ...).
//! - `zoo`: [`ZooFactory`], the zoo's known-bad designs as servers;
//!   [`server_by_name`] resolves `hub` / `zoo:<design>`.
//! - `hub_shaped`: the one adaptor both the hub and the zoo are served through.
//! - [`scenario_file`]: scenario TOML files: header, seeds, `expect`, and
//!   errors located at `path:line:col`.
//! - [`sweep`]: a file over its seeds, judged against its `expect` block (the
//!   CLI's `run`/`explore` and the corpus test share it).
//! - [`schedule`]: proptest schedules, shrinking, and saving a failure as a
//!   scenario file.

mod agent;
mod chaos;
mod hub_shaped;
pub mod oracle;
pub mod presets;
pub mod record;
pub mod report;
pub mod rng;
mod run;
pub mod scenario;
pub mod scenario_file;
pub mod schedule;
pub mod server;
pub mod sweep;
mod tap;
pub mod trace;
mod world;
mod zoo;

pub use agent::token_for;
pub use chaos::{ChaosConfig, ChaosStream};
pub use record::RunRecord;
pub use run::{run_once, RunOutcome};
pub use scenario::{
    AgentSpec, AgentStep, Anchor, AnchorEvent, AnchoredStep, HeartbeatKind, HubSettings, Scenario,
    Trigger, WorldAction, WorldStep,
};
pub use scenario_file::{Expect, ScenarioError, ScenarioFile};
pub use server::{
    server_by_name, server_names, HubFactory, ServerFactory, ServerSetup, SimListener, SimServer,
};
pub use tap::ChaosStats;
pub use zoo::ZooFactory;
