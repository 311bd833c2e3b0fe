//! The `;` search 16 bytes at a time with SSE2, the last step of the fast parser on x86-64.
//!
//! SWAR (`swar.rs`) finds a `;` in 8 bytes with four arithmetic instructions, and three words
//! cover a name of up to 23 bytes; but it then takes a dozen more instructions to merge three
//! words' marks into one index without a branch. SSE2 does the whole comparison in hardware:
//! `pcmpeqb` compares 16 bytes with `;` at once, and `pmovmskb` packs the 16 results into the
//! low 16 bits of an integer, one bit per byte, exact (no borrow, no false marks). Two loads
//! give a 32-bit mask of the 32 bytes at the line start, and its trailing-zero count is the
//! separator: 9 instructions for any name of up to 31 bytes, which is all but one line in a
//! hundred or more on the 1BRC files.
//!
//! SSE2 is part of the x86-64 baseline: every x86-64 CPU has it and the compiler may use it
//! without a run-time check, so this is stable Rust (`core::arch`) with no feature detection.
//! On other CPUs [`SIMD`] is false and the step uses the SWAR search instead (the same code as
//! the step before it), so the parser is the same everywhere, only slower where this is absent.

/// Whether this CPU has the search below (x86-64 only).
pub const SIMD: bool = cfg!(target_arch = "x86_64");

/// One bit per byte of the 32 bytes at `at`, set where the byte is `;` (bit `i`: byte
/// `at + i`). 0 when none of them is.
///
/// # Safety
/// `at + 32 <= data.len()`.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub unsafe fn semicolons(data: &[u8], at: usize) -> u32 {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};
    debug_assert!(at + 32 <= data.len());
    let semicolon = _mm_set1_epi8(b';' as i8);
    // SAFETY: the caller guarantees 32 readable bytes at `at`; loadu has no alignment
    // requirement.
    let (low, high) = unsafe {
        let p = data.as_ptr().add(at);
        (_mm_loadu_si128(p.cast()), _mm_loadu_si128(p.add(16).cast()))
    };
    let low = _mm_movemask_epi8(_mm_cmpeq_epi8(low, semicolon)) as u32 & 0xFFFF;
    let high = _mm_movemask_epi8(_mm_cmpeq_epi8(high, semicolon)) as u32 & 0xFFFF;
    high << 16 | low
}

/// Never called where [`SIMD`] is false.
///
/// # Safety
/// None needed; `unsafe` to match the x86-64 version.
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
pub unsafe fn semicolons(_data: &[u8], _at: usize) -> u32 {
    unreachable!("the SSE2 search is used only on x86-64")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_exactly_the_semicolons() {
        if !SIMD {
            return;
        }
        for sep in 0..32 {
            for fill in [b'a', b';', b'\n', 0xBB, 0x3A, 0x3C] {
                let mut bytes = [b'x'; 40];
                bytes[sep] = b';';
                for b in &mut bytes[sep + 1..] {
                    *b = fill;
                }
                let want: u32 = (0..32).filter(|&i| bytes[i] == b';').map(|i| 1 << i).sum();
                // SAFETY: 40 bytes, so 32 at 0 are readable.
                assert_eq!(unsafe { semicolons(&bytes, 0) }, want, "{bytes:?}");
            }
        }
        // SAFETY: as above.
        assert_eq!(unsafe { semicolons(&[b'x'; 32], 0) }, 0);
    }
}
