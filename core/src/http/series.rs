//! The per-route storage behind the three HTTP metric families.
//!
//! A request touches only atomics: its route's entry is resolved once (and cached by the
//! adapters), the method indexes a fixed array, and the status indexes a two-level table of
//! `OnceLock`s that is filled the first time a (route, method, status) is seen. No label set
//! is hashed and nothing is allocated once a series exists.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use crate::http::shards::Counters;
use crate::{Buckets, MethodLabel, StatusLabel};

/// What each series holds, fixed by the options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CellShape {
    /// Latency buckets, `+Inf` included.
    pub(crate) buckets: usize,
    /// A head histogram too ([`crate::DurationEnd::Both`]).
    pub(crate) head: bool,
    /// An exemplar per bucket.
    pub(crate) exemplars: bool,
    /// Body-size buckets, `+Inf` included; 0 without body sizes.
    pub(crate) size_buckets: usize,
    /// Native-histogram counter groups; 0 without native histograms.
    #[cfg(feature = "native-histograms")]
    pub(crate) native_groups: usize,
}

/// Settings every route entry needs while recording.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) buckets: Buckets,
    /// The body-size histograms' buckets, when they are on.
    pub(crate) sizes: Option<Buckets>,
    /// The upgraded-connection lifetime histogram's buckets, when upgraded connections are
    /// tracked.
    pub(crate) upgrades: Option<Buckets>,
    pub(crate) shape: CellShape,
    pub(crate) duration_end: crate::DurationEnd,
    pub(crate) status: StatusLabel,
    pub(crate) cancelled_status: u16,
    pub(crate) error_status: u16,
    pub(crate) panic_status: u16,
    pub(crate) limit: SeriesLimit,
    pub(crate) labels: crate::labels::naming::LabelNames,
    pub(crate) excluded_statuses: StatusSet,
    pub(crate) request_label: Option<crate::RequestLabel>,
    #[cfg(feature = "exemplars")]
    pub(crate) exemplars: Option<crate::Exemplars>,
    /// The native histograms' schema and key range, when they are on.
    #[cfg(feature = "native-histograms")]
    pub(crate) native: Option<crate::http::native::Layout>,
}

impl Settings {
    /// Whether the series keep exemplars.
    #[inline]
    pub(crate) fn exemplars_on(&self) -> bool {
        #[cfg(feature = "exemplars")]
        return self.exemplars.is_some();
        #[cfg(not(feature = "exemplars"))]
        false
    }
}

/// A set of status codes (`0..1024`), one bit each.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct StatusSet {
    bits: [u64; 16],
    /// No bit is set: what most services have, answered without reading the bits.
    empty: bool,
}

impl StatusSet {
    pub(crate) fn new() -> Self {
        Self {
            bits: [0; 16],
            empty: true,
        }
    }

    pub(crate) fn insert(&mut self, code: u16) {
        let code = usize::from(code & 1023);
        self.bits[code / 64] |= 1 << (code % 64);
        self.empty = false;
    }

    #[inline]
    pub(crate) fn contains(&self, code: u16) -> bool {
        if self.empty {
            return false;
        }
        let code = usize::from(code & 1023);
        self.bits[code / 64] & (1 << (code % 64)) != 0
    }
}

/// The cap on (route, method, status) series, shared by the counter and the histogram.
#[derive(Debug)]
pub(crate) struct SeriesLimit {
    max: usize,
    created: std::sync::atomic::AtomicUsize,
    /// Where requests go once the cap is reached; its count is the number folded.
    pub(crate) overflow: DurationCell,
    /// `metrics_series_folded_total{metric="http_requests"}`.
    folded: prometheus_client::metrics::counter::Counter,
}

impl SeriesLimit {
    pub(crate) fn new(
        max: usize,
        shape: CellShape,
        folded: prometheus_client::metrics::counter::Counter,
    ) -> Self {
        Self {
            max,
            created: Default::default(),
            overflow: DurationCell::new(shape),
            folded,
        }
    }

    /// Takes one series from the budget, or reports the cap reached.
    fn reserve(&self) -> bool {
        let ok = self
            .created
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < self.max).then_some(n + 1)
            })
            .is_ok();
        if !ok {
            self.folded.inc();
        }
        ok
    }

    fn release(&self) {
        self.created.fetch_sub(1, Ordering::Relaxed);
    }
}

/// One series of the latency histogram; its count doubles as the request counter.
///
/// The sum and the bucket counters share one allocation, apart from the pointer to it: the
/// lines that requests on other cores write are not the one a request reads to find its
/// series, and the sum shares its line with the first buckets, where most requests land.
/// They are kept once per shard ([`crate::shards`]): threads recording at once write lines
/// of their own.
#[derive(Debug)]
pub(crate) struct DurationCell {
    /// The sum in nanoseconds, then the bucket counters.
    counters: Counters,
    /// With [`crate::DurationEnd::Both`], the head histogram's: its sum, then its buckets.
    head: Option<Counters>,
    /// With body sizes, the request-size histogram's sum and buckets, then the
    /// response-size histogram's.
    #[cfg(feature = "body-sizes")]
    sizes: Option<Counters>,
    /// With exemplars, the last one of each bucket.
    #[cfg(feature = "exemplars")]
    exemplars: Option<Box<crate::http::exemplar::Slots>>,
    /// With native histograms, the latency histogram's native buckets, then (with
    /// [`crate::DurationEnd::Both`]) the head histogram's.
    #[cfg(feature = "native-histograms")]
    native: Option<Box<[crate::http::native::NativeCell]>>,
    /// The series' labels as the text formats write them, rendered by the first scrape.
    labels: OnceLock<Box<str>>,
}

impl DurationCell {
    fn new(shape: CellShape) -> Self {
        Self {
            counters: Counters::new(1 + shape.buckets),
            head: shape.head.then(|| Counters::new(1 + shape.buckets)),
            #[cfg(feature = "body-sizes")]
            sizes: (shape.size_buckets > 0).then(|| Counters::new(2 * (1 + shape.size_buckets))),
            #[cfg(feature = "exemplars")]
            exemplars: shape
                .exemplars
                .then(|| Box::new(crate::http::exemplar::Slots::new(shape.buckets))),
            #[cfg(feature = "native-histograms")]
            native: (shape.native_groups > 0).then(|| {
                let histograms = if shape.head { 2 } else { 1 };
                (0..histograms)
                    .map(|_| crate::http::native::NativeCell::new(shape.native_groups))
                    .collect()
            }),
            labels: OnceLock::new(),
        }
    }

    /// The series' rendered labels, rendered by `render` the first time they are asked for.
    pub(crate) fn labels(&self, render: impl FnOnce() -> String) -> &str {
        self.labels.get_or_init(|| render().into_boxed_str())
    }

    /// Reads the sum (in the recorded unit) and the buckets into `out`, each counter once,
    /// and returns the count: the buckets' total.
    pub(crate) fn read_into(&self, out: &mut Vec<u64>) -> u64 {
        read_into(&self.counters, 0, self.counters.len(), out)
    }

    /// [`DurationCell::read_into`] of the head histogram, or nothing without one.
    pub(crate) fn read_head_into(&self, out: &mut Vec<u64>) -> Option<u64> {
        self.head
            .as_ref()
            .map(|head| read_into(head, 0, head.len(), out))
    }

    /// [`DurationCell::read_into`] of the request-size (or, with `response`, the
    /// response-size) histogram, or nothing without body sizes.
    pub(crate) fn read_size_into(&self, response: bool, out: &mut Vec<u64>) -> Option<u64> {
        #[cfg(feature = "body-sizes")]
        {
            let sizes = self.sizes.as_ref()?;
            let half = sizes.len() / 2;
            let first = if response { half } else { 0 };
            Some(read_into(sizes, first, half, out))
        }
        #[cfg(not(feature = "body-sizes"))]
        {
            let _ = (response, out);
            None
        }
    }

    /// Records `nanos` in the native histogram `which` (0: the latency histogram, 1: the
    /// head histogram), when this cell keeps native histograms.
    #[cfg(feature = "native-histograms")]
    #[inline]
    fn observe_native(&self, settings: &Settings, which: usize, nanos: u64) {
        if let (Some(cells), Some(layout)) = (&self.native, &settings.native) {
            cells[which].observe(layout, nanos);
        }
    }

    /// The native histogram `which` (0: latency, 1: head), when this cell keeps them.
    #[cfg(feature = "native-histograms")]
    pub(crate) fn native(&self, which: usize) -> Option<&crate::http::native::NativeCell> {
        self.native.as_deref()?.get(which)
    }

    /// Records one request's body sizes, when this cell keeps them.
    #[cfg(feature = "body-sizes")]
    #[inline]
    pub(crate) fn observe_sizes(&self, bounds: &Buckets, request: u64, response: u64) {
        if let Some(sizes) = &self.sizes {
            let shard = crate::http::shards::shard();
            let half = sizes.len() / 2;
            for (first, bytes) in [(0, request), (half, response)] {
                sizes.add(shard, first + 1 + bounds.index(bytes), 1);
                // Saturating: a size can come from a client's `Content-Length` (see the
                // tower adapter), and a wrapped sum would run backwards.
                sizes.add_saturating(shard, first, bytes);
            }
        }
    }

    /// [`DurationCell::snapshot`] of the request-size (or, with `response`, the
    /// response-size) histogram, when this cell keeps them.
    pub(crate) fn size_snapshot(
        &self,
        response: bool,
        bounds: &Buckets,
        out: &mut Vec<(f64, u64)>,
    ) -> Option<(f64, u64)> {
        #[cfg(feature = "body-sizes")]
        {
            let sizes = self.sizes.as_ref()?;
            let half = sizes.len() / 2;
            let first = if response { half } else { 0 };
            Some(snapshot(|i| sizes.get(first + i), half, bounds, out))
        }
        #[cfg(not(feature = "body-sizes"))]
        {
            let _ = (response, bounds, out);
            None
        }
    }

    /// The cell's exemplars, when it keeps them.
    #[cfg(feature = "exemplars")]
    pub(crate) fn exemplars(&self) -> Option<&crate::http::exemplar::Slots> {
        self.exemplars.as_deref()
    }

    /// Keeps `trace` as the exemplar of `bucket`, when the cell keeps exemplars. Out of line:
    /// the requests that carry a trace pay for it, the others not.
    #[cfg(feature = "exemplars")]
    #[cold]
    #[inline(never)]
    pub(crate) fn keep_exemplar(&self, bucket: usize, nanos: u64, trace: &crate::TraceContext) {
        if let Some(slots) = &self.exemplars {
            slots.record(bucket, nanos, trace);
        }
    }

    /// Records the time to the response head, when this cell keeps it.
    #[inline]
    fn observe_head(&self, bucket: usize, nanos: u64) {
        if let Some(head) = &self.head {
            let shard = crate::http::shards::shard();
            head.add(shard, 1 + bucket, 1);
            head.add(shard, 0, nanos);
        }
    }

    /// [`DurationCell::snapshot`] of the head histogram, when this cell keeps one.
    pub(crate) fn head_snapshot(
        &self,
        bounds: &Buckets,
        out: &mut Vec<(f64, u64)>,
    ) -> Option<(f64, u64)> {
        self.head
            .as_ref()
            .map(|head| snapshot(|i| head.get(i), head.len(), bounds, out))
    }

    #[inline]
    fn observe(&self, bucket: usize, nanos: u64) {
        let shard = crate::http::shards::shard();
        self.counters.add(shard, 1 + bucket, 1);
        self.counters.add(shard, 0, nanos);
    }

    /// Reads the cell into `out` as (upper bound, non-cumulative count) pairs and returns
    /// (sum in seconds, count). The count is the sum of the buckets read, so the `+Inf`
    /// bucket and `_count` always agree within one scrape.
    pub(crate) fn snapshot(&self, bounds: &Buckets, out: &mut Vec<(f64, u64)>) -> (f64, u64) {
        snapshot(|i| self.counters.get(i), self.counters.len(), bounds, out)
    }

    pub(crate) fn count(&self) -> u64 {
        (1..self.counters.len()).map(|i| self.counters.get(i)).sum()
    }
}

/// Appends the sum then each bucket of the `len` counters of `counters` from `first` (a
/// sum, then buckets) to `out`, and returns the buckets' total.
fn read_into(counters: &Counters, first: usize, len: usize, out: &mut Vec<u64>) -> u64 {
    out.push(counters.get(first));
    let mut count = 0;
    for i in first + 1..first + len {
        let n = counters.get(i);
        count += n;
        out.push(n);
    }
    count
}

/// Reads a histogram's `len` counters, `get(0)` its sum (in the recorded unit) and the
/// others its buckets, into `out` as (upper bound, non-cumulative count) pairs, and returns
/// (sum in the exposed unit, count). The count is the sum of the buckets read, so the `+Inf`
/// bucket and `_count` always agree within one scrape.
fn snapshot(
    get: impl Fn(usize) -> u64,
    len: usize,
    bounds: &Buckets,
    out: &mut Vec<(f64, u64)>,
) -> (f64, u64) {
    out.clear();
    let mut count = 0;
    for i in 1..len {
        let n = get(i);
        count += n;
        out.push((
            bounds
                .as_slice()
                .get(i - 1)
                .copied()
                .unwrap_or(f64::INFINITY),
            n,
        ));
    }
    (bounds.to_unit(get(0)), count)
}

/// The upgraded connections of one (route, method): open now, and the lifetime of those
/// that closed.
#[derive(Debug)]
pub(crate) struct UpgradeCell {
    open: AtomicI64,
    /// Set by the first connection, so the series exists from then on.
    opened: AtomicBool,
    /// The lifetimes' sum in nanoseconds, then the bucket counters.
    lifetimes: Box<[AtomicU64]>,
}

impl UpgradeCell {
    fn new(buckets: usize) -> Self {
        Self {
            open: AtomicI64::new(0),
            opened: AtomicBool::new(false),
            lifetimes: (0..=buckets).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    pub(crate) fn open(&self) {
        self.opened.store(true, Ordering::Relaxed);
        self.open.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn close(&self, bounds: &Buckets, nanos: u64) {
        self.lifetimes[1 + bounds.index(nanos)].fetch_add(1, Ordering::Relaxed);
        self.lifetimes[0].fetch_add(nanos, Ordering::Relaxed);
        self.open.fetch_sub(1, Ordering::Relaxed);
    }

    /// The connections open now, once one has been.
    pub(crate) fn open_now(&self) -> Option<i64> {
        self.opened
            .load(Ordering::Relaxed)
            .then(|| self.open.load(Ordering::Relaxed))
    }

    /// [`DurationCell::snapshot`] of the lifetimes.
    pub(crate) fn snapshot(&self, bounds: &Buckets, out: &mut Vec<(f64, u64)>) -> (f64, u64) {
        let get = |i: usize| self.lifetimes[i].load(Ordering::Relaxed);
        snapshot(get, self.lifetimes.len(), bounds, out)
    }
}

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

    /// The in-flight gauge of every (method, request-label index) that has seen a request.
    ///
    /// With a request label, every request enters value 0 (`other`) before its header moves
    /// it: that slot's series is shown only when a request is in flight there or one was
    /// recorded there, not for the requests that only passed through.
    pub(crate) fn in_flight(&self) -> impl Iterator<Item = (MethodLabel, u8, i64)> + '_ {
        self.in_flight_series()
            .map(|(m, label, n, _)| (m, label, n))
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

/// All routes of one [`crate::HttpMetrics`], shared by its metric families.
#[derive(Debug)]
pub(crate) struct RouteTable {
    settings: Arc<Settings>,
    excluded: Vec<Box<str>>,
    /// Templates matching one of these (`*`: any run of characters) are excluded too.
    excluded_patterns: Vec<Box<str>>,
    unmatched: Arc<RouteEntry>,
    routes: RwLock<HashMap<Box<str>, Arc<RouteEntry>>>,
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
                Arc::new(RouteEntry::new(template, excluded, self.settings.clone()))
            })
            .clone()
    }

    /// Every entry that can hold series, sorted by template (the unmatched entry included),
    /// so that expositions are stable and comparable across adapters.
    pub(crate) fn entries(&self) -> Vec<Arc<RouteEntry>> {
        let mut entries: Vec<_> = self
            .read()
            .values()
            .filter(|e| !e.is_excluded())
            .cloned()
            .collect();
        entries.push(self.unmatched.clone());
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
