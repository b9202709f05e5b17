//! A tokio-tungstenite agent whose socket is tapped: every byte the server sends is
//! kept, and [`Agent::check_wire`] runs them through `wsrace_frame::Checker`.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{Bytes, Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;
use wsrace_frame::{Checker, Config, Direction, StreamEnd};

use crate::server::Server;

/// Longest wait for any one thing the server should send.
pub const WAIT: Duration = Duration::from_secs(5);

/// A stream that records every byte read from it.
pub struct Tap<S> {
    inner: S,
    seen: Arc<Mutex<Vec<u8>>>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Tap<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let this = &mut *self;
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = poll {
            this.seen
                .lock()
                .unwrap()
                .extend_from_slice(&buf.filled()[before..]);
        }
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tap<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// How the server ended a connection, as the agent saw it.
#[derive(Debug, PartialEq, Eq)]
pub struct Closed {
    pub code: u16,
    pub reason: String,
}

pub struct Agent {
    name: String,
    ws: WebSocketStream<Tap<TcpStream>>,
    seen: Arc<Mutex<Vec<u8>>>,
    /// `seq` of every `{"type":"push"}` received, in order.
    pub pushes: Vec<u64>,
}

impl Agent {
    /// Connects and upgrades with `Authorization: Bearer <token>`.
    pub async fn connect(server: &Server, name: &str, token: &str) -> Agent {
        let tcp = timeout(WAIT, TcpStream::connect(server.addr()))
            .await
            .unwrap_or_else(|_| panic!("{name}: connect timed out"))
            .unwrap_or_else(|e| panic!("{name}: connect: {e}"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let tap = Tap {
            inner: tcp,
            seen: Arc::clone(&seen),
        };
        let mut request = server.url().into_client_request().unwrap();
        request
            .headers_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        let (ws, response) = timeout(WAIT, tokio_tungstenite::client_async(request, tap))
            .await
            .unwrap_or_else(|_| panic!("{name}: upgrade timed out\n{}", server.log()))
            .unwrap_or_else(|e| panic!("{name}: upgrade failed: {e}\n{}", server.log()));
        assert_eq!(response.status(), 101, "{name}");
        Agent {
            name: name.to_owned(),
            ws,
            seen,
            pushes: Vec::new(),
        }
    }

    /// The next message that is not a push (pushes are recorded in `pushes`).
    pub async fn next(&mut self) -> Message {
        loop {
            if let Some(msg) = self.read().await {
                return msg;
            }
        }
    }

    /// One message; `None` if it was a push (then recorded in `pushes`).
    async fn read(&mut self) -> Option<Message> {
        let msg = match timeout(WAIT, self.ws.next()).await {
            Err(_) => panic!("{}: nothing from the server within {WAIT:?}", self.name),
            Ok(None) => panic!("{}: the server ended the stream", self.name),
            Ok(Some(Err(e))) => panic!("{}: read failed: {e}", self.name),
            Ok(Some(Ok(msg))) => msg,
        };
        if let Message::Text(text) = &msg {
            let v: serde_json::Value = serde_json::from_str(text).unwrap_or_else(|e| {
                panic!("{}: text message is not JSON ({e}): {text:?}", self.name)
            });
            if v["type"] == "push" {
                let seq = v["seq"].as_u64().expect("push has a numeric seq");
                self.pushes.push(seq);
                return None;
            }
        }
        Some(msg)
    }

    async fn send(&mut self, msg: Message) {
        timeout(WAIT, self.ws.send(msg))
            .await
            .unwrap_or_else(|_| panic!("{}: send timed out", self.name))
            .unwrap_or_else(|e| panic!("{}: send failed: {e}", self.name));
    }

    /// WebSocket Ping; the next message must be the matching Pong.
    pub async fn ping(&mut self, payload: &'static [u8]) {
        self.send(Message::Ping(Bytes::from_static(payload))).await;
        match self.next().await {
            Message::Pong(p) => assert_eq!(&p[..], payload, "{}: pong payload", self.name),
            other => panic!("{}: expected Pong, got {other:?}", self.name),
        }
    }

    /// JSON heartbeat; the next message must be its ack.
    pub async fn heartbeat(&mut self, seq: u64) {
        let hb = format!(r#"{{"type":"heartbeat","seq":{seq}}}"#);
        self.send(Message::text(hb)).await;
        match self.next().await {
            Message::Text(t) => {
                let v: serde_json::Value = serde_json::from_str(&t).unwrap();
                assert_eq!(v["type"], "heartbeat_ack", "{}: {t}", self.name);
                assert_eq!(v["seq"], seq, "{}: {t}", self.name);
            }
            other => panic!("{}: expected heartbeat_ack, got {other:?}", self.name),
        }
    }

    /// Waits for the next push; returns its `seq`.
    pub async fn await_push(&mut self) -> u64 {
        if let Some(msg) = self.read().await {
            panic!("{}: expected a push, got {msg:?}", self.name);
        }
        *self.pushes.last().unwrap()
    }

    /// Reads (skipping pushes) until the server's Close, lets tungstenite answer
    /// it, then reads until the server hangs up.
    pub async fn await_close(&mut self) -> Closed {
        let closed = match self.next().await {
            Message::Close(Some(f)) => Closed {
                code: u16::from(f.code),
                reason: f.reason.to_string(),
            },
            other => panic!("{}: expected Close, got {other:?}", self.name),
        };
        self.drain().await;
        closed
    }

    /// Starts the close handshake with `code`; returns the server's answer.
    pub async fn close(&mut self, code: u16) -> Closed {
        let frame = tokio_tungstenite::tungstenite::protocol::CloseFrame {
            code: code.into(),
            reason: "bye".into(),
        };
        timeout(WAIT, self.ws.close(Some(frame)))
            .await
            .unwrap_or_else(|_| panic!("{}: close timed out", self.name))
            .unwrap_or_else(|e| panic!("{}: close failed: {e}", self.name));
        self.await_close().await
    }

    /// Polls until the stream ends (the server shut the TCP connection); tungstenite
    /// sends its answer to the Close meanwhile. Nothing may arrive after the Close.
    async fn drain(&mut self) {
        match timeout(WAIT, self.ws.next()).await {
            Err(_) => panic!("{}: server kept the connection open after Close", self.name),
            Ok(None | Some(Err(WsError::ConnectionClosed | WsError::AlreadyClosed))) => {}
            Ok(Some(Err(e))) => panic!("{}: after Close: {e}", self.name),
            Ok(Some(Ok(msg))) => panic!("{}: message after Close: {msg:?}", self.name),
        }
    }

    /// Everything the server sent after its 101 response, judged by the checker as a
    /// server-to-client stream. Panics with the checker's report on a violation.
    pub fn check_wire(&self) -> StreamEnd {
        let seen = self.seen.lock().unwrap();
        let head_end = seen
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|i| i + 4)
            .unwrap_or_else(|| panic!("{}: no HTTP response head in the capture", self.name));
        assert!(
            seen.starts_with(b"HTTP/1.1 101"),
            "{}: {:?}",
            self.name,
            String::from_utf8_lossy(&seen[..head_end])
        );
        let frames = &seen[head_end..];
        let mut checker = Checker::new(Config::new(Direction::ServerToClient));
        let verdict = checker.feed(frames).and_then(|()| checker.finish());
        verdict.unwrap_or_else(|v| {
            panic!(
                "{}: the server's bytes break RFC 6455\n{}",
                self.name,
                v.render(Some(frames))
            )
        })
    }
}
