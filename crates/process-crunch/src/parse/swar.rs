//! Word-at-a-time ("SWAR": SIMD within a register) tricks of the fast parser, on plain `u64`s
//! in stable Rust. Every word is read little-endian, so byte `i` of the input is bits
//! `8i..8i+8` of the word, and "the first byte that ..." is the lowest set bit.
//!
//! **Finding `;` 8 bytes at a time.** `x ^ 0x3B3B...` turns every `;` byte into 0, and
//! `zero_bytes` marks zero bytes: `(x - 0x0101...) & !x & 0x8080...` sets a byte's high bit when
//! that byte was 0 (subtracting 1 borrowed through it and it had no high bit of its own). A
//! borrow can also mark a byte *above* a true zero, never below one, so the lowest mark is
//! always exact, and only the lowest is used. One xor, one subtraction, one and-not and one and:
//! 8 bytes compared in 4 instructions, where a byte loop takes 8 compares and branches. Only
//! `;` is looked for, not the `\n` too (which would double the work): a line without a `;`
//! then runs on into the next line, and what the search calls its name has a `\n` in it. No
//! such name can equal one already in the table (none of those has a `\n`), so it always
//! reaches the table's insertion, which refuses it (`Table::add`), and the slow path reports
//! the line as the shared rules say. Valid lines never take that detour.
//!
//! **The temperature from one 8-byte load, without branches** (the trick of the fastest 1BRC
//! entries). A valid field is `-?D{1,2}.D`. Digits are 0x30-0x39 and have bit 4 set; `.`
//! (0x2E) and `-` (0x2D) do not. So the lowest of bits 12, 20, 28 clear in the word is the dot:
//! at byte 1, 2 or 3. Bit 4 of byte 0 clear means a minus sign. Shifting the word so the dot
//! always lands on byte 3 puts the digits at bytes 1, 2 and 4 (a missing tens digit becomes 0
//! once the sign byte is masked off); one multiplication by `100 << 24 | 10 << 16 | 1` then sums
//! `100 a + 10 b + c` into bits 32..42. The sign is applied as `(v ^ s) - s` with `s` 0 or -1.
//! The result is only meaningful for a valid field, so the same word is *checked* against the
//! exact shape that the dot and the sign imply (which bytes must be digits, which must be `-`,
//! `.`, `\n` or `\r\n`), again word-wide: anything else goes to the slow path, which applies
//! the shared rules. A valid line is never rejected and an invalid one never accepted.

/// Reads 8 bytes at `at`, little-endian.
///
/// # Safety
/// `at + 8 <= data.len()`.
#[inline(always)]
pub unsafe fn load(data: &[u8], at: usize) -> u64 {
    debug_assert!(at + 8 <= data.len());
    // SAFETY: the caller guarantees 8 readable bytes at `at`; read_unaligned has no
    // alignment requirement.
    u64::from_le(unsafe { (data.as_ptr().add(at) as *const u64).read_unaligned() })
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// A word with every byte equal to `b`.
const fn splat(b: u8) -> u64 {
    ONES * b as u64
}

/// High bit set in the lowest zero byte of `x` (and maybe in bytes above it; see the module).
#[inline(always)]
fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// Marks (high bits) of the `;` bytes of the word; only the lowest mark is exact.
#[inline(always)]
pub fn semicolon_marks(word: u64) -> u64 {
    zero_bytes(word ^ splat(b';'))
}

/// The index (0..8) of the first `;` in the word, or 8 if there is none.
#[inline(always)]
pub fn first_semicolon(word: u64) -> usize {
    (semicolon_marks(word).trailing_zeros() / 8) as usize
}

/// The separator's index and the name's two words ([`name_ends`](super::ends::name_ends)) for
/// a name of at most 23 bytes, from the three words `w0`, `w1`, `w2` at the line start, given
/// their marks ([`semicolon_marks`]; `m0 | m1 | m2 != 0`) and `word_before`, a loader of the 8
/// bytes that end at a given index. Without a branch on the length, since on real station
/// names a branch on which word holds the separator is close to a coin toss and every wrong
/// guess flushes the pipeline:
/// - the index: the two first marks are one 128-bit mark whose lowest set bit is the exact
///   separator (a false mark lies above a true one in its own word, and the words are marked
///   apart). Its trailing-zero count is 128 when both are 0, and only then is the count of
///   `m2` added, under a mask made from that 128 by arithmetic (`bits >> 7` is 1 only for 128),
///   not by a select, which the compiler would turn back into a branch;
/// - then [`name_words`]: the mask of the name's bytes in a word, all ones shifted right by
///   `8 (8 - min(sep, 8))` bits; `first` is `w0` under that mask, `last` the 8 bytes that end
///   at `max(sep, 8)` under the same mask: for a name of 8 bytes or more, its last 8 bytes;
///   for a shorter one, `w0` again, so `first`. The load is made in both cases (it is always
///   inside the line), so there is no branch around it either.
#[inline(always)]
pub fn short_name(
    w0: u64,
    marks: (u64, u64, u64),
    word_before: impl FnOnce(usize) -> u64,
) -> (usize, (u64, u64)) {
    let (m0, m1, m2) = marks;
    debug_assert!(m0 | m1 | m2 != 0);
    let bits01 = (u128::from(m1) << 64 | u128::from(m0)).trailing_zeros();
    let bits = bits01 + (m2.trailing_zeros() & 0u32.wrapping_sub(bits01 >> 7));
    let sep = (bits / 8) as usize;
    (sep, name_words(sep, w0, word_before))
}

/// The name's two words ([`name_ends`](super::ends::name_ends)) for a name of `sep` bytes
/// whose first 8 bytes are `w0` (as loaded: bytes after the name included), and
/// `word_before`, a loader of the 8 bytes that end at a given index (at least 8).
#[inline(always)]
pub fn name_words(sep: usize, w0: u64, word_before: impl FnOnce(usize) -> u64) -> (u64, u64) {
    // The name's bytes in a word: the low `sep` bytes, or all 8 from 8 on. (For `sep` 0, an
    // empty name that the caller rejects, the shift wraps to 0 and the words mean nothing.)
    let mask = u64::MAX.wrapping_shr(8 * (8 - sep.min(8)) as u32);
    (w0 & mask, word_before(sep.max(8)) & mask)
}

/// High bit set in every byte of `x` that is an ASCII digit. Exact for every byte (Bit
/// Twiddling Hacks' `hasbetween(x, '0' - 1, '9' + 1)`): each byte's arithmetic stays inside
/// the byte because the inputs are masked to 7 bits first, and `!x` rules out bytes >= 0x80.
#[inline(always)]
fn digit_bytes(x: u64) -> u64 {
    let low7 = x & splat(0x7F);
    let below_colon = splat(127 + b':').wrapping_sub(low7); // high bit: byte < ':'
    let above_slash = low7.wrapping_add(splat(127 - b'/')); // high bit: byte > '/'
    below_colon & !x & above_slash & HIGHS
}

/// What a valid field of one shape looks like in the word: which bytes must be digits, and
/// the fixed bytes (`-`, `.`, the line ending) under a mask.
#[derive(Clone, Copy)]
struct Shape {
    digits: u64,
    mask: u64,
    expected: u64,
}

/// Builds a [`Shape`] from a pattern such as `b"-D.D\n"` (`D`: any digit).
const fn shape(pattern: &[u8]) -> Shape {
    let mut s = Shape {
        digits: 0,
        mask: 0,
        expected: 0,
    };
    let mut i = 0;
    while i < pattern.len() {
        if pattern[i] == b'D' {
            s.digits |= 0x80 << (8 * i);
        } else {
            s.mask |= 0xFF << (8 * i);
            s.expected |= (pattern[i] as u64) << (8 * i);
        }
        i += 1;
    }
    s
}

/// A shape no word matches (the masked byte can never equal 0x100).
const NEVER: Shape = Shape {
    digits: 0,
    mask: 0xFF,
    expected: 0x100,
};

/// Shapes by `negative << 2 | dot index`: `\n` endings, then `\r\n` endings. A dot at byte 1
/// after a minus (`-.5`) or a positive number with three integer digits (`100.0`) is never
/// valid; the slow path names the error.
const LF: [Shape; 8] = [
    NEVER,
    shape(b"D.D\n"),
    shape(b"DD.D\n"),
    NEVER,
    NEVER,
    NEVER,
    shape(b"-D.D\n"),
    shape(b"-DD.D\n"),
];
const CRLF: [Shape; 8] = [
    NEVER,
    shape(b"D.D\r\n"),
    shape(b"DD.D\r\n"),
    NEVER,
    NEVER,
    NEVER,
    shape(b"-D.D\r\n"),
    shape(b"-DD.D\r\n"),
];

/// Parses the temperature field and its line ending from the 8 bytes that start it. Returns
/// the tenths and the bytes used, line ending included, or `None` for anything but
/// `-?D{1,2}.D` followed by `\n` or `\r\n`.
#[inline(always)]
pub fn temperature(word: u64) -> Option<(i16, usize)> {
    // The arithmetic, branch-free (see the module comment).
    let dot = (!word & 0x1010_1000).trailing_zeros(); // 12, 20, 28, or 64 when no dot
    let signed = ((!word << 59) as i64) >> 63; // -1 for a minus sign, else 0
    let design_mask = !((signed as u64) & 0xFF);
    let digits = ((word & design_mask) << (28u32.wrapping_sub(dot) & 63)) & 0x0F_000F_0F00;
    let abs = ((digits.wrapping_mul(0x640a_0001)) >> 32) & 0x3FF;
    let value = ((abs as i64) ^ signed) - signed;

    // The check: does the word have exactly the shape the dot and the sign imply?
    let index = ((signed & 1) as usize) << 2 | ((dot >> 3) & 3) as usize;
    let digit_marks = digit_bytes(word);
    // Both conditions in one word, so one test and one branch: a bit of either difference
    // set means the word does not have the shape.
    let fits =
        |s: Shape| ((digit_marks & s.digits) ^ s.digits) | ((word & s.mask) ^ s.expected) == 0;
    let dot_at = (dot >> 3) as usize;
    if fits(LF[index]) {
        Some((value as i16, dot_at + 3))
    } else if fits(CRLF[index]) {
        Some((value as i16, dot_at + 4))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_tenths;

    fn word(bytes: &[u8]) -> u64 {
        let mut padded = [b'x'; 8];
        padded[..bytes.len().min(8)].copy_from_slice(&bytes[..bytes.len().min(8)]);
        u64::from_le_bytes(padded)
    }

    #[test]
    fn finds_the_first_semicolon() {
        assert_eq!(first_semicolon(word(b"abc;1.0\n")), 3);
        assert_eq!(first_semicolon(word(b";")), 0);
        assert_eq!(first_semicolon(word(b"abcdefgh")), 8);
        // Only `;` counts: a `\n` before it is the name's (and the table refuses that name).
        assert_eq!(first_semicolon(word(b"ab\ncd;ef")), 5);
        // A byte just above a match (0x3C after 0x3B) is not mistaken for one below it.
        assert_eq!(first_semicolon(word(b"\x01;<;\x0b\n")), 1);
        assert_eq!(first_semicolon(word(b"\x01:<;\x0b\n")), 3);
        for i in 0..8 {
            let mut w = *b"ABCDEFGH";
            w[i] = b';';
            assert_eq!(first_semicolon(u64::from_le_bytes(w)), i);
        }
    }

    #[test]
    fn short_name_agrees_with_a_byte_loop() {
        // Every separator position 0..24, with and without later `;` bytes (and bytes just
        // above them) that could make false marks, and `\n` bytes that are not separators.
        for sep in 1..24 {
            for before in [b'x', b'\n'] {
                for fill in [b'a', b';', b'<', b'\n', 0xC3] {
                    let mut line = [before; 32];
                    line[sep] = b';';
                    for b in &mut line[sep + 1..] {
                        *b = fill;
                    }
                    let w = |at: usize| u64::from_le_bytes(line[at..at + 8].try_into().unwrap());
                    let (w0, w1, w2) = (w(0), w(8), w(16));
                    let marks = (
                        semicolon_marks(w0),
                        semicolon_marks(w1),
                        semicolon_marks(w2),
                    );
                    let (first, last) = crate::parse::ends::name_ends(&line[..sep]);
                    let got = short_name(w0, marks, |end| w(end - 8));
                    assert_eq!(got, (sep, (first, last)), "{line:?}");
                }
            }
        }
    }

    #[test]
    fn digit_bytes_is_exact_for_every_byte_value() {
        for b in 0..=255u8 {
            for pos in 0..8 {
                let mut w = [b'a'; 8];
                w[pos] = b;
                let marks = digit_bytes(u64::from_le_bytes(w));
                assert_eq!(marks != 0, b.is_ascii_digit(), "byte {b:#x} at {pos}");
            }
        }
    }

    #[test]
    fn agrees_with_the_shared_rule_on_every_field() {
        // Every valid temperature, with both endings, plus what may follow in the word.
        for t in -999i32..=999 {
            let sign = if t < 0 { "-" } else { "" };
            let a = t.abs();
            for text in [
                format!("{sign}{}.{}", a / 10, a % 10),
                format!("{sign}{:02}.{}", a / 10, a % 10),
            ] {
                for ending in ["\n", "\r\n"] {
                    let line = format!("{text}{ending}zz");
                    let got = temperature(word(line.as_bytes()));
                    let want = parse_tenths(text.as_bytes()).ok();
                    assert_eq!(got.map(|g| g.0), want, "{line:?}");
                    if let Some((_, used)) = got {
                        assert_eq!(used, text.len() + ending.len(), "{line:?}");
                    }
                }
            }
        }
        for field in [
            "-0.0\n",
            "0.0\n",
            "99.9\n",
            "-99.9\n",
            "09.9\n",
            "100.0\n",
            "1.23\n",
            "+1.0\n",
            "1\n",
            "1.\n",
            ".5\n",
            "-.5\n",
            "--1.0\n",
            "1.0 \n",
            "1.0\r\r",
            "1.0\rx",
            "1,0\n",
            "a.b\n",
            "1.0",
            "-1.0",
            "\n",
            "-\n",
            "1.0;\n",
            "-99.9\r\n",
            "9\x2e9\n",
            "1.5\x0a",
            "\u{b9}.0\n",
        ] {
            let text = field.trim_end_matches(['\n', '\r']);
            let ends_well = field.ends_with('\n')
                && (field.len() - text.len() == 1 || field.ends_with("\r\n"))
                && field.len() - text.len() <= 2;
            let want = if ends_well {
                parse_tenths(text.as_bytes()).ok()
            } else {
                None
            };
            let got = temperature(word(field.as_bytes())).map(|g| g.0);
            assert_eq!(got, want, "{field:?}");
        }
    }
}
