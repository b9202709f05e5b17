use std::path::PathBuf;

use wsrace_hub::events::{EVENTS, TARGET};
use wsrace_hub::tokens::LineProblem;
use wsrace_hub::{Tokens, TokensError};

use crate::support::{capture, TestHub, SOON};

#[test]
fn every_event_is_documented_with_a_level_and_fields() {
    assert_eq!(TARGET, "wsrace_hub");
    for spec in EVENTS {
        assert!(
            ["trace", "debug", "info", "warn"].contains(&spec.level),
            "{spec:?}"
        );
        assert!(!spec.meaning.is_empty(), "{spec:?}");
        assert!(!spec.fields.contains(&"event"), "{spec:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_busy_connection_emits_only_documented_events_in_lifecycle_order() {
    let hub = TestHub::start();
    let mut agent = hub.agent("tok-a1").await;
    agent.send(wsrace_frame::opcode::PING, b"p").await;
    agent.expect_frame(SOON).await;
    hub.hub.send("a1", "push").unwrap();
    agent.expect_frame(SOON).await;
    agent.send_close(1000, "done").await;
    agent.expect_close().await;
    capture::wait_for("conn.closed", &[("conn", "1")]).await;
    hub.stop().await; // checks every event against the schema

    let names: Vec<String> = capture::events().into_iter().map(|e| e.name).collect();
    let lifecycle: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| !n.starts_with("frame.") && !n.starts_with("hub."))
        .collect();
    assert_eq!(
        lifecycle,
        [
            "conn.accepted",
            "conn.registered",
            "heartbeat",
            "close.received",
            "shutdown.begun",
            "close.sent",
            "conn.closed"
        ],
        "{}",
        capture::dump()
    );
    let written = capture::find("frame.written", &[("conn", "1")]);
    let opcodes: Vec<_> = written
        .iter()
        .map(|e| e.get("opcode").unwrap().to_owned())
        .collect();
    assert_eq!(opcodes, ["10", "1", "8"], "pong, push, close");
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("wsrace-hub-test-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_malformed_tokens_file_is_refused_with_its_path_and_line_number() {
    let path = temp_file("bad-tokens", "# agents\nagent-1 tok-1\n\nagent-2\n");
    let err = Tokens::load(&path).unwrap_err();
    std::fs::remove_file(&path).ok();
    match &err {
        TokensError::Malformed {
            path: p,
            line,
            problem,
        } => {
            assert_eq!((p, *line, problem), (&path, 4, &LineProblem::MissingToken));
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("{}:4: ", path.display())),
        "{text}"
    );
}

#[test]
fn a_good_tokens_file_loads() {
    let path = temp_file("good-tokens", "agent-1 tok-1 # first\nagent-2\ttok-2\n");
    let tokens = Tokens::load(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(tokens.len(), 2);
    assert_eq!(tokens.agent_for(b"tok-2").unwrap().as_str(), "agent-2");
}

/// A little of everything: heartbeats, pushes, a replacement, a timeout, shutdown.
async fn busy_script() {
    let hub = TestHub::start();
    let mut a1 = hub.agent("tok-a1").await;
    let mut a2 = hub.agent("tok-a2").await;
    let _silent = hub.agent("tok-a3").await;
    for seq in 0..3 {
        a1.send_text(&format!(r#"{{"type":"heartbeat","seq":{seq}}}"#))
            .await;
        a2.send(wsrace_frame::opcode::PING, b"hb").await;
        hub.hub.send("a1", format!("push {seq}")).unwrap();
        tokio::time::sleep(std::time::Duration::from_secs(50)).await;
    }
    let mut a1_again = hub.agent("tok-a1").await;
    a1.expect_close().await;
    a1_again.send_close(1000, "bye").await;
    a1_again.expect_close().await;
    capture::wait_for("conn.closed", &[("reason", "heartbeat_timeout")]).await;
    hub.stop().await;
}

#[test]
fn the_same_script_gives_the_same_events_twice() {
    let run = || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        runtime.block_on(busy_script());
        capture::events()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    };
    let first = run();
    let second = run();
    assert!(first.len() > 40, "the script exercises the hub: {first:#?}");
    if let Some(i) = (0..first.len().max(second.len())).find(|&i| first.get(i) != second.get(i)) {
        panic!(
            "event {i} differs:\n  first:  {:?}\n  second: {:?}",
            first.get(i),
            second.get(i)
        );
    }
}
