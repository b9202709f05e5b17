//! A transport that does to the zoo's writes what the simulation's chaos
//! transport does at random, but on a script: per connection, the n-th `write`
//! call (0: the HTTP 101 response) may first stall for a while and may accept
//! only some of its bytes. Every accepted chunk is logged with the role of the
//! task that wrote it (see `spans.rs`).

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, DuplexStream, ReadBuf};
use tokio::time::Sleep;
use wsrace_hub::{Listener, MemoryListener};

use super::spans;

/// What one `write` call does.
#[derive(Clone, Copy, Debug, Default)]
pub struct Step {
    stall: Option<Duration>,
    accept: Option<usize>,
}

impl Step {
    /// Accepts everything at once.
    pub fn pass() -> Step {
        Step::default()
    }

    /// Accepts only the first `n` bytes.
    pub fn short(n: usize) -> Step {
        Step {
            stall: None,
            accept: Some(n),
        }
    }

    /// Stays `Pending` for `ms` of (paused) tokio time first.
    pub fn stall(ms: u64) -> Step {
        Step {
            stall: Some(Duration::from_millis(ms)),
            accept: None,
        }
    }

    /// ... and then accepts only `n` bytes.
    pub fn then_short(self, n: usize) -> Step {
        Step {
            accept: Some(n),
            ..self
        }
    }
}

/// One accepted chunk: which task wrote it, and how many bytes.
#[derive(Clone, Debug)]
pub struct Chunk {
    pub role: String,
    pub len: usize,
}

/// Every chunk written on one connection, in order.
pub type WriteLog = Arc<Mutex<Vec<Chunk>>>;

pub struct Scripted {
    inner: DuplexStream,
    steps: VecDeque<Step>,
    /// The step of the write in progress (taken on its first poll).
    current: Option<Step>,
    sleep: Option<Pin<Box<Sleep>>>,
    log: WriteLog,
}

impl AsyncWrite for Scripted {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if buf.is_empty() {
            return Pin::new(&mut this.inner).poll_write(cx, buf);
        }
        let step = *this
            .current
            .get_or_insert_with(|| this.steps.pop_front().unwrap_or_default());
        if let Some(stall) = step.stall {
            let sleep = this
                .sleep
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(stall)));
            ready!(sleep.as_mut().poll(cx));
        }
        let n = step.accept.unwrap_or(buf.len()).min(buf.len());
        let n = ready!(Pin::new(&mut this.inner).poll_write(cx, &buf[..n]))?;
        // This write is done; the next one takes the next step.
        this.current = None;
        this.sleep = None;
        this.log.lock().unwrap().push(Chunk {
            role: spans::current_role(),
            len: n,
        });
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

impl AsyncRead for Scripted {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

/// A [`MemoryListener`] whose n-th connection follows the n-th script (later
/// ones pass everything).
pub struct ScriptedListener {
    inner: MemoryListener,
    scripts: VecDeque<Vec<Step>>,
    logs: Arc<Mutex<Vec<WriteLog>>>,
}

impl ScriptedListener {
    pub fn new(
        inner: MemoryListener,
        scripts: Vec<Vec<Step>>,
    ) -> (ScriptedListener, Arc<Mutex<Vec<WriteLog>>>) {
        let logs = Arc::default();
        let l = ScriptedListener {
            inner,
            scripts: scripts.into(),
            logs: Arc::clone(&logs),
        };
        (l, logs)
    }
}

impl Listener for ScriptedListener {
    type Stream = Scripted;

    async fn accept(&mut self) -> io::Result<(Scripted, String)> {
        let (inner, peer) = self.inner.accept().await?;
        let log = WriteLog::default();
        self.logs.lock().unwrap().push(Arc::clone(&log));
        let steps = self.scripts.pop_front().unwrap_or_default().into();
        Ok((
            Scripted {
                inner,
                steps,
                current: None,
                sleep: None,
                log,
            },
            peer,
        ))
    }
}
