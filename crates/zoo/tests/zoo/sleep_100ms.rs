use std::time::Duration;

use wsrace_hub::Message;
use wsrace_zoo::Design;

use crate::support::{wait_registered, writers, Agent, Step, World};

/// a1 connects; a push starts (its first write takes 5 bytes, the rest is held
/// for `stall_ms`); 10 ms later a1 reconnects, so the new connection's
/// HandleCCConnection cancels the old writeLoop, sleeps 100 ms and closes.
async fn reconnect_during_a_push(stall_ms: u64) -> (World, Agent) {
    let w = World::new(
        Design::Sleep100ms,
        vec![vec![Step::pass(), Step::short(5), Step::stall(stall_ms)]],
    );
    let mut old = Agent::connect(&w.connector, "tok1").await;
    wait_registered(&w.hub, "a1").await;
    w.hub.send("a1", Message::Binary(vec![b'G'; 200])).unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
    let _new = Agent::connect(&w.connector, "tok1").await;
    old.read_for(Duration::from_secs(1)).await;
    (w, old)
}

#[tokio::test(start_paused = true)]
async fn a_write_blocked_past_100ms_gets_the_close_frame_inside_its_frame() {
    let (w, old) = reconnect_during_a_push(300).await;

    assert!(old.eof);
    // 5 bytes of the push, then the whole Close frame, then EOF: the push's
    // length swallows the Close frame and the stream ends mid-frame.
    assert_eq!(
        &old.received[5..7],
        &[0x88, 30],
        "Close 1000 right after the cut"
    );
    let v = old.verdict().expect_err("the push is torn");
    assert_eq!(
        v.rule,
        wsrace_frame::Rule::TruncatedFrame,
        "{}",
        v.render(Some(&old.received))
    );
    assert_eq!(
        writers(&w.writes(1)),
        [
            "wsrace_zoo conn#1 writeLoop",
            "wsrace_zoo conn#2 HandleCCConnection"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_write_that_finishes_within_100ms_is_followed_by_a_clean_close() {
    let (_w, old) = reconnect_during_a_push(50).await;

    assert!(old.eof);
    let end = old.verdict().expect("nothing torn");
    assert_eq!(end.frames, 2, "the push, then Close");
    assert_eq!(end.close.map(|c| c.code), Some(Some(1000)));
}
