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
///
/// In TOML, time steps and anchored steps are one list, `[[steps]]`: a step
/// with `at_ms` lands in [`steps`](Scenario::steps), one with `after`/`when` in
/// [`anchored`](Scenario::anchored) (serde goes through `repr::ScenarioRepr`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "repr::ScenarioRepr", into = "repr::ScenarioRepr")]
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
    /// Harness actions anchored on agents' lifecycle events ("after a1's 3rd
    /// heartbeat"), each applied once its event has happened.
    pub anchored: Vec<AnchoredStep>,
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
            anchored: Vec::new(),
        }
    }

    /// The agents with every `count` expanded (`a` with `count = 3` is `a1`,
    /// `a2`, `a3`), in registration order: the agents a run starts.
    pub fn expanded_agents(&self) -> Vec<AgentSpec> {
        self.agents.iter().flat_map(AgentSpec::expand).collect()
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
    /// `Some(n)`: this entry stands for `n` agents named `<name>1` ..
    /// `<name><n>`, all alike (same host, token and script). `None`: one agent
    /// called `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
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
            count: None,
        }
    }

    /// This entry stands for `count` agents (see [`AgentSpec::count`]).
    pub fn times(mut self, count: u32) -> Self {
        self.count = Some(count);
        self
    }

    /// The agents this entry stands for: itself without `count`, or `count`
    /// copies named `<name>1` .. `<name><count>`.
    pub fn expand(&self) -> Vec<AgentSpec> {
        match self.count {
            None => vec![self.clone()],
            Some(n) => (1..=n)
                .map(|i| AgentSpec {
                    name: format!("{}{i}", self.name),
                    count: None,
                    ..self.clone()
                })
                .collect(),
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
    /// Wait until `agent`'s (default: this agent's) `nth` `event` has happened,
    /// counted as anchors count (per run, from 1, over all connections). For
    /// `push_write` it is the moment the frame's first byte reached the
    /// transport (an anchor's `when`): the rest may still be on its way. No
    /// deadline of its own: the scenario's limit bounds it and reports it as pending.
    Await {
        event: AnchorEvent,
        nth: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agent: Option<String>,
    },
}

impl AgentStep {
    /// What an `await` step of agent `me` waits for, as an anchor's `when`
    /// (for `push_write`, the frame's first byte); `None` for other steps.
    pub fn awaited(&self, me: &str) -> Option<Trigger> {
        match self {
            AgentStep::Await { event, nth, agent } => Some(Trigger::When(Anchor {
                agent: agent.clone().unwrap_or_else(|| me.to_owned()),
                event: *event,
                nth: *nth,
            })),
            _ => None,
        }
    }
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
    /// The server's graceful shutdown ([`SimServer::shutdown`](crate::SimServer::shutdown)):
    /// the hub closes every connection with 1001 and stops accepting.
    Shutdown,
}

impl WorldAction {
    /// In words, for reports: `push to a1`, `partition hub-agents`, `shutdown`.
    pub fn describe(&self) -> String {
        match self {
            WorldAction::Push { agent } => format!("push to {agent}"),
            WorldAction::Partition { a, b } => format!("partition {a}-{b}"),
            WorldAction::Repair { a, b } => format!("repair {a}-{b}"),
            WorldAction::Hold { a, b } => format!("hold {a}-{b}"),
            WorldAction::Release { a, b } => format!("release {a}-{b}"),
            WorldAction::Latency { a, b, ms } => format!("latency {a}-{b} {ms} ms"),
            WorldAction::Crash { host } => format!("crash {host}"),
            WorldAction::Bounce { host } => format!("bounce {host}"),
            WorldAction::Shutdown => "shutdown".to_owned(),
        }
    }
}

/// A harness action anchored on a lifecycle event instead of a time. In a
/// file: a `[[steps]]` entry with `after = { ... }` or `when = { ... }` in place
/// of `at_ms`, and optionally `delay_ms`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnchoredStep {
    pub trigger: Trigger,
    /// Simulated time from the event to the action; the action still waits
    /// for the first tick boundary at or after that.
    pub delay_ms: u64,
    pub action: WorldAction,
}

/// Which moment of the anchor's event a step waits for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// `after`: the event is complete (for `push_write`: the frame's last byte
    /// went to the transport).
    After(Anchor),
    /// `when`: the event has begun (for `push_write`: the frame's first byte
    /// went to the transport, the rest may still be on its way). Every other
    /// event is an instant, so there `when` and `after` agree.
    When(Anchor),
}

impl Trigger {
    pub fn anchor(&self) -> &Anchor {
        match self {
            Trigger::After(a) | Trigger::When(a) => a,
        }
    }

    /// `after a1's 3rd heartbeat`, `when the server begins writing its 2nd push to a1`.
    pub fn describe(&self) -> String {
        let a = self.anchor();
        let (agent, nth) = (&a.agent, ordinal(a.nth));
        let edge = match self {
            Trigger::After(_) => "after",
            Trigger::When(_) => "when",
        };
        match (self, a.event) {
            (Trigger::When(_), AnchorEvent::PushWrite) => {
                format!("when the server begins writing its {nth} push to {agent}")
            }
            (Trigger::After(_), AnchorEvent::PushWrite) => {
                format!("after the server wrote its {nth} push to {agent}")
            }
            (_, e) => format!("{edge} {agent}'s {nth} {}", e.noun()),
        }
    }
}

/// `agent`'s `nth` occurrence of `event` (counted per run, from 1, over all of
/// the agent's connections).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Anchor {
    pub agent: String,
    pub event: AnchorEvent,
    pub nth: u32,
}

/// Lifecycle events a step can be anchored on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnchorEvent {
    /// The agent completed an upgrade (got its 101).
    Connected,
    /// The agent sent a heartbeat (the whole Ping or JSON heartbeat was written).
    Heartbeat,
    /// A push arrived at the agent (a complete `{"type":"push",...}` message).
    PushReceived,
    /// The server wrote a push frame (a text frame whose payload starts with
    /// `{"type":"push"`) to one of the agent's connections, as seen by the byte
    /// tap between the server and the network.
    PushWrite,
    /// One of the agent's upgraded connections ended (its reader saw the end
    /// of the stream or an error, or the agent hung up).
    Closed,
}

impl AnchorEvent {
    pub const ALL: [AnchorEvent; 5] = [
        AnchorEvent::Connected,
        AnchorEvent::Heartbeat,
        AnchorEvent::PushReceived,
        AnchorEvent::PushWrite,
        AnchorEvent::Closed,
    ];

    /// The name in a file: `push_write`.
    pub fn name(self) -> &'static str {
        match self {
            AnchorEvent::Connected => "connected",
            AnchorEvent::Heartbeat => "heartbeat",
            AnchorEvent::PushReceived => "push_received",
            AnchorEvent::PushWrite => "push_write",
            AnchorEvent::Closed => "closed",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            AnchorEvent::Connected => "upgrade",
            AnchorEvent::Heartbeat => "heartbeat",
            AnchorEvent::PushReceived => "push received",
            AnchorEvent::PushWrite => "push written",
            AnchorEvent::Closed => "connection end",
        }
    }
}

/// `1st`, `2nd`, `3rd`, `11th`, `22nd`.
pub fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// How a scenario reads and writes: `[[steps]]` holds both kinds of step.
pub(crate) mod repr {
    use serde::{Deserialize, Serialize};

    use super::{
        AgentSpec, Anchor, AnchoredStep, HubSettings, Scenario, Trigger, WorldAction, WorldStep,
    };
    use crate::chaos::ChaosConfig;

    #[derive(Clone, Serialize, Deserialize)]
    #[serde(deny_unknown_fields, default)]
    pub(crate) struct ScenarioRepr {
        name: String,
        tick_ms: u64,
        limit_ms: u64,
        min_latency_ms: u64,
        max_latency_ms: u64,
        hub: HubSettings,
        chaos: ChaosConfig,
        agents: Vec<AgentSpec>,
        steps: Vec<StepRepr>,
    }

    impl Default for ScenarioRepr {
        fn default() -> Self {
            Scenario::default().into()
        }
    }

    /// One `[[steps]]` entry: exactly one of `at_ms`, `after`, `when` (the
    /// loader says so with a location; plain serde takes them in that order).
    #[derive(Clone, Serialize, Deserialize)]
    pub(crate) struct StepRepr {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub at_ms: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub after: Option<Anchor>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub when: Option<Anchor>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub delay_ms: Option<u64>,
        #[serde(flatten)]
        pub action: WorldAction,
    }

    impl From<ScenarioRepr> for Scenario {
        fn from(r: ScenarioRepr) -> Self {
            let mut steps = Vec::new();
            let mut anchored = Vec::new();
            for s in r.steps {
                let delay_ms = s.delay_ms.unwrap_or(0);
                match (s.at_ms, s.after, s.when) {
                    (None, Some(a), _) => anchored.push(AnchoredStep {
                        trigger: Trigger::After(a),
                        delay_ms,
                        action: s.action,
                    }),
                    (None, None, Some(a)) => anchored.push(AnchoredStep {
                        trigger: Trigger::When(a),
                        delay_ms,
                        action: s.action,
                    }),
                    (at, _, _) => steps.push(WorldStep {
                        at_ms: at.unwrap_or(0),
                        action: s.action,
                    }),
                }
            }
            Scenario {
                name: r.name,
                tick_ms: r.tick_ms,
                limit_ms: r.limit_ms,
                min_latency_ms: r.min_latency_ms,
                max_latency_ms: r.max_latency_ms,
                hub: r.hub,
                chaos: r.chaos,
                agents: r.agents,
                steps,
                anchored,
            }
        }
    }

    impl From<Scenario> for ScenarioRepr {
        fn from(s: Scenario) -> Self {
            let timed = s.steps.into_iter().map(|w| StepRepr {
                at_ms: Some(w.at_ms),
                after: None,
                when: None,
                delay_ms: None,
                action: w.action,
            });
            let anchored = s.anchored.into_iter().map(|a| {
                let (after, when) = match a.trigger {
                    Trigger::After(x) => (Some(x), None),
                    Trigger::When(x) => (None, Some(x)),
                };
                StepRepr {
                    at_ms: None,
                    after,
                    when,
                    delay_ms: (a.delay_ms != 0).then_some(a.delay_ms),
                    action: a.action,
                }
            });
            ScenarioRepr {
                name: s.name,
                tick_ms: s.tick_ms,
                limit_ms: s.limit_ms,
                min_latency_ms: s.min_latency_ms,
                max_latency_ms: s.max_latency_ms,
                hub: s.hub,
                chaos: s.chaos,
                agents: s.agents,
                steps: timed.chain(anchored).collect(),
            }
        }
    }
}
