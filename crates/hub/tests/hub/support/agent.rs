//! A scripted test agent. It masks its frames with a fixed key, records every byte
//! the hub sends and checks them, as they arrive, with `wsrace_frame::Checker`
//! (server-to-client rules): any bad byte from the hub fails the test at once, with
//! an annotated hexdump.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use wsrace_frame::{encode, opcode, Checker, Direction, FrameHeader, Sink, StreamEnd, Violation};
use wsrace_hub::MemoryConnector;

/// Fixed, so runs are reproducible (and different from zero, so masking is real).
pub const MASK: [u8; 4] = [0x5a, 0x13, 0xc4, 0x7e];
pub const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
pub const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// A frame received from the hub.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub opcode: u8,
    pub payload: Vec<u8>,
}

impl Frame {
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.payload).expect("text frame is UTF-8 (the checker said so)")
    }

    /// `(code, reason)` of a Close frame; code 1005 when it has none.
    pub fn close(&self) -> (u16, String) {
        assert_eq!(
            self.opcode,
            opcode::CLOSE,
            "expected a Close frame, got {self:?}"
        );
        match self.payload.as_slice() {
            [] => (1005, String::new()),
            [a, b, reason @ ..] => (
                u16::from_be_bytes([*a, *b]),
                String::from_utf8_lossy(reason).into(),
            ),
            _ => unreachable!("the checker refuses a 1-byte Close payload"),
        }
    }
}

/// Collects complete frames as the checker validates them.
#[derive(Default)]
struct Frames {
    current: Vec<u8>,
    done: VecDeque<Frame>,
}

impl Sink for Frames {
    fn frame_start(&mut self, _: &FrameHeader) {
        self.current.clear();
    }

    fn payload(&mut self, _: &FrameHeader, _: u64, wire: &[u8]) {
        self.current.extend_from_slice(wire); // server frames are not masked
    }

    fn frame_end(&mut self, header: &FrameHeader) {
        let payload = std::mem::take(&mut self.current);
        self.done.push_back(Frame {
            opcode: header.opcode,
            payload,
        });
    }
}

pub struct Agent {
    stream: DuplexStream,
    /// Every byte after the HTTP response head.
    received: Vec<u8>,
    checker: Checker,
    frames: Frames,
    eof: bool,
}

/// The upgrade request a well-behaved agent sends.
pub fn upgrade_request(token: Option<&str>) -> String {
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    format!(
        "GET /agent HTTP/1.1\r\nHost: hub\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {KEY}\r\n{auth}\r\n"
    )
}

/// Sends `request` and reads the response head: `(head, bytes after it, stream)`.
pub async fn http(
    connector: &MemoryConnector,
    buffer: usize,
    request: &[u8],
) -> (String, Vec<u8>, DuplexStream) {
    let stream = connector
        .connect_with_buffer("agent", buffer)
        .await
        .expect("connect");
    http_on(stream, request).await
}

/// [`http`] over an already connected stream.
pub async fn http_on(mut stream: DuplexStream, request: &[u8]) -> (String, Vec<u8>, DuplexStream) {
    stream.write_all(request).await.expect("send request");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 512];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8(buf[..end + 4].to_vec()).expect("ASCII head");
            return (head, buf[end + 4..].to_vec(), stream);
        }
        let n = stream.read(&mut chunk).await.expect("read response");
        assert!(
            n > 0,
            "EOF before a response head; got {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    }
}

impl Agent {
    /// Connects with `token` and completes the upgrade (panics unless 101).
    pub async fn connect(connector: &MemoryConnector, token: &str) -> Agent {
        Self::connect_with_buffer(connector, token, MemoryConnector::DEFAULT_BUFFER).await
    }

    /// As [`connect`](Self::connect), with a `buffer`-byte transport each way.
    pub async fn connect_with_buffer(
        connector: &MemoryConnector,
        token: &str,
        buffer: usize,
    ) -> Agent {
        Self::connect_sending(connector, token, buffer, &[]).await
    }

    /// Connects and sends `extra` bytes right behind the request head.
    pub async fn connect_sending(
        connector: &MemoryConnector,
        token: &str,
        buffer: usize,
        extra: &[u8],
    ) -> Agent {
        let stream = connector
            .connect_with_buffer("agent", buffer)
            .await
            .expect("connect");
        Self::upgrade(stream, token, extra).await
    }

    /// Upgrades an already connected stream, sending `extra` right behind the request.
    pub async fn upgrade(stream: DuplexStream, token: &str, extra: &[u8]) -> Agent {
        let mut request = upgrade_request(Some(token)).into_bytes();
        request.extend_from_slice(extra);
        let (head, rest, stream) = http_on(stream, &request).await;
        assert!(
            head.starts_with("HTTP/1.1 101 "),
            "expected 101, got {head:?}"
        );
        assert!(
            head.contains(&format!("Sec-WebSocket-Accept: {ACCEPT}\r\n")),
            "{head:?}"
        );
        let mut agent = Agent {
            stream,
            received: Vec::new(),
            checker: Checker::new(wsrace_frame::Config::new(Direction::ServerToClient)),
            frames: Frames::default(),
            eof: false,
        };
        agent.take_bytes(&rest);
        agent
    }

    fn take_bytes(&mut self, bytes: &[u8]) {
        self.received.extend_from_slice(bytes);
        if let Err(v) = self.checker.feed_with(bytes, &mut self.frames) {
            panic!(
                "the hub wrote a bad byte:\n{}",
                v.render(Some(&self.received))
            );
        }
    }

    /// Sends one masked frame.
    pub async fn send(&mut self, op: u8, payload: &[u8]) {
        let mut out = Vec::new();
        encode::frame(&mut out, true, op, Some(MASK), payload);
        self.send_raw(&out).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.send(opcode::TEXT, text.as_bytes()).await;
    }

    pub async fn send_close(&mut self, code: u16, reason: &str) {
        self.send(opcode::CLOSE, &encode::close_payload(code, reason))
            .await;
    }

    /// Writes bytes as they are (garbage, hand-made frames).
    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("agent write");
    }

    /// Half-closes: the hub reads EOF; the agent can still read.
    pub async fn shutdown_write(&mut self) {
        self.stream.shutdown().await.expect("agent shutdown");
    }

    /// Reads once more from the transport; false at EOF.
    async fn fill(&mut self) -> bool {
        if self.eof {
            return false;
        }
        let mut chunk = [0u8; 4096];
        let n = self.stream.read(&mut chunk).await.expect("agent read");
        if n == 0 {
            self.eof = true;
            return false;
        }
        self.take_bytes(&chunk[..n]);
        true
    }

    /// The next frame, or `None` at EOF.
    pub async fn next_frame(&mut self) -> Option<Frame> {
        loop {
            if let Some(f) = self.frames.done.pop_front() {
                return Some(f);
            }
            if !self.fill().await {
                return None;
            }
        }
    }

    /// The next frame, which must arrive within `within` (simulated time).
    pub async fn expect_frame(&mut self, within: Duration) -> Frame {
        match tokio::time::timeout(within, self.next_frame()).await {
            Ok(Some(f)) => f,
            Ok(None) => panic!("EOF while waiting for a frame"),
            Err(_) => panic!("no frame within {within:?}"),
        }
    }

    /// Reads frames until a Close frame; returns its `(code, reason)` and the frames
    /// before it.
    pub async fn expect_close(&mut self) -> ((u16, String), Vec<Frame>) {
        let mut before = Vec::new();
        loop {
            match self.next_frame().await {
                Some(f) if f.opcode == opcode::CLOSE => return (f.close(), before),
                Some(f) => before.push(f),
                None => panic!("EOF without a Close frame; frames before: {before:?}"),
            }
        }
    }

    /// Reads until EOF and returns the frames that were still to come.
    pub async fn read_to_end(&mut self) -> Vec<Frame> {
        let mut frames = Vec::new();
        while let Some(f) = self.next_frame().await {
            frames.push(f);
        }
        frames
    }

    /// Everything the hub sent after its HTTP response.
    pub fn received(&self) -> &[u8] {
        &self.received
    }

    /// Reads to EOF, then asks the checker whether the stream ended cleanly (a
    /// truncated last frame is an `Err(TruncatedFrame)`); any bad byte already
    /// failed the test.
    pub async fn finish(mut self) -> Result<StreamEnd, Violation> {
        while self.fill().await {}
        assert!(
            self.frames.done.is_empty(),
            "unread frames at EOF: {:?}",
            self.frames.done
        );
        self.checker.finish()
    }
}
