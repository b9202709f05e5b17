//! The last few clean frames, kept in a fixed ring so the hot path never allocates.

use crate::FrameHeader;

const N: usize = 8;

#[derive(Clone, Debug)]
pub(crate) struct Ring {
    items: [FrameHeader; N],
    pushed: u64,
}

impl Default for Ring {
    fn default() -> Self {
        Ring {
            items: [FrameHeader::EMPTY; N],
            pushed: 0,
        }
    }
}

impl Ring {
    #[inline(always)]
    pub(crate) fn push(&mut self, h: FrameHeader) {
        self.items[(self.pushed % N as u64) as usize] = h;
        self.pushed += 1;
    }

    /// Frames pushed so far (the stream's complete-frame count).
    #[inline(always)]
    pub(crate) fn count(&self) -> u64 {
        self.pushed
    }

    #[inline]
    pub(crate) fn last(&self) -> Option<&FrameHeader> {
        let i = self.pushed.checked_sub(1)?;
        Some(&self.items[(i % N as u64) as usize])
    }

    /// Oldest first.
    pub(crate) fn to_vec(&self) -> Vec<FrameHeader> {
        let n = self.pushed.min(N as u64);
        (self.pushed - n..self.pushed)
            .map(|i| self.items[(i % N as u64) as usize])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_eight_oldest_first() {
        let mut r = Ring::default();
        assert!(r.last().is_none() && r.to_vec().is_empty());
        for i in 0..11 {
            r.push(FrameHeader {
                index: i,
                ..FrameHeader::EMPTY
            });
        }
        let idx: Vec<u64> = r.to_vec().iter().map(|h| h.index).collect();
        assert_eq!(idx, (3..11).collect::<Vec<_>>());
        assert_eq!(r.last().map(|h| h.index), Some(10));
    }
}
