//! The same paths from a Python `websockets` agent (serve_tcp/agent.py, run in the
//! shared venv `target/wsrace-venv`, which this test makes if needed): 401 without
//! and with a wrong token, Ping, JSON heartbeat, pushes, replacement by a reconnect
//! (1000), SIGTERM (1001). The script reports what it saw as JSON lines; the
//! assertions are here.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use serde_json::{json, Value};

use crate::server::Server;
use crate::venv;

/// The `websockets` release agent.py is written against.
const WEBSOCKETS_VERSION: &str = "15.0.1";

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/serve_tcp/agent.py");

/// Kills the script if the test fails.
struct Script(Child);

impl Drop for Script {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_python_websockets_agent_heartbeats_is_replaced_and_sees_every_close_code() {
    let python = venv::python(&[("websockets", WEBSOCKETS_VERSION)])
        .unwrap_or_else(|e| panic!("the Python agent's virtualenv: {e}"));
    let mut server = Server::start(&[("py-agent", "py-token")], &["--push-every", "0.05"]);
    let mut script = Script(
        Command::new(python)
            .arg(SCRIPT)
            .args(["--url", &server.url(), "--token", "py-token"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start agent.py"),
    );
    let (tx, lines) = mpsc::channel();
    let out = script.0.stdout.take().unwrap();
    thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut stderr = script.0.stderr.take().unwrap();
    let stderr = thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });

    let next = |step: &str, wait: Duration| -> Value {
        let line = lines.recv_timeout(wait).unwrap_or_else(|e| {
            panic!(
                "agent.py printed no {step:?} line within {wait:?} ({e})\n{}",
                server.log()
            )
        });
        let v: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("agent.py printed non-JSON ({e}): {line}"));
        assert_eq!(v["step"], step, "agent.py: {v:#}\n{}", server.log());
        v
    };

    next("ready", Duration::from_secs(30));
    server.terminate();
    let result = next("result", Duration::from_secs(10));
    let status = script.0.wait().expect("wait for agent.py");
    assert!(
        status.success(),
        "agent.py: {status}\n{}",
        stderr.join().unwrap()
    );
    let exit = server.wait_exit(Duration::from_secs(10));
    assert!(exit.success(), "wsrace serve: {exit}\n{}", server.log());

    assert_eq!(result["websockets"], WEBSOCKETS_VERSION);
    assert_eq!(result["missing_token_status"], 401);
    assert_eq!(result["bad_token_status"], 401);
    assert_eq!(result["old_pong"], true);
    assert_eq!(
        result["old_ack"],
        json!({"type": "heartbeat_ack", "seq": 1})
    );
    assert_eq!(
        result["old_close"],
        json!({"code": 1000, "reason": "replaced by a new connection"})
    );
    assert_eq!(
        result["new_ack"],
        json!({"type": "heartbeat_ack", "seq": 2})
    );
    assert_eq!(result["new_pong"], true);
    assert_eq!(
        result["new_close"],
        json!({"code": 1001, "reason": "going away"})
    );
    for key in ["old_pushes", "new_pushes"] {
        let seqs: Vec<u64> = result[key]
            .as_array()
            .unwrap_or_else(|| panic!("{key}: {result:#}"))
            .iter()
            .map(|s| s.as_u64().unwrap())
            .collect();
        assert!(!seqs.is_empty(), "{key}: no pushes");
        assert!(
            seqs.windows(2).all(|w| w[1] == w[0] + 1),
            "{key}: in order, none lost or repeated: {seqs:?}"
        );
    }
}
