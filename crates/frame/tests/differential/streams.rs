//! The differential test's stream generator: a model of mostly-valid frame sequences
//! (fragmented text split anywhere, even inside a code point; binary; pings and pongs
//! between fragments; an optional Close), the proptest strategies that draw them with up
//! to two targeted mutations, and [`render`], which applies the mutations and encodes.

use proptest::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LenForm {
    Minimal,
    /// 126 + 16-bit length even when the payload is shorter than 126.
    Wide16,
    /// 127 + 64-bit length whatever the payload.
    Wide64,
    /// 127 + this 64-bit value (top bit set); the real payload follows.
    Declared(u64),
}

#[derive(Debug, Clone)]
pub struct Frame {
    fin: bool,
    rsv: u8,
    opcode: u8,
    mask: Option<[u8; 4]>,
    payload: Vec<u8>,
    pub len: LenForm,
    /// Part of a text message (first frame or continuation).
    text: bool,
}

impl Frame {
    pub fn new(fin: bool, opcode: u8, payload: Vec<u8>, text: bool) -> Self {
        Frame {
            fin,
            rsv: 0,
            opcode,
            mask: None,
            payload,
            len: LenForm::Minimal,
            text,
        }
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(self.fin) << 7 | self.rsv | self.opcode);
        let m = if self.mask.is_some() { 0x80 } else { 0 };
        let n = self.payload.len();
        match self.len {
            LenForm::Minimal if n < 126 => out.push(m | n as u8),
            LenForm::Minimal | LenForm::Wide16 if n <= 0xffff => {
                out.push(m | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            LenForm::Minimal | LenForm::Wide16 | LenForm::Wide64 => {
                out.push(m | 127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
            LenForm::Declared(d) => {
                out.push(m | 127);
                out.extend_from_slice(&d.to_be_bytes());
            }
        }
        match self.mask {
            Some(key) => {
                out.extend_from_slice(&key);
                out.extend(self.payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
            }
            None => out.extend_from_slice(&self.payload),
        }
    }
}

#[derive(Debug, Clone)]
enum Unit {
    Text {
        text: String,
        splits: Vec<usize>,
        pings: Vec<usize>,
    },
    Binary {
        bytes: Vec<u8>,
        splits: Vec<usize>,
    },
    Ping(Vec<u8>),
    Pong(Vec<u8>),
}

#[derive(Debug, Clone)]
enum Ending {
    None,
    CloseEmpty,
    Close(u16, String),
}

#[derive(Debug, Clone)]
enum Mutation {
    FlipRsv { at: usize, bits: u8 },
    ReservedOpcode { at: usize, op: u8 },
    MaskBit { at: usize, key: [u8; 4] },
    NonMinimalLength { at: usize, wide64: bool },
    TopBitLength { at: usize, low: u32 },
    ControlTooLong { at: usize, len: usize },
    ControlNotFinal { at: usize },
    ContinuationWithoutStart { at: usize },
    DataInsideFragmented { at: usize, binary: bool },
    DropFrame { at: usize },
    InvalidUtf8 { at: usize, pos: usize, bad: Vec<u8> },
    CutLastCodePoint { at: usize },
    CloseReasonUtf8 { bad: Vec<u8> },
    CloseCode { code: u16 },
    CloseLengthOne,
    AfterClose { tail: Tail },
    Truncate { keep_per_mille: u16 },
    FlipByte { pos: usize, xor: u8 },
}

#[derive(Debug, Clone)]
enum Tail {
    Bytes(Vec<u8>),
    WholePing,
    /// A valid frame, cut to this many bytes (at least one).
    PartialText(usize),
}

#[derive(Debug, Clone)]
pub struct Case {
    units: Vec<Unit>,
    ending: Ending,
    mutations: Vec<Mutation>,
}

fn text_strategy() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        6 => proptest::char::range('\u{20}', '\u{7e}'),
        2 => proptest::char::range('\u{80}', '\u{7ff}'),
        2 => proptest::char::range('\u{800}', '\u{ffff}'),
        1 => proptest::char::range('\u{10000}', '\u{10ffff}'),
    ];
    let short = proptest::collection::vec(ch.clone(), 0..24);
    let mid = proptest::collection::vec(ch, 40..120);
    prop_oneof![8 => short, 2 => mid].prop_map(|v| v.into_iter().collect())
}

fn bytes_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => proptest::collection::vec(any::<u8>(), 0..40),
        2 => proptest::collection::vec(any::<u8>(), 120..400),
        1 => (65_530usize..66_000).prop_map(|n| (0..n).map(|i| (i * 7) as u8).collect()),
    ]
}

fn control_payload() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..=125)
}

fn unit_strategy() -> impl Strategy<Value = Unit> {
    let splits = proptest::collection::vec(any::<usize>(), 0..4);
    prop_oneof![
        5 => (text_strategy(), splits.clone(), proptest::collection::vec(any::<usize>(), 0..2))
            .prop_map(|(text, splits, pings)| Unit::Text { text, splits, pings }),
        3 => (bytes_strategy(), splits).prop_map(|(bytes, splits)| Unit::Binary { bytes, splits }),
        1 => control_payload().prop_map(Unit::Ping),
        1 => control_payload().prop_map(Unit::Pong),
    ]
}

const CLOSE_CODES: &[u16] = &[
    0, 1, 999, 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1011, 1013, 1014, 1015, 1016, 2000,
    2999, 3000, 3999, 4000, 4999, 5000, 65535,
];
const VALID_CLOSE_CODES: &[u16] = &[
    1000, 1001, 1002, 1003, 1007, 1008, 1011, 1013, 3000, 4000, 4999,
];

fn reason_strategy() -> impl Strategy<Value = String> {
    text_strategy().prop_map(|s| {
        let mut s: String = s.chars().take(30).collect();
        while s.len() > 123 {
            s.pop();
        }
        s
    })
}

fn ending_strategy() -> impl Strategy<Value = Ending> {
    prop_oneof![
        3 => Just(Ending::None),
        1 => Just(Ending::CloseEmpty),
        4 => (proptest::sample::select(VALID_CLOSE_CODES), reason_strategy()).prop_map(|(c, r)| Ending::Close(c, r)),
    ]
}

fn bad_utf8() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(vec![0x80]),
        Just(vec![0xff]),
        Just(vec![0xc0, 0xaf]),
        Just(vec![0xed, 0xa0, 0x80]),
        Just(vec![0xf4, 0x90, 0x80, 0x80]),
        Just(vec![0xe2, 0x28, 0xa1]),
        Just(vec![0xf8, 0x88, 0x80, 0x80, 0x80]),
        Just(vec![0xc2]),
        Just(vec![0xe2, 0x82]),
    ]
}

fn mutation_strategy() -> impl Strategy<Value = Mutation> {
    let at = any::<usize>();
    let reserved = proptest::sample::select(&[3u8, 4, 5, 6, 7, 11, 12, 13, 14, 15][..]);
    prop_oneof![
        (at, 1u8..8).prop_map(|(at, b)| Mutation::FlipRsv { at, bits: b << 4 }),
        (at, reserved).prop_map(|(at, op)| Mutation::ReservedOpcode { at, op }),
        (at, any::<[u8; 4]>()).prop_map(|(at, key)| Mutation::MaskBit { at, key }),
        (at, any::<bool>()).prop_map(|(at, wide64)| Mutation::NonMinimalLength { at, wide64 }),
        (at, any::<u32>()).prop_map(|(at, low)| Mutation::TopBitLength { at, low }),
        (at, 126usize..300).prop_map(|(at, len)| Mutation::ControlTooLong { at, len }),
        at.prop_map(|at| Mutation::ControlNotFinal { at }),
        at.prop_map(|at| Mutation::ContinuationWithoutStart { at }),
        (at, any::<bool>()).prop_map(|(at, binary)| Mutation::DataInsideFragmented { at, binary }),
        at.prop_map(|at| Mutation::DropFrame { at }),
        (at, any::<usize>(), bad_utf8()).prop_map(|(at, pos, bad)| Mutation::InvalidUtf8 {
            at,
            pos,
            bad
        }),
        at.prop_map(|at| Mutation::CutLastCodePoint { at }),
        bad_utf8().prop_map(|bad| Mutation::CloseReasonUtf8 { bad }),
        proptest::sample::select(CLOSE_CODES).prop_map(|code| Mutation::CloseCode { code }),
        Just(Mutation::CloseLengthOne),
        prop_oneof![
            proptest::collection::vec(any::<u8>(), 1..12).prop_map(Tail::Bytes),
            Just(Tail::WholePing),
            (1usize..8).prop_map(Tail::PartialText),
        ]
        .prop_map(|tail| Mutation::AfterClose { tail }),
        (0u16..1000).prop_map(|keep_per_mille| Mutation::Truncate { keep_per_mille }),
        (any::<usize>(), 1u8..=255).prop_map(|(pos, xor)| Mutation::FlipByte { pos, xor }),
    ]
}

pub fn case_strategy() -> impl Strategy<Value = Case> {
    let mutations = prop_oneof![
        3 => Just(Vec::new()),
        5 => proptest::collection::vec(mutation_strategy(), 1..=1),
        2 => proptest::collection::vec(mutation_strategy(), 2..=2),
    ];
    (
        proptest::collection::vec(unit_strategy(), 0..7),
        ending_strategy(),
        mutations,
    )
        .prop_map(|(units, ending, mutations)| Case {
            units,
            ending,
            mutations,
        })
}

/// Cut points for fragmenting `len` bytes: sorted, deduplicated, inside `0..=len`.
fn cuts(len: usize, splits: &[usize]) -> Vec<usize> {
    let mut c: Vec<usize> = splits.iter().map(|s| s % (len + 1)).collect();
    c.sort_unstable();
    c.dedup();
    c
}

fn fragments(
    opcode: u8,
    bytes: &[u8],
    splits: &[usize],
    text: bool,
    pings: &[usize],
) -> Vec<Frame> {
    let cuts = cuts(bytes.len(), splits);
    let mut bounds = vec![0];
    bounds.extend(cuts.iter().copied().filter(|&c| c != 0 && c != bytes.len()));
    bounds.push(bytes.len());
    let pieces: Vec<&[u8]> = bounds.windows(2).map(|w| &bytes[w[0]..w[1]]).collect();
    let mut out = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        let op = if i == 0 { opcode } else { 0 };
        out.push(Frame::new(i + 1 == pieces.len(), op, piece.to_vec(), text));
        if i + 1 < pieces.len() && pings.iter().any(|p| p % pieces.len() == i) {
            out.push(Frame::new(true, 0x9, b"mid".to_vec(), false));
        }
    }
    out
}

fn build_frames(case: &Case) -> Vec<Frame> {
    let mut frames = Vec::new();
    for unit in &case.units {
        match unit {
            Unit::Text {
                text,
                splits,
                pings,
            } => frames.extend(fragments(0x1, text.as_bytes(), splits, true, pings)),
            Unit::Binary { bytes, splits } => {
                frames.extend(fragments(0x2, bytes, splits, false, &[]))
            }
            Unit::Ping(p) => frames.push(Frame::new(true, 0x9, p.clone(), false)),
            Unit::Pong(p) => frames.push(Frame::new(true, 0xA, p.clone(), false)),
        }
    }
    match &case.ending {
        Ending::None => {}
        Ending::CloseEmpty => frames.push(Frame::new(true, 0x8, Vec::new(), false)),
        Ending::Close(code, reason) => {
            let mut p = code.to_be_bytes().to_vec();
            p.extend_from_slice(reason.as_bytes());
            frames.push(Frame::new(true, 0x8, p, false));
        }
    }
    frames
}

fn pick(frames: &[Frame], at: usize, pred: impl Fn(&Frame) -> bool) -> Option<usize> {
    let c: Vec<usize> = (0..frames.len()).filter(|&i| pred(&frames[i])).collect();
    (!c.is_empty()).then(|| c[at % c.len()])
}

fn close_index(frames: &mut Vec<Frame>) -> usize {
    if let Some(i) = frames.iter().position(|f| f.opcode == 0x8) {
        return i;
    }
    frames.push(Frame::new(true, 0x8, 1000u16.to_be_bytes().to_vec(), false));
    frames.len() - 1
}

/// Index where a frame can go between messages (not inside a fragmented one).
fn message_boundary(frames: &[Frame], at: usize) -> usize {
    let mut bounds = vec![0];
    let mut open = false;
    for (i, f) in frames.iter().enumerate() {
        if f.opcode & 0x8 == 0 {
            open = !f.fin;
        }
        if !open {
            bounds.push(i + 1);
        }
    }
    bounds[at % bounds.len()]
}

/// Applies the frame-level mutations, encodes, then the byte-level ones.
pub fn render(case: &Case) -> Vec<u8> {
    let mut frames = build_frames(case);
    let mut tail: Vec<u8> = Vec::new();
    for m in &case.mutations {
        match m {
            Mutation::FlipRsv { at, bits } => {
                if let Some(i) = pick(&frames, *at, |_| true) {
                    frames[i].rsv ^= bits;
                }
            }
            Mutation::ReservedOpcode { at, op } => {
                if let Some(i) = pick(&frames, *at, |_| true) {
                    frames[i].opcode = *op;
                }
            }
            Mutation::MaskBit { at, key } => {
                if let Some(i) = pick(&frames, *at, |_| true) {
                    frames[i].mask = Some(*key);
                }
            }
            Mutation::NonMinimalLength { at, wide64 } => {
                if let Some(i) = pick(&frames, *at, |_| true) {
                    frames[i].len = if *wide64 {
                        LenForm::Wide64
                    } else {
                        LenForm::Wide16
                    };
                }
            }
            Mutation::TopBitLength { at, low } => {
                if let Some(i) = pick(&frames, *at, |_| true) {
                    frames[i].len = LenForm::Declared(1 << 63 | u64::from(*low));
                }
            }
            Mutation::ControlTooLong { at, len } => {
                let i = pick(&frames, *at, |f| f.opcode & 0x8 != 0).unwrap_or_else(|| {
                    frames.push(Frame::new(true, 0x9, Vec::new(), false));
                    frames.len() - 1
                });
                let mut p = 1000u16.to_be_bytes().to_vec();
                p.resize(*len, b'x');
                frames[i].payload = p;
            }
            Mutation::ControlNotFinal { at } => {
                let i = message_boundary(&frames, *at);
                frames.insert(i, Frame::new(false, 0x9, b"frag".to_vec(), false));
            }
            Mutation::ContinuationWithoutStart { at } => {
                let i = message_boundary(&frames, *at);
                frames.insert(i, Frame::new(*at % 2 == 0, 0x0, b"cont".to_vec(), false));
            }
            Mutation::DataInsideFragmented { at, binary } => {
                let op = if *binary { 0x2 } else { 0x1 };
                match pick(&frames, *at, |f| f.opcode == 0x0) {
                    Some(i) => frames[i].opcode = op,
                    None => {
                        let i = message_boundary(&frames, *at);
                        frames.insert(i, Frame::new(false, 0x1, b"open".to_vec(), true));
                        frames.insert(i + 1, Frame::new(true, op, b"again".to_vec(), !binary));
                    }
                }
            }
            Mutation::DropFrame { at } => {
                if let Some(i) = pick(&frames, *at, |_| true) {
                    frames.remove(i);
                }
            }
            Mutation::InvalidUtf8 { at, pos, bad } => {
                let i = pick(&frames, *at, |f| f.text).unwrap_or_else(|| {
                    let i = message_boundary(&frames, *at);
                    frames.insert(i, Frame::new(true, 0x1, b"text".to_vec(), true));
                    i
                });
                let p = &mut frames[i].payload;
                let pos = pos % (p.len() + 1);
                p.splice(pos..pos, bad.iter().copied());
            }
            Mutation::CutLastCodePoint { at } => {
                if let Some(i) = pick(&frames, *at, |f| {
                    f.text && f.payload.iter().any(|&b| b >= 0x80)
                }) {
                    let p = &mut frames[i].payload;
                    let last_lead = p.iter().rposition(|&b| b >= 0xc0).unwrap_or(0);
                    p.remove(last_lead);
                }
            }
            Mutation::CloseReasonUtf8 { bad } => {
                let i = close_index(&mut frames);
                let p = &mut frames[i].payload;
                if p.len() < 2 {
                    *p = 1000u16.to_be_bytes().to_vec();
                }
                p.extend_from_slice(bad);
                p.truncate(125);
            }
            Mutation::CloseCode { code } => {
                let i = close_index(&mut frames);
                let p = &mut frames[i].payload;
                if p.len() < 2 {
                    p.resize(2, 0);
                }
                p[..2].copy_from_slice(&code.to_be_bytes());
            }
            Mutation::CloseLengthOne => {
                let i = close_index(&mut frames);
                frames[i].payload = vec![0x03];
            }
            Mutation::AfterClose { tail: t } => {
                let i = close_index(&mut frames);
                frames.truncate(i + 1);
                match t {
                    Tail::Bytes(b) => tail = b.clone(),
                    Tail::WholePing => {
                        Frame::new(true, 0x9, b"late".to_vec(), false).encode(&mut tail)
                    }
                    Tail::PartialText(n) => {
                        Frame::new(true, 0x1, b"late text".to_vec(), true).encode(&mut tail);
                        tail.truncate(*n);
                    }
                }
            }
            Mutation::Truncate { .. } | Mutation::FlipByte { .. } => {}
        }
    }
    let mut stream = Vec::new();
    for f in &frames {
        f.encode(&mut stream);
    }
    stream.extend_from_slice(&tail);
    for m in &case.mutations {
        match m {
            Mutation::Truncate { keep_per_mille } => {
                let keep = stream.len() * usize::from(*keep_per_mille) / 1000;
                stream.truncate(keep);
            }
            Mutation::FlipByte { pos, xor } if !stream.is_empty() => {
                let n = stream.len();
                stream[pos % n] ^= xor;
            }
            _ => {}
        }
    }
    stream
}
