use wsrace_frame::opcode;
use wsrace_hub::{AgentId, Message, SendError};

use crate::support::{capture, TestHub, SOON};

#[tokio::test(start_paused = true)]
async fn reconnect_replaces_the_old_connection() {
    let hub = TestHub::start();
    let mut old = hub.agent("tok-a1").await;
    capture::wait_for("conn.registered", &[("conn", "1"), ("agent", "a1")]).await;
    let mut new = hub.agent("tok-a1").await;
    capture::wait_for("conn.registered", &[("conn", "2"), ("agent", "a1")]).await;
    capture::wait_for("conn.replaced", &[("conn", "1"), ("by", "2")]).await;

    // The old connection gets its Close, at a frame boundary, then EOF.
    let ((code, reason), _) = old.expect_close().await;
    assert_eq!(
        (code, reason.as_str()),
        (1000, "replaced by a new connection")
    );
    old.send_close(1000, "").await;
    assert!(old.read_to_end().await.is_empty());
    let closed = capture::wait_for("conn.closed", &[("conn", "1")]).await;
    assert_eq!(closed.get("reason"), Some("replaced"));
    assert_eq!(closed.get("end"), Some("clean"));

    // The old connection's cleanup did not remove the new entry.
    let agents = hub.hub.agents();
    assert_eq!(agents.len(), 1);
    assert_eq!(agents[&AgentId::from("a1")].get(), 2);

    // And the new one works.
    hub.hub.send("a1", "for the new one").unwrap();
    assert_eq!(new.expect_frame(SOON).await.text(), "for the new one");
    new.send(opcode::PING, b"x").await;
    assert_eq!(new.expect_frame(SOON).await.opcode, opcode::PONG);
    old.finish().await.expect("clean frame stream");
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn an_agent_replaced_twice_in_a_row_keeps_only_the_newest() {
    let hub = TestHub::start();
    let mut first = hub.agent("tok-a2").await;
    let mut second = hub.agent("tok-a2").await;
    let mut third = hub.agent("tok-a2").await;
    capture::wait_for("conn.registered", &[("conn", "3")]).await;
    // The old agents never answer; each is closed after the close deadline.
    for old in [&mut first, &mut second] {
        let ((code, _), _) = old.expect_close().await;
        assert_eq!(code, 1000);
        assert!(old.read_to_end().await.is_empty());
    }
    capture::wait_for("conn.closed", &[("conn", "1"), ("end", "unanswered")]).await;
    capture::wait_for("conn.closed", &[("conn", "2"), ("end", "unanswered")]).await;
    assert_eq!(hub.hub.agents()[&AgentId::from("a2")].get(), 3);
    hub.hub.send("a2", "still here?").unwrap();
    assert_eq!(third.expect_frame(SOON).await.text(), "still here?");
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn pushes_arrive_in_order() {
    let hub = TestHub::start();
    let mut agent = hub.agent("tok-a3").await;
    capture::wait_for("conn.registered", &[("agent", "a3")]).await;
    let a3 = AgentId::from("a3");
    for i in 0..20 {
        let msg = if i % 2 == 0 {
            Message::Text(format!("m{i}"))
        } else {
            Message::Binary(vec![i])
        };
        hub.hub.send(&a3, msg).unwrap(); // an &AgentId works as well as a &str
    }
    for i in 0..20u8 {
        let f = agent.expect_frame(SOON).await;
        if i % 2 == 0 {
            assert_eq!(
                (f.opcode, f.text()),
                (opcode::TEXT, format!("m{i}").as_str())
            );
        } else {
            assert_eq!((f.opcode, f.payload), (opcode::BINARY, vec![i]));
        }
    }
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn sending_to_an_agent_that_is_not_connected_fails() {
    let hub = TestHub::start();
    assert_eq!(
        hub.hub.send("a1", "x"),
        Err(SendError::NotConnected { agent: "a1".into() })
    );
    assert_eq!(
        hub.hub.send("nobody", "x"),
        Err(SendError::NotConnected {
            agent: "nobody".into()
        })
    );
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn the_agents_snapshot_lists_agents_in_order_with_their_connections() {
    let hub = TestHub::start();
    let _c = hub.agent("tok-a3").await;
    let _a = hub.agent("tok-a1").await;
    capture::wait_for("conn.registered", &[("conn", "2")]).await;
    let agents: Vec<(String, u64)> = hub
        .hub
        .agents()
        .into_iter()
        .map(|(a, c)| (a.to_string(), c.get()))
        .collect();
    assert_eq!(agents, vec![("a1".to_owned(), 2), ("a3".to_owned(), 1)]);
    hub.stop().await;
}
