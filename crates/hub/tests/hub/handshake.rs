use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::time::Instant;
use wsrace_frame::opcode;
use wsrace_hub::{Config, MemoryConnector};

use crate::support::agent::{http, upgrade_request};
use crate::support::{capture, Agent, TestHub, SOON};

/// Sends `request`, returns the response head and asserts nothing follows it.
async fn rejected(hub: &TestHub, request: &str) -> String {
    let (head, rest, mut stream) = http(
        &hub.connector,
        MemoryConnector::DEFAULT_BUFFER,
        request.as_bytes(),
    )
    .await;
    let mut after = rest;
    stream.read_to_end(&mut after).await.expect("read to EOF");
    assert!(after.is_empty(), "bytes after a rejection: {after:?}");
    head
}

#[tokio::test(start_paused = true)]
async fn a_missing_token_gets_401_and_no_upgrade() {
    let hub = TestHub::start();
    let head = rejected(&hub, &upgrade_request(None)).await;
    assert!(
        head.starts_with("HTTP/1.1 401 Unauthorized\r\n"),
        "{head:?}"
    );
    assert!(head.contains("WWW-Authenticate: Bearer\r\n"), "{head:?}");
    capture::wait_for(
        "handshake.rejected",
        &[("reason", "missing-token"), ("status", "401")],
    )
    .await;
    assert!(hub.hub.agents().is_empty());
    assert!(capture::find("conn.registered", &[]).is_empty());
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_wrong_token_gets_401_and_no_upgrade() {
    let hub = TestHub::start();
    let head = rejected(&hub, &upgrade_request(Some("tok-a1x"))).await;
    assert!(
        head.starts_with("HTTP/1.1 401 Unauthorized\r\n"),
        "{head:?}"
    );
    capture::wait_for(
        "handshake.rejected",
        &[("reason", "bad-token"), ("status", "401")],
    )
    .await;
    assert!(hub.hub.agents().is_empty());
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_authorized_request_that_is_not_an_upgrade_gets_400() {
    let hub = TestHub::start();
    let head = rejected(
        &hub,
        "GET / HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer tok-a1\r\n\r\n",
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{head:?}");
    capture::wait_for(
        "handshake.rejected",
        &[("reason", "bad-request"), ("status", "400")],
    )
    .await;
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_client_that_never_finishes_its_request_is_dropped_at_the_handshake_deadline() {
    let mut config = Config::default();
    config.handshake_deadline = Duration::from_secs(3);
    let hub = TestHub::with_config(config);
    let mut stream = hub.connector.connect("slowloris").await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut stream, b"GET / HTTP/1.1\r\nHost: hu")
        .await
        .unwrap();
    let start = Instant::now();
    let mut after = Vec::new();
    stream.read_to_end(&mut after).await.unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    assert!(after.is_empty(), "no response on timeout: {after:?}");
    capture::wait_for(
        "handshake.rejected",
        &[("reason", "timeout"), ("status", "0")],
    )
    .await;
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn frames_sent_right_behind_the_request_are_read() {
    let hub = TestHub::start();
    let mut ping = Vec::new();
    wsrace_frame::encode::frame(&mut ping, true, opcode::PING, Some([9, 8, 7, 6]), b"early");
    let mut agent = Agent::connect_sending(
        &hub.connector,
        "tok-a1",
        MemoryConnector::DEFAULT_BUFFER,
        &ping,
    )
    .await;
    let pong = agent.expect_frame(SOON).await;
    assert_eq!(
        (pong.opcode, pong.payload.as_slice()),
        (opcode::PONG, &b"early"[..])
    );
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn any_path_is_accepted() {
    let hub = TestHub::start();
    let request =
        upgrade_request(Some("tok-a2")).replace("GET /agent ", "GET /some/other/path?x=1 ");
    let (head, _, _stream) = http(
        &hub.connector,
        MemoryConnector::DEFAULT_BUFFER,
        request.as_bytes(),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 101 "), "{head:?}");
    capture::wait_for("conn.registered", &[("agent", "a2")]).await;
    hub.stop().await;
}
