use std::time::Duration;

use wsrace_frame::opcode;
use wsrace_hub::{memory_listener, Hub, Tokens};
use wsrace_zoo::Design;

use crate::support::{config, scripted, spans, wait_registered, writers, Agent, World};

#[tokio::test(start_paused = true)]
async fn when_nothing_races_every_design_serves_like_the_hub() {
    for &design in Design::all() {
        let w = World::new(design, vec![]);
        let mut a1 = Agent::connect(&w.connector, "tok1").await;
        wait_registered(&w.hub, "a1").await;
        a1.ping(b"p").await;
        a1.send(opcode::TEXT, br#"{"type":"heartbeat","seq":7}"#)
            .await;
        tokio::time::sleep(Duration::from_millis(10)).await;
        w.hub.send("a1", "hello").unwrap();
        a1.read_for(Duration::from_millis(100)).await;
        w.hub.shutdown().await;
        a1.read_for(Duration::from_secs(1)).await;

        let end = a1
            .verdict()
            .unwrap_or_else(|v| panic!("{design}: {}", v.render(Some(&a1.received))));
        let text = String::from_utf8_lossy(&a1.received);
        assert!(
            text.contains(r#"{"type":"heartbeat_ack","seq":7}"#),
            "{design}: {text:?}"
        );
        assert!(text.contains("hello"), "{design}: {text:?}");
        // Go's Conn.Close() sends no Close frame; every later design does.
        let code = end.close.and_then(|c| c.code);
        let want = (design != Design::GoOriginal).then_some(1001);
        assert_eq!(code, want, "{design}");
        assert!(w.hub.agents().is_empty(), "{design}");
        let events = spans::assert_schema();
        for name in [
            "conn.accepted",
            "conn.registered",
            "heartbeat",
            "hub.shutdown.begun",
        ] {
            assert!(
                events.iter().any(|e| e == name),
                "{design}: no {name} in {events:?}"
            );
        }
        for name in ["shutdown.begun", "conn.closed", "hub.shutdown.done"] {
            assert!(
                events.iter().any(|e| e == name),
                "{design}: no {name} in {events:?}"
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn the_pong_is_written_by_the_reader_only_in_designs_whose_reader_writes() {
    for (design, role) in [
        (Design::GoOriginal, "handleAgentMessages"),
        (Design::LockPerWrite, "handleAgentMessages"),
        (Design::Sleep100ms, "writeLoop"),
        (Design::CancelledWriteAll, "writeLoop"),
    ] {
        let w = World::new(design, vec![]);
        let mut a1 = Agent::connect(&w.connector, "tok1").await;
        wait_registered(&w.hub, "a1").await;
        a1.ping(b"p").await;
        a1.read_for(Duration::from_millis(100)).await;
        assert_eq!(
            writers(&w.writes(1)),
            [format!("wsrace_zoo conn#1 {role}")],
            "{design}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn the_hubs_own_tasks_run_in_task_spans_too() {
    let _spans = spans::install();
    let hub = Hub::new(config(), Tokens::from_pairs([("a1", "tok1")]).unwrap());
    let (listener, connector) = memory_listener();
    let (listener, logs) = scripted::ScriptedListener::new(listener, vec![]);
    tokio::spawn({
        let hub = hub.clone();
        async move { hub.serve(listener).await }
    });
    let mut a1 = Agent::connect(&connector, "tok1").await;
    a1.ping(b"p").await;
    a1.read_for(Duration::from_millis(100)).await;
    hub.shutdown().await;

    let log = logs.lock().unwrap()[0].lock().unwrap().clone();
    assert_eq!(
        writers(&log),
        ["wsrace_hub conn#1 supervisor", "wsrace_hub conn#1 writer"],
        "101 by the supervisor; the Pong and Close by the writer"
    );
}

#[test]
fn names_round_trip_and_every_design_names_its_oracle() {
    for &d in Design::all() {
        assert_eq!(d.name().parse::<Design>(), Ok(d));
        assert!(["wire.grammar", "wire.close"].contains(&d.expected_oracle()));
        assert!(!d.description().is_empty());
    }
    assert_eq!(
        Design::names(),
        [
            "go-original",
            "sleep-100ms",
            "lock-per-write",
            "cancelled-write-all"
        ]
    );
}
