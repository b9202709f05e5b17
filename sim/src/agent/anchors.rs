//! What anchored world steps wait for: per agent, when each lifecycle event
//! happened (connected, heartbeat, push received, push written, closed), noted
//! as it happens by the agents and by the server-side byte tap, so the driver
//! checks an anchor after every tick with a map lookup instead of a trace scan.
//!
//! `push_write` is read off the server's byte stream: after the HTTP 101 head,
//! frame by frame, a text frame whose payload starts with `{"type":"push"` is a
//! push. It counts once its header and the first 14 payload bytes have gone
//! out (enough to tell), and it is dated when its first byte went out; its end
//! is dated when its last byte went out. A stream torn by a second writer is
//! read as it comes, so after a torn frame the count is best effort (those runs
//! fail `wire.grammar` anyway).
//!
//! Agents' `await` steps wait on the same log: every noted event wakes
//! [`AnchorLog::notify`], and a waiting agent looks its anchor up again.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use crate::record::WriteSpan;
use crate::scenario::{AnchorEvent, Trigger};

/// One moment an anchor can wait for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Mark {
    Connected,
    Heartbeat,
    PushReceived,
    PushWriteBegin,
    PushWriteEnd,
    Closed,
}

impl Mark {
    /// The moment `trigger` waits for.
    pub fn of(trigger: &Trigger) -> Mark {
        let begins = matches!(trigger, Trigger::When(_));
        match trigger.anchor().event {
            AnchorEvent::Connected => Mark::Connected,
            AnchorEvent::Heartbeat => Mark::Heartbeat,
            AnchorEvent::PushReceived => Mark::PushReceived,
            AnchorEvent::PushWrite if begins => Mark::PushWriteBegin,
            AnchorEvent::PushWrite => Mark::PushWriteEnd,
            AnchorEvent::Closed => Mark::Closed,
        }
    }
}

/// One occurrence of an event: when it happened, and when the log learned of
/// it (later for a push write, which is recognised some bytes in).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Seen {
    pub at: Duration,
    pub known: Duration,
}

/// Every event's times, per agent, in the order they happened.
#[derive(Default)]
pub(crate) struct AnchorLog {
    seen: BTreeMap<String, BTreeMap<Mark, Vec<Seen>>>,
    scans: BTreeMap<u64, PushScan>,
    /// Woken (`notify_waiters`) on every event noted, from whichever host
    /// noted it: agents' `await` steps wait on it. Hosts run one after another
    /// on one thread, so a wake is only a task queued on the waiter's host.
    pub notify: Arc<Notify>,
}

impl AnchorLog {
    /// `agent`'s `mark` happened at `at`; the caller learned of it at `known`.
    pub fn note(&mut self, agent: &str, mark: Mark, at: Duration, known: Duration) {
        if !self.seen.contains_key(agent) {
            self.seen.insert(agent.to_owned(), BTreeMap::new());
        }
        if let Some(m) = self.seen.get_mut(agent) {
            m.entry(mark).or_default().push(Seen { at, known });
        }
        self.notify.notify_waiters();
    }

    /// How often `trigger`'s moment has happened, and when its `nth` did.
    pub fn progress(&self, trigger: &Trigger) -> (usize, Option<Duration>) {
        let (n, seen) = self.occurrence(trigger);
        (n, seen.map(|s| s.at))
    }

    /// How often `trigger`'s moment has happened, and its `nth` occurrence.
    pub fn occurrence(&self, trigger: &Trigger) -> (usize, Option<Seen>) {
        let a = trigger.anchor();
        let times = self
            .seen
            .get(&a.agent)
            .and_then(|m| m.get(&Mark::of(trigger)));
        let Some(times) = times else { return (0, None) };
        let nth = (a.nth as usize).checked_sub(1);
        (times.len(), nth.and_then(|n| times.get(n).copied()))
    }

    /// The server wrote more of connection `conn` (to `agent`): `written` is
    /// everything so far, `writes` who wrote what when.
    pub fn server_wrote(
        &mut self,
        conn: u64,
        agent: &str,
        written: &[u8],
        writes: &[WriteSpan],
        now: Duration,
    ) {
        let scan = self.scans.entry(conn).or_default();
        let mut found = Vec::new();
        scan.advance(written, writes, now, &mut found);
        for (mark, at) in found {
            self.note(agent, mark, at, now);
        }
    }
}

/// Where the server's frame stream of one connection has been read to.
#[derive(Default)]
struct PushScan {
    /// The 101 head is behind us; `next` is where the next frame starts.
    framing: bool,
    /// Not a stream of frames (no 101), or too torn to read.
    dead: bool,
    next: u64,
    /// A push frame begun and not yet complete: its end offset.
    open: Option<u64>,
}

const PUSH_PREFIX: &[u8] = br#"{"type":"push""#;

impl PushScan {
    fn advance(
        &mut self,
        w: &[u8],
        writes: &[WriteSpan],
        now: Duration,
        found: &mut Vec<(Mark, Duration)>,
    ) {
        if self.dead {
            return;
        }
        if !self.framing {
            match w.windows(4).position(|x| x == b"\r\n\r\n") {
                Some(end) if w.starts_with(b"HTTP/1.1 101") => {
                    self.framing = true;
                    self.next = end as u64 + 4;
                }
                Some(_) => self.dead = true,
                None if w.len() > 16 * 1024 => self.dead = true,
                None => return,
            }
        }
        loop {
            if let Some(end) = self.open {
                if (w.len() as u64) < end {
                    return;
                }
                found.push((Mark::PushWriteEnd, now));
                self.open = None;
            }
            let start = self.next as usize;
            let Some(head) = w.get(start..) else { return };
            let Some((hlen, len)) = header(head) else {
                return;
            };
            let payload = start + hlen;
            let end = payload as u64 + len;
            if head[0] & 0x0f == 0x1 && len >= PUSH_PREFIX.len() as u64 {
                let Some(p) = w.get(payload..payload + PUSH_PREFIX.len()) else {
                    return;
                };
                if p == PUSH_PREFIX {
                    found.push((Mark::PushWriteBegin, time_of(writes, start as u64, now)));
                    self.open = Some(end);
                }
            }
            self.next = end;
        }
    }
}

/// Header length and payload length of the frame at the start of `b`, once
/// its whole header is there.
fn header(b: &[u8]) -> Option<(usize, u64)> {
    let second = *b.get(1)?;
    let masked = if second & 0x80 != 0 { 4 } else { 0 };
    let (ext, len) = match second & 0x7f {
        126 => (2, u64::from(u16::from_be_bytes([*b.get(2)?, *b.get(3)?]))),
        127 => {
            let bytes: [u8; 8] = b.get(2..10)?.try_into().ok()?;
            (8, u64::from_be_bytes(bytes))
        }
        n => (0, u64::from(n)),
    };
    let hlen = 2 + ext + masked;
    (b.len() >= hlen).then_some((hlen, len))
}

/// When the byte at `offset` was written.
fn time_of(writes: &[WriteSpan], offset: u64, fallback: Duration) -> Duration {
    writes
        .iter()
        .rev()
        .find(|s| s.start <= offset && offset < s.end)
        .map_or(fallback, |s| s.at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: u64, end: u64, ms: u64) -> WriteSpan {
        WriteSpan {
            start,
            end,
            at: Duration::from_millis(ms),
            writer: "w".into(),
        }
    }

    #[test]
    fn a_push_frame_is_dated_by_its_first_byte_and_ends_with_its_last() {
        let mut w = b"HTTP/1.1 101 Switching Protocols\r\n\r\n".to_vec();
        let head = w.len() as u64;
        let payload = br#"{"type":"push","seq":1}"#;
        let mut frame = vec![0x81, payload.len() as u8];
        frame.extend_from_slice(payload);
        // A pong first (not a push), then the push in three pieces.
        w.extend_from_slice(&[0x8a, 0x00]);
        let mut writes = vec![span(0, head + 2, 1)];
        let mut log = AnchorLog::default();
        let t = |ms| Duration::from_millis(ms);
        log.server_wrote(1, "a1", &w, &writes, t(1));
        let cuts = [(0, 3, 10), (3, 20, 20), (20, frame.len(), 30)];
        let mut seen = Vec::new();
        for (from, to, ms) in cuts {
            let start = w.len() as u64;
            w.extend_from_slice(&frame[from..to]);
            writes.push(span(start, w.len() as u64, ms));
            log.server_wrote(1, "a1", &w, &writes, t(ms));
            let a = crate::scenario::Anchor {
                agent: "a1".into(),
                event: AnchorEvent::PushWrite,
                nth: 1,
            };
            seen.push((
                log.progress(&Trigger::When(a.clone())),
                log.progress(&Trigger::After(a)),
            ));
        }
        assert_eq!(
            seen,
            vec![
                ((0, None), (0, None)),
                ((1, Some(t(10))), (0, None)),
                ((1, Some(t(10))), (1, Some(t(30)))),
            ]
        );
    }
}
