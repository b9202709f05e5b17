#[path = "../../examples/tungstenite_server.rs"]
mod tungstenite_server;

use wsrace_sim::record::ReaderEnd;
use wsrace_sim::{run_once, AgentSpec, AgentStep, ChaosConfig, HeartbeatKind, Scenario};

use tungstenite_server::EchoFactory;

fn echo_scenario() -> Scenario {
    let mut s = Scenario::new("byo-echo");
    for name in ["a1", "a2"] {
        s.agents.push(AgentSpec::new(
            name,
            vec![
                AgentStep::Connect,
                AgentStep::Heartbeat {
                    every_ms: 500,
                    count: 4,
                    kind: HeartbeatKind::Ping,
                },
                AgentStep::SendText {
                    text: format!("hello from {name}"),
                },
                AgentStep::Wait { ms: 200 },
                AgentStep::Close { code: 1000 },
            ],
        ));
    }
    s
}

#[test]
fn a_tungstenite_echo_server_runs_in_the_world() {
    let out = run_once(&echo_scenario(), &EchoFactory, 11);
    let r = &out.record;
    assert!(r.end.quiescent, "{:#?}\n{}", r.end.pending, out.trace_text);
    assert_eq!(r.server, "tungstenite-echo");
    assert_eq!(r.conns.len(), 2);
    for c in &r.conns {
        assert!(c.upgraded);
        assert_eq!(c.s2c.reader_end, ReaderEnd::Eof);
        let text = String::from_utf8_lossy(&c.s2c.received);
        assert!(
            text.contains(&format!("hello from {}", c.agent)),
            "{text:?}"
        );
        // No hub events for a foreign server, so no server numbers.
        assert_eq!(c.server_conn, None);
        assert!(c.s2c.writes.iter().all(|w| w.writer == "server"));
    }
}

#[test]
fn a_tungstenite_server_survives_chaos_deterministically() {
    let mut s = echo_scenario();
    s.chaos = ChaosConfig::incident();
    s.chaos.read_error_per_mille = 0;
    s.chaos.reset_per_mille = 0;
    let a = run_once(&s, &EchoFactory, 4);
    let b = run_once(&s, &EchoFactory, 4);
    assert_eq!(a.trace_text, b.trace_text);
    assert!(a.record.end.quiescent, "{:#?}", a.record.end.pending);
}
