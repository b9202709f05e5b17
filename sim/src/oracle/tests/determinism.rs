use crate::oracle::determinism::{check, first_difference, TraceDiff};

#[test]
fn equal_traces_have_no_difference() {
    assert_eq!(first_difference("a\nb\n", "a\nb"), None);
    assert_eq!(check(1, "a\n", "a\n"), None);
}

#[test]
fn the_first_differing_line_is_shown() {
    let a = "0 hub conn.accepted\n1 hub conn.registered agent=a1\n2 hub heartbeat\n";
    let b = "0 hub conn.accepted\n1 hub conn.registered agent=a2\n2 hub heartbeat\n";
    let f = check(42, a, b).unwrap();
    assert_eq!(f.oracle, "sim.determinism");
    assert_eq!(
        f.summary,
        "seed 42 gave two different traces; first difference at line 2"
    );
    assert_eq!(
        f.details,
        "  line       2\n  first      1 hub conn.registered agent=a1\n  second     1 hub conn.registered agent=a2\n"
    );
}

#[test]
fn a_trace_that_stops_early_differs_where_it_stops() {
    assert_eq!(
        first_difference("x\ny\n", "x\n"),
        Some(TraceDiff {
            line: 2,
            left: Some("y".into()),
            right: None
        })
    );
}
