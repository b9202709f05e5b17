//! A tokio-tungstenite agent against `wsrace serve`: heartbeats both ways, pushes,
//! the heartbeat timeout, replacement by a reconnect, and SIGTERM. Every test ends
//! by checking each agent's capture of the server's bytes with the frame checker.

use std::time::{Duration, Instant};

use futures_util::future::join_all;

use crate::agent::{Agent, Closed};
use crate::server::Server;

/// Pushes often enough that several arrive in a short test, and that some are in
/// flight when a connection is closed.
const PUSH_EVERY: &str = "0.05";

fn closed(code: u16, reason: &str) -> Closed {
    Closed {
        code,
        reason: reason.to_owned(),
    }
}

fn assert_consecutive(pushes: &[u64], who: &str) {
    assert!(
        pushes.windows(2).all(|w| w[1] == w[0] + 1),
        "{who}: pushes arrive in order, none lost or repeated: {pushes:?}"
    );
}

#[tokio::test]
async fn an_agent_gets_pongs_heartbeat_acks_and_pushes() {
    let server = Server::start(&[("agent-1", "token-1")], &["--push-every", PUSH_EVERY]);
    let mut agent = Agent::connect(&server, "agent-1", "token-1").await;

    agent.ping(b"ping-1").await;
    agent.heartbeat(1).await;
    let first = agent.await_push().await;
    let second = agent.await_push().await;
    assert!(second > first);
    agent.ping(b"").await;
    agent.heartbeat(2).await;

    // The hub echoes the agent's code with an empty reason.
    assert_eq!(agent.close(1000).await, closed(1000, ""));
    assert_consecutive(&agent.pushes, "agent-1");
    let end = agent.check_wire();
    let close = end.close.expect("the stream ends with a Close");
    assert_eq!(close.code, Some(1000));
    // 2 pongs + 2 acks + the pushes + Close.
    assert_eq!(end.frames, 5 + agent.pushes.len() as u64);
}

#[tokio::test]
async fn a_silent_agent_is_closed_with_1001_heartbeat_timeout_and_a_live_one_is_not() {
    let server = Server::start(
        &[("silent", "token-s"), ("live", "token-l")],
        &["--heartbeat-timeout", "1"],
    );
    let mut silent = Agent::connect(&server, "silent", "token-s").await;
    let connected = Instant::now();
    let mut live = Agent::connect(&server, "live", "token-l").await;

    let keep_alive = async {
        for seq in 1..=8 {
            tokio::time::sleep(Duration::from_millis(250)).await;
            live.heartbeat(seq).await;
        }
    };
    let (close, ()) = tokio::join!(silent.await_close(), keep_alive);
    let after = connected.elapsed();

    assert_eq!(close, closed(1001, "heartbeat timeout"), "{}", server.log());
    // The deadline starts before our handshake returns, so allow a little early.
    assert!(
        (Duration::from_millis(900)..Duration::from_secs(4)).contains(&after),
        "closed after {after:?} with --heartbeat-timeout 1"
    );
    // Two seconds of heartbeats every 250 ms kept the live agent connected.
    live.ping(b"still here").await;
    assert_eq!(live.close(1000).await, closed(1000, ""));

    let end = silent.check_wire();
    assert_eq!(end.frames, 1, "only the Close");
    let close = end.close.unwrap();
    assert_eq!(
        (close.code, close.reason.as_str()),
        (Some(1001), "heartbeat timeout")
    );
    live.check_wire();
}

#[tokio::test]
async fn a_reconnect_replaces_the_old_connection_which_gets_1000() {
    let server = Server::start(
        &[("agent-1", "token-1"), ("agent-2", "token-2")],
        &["--push-every", PUSH_EVERY],
    );
    let mut old = Agent::connect(&server, "old agent-1", "token-1").await;
    old.heartbeat(1).await;
    old.await_push().await;

    // Another agent connecting does not replace agent-1: tokens decide the agent.
    let mut other = Agent::connect(&server, "agent-2", "token-2").await;
    other.heartbeat(1).await;
    old.heartbeat(2).await;

    let mut new = Agent::connect(&server, "new agent-1", "token-1").await;
    assert_eq!(
        old.await_close().await,
        closed(1000, "replaced by a new connection"),
        "{}",
        server.log()
    );
    // The new connection stays registered: it is answered and pushed to.
    new.heartbeat(3).await;
    new.await_push().await;
    new.await_push().await;
    other.heartbeat(2).await;

    assert_eq!(new.close(1000).await, closed(1000, ""));
    assert_eq!(other.close(1000).await, closed(1000, ""));
    for (agent, name) in [(&old, "old"), (&new, "new"), (&other, "other")] {
        assert_consecutive(&agent.pushes, name);
        agent.check_wire();
    }
    let end = old.check_wire();
    assert_eq!(end.close.unwrap().code, Some(1000));
}

#[tokio::test]
async fn sigterm_closes_every_agent_with_1001_and_the_server_exits_0() {
    let tokens: Vec<(String, String)> = (1..=4)
        .map(|i| (format!("agent-{i}"), format!("token-{i}")))
        .collect();
    let refs: Vec<(&str, &str)> = tokens
        .iter()
        .map(|(a, t)| (a.as_str(), t.as_str()))
        .collect();
    let mut server = Server::start(&refs, &["--push-every", PUSH_EVERY]);
    let mut agents = Vec::new();
    for (agent, token) in &refs {
        let mut a = Agent::connect(&server, agent, token).await;
        a.heartbeat(1).await; // registered before the signal
        agents.push(a);
    }
    for a in &mut agents {
        a.await_push().await;
    }

    server.terminate();
    let closes = join_all(agents.iter_mut().map(|a| a.await_close())).await;
    for close in closes {
        assert_eq!(close, closed(1001, "going away"), "{}", server.log());
    }
    let status = server.wait_exit(Duration::from_secs(10));
    assert!(status.success(), "exit status {status}\n{}", server.log());

    for a in &agents {
        let end = a.check_wire();
        assert_eq!(end.close.unwrap().code, Some(1001));
    }
}
