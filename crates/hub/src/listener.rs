//! Where connections come from. The hub only needs byte streams, so the same code
//! serves real TCP, a simulated network (implemented outside this crate) and
//! in-memory pairs in tests.

use std::future::Future;
use std::io;

use tokio::io::{AsyncRead, AsyncWrite, DuplexStream};
use tokio::sync::mpsc;

/// A source of accepted byte streams.
///
/// Implement it for any transport; the hub never looks past these methods.
pub trait Listener: Send {
    /// One accepted connection, read and written by the hub.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static;

    /// Waits for the next connection and returns it with a printable peer address
    /// (used only in events).
    ///
    /// Must be cancel-safe: the hub drops this future when it stops serving, and
    /// that must not lose an already accepted connection. An error is reported as an
    /// `accept.failed` event and the hub keeps serving (after a short pause for
    /// errors that are not about one connection, such as running out of file
    /// descriptors).
    fn accept(&mut self) -> impl Future<Output = io::Result<(Self::Stream, String)>> + Send;
}

impl Listener for tokio::net::TcpListener {
    type Stream = tokio::net::TcpStream;

    async fn accept(&mut self) -> io::Result<(Self::Stream, String)> {
        let (stream, addr) = tokio::net::TcpListener::accept(self).await?;
        // Heartbeat replies are small and latency-sensitive.
        stream.set_nodelay(true)?;
        Ok((stream, addr.to_string()))
    }
}

/// In-memory listener for tests: each [`MemoryConnector::connect`] hands it one end
/// of a [`tokio::io::duplex`] pair.
#[derive(Debug)]
pub struct MemoryListener {
    incoming: mpsc::Receiver<(DuplexStream, String)>,
}

/// The client side of a [`MemoryListener`]; cheap to clone.
#[derive(Clone, Debug)]
pub struct MemoryConnector {
    outgoing: mpsc::Sender<(DuplexStream, String)>,
}

/// A connected in-memory listener and connector.
pub fn memory_listener() -> (MemoryListener, MemoryConnector) {
    // A small backlog, like a real listen queue; `connect` waits when it is full.
    let (tx, rx) = mpsc::channel(64);
    (
        MemoryListener { incoming: rx },
        MemoryConnector { outgoing: tx },
    )
}

impl MemoryConnector {
    /// Default per-direction buffer of [`connect`](Self::connect): 64 KiB.
    pub const DEFAULT_BUFFER: usize = 64 * 1024;

    /// Opens a connection with the default buffer; `peer` is the address the hub
    /// reports for it.
    pub async fn connect(&self, peer: impl Into<String>) -> io::Result<DuplexStream> {
        self.connect_with_buffer(peer, Self::DEFAULT_BUFFER).await
    }

    /// Opens a connection whose buffer in each direction holds `buffer` bytes; a
    /// writer blocks once that much is unread, which is how tests make a slow or
    /// stalled reader.
    pub async fn connect_with_buffer(
        &self,
        peer: impl Into<String>,
        buffer: usize,
    ) -> io::Result<DuplexStream> {
        let (client, server) = tokio::io::duplex(buffer);
        self.outgoing
            .send((server, peer.into()))
            .await
            .map_err(|_| {
                io::Error::new(io::ErrorKind::ConnectionRefused, "memory listener dropped")
            })?;
        Ok(client)
    }
}

impl Listener for MemoryListener {
    type Stream = DuplexStream;

    async fn accept(&mut self) -> io::Result<(DuplexStream, String)> {
        match self.incoming.recv().await {
            Some(conn) => Ok(conn),
            // Every connector is gone: like a TCP listener nobody connects to, wait.
            None => std::future::pending().await,
        }
    }
}
