//! The zoo's known-bad hub designs as servers under test: [`ZooFactory`] serves a
//! [`Design`] in place of the hub. A zoo hub emits the hub's events (target
//! `wsrace_hub`) and runs its tasks in `task{conn, role}` spans (target
//! `wsrace_zoo`), so the oracles judge it exactly like the hub and a torn frame's
//! bytes are labelled with the Go path that wrote them (`zoo conn#3 writeLoop`).

use std::rc::Rc;

use wsrace_zoo::{Design, ZooHub};

use crate::hub_shaped::ShapedServer;
use crate::server::{ServerFactory, ServerSetup, SimServer};

/// A zoo design as the server under test; named `zoo:<design>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZooFactory(pub Design);

impl ServerFactory for ZooFactory {
    fn name(&self) -> String {
        format!("zoo:{}", self.0.name())
    }

    fn build(&self, setup: &ServerSetup) -> Rc<dyn SimServer> {
        let design = self.0;
        ShapedServer::build(setup, move |config, tokens| {
            ZooHub::new(design, config, tokens)
        })
    }
}
