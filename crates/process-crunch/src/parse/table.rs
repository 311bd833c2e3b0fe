//! The fast parser's station table: open addressing over one flat array, names in an arena.
//!
//! A general hash map hashes every byte of the key and, on a probe, compares the key. Here a
//! slot holds the full 64-bit hash next to the statistics, and the hash is made from what the
//! parser already has in registers: the name's first 8 bytes (masked to the name), its last 8
//! bytes, and its length. So hashing costs a few multiplications whatever the name's length,
//! and a probe compares the stored hash first: the name's bytes are compared (with `==` on two
//! slices, a `memcmp`) only when the hashes match, which for a different name almost never
//! happens. Two names with the same ends and length but different middles get the same hash
//! and are told apart by that comparison, so the table is exact, not probabilistic.
//!
//! Linear probing from `hash >> shift`, the table at most half full (it doubles past that, so
//! any number of distinct names works, however many a hostile file has). 1BRC has at most
//! 10,000 stations: 32,768 slots of 56 bytes, under 2 MiB.
//!
//! `ENDS = false` gives the plain solver's table for comparison: FxHash over every byte of the
//! name and a name comparison on every occupied slot probed.

use std::hash::Hasher;

use rustc_hash::FxHasher;

use crate::stats::{Partial, StationStats};

/// One slot: `hash == 0` means empty (real hashes have their low bit set). Aligned to, and
/// padded to, one 64-byte cache line: at 56 bytes most slots would straddle two lines, and a
/// probe would wait on two cache misses instead of one, which shows on the 10,000-station
/// file, whose table (32,768 slots) is larger than a core's L2 cache. Both tables, the plain
/// solver's too, use this layout.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Slot {
    hash: u64,
    /// The name's first and last 8 bytes ([`name_ends`]), as hashed: for a name of at most
    /// 16 bytes they and the length are the whole name, so comparing them is comparing the
    /// names, without a call to `memcmp`. (0 in the plain solver's table, which compares
    /// whole names.)
    first: u64,
    last: u64,
    /// Where the name lies in the arena: its offset, and its length (at most 100) in the top
    /// 8 bits.
    name: u64,
    stats: StationStats,
}

impl Slot {
    fn name_len(&self) -> usize {
        (self.name >> 56) as usize
    }

    fn name_at(&self) -> usize {
        (self.name & ((1 << 56) - 1)) as usize
    }
}

const EMPTY: Slot = Slot {
    hash: 0,
    first: 0,
    last: 0,
    name: 0,
    stats: StationStats {
        min: 0,
        max: 0,
        sum: 0,
        count: 0,
    },
};

pub struct Table<const ENDS: bool> {
    slots: Vec<Slot>,
    /// 64 minus log2 of the slot count: `hash >> shift` is the home slot.
    shift: u32,
    used: usize,
    names: Vec<u8>,
}

/// The hash of a name from its two words ([`name_ends`]) and its length: the three folded into
/// one word (the rotation keeps `first` and `last` from cancelling when they are equal, as
/// for a name under 8 bytes), then one multiplication by an odd constant, the FxHash step.
/// The home slot is the product's top bits, which depend on every bit of the folded word, so
/// one multiplication is enough to spread the names; more rounds would only lengthen the
/// chain from the loads to the probe, which every line waits on. A weak hash can cost probes,
/// never a wrong answer: names are compared on a hash match. The low bit is set so that 0 can
/// mean an empty slot.
#[inline(always)]
pub fn ends_hash(first: u64, last: u64, len: usize) -> u64 {
    (first ^ last.rotate_left(29) ^ len as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1
}

/// A name's two words for the hash and the comparison: `first` is its first 8 bytes and `last`
/// its last 8 bytes; a name under 8 bytes is zero-padded to one word, which is both. For a
/// name of at most 16 bytes the two (which overlap below 16) and the length are the whole
/// name. The fast parser builds the same two words from its loads (`swar::short_name`).
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

/// The plain solver's hash: FxHash over every byte of the name (low bit set).
pub fn full_hash(name: &[u8]) -> u64 {
    let mut hasher = FxHasher::default();
    hasher.write(name);
    hasher.finish() | 1
}

impl<const ENDS: bool> Default for Table<ENDS> {
    fn default() -> Self {
        Table::with_bits(12)
    }
}

impl<const ENDS: bool> Table<ENDS> {
    fn with_bits(bits: u32) -> Self {
        Table {
            slots: vec![EMPTY; 1 << bits],
            shift: 64 - bits,
            used: 0,
            names: Vec::new(),
        }
    }

    /// Adds one reading of `name`, for callers that do not have its hash and ends at hand.
    /// `false` if the name has a `\n` in it (see [`Table::add`]).
    pub fn add_name(&mut self, name: &[u8], tenths: i16) -> bool {
        let (first, last) = name_ends(name);
        let hash = if ENDS {
            ends_hash(first, last, name.len())
        } else {
            full_hash(name)
        };
        self.add(hash, first, last, name, tenths)
    }

    /// Adds one reading of `name`, whose hash is `hash` and whose masked first and last 8
    /// bytes are `first` and `last` ([`name_ends`]). Returns `false`, adding nothing, for a
    /// name with a `\n` in it: the fast parser looks for the `;` only, so a line without one
    /// runs on into the next line and comes here with a `\n` in its "name". Since no name in
    /// the table has one, such a name never matches a slot and always reaches the insertion,
    /// which is where it is checked: once per new name, not once per line.
    #[inline(always)]
    pub fn add(&mut self, hash: u64, first: u64, last: u64, name: &[u8], tenths: i16) -> bool {
        let mask = self.slots.len() - 1;
        let mut i = (hash >> self.shift) as usize;
        loop {
            // SAFETY: `i` is below the slot count: `hash >> shift` has log2(count) bits, and
            // the probe step masks it. (The bounds check costs a compare and a branch a line.)
            let slot = unsafe { self.slots.get_unchecked(i) };
            let same = if ENDS {
                // Up to 16 bytes the two words and the length are the name, so one test of the
                // three (their differences or'ed into one word: one branch) decides; longer
                // names compare their middle too. An empty slot (all zeros) never passes: no
                // name has length 0. The stored hash is not needed here: it follows from the
                // three, and comparing them is as cheap as comparing it.
                let len = name.len();
                let differs = (slot.first ^ first) | (slot.last ^ last) | (slot.name_len() ^ len) as u64;
                differs == 0
                    && (len <= 16 || {
                        let at = slot.name_at();
                        same_long_name(&self.names[at..at + len], name)
                    })
            } else {
                // The plain solver: the name compared on every occupied slot probed.
                let at = slot.name_at();
                slot.name_len() == name.len() && self.names[at..at + name.len()] == *name
            };
            if same {
                // SAFETY: as above.
                unsafe { self.slots.get_unchecked_mut(i) }.stats.add(tenths);
                return true;
            }
            if slot.hash == 0 {
                return self.insert(i, hash, first, last, name, tenths);
            }
            i = (i + 1) & mask;
        }
    }

    #[cold]
    fn insert(
        &mut self,
        i: usize,
        hash: u64,
        first: u64,
        last: u64,
        name: &[u8],
        tenths: i16,
    ) -> bool {
        debug_assert!(name.len() <= crate::parse::MAX_NAME_BYTES);
        if memchr::memchr(b'\n', name).is_some() {
            return false;
        }
        let at = self.names.len() as u64;
        self.names.extend_from_slice(name);
        self.slots[i] = Slot {
            hash,
            first,
            last,
            name: (name.len() as u64) << 56 | at,
            stats: StationStats::new(tenths),
        };
        self.used += 1;
        if self.used * 2 > self.slots.len() {
            self.grow();
        }
        true
    }

    /// Doubles the slot count and puts every slot back at its new home.
    fn grow(&mut self) {
        let bits = 64 - self.shift + 1;
        let old = std::mem::replace(&mut self.slots, vec![EMPTY; 1 << bits]);
        self.shift = 64 - bits;
        let mask = self.slots.len() - 1;
        for slot in old.into_iter().filter(|s| s.hash != 0) {
            let mut i = (slot.hash >> self.shift) as usize;
            while self.slots[i].hash != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = slot;
        }
    }

    /// Moves every station into `partial`.
    pub fn drain_into(self, partial: &mut Partial) {
        for slot in self.slots.iter().filter(|s| s.hash != 0) {
            let at = slot.name_at();
            let name = &self.names[at..at + slot.name_len()];
            crate::stats::merge_station(&mut partial.stations, name.into(), &slot.stats);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check<const ENDS: bool>() {
        let mut table = Table::<ENDS>::default();
        let mut expected = Partial::default();
        // Names that share their first and last 8 bytes and their length: same ends-hash.
        let mut names: Vec<Vec<u8>> = (0..5000)
            .map(|i| format!("station-{i:05}-x").into_bytes())
            .collect();
        names.push(b"aaaaaaaa-1-bbbbbbbb".to_vec());
        names.push(b"aaaaaaaa-2-bbbbbbbb".to_vec());
        names.push(b"a".to_vec());
        names.push(vec![b'n'; 100]);
        names.push("北京".as_bytes().to_vec());
        for round in 0..3i16 {
            for (k, name) in names.iter().enumerate() {
                let t = (k as i16 % 1999) - 999 + round;
                let t = t.clamp(-999, 999);
                assert!(table.add_name(name, t));
                expected.add(name, t);
            }
        }
        let mut got = Partial::default();
        table.drain_into(&mut got);
        assert_eq!(got, expected);
    }

    #[test]
    fn both_tables_match_a_hash_map_through_growth_and_collisions() {
        check::<true>();
        check::<false>();
        let (a, b) = (b"aaaaaaaa-1-bbbbbbbb", b"aaaaaaaa-2-bbbbbbbb");
        let hash = |n: &[u8]| {
            let (first, last) = name_ends(n);
            ends_hash(first, last, n.len())
        };
        assert_eq!(hash(a), hash(b), "same ends, same length: one hash");
    }
}
