//! The plain solver's temperature parse, kept as the baseline of `bench --steps`: fixed-format,
//! a few comparisons and branches per field, where `swar.rs` does it without branches.

/// The plain solver's temperature parse, a few comparisons and branches: `-?D{1,2}.D` and
/// the line ending after it (`\n`, `\r\n` or the end of the data).
/// Returns the tenths and the bytes used, line ending included; `None` for anything else.
#[inline]
pub fn parse_temperature(t: &[u8]) -> Option<(i16, usize)> {
    let (negative, mut i) = match t.first() {
        Some(b'-') => (true, 1),
        _ => (false, 0),
    };
    let d0 = digit(t, i)?;
    let value = if t.get(i + 1) == Some(&b'.') {
        let d1 = digit(t, i + 2)?;
        i += 3;
        d0 * 10 + d1
    } else {
        let d1 = digit(t, i + 1)?;
        if t.get(i + 2) != Some(&b'.') {
            return None;
        }
        let d2 = digit(t, i + 3)?;
        i += 4;
        d0 * 100 + d1 * 10 + d2
    };
    let used = match t.get(i) {
        None => i,
        Some(b'\n') => i + 1,
        Some(b'\r') => match t.get(i + 1) {
            None => i + 1,
            Some(b'\n') => i + 2,
            Some(_) => return None,
        },
        Some(_) => return None,
    };
    Some((if negative { -value } else { value }, used))
}

#[inline]
fn digit(t: &[u8], i: usize) -> Option<i16> {
    match t.get(i) {
        Some(&b) if b.is_ascii_digit() => Some(i16::from(b - b'0')),
        _ => None,
    }
}
