//! Why a connection ends, what Close frame that sends, and how it actually ended.
//!
//! | reason              | Close sent                                   |
//! |---------------------|----------------------------------------------|
//! | `peer_closed`       | the agent's code echoed (empty if it sent none) |
//! | `peer_gone`         | none: the agent hung up (EOF)                 |
//! | `read_failed`       | none: the transport failed (reset, ...)       |
//! | `protocol`          | [`Rule::close_code`]: 1002, 1007 (UTF-8) or 1009 (size); reason `"<rule-id>: <detail>"` |
//! | `heartbeat_timeout` | 1001 `"heartbeat timeout"`                    |
//! | `replaced`          | 1000 `"replaced by a new connection"`         |
//! | `hub_shutdown`      | 1001 `"going away"`                           |
//! | `slow_consumer`     | 1008 `"slow consumer: outbound queue full"`   |
//!
//! Why these: 1001 says "this endpoint is going away", which is what both a
//! shutting-down hub and a hub that has given up on a silent agent do; the reason
//! text tells them apart. A replaced connection has done nothing wrong and its agent
//! is already connected elsewhere, so 1000 (normal). A consumer that does not read
//! breaks the hub's policy that agents read what they are sent: 1008.

use wsrace_frame::Rule;

use crate::ConnId;

/// The longest Close reason that fits a control frame (125 bytes minus the code).
pub(crate) const MAX_CLOSE_REASON: usize = 123;

/// Why a connection is being ended. The first reason decided wins.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ShutdownReason {
    /// The agent sent a Close frame (`None`: one without a status code).
    PeerClosed {
        /// The agent's status code, echoed back.
        code: Option<u16>,
    },
    /// The agent's side of the transport ended (EOF) without a Close frame.
    PeerGone,
    /// Reading failed (connection reset, ...).
    ReadFailed {
        /// The I/O error kind.
        kind: std::io::ErrorKind,
    },
    /// The agent broke RFC 6455 (or a size limit), as judged by `wsrace-frame`.
    Protocol {
        /// The rule broken.
        rule: Rule,
        /// Specifics, from the checker.
        detail: String,
    },
    /// No heartbeat within `heartbeat_timeout`.
    HeartbeatTimeout,
    /// A newer connection of the same agent took over.
    Replaced {
        /// The newer connection.
        by: ConnId,
    },
    /// [`Hub::shutdown`](crate::Hub::shutdown).
    HubShutdown,
    /// The outbound queue was full: the agent does not read fast enough.
    SlowConsumer,
}

/// A Close frame's content: `code: None` is an empty Close payload.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CloseFrame {
    /// The status code, if any.
    pub code: Option<u16>,
    /// The reason text, at most 123 bytes.
    pub reason: String,
}

impl CloseFrame {
    /// The `code` field of `close.sent`: the status code, or 1005 ("no status
    /// code", never on the wire) for an empty Close.
    pub fn event_code(&self) -> u16 {
        self.code.unwrap_or(1005)
    }

    /// The whole frame as the hub writes it (unmasked, FIN set).
    pub fn encode(&self) -> Vec<u8> {
        let payload = match self.code {
            Some(code) => wsrace_frame::encode::close_payload(code, &self.reason),
            None => Vec::new(),
        };
        let mut out = Vec::with_capacity(2 + payload.len());
        wsrace_frame::encode::frame(&mut out, true, wsrace_frame::opcode::CLOSE, None, &payload);
        out
    }
}

impl ShutdownReason {
    /// Stable name used in events (`reason = ...`).
    pub fn as_str(&self) -> &'static str {
        match self {
            ShutdownReason::PeerClosed { .. } => "peer_closed",
            ShutdownReason::PeerGone => "peer_gone",
            ShutdownReason::ReadFailed { .. } => "read_failed",
            ShutdownReason::Protocol { .. } => "protocol",
            ShutdownReason::HeartbeatTimeout => "heartbeat_timeout",
            ShutdownReason::Replaced { .. } => "replaced",
            ShutdownReason::HubShutdown => "hub_shutdown",
            ShutdownReason::SlowConsumer => "slow_consumer",
        }
    }

    /// The status code of the Close frame this reason sends, if it sends one with a
    /// code (see the module table).
    pub fn close_code(&self) -> Option<u16> {
        self.close_frame().and_then(|c| c.code)
    }

    /// Whether the hub writes a Close frame for this reason. Not when the agent is
    /// already gone: nothing is written after EOF or a read error.
    pub fn sends_close(&self) -> bool {
        self.close_frame().is_some()
    }

    /// The Close frame this reason sends (see the module table); `None` when the
    /// agent is already gone and nothing more is written.
    pub fn close_frame(&self) -> Option<CloseFrame> {
        let (code, reason) = match self {
            ShutdownReason::PeerClosed { code } => (*code, String::new()),
            ShutdownReason::PeerGone | ShutdownReason::ReadFailed { .. } => return None,
            ShutdownReason::Protocol { rule, detail } => {
                let text = if detail.is_empty() {
                    rule.id().to_owned()
                } else {
                    format!("{}: {detail}", rule.id())
                };
                (Some(rule.close_code()), text)
            }
            ShutdownReason::HeartbeatTimeout => (Some(1001), "heartbeat timeout".into()),
            ShutdownReason::Replaced { .. } => (Some(1000), "replaced by a new connection".into()),
            ShutdownReason::HubShutdown => (Some(1001), "going away".into()),
            ShutdownReason::SlowConsumer => {
                (Some(1008), "slow consumer: outbound queue full".into())
            }
        };
        Some(CloseFrame {
            code,
            reason: truncate_at_char_boundary(reason, MAX_CLOSE_REASON),
        })
    }
}

/// How a connection actually ended, once its tasks are joined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnEnd {
    /// Close frames went both ways (whoever started), then the transport was shut.
    Clean,
    /// The hub's Close was written and flushed, but the agent sent no Close before
    /// hanging up or before `close_deadline`; the transport was shut.
    Unanswered,
    /// The agent hung up (EOF or read error) without a Close; the hub wrote nothing
    /// further and shut its side.
    PeerGone,
    /// Abnormal: a write missed `write_deadline` (the agent stopped reading). The write
    /// was abandoned, possibly mid-frame, and nothing was written after it.
    WriteAborted,
    /// Abnormal: the transport returned an error on write; nothing was written after.
    WriteFailed,
}

impl ConnEnd {
    /// Stable name used in events (`end = ...`).
    pub fn as_str(self) -> &'static str {
        match self {
            ConnEnd::Clean => "clean",
            ConnEnd::Unanswered => "unanswered",
            ConnEnd::PeerGone => "peer_gone",
            ConnEnd::WriteAborted => "write_aborted",
            ConnEnd::WriteFailed => "write_failed",
        }
    }

    /// True when the hub could not finish writing: the last frame may be torn (but
    /// is never followed by more bytes).
    pub fn is_abnormal(self) -> bool {
        matches!(self, ConnEnd::WriteAborted | ConnEnd::WriteFailed)
    }
}

/// Cuts `s` to at most `max` bytes without splitting a UTF-8 character.
pub(crate) fn truncate_at_char_boundary(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_reasons_are_cut_at_a_character_boundary() {
        let s = "é".repeat(100); // 200 bytes
        let cut = truncate_at_char_boundary(s, MAX_CLOSE_REASON);
        assert_eq!(cut.len(), 122);
        assert!(cut.chars().all(|c| c == 'é'));
    }

    #[test]
    fn protocol_reasons_start_with_the_rule_id_and_fit_a_control_frame() {
        let r = ShutdownReason::Protocol {
            rule: Rule::InvalidUtf8,
            detail: "x".repeat(500),
        };
        let close = r.close_frame().unwrap();
        assert_eq!(close.code, Some(1007));
        assert!(close.reason.starts_with("invalid-utf8: "));
        assert_eq!(close.reason.len(), MAX_CLOSE_REASON);
    }

    #[test]
    fn the_agent_going_away_sends_no_close() {
        assert!(!ShutdownReason::PeerGone.sends_close());
        let reset = ShutdownReason::ReadFailed {
            kind: std::io::ErrorKind::ConnectionReset,
        };
        assert!(!reset.sends_close());
    }

    #[test]
    fn hub_shutdown_says_going_away() {
        assert_eq!(ShutdownReason::HubShutdown.close_code(), Some(1001));
    }
}
