use wsrace_sim::oracle::{self, scan};
use wsrace_sim::record::{ReaderEnd, Way};
use wsrace_sim::{run_once, AgentSpec, AgentStep, HubFactory, Scenario, WorldAction, WorldStep};

#[test]
fn garbage_the_script_writes_is_labelled_raw_and_the_hub_answers_with_close_1002() {
    let mut s = Scenario::new("raw-garbage");
    // After a protocol error the hub stops reading and waits this long for the
    // agent's Close before it hangs up; the script outwaits it.
    s.hub.close_deadline_ms = 300;
    let mut spec = AgentSpec::new(
        "a1",
        vec![
            AgentStep::Connect,
            // RSV1 set, reserved opcode 7, no MASK: the incident's error, client side.
            AgentStep::SendRaw {
                bytes: vec![0xC7, 0x05, b'h', b'e', b'l', b'l', b'o'],
            },
            AgentStep::Wait { ms: 500 },
        ],
    );
    spec.host = "edge".into();
    s.agents.push(spec);
    let out = run_once(&s, &HubFactory, 1);
    let r = &out.record;
    let c = &r.conns[0];
    assert_eq!(c.host, "edge");
    assert!(
        c.c2s.writes.iter().any(|w| w.writer == "agent a1 raw"),
        "{:?}",
        c.c2s.writes
    );
    assert!(
        c.c2s.writes.iter().any(|w| w.writer == "agent a1"),
        "the handshake is not raw"
    );
    let close = scan(&c.s2c, Way::S2c).close().cloned();
    assert_eq!(close.and_then(|c| c.code), Some(1002), "{}", out.trace_text);
    // Deliberate garbage is the script's doing: no oracle speaks.
    assert_eq!(oracle::check_all(r), Vec::new(), "{}", out.trace_text);
}

#[test]
fn pushes_carry_their_number_and_ended_readers_their_time() {
    let mut s = Scenario::new("record-fields");
    s.agents.push(AgentSpec::new(
        "a1",
        vec![
            AgentStep::Connect,
            AgentStep::Wait { ms: 1000 },
            AgentStep::Close { code: 1000 },
        ],
    ));
    for at_ms in [300, 600] {
        s.steps.push(WorldStep {
            at_ms,
            action: WorldAction::Push { agent: "a1".into() },
        });
    }
    let out = run_once(&s, &HubFactory, 2);
    let r = &out.record;
    assert_eq!(r.pushes.iter().map(|p| p.seq).collect::<Vec<_>>(), [1, 2]);
    assert!(r.pushes[1].payload.contains(r#""seq":2"#));
    let c = &r.conns[0];
    assert_eq!(c.s2c.reader_end, ReaderEnd::Eof);
    let ended = c.s2c.ended_at.expect("an ended reader has a time");
    assert!(ended > std::time::Duration::from_millis(1000), "{ended:?}");
    // Agent events about a connection say which one.
    for e in r
        .trace
        .iter()
        .filter(|e| e.source == "agent" && e.name == "agent.step")
    {
        if e.field("step") != Some("connect") {
            assert_eq!(e.num("conn"), Some(1), "{e:?}");
        }
    }
}
