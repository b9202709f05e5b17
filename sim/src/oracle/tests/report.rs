use super::support::*;
use crate::oracle::{check_all, Finding};
use crate::report::{render, replay_command, ReportOptions};

fn torn() -> (crate::record::RunRecord, Finding) {
    let r = torn_heartbeat_run();
    let f = check_all(&r)
        .into_iter()
        .next()
        .expect("wire.grammar fires");
    (r, f)
}

#[test]
fn check_all_puts_the_wire_first() {
    let (r, _) = torn();
    assert_eq!(ids(&check_all(&r)), ["wire.grammar", "hub.liveness"]);
}

#[test]
fn the_report_names_side_writers_and_one_replay_command() {
    let (r, f) = torn();
    let text = render(&r, &f, &ReportOptions::for_run(&r));
    println!("{text}");
    for want in [
        "FAIL wire.grammar: s2c rsv-bits at offset 29 (frame #2): RSV1 set, bad opcode 7, bad MASK; written by the server (zoo conn#1 writer)\n",
        "  scenario    incident/torn-heartbeat\n",
        "  seed        7\n",
        "  server      zoo:go-original\n",
        "  connection  #1 (agent a1, server conn 1)\n",
        "  side        server wrote the first bad byte (s2c offset 29)\n",
        "  writer      zoo conn#1 writer\n",
        "  before it   zoo conn#1 heartbeat, then zoo conn#1 writer\n",
        "after a 56-byte HTTP head",
        "^ 7: frame #1: FIN Pong unmasked len=20\n",
        "^ 7: <- zoo conn#1 heartbeat\n",
        "^ 17: <- zoo conn#1 writer\n",
        "^ 29: first bad byte (rsv-bits)\n",
        "  2.500000 hub hub heartbeat conn=1 agent=a1 kind=ping\n",
        "\nreplay:\n  wsrace replay --scenario incident/torn-heartbeat --server zoo:go-original --seed 7\n",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    assert_eq!(text.matches("wsrace replay").count(), 1);
}

#[test]
fn the_report_is_the_same_for_the_same_record() {
    let (r, f) = torn();
    let opts = ReportOptions::for_run(&r);
    let again = r.clone();
    let f2 = check_all(&again).into_iter().next().unwrap();
    assert_eq!(render(&r, &f, &opts), render(&again, &f2, &opts));
}

#[test]
fn the_replay_command_quotes_what_the_shell_would_split() {
    let mut r = run();
    r.scenario = "scenarios/my race.toml".into();
    assert_eq!(
        replay_command(&r),
        "wsrace replay --scenario 'scenarios/my race.toml' --server zoo:go-original --seed 7"
    );
}

#[test]
fn a_report_for_a_cut_stream_marks_where_it_ends() {
    let mut r = run();
    let mut c = conn(1, "a1");
    let frame = server_frame(wsrace_frame::opcode::BINARY, &[0; 40]);
    write(&mut c.s2c, &frame[..20], "hub conn#1 writer", s(2));
    c.s2c.reader_end = crate::record::ReaderEnd::Eof;
    r.conns.push(c);
    let f = check_all(&r).into_iter().next().unwrap();
    let text = render(&r, &f, &ReportOptions::for_run(&r));
    assert!(text.contains("^ 20: stream ends here\n"), "{text}");
    assert!(
        text.contains("^ 0: frame #0 (cut short): FIN Binary unmasked len=40\n"),
        "{text}"
    );
}
