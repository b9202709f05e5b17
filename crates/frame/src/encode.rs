//! Writers for correct, minimal frames: the hub's writer, the simulation's agents,
//! tests and benches use them.

use crate::mask;

/// Appends one frame: a minimal-length header, the masking key if any, and `payload`
/// (masked with the key if given). `opcode` is taken from its low 4 bits; RSV bits are
/// never set. Nothing is checked: a caller may write a control frame over 125 bytes
/// to test a reader.
pub fn frame(out: &mut Vec<u8>, fin: bool, opcode: u8, mask: Option<[u8; 4]>, payload: &[u8]) {
    header(out, fin, opcode, mask, payload.len() as u64);
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(key) = mask {
        mask::apply(&mut out[start..], key, 0);
    }
}

/// Appends just a minimal-length header (and masking key) for a `payload_len`-byte
/// payload. Lengths of 2^63 and above cannot be sent legally and are written as given.
pub fn header(out: &mut Vec<u8>, fin: bool, opcode: u8, mask: Option<[u8; 4]>, payload_len: u64) {
    let b0 = if fin { 0x80 } else { 0 } | (opcode & 0x0F);
    let m = if mask.is_some() { 0x80 } else { 0 };
    out.push(b0);
    match payload_len {
        0..=125 => out.push(m | payload_len as u8),
        126..=0xFFFF => {
            out.push(m | 126);
            out.extend_from_slice(&(payload_len as u16).to_be_bytes());
        }
        _ => {
            out.push(m | 127);
            out.extend_from_slice(&payload_len.to_be_bytes());
        }
    }
    if let Some(key) = mask {
        out.extend_from_slice(&key);
    }
}

/// Masks (or unmasks) `payload` in place with `key`, `at` being the position of its
/// first byte within the frame's payload.
pub fn apply_mask(payload: &mut [u8], key: [u8; 4], at: u64) {
    mask::apply(payload, key, at);
}

/// A Close payload: the code big-endian, then the reason. The reason is cut at a
/// character boundary to 123 bytes so the Close frame stays within 125.
pub fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut cut = reason.len().min(123);
    while !reason.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut out = Vec::with_capacity(2 + cut);
    out.extend_from_slice(&code.to_be_bytes());
    out.extend_from_slice(&reason.as_bytes()[..cut]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_use_the_shortest_form() {
        for (len, header_len) in [(0u64, 2), (125, 2), (126, 4), (65535, 4), (65536, 10)] {
            let mut out = Vec::new();
            header(&mut out, true, 2, None, len);
            assert_eq!(out.len(), header_len, "len {len}");
            let mut masked = Vec::new();
            header(&mut masked, true, 2, Some([1, 2, 3, 4]), len);
            assert_eq!(masked.len(), header_len + 4, "masked len {len}");
        }
    }

    #[test]
    fn masked_frames_carry_the_key_and_masked_payload() {
        let mut out = Vec::new();
        frame(&mut out, true, 1, Some([1, 2, 3, 4]), b"abcde");
        assert_eq!(
            out,
            [
                0x81,
                0x85,
                1,
                2,
                3,
                4,
                b'a' ^ 1,
                b'b' ^ 2,
                b'c' ^ 3,
                b'd' ^ 4,
                b'e' ^ 1
            ]
        );
    }

    #[test]
    fn close_reason_is_cut_at_a_char_boundary() {
        let long = "é".repeat(100);
        let p = close_payload(1000, &long);
        assert_eq!(p.len(), 2 + 122);
        assert!(std::str::from_utf8(&p[2..]).is_ok());
        assert_eq!(close_payload(1001, "bye"), [0x03, 0xE9, b'b', b'y', b'e']);
    }
}
