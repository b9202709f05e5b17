//! Test fixtures: a hub on an in-memory listener, scripted agents, an event recorder.

pub mod agent;
pub mod capture;
pub mod flaky;

use std::time::Duration;

use tokio::task::JoinHandle;
use wsrace_hub::{memory_listener, Config, Hub, MemoryConnector, Tokens};

pub use agent::Agent;

/// Three agents, one token each.
pub const TOKENS: &str = "# test agents\na1 tok-a1\na2 tok-a2\na3 tok-a3\n";

/// A generous bound for "soon" in simulated time (the paused clock jumps ahead only
/// when every task is waiting, so this never costs wall time).
pub const SOON: Duration = Duration::from_secs(1);

pub struct TestHub {
    pub hub: Hub,
    pub connector: MemoryConnector,
    serve: JoinHandle<()>,
}

impl TestHub {
    pub fn start() -> TestHub {
        Self::with_config(Config::default())
    }

    pub fn with_config(config: Config) -> TestHub {
        capture::start();
        let hub = Hub::new(config, Tokens::parse(TOKENS).expect("test tokens"));
        let (listener, connector) = memory_listener();
        let serve = tokio::spawn({
            let hub = hub.clone();
            async move { hub.serve(listener).await }
        });
        TestHub {
            hub,
            connector,
            serve,
        }
    }

    pub async fn agent(&self, token: &str) -> Agent {
        Agent::connect(&self.connector, token).await
    }

    /// Shuts the hub down, checks the serve loop returned and every event followed
    /// the schema.
    pub async fn stop(self) {
        self.hub.shutdown().await;
        tokio::time::timeout(SOON, self.serve)
            .await
            .expect("serve returns promptly after shutdown")
            .expect("serve task did not panic");
        capture::assert_schema();
    }
}
