//! The HTTP/1.1 upgrade: read the request head under the handshake deadline, check
//! the bearer token (401 if absent or wrong), check it is a WebSocket upgrade (400
//! if not), answer 101. Any path is accepted; no subprotocol or extension is
//! negotiated, so agents may not set RSV bits.
//!
//! This runs before the connection's writer exists, so writing the response here
//! does not break "one writer per connection".

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use tokio::time::{timeout_at, Instant};

use crate::{AgentId, Config, Tokens};

/// An upgraded connection.
#[derive(Debug)]
#[non_exhaustive]
pub struct Upgraded {
    /// The agent its token names.
    pub agent: AgentId,
    /// Bytes the agent sent right after its request head: the start of its frames.
    pub leftover: Vec<u8>,
}

/// Why an upgrade failed. `as_str` values are the `reason` of `handshake.rejected`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// No `Authorization: Bearer` header (401 sent).
    MissingToken,
    /// A token nobody holds (401 sent).
    BadToken,
    /// Not a WebSocket upgrade request (400 sent).
    BadRequest,
    /// The request head is over `max_request_head` (400 sent).
    HeadTooLarge,
    /// `handshake_deadline` passed (nothing sent).
    Timeout,
    /// The client hung up first (nothing sent).
    Eof,
    /// The transport failed (nothing sent).
    Io,
    /// The hub began shutting down (nothing sent).
    HubShutdown,
}

impl Rejection {
    /// The `reason` field of `handshake.rejected`.
    pub fn as_str(self) -> &'static str {
        match self {
            Rejection::MissingToken => "missing-token",
            Rejection::BadToken => "bad-token",
            Rejection::BadRequest => "bad-request",
            Rejection::HeadTooLarge => "head-too-large",
            Rejection::Timeout => "timeout",
            Rejection::Eof => "eof",
            Rejection::Io => "io",
            Rejection::HubShutdown => "hub-shutdown",
        }
    }

    /// The HTTP response this rejection sends, if any.
    fn response(self) -> Option<(u16, &'static [u8])> {
        match self {
            Rejection::MissingToken | Rejection::BadToken => Some((
                401,
                b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\n\
                  Content-Length: 0\r\nConnection: close\r\n\r\n",
            )),
            Rejection::BadRequest | Rejection::HeadTooLarge => Some((
                400,
                b"HTTP/1.1 400 Bad Request\r\nSec-WebSocket-Version: 13\r\n\
                  Content-Length: 0\r\nConnection: close\r\n\r\n",
            )),
            Rejection::Timeout | Rejection::Eof | Rejection::Io | Rejection::HubShutdown => None,
        }
    }
}

/// A rejection and the HTTP status actually sent for it (0: none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Rejected {
    /// Why.
    pub why: Rejection,
    /// The HTTP status written (401, 400), or 0 if none was.
    pub status: u16,
}

/// Performs the server side of the upgrade on `stream`, all of it before
/// `config.handshake_deadline` from now. Reading the request stops early if
/// `stop` becomes true (hub shutdown).
pub async fn accept<S>(
    stream: &mut S,
    tokens: &Tokens,
    config: &Config,
    stop: &mut watch::Receiver<bool>,
) -> Result<Upgraded, Rejected>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let deadline = Instant::now() + config.handshake_deadline;
    // Reading is cancel-safe, so hub shutdown may interrupt it; the responses below
    // are written to completion or not at all (deadline), never cut by shutdown.
    let head = tokio::select! {
        biased;
        _ = stop.wait_for(|stopping| *stopping) => Err(Rejection::HubShutdown),
        read = timeout_at(deadline, read_head(stream, config.max_request_head)) => {
            read.unwrap_or(Err(Rejection::Timeout))
        }
    };
    let outcome = head.and_then(|(buf, len)| check(&buf[..len], tokens).map(|a| (a, buf, len)));
    match outcome {
        Ok((agent, buf, len)) => {
            let accept = tungstenite::handshake::derive_accept_key(agent.key.as_bytes());
            let response = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                 Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            );
            match timeout_at(deadline, write_all_flush(stream, response.as_bytes())).await {
                Ok(Ok(())) => Ok(Upgraded {
                    agent: agent.id,
                    leftover: buf[len..].to_vec(),
                }),
                Ok(Err(_)) => Err(Rejected {
                    why: Rejection::Io,
                    status: 0,
                }),
                Err(_) => Err(Rejected {
                    why: Rejection::Timeout,
                    status: 0,
                }),
            }
        }
        Err(why) => {
            let mut status = 0;
            if let Some((code, bytes)) = why.response() {
                if let Ok(Ok(())) = timeout_at(deadline, write_all_flush(stream, bytes)).await {
                    status = code;
                    let _ = timeout_at(deadline, stream.shutdown()).await;
                }
            }
            Err(Rejected { why, status })
        }
    }
}

async fn write_all_flush<S: AsyncWrite + Unpin>(stream: &mut S, bytes: &[u8]) -> io::Result<()> {
    stream.write_all(bytes).await?;
    stream.flush().await
}

/// Reads until a complete request head; returns the buffer and the head's length
/// (anything after it is already frame data).
async fn read_head<S: AsyncRead + Unpin>(
    stream: &mut S,
    max: usize,
) -> Result<(Vec<u8>, usize), Rejection> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await.map_err(|_| Rejection::Io)?;
        if n == 0 {
            return Err(Rejection::Eof);
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 64];
        match httparse::Request::new(&mut headers).parse(&buf) {
            Ok(httparse::Status::Complete(len)) => return Ok((buf, len)),
            Ok(httparse::Status::Partial) if buf.len() > max => {
                return Err(Rejection::HeadTooLarge)
            }
            Ok(httparse::Status::Partial) => {}
            Err(httparse::Error::TooManyHeaders) => return Err(Rejection::HeadTooLarge),
            Err(_) => return Err(Rejection::BadRequest),
        }
    }
}

struct Checked {
    id: AgentId,
    key: String,
}

/// Authenticates first (so an unauthenticated client learns nothing about what a
/// valid request looks like), then checks the upgrade headers.
fn check(head: &[u8], tokens: &Tokens) -> Result<Checked, Rejection> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return Err(Rejection::BadRequest),
    }
    let header = |name: &str| {
        req.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    };

    let auth = header("authorization").ok_or(Rejection::MissingToken)?;
    let token = bearer_token(auth).ok_or(Rejection::MissingToken)?;
    let id = tokens.agent_for(token).ok_or(Rejection::BadToken)?.clone();

    let is_upgrade = req.method == Some("GET")
        && req.version == Some(1)
        && header("upgrade").is_some_and(|v| has_token(v, "websocket"))
        && header("connection").is_some_and(|v| has_token(v, "upgrade"))
        && header("sec-websocket-version").is_some_and(|v| v.trim_ascii() == b"13");
    let key = header("sec-websocket-key")
        .map(<[u8]>::trim_ascii)
        .filter(|k| is_base64_16(k))
        .ok_or(Rejection::BadRequest)?;
    if !is_upgrade {
        return Err(Rejection::BadRequest);
    }
    // is_base64_16 only accepts ASCII.
    let key = String::from_utf8_lossy(key).into_owned();
    Ok(Checked { id, key })
}

/// `Bearer <token>` (scheme case-insensitive, RFC 6750) -> the token bytes.
fn bearer_token(value: &[u8]) -> Option<&[u8]> {
    let value = value.trim_ascii();
    let (scheme, rest) = value.split_at_checked(6)?;
    if !scheme.eq_ignore_ascii_case(b"bearer") || !rest.first()?.is_ascii_whitespace() {
        return None;
    }
    let token = rest.trim_ascii();
    (!token.is_empty()).then_some(token)
}

/// Whether a comma-separated header value lists `token` (case-insensitive).
fn has_token(value: &[u8], token: &str) -> bool {
    value
        .split(|&b| b == b',')
        .any(|part| part.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

/// A Sec-WebSocket-Key must be the base64 of 16 bytes: 22 symbols and "==".
fn is_base64_16(key: &[u8]) -> bool {
    key.len() == 24
        && key.ends_with(b"==")
        && key[..22]
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        Tokens::parse("a1 tok1\n").unwrap()
    }

    fn request(extra: &str) -> String {
        format!(
            "GET /anything HTTP/1.1\r\nHost: hub\r\nUpgrade: websocket\r\n\
             Connection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{extra}\r\n"
        )
    }

    fn checked(req: &str) -> Result<String, Rejection> {
        check(req.as_bytes(), &tokens()).map(|c| c.id.as_str().to_owned())
    }

    #[test]
    fn a_good_request_names_the_tokens_agent() {
        assert_eq!(
            checked(&request("Authorization: Bearer tok1\r\n")),
            Ok("a1".into())
        );
        assert_eq!(
            checked(&request("authorization:   bearer   tok1  \r\n")),
            Ok("a1".into())
        );
    }

    #[test]
    fn a_missing_or_wrong_token_is_unauthorized() {
        assert_eq!(checked(&request("")), Err(Rejection::MissingToken));
        assert_eq!(
            checked(&request("Authorization: Basic dG9rMQ==\r\n")),
            Err(Rejection::MissingToken)
        );
        assert_eq!(
            checked(&request("Authorization: Bearer\r\n")),
            Err(Rejection::MissingToken)
        );
        assert_eq!(
            checked(&request("Authorization: Bearertok1\r\n")),
            Err(Rejection::MissingToken)
        );
        assert_eq!(
            checked(&request("Authorization: Bearer tok2\r\n")),
            Err(Rejection::BadToken)
        );
    }

    #[test]
    fn an_authorized_plain_request_is_a_bad_request() {
        let req = "GET / HTTP/1.1\r\nHost: hub\r\nAuthorization: Bearer tok1\r\n\r\n";
        assert_eq!(checked(req), Err(Rejection::BadRequest));
        let wrong_version = request("Authorization: Bearer tok1\r\n").replace(": 13", ": 8");
        assert_eq!(checked(&wrong_version), Err(Rejection::BadRequest));
    }

    #[test]
    fn the_accept_key_matches_rfc_6455s_example() {
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        assert_eq!(
            tungstenite::handshake::derive_accept_key(key.as_bytes()),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }
}
