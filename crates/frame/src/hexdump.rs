//! Annotated hexdump: 16 bytes a row, a caret line under each marked byte.
//!
//! ```text
//!        0  81 01 61 47 80 7b 22 74  79 78                   |..aG.{"tyx      |
//!           ^ 0: frame #0: FIN Text unmasked len=1
//!                    ^ 3: first bad byte (rsv-bits)
//! ```
//!
//! Row labels and mark offsets are decimal stream offsets, like every offset in a
//! [`Violation`](crate::Violation) report.

use std::ops::Range;

/// A note attached to one byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    /// Stream offset of the byte.
    pub offset: u64,
    /// What to say about it.
    pub text: String,
}

impl Mark {
    /// A mark at `offset`.
    pub fn new(offset: u64, text: impl Into<String>) -> Self {
        Mark {
            offset,
            text: text.into(),
        }
    }
}

const ROW: u64 = 16;

/// Renders the bytes of `window` (stream offsets) from `stream`, whose first byte sits
/// at stream offset `base`. Rows are aligned to 16; offsets outside `window` or
/// `stream` show blank. Each mark inside the shown rows gets a caret line under its
/// byte (a mark just past the data, e.g. "stream ends here", sits on a blank cell);
/// marks outside are omitted. Marks at the same row are listed in offset order.
pub fn render(stream: &[u8], base: u64, window: Range<u64>, marks: &[Mark]) -> String {
    let end = window.end.max(window.start.saturating_add(1));
    let first = window.start - window.start % ROW;
    let last = end.div_ceil(ROW).saturating_mul(ROW);
    let mut sorted: Vec<&Mark> = marks
        .iter()
        .filter(|m| (first..last).contains(&m.offset))
        .collect();
    sorted.sort_by_key(|m| m.offset);
    let byte_at = |off: u64| -> Option<u8> {
        if !window.contains(&off) {
            return None;
        }
        let i = usize::try_from(off.checked_sub(base)?).ok()?;
        stream.get(i).copied()
    };
    let mut out = String::new();
    let mut row = first;
    while row < last {
        let mut hex = String::new();
        let mut ascii = String::new();
        for col in 0..ROW {
            if col == 8 {
                hex.push(' ');
            }
            match byte_at(row.saturating_add(col)) {
                Some(b) => {
                    hex.push_str(&format!("{b:02x} "));
                    ascii.push(if (0x20..0x7f).contains(&b) {
                        b as char
                    } else {
                        '.'
                    });
                }
                None => {
                    hex.push_str("   ");
                    ascii.push(' ');
                }
            }
        }
        out.push_str(&format!("{row:>8}  {hex}|{ascii}|\n"));
        for m in sorted
            .iter()
            .filter(|m| (row..row + ROW).contains(&m.offset))
        {
            let col = (m.offset - row) as usize;
            let pad = 10 + col * 3 + usize::from(col >= 8);
            out.push_str(&format!("{:pad$}^ {}: {}\n", "", m.offset, m.text));
        }
        row = match row.checked_add(ROW) {
            Some(next) => next,
            None => break,
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carets_sit_under_their_bytes() {
        let stream: Vec<u8> = (0..20u8).map(|i| b'a' + i).collect();
        let out = render(
            &stream,
            100,
            100..120,
            &[Mark::new(100, "first"), Mark::new(113, "x")],
        );
        let want = concat!(
            "      96              61 62 63 64  65 66 67 68 69 6a 6b 6c |    abcdefghijkl|\n",
            "                      ^ 100: first\n",
            "     112  6d 6e 6f 70 71 72 73 74                          |mnopqrst        |\n",
            "             ^ 113: x\n",
        );
        assert_eq!(out, want);
    }
}
