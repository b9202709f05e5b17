use std::time::Duration;

use wsrace_frame::opcode;
use wsrace_hub::Message;
use wsrace_zoo::Design;

use crate::support::{wait_registered, writers, Agent, Step, World};

#[tokio::test(start_paused = true)]
async fn lock_per_write_lets_a_heartbeat_ack_into_a_push() {
    let w = World::new(
        Design::LockPerWrite,
        vec![vec![Step::pass(), Step::stall(10).then_short(5)]],
    );
    let mut a1 = Agent::connect(&w.connector, "tok1").await;
    wait_registered(&w.hub, "a1").await;
    w.hub.send("a1", Message::Binary(vec![b'G'; 200])).unwrap();
    a1.send(opcode::TEXT, br#"{"type":"heartbeat","seq":1}"#)
        .await;
    a1.read_for(Duration::from_millis(500)).await;

    let v = a1.verdict().expect_err("the push is torn");
    assert!(
        v.gorilla().starts_with("RSV1 set"),
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
}

#[tokio::test(start_paused = true)]
async fn cancelled_write_all_drops_half_a_frame_and_writes_close_after_it() {
    let w = World::new(
        Design::CancelledWriteAll,
        vec![vec![Step::pass(), Step::short(5), Step::stall(300)]],
    );
    let mut a1 = Agent::connect(&w.connector, "tok1").await;
    wait_registered(&w.hub, "a1").await;
    w.hub.send("a1", Message::Binary(vec![b'G'; 200])).unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
    w.hub.shutdown().await;
    a1.read_for(Duration::from_secs(1)).await;

    assert!(a1.eof);
    assert_eq!(
        &a1.received[5..7],
        &[0x88, 12],
        "Close 1001 \"going away\" right after the cut"
    );
    let v = a1.verdict().expect_err("the push is torn");
    assert_eq!(v.rule, wsrace_frame::Rule::TruncatedFrame);
    assert_eq!(writers(&w.writes(1)), ["wsrace_zoo conn#1 writeLoop"]);
}
