//! A small hub built from `wsrace_hub::parts`, with one [`Flaw`] switched in at
//! a time. One task per connection reads, writes and keeps the heartbeat
//! deadline, so without a flaw it is simple enough to be plainly right, and it
//! passes every oracle: whatever fires against a flawed one is the flaw.
//!
//! It speaks the hub's event schema (target `wsrace_hub`, field `event`), which
//! is what the hub oracles read, and runs each connection in a `task` span so
//! its writes are labelled `mini conn#N connection`.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, watch};
use tokio::time::{sleep, sleep_until, timeout_at, Instant};
use tracing::Instrument;
use wsrace_frame::{encode, opcode};
use wsrace_hub::parts::{self, FrameReader, Incoming};
use wsrace_hub::{Config, ConnEnd, ConnId, ShutdownReason, Tokens};
use wsrace_sim::server::{hub_config, LocalFuture};
use wsrace_sim::{ServerFactory, ServerSetup, SimListener, SimServer};

/// One hub-schema event: `emit!("conn.accepted", conn = n, peer = p)`.
macro_rules! emit {
    ($name:literal $(, $($field:tt)*)?) => {
        ::tracing::info!(target: "wsrace_hub", event = $name $(, $($field)*)?)
    };
}

/// What is wrong with the server; each trips one oracle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flaw {
    /// Nothing: a correct, if small, hub.
    None,
    /// Masks every frame it writes (`wire.grammar`: servers must not mask).
    MasksItsFrames,
    /// Answers a Ping with reserved control opcode 0xB (`wire.grammar`).
    AnswersPingsWithAReservedOpcode,
    /// On a heartbeat timeout shuts the transport without a Close frame (`wire.close`).
    HangsUpOnTimeoutWithoutClose,
    /// Registers a reconnect but never replaces or closes the older connection
    /// (`hub.registry`: two live connections for one agent).
    NeverReplacesTheOldConnection,
    /// Leaves the agent's entry behind when its connection closes
    /// (`hub.registry`: the registry at quiescence lists an agent that is gone).
    KeepsClosedConnectionsRegistered,
    /// Never enforces the heartbeat timeout (`hub.liveness`).
    NeverTimesOut,
    /// Spawns a keepalive pinger per connection and neither stops nor joins it,
    /// so it reports on the connection after `conn.closed` (`hub.tasks`).
    LeaksAKeepalivePinger,
    /// `send` accepts every push but queues only every other one (`hub.delivery`).
    DropsEverySecondPush,
    /// `send` queues every push twice (`hub.delivery`).
    SendsEachPushTwice,
    /// Numbers connections from a process-wide counter, so the same seed run twice
    /// in one process numbers them differently (`sim.determinism`).
    NumbersConnectionsAcrossRuns,
}

/// The mini hub with `Flaw`, as a [`ServerFactory`].
pub struct Mini(pub Flaw);

impl ServerFactory for Mini {
    fn name(&self) -> String {
        format!("mini:{:?}", self.0)
    }

    fn build(&self, setup: &ServerSetup) -> Rc<dyn SimServer> {
        Rc::new(Server {
            flaw: self.0,
            config: hub_config(&setup.hub),
            tokens: Tokens::from_pairs(setup.tokens.iter().map(|(a, t)| (a, t)))
                .expect("scenario agents give valid tokens"),
            current: RefCell::new(None),
        })
    }
}

struct Server {
    flaw: Flaw,
    config: Config,
    tokens: Tokens,
    /// The running incarnation (a bounce starts a new one).
    current: RefCell<Option<Rc<Hub>>>,
}

/// One incarnation's state. Everything runs on the `hub` host's one thread, and
/// the driver calls `send` between steps, so `Rc` and `RefCell` do.
struct Hub {
    flaw: Flaw,
    config: Config,
    tokens: Tokens,
    next_conn: Cell<u64>,
    registry: RefCell<BTreeMap<String, Entry>>,
    sends: Cell<u64>,
}

struct Entry {
    conn: u64,
    tx: mpsc::UnboundedSender<Out>,
}

/// What a connection's task is asked to do.
enum Out {
    Push(String),
    Ping,
    End(ShutdownReason),
}

/// The flaw's own counter: shared by every run in the process.
static CONNS_EVER: AtomicU64 = AtomicU64::new(0);

impl SimServer for Server {
    fn serve(&self, mut listener: SimListener) -> LocalFuture {
        let hub = Rc::new(Hub {
            flaw: self.flaw,
            config: self.config.clone(),
            tokens: self.tokens.clone(),
            next_conn: Cell::new(0),
            registry: RefCell::new(BTreeMap::new()),
            sends: Cell::new(0),
        });
        *self.current.borrow_mut() = Some(hub.clone());
        Box::pin(async move {
            while let Ok((stream, peer)) = listener.accept().await {
                let n = hub.number();
                let span =
                    tracing::info_span!(target: "mini", "task", conn = n, role = "connection");
                tokio::task::spawn_local(connection(hub.clone(), n, stream, peer).instrument(span));
            }
        })
    }

    fn send(&self, agent: &str, text: &str) -> Result<(), String> {
        let hub = self.current.borrow().clone().ok_or("not started")?;
        let registry = hub.registry.borrow();
        let entry = registry
            .get(agent)
            .ok_or_else(|| format!("agent {agent} is not connected"))?;
        let k = hub.sends.get() + 1;
        hub.sends.set(k);
        let copies = match hub.flaw {
            Flaw::DropsEverySecondPush if k % 2 == 0 => 0,
            Flaw::SendsEachPushTwice => 2,
            _ => 1,
        };
        for _ in 0..copies {
            entry
                .tx
                .send(Out::Push(text.to_owned()))
                .map_err(|_| "the connection is closing".to_owned())?;
        }
        Ok(())
    }

    fn registry(&self) -> Option<BTreeMap<String, u64>> {
        let hub = self.current.borrow().clone()?;
        let registry = hub.registry.borrow();
        Some(registry.iter().map(|(a, e)| (a.clone(), e.conn)).collect())
    }
}

impl Hub {
    fn number(&self) -> u64 {
        if self.flaw == Flaw::NumbersConnectionsAcrossRuns {
            return CONNS_EVER.fetch_add(1, Ordering::Relaxed) + 1;
        }
        let n = self.next_conn.get() + 1;
        self.next_conn.set(n);
        n
    }

    fn register(&self, conn: u64, agent: &str, tx: mpsc::UnboundedSender<Out>) {
        emit!("conn.registered", conn, agent);
        let old = self
            .registry
            .borrow_mut()
            .insert(agent.to_owned(), Entry { conn, tx });
        let Some(old) = old else { return };
        if self.flaw == Flaw::NeverReplacesTheOldConnection {
            return;
        }
        emit!("conn.replaced", conn = old.conn, agent, by = conn);
        let _ = old.tx.send(Out::End(ShutdownReason::Replaced {
            by: ConnId::new(conn),
        }));
    }

    /// Removes `agent`'s entry if it is still `conn`'s.
    fn unregister(&self, conn: u64, agent: &str) {
        let mut registry = self.registry.borrow_mut();
        if registry.get(agent).is_some_and(|e| e.conn == conn) {
            registry.remove(agent);
        }
    }
}

/// Everything that happens to one accepted stream.
async fn connection<S>(hub: Rc<Hub>, n: u64, mut stream: S, peer: String)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    emit!("conn.accepted", conn = n, peer = peer.as_str());
    let (_stop, mut stop) = watch::channel(false);
    let upgraded = match parts::accept(&mut stream, &hub.tokens, &hub.config, &mut stop).await {
        Ok(up) => up,
        Err(r) => {
            let (reason, status) = (r.why.as_str(), r.status);
            emit!(
                "handshake.rejected",
                conn = n,
                peer = peer.as_str(),
                reason,
                status
            );
            return;
        }
    };
    let agent = upgraded.agent.as_str().to_owned();
    let (tx, rx) = mpsc::unbounded_channel();
    hub.register(n, &agent, tx.clone());
    if hub.flaw == Flaw::LeaksAKeepalivePinger {
        // The flaw: spawned, never stopped, never joined before `conn.closed`.
        let span = tracing::info_span!(target: "mini", "task", conn = n, role = "pinger");
        tokio::task::spawn_local(keepalive(n, tx).instrument(span));
    }
    let mut conn = Conn {
        reader: FrameReader::new(&hub.config),
        hub,
        n,
        agent,
        stream,
        rx,
        peer_closed: false,
        peer_gone: false,
        close_sent: false,
        write_failed: false,
    };
    let reason = conn.run(upgraded.leftover).await;
    conn.finish(reason).await;
}

/// Queues a Ping every 100 ms until the connection's queue is gone.
async fn keepalive(conn: u64, tx: mpsc::UnboundedSender<Out>) {
    loop {
        sleep(Duration::from_millis(100)).await;
        if tx.send(Out::Ping).is_err() {
            emit!(
                "write.failed",
                conn,
                error = "keepalive: the connection is gone"
            );
            return;
        }
    }
}

struct Conn<S> {
    hub: Rc<Hub>,
    n: u64,
    agent: String,
    stream: S,
    reader: FrameReader,
    rx: mpsc::UnboundedReceiver<Out>,
    peer_closed: bool,
    peer_gone: bool,
    close_sent: bool,
    write_failed: bool,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Conn<S> {
    /// Serves the connection until its end is decided; returns why.
    async fn run(&mut self, leftover: Vec<u8>) -> ShutdownReason {
        let mut deadline = Instant::now() + self.hub.config.heartbeat_timeout;
        let enforce = self.hub.flaw != Flaw::NeverTimesOut;
        let mut input = leftover;
        let mut buf = vec![0u8; 4096];
        loop {
            if let Some(reason) = self.take(&input, &mut deadline).await {
                return reason;
            }
            input.clear();
            tokio::select! {
                biased;
                read = self.stream.read(&mut buf) => match read {
                    Ok(0) => {
                        self.peer_gone = true;
                        return ShutdownReason::PeerGone;
                    }
                    Ok(k) => input.extend_from_slice(&buf[..k]),
                    Err(e) => {
                        self.peer_gone = true;
                        return ShutdownReason::ReadFailed { kind: e.kind() };
                    }
                },
                Some(out) = self.rx.recv() => {
                    let frame = match out {
                        Out::Push(text) => self.frame(opcode::TEXT, text.as_bytes()),
                        Out::Ping => self.frame(opcode::PING, b"keepalive"),
                        Out::End(reason) => return reason,
                    };
                    if !self.write(&frame).await {
                        return ShutdownReason::PeerGone;
                    }
                }
                () = sleep_until(deadline), if enforce => {
                    emit!("heartbeat.timeout", conn = self.n, agent = self.agent.as_str());
                    return ShutdownReason::HeartbeatTimeout;
                }
            }
        }
    }

    /// Acts on the agent's bytes; `Some` once they decide the end.
    async fn take(&mut self, bytes: &[u8], deadline: &mut Instant) -> Option<ShutdownReason> {
        if bytes.is_empty() {
            return None;
        }
        let (items, checked) = self.reader.feed(bytes);
        let (conn, agent) = (self.n, self.agent.clone());
        for item in items {
            let reply = match item {
                Incoming::Ping(payload) => {
                    emit!("heartbeat", conn, agent = agent.as_str(), kind = "ping");
                    *deadline = Instant::now() + self.hub.config.heartbeat_timeout;
                    Some(self.frame(opcode::PONG, &payload))
                }
                Incoming::Text(text) => {
                    let text = String::from_utf8_lossy(&text);
                    match parts::heartbeat_ack(&text) {
                        Some(ack) => {
                            emit!("heartbeat", conn, agent = agent.as_str(), kind = "json");
                            *deadline = Instant::now() + self.hub.config.heartbeat_timeout;
                            Some(self.frame(opcode::TEXT, ack.as_bytes()))
                        }
                        None => {
                            let len = text.len() as u64;
                            emit!(
                                "message.received",
                                conn,
                                agent = agent.as_str(),
                                kind = "text",
                                len
                            );
                            None
                        }
                    }
                }
                Incoming::Close { code } => {
                    emit!("close.received", conn, code = code.unwrap_or(1005));
                    self.peer_closed = true;
                    return Some(ShutdownReason::PeerClosed { code });
                }
                _ => None,
            };
            if let Some(frame) = reply {
                if !self.write(&frame).await {
                    return Some(ShutdownReason::PeerGone);
                }
            }
        }
        checked.err().map(|v| ShutdownReason::Protocol {
            rule: v.rule,
            detail: String::new(),
        })
    }

    /// Sends the reason's Close frame (unless the agent is gone), waits for the
    /// agent's answer, shuts the transport, leaves the registry, reports.
    async fn finish(&mut self, reason: ShutdownReason) {
        let (conn, agent) = (self.n, self.agent.clone());
        emit!(
            "shutdown.begun",
            conn,
            agent = agent.as_str(),
            reason = reason.as_str()
        );
        let hang_up = self.hub.flaw == Flaw::HangsUpOnTimeoutWithoutClose
            && reason == ShutdownReason::HeartbeatTimeout;
        let close = reason.close_frame().filter(|_| !hang_up && !self.peer_gone);
        if let Some(close) = close {
            let payload = close
                .code
                .map(|c| encode::close_payload(c, &close.reason))
                .unwrap_or_default();
            let frame = self.frame(opcode::CLOSE, &payload);
            if self.write(&frame).await {
                self.close_sent = true;
                let code = close.event_code();
                emit!("close.sent", conn, code, reason = close.reason.as_str());
                self.await_close().await;
            }
        }
        let _ = self.stream.shutdown().await;
        if self.hub.flaw != Flaw::KeepsClosedConnectionsRegistered {
            self.hub.unregister(conn, &agent);
        }
        let end = self.end().as_str();
        emit!(
            "conn.closed",
            conn,
            agent = agent.as_str(),
            reason = reason.as_str(),
            end
        );
    }

    /// Reads until the agent's Close, its end of stream or `close_deadline`.
    async fn await_close(&mut self) {
        let deadline = Instant::now() + self.hub.config.close_deadline;
        let mut buf = [0u8; 1024];
        while !self.peer_closed && !self.peer_gone {
            match timeout_at(deadline, self.stream.read(&mut buf)).await {
                Ok(Ok(0) | Err(_)) => self.peer_gone = true,
                Ok(Ok(k)) => {
                    let (items, checked) = self.reader.feed(&buf[..k]);
                    for item in items {
                        if let Incoming::Close { code } = item {
                            emit!("close.received", conn = self.n, code = code.unwrap_or(1005));
                            self.peer_closed = true;
                        }
                    }
                    if checked.is_err() {
                        return;
                    }
                }
                Err(_) => return,
            }
        }
    }

    fn end(&self) -> ConnEnd {
        if self.write_failed {
            ConnEnd::WriteFailed
        } else if self.close_sent && self.peer_closed {
            ConnEnd::Clean
        } else if self.close_sent {
            ConnEnd::Unanswered
        } else if self.peer_gone || self.peer_closed {
            ConnEnd::PeerGone
        } else {
            ConnEnd::WriteFailed
        }
    }

    /// One frame as this server writes it: where the wire flaws live.
    fn frame(&self, op: u8, payload: &[u8]) -> Vec<u8> {
        let (op, mask) = match self.hub.flaw {
            Flaw::MasksItsFrames => (op, Some([0x5a, 0x11, 0xc3, 0x07])),
            Flaw::AnswersPingsWithAReservedOpcode if op == opcode::PONG => (0xb, None),
            _ => (op, None),
        };
        let mut out = Vec::with_capacity(payload.len() + 14);
        encode::frame(&mut out, true, op, mask, payload);
        out
    }

    /// Writes and flushes one whole frame; false (reported once) if the transport refused.
    async fn write(&mut self, frame: &[u8]) -> bool {
        if self.write_failed {
            return false;
        }
        let written = match self.stream.write_all(frame).await {
            Ok(()) => self.stream.flush().await,
            Err(e) => Err(e),
        };
        match written {
            Ok(()) => true,
            Err(e) => {
                emit!("write.failed", conn = self.n, error = %e);
                self.write_failed = true;
                false
            }
        }
    }
}
