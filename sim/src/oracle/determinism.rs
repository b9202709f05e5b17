//! `sim.determinism`: the same seed twice gives the same trace.
//!
//! Compares two stable trace texts (one event per line, as the trace module
//! writes them) and points at the first line that differs, which is where the
//! two runs' schedules parted: everything after it is consequence.

use std::fmt;

use super::facts::row;
use super::{id, Finding};

/// The first place two traces differ.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceDiff {
    /// 1-based line number.
    pub line: usize,
    /// That line in the first trace; `None` when the first trace ended before it.
    pub left: Option<String>,
    /// That line in the second trace; `None` when the second trace ended before it.
    pub right: Option<String>,
}

impl fmt::Display for TraceDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |l: &Option<String>| l.clone().unwrap_or_else(|| "(trace ended)".to_owned());
        f.write_str(&row("line", &self.line.to_string()))?;
        f.write_str(&row("first", &show(&self.left)))?;
        f.write_str(&row("second", &show(&self.right)))
    }
}

/// The first differing line of `a` and `b`, or `None` when they are equal line
/// for line (a trailing newline or its absence does not count).
pub fn first_difference(a: &str, b: &str) -> Option<TraceDiff> {
    let (mut la, mut lb) = (a.lines(), b.lines());
    let mut line = 0;
    loop {
        line += 1;
        match (la.next(), lb.next()) {
            (None, None) => return None,
            (x, y) if x == y => continue,
            (x, y) => {
                return Some(TraceDiff {
                    line,
                    left: x.map(str::to_owned),
                    right: y.map(str::to_owned),
                })
            }
        }
    }
}

/// A `sim.determinism` finding when two runs of `seed` traced differently.
pub fn check(seed: u64, first: &str, second: &str) -> Option<Finding> {
    let diff = first_difference(first, second)?;
    let summary = format!(
        "seed {seed} gave two different traces; first difference at line {}",
        diff.line
    );
    let mut f = Finding::new(id::SIM_DETERMINISM, None, None, summary);
    f.details = diff.to_string();
    Some(f)
}
