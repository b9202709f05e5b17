//! Building a `Violation` when a step fails. All cold: a clean stream never gets here.

use super::{Checker, Stop};
use crate::close::{self, CloseFault};
use crate::header::{self, FrameHeader};
use crate::judge::{self, Problems};
use crate::{sync, Rule, Violation};

impl Checker {
    #[cold]
    #[inline(never)]
    fn fail(&mut self, draft: Draft) -> Stop {
        let rule = draft
            .problems
            .first()
            .copied()
            .unwrap_or(Rule::TruncatedFrame);
        let violation = Violation {
            rule,
            problems: draft.problems,
            direction: self.config.direction,
            frame_index: draft.frame_index,
            frame_offset: draft.frame_offset,
            byte_offset: draft.byte_offset,
            header: draft.header,
            last_good: self.recent.last().copied(),
            recent: self.recent.to_vec(),
            sync_lost_hint: draft.hint,
            detail: draft.detail,
        };
        self.failed = Some(Box::new(violation));
        Stop
    }

    #[cold]
    pub(super) fn header_fault(
        &mut self,
        h: FrameHeader,
        head: &[u8],
        p: Problems,
        cut: bool,
    ) -> Stop {
        let mut problems: Vec<Rule> = p.rules().collect();
        let mut detail = judge::detail(&h, p, &self.cx);
        if cut {
            problems.push(Rule::TruncatedFrame);
            detail.push_str(&format!(
                "; the stream ended {} byte(s) into this header",
                head.len()
            ));
        }
        let hint = (p.0 & judge::SYNC_SUSPECT != 0)
            .then(|| sync::header_hint(head, h.offset, self.recent.last(), self.config.direction));
        let primary = problems.first().copied().unwrap_or(Rule::TruncatedFrame);
        self.fail(Draft {
            problems,
            frame_index: h.index,
            frame_offset: h.offset,
            byte_offset: h.offset + judge::byte_in_header(primary),
            header: Some(h),
            detail,
            hint,
        })
    }

    #[cold]
    pub(super) fn data_after_close(&mut self, first: u8) -> Stop {
        let (index, offset) = self
            .close
            .as_ref()
            .map_or((0, 0), |c| (c.frame_index, c.offset));
        let detail = format!(
            "byte 0x{first:02X} follows the Close frame (#{index} @ {offset}), which ended at {}",
            self.pos
        );
        self.fail(Draft {
            problems: vec![Rule::DataAfterClose],
            frame_index: self.recent.count(),
            frame_offset: self.pos,
            byte_offset: self.pos,
            header: None,
            detail,
            hint: None,
        })
    }

    #[cold]
    pub(super) fn utf8_fault(&mut self, piece: &[u8], at: u64, i: usize) -> Stop {
        let key = self.cur.mask.unwrap_or([0; 4]);
        let byte = piece
            .get(i)
            .map_or(0, |b| b ^ key[((at + i as u64) % 4) as usize]);
        let detail = format!(
            "text byte 0x{byte:02X} (payload byte {} of frame #{}) cannot continue valid UTF-8",
            at + i as u64,
            self.cur.index
        );
        let byte_offset = self.pos + i as u64;
        self.payload_fault(Rule::InvalidUtf8, byte_offset, detail)
    }

    #[cold]
    pub(super) fn utf8_unfinished(&mut self) -> Stop {
        let pending: Vec<String> = self
            .utf8
            .pending()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        let detail = format!(
            "the text message ends inside a UTF-8 sequence (pending bytes {})",
            pending.join(" ")
        );
        self.payload_fault(Rule::InvalidUtf8, self.cur.end(), detail)
    }

    #[cold]
    pub(super) fn close_fault(&mut self, fault: CloseFault) -> Stop {
        let start = self.cur.payload_start();
        match fault {
            CloseFault::Code(code) => {
                let detail = format!("close code {code} {}", close::why_invalid(code));
                self.payload_fault(Rule::CloseCode, start, detail)
            }
            CloseFault::Reason(i) if i as u64 >= self.cur.payload_len => self.payload_fault(
                Rule::CloseReasonUtf8,
                self.cur.end(),
                "the close reason ends inside a UTF-8 sequence".into(),
            ),
            CloseFault::Reason(i) => {
                let byte = self.close_payload.byte(i);
                let detail = format!(
                    "close reason byte 0x{byte:02X} (payload byte {i}) cannot continue valid UTF-8"
                );
                self.payload_fault(Rule::CloseReasonUtf8, start + i as u64, detail)
            }
        }
    }

    fn payload_fault(&mut self, rule: Rule, byte_offset: u64, detail: String) -> Stop {
        let h = self.cur;
        self.fail(Draft {
            problems: vec![rule],
            frame_index: h.index,
            frame_offset: h.offset,
            byte_offset,
            header: Some(h),
            detail,
            hint: None,
        })
    }

    #[cold]
    pub(super) fn truncated(&mut self) -> Stop {
        let index = self.recent.count();
        if self.head_len == 0 {
            let h = self.cur;
            let detail = format!(
                "the stream ended {} of {} payload bytes into frame #{}: {} byte(s) missing",
                h.payload_len - self.remaining,
                h.payload_len,
                h.index,
                self.remaining
            );
            return self.fail(Draft {
                problems: vec![Rule::TruncatedFrame],
                frame_index: h.index,
                frame_offset: h.offset,
                byte_offset: self.pos,
                header: Some(h),
                detail,
                hint: None,
            });
        }
        let head = self.head;
        let head = &head[..self.head_len as usize];
        let start = self.pos - head.len() as u64;
        let (h, len_known) = header::decode_partial(head, index, start);
        let knowable = match (head.len(), len_known) {
            (_, true) => u16::MAX,
            (1, _) => judge::BYTE0,
            _ => judge::BYTE01,
        };
        let len7 = head.get(1).map_or(0, |b| b & 0x7F);
        let p = Problems(judge::problems(&h, len7, &self.cx).0 & knowable);
        if !p.is_empty() {
            return self.header_fault(h, head, p, true);
        }
        let missing = match head.get(1) {
            Some(&b1) if len_known => format!(
                "{} byte(s) missing",
                (header::header_len(b1) - head.len()) as u64 + h.payload_len
            ),
            Some(&b1) => format!(
                "at least {} byte(s) missing",
                header::header_len(b1) - head.len()
            ),
            None => "at least 1 byte missing".into(),
        };
        self.fail(Draft {
            problems: vec![Rule::TruncatedFrame],
            frame_index: index,
            frame_offset: start,
            byte_offset: self.pos,
            header: None,
            detail: format!(
                "the stream ended {} byte(s) into the header of frame #{index}: {missing}",
                head.len()
            ),
            hint: None,
        })
    }
}

/// The parts of a violation the failing step knows; `fail` adds the history.
struct Draft {
    problems: Vec<Rule>,
    frame_index: u64,
    frame_offset: u64,
    byte_offset: u64,
    header: Option<FrameHeader>,
    detail: String,
    hint: Option<String>,
}
