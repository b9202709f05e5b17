//! The JSON heartbeat: a text message that is exactly one JSON object whose
//! `"type"` is `"heartbeat"`, e.g. `{"type":"heartbeat","seq":7}`. The reply is
//! `{"type":"heartbeat_ack","seq":7}`; `seq` is echoed when it is an unsigned
//! integer (below 2^64) and left out otherwise. Other members are allowed and
//! ignored; a repeated `"type"` or `"seq"` makes it not a heartbeat.
//!
//! A strict little JSON reader instead of serde_json: the hub needs two fields of
//! one flat object, and this keeps the dependency tree to what the hub uses.

/// A recognised heartbeat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Heartbeat {
    pub seq: Option<u64>,
}

impl Heartbeat {
    pub fn ack(self) -> String {
        match self.seq {
            Some(n) => format!(r#"{{"type":"heartbeat_ack","seq":{n}}}"#),
            None => r#"{"type":"heartbeat_ack"}"#.to_owned(),
        }
    }
}

/// `Some` if `text` is a heartbeat message.
pub(crate) fn parse(text: &str) -> Option<Heartbeat> {
    let mut p = Reader {
        s: text.as_bytes(),
        i: 0,
    };
    p.ws();
    p.eat(b'{')?;
    let mut kind: Option<Value> = None;
    let mut seq: Option<Value> = None;
    p.ws();
    if p.peek() == Some(b'}') {
        p.i += 1;
    } else {
        loop {
            p.ws();
            let key = p.string()?;
            p.ws();
            p.eat(b':')?;
            p.ws();
            let value = p.value(0)?;
            let slot = match key.as_str() {
                "type" => Some(&mut kind),
                "seq" => Some(&mut seq),
                _ => None,
            };
            if let Some(slot) = slot {
                if slot.replace(value).is_some() {
                    return None;
                }
            }
            p.ws();
            match p.next()? {
                b',' => continue,
                b'}' => break,
                _ => return None,
            }
        }
    }
    p.ws();
    if p.i != p.s.len() {
        return None;
    }
    match kind {
        Some(Value::Str(k)) if k == "heartbeat" => {}
        _ => return None,
    }
    let seq = match seq {
        Some(Value::UInt(n)) => Some(n),
        _ => None,
    };
    Some(Heartbeat { seq })
}

enum Value {
    Str(String),
    UInt(u64),
    Other,
}

/// Nesting allowed inside ignored members; deeper input is not a heartbeat.
const MAX_DEPTH: usize = 32;

struct Reader<'a> {
    s: &'a [u8],
    i: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.i += 1;
        Some(b)
    }

    fn eat(&mut self, want: u8) -> Option<()> {
        (self.next()? == want).then_some(())
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<Value> {
        let end = self.i.checked_add(word.len())?;
        (self.s.get(self.i..end)? == word).then(|| {
            self.i = end;
            Value::Other
        })
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.string().map(Value::Str),
            b'{' => self.container(b'}', true, depth),
            b'[' => self.container(b']', false, depth),
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// Skips an object or array, checking its grammar.
    fn container(&mut self, close: u8, keyed: bool, depth: usize) -> Option<Value> {
        self.i += 1;
        self.ws();
        if self.peek() == Some(close) {
            self.i += 1;
            return Some(Value::Other);
        }
        loop {
            self.ws();
            if keyed {
                self.string()?;
                self.ws();
                self.eat(b':')?;
                self.ws();
            }
            self.value(depth + 1)?;
            self.ws();
            match self.next()? {
                b',' => continue,
                b if b == close => return Some(Value::Other),
                _ => return None,
            }
        }
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.i;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.i += 1;
        }
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        let mut integer = !negative;
        if self.peek() == Some(b'.') {
            self.i += 1;
            self.digit()?;
            self.digits();
            integer = false;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            self.digit()?;
            self.digits();
            integer = false;
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).ok()?;
        Some(match integer.then(|| text.parse::<u64>().ok()).flatten() {
            Some(n) => Value::UInt(n),
            None => Value::Other,
        })
    }

    fn digit(&mut self) -> Option<()> {
        self.next()?.is_ascii_digit().then_some(())
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
    }

    fn string(&mut self) -> Option<String> {
        self.eat(b'"')?;
        let mut out = String::new();
        loop {
            // The input came from a &str, so copying runs of plain bytes keeps UTF-8.
            let run = self.i;
            while self
                .peek()
                .is_some_and(|b| b != b'"' && b != b'\\' && b >= 0x20)
            {
                self.i += 1;
            }
            out.push_str(std::str::from_utf8(&self.s[run..self.i]).ok()?);
            match self.next()? {
                b'"' => return Some(out),
                b'\\' => {
                    let c = match self.next()? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return None,
                    };
                    out.push(c);
                }
                _ => return None, // a raw control character
            }
        }
    }

    /// After `\u`: four hex digits, or a surrogate pair written as two escapes.
    fn unicode_escape(&mut self) -> Option<char> {
        let hi = self.hex4()?;
        if (0xD800..0xDC00).contains(&hi) {
            self.eat(b'\\')?;
            self.eat(b'u')?;
            let lo = self.hex4()?;
            if !(0xDC00..0xE000).contains(&lo) {
                return None;
            }
            char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
        } else {
            char::from_u32(hi)
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let end = self.i.checked_add(4)?;
        let hex = std::str::from_utf8(self.s.get(self.i..end)?).ok()?;
        let n = u32::from_str_radix(hex, 16).ok()?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        self.i = end;
        Some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(text: &str) -> Option<Option<u64>> {
        parse(text).map(|h| h.seq)
    }

    #[test]
    fn the_documented_heartbeat_is_recognised_and_acked_with_its_seq() {
        let hb = parse(r#"{"type":"heartbeat","seq":42}"#).unwrap();
        assert_eq!(hb.ack(), r#"{"type":"heartbeat_ack","seq":42}"#);
    }

    #[test]
    fn whitespace_order_and_extra_members_are_allowed() {
        let text = " {\n \"seq\" : 7 , \"agent\": {\"v\": [1, 2.5e3, null, true]}, \"type\":\"heartbeat\" } ";
        assert_eq!(seq(text), Some(Some(7)));
        assert_eq!(seq(r#"{"type":"heart\u0062eat"}"#), Some(None));
    }

    #[test]
    fn a_seq_that_is_not_an_unsigned_integer_is_dropped_from_the_ack() {
        assert_eq!(seq(r#"{"type":"heartbeat","seq":-1}"#), Some(None));
        assert_eq!(seq(r#"{"type":"heartbeat","seq":1.5}"#), Some(None));
        assert_eq!(seq(r#"{"type":"heartbeat","seq":"7"}"#), Some(None));
        assert_eq!(
            seq(r#"{"type":"heartbeat","seq":18446744073709551616}"#),
            Some(None)
        );
        assert_eq!(
            parse(r#"{"type":"heartbeat","seq":-1}"#).unwrap().ack(),
            r#"{"type":"heartbeat_ack"}"#
        );
    }

    #[test]
    fn anything_else_is_not_a_heartbeat() {
        for text in [
            "",
            "heartbeat",
            "{}",
            "[]",
            r#"{"type":"heartbeat_ack","seq":1}"#,
            r#"{"type":"heartbeat","seq":1"#,
            r#"{"type":"heartbeat"} x"#,
            r#"{"type":"heartbeat",}"#,
            r#"{"type":"heartbeat","type":"heartbeat"}"#,
            r#"{"type":"heartbeat","seq":01}"#,
            r#"{"type":"heartbeat","x":tru}"#,
            r#"{"type":"heart\q"}"#,
            r#"{"type":"\ud800"}"#,
            "{\"type\":\"heart\nbeat\"}",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = format!(
            r#"{{"type":"heartbeat","x":{}{}}}"#,
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        assert_eq!(parse(&deep), None);
    }
}
