//! The zoo's known-bad hub designs as servers under test: [`ZooFactory`] serves a
//! [`Design`] in place of the hub. A zoo hub emits the hub's events (target
//! `wsrace_hub`) and runs its tasks in `task{conn, role}` spans (target
//! `wsrace_zoo`), so the oracles judge it exactly like the hub and a torn frame's
//! bytes are labelled with the Go path that wrote them (`zoo conn#3 writeLoop`).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use wsrace_hub::Tokens;
use wsrace_zoo::{Design, ZooHub};

use crate::server::{
    hub_config, serve_with_shutdown, LocalFuture, ServerFactory, ServerSetup, ShutdownSignal,
    SimListener, SimServer,
};

/// A zoo design as the server under test; named `zoo:<design>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZooFactory(pub Design);

impl ServerFactory for ZooFactory {
    fn name(&self) -> String {
        format!("zoo:{}", self.0.name())
    }

    fn build(&self, setup: &ServerSetup) -> Rc<dyn SimServer> {
        Rc::new(ZooServer {
            design: self.0,
            config: hub_config(&setup.hub),
            tokens: Tokens::from_pairs(setup.tokens.iter().map(|(a, t)| (a, t)))
                .expect("scenario agents give valid tokens"),
            current: RefCell::new(None),
        })
    }
}

struct ZooServer {
    design: Design,
    config: wsrace_hub::Config,
    tokens: Tokens,
    /// The running incarnation (a bounce starts a new one) and its shutdown signal.
    current: RefCell<Option<(ZooHub, ShutdownSignal)>>,
}

impl SimServer for ZooServer {
    fn serve(&self, listener: SimListener) -> LocalFuture {
        let hub = ZooHub::new(self.design, self.config.clone(), self.tokens.clone());
        let signal = ShutdownSignal::default();
        *self.current.borrow_mut() = Some((hub.clone(), signal.clone()));
        let closer = hub.clone();
        Box::pin(async move {
            serve_with_shutdown(hub.serve(listener), signal, async move {
                closer.shutdown().await
            })
            .await
        })
    }

    fn send(&self, agent: &str, text: &str) -> Result<(), String> {
        match &*self.current.borrow() {
            Some((hub, _)) => hub.send(agent, text).map_err(|e| e.to_string()),
            None => Err("zoo hub not started".to_owned()),
        }
    }

    fn shutdown(&self) -> Result<(), String> {
        match &*self.current.borrow() {
            Some((_, signal)) => {
                signal.request();
                Ok(())
            }
            None => Err("zoo hub not started".to_owned()),
        }
    }

    fn registry(&self) -> Option<BTreeMap<String, u64>> {
        let hub = self.current.borrow();
        let agents = hub.as_ref()?.0.agents();
        Some(
            agents
                .into_iter()
                .map(|(a, c)| (a.as_str().to_owned(), c.get()))
                .collect(),
        )
    }
}
