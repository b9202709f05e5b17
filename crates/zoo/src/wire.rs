//! The write half every path of a connection shares, with Go's semantics.
//!
//! - [`Wire::write_frame`] takes the lock per `write` call, not per frame: each
//!   chunk the transport accepts is one critical section. A short write hands the
//!   lock to whoever is queued (tokio's mutex is FIFO), so their bytes land in
//!   the middle of this frame. This is the shared-writer flaw in its plainest form.
//! - [`Wire::close`] is Go's `Conn.Close()`: it closes the socket at once. A write
//!   blocked in the transport is interrupted (its frame stays cut where it was)
//!   and every later write fails.
//! - [`Wire::close_with`] is the shipped fix's last step: interrupt, write a Close
//!   frame, close. The Close frame goes wherever the stream happens to be.

use std::io;
use std::pin::Pin;
use std::time::Duration;

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::{watch, Mutex};
use tokio::time::timeout;

/// Why a write did not complete.
#[derive(Debug)]
pub(crate) enum WireError {
    /// The socket was closed (by anyone) before the frame was whole.
    Closed,
    /// The transport failed.
    Io(io::Error),
}

type Half = Pin<Box<dyn AsyncWrite + Send>>;

pub(crate) struct Wire {
    half: Mutex<Half>,
    closed: watch::Sender<bool>,
    /// Bounds the transport shutdown, which turns into nothing on the wire.
    deadline: Duration,
}

impl Wire {
    pub fn new(half: impl AsyncWrite + Send + 'static, deadline: Duration) -> Wire {
        Wire {
            half: Mutex::new(Box::pin(half)),
            closed: watch::Sender::new(false),
            deadline,
        }
    }

    /// Completes once the socket is closed.
    pub async fn closed(&self) {
        let mut rx = self.closed.subscribe();
        let _ = rx.wait_for(|c| *c).await;
    }

    /// Writes `frame` chunk by chunk, locking per chunk (see the module doc).
    pub async fn write_frame(&self, frame: &[u8]) -> Result<(), WireError> {
        let mut pos = 0;
        while pos < frame.len() {
            let mut half = self.half.lock().await;
            pos += self.chunk(&mut half, &frame[pos..]).await?;
        }
        let mut half = self.half.lock().await;
        half.flush().await.map_err(WireError::Io)
    }

    /// One `write` call under the lock the caller holds; a close interrupts it.
    async fn chunk(&self, half: &mut Half, bytes: &[u8]) -> Result<usize, WireError> {
        let mut closed = self.closed.subscribe();
        tokio::select! {
            biased;
            _ = closed.wait_for(|c| *c) => Err(WireError::Closed),
            n = half.write(bytes) => match n {
                Ok(0) => Err(WireError::Io(io::ErrorKind::WriteZero.into())),
                Ok(n) => Ok(n),
                Err(e) => Err(WireError::Io(e)),
            },
        }
    }

    /// Go's `Conn.Close()`. Returns false if the socket was already closed.
    pub async fn close(&self) -> bool {
        if self.closed.send_replace(true) {
            return false;
        }
        let mut half = self.half.lock().await;
        let _ = timeout(self.deadline, half.shutdown()).await;
        true
    }

    /// Interrupts any write, writes `frame`, closes. `Ok(false)`: already closed,
    /// nothing written.
    pub async fn close_with(&self, frame: &[u8]) -> Result<bool, WireError> {
        if self.closed.send_replace(true) {
            return Ok(false);
        }
        // Every other writer now fails at its next chunk, and none can start one:
        // the lock is ours from here to the end.
        let mut half = self.half.lock().await;
        let written = timeout(self.deadline, async {
            half.write_all(frame).await?;
            half.flush().await
        })
        .await;
        let _ = timeout(self.deadline, half.shutdown()).await;
        match written {
            Ok(Ok(())) => Ok(true),
            Ok(Err(e)) => Err(WireError::Io(e)),
            Err(_) => Err(WireError::Io(io::ErrorKind::TimedOut.into())),
        }
    }
}
