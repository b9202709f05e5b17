//! A listener implemented outside the hub crate (as the simulation's will be), whose
//! streams turn the agent's EOF into a connection reset: how these tests make a read
//! error.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, DuplexStream, ReadBuf};
use tokio::sync::mpsc;
use wsrace_hub::Listener;

pub struct ResetOnEof(DuplexStream);

impl AsyncRead for ResetOnEof {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.get_mut().0).poll_read(cx, buf))?;
        if buf.filled().len() == before && buf.remaining() > 0 {
            return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for ResetOnEof {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

pub struct FlakyListener(mpsc::Receiver<DuplexStream>);

/// A listener and the sender that hands it server-side streams.
pub fn flaky_listener() -> (FlakyListener, mpsc::Sender<DuplexStream>) {
    let (tx, rx) = mpsc::channel(8);
    (FlakyListener(rx), tx)
}

impl Listener for FlakyListener {
    type Stream = ResetOnEof;

    async fn accept(&mut self) -> io::Result<(ResetOnEof, String)> {
        match self.0.recv().await {
            Some(s) => Ok((ResetOnEof(s), "flaky".to_owned())),
            None => std::future::pending().await,
        }
    }
}
