//! A raw test agent: upgrades, sends masked frames, and keeps every byte the
//! server sends, unjudged, so a test can show exactly how a design breaks.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use wsrace_frame::{encode, opcode, Checker, Direction, StreamEnd, Violation};
use wsrace_hub::MemoryConnector;

const MASK: [u8; 4] = [0x5a, 0x13, 0xc4, 0x7e];
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

pub struct Agent {
    stream: DuplexStream,
    /// Every byte after the HTTP response head.
    pub received: Vec<u8>,
    pub eof: bool,
}

impl Agent {
    pub async fn connect(connector: &MemoryConnector, token: &str) -> Agent {
        let mut stream = connector.connect("agent").await.expect("connect");
        let request = format!(
            "GET /agent HTTP/1.1\r\nHost: hub\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {KEY}\r\n\
             Authorization: Bearer {token}\r\n\r\n"
        );
        stream
            .write_all(request.as_bytes())
            .await
            .expect("send request");
        let mut buf = Vec::new();
        let mut chunk = [0u8; 512];
        let end = loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            let n = stream.read(&mut chunk).await.expect("read response");
            assert!(n > 0, "EOF before the response head");
            buf.extend_from_slice(&chunk[..n]);
        };
        assert!(
            buf.starts_with(b"HTTP/1.1 101 "),
            "{:?}",
            String::from_utf8_lossy(&buf)
        );
        Agent {
            stream,
            received: buf[end..].to_vec(),
            eof: false,
        }
    }

    pub async fn send(&mut self, op: u8, payload: &[u8]) {
        let mut out = Vec::new();
        encode::frame(&mut out, true, op, Some(MASK), payload);
        self.stream.write_all(&out).await.expect("agent write");
    }

    pub async fn ping(&mut self, payload: &[u8]) {
        self.send(opcode::PING, payload).await;
    }

    /// Reads until EOF, or until `quiet` passes with nothing arriving.
    pub async fn read_for(&mut self, quiet: Duration) {
        let mut chunk = [0u8; 4096];
        while !self.eof {
            match tokio::time::timeout(quiet, self.stream.read(&mut chunk)).await {
                Ok(Ok(0)) | Ok(Err(_)) => self.eof = true,
                Ok(Ok(n)) => self.received.extend_from_slice(&chunk[..n]),
                Err(_) => return,
            }
        }
    }

    /// What `wsrace_frame` says about everything received, as if it had ended
    /// here: the first bad byte, a frame cut short, or a clean end.
    pub fn verdict(&self) -> Result<StreamEnd, Violation> {
        let mut checker = Checker::new(wsrace_frame::Config::new(Direction::ServerToClient));
        checker.feed(&self.received)?;
        checker.finish()
    }
}
