//! Observing a stream while it is checked.

use crate::FrameHeader;

/// Observer of a stream as the checker walks it. Every method defaults to a no-op and
/// `()` implements it, so `Checker::feed` pays nothing for observation: the checker is
/// generic over the sink and the empty calls inline away.
///
/// Calls arrive only for bytes that passed the checks so far: `frame_start` after the
/// header is judged clean, `payload` once per contiguous piece, `frame_end` after the
/// payload (and, for Text and Close, its content) is judged clean.
pub trait Sink {
    /// A frame's header was read and is valid.
    #[inline(always)]
    fn frame_start(&mut self, header: &FrameHeader) {
        let _ = header;
    }

    /// Payload bytes exactly as on the wire (still masked); `at` = position inside the
    /// payload.
    #[inline(always)]
    fn payload(&mut self, header: &FrameHeader, at: u64, wire: &[u8]) {
        let _ = (header, at, wire);
    }

    /// The frame is complete and valid.
    #[inline(always)]
    fn frame_end(&mut self, header: &FrameHeader) {
        let _ = header;
    }
}

impl Sink for () {}

impl<S: Sink + ?Sized> Sink for &mut S {
    #[inline(always)]
    fn frame_start(&mut self, header: &FrameHeader) {
        (**self).frame_start(header);
    }

    #[inline(always)]
    fn payload(&mut self, header: &FrameHeader, at: u64, wire: &[u8]) {
        (**self).payload(header, at, wire);
    }

    #[inline(always)]
    fn frame_end(&mut self, header: &FrameHeader) {
        (**self).frame_end(header);
    }
}
