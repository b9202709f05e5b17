//! The writer: the only code that writes to a connection's transport.
//!
//! Between frames it checks, before anything queued, whether the end has been
//! decided (`biased` select), so a shutdown never waits behind a full queue and a
//! frame is never cut by one. Each frame is written and flushed under
//! `write_deadline`; a write that misses it is dropped where it stands and the
//! writer returns at once, writing nothing more, not even the transport shutdown.
//!
//! Once the end is decided: write the Close frame (unless the agent is already
//! gone), wait up to `close_deadline` for the agent's Close or EOF, shut the
//! transport. Items still queued then are dropped (delivery is at most once).

use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::time::timeout;
use wsrace_frame::{encode, opcode};

use super::state::{ConnState, Peer};
use super::Outbound;
use crate::events::emit;
use crate::{Config, ConnEnd};

pub(crate) async fn run<W>(
    mut w: W,
    mut queue: mpsc::Receiver<Outbound>,
    state: Arc<ConnState>,
    config: Config,
) -> ConnEnd
where
    W: AsyncWrite + Unpin,
{
    let conn = state.id.get();
    let deadline = config.write_deadline;
    let mut life = state.lifecycle();
    let mut buf = Vec::new();

    // Data frames, until the end is decided.
    loop {
        if !life.borrow_and_update().is_open() {
            break;
        }
        let item = tokio::select! {
            biased;
            changed = life.changed() => {
                if changed.is_err() {
                    break;
                }
                continue;
            }
            item = queue.recv() => item,
        };
        let Some(item) = item else {
            // Every sender is gone; that only happens once the end is decided.
            let _ = life.wait_for(|l| !l.is_open()).await;
            break;
        };
        buf.clear();
        encode::frame(&mut buf, true, item.opcode(), None, item.payload());
        let len = item.payload().len();
        if let Err(end) = write_frame(&mut w, &buf, conn, item.opcode(), len, deadline).await {
            return end;
        }
    }

    let reason = life.borrow().reason().cloned();
    let close = reason.as_ref().and_then(|r| r.close_frame());
    let mut peer = state.peer();
    let peer_gone = *peer.borrow() == Peer::Gone;

    // The Close frame, unless the agent has already gone: after EOF or a read error
    // nothing more is written.
    let end = match close {
        Some(close) if !peer_gone => {
            let payload = match close.code {
                Some(code) => encode::close_payload(code, &close.reason),
                None => Vec::new(),
            };
            buf.clear();
            encode::frame(&mut buf, true, opcode::CLOSE, None, &payload);
            let len = payload.len();
            if let Err(end) = write_frame(&mut w, &buf, conn, opcode::CLOSE, len, deadline).await {
                return end;
            }
            // 1005 is RFC 6455's name for "no status code" in APIs; never on the wire.
            state.close_sent(close.code.unwrap_or(1005), &close.reason);
            // (The watch guard must not live across an await: bind only a bool.)
            let answered = matches!(
                timeout(config.close_deadline, peer.wait_for(|p| p.is_done())).await,
                Ok(Ok(p)) if *p == Peer::Closed
            );
            if answered {
                ConnEnd::Clean
            } else {
                ConnEnd::Unanswered
            }
        }
        _ => ConnEnd::PeerGone,
    };

    // Every frame is complete here, so a shutdown that fails or hangs changes
    // nothing on the wire; dropping the stream closes it in any case.
    let _ = timeout(deadline, w.shutdown()).await;
    end
}

/// Writes and flushes one encoded frame under `deadline`, or reports why not.
async fn write_frame<W: AsyncWrite + Unpin>(
    w: &mut W,
    wire: &[u8],
    conn: u64,
    opcode: u8,
    len: usize,
    deadline: Duration,
) -> Result<(), ConnEnd> {
    let mut written = 0usize;
    let result = timeout(deadline, write_counted(w, wire, &mut written)).await;
    match result {
        Ok(Ok(())) => {
            emit!(trace, "frame.written", conn, opcode, len = len as u64);
            Ok(())
        }
        Ok(Err(error)) => {
            emit!(warn, "write.failed", conn, error = %error);
            Err(ConnEnd::WriteFailed)
        }
        Err(_elapsed) => {
            // The write future is already dropped, possibly mid-frame. Returning
            // here guarantees no byte follows the torn one.
            emit!(
                warn,
                "write.aborted",
                conn,
                opcode,
                len = len as u64,
                wire = wire.len() as u64,
                written = written as u64
            );
            Err(ConnEnd::WriteAborted)
        }
    }
}

/// `write_all` + `flush`, counting accepted bytes so an abort can say how far it got.
async fn write_counted<W: AsyncWrite + Unpin>(
    w: &mut W,
    wire: &[u8],
    written: &mut usize,
) -> io::Result<()> {
    while *written < wire.len() {
        match w.write(&wire[*written..]).await? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => *written += n,
        }
    }
    w.flush().await
}
