//! Opcode values (RFC 6455 section 5.2). Everything else (0x3-0x7, 0xB-0xF) is reserved.

/// Continues a fragmented data message.
pub const CONTINUATION: u8 = 0x0;
/// First frame of a text message (payload must be UTF-8).
pub const TEXT: u8 = 0x1;
/// First frame of a binary message.
pub const BINARY: u8 = 0x2;
/// Close control frame.
pub const CLOSE: u8 = 0x8;
/// Ping control frame.
pub const PING: u8 = 0x9;
/// Pong control frame.
pub const PONG: u8 = 0xA;

/// Short name for reports: `"Text"`, `"Close"`, ... or `"Op7(reserved)"` for a reserved opcode.
pub fn name(opcode: u8) -> &'static str {
    const NAMES: [&str; 16] = [
        "Continuation",
        "Text",
        "Binary",
        "Op3(reserved)",
        "Op4(reserved)",
        "Op5(reserved)",
        "Op6(reserved)",
        "Op7(reserved)",
        "Close",
        "Ping",
        "Pong",
        "Op11(reserved)",
        "Op12(reserved)",
        "Op13(reserved)",
        "Op14(reserved)",
        "Op15(reserved)",
    ];
    NAMES[(opcode & 0x0F) as usize]
}

/// Whether `opcode` (low nibble) is one RFC 6455 defines.
pub fn is_defined(opcode: u8) -> bool {
    matches!(opcode, CONTINUATION | TEXT | BINARY | CLOSE | PING | PONG)
}
