//! One adaptor for every hub-shaped server. wsrace's hub and the zoo's designs
//! share a shape (`serve`, `send`, `agents`, `shutdown`), so the simulation
//! serves either through [`ShapedServer`]; only how to build one differs.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use wsrace_hub::{AgentId, ConnId, Hub, Tokens};
use wsrace_zoo::ZooHub;

use crate::server::{
    hub_config, serve_with_shutdown, LocalFuture, ServerSetup, ShutdownSignal, SimListener,
    SimServer,
};

/// What the simulation needs from a hub-shaped server.
pub(crate) trait HubShaped: Clone + 'static {
    fn serve_on(self, listener: SimListener) -> LocalFuture;
    fn shut_down(self) -> LocalFuture;
    fn send_text(&self, agent: &str, text: &str) -> Result<(), String>;
    fn registered(&self) -> BTreeMap<AgentId, ConnId>;
}

// The hub and every zoo design have these methods with the same signatures
// (the zoo mirrors the hub's API on purpose), so one body serves both.
macro_rules! hub_shaped {
    ($($t:ty),*) => {$(
        impl HubShaped for $t {
            fn serve_on(self, listener: SimListener) -> LocalFuture {
                Box::pin(async move { self.serve(listener).await })
            }
            fn shut_down(self) -> LocalFuture {
                Box::pin(async move { self.shutdown().await })
            }
            fn send_text(&self, agent: &str, text: &str) -> Result<(), String> {
                self.send(agent, text).map_err(|e| e.to_string())
            }
            fn registered(&self) -> BTreeMap<AgentId, ConnId> {
                self.agents()
            }
        }
    )*};
}

hub_shaped!(Hub, ZooHub);

/// A hub-shaped server in the simulation. A bounce of the server host calls
/// `serve` again, which starts a new incarnation from `make`.
pub(crate) struct ShapedServer<H> {
    make: Box<dyn Fn() -> H>,
    /// The running incarnation and its shutdown signal.
    current: RefCell<Option<(H, ShutdownSignal)>>,
}

impl<H: HubShaped> ShapedServer<H> {
    /// A server whose incarnations come from `make(config, tokens)`.
    pub(crate) fn build(
        setup: &ServerSetup,
        make: impl Fn(wsrace_hub::Config, Tokens) -> H + 'static,
    ) -> Rc<dyn SimServer> {
        let config = hub_config(&setup.hub);
        let tokens = Tokens::from_pairs(setup.tokens.iter().map(|(a, t)| (a, t)))
            .expect("scenario agents give valid tokens");
        Rc::new(ShapedServer {
            make: Box::new(move || make(config.clone(), tokens.clone())),
            current: RefCell::new(None),
        })
    }

    fn with_current<T>(&self, f: impl FnOnce(&H, &ShutdownSignal) -> T) -> Result<T, String> {
        match &*self.current.borrow() {
            Some((hub, signal)) => Ok(f(hub, signal)),
            None => Err("server not started".to_owned()),
        }
    }
}

impl<H: HubShaped> SimServer for ShapedServer<H> {
    fn serve(&self, listener: SimListener) -> LocalFuture {
        let hub = (self.make)();
        let signal = ShutdownSignal::default();
        *self.current.borrow_mut() = Some((hub.clone(), signal.clone()));
        let closer = hub.clone();
        Box::pin(serve_with_shutdown(
            hub.serve_on(listener),
            signal,
            closer.shut_down(),
        ))
    }

    fn send(&self, agent: &str, text: &str) -> Result<(), String> {
        self.with_current(|hub, _| hub.send_text(agent, text))?
    }

    fn shutdown(&self) -> Result<(), String> {
        self.with_current(|_, signal| signal.request())
    }

    fn registry(&self) -> Option<BTreeMap<String, u64>> {
        let agents = self.with_current(|hub, _| hub.registered()).ok()?;
        Some(
            agents
                .into_iter()
                .map(|(a, c)| (a.as_str().to_owned(), c.get()))
                .collect(),
        )
    }
}
