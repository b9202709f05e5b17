//! XOR masking (RFC 6455 section 5.3), eight bytes at a time.

/// The key as it applies from payload position `at` on, repeated to 8 bytes.
#[inline(always)]
fn key_word(key: [u8; 4], at: u64) -> [u8; 8] {
    let r = (at % 4) as usize;
    let mut w = [0u8; 8];
    for (i, b) in w.iter_mut().enumerate() {
        *b = key[(r + i) % 4];
    }
    w
}

/// Writes `src` XOR the key (starting at payload position `at`) into `dst`, which
/// must be at least as long as `src`.
#[inline]
pub(crate) fn unmask_into(dst: &mut [u8], src: &[u8], key: [u8; 4], at: u64) {
    let w = key_word(key, at);
    let kw = u64::from_ne_bytes(w);
    let dst = &mut dst[..src.len()];
    let mut d = dst.chunks_exact_mut(8);
    let mut s = src.chunks_exact(8);
    for (d, s) in (&mut d).zip(&mut s) {
        let mut word = [0u8; 8];
        word.copy_from_slice(s);
        d.copy_from_slice(&(u64::from_ne_bytes(word) ^ kw).to_ne_bytes());
    }
    for (i, (d, s)) in d.into_remainder().iter_mut().zip(s.remainder()).enumerate() {
        *d = s ^ w[i % 4];
    }
}

/// Masks or unmasks `buf` in place, `at` being its first byte's payload position.
#[inline]
pub(crate) fn apply(buf: &mut [u8], key: [u8; 4], at: u64) {
    let w = key_word(key, at);
    let kw = u64::from_ne_bytes(w);
    let mut chunks = buf.chunks_exact_mut(8);
    for c in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(c);
        c.copy_from_slice(&(u64::from_ne_bytes(word) ^ kw).to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= w[i % 4];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking_matches_the_bytewise_definition_at_every_phase() {
        let key = [0x12, 0x34, 0x56, 0x78];
        let src: Vec<u8> = (0..37u8).collect();
        for at in 0..8u64 {
            let want: Vec<u8> = src
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ key[((at as usize) + i) % 4])
                .collect();
            let mut out = vec![0; src.len()];
            unmask_into(&mut out, &src, key, at);
            assert_eq!(out, want);
            let mut inplace = src.clone();
            apply(&mut inplace, key, at);
            assert_eq!(inplace, want);
        }
    }
}
