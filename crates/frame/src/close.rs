//! The Close frame: which codes may travel on the wire, and its payload gathered
//! across chunks (at most 125 bytes, so it is copied).

use crate::utf8;

/// Whether `code` may appear in a Close frame (RFC 6455 section 7.4 and the IANA
/// registry): 1000-1003, 1007-1014, 3000-4999. 1004-1006 and 1015 are reserved for
/// local use, everything else below 3000 is unassigned, 5000 and up is out of range.
pub fn is_valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// Why a code is not allowed, for `Violation::detail`.
pub(crate) fn why_invalid(code: u16) -> &'static str {
    match code {
        1004 => "is reserved",
        1005 | 1006 | 1015 => "is reserved for local use and must not be sent",
        0..=999 => "is below 1000 (never used)",
        5000.. => "is above 4999 (out of range)",
        _ => "is not assigned",
    }
}

/// Failure inside a Close payload: which rule and the index of the bad payload byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CloseFault {
    Code(u16),
    Reason(usize),
}

/// The Close payload received so far (already unmasked).
#[derive(Clone, Debug)]
pub(crate) struct ClosePayload {
    buf: [u8; 125],
    len: u8,
}

impl Default for ClosePayload {
    fn default() -> Self {
        ClosePayload {
            buf: [0; 125],
            len: 0,
        }
    }
}

impl ClosePayload {
    pub(crate) fn reset(&mut self) {
        self.len = 0;
    }

    /// Room for the next `n` bytes; the header check guarantees at most 125 in all.
    pub(crate) fn space(&mut self, n: usize) -> &mut [u8] {
        let start = (self.len as usize).min(125);
        let end = (start + n).min(125);
        &mut self.buf[start..end]
    }

    /// Records `n` bytes written through [`space`](Self::space) and checks what can be
    /// checked so far. Incremental, so the first bad byte is found wherever chunks end.
    pub(crate) fn advance(&mut self, n: usize) -> Result<(), CloseFault> {
        let before = self.len as usize;
        self.len = (before + n).min(125) as u8;
        let now = self.len as usize;
        if before < 2 && now >= 2 {
            let code = u16::from_be_bytes([self.buf[0], self.buf[1]]);
            if !is_valid_close_code(code) {
                return Err(CloseFault::Code(code));
            }
        }
        if now > 2 {
            if let Err(Some(i)) = utf8::check_whole(&self.buf[2..now]) {
                return Err(CloseFault::Reason(2 + i));
            }
        }
        Ok(())
    }

    /// At the end of the frame: a reason that stops inside a UTF-8 sequence fails at
    /// the frame's end (returned as the payload length).
    pub(crate) fn finish(&self) -> Result<(Option<u16>, String), CloseFault> {
        let len = self.len as usize;
        if len < 2 {
            return Ok((None, String::new()));
        }
        let code = u16::from_be_bytes([self.buf[0], self.buf[1]]);
        match std::str::from_utf8(&self.buf[2..len]) {
            Ok(reason) => Ok((Some(code), reason.to_owned())),
            Err(_) => Err(CloseFault::Reason(len)),
        }
    }
}

impl ClosePayload {
    /// Payload byte `i` (unmasked), 0 if not received.
    pub(crate) fn byte(&self, i: usize) -> u8 {
        if i < self.len as usize {
            self.buf[i]
        } else {
            0
        }
    }
}
