//! Hex text as input: what `xxd -p`, Wireshark's "copy as hex stream" and a
//! hand-written test case look like.

use std::fmt;

/// Where hex text stopped making sense.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HexError {
    pub line: usize,
    pub col: usize,
    pub what: String,
}

impl fmt::Display for HexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.what)
    }
}

/// Decodes hex digits, ignoring whitespace, `0x` prefixes, `:`/`,` separators
/// and `#` comments to the end of a line. A byte's two digits must be adjacent,
/// so a lost digit is an error rather than a silent shift of every later byte.
pub fn decode(text: &str) -> Result<Vec<u8>, HexError> {
    let mut out = Vec::with_capacity(text.len() / 2);
    for (line_no, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("");
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        let mut i = 0;
        while i < chars.len() {
            let (at, c) = chars[i];
            let col = line[..at].chars().count() + 1;
            let err = |what: String| HexError {
                line: line_no + 1,
                col,
                what,
            };
            if c.is_whitespace() || c == ':' || c == ',' {
                i += 1;
                continue;
            }
            if c == '0' && matches!(chars.get(i + 1), Some((_, 'x' | 'X'))) {
                i += 2;
                continue;
            }
            let hi = c
                .to_digit(16)
                .ok_or_else(|| err(format!("expected a hex digit, found {c:?}")))?;
            let lo = match chars.get(i + 1) {
                Some((_, d)) => d.to_digit(16).ok_or_else(|| {
                    err(format!(
                        "byte starting with {c:?} needs a second hex digit, found {d:?}"
                    ))
                })?,
                None => {
                    return Err(err(format!(
                        "byte starting with {c:?} needs a second hex digit"
                    )))
                }
            };
            out.push((hi * 16 + lo) as u8);
            i += 2;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_common_hex_dump_spellings() {
        assert_eq!(decode("81 05 48656c6c6f").unwrap(), b"\x81\x05Hello");
        assert_eq!(
            decode("0x81,0x00 # a ping\n8a:00").unwrap(),
            [0x81, 0, 0x8a, 0]
        );
    }

    #[test]
    fn a_lost_digit_is_reported_with_line_and_column() {
        let err = decode("8100\n81 0 05").unwrap_err();
        assert_eq!((err.line, err.col), (2, 4));
        assert!(err.what.contains("second hex digit"), "{err}");
    }

    #[test]
    fn non_hex_text_is_reported() {
        let err = decode("81 zz").unwrap_err();
        assert_eq!((err.line, err.col), (1, 4));
    }
}
