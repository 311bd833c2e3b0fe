//! The station tables of the fast parser's steps: what a table must do ([`StationTable`]), and
//! the plain solver's table ([`PlainTable`]). The fast parser's own table is in `ends.rs`.
//!
//! Both are open addressing over one flat array, names in an arena, linear probing from the
//! hash's top bits, at most half full (they double past that, so any number of distinct names
//! works, however many a hostile file has).
//!
//! The plain solver's table is what a careful plain solver would write: FxHash over every byte
//! of the name, and on every occupied slot probed a comparison of the whole name. Its slots
//! are one 64-byte cache line each (hash, name, statistics, padded), so a probe waits on one
//! cache miss, not two.

use std::hash::Hasher;

use rustc_hash::FxHasher;

use crate::stats::{Partial, StationStats};

/// What the fast parser's steps need of a station table.
pub trait StationTable: Default {
    /// Adds one reading of `name`, whose masked first and last 8 bytes are `first` and `last`
    /// ([`name_ends`](super::ends::name_ends); 0 and 0 from a step that does not compute
    /// them, for a table that does not use them). Returns `false`, adding nothing, for a
    /// name with a `\n` in it: the fast parser looks for the `;` only, so a line without one
    /// runs on into the next line and comes here with a `\n` in its "name". Since no name in
    /// the table has one, such a name never matches a slot and always reaches the insertion,
    /// which is where it is checked: once per new name, not once per line.
    fn add(&mut self, first: u64, last: u64, name: &[u8], tenths: i16) -> bool;

    /// [`add`](StationTable::add) for callers that do not have the name's words at hand.
    fn add_name(&mut self, name: &[u8], tenths: i16) -> bool {
        let (first, last) = super::ends::name_ends(name);
        self.add(first, last, name, tenths)
    }

    /// Told after each block of `bytes` bytes has been added (a table with narrow counters
    /// moves them out before they can overflow).
    fn block_done(&mut self, _bytes: usize) {}

    /// Moves every station into `partial`.
    fn drain_into(self, partial: &mut Partial);
}

/// Whether `name` may go into a table: no `\n` (see [`StationTable::add`]).
#[cold]
pub fn insertable(name: &[u8]) -> bool {
    debug_assert!(name.len() <= crate::parse::MAX_NAME_BYTES);
    memchr::memchr(b'\n', name).is_none()
}

/// One slot of the plain table: `hash == 0` means empty (real hashes have their low bit set).
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Slot {
    hash: u64,
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
    name: 0,
    stats: StationStats {
        min: 0,
        max: 0,
        sum: 0,
        count: 0,
    },
};

/// The plain solver's table (see the module comment).
pub struct PlainTable {
    slots: Vec<Slot>,
    /// 64 minus log2 of the slot count: `hash >> shift` is the home slot.
    shift: u32,
    used: usize,
    names: Vec<u8>,
}

/// The plain solver's hash: FxHash over every byte of the name (low bit set).
pub fn full_hash(name: &[u8]) -> u64 {
    let mut hasher = FxHasher::default();
    hasher.write(name);
    hasher.finish() | 1
}

impl Default for PlainTable {
    fn default() -> Self {
        let bits = 12;
        PlainTable {
            slots: vec![EMPTY; 1 << bits],
            shift: 64 - bits,
            used: 0,
            names: Vec::new(),
        }
    }
}

impl StationTable for PlainTable {
    #[inline(always)]
    fn add(&mut self, _first: u64, _last: u64, name: &[u8], tenths: i16) -> bool {
        let hash = full_hash(name);
        let mask = self.slots.len() - 1;
        let mut i = (hash >> self.shift) as usize;
        loop {
            // SAFETY: `i` is below the slot count: `hash >> shift` has log2(count) bits, and
            // the probe step masks it.
            let slot = unsafe { self.slots.get_unchecked_mut(i) };
            // The name compared on every occupied slot probed (an empty one has length 0).
            let at = slot.name_at();
            if slot.name_len() == name.len() && self.names[at..at + name.len()] == *name {
                slot.stats.add(tenths);
                return true;
            }
            if slot.hash == 0 {
                return self.insert(i, hash, name, tenths);
            }
            i = (i + 1) & mask;
        }
    }

    fn drain_into(self, partial: &mut Partial) {
        for slot in self.slots.iter().filter(|s| s.hash != 0) {
            let at = slot.name_at();
            let name = &self.names[at..at + slot.name_len()];
            crate::stats::merge_station(&mut partial.stations, name.into(), &slot.stats);
        }
    }
}

impl PlainTable {
    #[cold]
    fn insert(&mut self, i: usize, hash: u64, name: &[u8], tenths: i16) -> bool {
        if !insertable(name) {
            return false;
        }
        let at = self.names.len() as u64;
        self.names.extend_from_slice(name);
        self.slots[i] = Slot {
            hash,
            name: (name.len() as u64) << 56 | at,
            stats: StationStats::new(tenths),
        };
        self.used += 1;
        if self.used * 2 > self.slots.len() {
            // Double the slot count and put every slot back at its new home.
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
        true
    }
}

/// Checks a table against a plain map, through growth, hash collisions, refused names and (for
/// a table with narrow counters) counts moved out mid-way.
#[cfg(test)]
pub fn check_table<T: StationTable>() {
    let mut table = T::default();
    let mut expected = Partial::default();
    // Names that share their first and last 8 bytes and their length: same ends-hash.
    let mut names: Vec<Vec<u8>> = (0..5000)
        .map(|i| format!("station-{i:05}-x").into_bytes())
        .collect();
    names.push(b"aaaaaaaa-1-bbbbbbbb".to_vec());
    names.push(b"aaaaaaaa-2-bbbbbbbb".to_vec());
    names.push(b"aaaaaaaaa".to_vec()); // the same words as the next, another length
    names.push(b"aaaaaaaaaa".to_vec());
    names.push(b"a".to_vec());
    names.push(b"a\0".to_vec());
    names.push(vec![b'n'; 100]);
    names.push("北京".as_bytes().to_vec());
    for round in 0..3i16 {
        for (k, name) in names.iter().enumerate() {
            let t = (k as i16 % 1999) - 999 + round;
            let t = t.clamp(-999, 999);
            assert!(table.add_name(name, t));
            expected.add(name, t);
        }
        assert!(
            !table.add_name(b"a\nb", 10),
            "a name with a newline is refused"
        );
        // As if 4 GB of lines had gone by: a table with 32-bit counts moves them out here.
        table.block_done(4 << 30);
    }
    let mut got = Partial::default();
    table.drain_into(&mut got);
    assert_eq!(got, expected);
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_plain_table_matches_a_hash_map() {
        super::check_table::<super::PlainTable>();
    }
}
