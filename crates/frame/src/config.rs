//! Which direction a stream flows in and what the checker enforces for it.

use std::fmt;
use std::str::FromStr;

/// Which peer wrote the stream. RFC 6455 section 5.1: a client masks every frame it
/// sends, a server masks none.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Bytes written by the server; frames must be unmasked.
    ServerToClient,
    /// Bytes written by the client; frames must be masked.
    ClientToServer,
}

impl Direction {
    /// Whether frames in this direction must carry a masking key.
    pub fn requires_mask(self) -> bool {
        matches!(self, Direction::ClientToServer)
    }

    /// `"s2c"` or `"c2s"`, as used in reports and on the command line.
    pub fn short(self) -> &'static str {
        match self {
            Direction::ServerToClient => "s2c",
            Direction::ClientToServer => "c2s",
        }
    }

    /// Human wording, e.g. `"server-to-client"`.
    pub fn long(self) -> &'static str {
        match self {
            Direction::ServerToClient => "server-to-client",
            Direction::ClientToServer => "client-to-server",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short())
    }
}

/// Error from parsing a [`Direction`]: the input was neither `s2c` nor `c2s`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseDirectionError(pub String);

impl fmt::Display for ParseDirectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown direction {:?}: expected \"s2c\" or \"c2s\"",
            self.0
        )
    }
}

impl std::error::Error for ParseDirectionError {}

impl FromStr for Direction {
    type Err = ParseDirectionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "s2c" => Ok(Direction::ServerToClient),
            "c2s" => Ok(Direction::ClientToServer),
            other => Err(ParseDirectionError(other.to_owned())),
        }
    }
}

/// What a [`Checker`](crate::Checker) enforces. Every RFC 6455 rule is always on; the
/// fields only loosen (extensions) or tighten (size limits) it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Which peer wrote the stream.
    pub direction: Direction,
    /// RSV bits a negotiated extension may set, as they sit in byte 0
    /// (`0x40` RSV1, `0x20` RSV2, `0x10` RSV3); 0 = no extension.
    /// With RSV1 allowed (permessage-deflate), a text message whose first frame has
    /// RSV1 set is compressed, so its payload is not checked as UTF-8.
    pub allowed_rsv: u8,
    /// Largest payload one frame may declare; `None` = no limit.
    pub max_frame_payload: Option<u64>,
    /// Largest total payload of a data message (all its fragments); `None` = no limit.
    pub max_message_size: Option<u64>,
}

impl Config {
    /// Every rule on, no extension, no size limits.
    pub fn new(direction: Direction) -> Self {
        Config {
            direction,
            allowed_rsv: 0,
            max_frame_payload: None,
            max_message_size: None,
        }
    }

    /// Allows the RSV bits in `bits` (byte-0 positions; other bits are ignored).
    pub fn with_allowed_rsv(mut self, bits: u8) -> Self {
        self.allowed_rsv = bits & 0x70;
        self
    }

    /// Limits the payload a single frame may declare.
    pub fn with_max_frame_payload(mut self, limit: u64) -> Self {
        self.max_frame_payload = Some(limit);
        self
    }

    /// Limits the total payload of a data message.
    pub fn with_max_message_size(mut self, limit: u64) -> Self {
        self.max_message_size = Some(limit);
        self
    }
}
