//! World steps, read around a serde limitation: `WorldStep` has both
//! `#[serde(flatten)]` and `#[serde(deny_unknown_fields)]`, which serde does not
//! support together: the flattened action's keys count as unknown, so every
//! step with keys of its own (`agent`, `a`, `host`, ...) is rejected. Until
//! `scenario.rs` drops `deny_unknown_fields` from `WorldStep` (the action still
//! rejects unknown keys), steps are read through [`StepIn`]. A probe switches
//! back to plain serde once `WorldStep` loads, so fields added to it then work.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::scenario::{WorldAction, WorldStep};

/// `WorldStep` as it can be deserialized: `at_ms`, and the rest is the action.
#[derive(Deserialize)]
pub(crate) struct StepIn {
    at_ms: u64,
    #[serde(flatten)]
    action: WorldAction,
}

impl From<StepIn> for WorldStep {
    fn from(s: StepIn) -> Self {
        WorldStep {
            at_ms: s.at_ms,
            action: s.action,
        }
    }
}

/// Whether serde reads a `WorldStep` with an action key as it stands.
pub(crate) fn serde_reads_world_steps() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| {
        toml::from_str::<WorldStep>("at_ms = 0\ndo = \"push\"\nagent = \"a\"\n").is_ok()
    })
}
