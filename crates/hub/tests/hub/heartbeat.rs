use std::time::Duration;

use tokio::time::Instant;
use wsrace_frame::opcode;
use wsrace_hub::Config;

use crate::support::{capture, TestHub, SOON};

#[tokio::test(start_paused = true)]
async fn a_ping_gets_a_pong_with_the_same_payload() {
    let hub = TestHub::start();
    let mut agent = hub.agent("tok-a1").await;
    agent.send(opcode::PING, b"are you there?").await;
    let pong = agent.expect_frame(SOON).await;
    assert_eq!(pong.opcode, opcode::PONG);
    assert_eq!(pong.payload, b"are you there?");
    capture::wait_for("heartbeat", &[("agent", "a1"), ("kind", "ping")]).await;
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_json_heartbeat_gets_an_ack_with_its_seq() {
    let hub = TestHub::start();
    let mut agent = hub.agent("tok-a1").await;
    for seq in [1, 2, 99] {
        agent
            .send_text(&format!(r#"{{"type":"heartbeat","seq":{seq}}}"#))
            .await;
        let ack = agent.expect_frame(SOON).await;
        assert_eq!(ack.opcode, opcode::TEXT);
        assert_eq!(
            ack.text(),
            format!(r#"{{"type":"heartbeat_ack","seq":{seq}}}"#)
        );
    }
    assert_eq!(capture::find("heartbeat", &[("kind", "json")]).len(), 3);
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn heartbeats_keep_a_connection_open_past_the_timeout() {
    let hub = TestHub::start();
    let mut agent = hub.agent("tok-a1").await;
    // 10 minutes of heartbeats every 100 s, alternating the two kinds.
    for i in 0..6 {
        tokio::time::sleep(Duration::from_secs(100)).await;
        if i % 2 == 0 {
            agent.send(opcode::PING, b"").await;
        } else {
            agent.send_text(r#"{"type":"heartbeat"}"#).await;
        }
        let reply = agent.expect_frame(SOON).await;
        assert_ne!(reply.opcode, opcode::CLOSE, "closed although heartbeating");
    }
    assert!(capture::find("heartbeat.timeout", &[]).is_empty());
    assert_eq!(hub.hub.agents().len(), 1);
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_silent_agent_gets_close_1001_at_the_heartbeat_timeout() {
    let hub = TestHub::start();
    let mut agent = hub.agent("tok-a1").await;
    let start = Instant::now();
    let ((code, reason), before) = agent.expect_close().await;
    let waited = start.elapsed();
    assert_eq!((code, reason.as_str()), (1001, "heartbeat timeout"));
    assert!(before.is_empty());
    // Slack: the registration happens just after the 101 the agent timed from.
    let timeout = Duration::from_secs(120);
    assert!(
        waited >= timeout - Duration::from_millis(1) && waited <= timeout + SOON,
        "{waited:?}"
    );
    agent.send_close(1001, "").await;
    assert!(
        agent.read_to_end().await.is_empty(),
        "nothing after the Close"
    );
    let closed = capture::wait_for("conn.closed", &[("agent", "a1")]).await;
    assert_eq!(closed.get("reason"), Some("heartbeat_timeout"));
    assert_eq!(closed.get("end"), Some("clean"));
    assert_eq!(
        capture::find("heartbeat.timeout", &[("agent", "a1")]).len(),
        1
    );
    assert!(hub.hub.agents().is_empty());
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn other_messages_do_not_reset_the_heartbeat_deadline() {
    let mut config = Config::default();
    config.heartbeat_timeout = Duration::from_secs(30);
    let hub = TestHub::with_config(config);
    let mut agent = hub.agent("tok-a1").await;
    let start = Instant::now();
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_secs(5)).await;
        agent.send_text(r#"{"type":"status","seq":1}"#).await;
        agent.send(opcode::BINARY, b"\x00\x01").await;
        agent.send(opcode::PONG, b"unsolicited").await;
    }
    let ((code, _), before) = agent.expect_close().await;
    assert_eq!(code, 1001);
    assert!(
        before.is_empty(),
        "no replies to non-heartbeats: {before:?}"
    );
    assert!(start.elapsed() <= Duration::from_secs(30) + SOON);
    assert_eq!(
        capture::find("message.received", &[("kind", "text")]).len(),
        5
    );
    assert_eq!(
        capture::find("message.received", &[("kind", "binary")]).len(),
        5
    );
    hub.stop().await;
}
