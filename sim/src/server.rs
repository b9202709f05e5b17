//! Bring your own server: what the world needs from the server under test, the
//! listener it is handed, and the adaptor for wsrace's own hub.
//!
//! A server is anything that takes accepted byte streams. The wire oracles need
//! nothing more than [`SimServer::serve`]; `send` and `registry` feed the hub
//! oracles when a server can offer them.

use std::collections::BTreeMap;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use tokio::sync::Notify;
use turmoil::net::{TcpListener, TcpStream};
use wsrace_hub::{Config, Hub};

use crate::chaos::{ChaosConfig, ChaosStream};
use crate::rng::SimRng;
use crate::scenario::HubSettings;
use crate::tap::{Recorder, Side};
use crate::trace::sim_event;

/// The server's turmoil host name.
pub const HOST: &str = "hub";
/// The port the server listens on.
pub const PORT: u16 = 80;

/// A future that runs on the server's host (turmoil hosts are single-threaded,
/// so it need not be `Send`).
pub type LocalFuture = Pin<Box<dyn Future<Output = ()>>>;

/// What a server is told about the world it runs in.
#[derive(Clone, Debug)]
pub struct ServerSetup {
    /// `(agent, token)` for every scripted agent.
    pub tokens: Vec<(String, String)>,
    /// The scenario's limits.
    pub hub: HubSettings,
}

/// Makes a fresh server for each run, so no state leaks between seeds.
pub trait ServerFactory {
    /// Stable name for records and reports: `hub`, `zoo:sleep-100ms`, ...
    fn name(&self) -> String;
    /// A server for one run.
    fn build(&self, setup: &ServerSetup) -> Rc<dyn SimServer>;
}

/// One run's server.
pub trait SimServer {
    /// Serves connections from `listener` until the host stops. Called inside
    /// the `hub` host, once per incarnation (again after a bounce).
    fn serve(&self, listener: SimListener) -> LocalFuture;

    /// Sends a text message to `agent`. `Err` says why it was not accepted
    /// (including "this server cannot push").
    fn send(&self, agent: &str, text: &str) -> Result<(), String> {
        let _ = (agent, text);
        Err("server does not support send".to_owned())
    }

    /// The server's registry (`agent -> its connection number`), if it has one.
    fn registry(&self) -> Option<BTreeMap<String, u64>> {
        None
    }

    /// Begins the server's graceful shutdown (the scenario step `shutdown`).
    /// The driver calls it between ticks, outside any host: it only signals,
    /// and the shutdown itself runs inside the server's host on its next tick
    /// ([`serve_with_shutdown`] does that with a [`ShutdownSignal`]). `Err`
    /// says why not (including "this server cannot shut down").
    fn shutdown(&self) -> Result<(), String> {
        Err("server does not support shutdown".to_owned())
    }
}

/// A shutdown request from the driver to a server's host. Signalling needs no
/// runtime; waiting happens inside the host.
#[derive(Clone, Debug, Default)]
pub struct ShutdownSignal(Rc<Notify>);

impl ShutdownSignal {
    /// Asks for the shutdown; the waiter wakes on the host's next tick. A
    /// request before anyone waits is kept for the first waiter.
    pub fn request(&self) {
        self.0.notify_one();
    }

    /// Waits for a request.
    pub async fn requested(&self) {
        self.0.notified().await;
    }
}

/// Serves with `serve`; when `signal` is requested, runs `shutdown` alongside
/// it inside the host (the server's own graceful shutdown: `Hub::shutdown`).
/// Ends once both have ended.
pub async fn serve_with_shutdown(
    serve: impl Future<Output = ()>,
    signal: ShutdownSignal,
    shutdown: impl Future<Output = ()>,
) {
    let on_request = async move {
        signal.requested().await;
        sim_event!("sim", "server.shutdown_requested");
        shutdown.await;
    };
    tokio::join!(serve, on_request);
}

/// The listener a server is handed: turmoil's, with every accepted stream
/// wrapped in the chaos transport and tapped. The peer string is the agent's
/// local address, which is how the two ends of a connection are matched.
pub struct SimListener {
    inner: TcpListener,
    rec: Recorder,
    chaos: ChaosConfig,
    rng: SimRng,
}

impl SimListener {
    pub(crate) fn new(inner: TcpListener, rec: Recorder, chaos: ChaosConfig, rng: SimRng) -> Self {
        SimListener {
            inner,
            rec,
            chaos,
            rng,
        }
    }

    /// The next connection and its peer address.
    pub async fn accept(&mut self) -> io::Result<(ChaosStream<TcpStream>, String)> {
        let (stream, peer) = self.inner.accept().await?;
        let peer = peer.to_string();
        let id = self.rec.join(&peer, Side::Server, None);
        // Forked by address and harness id: the same connection gets the same
        // chaos whatever other connections did before it.
        let rng = self.rng.fork(&format!("{peer} {id}"));
        Ok((
            ChaosStream::new(stream, self.chaos.clone(), rng, id, self.rec.clone()),
            peer,
        ))
    }
}

impl wsrace_hub::Listener for SimListener {
    type Stream = ChaosStream<TcpStream>;

    async fn accept(&mut self) -> io::Result<(Self::Stream, String)> {
        SimListener::accept(self).await
    }
}

/// The server called `name` on the command line (`wsrace run --server NAME`):
/// `hub`, or `zoo:<design>` for one of the zoo's known-bad designs. The error
/// lists every valid name.
pub fn server_by_name(name: &str) -> Result<Box<dyn ServerFactory>, String> {
    if name == "hub" {
        return Ok(Box::new(HubFactory));
    }
    let design = name
        .strip_prefix("zoo:")
        .and_then(|d| wsrace_zoo::Design::from_name(d).ok());
    match design {
        Some(d) => Ok(Box::new(crate::zoo::ZooFactory(d))),
        None => Err(format!(
            "no server is called {name:?}; valid servers: {}",
            server_names().join(", ")
        )),
    }
}

/// Every name [`server_by_name`] accepts, `hub` first.
pub fn server_names() -> Vec<String> {
    std::iter::once("hub".to_owned())
        .chain(
            wsrace_zoo::Design::names()
                .into_iter()
                .map(|d| format!("zoo:{d}")),
        )
        .collect()
}

/// wsrace's own hub as the server under test.
#[derive(Clone, Copy, Debug, Default)]
pub struct HubFactory;

impl ServerFactory for HubFactory {
    fn name(&self) -> String {
        "hub".to_owned()
    }

    fn build(&self, setup: &ServerSetup) -> Rc<dyn SimServer> {
        crate::hub_shaped::ShapedServer::build(setup, Hub::new)
    }
}

/// The hub's `Config` for a scenario's limits.
pub fn hub_config(s: &HubSettings) -> Config {
    let mut c = Config::default();
    c.heartbeat_timeout = Duration::from_millis(s.heartbeat_timeout_ms);
    c.write_deadline = Duration::from_millis(s.write_deadline_ms);
    c.close_deadline = Duration::from_millis(s.close_deadline_ms);
    c.handshake_deadline = Duration::from_millis(s.handshake_deadline_ms);
    c.outbound_queue = s.outbound_queue;
    c
}
