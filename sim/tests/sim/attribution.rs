//! A deliberately broken server with two writers on one stream (a lock held per
//! `write` call, not per frame): under short writes their frames interleave,
//! the agent sees a torn frame, and every write carries its task's label.

use std::rc::Rc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tracing::Instrument;
use wsrace_frame::{encode, opcode};
use wsrace_sim::server::LocalFuture;
use wsrace_sim::{
    run_once, AgentSpec, AgentStep, ChaosConfig, Scenario, ServerFactory, ServerSetup, SimListener,
    SimServer,
};

struct TwoWriters;

impl ServerFactory for TwoWriters {
    fn name(&self) -> String {
        "two-writers".into()
    }
    fn build(&self, _: &ServerSetup) -> Rc<dyn SimServer> {
        Rc::new(TwoWriters)
    }
}

impl SimServer for TwoWriters {
    fn serve(&self, mut listener: SimListener) -> LocalFuture {
        Box::pin(async move {
            let mut n = 0u64;
            while let Ok((mut stream, _)) = listener.accept().await {
                n += 1;
                let conn = n;
                tokio::task::spawn_local(async move {
                    let mut head = Vec::new();
                    let mut buf = [0u8; 512];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(k) => head.extend_from_slice(&buf[..k]),
                        }
                    }
                    let text = String::from_utf8_lossy(&head).into_owned();
                    let key = text
                        .lines()
                        .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
                        .unwrap_or_default()
                        .trim()
                        .to_owned();
                    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(
                        key.as_bytes(),
                    );
                    let response = format!(
                        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                         Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
                    );
                    if stream.write_all(response.as_bytes()).await.is_err() {
                        return;
                    }
                    let (_rd, wr) = tokio::io::split(stream);
                    let wr = Rc::new(tokio::sync::Mutex::new(wr));
                    for (role, op, len, every) in [
                        ("pusher", opcode::TEXT, 300, 70),
                        ("heartbeat", opcode::PING, 20, 50),
                    ] {
                        let wr = wr.clone();
                        let span = tracing::info_span!("task", conn, role);
                        tokio::task::spawn_local(
                            async move {
                                let mut frame = Vec::new();
                                encode::frame(&mut frame, true, op, None, &vec![b'x'; len]);
                                for _ in 0..40 {
                                    // The bug: the lock covers one `write` call, not the frame.
                                    let mut at = 0;
                                    while at < frame.len() {
                                        match wr.lock().await.write(&frame[at..]).await {
                                            Ok(0) | Err(_) => return,
                                            Ok(k) => at += k,
                                        }
                                        tokio::task::yield_now().await;
                                    }
                                    tokio::time::sleep(Duration::from_millis(every)).await;
                                }
                            }
                            .instrument(span),
                        );
                    }
                });
            }
        })
    }
}

#[test]
fn two_writers_under_short_writes_tear_a_frame_and_each_write_is_labelled() {
    let mut s = Scenario::new("two-writers");
    s.chaos = ChaosConfig {
        short_write_per_mille: 500,
        ..ChaosConfig::default()
    };
    s.agents.push(AgentSpec::new(
        "a1",
        vec![
            AgentStep::Connect,
            AgentStep::Wait { ms: 4000 },
            AgentStep::Hangup,
        ],
    ));
    let out = run_once(&s, &TwoWriters, 2);
    let c = &out.record.conns[0];
    let labels: std::collections::BTreeSet<&str> =
        c.s2c.writes.iter().map(|w| w.writer.as_str()).collect();
    assert!(labels.contains("sim conn#1 pusher"), "{labels:?}");
    assert!(labels.contains("sim conn#1 heartbeat"), "{labels:?}");
    assert!(out.chaos.short_writes > 0);
    assert!(
        out.trace_text.contains("agent.protocol_error"),
        "the agent should have seen a torn frame:\n{}",
        out.trace_text
    );
}
