//! The bench's agents: raw sockets, masked client frames, and a
//! `wsrace_frame::Checker` on every byte received.

use super::*;

pub(crate) fn masked(opcode: u8, payload: &[u8], key: [u8; 4]) -> Vec<u8> {
    assert!(payload.len() <= 125);
    let mut frame = vec![0x80 | opcode, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&key);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    frame
}

#[derive(Clone, Copy)]
pub(crate) enum Beat {
    Ping,
    Json,
}

/// One agent's connection: the write half, its reader task and its controls.
pub(crate) struct Conn {
    pub(crate) name: &'static str,
    pub(crate) no: u32,
    pub(crate) wr: OwnedWriteHalf,
    pub(crate) key: [u8; 4],
    pub(crate) seq: u64,
    /// `true`: the reader stops reading (the socket buffer fills).
    pub(crate) paused: watch::Sender<bool>,
    /// Set before the agent writes its Close: then a missing Close is no failure.
    pub(crate) initiated: watch::Sender<bool>,
    pub(crate) reader: tokio::task::JoinHandle<()>,
}

pub(crate) async fn connect(
    addr: SocketAddr,
    name: &'static str,
    no: u32,
    rcvbuf: Option<u32>,
    findings: &Shared,
) -> Option<Conn> {
    let what = format!("{name}#{no}");
    let attempt = async {
        let socket = TcpSocket::new_v4()?;
        if let Some(size) = rcvbuf {
            socket.set_recv_buffer_size(size)?;
        }
        let mut tcp = socket.connect(addr).await?;
        tcp.set_nodelay(true)?;
        let request = format!(
            "GET /agent HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
             Authorization: Bearer token-{name}\r\n\r\n"
        );
        tcp.write_all(request.as_bytes()).await?;
        // Byte by byte: nothing past the head may be read here.
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") && head.len() <= 4096 {
            head.push(tcp.read_u8().await?);
        }
        std::io::Result::Ok((tcp, head))
    };
    let (tcp, head) = match timeout(WAIT, attempt).await {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            note(findings, format!("{what}: connect: {e}"));
            return None;
        }
        Err(_) => {
            note(
                findings,
                format!("{what}: connect: no progress in {WAIT:?}"),
            );
            return None;
        }
    };
    if !head.starts_with(b"HTTP/1.1 101") {
        let head = String::from_utf8_lossy(&head);
        note(findings, format!("{what}: upgrade refused: {head:?}"));
        return None;
    }
    let (rd, wr) = tcp.into_split();
    let paused = watch::Sender::new(false);
    let initiated = watch::Sender::new(false);
    let reader = tokio::spawn(read_all(
        what,
        rd,
        paused.subscribe(),
        initiated.subscribe(),
        findings.clone(),
    ));
    Some(Conn {
        name,
        no,
        wr,
        key: (no.wrapping_add(name.len() as u32))
            .wrapping_mul(0x9e37_79b9)
            .to_be_bytes(),
        seq: 0,
        paused,
        initiated,
        reader,
    })
}

/// Reads to EOF (pausing while told to), checking every byte; records a failure
/// for a violation or for an end without a Close the agent did not start.
pub(crate) async fn read_all(
    what: String,
    mut rd: OwnedReadHalf,
    mut paused: watch::Receiver<bool>,
    initiated: watch::Receiver<bool>,
    findings: Shared,
) {
    let mut checker = Checker::new(wsrace_frame::Config::new(Direction::ServerToClient));
    let mut buf = vec![0u8; 64 * 1024];
    let ended = loop {
        if paused.wait_for(|p| !*p).await.is_err() {
            break "agent gone".to_owned();
        }
        let read = tokio::select! {
            biased;
            r = paused.wait_for(|p| *p) => match r {
                Ok(_) => continue,
                Err(_) => break "agent gone".to_owned(),
            },
            read = timeout(WAIT, rd.read(&mut buf)) => read,
        };
        match read {
            Ok(Ok(0)) => break "EOF".to_owned(),
            Ok(Ok(n)) => {
                if let Err(v) = checker.feed(&buf[..n]) {
                    record_failure(
                        &findings,
                        format!(
                            "{what}: torn frame: {} at frame {} byte {} (\"{}\")",
                            v.rule.id(),
                            v.frame_index,
                            v.byte_offset,
                            v.gorilla()
                        ),
                    );
                    return;
                }
            }
            Ok(Err(e)) => break format!("read error ({})", e.kind()),
            Err(_) => {
                note(&findings, format!("{what}: nothing read for {WAIT:?}"));
                return;
            }
        }
    };
    {
        let mut f = findings.lock().unwrap_or_else(|e| e.into_inner());
        f.frames += checker.frame_count();
        f.bytes += checker.offset();
    }
    match checker.finish() {
        Err(v) => record_failure(
            &findings,
            format!(
                "{what}: stream cut mid-frame at {ended}: {} at frame {} byte {}",
                v.rule.id(),
                v.frame_index,
                v.byte_offset
            ),
        ),
        Ok(end) if end.close.is_none() && !*initiated.borrow() => record_failure(
            &findings,
            format!(
                "{what}: {ended} without a Close frame after {} frames",
                end.frames
            ),
        ),
        Ok(_) => {}
    }
}

impl Conn {
    /// Writes one client frame; false once the server has gone.
    pub(crate) async fn send(&mut self, opcode: u8, payload: &[u8]) -> bool {
        let frame = masked(opcode, payload, self.key);
        matches!(timeout(WAIT, self.wr.write_all(&frame)).await, Ok(Ok(())))
    }

    pub(crate) async fn beat(&mut self, kind: Beat) -> bool {
        self.seq += 1;
        match kind {
            Beat::Ping => {
                let seq = self.seq.to_be_bytes();
                self.send(0x9, &seq).await
            }
            Beat::Json => {
                let text = format!("{{\"type\":\"heartbeat\",\"seq\":{}}}", self.seq);
                self.send(0x1, text.as_bytes()).await
            }
        }
    }

    pub(crate) async fn heartbeats(
        &mut self,
        plan: &Plan,
        every_ms: u64,
        count: u32,
        kind: Beat,
    ) -> bool {
        for _ in 0..count {
            if !self.beat(kind).await {
                return false;
            }
            sleep(plan.ms(every_ms)).await;
        }
        true
    }

    pub(crate) fn pause(&self, p: bool) {
        self.paused.send_replace(p);
    }

    /// Sends Close 1000 (the agent starts the close).
    pub(crate) async fn close(&mut self) {
        self.initiated.send_replace(true);
        let _ = self.send(0x8, &1000u16.to_be_bytes()).await;
    }

    /// Waits (bounded) for the reader to see the end of the stream.
    pub(crate) async fn finish(mut self, findings: &Shared) {
        self.pause(false);
        // The whole `Conn` (its `paused` sender included) lives until the reader ends.
        let abort = self.reader.abort_handle();
        if timeout(WAIT, &mut self.reader).await.is_err() {
            abort.abort();
            let (name, no) = (self.name, self.no);
            note(
                findings,
                format!("{name}#{no}: stream did not end in {WAIT:?}"),
            );
        }
    }
}
