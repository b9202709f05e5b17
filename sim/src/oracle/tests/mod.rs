//! Every oracle fires on a deliberately wrong record and stays quiet on a clean
//! one. Records are built by hand with the helpers in `support`.

mod support;

mod delivery;
mod determinism;
mod liveness;
mod registry;
mod report;
mod tasks;
mod wire_close;
mod wire_grammar;
