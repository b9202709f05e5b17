//! The two names a connection has: which agent it is, and which connection it is.

use std::fmt;

/// An agent's identity, decided by its token (see [`Tokens`](crate::Tokens)).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AgentId(String);

impl AgentId {
    /// Wraps a name. The tokens file only yields non-empty names without whitespace;
    /// nothing else in the hub depends on that.
    pub fn new(name: impl Into<String>) -> Self {
        AgentId(name.into())
    }

    /// The name as written in the tokens file.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AgentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// Lets maps keyed by AgentId be searched with a &str (same Ord as String).
impl std::borrow::Borrow<str> for AgentId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for AgentId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for AgentId {
    fn from(name: &str) -> Self {
        AgentId::new(name)
    }
}

impl From<String> for AgentId {
    fn from(name: String) -> Self {
        AgentId(name)
    }
}

/// One accepted transport connection. Numbered 1, 2, 3, ... in accept order per
/// [`Hub`](crate::Hub), so the same schedule gives the same ids.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(u64);

impl ConnId {
    /// Connection number `n`. The hub numbers its own; other hub designs that
    /// report the same events (the zoo) number theirs the same way, from 1.
    pub fn new(n: u64) -> Self {
        ConnId(n)
    }

    /// The number used in events (`conn = N`).
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ConnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conn#{}", self.0)
    }
}
