use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::time::Instant;
use wsrace_frame::{opcode, Rule};
use wsrace_hub::{Config, SendError};

use crate::support::{capture, Agent, TestHub, SOON};

#[tokio::test(start_paused = true)]
async fn hub_shutdown_gives_every_agent_close_1001_and_joins_all_tasks() {
    let hub = TestHub::start();
    let mut agents = Vec::new();
    for token in ["tok-a1", "tok-a2", "tok-a3"] {
        agents.push(hub.agent(token).await);
    }
    capture::wait_for("conn.registered", &[("conn", "3")]).await;
    let stopping = tokio::spawn({
        let hub = hub.hub.clone();
        async move { hub.shutdown().await }
    });
    // Two agents answer the Close; the third never does.
    for (i, agent) in agents.iter_mut().enumerate() {
        let ((code, reason), before) = agent.expect_close().await;
        assert_eq!((code, reason.as_str()), (1001, "going away"));
        assert!(before.is_empty());
        if i < 2 {
            agent.send_close(1001, "").await;
        }
    }
    let start = Instant::now();
    stopping.await.unwrap();
    // Bounded by the close deadline of the agent that never answered.
    assert!(start.elapsed() <= Config::default().close_deadline + SOON);
    for agent in &mut agents {
        assert!(
            agent.read_to_end().await.is_empty(),
            "nothing after the Close"
        );
    }
    let closed = capture::find("conn.closed", &[("reason", "hub_shutdown")]);
    assert_eq!(closed.len(), 3, "{}", capture::dump());
    assert_eq!(capture::find("conn.closed", &[("end", "clean")]).len(), 2);
    assert_eq!(
        capture::find("conn.closed", &[("end", "unanswered")]).len(),
        1
    );
    assert_eq!(
        capture::find("hub.shutdown.begun", &[("agents", "3")]).len(),
        1
    );
    assert_eq!(capture::find("hub.shutdown.done", &[]).len(), 1);
    // `hub.shutdown.done` comes after every `conn.closed`.
    let names: Vec<String> = capture::events().into_iter().map(|e| e.name).collect();
    let done = names.iter().position(|n| n == "hub.shutdown.done").unwrap();
    assert!(names.iter().rposition(|n| n == "conn.closed").unwrap() < done);
    assert!(hub.hub.agents().is_empty());
    assert_eq!(
        hub.hub.send("a1", "late"),
        Err(SendError::NotConnected { agent: "a1".into() })
    );
    for agent in agents {
        agent.finish().await.expect("clean frame stream");
    }
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn after_shutdown_serve_returns_and_new_connections_are_refused() {
    let hub = TestHub::start();
    let connector = hub.connector.clone();
    hub.stop().await;
    assert!(connector.connect("late").await.is_err());
}

#[tokio::test(start_paused = true)]
async fn shutdown_drops_connections_still_in_their_handshake() {
    let hub = TestHub::start();
    let mut stream = hub.connector.connect("half").await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut stream, b"GET / HTTP/1.1\r\n")
        .await
        .unwrap();
    capture::wait_for("conn.accepted", &[("conn", "1")]).await;
    let start = Instant::now();
    hub.hub.shutdown().await;
    assert!(
        start.elapsed() < SOON,
        "did not wait for the handshake deadline"
    );
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty());
    capture::wait_for(
        "handshake.rejected",
        &[("reason", "hub-shutdown"), ("status", "0")],
    )
    .await;
    hub.stop().await;
}

fn slow_consumer_config() -> Config {
    let mut config = Config::default();
    config.outbound_queue = 4;
    config.write_deadline = Duration::from_secs(10);
    config
}

/// Pushes 1000-byte messages, letting the writer run between pushes, until the hub
/// refuses one. Returns how many were accepted.
async fn push_until_refused(hub: &TestHub) -> usize {
    let mut accepted = 0;
    loop {
        match hub.hub.send("a1", vec![0xAB; 1000]) {
            Ok(()) => accepted += 1,
            Err(e) => {
                assert_eq!(e, SendError::QueueFull { agent: "a1".into() });
                return accepted;
            }
        }
        assert!(accepted < 1000, "the hub never pushed back");
        tokio::task::yield_now().await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_slow_consumer_is_closed_and_its_queue_stays_bounded() {
    let config = slow_consumer_config();
    let hub = TestHub::with_config(config.clone());
    // The agent never reads; its transport holds 256 bytes.
    let mut agent = Agent::connect_with_buffer(&hub.connector, "tok-a1", 256).await;
    capture::wait_for("conn.registered", &[("agent", "a1")]).await;
    let accepted = push_until_refused(&hub).await;
    // The queue plus the one frame the writer holds, never more.
    assert_eq!(accepted, config.outbound_queue + 1, "{}", capture::dump());
    assert_eq!(
        hub.hub.send("a1", "more"),
        Err(SendError::Closing { agent: "a1".into() })
    );
    capture::wait_for("shutdown.begun", &[("reason", "slow_consumer")]).await;

    // The writer is stuck mid-frame; at its deadline it gives up and writes nothing more.
    let start = Instant::now();
    let aborted = capture::wait_for("write.aborted", &[("conn", "1")]).await;
    assert_eq!(start.elapsed(), config.write_deadline);
    assert_eq!(aborted.get("written"), Some("256"));
    let closed = capture::wait_for("conn.closed", &[("conn", "1")]).await;
    assert_eq!(closed.get("end"), Some("write_aborted"));
    assert!(hub.hub.agents().is_empty());

    // What reached the agent: the 256 bytes written before the abort (one torn
    // frame), and nothing after them.
    assert!(agent.read_to_end().await.is_empty());
    assert_eq!(agent.received().len(), 256);
    let torn = agent.finish().await.expect_err("the last frame is torn");
    assert_eq!(torn.rule, Rule::TruncatedFrame);
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_slow_consumer_that_reads_again_gets_the_frame_in_flight_then_close_1008() {
    let config = slow_consumer_config();
    let hub = TestHub::with_config(config.clone());
    let mut agent = Agent::connect_with_buffer(&hub.connector, "tok-a1", 256).await;
    capture::wait_for("conn.registered", &[("agent", "a1")]).await;
    push_until_refused(&hub).await;
    tokio::time::sleep(Duration::from_secs(1)).await; // well before the write deadline
    let ((code, reason), before) = agent.expect_close().await;
    assert_eq!(
        (code, reason.as_str()),
        (1008, "slow consumer: outbound queue full")
    );
    // The frame that was being written completes; the queued ones are dropped.
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].payload, vec![0xAB; 1000]);
    agent.send_close(1008, "").await;
    assert!(agent.read_to_end().await.is_empty());
    let closed = capture::wait_for("conn.closed", &[("conn", "1")]).await;
    assert_eq!(
        (closed.get("reason"), closed.get("end")),
        (Some("slow_consumer"), Some("clean"))
    );
    agent.finish().await.expect("clean frame stream");
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_writer_stuck_on_a_full_transport_at_shutdown_is_aborted_with_nothing_after() {
    let config = Config::default();
    let hub = TestHub::with_config(config.clone());
    let mut agent = Agent::connect_with_buffer(&hub.connector, "tok-a1", 64).await;
    capture::wait_for("conn.registered", &[("agent", "a1")]).await;
    hub.hub.send("a1", vec![0x11; 1000]).unwrap();
    tokio::task::yield_now().await; // the writer starts the frame and blocks
    let start = Instant::now();
    hub.hub.shutdown().await;
    assert_eq!(
        start.elapsed(),
        config.write_deadline,
        "shutdown waits for the write deadline, no longer"
    );
    let aborted = capture::wait_for("write.aborted", &[("conn", "1")]).await;
    assert_eq!(aborted.get("written"), Some("64"));
    assert_eq!(aborted.get("wire"), Some("1004"));
    let closed = capture::wait_for("conn.closed", &[("conn", "1")]).await;
    assert_eq!(
        (closed.get("reason"), closed.get("end")),
        (Some("hub_shutdown"), Some("write_aborted"))
    );
    assert!(capture::find("close.sent", &[]).is_empty());
    assert!(agent.read_to_end().await.is_empty());
    assert_eq!(
        agent.received().len(),
        64,
        "exactly the bytes before the abort"
    );
    let torn = agent.finish().await.expect_err("the frame was cut");
    assert_eq!(torn.rule, Rule::TruncatedFrame);
    hub.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_writer_stuck_at_shutdown_finishes_its_frame_then_closes_when_the_agent_reads_again() {
    let hub = TestHub::start();
    let mut agent = Agent::connect_with_buffer(&hub.connector, "tok-a1", 64).await;
    capture::wait_for("conn.registered", &[("agent", "a1")]).await;
    hub.hub.send("a1", vec![0x22; 1000]).unwrap();
    tokio::task::yield_now().await;
    let stopping = tokio::spawn({
        let hub = hub.hub.clone();
        async move { hub.shutdown().await }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    let ((code, _), before) = agent.expect_close().await;
    assert_eq!(code, 1001);
    assert_eq!(before.len(), 1);
    assert_eq!(
        (before[0].opcode, before[0].payload.len()),
        (opcode::BINARY, 1000)
    );
    agent.send_close(1001, "").await;
    stopping.await.unwrap();
    let closed = capture::wait_for("conn.closed", &[("conn", "1")]).await;
    assert_eq!(closed.get("end"), Some("clean"));
    assert!(capture::find("write.aborted", &[]).is_empty());
    agent.finish().await.expect("clean frame stream");
    hub.stop().await;
}
