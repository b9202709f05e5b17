//! One agent-side connection: connect, upgrade, the reader task, writing frames.
//!
//! Agents frame their own messages (tungstenite masks with OS randomness, which
//! would break replay) and mask with keys from the agent's forked RNG. The
//! reader checks what the server sends with the frame checker and behaves like
//! gorilla/websocket on a bad frame: Close 1002 with gorilla's wording, then
//! hang up. It answers the server's Close with its own, and closes its side at
//! end of stream.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{watch, Mutex as AsyncMutex, Notify};
use tokio::task::JoinHandle;
use tokio::time::timeout;
use turmoil::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use turmoil::net::TcpStream;
use wsrace_frame::{encode, opcode, Checker, Config, Direction};

use super::wire::{base64_16, Collect, Msg};
use super::Mark;

use crate::record::ReaderEnd;
use crate::rng::SimRng;
use crate::tap::{Recorder, Side};
use crate::trace::sim_event;

/// Every network await of an agent is bounded by this.
pub(crate) const NET_DEADLINE: Duration = Duration::from_secs(10);

/// What an agent's connections share.
pub(crate) struct Link {
    pub agent: String,
    /// The turmoil host the agent runs on.
    pub host: String,
    /// Writer label of the agent's frames and handshake: `agent a1`.
    pub label: String,
    /// Writer label of `send_raw` bytes: `agent a1 raw`. `wire.grammar` leaves c2s
    /// bytes after such a write to the script (deliberate garbage is no finding).
    pub raw_label: String,
    pub rec: Recorder,
    pub mask: RefCell<SimRng>,
    /// Woken on every push, Close and end of stream.
    pub notify: Notify,
}

impl Link {
    /// Notes one of this agent's anchor events, now.
    pub fn note(&self, mark: Mark) {
        let at = crate::tap::now();
        let mut st = self.rec.lock();
        if !st.frozen {
            st.anchors.note(&self.agent, mark, at, at);
        }
    }
}

#[derive(Default)]
pub(crate) struct ConnState {
    /// The upgrade succeeded: the end of this connection is a `closed` event.
    pub upgraded: bool,
    pub ended: bool,
    pub close_sent: bool,
    pub close_received: bool,
}

type Writer = Rc<AsyncMutex<Option<OwnedWriteHalf>>>;

pub(crate) struct Conn {
    pub id: u64,
    writer: Writer,
    pub state: Rc<RefCell<ConnState>>,
    reading: watch::Sender<bool>,
    reader: Option<JoinHandle<()>>,
}

impl Conn {
    pub fn alive(&self) -> bool {
        let st = self.state.borrow();
        !st.ended && !st.close_sent
    }

    /// Stops or resumes reading, and notes on the record since when the agent
    /// has not been reading (the first stop of a stretch; cleared on resume).
    pub fn set_reading(&self, link: &Link, on: bool) {
        self.reading.send_replace(on);
        let at = crate::tap::now();
        link.rec.conn(self.id, |c| {
            c.s2c.stopped_reading_at = if on {
                None
            } else {
                c.s2c.stopped_reading_at.or(Some(at))
            };
        });
    }

    pub async fn send(&self, link: &Link, op: u8, payload: &[u8]) -> bool {
        send_frame(link, self.id, &self.writer, op, payload).await
    }

    pub async fn send_raw(&self, link: &Link, bytes: &[u8]) -> bool {
        write_raw(link, self.id, &self.writer, bytes, &link.raw_label).await
    }

    /// Sends Close (once) and notes the agent began the close.
    pub async fn close(&self, link: &Link, code: u16) -> bool {
        if std::mem::replace(&mut self.state.borrow_mut().close_sent, true) {
            return false;
        }
        link.rec.conn(self.id, |c| c.agent_initiated_close = true);
        self.send(link, opcode::CLOSE, &encode::close_payload(code, ""))
            .await
    }

    /// Drops the connection without a Close frame.
    pub fn hang_up(&mut self, link: &Link) {
        if let Some(r) = self.reader.take() {
            r.abort();
        }
        if let Ok(mut w) = self.writer.try_lock() {
            w.take();
        }
        let mut st = self.state.borrow_mut();
        if !st.ended {
            st.ended = true;
            if st.upgraded {
                link.note(Mark::Closed);
            }
            link.rec.conn(self.id, |c| c.agent_initiated_close = true);
            link.rec
                .reader_end(self.id, Side::Agent, ReaderEnd::Stopped);
        }
    }
}

/// Connects to the server and upgrades. `None` if either fails (reported).
pub(crate) async fn open(link: &Rc<Link>, token: &str) -> Option<Conn> {
    let agent = link.agent.as_str();
    let stream = match timeout(
        NET_DEADLINE,
        TcpStream::connect((crate::server::HOST, crate::server::PORT)),
    )
    .await
    {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            sim_event!("agent", "agent.connect_failed", agent, error = %e);
            return None;
        }
        Err(_) => {
            sim_event!("agent", "agent.connect_failed", agent, error = "timeout");
            return None;
        }
    };
    let local = stream
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let id = link
        .rec
        .join(&local, Side::Agent, Some((agent, link.host.as_str())));
    link.rec.conn(id, |c| c.opened_at = crate::tap::now());
    sim_event!(
        "agent",
        "agent.connected",
        agent,
        conn = id,
        local = local.as_str()
    );
    let (mut rd, wr) = stream.into_split();
    let writer: Writer = Rc::new(AsyncMutex::new(Some(wr)));

    let key = base64_16(&{
        let mut r = link.mask.borrow_mut();
        let (a, b) = (r.next_u64(), r.next_u64());
        let mut k = [0u8; 16];
        k[..8].copy_from_slice(&a.to_le_bytes());
        k[8..].copy_from_slice(&b.to_le_bytes());
        k
    });
    let request = format!(
        "GET /agent HTTP/1.1\r\nHost: hub\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    let state = Rc::new(RefCell::new(ConnState::default()));
    let head = if write_raw(link, id, &writer, request.as_bytes(), &link.label).await {
        timeout(NET_DEADLINE, read_head(link, id, &mut rd))
            .await
            .ok()
            .flatten()
    } else {
        None
    };
    let status = head.as_ref().map_or(0, |(s, _)| *s);
    if status != 101 {
        sim_event!("agent", "agent.upgrade_failed", agent, conn = id, status);
        let mut conn = Conn {
            id,
            writer,
            state,
            reading: watch::Sender::new(true),
            reader: None,
        };
        conn.hang_up(link);
        link.rec.conn(id, |c| c.agent_initiated_close = false);
        return None;
    }
    link.rec.conn(id, |c| c.upgraded = true);
    state.borrow_mut().upgraded = true;
    sim_event!("agent", "agent.upgraded", agent, conn = id);
    link.note(Mark::Connected);
    let leftover = head.map(|(_, l)| l).unwrap_or_default();
    let (reading, watch_rx) = watch::channel(true);
    let reader = tokio::task::spawn_local(read_loop(
        link.clone(),
        id,
        rd,
        leftover,
        writer.clone(),
        state.clone(),
        watch_rx,
    ));
    Some(Conn {
        id,
        writer,
        state,
        reading,
        reader: Some(reader),
    })
}

/// Reads the response head; returns its status and any bytes after it.
async fn read_head(link: &Link, id: u64, rd: &mut OwnedReadHalf) -> Option<(u16, Vec<u8>)> {
    let mut buf = Vec::with_capacity(256);
    let mut chunk = [0u8; 1024];
    loop {
        let n = rd.read(&mut chunk).await.ok()?;
        if n == 0 {
            link.rec.reader_end(id, Side::Agent, ReaderEnd::Eof);
            return None;
        }
        link.rec.received(id, Side::Agent, &chunk[..n]);
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let status = std::str::from_utf8(&buf[..end])
                .ok()?
                .split(' ')
                .nth(1)?
                .parse()
                .ok()?;
            return Some((status, buf[end + 4..].to_vec()));
        }
    }
}

async fn send_frame(link: &Link, id: u64, writer: &Writer, op: u8, payload: &[u8]) -> bool {
    let key = link.mask.borrow_mut().bytes4();
    let mut buf = Vec::with_capacity(payload.len() + 14);
    encode::frame(&mut buf, true, op, Some(key), payload);
    write_raw(link, id, writer, &buf, &link.label).await
}

async fn write_raw(link: &Link, id: u64, writer: &Writer, bytes: &[u8], label: &str) -> bool {
    let mut guard = writer.lock().await;
    let Some(w) = guard.as_mut() else {
        return false;
    };
    match timeout(NET_DEADLINE, w.write_all(bytes)).await {
        Ok(Ok(())) => {
            link.rec.wrote(id, Side::Agent, bytes, label);
            true
        }
        Ok(Err(e)) => {
            sim_event!("agent", "agent.write_failed", agent = link.agent.as_str(), conn = id, error = %e);
            false
        }
        Err(_) => {
            sim_event!(
                "agent",
                "agent.write_failed",
                agent = link.agent.as_str(),
                conn = id,
                error = "timeout"
            );
            false
        }
    }
}

async fn read_loop(
    link: Rc<Link>,
    id: u64,
    mut rd: OwnedReadHalf,
    leftover: Vec<u8>,
    writer: Writer,
    state: Rc<RefCell<ConnState>>,
    mut reading: watch::Receiver<bool>,
) {
    let agent = link.agent.as_str();
    let mut checker = Checker::new(Config::new(Direction::ServerToClient));
    let mut sink = Collect::default();
    // One buffer for the connection's life: no per-read allocation or zero-fill.
    let mut buf = vec![0u8; 4096];
    let mut pending = leftover;
    let end = loop {
        if !pending.is_empty() {
            if let Err(v) = checker.feed_with(&pending, &mut sink) {
                let text = v.gorilla();
                sim_event!(
                    "agent",
                    "agent.protocol_error",
                    agent,
                    conn = id,
                    error = text.as_str()
                );
                let close = !std::mem::replace(&mut state.borrow_mut().close_sent, true);
                if close {
                    send_frame(
                        &link,
                        id,
                        &writer,
                        opcode::CLOSE,
                        &encode::close_payload(1002, &text),
                    )
                    .await;
                }
                writer.lock().await.take();
                break ReaderEnd::Stopped;
            }
            pending.clear();
            for msg in std::mem::take(&mut sink.out) {
                handle(&link, id, &writer, &state, msg).await;
            }
        }
        if !*reading.borrow_and_update() {
            // Not reading: the server's segments pile up and its writes back up.
            let _ = reading.changed().await;
            continue;
        }
        let n = tokio::select! {
            biased;
            _ = reading.changed() => continue,
            r = rd.read(&mut buf) => r,
        };
        match n {
            Ok(0) => break ReaderEnd::Eof,
            Ok(n) => {
                link.rec.received(id, Side::Agent, &buf[..n]);
                pending.extend_from_slice(&buf[..n]);
            }
            Err(e) => break ReaderEnd::Error(e.to_string()),
        }
    };
    let what = match &end {
        ReaderEnd::Eof => "eof",
        ReaderEnd::Stopped => "stopped",
        _ => "error",
    };
    sim_event!("agent", "agent.read_end", agent, conn = id, end = what);
    link.rec.reader_end(id, Side::Agent, end);
    let was_ended = std::mem::replace(&mut state.borrow_mut().ended, true);
    if !was_ended {
        link.note(Mark::Closed);
    }
    // The server is done with us: close our side too.
    writer.lock().await.take();
    link.notify.notify_waiters();
}

async fn handle(link: &Link, id: u64, writer: &Writer, state: &RefCell<ConnState>, msg: Msg) {
    let agent = link.agent.as_str();
    match msg {
        Msg::Text(t) if t.contains("\"type\":\"push\"") => {
            sim_event!(
                "agent",
                "agent.push",
                agent,
                conn = id,
                payload = t.as_str()
            );
            link.rec
                .lock()
                .received_pushes
                .entry(link.agent.clone())
                .or_default()
                .push(t);
            link.note(Mark::PushReceived);
            link.notify.notify_waiters();
        }
        Msg::Text(_) => {}
        Msg::Ping(p) => {
            send_frame(link, id, writer, opcode::PONG, &p).await;
        }
        Msg::Close(code) => {
            let code_num = code.unwrap_or(1005);
            sim_event!(
                "agent",
                "agent.close_received",
                agent,
                conn = id,
                code = code_num
            );
            let answer = {
                let mut st = state.borrow_mut();
                st.close_received = true;
                !std::mem::replace(&mut st.close_sent, true)
            };
            if answer {
                let payload = code
                    .map(|c| encode::close_payload(c, ""))
                    .unwrap_or_default();
                send_frame(link, id, writer, opcode::CLOSE, &payload).await;
            }
            link.notify.notify_waiters();
        }
    }
}
