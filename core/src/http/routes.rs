//! The route table: one [`RouteEntry`] per route template, each with its series by method,
//! request-label value and status. A request touches only atomics: its route's entry is
//! resolved once (and cached by the adapters), the method indexes a fixed array, and the
//! status a two-level table of `OnceLock`s filled the first time a (route, method, status) is
//! seen. No label set is hashed and nothing is allocated once a series exists.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use super::cell::{DurationCell, UpgradeCell};
use super::settings::{CellShape, SeriesLimit, Settings};
use super::shards::Counters;
use crate::MethodLabel;

/// The statuses of one class (status keys are 100..=999: nine classes of a hundred codes
/// each). Each cell is boxed, so that a class's table stays small whatever a cell holds:
/// a route answers one or two codes of a class, and a scrape walks the table.
#[derive(Debug)]
struct StatusTable {
    cells: [OnceLock<Box<DurationCell>>; 100],
    /// A bit for each cell that exists, so that a scrape reads only those.
    present: Bits<2>,
}

impl StatusTable {
    fn new() -> Box<Self> {
        Box::new(Self {
            cells: [const { OnceLock::new() }; 100],
            present: Bits::new(),
        })
    }
}

/// A set of up to `64 × N` indexes, set once each and read by scrapes: which cells, tables
/// and slots exist, so that a scrape walks those and no others.
#[derive(Debug)]
struct Bits<const N: usize>([AtomicU64; N]);

impl<const N: usize> Bits<N> {
    const fn new() -> Self {
        Self([const { AtomicU64::new(0) }; N])
    }

    /// Marks `i`; called once the thing it stands for exists.
    fn insert(&self, i: usize) {
        self.0[i / 64].fetch_or(1 << (i % 64), Ordering::Release);
    }

    /// Calls `f` with every index marked, ascending.
    #[inline]
    fn for_each<E>(&self, mut f: impl FnMut(usize) -> Result<(), E>) -> Result<(), E> {
        for (word, bits) in self.0.iter().enumerate() {
            let mut bits = bits.load(Ordering::Acquire);
            while bits != 0 {
                f(word * 64 + bits.trailing_zeros() as usize)?;
                bits &= bits - 1;
            }
        }
        Ok(())
    }
}

#[derive(Debug)]
struct MethodSlot {
    /// The requests in flight, kept per shard ([`crate::shards`]): a request enters and
    /// leaves the shard of the thread it started on, so each shard's count, and the sum a
    /// scrape reads, stays at or above zero. (The sum wraps, as counts are `u64`.)
    /// Allocated by the first request, which also marks the series as existing from then
    /// on.
    in_flight: OnceLock<Counters>,
    classes: [OnceLock<Box<StatusTable>>; 9],
    /// The classes whose table exists.
    present: Bits<1>,
    /// The in-flight series' labels as the text formats write them, rendered by the first
    /// scrape.
    labels: OnceLock<Box<str>>,
}

impl MethodSlot {
    fn new() -> Self {
        Self {
            in_flight: OnceLock::new(),
            classes: [const { OnceLock::new() }; 9],
            present: Bits::new(),
            labels: OnceLock::new(),
        }
    }

    #[inline]
    /// The cell of status key `key`, created (within the series cap) the first time; `used`
    /// is the set this slot's method is marked in when its first series is.
    fn cell<'a>(
        &'a self,
        key: u16,
        limit: &'a SeriesLimit,
        shape: CellShape,
        used: (&Bits<1>, MethodLabel),
    ) -> &'a DurationCell {
        let (class, code) = (usize::from(key / 100 - 1), usize::from(key % 100));
        let table = match self.classes[class].get() {
            Some(table) => table,
            None => self.new_table(class, used),
        };
        if let Some(cell) = table.cells[code].get() {
            return cell;
        }
        if !limit.reserve() {
            return &limit.overflow;
        }
        let mut created = false;
        let cell = table.cells[code].get_or_init(|| {
            created = true;
            Box::new(DurationCell::new(shape))
        });
        if created {
            table.present.insert(code);
        } else {
            // Another request created the same series first: give the budget back.
            limit.release();
        }
        cell
    }

    #[cold]
    fn new_table(&self, class: usize, (used, method): (&Bits<1>, MethodLabel)) -> &StatusTable {
        let table = self.classes[class].get_or_init(StatusTable::new);
        self.present.insert(class);
        used.insert(method.index());
        table
    }

    /// Calls `f` with each existing status series in ascending key order, reading only the
    /// tables and cells that exist.
    #[inline]
    fn for_each_cell<'a, E>(
        &'a self,
        mut f: impl FnMut(u16, &'a DurationCell) -> Result<(), E>,
    ) -> Result<(), E> {
        self.present.for_each(|class| {
            let Some(table) = self.classes[class].get() else {
                return Ok(());
            };
            table
                .present
                .for_each(|code| match table.cells[code].get() {
                    Some(cell) => f(100 * (class as u16 + 1) + code as u16, cell),
                    None => Ok(()),
                })
        })
    }
}

/// The series of one request-label value, by method.
#[derive(Debug)]
struct Methods {
    slots: [MethodSlot; 10],
    /// The methods that have seen a request.
    used: Bits<1>,
}

impl Methods {
    fn new() -> Self {
        Self {
            slots: std::array::from_fn(|_| MethodSlot::new()),
            used: Bits::new(),
        }
    }

    /// Every method that has seen a request, with its slot.
    fn used(&self) -> impl Iterator<Item = (MethodLabel, &MethodSlot)> {
        let mut bits = self.used.0[0].load(Ordering::Acquire);
        std::iter::from_fn(move || {
            if bits == 0 {
                return None;
            }
            let i = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            Some((MethodLabel::ALL[i], &self.slots[i]))
        })
    }
}

/// Everything recorded for one route template.
#[derive(Debug)]
pub(crate) struct RouteEntry {
    template: Box<str>,
    excluded: bool,
    /// The series of request-label value 0 (all of them without a request label).
    methods: Methods,
    /// Those of the request label's other values, 1 and up, each
    /// allocated when a request first has that value.
    labelled: Box<[OnceLock<Box<Methods>>]>,
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
            methods: Methods::new(),
            labelled: (1..values).map(|_| OnceLock::new()).collect(),
            upgrades: OnceLock::new(),
            settings,
        }
    }

    #[inline]
    fn methods(&self, label: u8) -> &Methods {
        match label {
            0 => &self.methods,
            i => self.labelled[usize::from(i) - 1].get_or_init(|| Box::new(Methods::new())),
        }
    }

    #[inline]
    fn slot(&self, method: MethodLabel, label: u8) -> &MethodSlot {
        &self.methods(label).slots[method.index()]
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
        let in_flight = match slot.in_flight.get() {
            Some(in_flight) => in_flight,
            None => self.first_request(method, label),
        };
        in_flight.add(usize::from(shard), 0, 1);
    }

    /// The in-flight gauge of a (method, request-label value) that sees its first request.
    #[cold]
    fn first_request(&self, method: MethodLabel, label: u8) -> &Counters {
        let methods = self.methods(label);
        let in_flight = methods.slots[method.index()]
            .in_flight
            .get_or_init(|| Counters::new(1));
        methods.used.insert(method.index());
        in_flight
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
    /// an excluded status. Always inlined into its two callers: it is the request's path to its
    /// series, and a call would cost each request more than the inlined copy.
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
        let methods = self.methods(label);
        let slot = &methods.slots[method.index()];
        let key = settings.status.key(code);
        let cell = slot.cell(
            key,
            &settings.limit,
            settings.shape,
            (&methods.used, method),
        );
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
    fn groups(&self) -> impl Iterator<Item = (u8, &Methods)> {
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
            for (method, slot) in methods.used() {
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
            methods.used().filter_map(move |(m, slot)| {
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
