//! Counters kept once per shard, so that threads recording into one series at the same time
//! do not all write the same cache lines.
//!
//! Threads adding to the same atomics of one series wait for each other: every add waits
//! for the cache line to come back from the other core (core/benches/recording.rs, group
//! `contention`, measures it). Each thread adds to the copy of its shard, on lines of its
//! own, and a scrape adds the copies up. A thread takes the next shard the first time
//! it records; there are as many shards as the machine runs threads at once, rounded up to a
//! power of two and at most [`MAX_SHARDS`], so the workers of a runtime (one per core) rarely
//! share one.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::OnceLock;

/// The most shards a counter has: beyond, the memory (a 64-byte line per shard and eight
/// counters) grows faster than contention falls.
pub(crate) const MAX_SHARDS: usize = 8;

/// Eight counters on a cache line of their own.
#[derive(Debug)]
#[repr(align(64))]
struct Line([AtomicU64; 8]);

/// How many shards counters have in this process.
fn shards() -> usize {
    static SHARDS: OnceLock<usize> = OnceLock::new();
    *SHARDS.get_or_init(|| {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .next_power_of_two()
            .min(MAX_SHARDS)
    })
}

/// This thread's shard, given out in turn the first time a thread asks.
#[inline]
pub(crate) fn shard() -> usize {
    thread_local! {
        static SHARD: Cell<usize> = const { Cell::new(usize::MAX) };
    }
    SHARD.with(|shard| {
        let mut index = shard.get();
        if index == usize::MAX {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            index = NEXT.fetch_add(1, Ordering::Relaxed) & (shards() - 1);
            shard.set(index);
        }
        index
    })
}

/// `len` counters, once per shard.
#[derive(Debug)]
pub(crate) struct Counters {
    lines: Box<[Line]>,
    /// Lines each shard's copy takes.
    per_shard: usize,
    len: usize,
}

impl Counters {
    pub(crate) fn new(len: usize) -> Self {
        let per_shard = len.div_ceil(8);
        Self {
            lines: (0..per_shard * shards())
                .map(|_| Line([const { AtomicU64::new(0) }; 8]))
                .collect(),
            per_shard,
            len,
        }
    }

    /// Counter `i` of `shard`'s copy.
    #[inline]
    fn at(&self, shard: usize, i: usize) -> &AtomicU64 {
        &self.lines[shard * self.per_shard + i / 8].0[i % 8]
    }

    /// Adds `value` to counter `i`, in the copy of `shard` (see [`shard`]).
    #[inline]
    pub(crate) fn add(&self, shard: usize, i: usize, value: u64) {
        self.at(shard, i).fetch_add(value, Ordering::Relaxed);
    }

    /// Adds `value` to counter `i` without going past `u64::MAX`.
    #[cfg(any(test, feature = "body-sizes"))]
    #[inline]
    pub(crate) fn add_saturating(&self, shard: usize, i: usize, value: u64) {
        let _ = self
            .at(shard, i)
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                Some(n.saturating_add(value))
            });
    }

    /// Counter `i`, added up over the shards (saturating, as [`Counters::add_saturating`]).
    pub(crate) fn get(&self, i: usize) -> u64 {
        self.copies(i).fold(0, u64::saturating_add)
    }

    /// Counter `i`, added up over the shards with wrapping: for a count that each shard
    /// may take below zero, as a `u64` that wrapped ([`Counters::add`] of `u64::MAX` takes
    /// one away).
    pub(crate) fn get_wrapping(&self, i: usize) -> u64 {
        self.copies(i).fold(0, u64::wrapping_add)
    }

    /// Counter `i` as each shard's copy holds it.
    fn copies(&self, i: usize) -> impl Iterator<Item = u64> + '_ {
        let shards = self.lines.len() / self.per_shard.max(1);
        (0..shards).map(move |shard| self.at(shard, i).load(Ordering::Relaxed))
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_from_every_thread_add_up() {
        let counters = Counters::new(15);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..1000 {
                        counters.add(shard(), 3, 2);
                        counters.add(shard(), 14, 1);
                    }
                });
            }
        });
        assert_eq!(
            (counters.get(3), counters.get(14), counters.get(0)),
            (8000, 4000, 0)
        );
        assert_eq!(counters.len(), 15);
        // A count taken below zero on one shard and back on another: the wrapping sum.
        counters.add(0, 5, u64::MAX);
        counters.add(shards() - 1, 5, 1);
        assert_eq!(counters.get_wrapping(5), 0);
        counters.add(0, 6, u64::MAX);
        assert_eq!(counters.get_wrapping(6) as i64, -1);
        counters.add_saturating(shard(), 0, u64::MAX);
        counters.add_saturating(shard(), 0, 5);
        assert_eq!(counters.get(0), u64::MAX);
    }

    #[test]
    fn shards_are_a_power_of_two_and_threads_spread_over_them() {
        let n = shards();
        assert!(n.is_power_of_two() && n <= MAX_SHARDS, "{n}");
        let mut seen: Vec<usize> = (0..n)
            .map(|_| std::thread::spawn(shard).join().unwrap())
            .collect();
        seen.sort_unstable();
        seen.dedup();
        // Threads take shards in turn: n fresh threads in a row cover them all, unless
        // another test's threads took turns in between.
        assert!(!seen.is_empty() && seen.iter().all(|&s| s < n), "{seen:?}");
        assert_eq!(std::mem::align_of::<Line>(), 64);
    }
}
