//! The fast parser's station table: keyed by the name's ends, 32 bytes a station.
//!
//! A general hash map hashes every byte of the key and, on a probe, compares the key. Here the
//! hash is made from what the parser already has in registers: the name's first 8 bytes
//! (masked to the name), its last 8 bytes, and its length. So hashing costs one multiplication
//! whatever the name's length. For a name of up to 16 bytes those two words and the length
//! *are* the name, so a probe compares three words, not bytes; a longer name also compares its
//! middle, from the arena, only when the three match. Two names with the same ends and length
//! but different middles get the same hash and are told apart by that comparison, so the table
//! is exact, not probabilistic.
//!
//! **32 bytes a slot.** The slot holds what every line touches and nothing else: the two words
//! and the statistics, with a 32-bit count. The length (1 byte) sits in an array of its own, and
//! the name's place in the arena, needed only for long names, in a third. Two slots share a
//! 64-byte cache line, so the 10,000 stations of the 1BRC "10K" file touch 320 KB of slots
//! (plus 10 KB of lengths): they stay in a core's L2 cache (512 KB on the development
//! machine), where 64-byte slots (640 KB) did not, and about a quarter of the lines waited on
//! the L3 cache.
//!
//! **The 32-bit count cannot overflow.** No valid line is shorter than 6 bytes (`a;0.0\n`), so
//! a block of `n` bytes adds at most `n / 6` lines. The table adds that up as blocks end
//! ([`StationTable::block_done`]) and, before the sum could pass 2^31, moves every count out
//! into a [`Partial`] with 64-bit counts and starts them again from 0: once per 12 GB or so
//! of input, never on the 1BRC files.

use super::table::{insertable, StationTable};
use crate::stats::{merge_station, Partial, StationStats};

/// One station's slot; `count == 0` with a length of 0 means empty.
#[derive(Clone, Copy)]
#[repr(C, align(32))]
struct Slot {
    /// The name's first and last 8 bytes ([`name_ends`]).
    first: u64,
    last: u64,
    sum: i64,
    count: u32,
    min: i16,
    max: i16,
}

const EMPTY: Slot = Slot {
    first: 0,
    last: 0,
    sum: 0,
    count: 0,
    min: i16::MAX,
    max: i16::MIN,
};

/// Moves the counts out once this many lines may have been added since they last were.
const SPILL_LINES: u64 = 1 << 31;

pub struct EndsTable {
    slots: Vec<Slot>,
    /// Per slot: the name's length, 0 for an empty slot (no name is empty).
    lens: Vec<u8>,
    /// Per slot: where the name starts in `names`.
    at: Vec<usize>,
    /// 64 minus log2 of the slot count: `hash >> shift` is the home slot.
    shift: u32,
    used: usize,
    names: Vec<u8>,
    /// An upper bound on the lines added since the counts were last moved out.
    lines: u64,
    /// The statistics moved out so far.
    moved: Partial,
}

/// The hash of a name from its two words ([`name_ends`]) and its length: the three folded into
/// one word (the rotation keeps `first` and `last` from cancelling when they are equal, as
/// for a name under 8 bytes), then one multiplication by an odd constant, the FxHash step.
/// The home slot is the product's top bits, which depend on every bit of the folded word, so
/// one multiplication is enough to spread the names; more rounds would only lengthen the
/// chain from the loads to the probe, which every line waits on. A weak hash can cost probes,
/// never a wrong answer: the names are compared.
#[inline(always)]
pub fn ends_hash(first: u64, last: u64, len: usize) -> u64 {
    (first ^ last.rotate_left(29) ^ len as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// A name's two words for the hash and the comparison: `first` is its first 8 bytes and `last`
/// its last 8 bytes; a name under 8 bytes is zero-padded to one word, which is both. For a
/// name of at most 16 bytes the two (which overlap below 16) and the length are the whole
/// name. The fast parser builds the same two words from its loads (`swar::name_words`).
pub fn name_ends(name: &[u8]) -> (u64, u64) {
    let mut w = [0u8; 8];
    let head = name.len().min(8);
    w[..head].copy_from_slice(&name[..head]);
    let first = u64::from_le_bytes(w);
    let last = match name.len().checked_sub(8) {
        Some(at) => u64::from_le_bytes(name[at..].try_into().expect("8 bytes")),
        None => first,
    };
    (first, last)
}

/// Whether two names of the same length, over 16 bytes, are equal: 8 bytes at a time, the
/// last word overlapping the one before, inline (a call to `memcmp` costs more than the
/// comparison for names this short).
#[inline(always)]
fn same_long_name(a: &[u8], b: &[u8]) -> bool {
    debug_assert!(a.len() == b.len() && a.len() > 16);
    let word = |s: &[u8], i: usize| u64::from_le_bytes(s[i..i + 8].try_into().expect("8 bytes"));
    let last = a.len() - 8;
    let mut i = 0;
    while i < last {
        if word(a, i) != word(b, i) {
            return false;
        }
        i += 8;
    }
    word(a, last) == word(b, last)
}

impl Default for EndsTable {
    fn default() -> Self {
        EndsTable::with_bits(12)
    }
}

impl EndsTable {
    fn with_bits(bits: u32) -> Self {
        EndsTable {
            slots: vec![EMPTY; 1 << bits],
            lens: vec![0; 1 << bits],
            at: vec![0; 1 << bits],
            shift: 64 - bits,
            used: 0,
            names: Vec::new(),
            lines: 0,
            moved: Partial::default(),
        }
    }

    fn name(&self, i: usize) -> &[u8] {
        &self.names[self.at[i]..self.at[i] + usize::from(self.lens[i])]
    }

    #[cold]
    fn insert(&mut self, i: usize, first: u64, last: u64, name: &[u8], tenths: i16) -> bool {
        if !insertable(name) {
            return false;
        }
        self.slots[i] = Slot {
            first,
            last,
            ..EMPTY
        };
        add_to(&mut self.slots[i], tenths);
        self.lens[i] = name.len() as u8;
        self.at[i] = self.names.len();
        self.names.extend_from_slice(name);
        self.used += 1;
        if self.used * 2 > self.slots.len() {
            self.grow();
        }
        true
    }

    /// Doubles the slot count and puts every station back at its new home.
    fn grow(&mut self) {
        let bits = 64 - self.shift + 1;
        let old = std::mem::replace(self, EndsTable::with_bits(bits));
        self.names = old.names;
        self.lines = old.lines;
        self.moved = old.moved;
        self.used = old.used;
        let mask = self.slots.len() - 1;
        for (j, slot) in old
            .slots
            .iter()
            .enumerate()
            .filter(|(j, _)| old.lens[*j] != 0)
        {
            let len = old.lens[j];
            let mut i = (ends_hash(slot.first, slot.last, len.into()) >> self.shift) as usize;
            while self.lens[i] != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = *slot;
            self.lens[i] = len;
            self.at[i] = old.at[j];
        }
    }

    /// Moves every station's statistics into `self.moved`, leaving the names in place.
    #[cold]
    fn move_counts_out(&mut self) {
        for i in 0..self.slots.len() {
            let s = self.slots[i];
            if s.count == 0 {
                continue;
            }
            self.slots[i] = Slot {
                first: s.first,
                last: s.last,
                ..EMPTY
            };
            let stats = StationStats {
                min: s.min,
                max: s.max,
                sum: s.sum,
                count: s.count.into(),
            };
            let name = self.name(i).into();
            merge_station(&mut self.moved.stations, name, &stats);
        }
        self.lines = 0;
    }
}

/// One reading into a slot.
#[inline(always)]
fn add_to(slot: &mut Slot, tenths: i16) {
    slot.min = slot.min.min(tenths);
    slot.max = slot.max.max(tenths);
    slot.sum += i64::from(tenths);
    slot.count += 1;
}

impl StationTable for EndsTable {
    #[inline(always)]
    fn add(&mut self, first: u64, last: u64, name: &[u8], tenths: i16) -> bool {
        let len = name.len();
        let mask = self.slots.len() - 1;
        let mut i = (ends_hash(first, last, len) >> self.shift) as usize;
        loop {
            // SAFETY: `i` is below the slot count, which is also the length of `lens`:
            // `hash >> shift` has log2(count) bits, and the probe step masks it. (The bounds
            // checks cost a compare and a branch each, every line.)
            let (slot, slot_len) =
                unsafe { (self.slots.get_unchecked_mut(i), *self.lens.get_unchecked(i)) };
            // One test of the two words and the length (their differences or'ed into one
            // word: one branch); longer names compare their middle too. An empty slot never
            // passes: its length is 0 and no name's is.
            let differs =
                (slot.first ^ first) | (slot.last ^ last) | (slot_len as usize ^ len) as u64;
            if differs == 0
                && (len <= 16 || {
                    let at = self.at[i];
                    same_long_name(&self.names[at..at + len], name)
                })
            {
                add_to(slot, tenths);
                return true;
            }
            if slot_len == 0 {
                return self.insert(i, first, last, name, tenths);
            }
            i = (i + 1) & mask;
        }
    }

    fn block_done(&mut self, bytes: usize) {
        // At most one line per 6 bytes (see the module comment); a block is at most a window
        // and a line, far below 2^31 lines, so the count stays under 2^32.
        self.lines += bytes as u64 / 6 + 1;
        if self.lines >= SPILL_LINES {
            self.move_counts_out();
        }
    }

    fn drain_into(mut self, partial: &mut Partial) {
        self.move_counts_out();
        for (name, stats) in std::mem::take(&mut self.moved.stations) {
            merge_station(&mut partial.stations, name, &stats);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ends_table_matches_a_hash_map() {
        super::super::table::check_table::<EndsTable>();
        let (a, b) = (b"aaaaaaaa-1-bbbbbbbb", b"aaaaaaaa-2-bbbbbbbb");
        let hash = |n: &[u8]| {
            let (first, last) = name_ends(n);
            ends_hash(first, last, n.len())
        };
        assert_eq!(hash(a), hash(b), "same ends, same length: one hash");
    }

    #[test]
    fn counts_move_out_before_they_overflow() {
        let mut table = EndsTable::default();
        assert!(table.add_name(b"x", 5));
        table.block_done(6 * (SPILL_LINES as usize - 2));
        assert_eq!(table.moved.stations.len(), 0, "not yet");
        assert!(table.add_name(b"x", -5));
        table.block_done(12);
        assert_eq!(
            table.slots.iter().map(|s| s.count).sum::<u32>(),
            0,
            "moved out"
        );
        assert!(table.add_name(b"x", 7));
        let mut got = Partial::default();
        table.drain_into(&mut got);
        let mut want = Partial::default();
        for t in [5, -5, 7] {
            want.add(b"x", t);
        }
        assert_eq!(got, want);
    }
}
