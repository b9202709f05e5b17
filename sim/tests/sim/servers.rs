use wsrace_sim::{presets, run_once, server_by_name, server_names, ZooFactory};
use wsrace_zoo::Design;

use crate::support::heartbeats;

#[test]
fn every_server_name_resolves_and_an_unknown_one_lists_the_valid_names() {
    for name in [
        "hub",
        "zoo:go-original",
        "zoo:sleep-100ms",
        "zoo:lock-per-write",
        "zoo:cancelled-write-all",
    ] {
        let server = server_by_name(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(server.name(), name);
    }
    assert_eq!(server_names().len(), 1 + Design::all().len());
    for bad in ["zoo:sleep-50ms", "zoo:", "hubb", ""] {
        let err = server_by_name(bad).err().expect(bad);
        assert!(
            err.contains("valid servers: hub, zoo:go-original, zoo:sleep-100ms"),
            "{err}"
        );
        assert!(err.contains(&format!("{bad:?}")), "{err}");
    }
}

#[test]
fn a_zoo_design_is_judged_from_hub_events_with_writes_labelled_by_go_path() {
    // Calm: no chaos, so even a bad design behaves; what matters is what the
    // harness sees of it.
    let out = run_once(
        &heartbeats("zoo-calm", 2, 5, 300),
        &ZooFactory(Design::GoOriginal),
        1,
    );
    let r = &out.record;
    assert_eq!(r.server, "zoo:go-original");
    assert!(r.end.quiescent, "{:#?}\n{}", r.end.pending, out.trace_text);
    for name in [
        "conn.accepted",
        "conn.registered",
        "heartbeat",
        "conn.closed",
    ] {
        assert!(
            r.trace.iter().any(|e| e.source == "hub" && e.name == name),
            "no hub-source {name}:\n{}",
            out.trace_text
        );
    }
    for c in &r.conns {
        assert!(c.server_conn.is_some(), "conn #{} not matched", c.id);
        assert_eq!(c.host, "agents");
        let labels: std::collections::BTreeSet<&str> =
            c.s2c.writes.iter().map(|w| w.writer.as_str()).collect();
        let n = c.server_conn.unwrap();
        // The handshake answer, the Pongs (gorilla's reader writes them) and
        // the Close echo.
        assert!(
            labels.contains(format!("zoo conn#{n} HandleCCConnection").as_str()),
            "{labels:?}"
        );
        assert!(
            labels.contains(format!("zoo conn#{n} handleAgentMessages").as_str()),
            "{labels:?}"
        );
    }
    assert_eq!(r.registry_at_end.as_ref().map(|m| m.len()), Some(0));
    assert_eq!(r.extra_tasks_at_end, Some(0));
}

#[test]
fn the_incident_preset_is_deterministic_and_the_hub_settles_it() {
    let s = presets::incident();
    assert_eq!(presets::by_name("incident"), Some(s.clone()));
    let a = run_once(&s, &wsrace_sim::HubFactory, 3);
    let b = run_once(&s, &wsrace_sim::HubFactory, 3);
    assert_eq!(a.trace_text, b.trace_text);
    assert!(a.record.end.quiescent, "{:#?}", a.record.end.pending);
}

/// Hangs up on every connection but leaves a task of its own behind each time.
struct Leaky;

impl wsrace_sim::ServerFactory for Leaky {
    fn name(&self) -> String {
        "leaky".into()
    }
    fn build(&self, _: &wsrace_sim::ServerSetup) -> std::rc::Rc<dyn wsrace_sim::SimServer> {
        std::rc::Rc::new(Leaky)
    }
}

impl wsrace_sim::SimServer for Leaky {
    fn serve(&self, mut listener: wsrace_sim::SimListener) -> wsrace_sim::server::LocalFuture {
        Box::pin(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(tokio::time::sleep(std::time::Duration::from_secs(3600)));
                drop(stream);
            }
        })
    }
}

#[test]
fn tasks_left_on_the_server_runtime_are_counted_and_reported() {
    use wsrace_sim::{AgentSpec, AgentStep, Scenario};
    let mut s = Scenario::new("leaky");
    for a in ["a1", "a2"] {
        s.agents.push(AgentSpec::new(a, vec![AgentStep::Connect]));
    }
    let out = run_once(&s, &Leaky, 1);
    assert_eq!(out.record.extra_tasks_at_end, Some(2));
    let found = wsrace_sim::oracle::tasks::HubTasks;
    let findings = wsrace_sim::oracle::Oracle::check(&found, &out.record);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(
        findings[0].summary.starts_with("2 task(s) still alive"),
        "{findings:?}"
    );
}
