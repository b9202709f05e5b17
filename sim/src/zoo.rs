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

use crate::server::{hub_config, LocalFuture, ServerFactory, ServerSetup, SimListener, SimServer};

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
    /// The running incarnation (a bounce starts a new one).
    current: RefCell<Option<ZooHub>>,
}

impl SimServer for ZooServer {
    fn serve(&self, listener: SimListener) -> LocalFuture {
        let hub = ZooHub::new(self.design, self.config.clone(), self.tokens.clone());
        *self.current.borrow_mut() = Some(hub.clone());
        Box::pin(async move { hub.serve(listener).await })
    }

    fn send(&self, agent: &str, text: &str) -> Result<(), String> {
        match &*self.current.borrow() {
            Some(hub) => hub.send(agent, text).map_err(|e| e.to_string()),
            None => Err("zoo hub not started".to_owned()),
        }
    }

    fn registry(&self) -> Option<BTreeMap<String, u64>> {
        let hub = self.current.borrow();
        let agents = hub.as_ref()?.agents();
        Some(
            agents
                .into_iter()
                .map(|(a, c)| (a.as_str().to_owned(), c.get()))
                .collect(),
        )
    }
}
