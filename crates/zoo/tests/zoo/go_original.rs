use std::time::Duration;

use wsrace_hub::Message;
use wsrace_zoo::Design;

use crate::support::{push_text, wait_registered, writers, Agent, Step, World};

#[tokio::test(start_paused = true)]
async fn a_pong_from_handle_agent_messages_lands_inside_a_push() {
    let w = World::new(
        Design::GoOriginal,
        // 101; the push's first write waits 10 ms, then takes only 5 bytes.
        vec![vec![Step::pass(), Step::stall(10).then_short(5)]],
    );
    let mut a1 = Agent::connect(&w.connector, "tok1").await;
    wait_registered(&w.hub, "a1").await;
    w.hub.send("a1", Message::Binary(vec![b'G'; 200])).unwrap();
    // While writeLoop waits, the Ping arrives; gorilla's default ping handler
    // writes the Pong from the reader, first in line when the short write ends.
    a1.ping(b"hb").await;
    a1.read_for(Duration::from_millis(500)).await;

    let v = a1.verdict().expect_err("the push is torn");
    // The push's payload swallows the Pong; its own tail is then read as a header.
    assert!(
        v.gorilla().starts_with("RSV1 set, bad opcode 7"),
        "{}",
        v.render(Some(&a1.received))
    );
    assert_eq!(
        writers(&w.writes(1)),
        [
            "wsrace_zoo conn#1 writeLoop",
            "wsrace_zoo conn#1 handleAgentMessages",
            "wsrace_zoo conn#1 writeLoop"
        ]
    );
    // Header and one byte of the push, the whole Pong, the push's other 199.
    let lens: Vec<usize> = w.writes(1).iter().map(|c| c.len).collect();
    assert_eq!(lens, [5, 4, 199]);
}

#[tokio::test(start_paused = true)]
async fn monitor_connection_cuts_a_blocked_push_short_without_a_close_frame() {
    let w = World::new(
        Design::GoOriginal,
        // 101; 5 bytes of the push; the rest blocks for 5 s (the agent is slow).
        vec![vec![Step::pass(), Step::short(5), Step::stall(5_000)]],
    );
    let mut a1 = Agent::connect(&w.connector, "tok1").await;
    wait_registered(&w.hub, "a1").await;
    w.hub.send("a1", push_text()).unwrap();
    // No heartbeat: at 1 s monitorConnection closes the socket mid-frame.
    a1.read_for(Duration::from_secs(3)).await;

    assert!(a1.eof);
    assert_eq!(a1.received.len(), 5);
    let v = a1.verdict().expect_err("the push is cut short");
    assert_eq!(
        v.rule,
        wsrace_frame::Rule::TruncatedFrame,
        "{}",
        v.render(Some(&a1.received))
    );
}

#[tokio::test(start_paused = true)]
async fn a_reconnect_drops_the_old_connection_without_a_close_frame() {
    let w = World::new(Design::GoOriginal, vec![]);
    let mut old = Agent::connect(&w.connector, "tok1").await;
    wait_registered(&w.hub, "a1").await;
    let _new = Agent::connect(&w.connector, "tok1").await;
    old.read_for(Duration::from_secs(1)).await;

    assert!(old.eof);
    let end = old
        .verdict()
        .expect("nothing torn: nothing was being written");
    assert_eq!(end.close, None, "Go's Conn.Close() sends no Close frame");
}
