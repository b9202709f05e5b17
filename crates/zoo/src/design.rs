//! The designs: names, what each gets wrong, and which oracle must catch it.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A known-bad hub design. Every one serves agents like the hub (same handshake,
/// heartbeats, events) and differs only in how writers and closers share the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Design {
    /// The incident before the fix: four paths write or close with no ordering.
    GoOriginal,
    /// The shipped fix: cancel the writer, sleep 100 ms, close.
    Sleep100ms,
    /// The reader answers heartbeats itself, through a lock held per `write` call.
    LockPerWrite,
    /// The writer's `write_all` sits in a `select!` with the shutdown signal.
    CancelledWriteAll,
}

/// [`Design::from_name`] got a name no design has.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no zoo design is called {name:?}; known designs: {}", Design::names().join(", "))]
#[non_exhaustive]
pub struct UnknownDesign {
    /// The name asked for.
    pub name: String,
}

impl Design {
    const ALL: [Design; 4] = [
        Design::GoOriginal,
        Design::Sleep100ms,
        Design::LockPerWrite,
        Design::CancelledWriteAll,
    ];

    /// Every design, in a fixed order.
    pub fn all() -> &'static [Design] {
        &Self::ALL
    }

    /// Every design's name, in [`all`](Self::all) order.
    pub fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|d| d.name()).collect()
    }

    /// The stable name (`zoo:<name>` on the command line).
    pub fn name(self) -> &'static str {
        match self {
            Design::GoOriginal => "go-original",
            Design::Sleep100ms => "sleep-100ms",
            Design::LockPerWrite => "lock-per-write",
            Design::CancelledWriteAll => "cancelled-write-all",
        }
    }

    /// The design called `name`.
    pub fn from_name(name: &str) -> Result<Design, UnknownDesign> {
        Self::ALL
            .into_iter()
            .find(|d| d.name() == name)
            .ok_or_else(|| UnknownDesign {
                name: name.to_owned(),
            })
    }

    /// The oracle that must catch it. All four tear frames, which `wire.grammar`
    /// sees first; a tear that ends the stream mid-frame (no bytes after it) is
    /// still a grammar finding (a truncated frame).
    pub fn expected_oracle(self) -> &'static str {
        "wire.grammar"
    }

    /// What it does and how it tears, in a sentence or two.
    pub fn description(self) -> &'static str {
        match self {
            Design::GoOriginal => {
                "The incident's hub: writeLoop drains a channel, the reader writes gorilla's \
                 Pong and Close replies itself, and the reader, monitorConnection and \
                 HandleCCConnection close the socket at once (no Close frame). Writes share the \
                 stream through a lock held per write call, so a short write lets another \
                 path's bytes in mid-frame, and a close cuts a frame short."
            }
            Design::Sleep100ms => {
                "The shipped fix: every closer cancels writeLoop (seen between frames), sleeps \
                 100 ms, then writes a Close frame and closes the socket, interrupting any \
                 write still in progress. Correct when every write finishes within 100 ms; a \
                 write blocked longer gets the Close frame in the middle of its frame."
            }
            Design::LockPerWrite => {
                "Shutdown done right (the writer writes Close at a frame boundary), but the \
                 reader writes Pongs and heartbeat acks itself through a lock held per write \
                 call: a short write lets them in mid-frame."
            }
            Design::CancelledWriteAll => {
                "One writer, but its write_all sits in a select! with the shutdown signal: a \
                 shutdown while a frame is half written drops the rest (write_all is not \
                 cancel-safe) and the Close frame follows."
            }
        }
    }

    /// Whether the reader writes replies itself instead of queueing them.
    pub(crate) fn reader_writes(self) -> bool {
        matches!(self, Design::GoOriginal | Design::LockPerWrite)
    }

    /// Whether the reader writes gorilla's Close frames itself (the echo of the
    /// agent's Close, Close 1002 on a protocol error) before closing.
    pub(crate) fn gorilla_closes(self) -> bool {
        self == Design::GoOriginal
    }

    /// How a path that decides the end closes the connection.
    pub(crate) fn closing(self) -> Closing {
        match self {
            Design::GoOriginal => Closing::AtOnce,
            Design::Sleep100ms => Closing::CancelSleepClose(Duration::from_millis(100)),
            Design::LockPerWrite | Design::CancelledWriteAll => Closing::ViaWriter,
        }
    }

    /// Whether a shutdown interrupts the frame the writer is writing.
    pub(crate) fn cancels_mid_frame(self) -> bool {
        self == Design::CancelledWriteAll
    }
}

/// How a closer ends a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Closing {
    /// Go's `Conn.Close()`: the socket, now, with no Close frame.
    AtOnce,
    /// Cancel the writer, sleep, then Close frame and socket (interrupting writes).
    CancelSleepClose(Duration),
    /// Tell the writer; it writes the Close frame after its current frame.
    ViaWriter,
}

impl fmt::Display for Design {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Design {
    type Err = UnknownDesign;

    fn from_str(s: &str) -> Result<Design, UnknownDesign> {
        Design::from_name(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips_and_unknown_names_list_the_known_ones() {
        for d in Design::all() {
            assert_eq!(Design::from_name(d.name()), Ok(*d));
        }
        let err = Design::from_name("sleep-50ms").unwrap_err().to_string();
        assert!(err.contains("go-original, sleep-100ms"), "{err}");
    }
}
