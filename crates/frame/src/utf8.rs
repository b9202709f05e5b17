//! UTF-8 validation of a message that arrives in arbitrary pieces.
//!
//! A piece is checked in one pass, with an inline ASCII test when it is short and
//! `simdutf8::basic` (AVX2 or SSE4.2, picked at run time) otherwise; an incomplete
//! sequence at its end (at most 3 bytes) is carried over to the next piece. `basic`
//! only says yes or no, so a piece it rejects is checked again by `exact`, with
//! `simdutf8::compat`, which reports `valid_up_to` and `error_len` exactly as
//! `core::str::from_utf8` does: error offsets are the same whichever path ran.

use simdutf8::compat::Utf8Error;

/// Pieces up to this long are first tested for ASCII inline: most small frames are
/// ASCII, and this saves an out-of-line call per frame.
const SHORT: usize = 32;

/// Whether `bytes` is valid UTF-8, fast; no position on failure.
#[inline(always)]
fn is_valid(bytes: &[u8]) -> bool {
    (bytes.len() <= SHORT && is_ascii_short(bytes)) || simdutf8::basic::from_utf8(bytes).is_ok()
}

/// `core::str::from_utf8`, faster: the same verdict, `valid_up_to` and `error_len`.
#[inline]
fn validate(bytes: &[u8]) -> Result<(), Utf8Error> {
    if is_valid(bytes) {
        return Ok(());
    }
    exact(bytes)
}

#[cold]
#[inline(never)]
fn exact(bytes: &[u8]) -> Result<(), Utf8Error> {
    simdutf8::compat::from_utf8(bytes).map(drop)
}

/// Where the incomplete sequence at the end of `bytes` starts (`bytes.len()` if there is
/// none): the last non-continuation byte among the last three, when it is a lead byte
/// that needs more bytes than follow it.
#[inline(always)]
fn incomplete_tail(bytes: &[u8]) -> usize {
    let n = bytes.len();
    for back in 1..=n.min(3) {
        let b = bytes[n - back];
        if b & 0xC0 != 0x80 {
            return if b >= 0xC0 && sequence_len(b) > back {
                n - back
            } else {
                n
            };
        }
    }
    n
}

/// Whether `bytes` (at most [`SHORT`] long) is all ASCII: eight bytes at a time, with
/// the last word overlapping the one before it instead of a byte loop.
#[inline(always)]
fn is_ascii_short(bytes: &[u8]) -> bool {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let word = |i: usize| u64::from_ne_bytes(bytes[i..i + 8].try_into().unwrap());
    let n = bytes.len();
    if n < 8 {
        return bytes.iter().fold(0, |acc, &b| acc | b) < 0x80;
    }
    let mut acc = word(n - 8);
    let mut i = 0;
    while i + 8 < n {
        acc |= word(i);
        i += 8;
    }
    acc & HIGH == 0
}

/// Validation state between pieces of one message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Utf8 {
    carry: [u8; 4],
    carry_len: u8,
}

impl Utf8 {
    /// Whether the text so far ends on a character boundary.
    #[inline(always)]
    pub(crate) fn is_complete(&self) -> bool {
        self.carry_len == 0
    }

    /// The bytes of the unfinished sequence at the end of the text so far.
    pub(crate) fn pending(&self) -> &[u8] {
        &self.carry[..self.carry_len as usize]
    }

    #[inline(always)]
    pub(crate) fn reset(&mut self) {
        self.carry_len = 0;
    }

    /// Validates the next piece; on failure returns the index in `piece` of the first
    /// byte that cannot continue valid UTF-8.
    #[inline(always)]
    pub(crate) fn feed(&mut self, piece: &[u8]) -> Result<(), usize> {
        if self.carry_len == 0 && piece.len() <= SHORT && is_ascii_short(piece) {
            return Ok(());
        }
        self.feed_any(piece)
    }

    /// [`feed`](Self::feed) for a piece that is not short ASCII after a boundary.
    #[inline(never)]
    fn feed_any(&mut self, piece: &[u8]) -> Result<(), usize> {
        let mut rest = piece;
        let mut skipped = 0;
        if self.carry_len != 0 {
            skipped = self.complete(piece)?;
            if self.carry_len != 0 {
                return Ok(());
            }
            rest = &piece[skipped..];
        }
        if rest.len() <= SHORT && is_ascii_short(rest) {
            return Ok(());
        }
        let cut = incomplete_tail(rest);
        let (body, tail) = rest.split_at(cut);
        if is_valid(body) && (tail.is_empty() || is_valid_prefix(tail)) {
            self.carry[..tail.len()].copy_from_slice(tail);
            self.carry_len = tail.len() as u8;
            return Ok(());
        }
        // Invalid somewhere: the whole piece again, for std's exact answer.
        match exact(rest) {
            Ok(()) => Ok(()),
            Err(e) => match e.error_len() {
                Some(n) => Err(skipped + first_bad(rest, e.valid_up_to(), n)),
                None => {
                    let tail = &rest[e.valid_up_to()..];
                    self.carry[..tail.len()].copy_from_slice(tail);
                    self.carry_len = tail.len() as u8;
                    Ok(())
                }
            },
        }
    }

    /// Feeds bytes from `piece` into the carried sequence until it is complete or the
    /// piece runs out; returns how many bytes of `piece` it used.
    #[cold]
    fn complete(&mut self, piece: &[u8]) -> Result<usize, usize> {
        let have = self.carry_len as usize;
        let want = sequence_len(self.carry[0]).saturating_sub(have);
        let take = want.min(piece.len());
        let mut seq = [0u8; 4];
        seq[..have].copy_from_slice(&self.carry[..have]);
        seq[have..have + take].copy_from_slice(&piece[..take]);
        let seq = &seq[..have + take];
        match core::str::from_utf8(seq) {
            Ok(_) => {
                self.carry_len = 0;
                Ok(take)
            }
            // The carried bytes were a valid prefix, so the bad byte is a new one.
            Err(e) => match e.error_len() {
                Some(n) => Err(first_bad(seq, e.valid_up_to(), n).saturating_sub(have)),
                None => {
                    self.carry[..seq.len()].copy_from_slice(seq);
                    self.carry_len = seq.len() as u8;
                    Ok(take)
                }
            },
        }
    }
}

/// The first byte that makes `bytes[valid..]` invalid, given `from_utf8`'s
/// `error_len` `n`: the lead byte itself when it can never start a sequence,
/// otherwise the byte right after the `n`-byte valid prefix of a sequence.
#[inline]
pub(crate) fn first_bad(bytes: &[u8], valid: usize, n: usize) -> usize {
    match bytes.get(valid) {
        Some(0xC2..=0xF4) => valid + n,
        _ => valid,
    }
}

/// Whether `tail`, shorter than the sequence its lead byte starts, could still become
/// a valid sequence.
#[cold]
fn is_valid_prefix(tail: &[u8]) -> bool {
    matches!(core::str::from_utf8(tail), Err(e) if e.error_len().is_none())
}

#[inline(always)]
fn sequence_len(lead: u8) -> usize {
    match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

/// Where validating `bytes` in one go fails: `Err(Some(i))` at byte `i`,
/// `Err(None)` when only the end is an incomplete sequence.
pub(crate) fn check_whole(bytes: &[u8]) -> Result<(), Option<usize>> {
    match validate(bytes) {
        Ok(()) => Ok(()),
        Err(e) => Err(e.error_len().map(|n| first_bad(bytes, e.valid_up_to(), n))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunked(bytes: &[u8], size: usize) -> Result<bool, usize> {
        let mut v = Utf8::default();
        let mut at = 0;
        for piece in bytes.chunks(size.max(1)) {
            v.feed(piece).map_err(|i| at + i)?;
            at += piece.len();
        }
        Ok(v.is_complete())
    }

    #[test]
    fn first_bad_byte_is_the_one_that_breaks_the_sequence() {
        let cases: &[(&[u8], usize)] = &[
            (b"ab\xC0", 2),
            (b"ab\xE2\x82\x41", 4),
            (b"\xED\xA0\x80", 1),
            (b"\xF4\x90\x80\x80", 1),
            (b"x\xF0\x90\x80\x41", 4),
            (b"\x80", 0),
            (b"\xFF", 0),
            (b"\xE0\x80", 1),
        ];
        for &(bytes, bad) in cases {
            assert_eq!(check_whole(bytes), Err(Some(bad)), "{bytes:x?}");
            for size in 1..=bytes.len() {
                assert_eq!(
                    chunked(bytes, size),
                    Err(bad),
                    "{bytes:x?} in pieces of {size}"
                );
            }
        }
    }

    /// `validate` must answer exactly like std, on both sides of the short-piece
    /// ASCII test and of simdutf8's 64-byte SIMD threshold.
    #[test]
    fn validate_reports_what_std_reports() {
        let inserts: &[&[u8]] = &[
            b"\x80",
            b"\xC0",
            b"\xFF",
            b"\xE2\x82",
            b"\xE2\x82\xAC",
            b"\xF0\x9D\x84\x9E",
            b"\xED\xA0\x80",
            b"\xC3",
        ];
        for len in 0..=140 {
            let base = vec![b'a'; len];
            assert!(validate(&base).is_ok());
            for at in 0..=len {
                for ins in inserts {
                    let mut bytes = base.clone();
                    bytes.splice(at..at, ins.iter().copied());
                    let want =
                        core::str::from_utf8(&bytes).map_err(|e| (e.valid_up_to(), e.error_len()));
                    let got = validate(&bytes).map_err(|e| (e.valid_up_to(), e.error_len()));
                    assert_eq!(got.is_ok(), want.is_ok(), "{bytes:x?}");
                    assert_eq!(got.err(), want.err(), "{bytes:x?}");
                }
            }
        }
    }

    /// Pieces of every size over text with 1- to 4-byte characters, with and without
    /// a bad sequence: the same answer as checking the whole text in one go.
    #[test]
    fn feeding_in_pieces_matches_checking_whole() {
        let text = "ab€ 𝄞é ".repeat(12);
        let inserts: &[&[u8]] = &[b"", b"\x80", b"\xE2\x82", b"\xF0\x9D\x84", b"\xC3"];
        for at in (0..=text.len()).step_by(7) {
            for ins in inserts {
                let mut bytes = text.as_bytes().to_vec();
                bytes.splice(at..at, ins.iter().copied());
                let whole = check_whole(&bytes);
                for size in [1, 2, 3, 5, 16, 33, 64, 65, 100, bytes.len()] {
                    let want = match whole {
                        Ok(()) => Ok(true),
                        Err(None) => Ok(false),
                        Err(Some(i)) => Err(i),
                    };
                    assert_eq!(
                        chunked(&bytes, size),
                        want,
                        "{bytes:x?} in pieces of {size}"
                    );
                }
            }
        }
    }

    #[test]
    fn sequences_split_anywhere_are_valid() {
        let text = "a€𝄞é z€".as_bytes();
        for size in 1..=text.len() {
            assert_eq!(chunked(text, size), Ok(true));
        }
        assert_eq!(chunked(&text[..text.len() - 1], 1), Ok(false));
    }
}
