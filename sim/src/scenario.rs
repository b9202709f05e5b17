//! A scenario as plain data: who connects, what each agent does, what the
//! network and the harness do, and how the world is set up.
//!
//! Every type here maps 1:1 onto TOML through serde (snake_case names, times in
//! whole milliseconds as `*_ms` fields, enums tagged by `do`/`kind`), so the
//! scenario-file issue only has to add the loader and its error messages.

use serde::{Deserialize, Serialize};

use crate::chaos::ChaosConfig;

/// One scenario. [`Scenario::new`] gives working defaults for everything but
/// the agents and steps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    /// Stable name, used in traces and reports.
    pub name: String,
    /// turmoil tick. Coarser is cheaper; data crosses the network only at tick
    /// boundaries, so it also shifts race windows.
    pub tick_ms: u64,
    /// Hard limit of simulated time; a run still busy then ends non-quiescent
    /// with a list of what was pending.
    pub limit_ms: u64,
    /// Per-segment latency range (turmoil draws from an exponential curve).
    pub min_latency_ms: u64,
    pub max_latency_ms: u64,
    /// The server's limits (the hub adaptor maps them onto `wsrace_hub::Config`).
    pub hub: HubSettings,
    /// Chaos transport around every server-side stream.
    pub chaos: ChaosConfig,
    /// Agents in registration order (this order fixes host IPs and tokio seeds).
    pub agents: Vec<AgentSpec>,
    /// Harness actions anchored in simulated time, run in order.
    pub steps: Vec<WorldStep>,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario::new("unnamed")
    }
}

impl Scenario {
    /// A scenario with no agents: 10 ms tick, 1-20 ms latency, 300 s limit,
    /// default hub limits, chaos off.
    pub fn new(name: impl Into<String>) -> Self {
        Scenario {
            name: name.into(),
            tick_ms: 10,
            limit_ms: 300_000,
            min_latency_ms: 1,
            max_latency_ms: 20,
            hub: HubSettings::default(),
            chaos: ChaosConfig::default(),
            agents: Vec::new(),
            steps: Vec::new(),
        }
    }
}

/// Server limits in milliseconds (see `wsrace_hub::Config` for their meaning).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HubSettings {
    pub heartbeat_timeout_ms: u64,
    pub write_deadline_ms: u64,
    pub close_deadline_ms: u64,
    pub handshake_deadline_ms: u64,
    pub outbound_queue: usize,
}

impl Default for HubSettings {
    fn default() -> Self {
        HubSettings {
            heartbeat_timeout_ms: 120_000,
            write_deadline_ms: 10_000,
            close_deadline_ms: 5_000,
            handshake_deadline_ms: 10_000,
            outbound_queue: 64,
        }
    }
}

/// One scripted agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentSpec {
    /// Agent id; its token is `token-<name>` unless `token` says otherwise.
    pub name: String,
    /// turmoil host it runs on. Agents share `agents` by default: a host of its
    /// own is only worth its cost when a fault must cut this agent's link alone.
    #[serde(default = "default_host")]
    pub host: String,
    /// Presented token; `None` means the valid one.
    #[serde(default)]
    pub token: Option<String>,
    /// The script, run in order.
    pub script: Vec<AgentStep>,
}

fn default_host() -> String {
    "agents".to_owned()
}

impl AgentSpec {
    /// An agent on the shared `agents` host with a valid token.
    pub fn new(name: impl Into<String>, script: Vec<AgentStep>) -> Self {
        AgentSpec {
            name: name.into(),
            host: default_host(),
            token: None,
            script,
        }
    }
}

/// How an agent heartbeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HeartbeatKind {
    /// A WebSocket Ping.
    Ping,
    /// `{"type":"heartbeat","seq":N}` as a text message.
    Json,
}

/// One step of an agent's script. Steps on a connection act on the newest one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
pub enum AgentStep {
    /// Open a new connection and upgrade it (bounded by 10 s). An older one is
    /// left as it is: that is a reconnect, and the server should replace it.
    Connect,
    /// `count` heartbeats, one every `every_ms`, the first at once.
    Heartbeat {
        every_ms: u64,
        count: u32,
        kind: HeartbeatKind,
    },
    /// Do nothing for a while (the connection keeps being read).
    Wait { ms: u64 },
    /// Send one text message.
    SendText { text: String },
    /// Write raw bytes as they are (garbage, half frames, ...).
    SendRaw { bytes: Vec<u8> },
    /// Stop reading the connection: the server's writes back up (a slow reader).
    StopReading,
    /// Read again after `StopReading`.
    ResumeReading,
    /// Send Close and wait (up to 10 s) for the server's Close and end of stream.
    Close { code: u16 },
    /// Hang up without a Close frame.
    Hangup,
    /// Wait until `count` pushes have arrived in total. No deadline of its own:
    /// the scenario's limit bounds it and reports it as pending.
    AwaitPushes { count: u32 },
}

/// A harness action at a point in simulated time.
// No deny_unknown_fields here: serde cannot combine it with `flatten`, and
// `WorldAction` already rejects unknown keys.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorldStep {
    pub at_ms: u64,
    #[serde(flatten)]
    pub action: WorldAction,
}

/// What the harness does to the world. Host names are turmoil hosts (`hub`,
/// `agents`, or an agent's own host).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case", deny_unknown_fields)]
pub enum WorldAction {
    /// Ask the server to send `{"type":"push","seq":N}` (N counts from 1 per run).
    Push {
        agent: String,
    },
    /// Cut the link: segments in flight and later ones are lost (turmoil never
    /// retransmits, so streams that lose data stay wedged after a repair).
    Partition {
        a: String,
        b: String,
    },
    Repair {
        a: String,
        b: String,
    },
    /// Queue segments on the link instead of delivering them.
    Hold {
        a: String,
        b: String,
    },
    Release {
        a: String,
        b: String,
    },
    /// Fixed latency on one link from now on.
    Latency {
        a: String,
        b: String,
        ms: u64,
    },
    /// Stop a host; its sockets close as a crashed process's would.
    Crash {
        host: String,
    },
    /// Crash and restart a host (the server starts afresh; agents rerun their scripts).
    Bounce {
        host: String,
    },
}
