//! What the hub pushes to an agent.

/// A data message for [`Hub::send`](crate::Hub::send), written as one frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A text frame.
    Text(String),
    /// A binary frame.
    Binary(Vec<u8>),
}

impl Message {
    pub(crate) fn opcode(&self) -> u8 {
        match self {
            Message::Text(_) => wsrace_frame::opcode::TEXT,
            Message::Binary(_) => wsrace_frame::opcode::BINARY,
        }
    }

    pub(crate) fn payload(&self) -> &[u8] {
        match self {
            Message::Text(s) => s.as_bytes(),
            Message::Binary(b) => b,
        }
    }
}

impl From<String> for Message {
    fn from(s: String) -> Self {
        Message::Text(s)
    }
}

impl From<&str> for Message {
    fn from(s: &str) -> Self {
        Message::Text(s.to_owned())
    }
}

impl From<Vec<u8>> for Message {
    fn from(b: Vec<u8>) -> Self {
        Message::Binary(b)
    }
}
