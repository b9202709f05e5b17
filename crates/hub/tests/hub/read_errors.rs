use wsrace_frame::{encode, opcode, Checker, Direction};
use wsrace_hub::{Config, Hub, Tokens};

use crate::support::agent::MASK;
use crate::support::flaky::flaky_listener;
use crate::support::{capture, Agent, TestHub, SOON};

/// The rule the hub's own checker will name for `bytes` from an agent.
fn rule_for(bytes: &[u8], config: wsrace_frame::Config) -> &'static str {
    let mut checker = Checker::new(config);
    checker
        .feed(bytes)
        .expect_err("the test input is bad")
        .rule
        .id()
}

fn masked(fin: bool, op: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    encode::frame(&mut out, fin, op, Some(MASK), payload);
    out
}

/// Sends `bytes`, expects a Close with `code` whose reason starts with the rule id,
/// then hangs up; returns the reason.
async fn expect_protocol_close(hub: &TestHub, bytes: &[u8], code: u16, rule: &str) -> String {
    let mut agent = hub.agent("tok-a1").await;
    agent.send_raw(bytes).await;
    let ((got_code, reason), before) = agent.expect_close().await;
    assert!(before.is_empty(), "{before:?}");
    assert_eq!(got_code, code, "reason {reason:?}");
    assert!(
        reason.starts_with(rule),
        "reason {reason:?} should name rule {rule}"
    );
    assert!(reason.len() <= 123);
    agent.shutdown_write().await;
    assert!(
        agent.read_to_end().await.is_empty(),
        "nothing after the Close"
    );
    let closed = capture::wait_for("conn.closed", &[("agent", "a1")]).await;
    assert_eq!(closed.get("reason"), Some("protocol"));
    capture::wait_for("close.sent", &[("code", &code.to_string())]).await;
    reason
}

#[tokio::test(start_paused = true)]
async fn the_incidents_bad_frame_gets_close_1002_naming_the_rule() {
    let hub = TestHub::start();
    // RSV1 set, opcode 7, MASK bit clear: what a torn frame looks like to a reader.
    let bytes = [0xC7, 0x05, b'h', b'e', b'l', b'l', b'o'];
    let rule = rule_for(&bytes, wsrace_frame::Config::new(Direction::ClientToServer));
    expect_protocol_close(&hub, &bytes, 1002, rule).await;
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_unmasked_frame_gets_close_1002() {
    let hub = TestHub::start();
    let mut bytes = Vec::new();
    encode::frame(&mut bytes, true, opcode::TEXT, None, b"not masked");
    expect_protocol_close(&hub, &bytes, 1002, "mask-direction").await;
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn invalid_utf8_gets_close_1007() {
    let hub = TestHub::start();
    let bytes = masked(true, opcode::TEXT, b"caf\xc3\x28");
    expect_protocol_close(&hub, &bytes, 1007, "invalid-utf8").await;
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn invalid_utf8_split_across_fragments_gets_close_1007() {
    let hub = TestHub::start();
    let mut bytes = masked(false, opcode::TEXT, b"ok \xe2\x82");
    bytes.extend(masked(true, opcode::CONTINUATION, b"x"));
    expect_protocol_close(&hub, &bytes, 1007, "invalid-utf8").await;
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_oversized_frame_gets_close_1009() {
    let mut config = Config::default();
    config.max_frame_size = 1024;
    let hub = TestHub::with_config(config);
    let bytes = masked(true, opcode::BINARY, &[7u8; 2000]);
    expect_protocol_close(&hub, &bytes, 1009, "frame-too-large").await;
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_oversized_fragmented_message_gets_close_1009() {
    let mut config = Config::default();
    config.max_message_size = 1500;
    let hub = TestHub::with_config(config);
    let mut bytes = masked(false, opcode::BINARY, &[1u8; 1000]);
    bytes.extend(masked(true, opcode::CONTINUATION, &[2u8; 1000]));
    expect_protocol_close(&hub, &bytes, 1009, "message-too-large").await;
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn eof_without_close_ends_the_connection_with_nothing_written_after() {
    let hub = TestHub::start();
    let mut agent = hub.agent("tok-a1").await;
    agent.send(opcode::PING, b"1").await;
    assert_eq!(agent.expect_frame(SOON).await.opcode, opcode::PONG);
    let before_eof = agent.received().len();
    agent.shutdown_write().await;
    assert!(
        agent.read_to_end().await.is_empty(),
        "no frame (no Close) after EOF"
    );
    assert_eq!(agent.received().len(), before_eof);
    let closed = capture::wait_for("conn.closed", &[("agent", "a1")]).await;
    assert_eq!(closed.get("reason"), Some("peer_gone"));
    assert_eq!(closed.get("end"), Some("peer_gone"));
    assert!(capture::find("close.sent", &[]).is_empty());
    assert!(hub.hub.agents().is_empty());
    agent.finish().await.expect("clean frame stream");
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_connection_reset_ends_the_connection_with_nothing_written_after() {
    capture::start();
    let hub = Hub::new(Config::default(), Tokens::parse("a1 tok-a1\n").unwrap());
    let (listener, streams) = flaky_listener();
    let serve = tokio::spawn({
        let hub = hub.clone();
        async move { hub.serve(listener).await }
    });
    let (client, server) = tokio::io::duplex(4096);
    streams.send(server).await.unwrap();
    let mut agent = Agent::upgrade(client, "tok-a1", &[]).await;
    capture::wait_for("conn.registered", &[("agent", "a1")]).await;
    agent.shutdown_write().await; // the hub's read now fails with ConnectionReset
    assert!(
        agent.read_to_end().await.is_empty(),
        "no frame (no Close) after a reset"
    );
    let closed = capture::wait_for("conn.closed", &[("agent", "a1")]).await;
    assert_eq!(closed.get("reason"), Some("read_failed"));
    assert_eq!(closed.get("end"), Some("peer_gone"));
    agent.finish().await.expect("clean frame stream");
    hub.shutdown().await;
    serve.await.unwrap();
    capture::assert_schema();
}

#[tokio::test(start_paused = true)]
async fn the_agents_close_is_echoed_and_the_end_is_clean() {
    let hub = TestHub::start();
    let mut agent = hub.agent("tok-a1").await;
    agent.send_close(1000, "bye").await;
    let ((code, reason), _) = agent.expect_close().await;
    assert_eq!((code, reason.as_str()), (1000, ""));
    assert!(agent.read_to_end().await.is_empty());
    let closed = capture::wait_for("conn.closed", &[("agent", "a1")]).await;
    assert_eq!(closed.get("reason"), Some("peer_closed"));
    assert_eq!(closed.get("end"), Some("clean"));
    let end = agent.finish().await.expect("clean frame stream");
    assert_eq!(end.close.and_then(|c| c.code), Some(1000));
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_close_without_a_code_is_answered_with_an_empty_close() {
    let hub = TestHub::start();
    let mut agent = hub.agent("tok-a1").await;
    agent.send(opcode::CLOSE, b"").await;
    let close = agent.expect_frame(SOON).await;
    assert_eq!((close.opcode, close.payload.len()), (opcode::CLOSE, 0));
    capture::wait_for("close.sent", &[("code", "1005")]).await;
    capture::wait_for("conn.closed", &[("end", "clean")]).await;
    hub.stop().await;
}
