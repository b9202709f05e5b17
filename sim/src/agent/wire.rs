//! The agent's view of the bytes: messages out of the server's frame stream,
//! and the handshake key.

use wsrace_frame::{opcode, FrameHeader, Sink};

/// What the server sent, message by message.
pub(super) enum Msg {
    Text(String),
    Ping(Vec<u8>),
    Close(Option<u16>),
}

#[derive(Default)]
pub(super) struct Collect {
    cur: Vec<u8>,
    message: Vec<u8>,
    text: bool,
    pub out: Vec<Msg>,
}

impl Sink for Collect {
    fn frame_start(&mut self, _: &FrameHeader) {
        self.cur.clear();
    }
    fn payload(&mut self, _: &FrameHeader, _: u64, wire: &[u8]) {
        self.cur.extend_from_slice(wire);
    }
    fn frame_end(&mut self, h: &FrameHeader) {
        match h.opcode {
            opcode::TEXT | opcode::BINARY => {
                self.text = h.opcode == opcode::TEXT;
                self.message = std::mem::take(&mut self.cur);
            }
            opcode::CONTINUATION => self.message.extend_from_slice(&self.cur),
            opcode::PING => self.out.push(Msg::Ping(std::mem::take(&mut self.cur))),
            opcode::CLOSE => {
                let code =
                    (self.cur.len() >= 2).then(|| u16::from_be_bytes([self.cur[0], self.cur[1]]));
                self.out.push(Msg::Close(code));
            }
            _ => {}
        }
        if h.fin
            && matches!(
                h.opcode,
                opcode::TEXT | opcode::BINARY | opcode::CONTINUATION
            )
            && self.text
        {
            let m = std::mem::take(&mut self.message);
            self.out
                .push(Msg::Text(String::from_utf8_lossy(&m).into_owned()));
        }
    }
}

/// Standard base64 of 16 bytes (a Sec-WebSocket-Key): 22 symbols and `==`.
pub(super) fn base64_16(bytes: &[u8; 16]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(24);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out.push_str("==");
    out
}
