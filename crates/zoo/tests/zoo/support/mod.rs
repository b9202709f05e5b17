pub mod agent;
pub mod scripted;
pub mod spans;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use wsrace_hub::{memory_listener, Config, MemoryConnector, Tokens};
use wsrace_zoo::{Design, ZooHub};

pub use agent::Agent;
pub use scripted::{Chunk, Step, WriteLog};

/// A zoo hub of `design` serving scripted in-memory connections (the n-th
/// connection follows `scripts[n]`), agents a1/tok1 and a2/tok2.
pub struct World {
    pub hub: ZooHub,
    pub connector: MemoryConnector,
    logs: Arc<Mutex<Vec<WriteLog>>>,
    _spans: tracing::subscriber::DefaultGuard,
}

/// The config the tests use: a short heartbeat timeout, hub defaults otherwise.
pub fn config() -> Config {
    let mut c = Config::default();
    c.heartbeat_timeout = Duration::from_secs(1);
    c
}

impl World {
    pub fn new(design: Design, scripts: Vec<Vec<Step>>) -> World {
        let spans = spans::install();
        let tokens = Tokens::from_pairs([("a1", "tok1"), ("a2", "tok2")]).unwrap();
        let hub = ZooHub::new(design, config(), tokens);
        let (listener, connector) = memory_listener();
        let (listener, logs) = scripted::ScriptedListener::new(listener, scripts);
        tokio::spawn({
            let hub = hub.clone();
            async move { hub.serve(listener).await }
        });
        World {
            hub,
            connector,
            logs,
            _spans: spans,
        }
    }

    /// What connection `n` (from 1) had written, chunk by chunk; the 101
    /// response is left out.
    pub fn writes(&self, n: usize) -> Vec<Chunk> {
        let log = self.logs.lock().unwrap()[n - 1].lock().unwrap().clone();
        log.into_iter().skip(1).collect()
    }
}

/// A text payload long enough to stay mid-frame across a few short writes.
pub fn push_text() -> String {
    "x".repeat(200)
}

/// Which tasks wrote the chunks, in order (consecutive repeats merged).
pub fn writers(chunks: &[Chunk]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in chunks {
        if out.last() != Some(&c.role) {
            out.push(c.role.clone());
        }
    }
    out
}

/// Waits (paused time) until `agent` is in the hub's registry.
pub async fn wait_registered(hub: &ZooHub, agent: &str) {
    for _ in 0..1000 {
        if hub.agents().contains_key(agent) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("{agent} never registered");
}
