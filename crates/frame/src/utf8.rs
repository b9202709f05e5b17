//! UTF-8 validation of a message that arrives in arbitrary pieces.
//!
//! Whole pieces go through `core::str::from_utf8` (vectorised in std); only an
//! incomplete sequence at the end of a piece (at most 3 bytes) is carried over.

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
    #[inline]
    pub(crate) fn feed(&mut self, piece: &[u8]) -> Result<(), usize> {
        let mut rest = piece;
        let mut skipped = 0;
        if self.carry_len != 0 {
            skipped = self.complete(piece)?;
            if self.carry_len != 0 {
                return Ok(());
            }
            rest = &piece[skipped..];
        }
        match core::str::from_utf8(rest) {
            Ok(_) => Ok(()),
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
    match core::str::from_utf8(bytes) {
        Ok(_) => Ok(()),
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

    #[test]
    fn sequences_split_anywhere_are_valid() {
        let text = "a€𝄞é z€".as_bytes();
        for size in 1..=text.len() {
            assert_eq!(chunked(text, size), Ok(true));
        }
        assert_eq!(chunked(&text[..text.len() - 1], 1), Ok(false));
    }
}
