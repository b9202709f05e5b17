//! The Go handler's four paths, one task each, under their Go names.
//!
//! - `HandleCCConnection` ([`handle_cc_connection`]): upgrade, close the agent's
//!   old connection if any, register, start the other three, join them, clean up.
//! - `writeLoop` ([`write_loop`]): drains the connection's channel.
//! - `handleAgentMessages` ([`handle_agent_messages`]): reads; ends the
//!   connection on a read error, EOF, a protocol error or the agent's Close.
//! - `monitorConnection` ([`monitor_connection`]): ends it on heartbeat timeout.

use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::Instrument;
use wsrace_hub::parts::{self, Incoming};
use wsrace_hub::{Config, ConnId, Message, ShutdownReason};

use crate::conn::{Outbound, Registered, ZooConn};
use crate::design::Closing;
use crate::events::{emit, task_span};
use crate::hub::Shared;
use crate::wire::Wire;

const READ_CHUNK: usize = 4096;

pub(crate) async fn handle_cc_connection<S>(
    hub: Arc<Shared>,
    id: ConnId,
    mut stream: S,
    peer: String,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let conn_no = id.get();
    emit!(info, "conn.accepted", conn = conn_no, peer = peer.as_str());
    let mut stop = hub.stop.subscribe();
    let upgraded = match parts::accept(&mut stream, &hub.tokens, &hub.config, &mut stop).await {
        Ok(up) => up,
        Err(r) => {
            let (reason, status) = (r.why.as_str(), r.status);
            emit!(
                info,
                "handshake.rejected",
                conn = conn_no,
                peer = peer.as_str(),
                reason,
                status
            );
            return;
        }
    };
    let (rd, wr) = tokio::io::split(stream);
    let (tx, rx) = mpsc::channel(hub.config.outbound_queue.max(1));
    let wire = Wire::new(wr, hub.config.write_deadline);
    let conn = ZooConn::new(id, upgraded.agent, hub.design, wire, tx);

    // Go closed the old connection here, before registering the new one; the
    // sleep-100ms fix slept here too, holding up the new agent for 100 ms.
    if let Some(old) = hub.registry.get(conn.agent.as_str()) {
        old.end(ShutdownReason::Replaced { by: id }).await;
    }
    let entry = Registered(conn.clone());
    // The old connection was closed above, Go's way, so the one replaced is ignored.
    let registered = hub.registry.register(&entry).is_ok();

    let writer =
        tokio::spawn(write_loop(conn.clone(), rx).instrument(task_span(conn_no, "writeLoop")));
    let monitor = tokio::spawn(
        monitor_connection(conn.clone(), hub.config.clone())
            .instrument(task_span(conn_no, "monitorConnection")),
    );
    let reader = tokio::spawn(
        handle_agent_messages(conn.clone(), rd, upgraded.leftover, hub.config.clone())
            .instrument(task_span(conn_no, "handleAgentMessages")),
    );
    if !registered {
        // The hub began shutting down during the upgrade: this agent, too, is
        // told "going away" the design's way.
        conn.end(ShutdownReason::HubShutdown).await;
    }
    let _ = reader.await;
    let _ = writer.await;
    let _ = monitor.await;
    hub.registry.unregister(&entry);
    let agent = conn.agent.as_str();
    let reason = conn.reason();
    let end = conn.conn_end();
    emit!(
        info,
        "conn.closed",
        conn = conn_no,
        agent,
        reason = reason.as_str(),
        end = end.as_str()
    );
}

pub(crate) async fn write_loop(conn: Arc<ZooConn>, mut rx: mpsc::Receiver<Outbound>) {
    let mut cancel = conn.cancel.subscribe();
    loop {
        // Between frames: the socket gone, a cancel, or the next item.
        let item = tokio::select! {
            biased;
            () = conn.wire.closed() => return,
            _ = cancel.wait_for(|c| *c) => break,
            item = rx.recv() => item,
        };
        let Some(item) = item else { break };
        let (opcode, len, frame) = item.encode();
        let written = if conn.design.cancels_mid_frame() {
            // The flaw: `write_all` is not cancel-safe; a cancel here drops
            // the rest of a frame whose first bytes are already out.
            tokio::select! {
                biased;
                _ = cancel.wait_for(|c| *c) => break,
                w = conn.wire.write_frame(&frame) => w,
            }
        } else {
            conn.wire.write_frame(&frame).await
        };
        match written {
            Ok(()) => emit!(
                trace,
                "frame.written",
                conn = conn.id.get(),
                opcode,
                len = len as u64
            ),
            Err(e) => {
                // Go's writeLoop returned on a write error and its deferred
                // Close() ended the connection; without it nobody else would.
                conn.write_failed(e);
                conn.wire.close().await;
                return;
            }
        }
    }
    if conn.design.closing() == Closing::ViaWriter {
        conn.close_politely(false).await;
    }
}

pub(crate) async fn monitor_connection(conn: Arc<ZooConn>, config: Config) {
    let mut last = conn.last_heartbeat.subscribe();
    loop {
        let due = *last.borrow_and_update() + config.heartbeat_timeout;
        tokio::select! {
            biased;
            () = conn.wire.closed() => return,
            _ = last.changed() => continue,
            () = tokio::time::sleep_until(due) => {}
        }
        let (id, agent) = (conn.id.get(), conn.agent.as_str());
        conn.end_because(ShutdownReason::HeartbeatTimeout, || {
            emit!(info, "heartbeat.timeout", conn = id, agent);
        })
        .await;
        return;
    }
}

pub(crate) async fn handle_agent_messages<R>(
    conn: Arc<ZooConn>,
    mut rd: R,
    leftover: Vec<u8>,
    config: Config,
) where
    R: AsyncRead + Unpin,
{
    let mut frames = parts::FrameReader::new(&config);
    let mut buf = vec![0u8; READ_CHUNK];
    let mut pending = leftover;
    loop {
        if !pending.is_empty() {
            let (completed, checked) = frames.feed(&pending);
            pending.clear();
            for incoming in completed {
                if let Some(reason) = on_incoming(&conn, incoming).await {
                    return conn.end(reason).await;
                }
            }
            if let Err(v) = checked {
                if conn.design.gorilla_closes() {
                    // gorilla's handleProtocolError: a Close frame, written by the
                    // reading goroutine itself, with gorilla's wording as reason.
                    let close = ShutdownReason::Protocol {
                        rule: v.rule,
                        detail: String::new(),
                    }
                    .close_frame()
                    .map(|mut c| {
                        c.reason = v.gorilla();
                        c
                    });
                    if let Some(close) = close {
                        write_direct(&conn, &close.encode(), || conn.close_sent(&close)).await;
                    }
                }
                return conn
                    .end(ShutdownReason::Protocol {
                        rule: v.rule,
                        detail: v.detail,
                    })
                    .await;
            }
        }
        let read = tokio::select! {
            biased;
            // Go: a read on a closed socket fails; the other closer already closed.
            () = conn.wire.closed() => return,
            read = rd.read(&mut buf) => read,
        };
        match read {
            Ok(0) => {
                conn.peer_gone();
                return conn.end(ShutdownReason::PeerGone).await;
            }
            Ok(n) => pending.extend_from_slice(&buf[..n]),
            Err(e) => {
                conn.peer_gone();
                return conn
                    .end(ShutdownReason::ReadFailed { kind: e.kind() })
                    .await;
            }
        }
    }
}

/// Acts on one complete frame; `Some(reason)` ends the connection.
async fn on_incoming(conn: &ZooConn, incoming: Incoming) -> Option<ShutdownReason> {
    let (id, agent) = (conn.id.get(), conn.agent.as_str());
    let open = conn.is_open();
    match incoming {
        Incoming::Frame { opcode, len } => emit!(trace, "frame.read", conn = id, opcode, len),
        Incoming::Close { code } => {
            emit!(
                debug,
                "close.received",
                conn = id,
                code = code.unwrap_or(1005)
            );
            conn.peer_closed();
            let reason = ShutdownReason::PeerClosed { code };
            if conn.design.gorilla_closes() {
                // gorilla's default close handler echoes the code from the reader.
                if let Some(close) = reason.close_frame() {
                    write_direct(conn, &close.encode(), || conn.close_sent(&close)).await;
                }
            }
            return Some(reason);
        }
        Incoming::Ping(payload) if open => {
            emit!(debug, "heartbeat", conn = id, agent, kind = "ping");
            conn.last_heartbeat.send_replace(Instant::now());
            reply(conn, Outbound::Pong(payload)).await;
        }
        Incoming::Text(bytes) if open => {
            let text = String::from_utf8_lossy(&bytes);
            match parts::heartbeat_ack(&text) {
                Some(ack) => {
                    emit!(debug, "heartbeat", conn = id, agent, kind = "json");
                    conn.last_heartbeat.send_replace(Instant::now());
                    // Go's writeLoop "about to write a heartbeat response".
                    let ack = Outbound::Message(Message::Text(ack));
                    if conn.design == crate::Design::LockPerWrite {
                        reply(conn, ack).await;
                    } else {
                        let _ = conn.queue.try_send(ack);
                    }
                }
                None => {
                    let len = bytes.len() as u64;
                    emit!(
                        debug,
                        "message.received",
                        conn = id,
                        agent,
                        kind = "text",
                        len
                    );
                }
            }
        }
        Incoming::Binary(bytes) if open => {
            let len = bytes.len() as u64;
            emit!(
                debug,
                "message.received",
                conn = id,
                agent,
                kind = "binary",
                len
            );
        }
        _ => {}
    }
    None
}

/// A reply the reader owes: written by the reader itself in designs where it
/// writes (gorilla's default ping handler), else queued for writeLoop.
async fn reply(conn: &ZooConn, item: Outbound) {
    if conn.design.reader_writes() {
        let (opcode, len, frame) = item.encode();
        let id = conn.id.get();
        write_direct(conn, &frame, || {
            emit!(trace, "frame.written", conn = id, opcode, len = len as u64)
        })
        .await;
    } else {
        let _ = conn.queue.try_send(item);
    }
}

/// A frame written from the reader, sharing the wire with writeLoop.
async fn write_direct(conn: &ZooConn, frame: &[u8], done: impl FnOnce()) {
    match conn.wire.write_frame(frame).await {
        Ok(()) => done(),
        Err(e) => conn.write_failed(e),
    }
}
