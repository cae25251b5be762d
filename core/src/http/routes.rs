//! The route table: one [`RouteEntry`] per route template, each with its series by method,
//! request-label value and status. A request touches only atomics: its route's entry is
//! resolved once (and cached by the adapters), the method indexes a fixed array, and the
//! status a two-level table of `OnceLock`s filled the first time a (route, method, status) is
//! seen. No label set is hashed and nothing is allocated once a series exists.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock, RwLock};

use super::cell::{DurationCell, UpgradeCell};
use super::settings::{CellShape, SeriesLimit, Settings};
use super::shards::Counters;
use crate::MethodLabel;

/// Status keys are 100..=999: nine classes of a hundred codes each. A cell is boxed: a
/// class's table is then 1.6 KB however many features a cell has (inline, a hundred cells
/// were 6 to 10 KB for the one or two codes a route answers in a class), and a scrape
/// walks that much less memory.
type StatusTable = [OnceLock<Box<DurationCell>>; 100];

#[derive(Debug)]
struct MethodSlot {
    /// The requests in flight, kept per shard ([`crate::shards`]): a request enters and
    /// leaves the shard of the thread it started on, so each shard's count, and the sum a
    /// scrape reads, stays at or above zero. (The sum wraps, as counts are `u64`.)
    /// Allocated by the first request, which also marks the series as existing from then
    /// on.
    in_flight: OnceLock<Counters>,
    classes: [OnceLock<Box<StatusTable>>; 9],
    /// The in-flight series' labels as the text formats write them, rendered by the first
    /// scrape.
    labels: OnceLock<Box<str>>,
}

impl MethodSlot {
    fn new() -> Self {
        Self {
            in_flight: OnceLock::new(),
            classes: [const { OnceLock::new() }; 9],
            labels: OnceLock::new(),
        }
    }

    #[inline]
    fn cell<'a>(&'a self, key: u16, limit: &'a SeriesLimit, shape: CellShape) -> &'a DurationCell {
        let (class, code) = (usize::from(key / 100 - 1), usize::from(key % 100));
        let table = self.classes[class].get_or_init(|| Box::new([const { OnceLock::new() }; 100]));
        if let Some(cell) = table[code].get() {
            return cell;
        }
        if !limit.reserve() {
            return &limit.overflow;
        }
        let mut created = false;
        let cell = table[code].get_or_init(|| {
            created = true;
            Box::new(DurationCell::new(shape))
        });
        if !created {
            // Another request created the same series first: give the budget back.
            limit.release();
        }
        cell
    }

    /// Existing status series in ascending key order.
    /// Calls `f` with each existing status series in ascending key order. Plain loops: a
    /// scrape walks every table of every route, and nested iterator adapters cost more.
    fn for_each_cell<'a, E>(
        &'a self,
        mut f: impl FnMut(u16, &'a DurationCell) -> Result<(), E>,
    ) -> Result<(), E> {
        for (class, table) in (1u16..).zip(&self.classes) {
            let Some(table) = table.get() else { continue };
            for (code, cell) in (0u16..).zip(table.iter()) {
                if let Some(cell) = cell.get() {
                    f(class * 100 + code, cell)?;
                }
            }
        }
        Ok(())
    }
}

/// Everything recorded for one route template.
#[derive(Debug)]
pub(crate) struct RouteEntry {
    template: Box<str>,
    excluded: bool,
    /// The series of request-label value 0 (all of them without a request label).
    methods: [MethodSlot; 10],
    /// Those of the request label's other values, 1 and up, each
    /// allocated when a request first has that value.
    labelled: Box<[OnceLock<Box<[MethodSlot; 10]>>]>,
    /// The upgraded connections by method, allocated by the first one.
    upgrades: OnceLock<Box<[UpgradeCell; 10]>>,
    settings: Arc<Settings>,
}

impl RouteEntry {
    fn new(template: &str, excluded: bool, settings: Arc<Settings>) -> Self {
        let values = settings.request_label.as_ref().map_or(1, |l| l.len());
        Self {
            template: template.into(),
            excluded,
            methods: std::array::from_fn(|_| MethodSlot::new()),
            labelled: (1..values).map(|_| OnceLock::new()).collect(),
            upgrades: OnceLock::new(),
            settings,
        }
    }

    #[inline]
    fn slot(&self, method: MethodLabel, label: u8) -> &MethodSlot {
        let methods = match label {
            0 => &self.methods,
            i => self.labelled[usize::from(i) - 1]
                .get_or_init(|| Box::new(std::array::from_fn(|_| MethodSlot::new()))),
        };
        &methods[method.index()]
    }

    pub(crate) fn template(&self) -> &str {
        &self.template
    }

    pub(crate) fn is_excluded(&self) -> bool {
        self.excluded
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Whether both entries belong to one table.
    pub(crate) fn shares_settings(&self, other: &RouteEntry) -> bool {
        Arc::ptr_eq(&self.settings, &other.settings)
    }

    /// Whether this entry belongs to `table`: entries share their table's settings.
    pub(crate) fn is_in(&self, table: &RouteTable) -> bool {
        Arc::ptr_eq(&self.settings, &table.settings)
    }

    #[inline]
    pub(crate) fn enter(&self, method: MethodLabel, label: u8, shard: u8) {
        let slot = self.slot(method, label);
        slot.in_flight
            .get_or_init(|| Counters::new(1))
            .add(usize::from(shard), 0, 1);
    }

    /// Records one request with `code` and `nanos` on this route's series.
    #[inline]
    pub(crate) fn observe(
        &self,
        method: MethodLabel,
        label: u8,
        code: u16,
        nanos: u64,
    ) -> Option<(&DurationCell, usize)> {
        let (cell, bucket) = self.cell_for(method, label, code, nanos)?;
        cell.observe(bucket, nanos);
        #[cfg(feature = "native-histograms")]
        cell.observe_native(&self.settings, 0, nanos);
        Some((cell, bucket))
    }

    /// Records one request's time to its response head ([`crate::DurationEnd::Both`]).
    #[inline]
    pub(crate) fn observe_head(&self, method: MethodLabel, label: u8, code: u16, nanos: u64) {
        if let Some((cell, bucket)) = self.cell_for(method, label, code, nanos) {
            cell.observe_head(bucket, nanos);
            #[cfg(feature = "native-histograms")]
            cell.observe_native(&self.settings, 1, nanos);
        }
    }

    /// The series a request with `code` records into, and the bucket of `nanos`; `None` for
    /// an excluded status. Always inlined: out of line (it has two callers) it cost about 45
    /// instructions a request more (BENCHMARKS.md, section 1b).
    #[inline(always)]
    fn cell_for(
        &self,
        method: MethodLabel,
        label: u8,
        code: u16,
        nanos: u64,
    ) -> Option<(&DurationCell, usize)> {
        let settings = &*self.settings;
        if settings.excluded_statuses.contains(code) {
            return None;
        }
        let slot = self.slot(method, label);
        let key = settings.status.key(code);
        let cell = slot.cell(key, &settings.limit, settings.shape);
        Some((cell, settings.buckets.index(nanos)))
    }

    /// The cell of upgraded connections on this route by `method`, when they are tracked
    /// (and the route is not excluded).
    pub(crate) fn upgrade_cell(&self, method: MethodLabel) -> Option<&UpgradeCell> {
        let buckets = self.settings.upgrades.as_ref()?;
        if self.excluded {
            return None;
        }
        let cells = self.upgrades.get_or_init(|| {
            Box::new(std::array::from_fn(|_| {
                UpgradeCell::new(buckets.len_with_inf())
            }))
        });
        Some(&cells[method.index()])
    }

    /// Every method's upgraded connections on this route, once the first one was opened.
    pub(crate) fn upgraded(&self) -> impl Iterator<Item = (MethodLabel, &UpgradeCell)> + '_ {
        self.upgrades
            .get()
            .into_iter()
            .flat_map(|cells| MethodLabel::ALL.into_iter().zip(cells.iter()))
            .filter(|(_, cell)| cell.opened.load(Ordering::Relaxed))
    }

    #[inline]
    pub(crate) fn leave(&self, method: MethodLabel, label: u8, shard: u8) {
        // A request leaves the gauge it entered, whose counters exist, on the shard it
        // entered.
        if let Some(in_flight) = self.slot(method, label).in_flight.get() {
            in_flight.add(usize::from(shard), 0, u64::MAX);
        }
    }

    /// Every request-label value's series, with its index.
    fn groups(&self) -> impl Iterator<Item = (u8, &[MethodSlot; 10])> {
        let labelled = self.labelled.iter().map(|slots| slots.get().map(|b| &**b));
        std::iter::once(Some(&self.methods))
            .chain(labelled)
            .enumerate()
            .filter_map(|(i, methods)| Some((i as u8, methods?)))
    }

    /// Calls `f` with every (method, request-label index, status key, cell) recorded so far,
    /// in exposition order.
    pub(crate) fn for_each_series<'a, E>(
        &'a self,
        mut f: impl FnMut(MethodLabel, u8, u16, &'a DurationCell) -> Result<(), E>,
    ) -> Result<(), E> {
        for (label, methods) in self.groups() {
            for (method, slot) in MethodLabel::ALL.into_iter().zip(methods) {
                slot.for_each_cell(|key, cell| f(method, label, key, cell))?;
            }
        }
        Ok(())
    }

    /// [`RouteEntry::in_flight`], with each series' cache of rendered labels.
    pub(crate) fn in_flight_series(
        &self,
    ) -> impl Iterator<Item = (MethodLabel, u8, i64, &OnceLock<Box<str>>)> + '_ {
        let labelled = self.settings.request_label.is_some();
        self.groups().flat_map(move |(label, methods)| {
            MethodLabel::ALL
                .into_iter()
                .zip(methods)
                .filter_map(move |(m, slot)| {
                    let n = slot.in_flight.get()?.get_wrapping(0) as i64;
                    if labelled && label == 0 && n == 0 {
                        let mut recorded = false;
                        let _ = slot.for_each_cell(|_, _| {
                            recorded = true;
                            Err(())
                        });
                        if !recorded {
                            return None;
                        }
                    }
                    Some((m, label, n, &slot.labels))
                })
        })
    }
}

/// All routes of one registry.
#[derive(Debug)]
pub(crate) struct RouteTable {
    settings: Arc<Settings>,
    excluded: Vec<Box<str>>,
    /// Templates matching one of these (`*`: any run of characters) are excluded too.
    excluded_patterns: Vec<Box<str>>,
    unmatched: Arc<RouteEntry>,
    routes: RwLock<HashMap<Box<str>, Arc<RouteEntry>>>,
    /// Every entry of `routes` in the order they were created, where a reader borrows them
    /// for as long as it borrows the table (a snapshot), without a lock.
    created: Arena<Arc<RouteEntry>>,
}

/// An append-only list whose elements never move: segment `s` holds `2^s` slots, allocated
/// when the first of them is filled. One writer at a time (the route table's write lock);
/// readers take the elements pushed before they looked.
struct Arena<T> {
    segments: [OnceLock<Box<[OnceLock<T>]>>; 32],
    len: std::sync::atomic::AtomicUsize,
}

impl<T> Arena<T> {
    fn new() -> Self {
        Self {
            segments: [const { OnceLock::new() }; 32],
            len: Default::default(),
        }
    }

    /// The segment and the slot of element `i`.
    fn locate(i: usize) -> (usize, usize) {
        let segment = (usize::BITS - 1 - (i + 1).leading_zeros()) as usize;
        (segment, i + 1 - (1 << segment))
    }

    /// Appends `value`; callers hold the write lock that makes them the only writer.
    fn push(&self, value: T) {
        let i = self.len.load(Ordering::Relaxed);
        let (segment, slot) = Self::locate(i);
        let slots = self.segments[segment]
            .get_or_init(|| (0..1 << segment).map(|_| OnceLock::new()).collect());
        let _ = slots[slot].set(value);
        self.len.store(i + 1, Ordering::Release);
    }

    fn iter(&self) -> impl Iterator<Item = &T> {
        let len = self.len.load(Ordering::Acquire);
        (0..len).filter_map(|i| {
            let (segment, slot) = Self::locate(i);
            self.segments[segment].get()?[slot].get()
        })
    }
}

impl<T> std::fmt::Debug for Arena<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Arena")
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

/// Whether `text` matches `pattern`, where `*` matches any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

impl RouteTable {
    pub(crate) fn new(
        settings: Settings,
        unmatched: &str,
        excluded: Vec<Box<str>>,
        excluded_patterns: Vec<Box<str>>,
    ) -> Self {
        let settings = Arc::new(settings);
        let unmatched = Arc::new(RouteEntry::new(unmatched, false, settings.clone()));
        Self {
            settings,
            excluded,
            excluded_patterns,
            unmatched,
            routes: RwLock::default(),
            created: Arena::new(),
        }
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    pub(crate) fn unmatched(&self) -> &Arc<RouteEntry> {
        &self.unmatched
    }

    /// The entry for a route template, created on first use.
    pub(crate) fn resolve(&self, template: &str) -> Arc<RouteEntry> {
        if template == self.unmatched.template() {
            return self.unmatched.clone();
        }
        if let Some(entry) = self.read().get(template) {
            return entry.clone();
        }
        let mut routes = self.routes.write().unwrap_or_else(|e| e.into_inner());
        routes
            .entry(template.into())
            .or_insert_with(|| {
                let excluded = self.excluded.iter().any(|e| **e == *template)
                    || self.excluded_patterns.iter().any(|p| glob(p, template));
                let entry = Arc::new(RouteEntry::new(template, excluded, self.settings.clone()));
                self.created.push(entry.clone());
                entry
            })
            .clone()
    }

    /// Every entry that can hold series, sorted by template (the unmatched entry included),
    /// so that expositions are stable and comparable across adapters.
    pub(crate) fn entries(&self) -> Vec<&RouteEntry> {
        let mut entries: Vec<&RouteEntry> = self
            .created
            .iter()
            .map(|e| &**e)
            .filter(|e| !e.is_excluded())
            .collect();
        entries.push(&self.unmatched);
        entries.sort_by(|a, b| a.template.cmp(&b.template));
        entries
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<Box<str>, Arc<RouteEntry>>> {
        // A panic while holding the lock cannot leave the map half-updated: insertion is the
        // only write, so the data is still consistent and recovering from poison is sound.
        self.routes.read().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod arena_tests {
    use super::Arena;

    #[test]
    fn elements_keep_their_order_across_segments() {
        let arena = Arena::new();
        for i in 0..1000 {
            arena.push(i);
        }
        assert!(arena.iter().copied().eq(0..1000));
        assert_eq!(Arena::<u8>::locate(0), (0, 0));
        assert_eq!(Arena::<u8>::locate(1), (1, 0));
        assert_eq!(Arena::<u8>::locate(2), (1, 1));
        assert_eq!(Arena::<u8>::locate(3), (2, 0));
    }
}

#[cfg(test)]
mod glob_tests {
    use super::glob;

    #[test]
    fn stars_match_any_run_of_characters() {
        assert!(glob("/internal/*", "/internal/x/{id}"));
        assert!(!glob("/internal/*", "/internals"));
        assert!(glob("*/healthz", "/v1/healthz"));
        assert!(glob("/a/*/c", "/a/b/x/c"));
        assert!(!glob("/a/*/c", "/a/c"));
        assert!(glob("/exact", "/exact"));
        assert!(!glob("/exact", "/exact/more"));
        assert!(glob("*", "/anything"));
        assert!(glob("/a*b*c", "/aXbYc"));
        assert!(!glob("/ab*ba", "/aba"));
    }
}
