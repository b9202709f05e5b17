//! The upgrade is refused with 401 when the bearer token is missing or wrong; the
//! same request with a good token is upgraded, so the 401s are about the token alone.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::agent::WAIT;
use crate::server::Server;

const TOKENS: &[(&str, &str)] = &[("agent-1", "good-token")];

/// Sends an upgrade request with `authorization` (if any) and returns what the server
/// sent until it closed the connection, or until the end of the response head if it
/// keeps the connection open (an upgrade).
async fn upgrade(server: &Server, authorization: Option<&str>) -> (String, bool) {
    let mut tcp = timeout(WAIT, TcpStream::connect(server.addr()))
        .await
        .expect("connect timed out")
        .expect("connect");
    let auth = authorization
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "GET /agent HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{auth}\r\n",
        server.addr()
    );
    tcp.write_all(request.as_bytes())
        .await
        .expect("write request");
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    let closed = loop {
        let n = timeout(WAIT, tcp.read(&mut buf))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "no response within {WAIT:?}; got {:?}\n{}",
                    String::from_utf8_lossy(&got),
                    server.log()
                )
            })
            .expect("read response");
        if n == 0 {
            break true;
        }
        got.extend_from_slice(&buf[..n]);
        if got.starts_with(b"HTTP/1.1 101") && got.windows(4).any(|w| w == b"\r\n\r\n") {
            break false;
        }
    };
    (String::from_utf8_lossy(&got).into_owned(), closed)
}

fn assert_401(response: &str, closed: bool, server: &Server) {
    assert!(
        response.starts_with("HTTP/1.1 401"),
        "expected 401, got {response:?}\n{}",
        server.log()
    );
    assert!(!response.contains("Sec-WebSocket-Accept"), "{response:?}");
    assert!(closed, "the server must close the connection after a 401");
}

#[tokio::test]
async fn a_missing_token_gets_401_and_no_upgrade() {
    let server = Server::start(TOKENS, &[]);
    let (response, closed) = upgrade(&server, None).await;
    assert_401(&response, closed, &server);
}

#[tokio::test]
async fn a_bad_token_gets_401_and_no_upgrade() {
    let server = Server::start(TOKENS, &[]);
    for auth in [
        "Bearer wrong-token",
        "Bearer good-token-but-longer",
        "Basic Z29vZC10b2tlbg==",
    ] {
        let (response, closed) = upgrade(&server, Some(auth)).await;
        assert_401(&response, closed, &server);
    }
}

#[tokio::test]
async fn the_same_request_with_a_good_token_is_upgraded() {
    let server = Server::start(TOKENS, &[]);
    let (response, closed) = upgrade(&server, Some("Bearer good-token")).await;
    assert!(
        response.starts_with("HTTP/1.1 101"),
        "expected 101, got {response:?}\n{}",
        server.log()
    );
    // RFC 6455's sample key and its accept value.
    assert!(
        response.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        "{response:?}"
    );
    assert!(!closed);
}
