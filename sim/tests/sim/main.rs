//! wsrace-sim's integration tests: one binary, one module per concern.

// Scenario builders shared by the tests.
mod broken_files;
mod support;

// Agents heartbeating against the hub settle cleanly.
mod steady;
// The chaos transport really tears, delays, stalls, merges and fails.
mod chaos;
// Same seed, same trace and record.
mod determinism;
// Driver-side faults: crash and bounce.
mod faults;
// A run that cannot settle ends with a liveness report, not a hang.
mod stuck;
// A plain tokio-tungstenite server runs through the bring-your-own-server trait.
mod byo;
// Writes are attributed to the task span that made them.
mod attribution;
// Servers by name, and the zoo's designs as seen by the harness.
mod servers;
// What the record says about hosts, raw writes, pushes and reader ends.
mod record;
// Every oracle fires against a server with a deliberate flaw.
mod wrong_servers;
// Quiescence waits for the server; incarnations and non-reading agents are judged fairly.
mod quiescence;
// Scenario files: precise errors for every class of mistake, the README example loads.
mod scenario_file;
// The world step `shutdown`: Close 1001 from the hub, oracles silent.
mod shutdown;
// `count` on an agent entry expands to numbered agents.
mod agent_count;
// World steps anchored on lifecycle events.
mod anchors;
// Scenario files: `count`, `shutdown` and anchored steps load; their mistakes get precise errors.
mod anchor_files;
// Agents' `await` steps: a script waits for a lifecycle event, at its exact moment.
mod awaits;
