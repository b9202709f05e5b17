//! Bring your own server: a plain tokio-tungstenite echo server running in the
//! simulated world in place of the hub. It echoes text, answers Pings (tungstenite
//! does that itself) and answers Close. The wire oracles judge it like the hub.
//!
//! Run: `cargo run -p wsrace-sim --example tungstenite_server [SEED]`.
//! The test suite includes this file and runs it too.

use std::rc::Rc;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use wsrace_sim::server::LocalFuture;
use wsrace_sim::{ServerFactory, ServerSetup, SimListener, SimServer};

/// Makes one [`EchoServer`] per run.
pub struct EchoFactory;

impl ServerFactory for EchoFactory {
    fn name(&self) -> String {
        "tungstenite-echo".to_owned()
    }

    fn build(&self, _setup: &ServerSetup) -> Rc<dyn SimServer> {
        Rc::new(EchoServer)
    }
}

/// Accepts every connection, echoes text messages until the agent closes.
pub struct EchoServer;

impl SimServer for EchoServer {
    fn serve(&self, mut listener: SimListener) -> LocalFuture {
        Box::pin(async move {
            while let Ok((stream, _peer)) = listener.accept().await {
                tokio::task::spawn_local(async move {
                    // tungstenite zero-fills its 128 KiB default read buffer on every
                    // read; 4 KiB makes simulated traffic several times cheaper.
                    let config = WebSocketConfig::default().read_buffer_size(4096);
                    let Ok(mut ws) =
                        tokio_tungstenite::accept_async_with_config(stream, Some(config)).await
                    else {
                        return;
                    };
                    while let Some(Ok(msg)) = ws.next().await {
                        if let Message::Text(t) = msg {
                            if ws.send(Message::Text(t)).await.is_err() {
                                break;
                            }
                        }
                    }
                });
            }
        })
    }
}

#[allow(dead_code)] // the test suite includes this file without calling main
fn main() {
    use wsrace_sim::{AgentSpec, AgentStep, HeartbeatKind, Scenario};
    let seed = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let mut scenario = Scenario::new("tungstenite-echo");
    scenario.agents.push(AgentSpec::new(
        "a1",
        vec![
            AgentStep::Connect,
            AgentStep::Heartbeat {
                every_ms: 1000,
                count: 5,
                kind: HeartbeatKind::Ping,
            },
            AgentStep::SendText {
                text: "hello".into(),
            },
            AgentStep::Close { code: 1000 },
        ],
    ));
    let out = wsrace_sim::run_once(&scenario, &EchoFactory, seed);
    print!("{}", out.trace_text);
    println!(
        "trace hash {:016x}, quiescent {}",
        out.trace_hash, out.record.end.quiescent
    );
}
