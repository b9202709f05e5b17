//! The rules a stream is checked against: stable ids, close codes, explanations.

/// One RFC 6455 requirement. Ids (see [`Rule::id`]) are stable: tests, scenario files
/// and reports refer to them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Rule {
    /// An RSV bit is set that no negotiated extension allows.
    RsvBits,
    /// Opcode 0x3-0x7 or 0xB-0xF.
    ReservedOpcode,
    /// MASK bit wrong for the direction (client frames masked, server frames not).
    MaskDirection,
    /// Payload length not in its shortest encoding.
    NonMinimalLength,
    /// 64-bit payload length with the most significant bit set.
    LengthTopBit,
    /// Frame payload larger than `Config::max_frame_payload`.
    FrameTooLarge,
    /// Message payload larger than `Config::max_message_size`.
    MessageTooLarge,
    /// Control frame without FIN.
    ControlNotFinal,
    /// Control frame payload over 125 bytes.
    ControlTooLong,
    /// Continuation frame with no fragmented message in progress.
    ContinuationWithoutStart,
    /// Text or Binary frame while a fragmented message is still open.
    DataInsideFragmented,
    /// Text message payload is not UTF-8.
    InvalidUtf8,
    /// Close payload of exactly one byte.
    CloseLengthOne,
    /// Close code not allowed on the wire.
    CloseCode,
    /// Close reason is not UTF-8.
    CloseReasonUtf8,
    /// Bytes after the Close frame.
    DataAfterClose,
    /// The stream ended inside a frame.
    TruncatedFrame,
}

const ALL: [Rule; 17] = [
    Rule::RsvBits,
    Rule::ReservedOpcode,
    Rule::MaskDirection,
    Rule::NonMinimalLength,
    Rule::LengthTopBit,
    Rule::FrameTooLarge,
    Rule::MessageTooLarge,
    Rule::ControlNotFinal,
    Rule::ControlTooLong,
    Rule::ContinuationWithoutStart,
    Rule::DataInsideFragmented,
    Rule::InvalidUtf8,
    Rule::CloseLengthOne,
    Rule::CloseCode,
    Rule::CloseReasonUtf8,
    Rule::DataAfterClose,
    Rule::TruncatedFrame,
];

impl Rule {
    /// Stable kebab-case id, e.g. `"rsv-bits"`.
    pub fn id(self) -> &'static str {
        match self {
            Rule::RsvBits => "rsv-bits",
            Rule::ReservedOpcode => "reserved-opcode",
            Rule::MaskDirection => "mask-direction",
            Rule::NonMinimalLength => "non-minimal-length",
            Rule::LengthTopBit => "length-top-bit",
            Rule::FrameTooLarge => "frame-too-large",
            Rule::MessageTooLarge => "message-too-large",
            Rule::ControlNotFinal => "control-not-final",
            Rule::ControlTooLong => "control-too-long",
            Rule::ContinuationWithoutStart => "continuation-without-start",
            Rule::DataInsideFragmented => "data-inside-fragmented",
            Rule::InvalidUtf8 => "invalid-utf8",
            Rule::CloseLengthOne => "close-length-one",
            Rule::CloseCode => "close-code",
            Rule::CloseReasonUtf8 => "close-reason-utf8",
            Rule::DataAfterClose => "data-after-close",
            Rule::TruncatedFrame => "truncated-frame",
        }
    }

    /// Every rule, in declaration order.
    pub fn all() -> &'static [Rule] {
        &ALL
    }

    /// The rule with this id, if any.
    pub fn from_id(id: &str) -> Option<Rule> {
        ALL.iter().copied().find(|r| r.id() == id)
    }

    /// The close code a receiver should send: 1007 for the UTF-8 rules, 1009 for the
    /// size limits, 1002 otherwise. For [`Rule::TruncatedFrame`] the connection is
    /// already gone; a receiver reports 1006 locally and sends nothing.
    pub fn close_code(self) -> u16 {
        match self {
            Rule::InvalidUtf8 | Rule::CloseReasonUtf8 => 1007,
            Rule::FrameTooLarge | Rule::MessageTooLarge => 1009,
            _ => 1002,
        }
    }

    /// What the rule requires and what breaking it usually means, in plain language.
    pub fn explanation(self) -> &'static str {
        match self {
            Rule::RsvBits => {
                "An RSV bit is set but no extension was negotiated that uses it. On a \
                 connection without extensions this almost always means the reader is \
                 looking at payload or torn bytes where it expected a frame header."
            }
            Rule::ReservedOpcode => {
                "The opcode is one RFC 6455 reserves (0x3-0x7, 0xB-0xF). Real senders \
                 never write these; the bytes are most likely not a frame header."
            }
            Rule::MaskDirection => {
                "Clients must mask every frame they send and servers must mask none. A \
                 wrong MASK bit means the frame came from the wrong kind of writer, or \
                 the reader lost frame sync."
            }
            Rule::NonMinimalLength => {
                "The payload length must use its shortest form: the 16-bit form only for \
                 126..=65535 bytes, the 64-bit form only above that."
            }
            Rule::LengthTopBit => {
                "A 64-bit payload length must have its most significant bit clear."
            }
            Rule::FrameTooLarge => {
                "The frame declares more payload than the configured per-frame limit."
            }
            Rule::MessageTooLarge => {
                "The message (all its fragments) exceeds the configured size limit."
            }
            Rule::ControlNotFinal => {
                "Control frames (Close, Ping, Pong) cannot be fragmented: FIN must be set."
            }
            Rule::ControlTooLong => "Control frames carry at most 125 payload bytes.",
            Rule::ContinuationWithoutStart => {
                "A continuation frame arrived but no fragmented message was in progress."
            }
            Rule::DataInsideFragmented => {
                "A new Text or Binary frame started while a fragmented message was still \
                 open; only continuation and control frames may come before its FIN."
            }
            Rule::InvalidUtf8 => {
                "Text messages must be valid UTF-8 (checked across fragments); the stream \
                 holds a byte that cannot continue any valid UTF-8 text, or the message \
                 ended inside a multi-byte sequence."
            }
            Rule::CloseLengthOne => {
                "A Close payload is empty or starts with a 2-byte status code; one byte \
                 cannot hold a code."
            }
            Rule::CloseCode => {
                "The close code may not be sent on the wire: valid are 1000-1003, \
                 1007-1014 and 3000-4999 (1004-1006 and 1015 are reserved, the rest \
                 unassigned)."
            }
            Rule::CloseReasonUtf8 => "The close reason must be valid UTF-8.",
            Rule::DataAfterClose => {
                "After sending a Close frame an endpoint must send nothing more on the \
                 connection. Bytes after it mean another writer kept going after close."
            }
            Rule::TruncatedFrame => {
                "The stream ended inside a frame: the writer was stopped (or the \
                 connection torn down) before the frame was complete."
            }
        }
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}
