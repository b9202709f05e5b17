//! The chaos transport: a seeded wrapper around a server-side stream that makes
//! the interleavings turmoil alone cannot produce.
//!
//! turmoil sends every write whole and hands every segment to the reader on its
//! own, so without this a frame is never torn mid-write and two frames never
//! arrive in one read. The wrapper, per connection and from its own forked RNG:
//! - accepts only part of a write (short write), which lets a second writer's
//!   bytes in mid-frame in designs that have two writers;
//! - returns `Pending` and wakes later in simulated time (a short delay or a
//!   stall longer than 100 ms: backpressure that outlasts a fixed sleep);
//! - merges several segments into one read, or cuts a read short;
//! - fails reads (read error) or the whole connection (reset).
//!
//! It also taps both directions into the recorder, attributing each write to the
//! writer label of the task doing it. With every rate at zero it is transparent.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

use crate::record::ReaderEnd;
use crate::rng::SimRng;
use crate::tap::{Recorder, Side};
use crate::trace::sim_event;

/// Chaos rates (per mille, per write or per read) and delay ranges. All zero
/// (the default) makes the transport transparent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChaosConfig {
    /// A write accepts only `1..len` bytes.
    pub short_write_per_mille: u32,
    /// A write waits `pending_min_ms..=pending_max_ms` first.
    pub pending_per_mille: u32,
    pub pending_min_ms: u64,
    pub pending_max_ms: u64,
    /// A write stalls `stall_min_ms..=stall_max_ms` first (recorded as a fault).
    pub stall_per_mille: u32,
    pub stall_min_ms: u64,
    pub stall_max_ms: u64,
    /// A read that got data also takes every further segment already there.
    pub coalesce_per_mille: u32,
    /// A read is limited to part of the caller's buffer.
    pub split_read_per_mille: u32,
    /// A read that got data fails instead; later reads fail too.
    pub read_error_per_mille: u32,
    /// A read that got data finds the connection reset; reads and writes fail.
    pub reset_per_mille: u32,
}

impl ChaosConfig {
    /// Lively but survivable: what a correct server must take over many seeds.
    /// Stalls run 120-400 ms, longer than the incident's 100 ms sleep.
    pub fn incident() -> Self {
        ChaosConfig {
            short_write_per_mille: 300,
            pending_per_mille: 100,
            pending_min_ms: 1,
            pending_max_ms: 30,
            stall_per_mille: 20,
            stall_min_ms: 120,
            stall_max_ms: 400,
            coalesce_per_mille: 500,
            split_read_per_mille: 100,
            read_error_per_mille: 2,
            reset_per_mille: 1,
        }
    }

    /// The longest a write can be held back, for quiescence detection.
    pub fn max_delay(&self) -> Duration {
        Duration::from_millis(self.pending_max_ms.max(self.stall_max_ms))
    }
}

/// A server-side stream under chaos. Built by [`SimListener`](crate::SimListener).
pub struct ChaosStream<S> {
    inner: S,
    cfg: ChaosConfig,
    rng: SimRng,
    id: u64,
    rec: Recorder,
    host: String,
    delay: Option<Pin<Box<Sleep>>>,
    /// The current write's delay dice are rolled (cleared once it completes), so
    /// a write is delayed at most once however often it is polled.
    rolled: bool,
    read_broken: Option<io::ErrorKind>,
    write_broken: bool,
}

impl<S> ChaosStream<S> {
    pub(crate) fn new(inner: S, cfg: ChaosConfig, rng: SimRng, id: u64, rec: Recorder) -> Self {
        ChaosStream {
            inner,
            cfg,
            rng,
            id,
            rec,
            host: "hub".to_owned(),
            delay: None,
            rolled: false,
            read_broken: None,
            write_broken: false,
        }
    }

    /// The harness's number for this connection.
    pub fn conn_id(&self) -> u64 {
        self.id
    }

    fn start_delay(&mut self, lo: u64, hi: u64) -> u64 {
        let ms = self.rng.range(lo.max(1), hi);
        self.delay = Some(Box::pin(tokio::time::sleep(Duration::from_millis(ms))));
        ms
    }

    fn inject(&mut self, kind: &str) {
        let conn = self.id;
        match kind {
            "chaos.reset" => sim_event!("chaos", "chaos.reset", conn),
            _ => sim_event!("chaos", "chaos.read_error", conn),
        }
        {
            let stats = &mut self.rec.lock().stats;
            match kind {
                "chaos.reset" => stats.resets += 1,
                _ => stats.read_errors += 1,
            }
        }
        self.rec.fault(
            crate::tap::now(),
            kind,
            vec![self.id],
            vec![self.host.clone()],
        );
    }
}

impl<S> Drop for ChaosStream<S> {
    fn drop(&mut self) {
        // The server let go of the stream without reading to its end.
        self.rec
            .reader_end(self.id, Side::Server, ReaderEnd::Stopped);
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for ChaosStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.write_broken {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "connection reset (injected)",
            )));
        }
        if buf.is_empty() {
            return Pin::new(&mut this.inner).poll_write(cx, buf);
        }
        if !this.rolled {
            this.rolled = true;
            let c = this.cfg.clone();
            if this.rng.chance(c.stall_per_mille) {
                let ms = this.start_delay(c.stall_min_ms, c.stall_max_ms);
                // In the trace too, with its length: a report then shows the
                // write that was blocked, and for how long, next to what it broke.
                let (conn, len) = (this.id, buf.len() as u64);
                sim_event!("chaos", "chaos.stall", conn, ms, len);
                this.rec.lock().stats.stalls += 1;
                this.rec.fault(
                    crate::tap::now(),
                    "chaos.stall",
                    vec![this.id],
                    vec![this.host.clone()],
                );
            } else if this.rng.chance(c.pending_per_mille) {
                this.start_delay(c.pending_min_ms, c.pending_max_ms);
                this.rec.lock().stats.pending_writes += 1;
            }
        }
        if let Some(delay) = this.delay.as_mut() {
            ready!(delay.as_mut().poll(cx));
            this.delay = None;
        }
        let short = buf.len() > 1 && this.rng.chance(this.cfg.short_write_per_mille);
        let n = if short {
            this.rng.range(1, buf.len() as u64 - 1) as usize
        } else {
            buf.len()
        };
        let k = ready!(Pin::new(&mut this.inner).poll_write(cx, &buf[..n]))?;
        this.rolled = false;
        if k < buf.len() {
            this.rec.lock().stats.short_writes += 1;
        }
        let writer = crate::trace::writer_label();
        this.rec.wrote(this.id, Side::Server, &buf[..k], &writer);
        Poll::Ready(Ok(k))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.write_broken {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for ChaosStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(kind) = this.read_broken {
            return Poll::Ready(Err(io::Error::new(kind, "read failed (injected)")));
        }
        let before = buf.filled().len();
        let room = buf.remaining();
        let split = room > 1 && this.rng.chance(this.cfg.split_read_per_mille);
        let limit = if split {
            this.rng.range(1, room as u64 - 1) as usize
        } else {
            room
        };
        match read_into(&mut this.inner, cx, buf, limit) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Err(e)) => {
                this.rec
                    .reader_end(this.id, Side::Server, ReaderEnd::Error(e.to_string()));
                return Poll::Ready(Err(e));
            }
            Poll::Ready(Ok(0)) => {
                if room > 0 {
                    this.rec.reader_end(this.id, Side::Server, ReaderEnd::Eof);
                }
                return Poll::Ready(Ok(()));
            }
            Poll::Ready(Ok(_)) => {}
        }
        if split {
            this.rec.lock().stats.split_reads += 1;
        } else if this.rng.chance(this.cfg.coalesce_per_mille) {
            // Take what else has already arrived; stop at the first Pending, EOF
            // or error (the next read reports those as usual).
            let mut merged = false;
            while buf.remaining() > 0 {
                let left = buf.remaining();
                match read_into(&mut this.inner, cx, buf, left) {
                    Poll::Ready(Ok(n)) if n > 0 => merged = true,
                    _ => break,
                }
            }
            if merged {
                this.rec.lock().stats.coalesced_reads += 1;
            }
        }
        // Faults strike where data arrives, so their odds do not depend on how
        // often a reader happens to be polled while idle.
        let (err, reset) = (this.cfg.read_error_per_mille, this.cfg.reset_per_mille);
        let kind = if this.rng.chance(reset) {
            Some(io::ErrorKind::ConnectionReset)
        } else if this.rng.chance(err) {
            Some(io::ErrorKind::Other)
        } else {
            None
        };
        if let Some(kind) = kind {
            // The bytes just read are lost with the connection: the reader never saw them.
            buf.set_filled(before);
            this.read_broken = Some(kind);
            let what = if kind == io::ErrorKind::ConnectionReset {
                // turmoil cannot send a RST on demand; a FIN tells the agent the
                // connection is gone, and every later write fails here.
                this.write_broken = true;
                let _ = Pin::new(&mut this.inner).poll_shutdown(cx);
                "chaos.reset"
            } else {
                "chaos.read_error"
            };
            this.inject(what);
            let e = io::Error::new(kind, format!("{} (injected)", what));
            this.rec
                .reader_end(this.id, Side::Server, ReaderEnd::Error(e.to_string()));
            return Poll::Ready(Err(e));
        }
        this.rec
            .received(this.id, Side::Server, &buf.filled()[before..]);
        Poll::Ready(Ok(()))
    }
}

/// Reads at most `limit` bytes into `buf` without zero-filling anything beyond
/// what the caller already initialised; returns how many arrived.
fn read_into<S: AsyncRead + Unpin>(
    inner: &mut S,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
    limit: usize,
) -> Poll<io::Result<usize>> {
    let mut sub = buf.take(limit);
    ready!(Pin::new(inner).poll_read(cx, &mut sub))?;
    let n = sub.filled().len();
    // SAFETY: `sub` views `buf`'s unfilled part, and the inner reader has just
    // initialised and filled its first `n` bytes.
    unsafe { buf.assume_init(n) };
    buf.advance(n);
    Poll::Ready(Ok(n))
}
