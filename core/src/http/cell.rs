//! One series' storage: [`DurationCell`], the latency histogram (whose count is the request
//! counter) with its head, body-size and native histograms and exemplar slots beside it, and
//! [`UpgradeCell`], the upgraded connections of one route and method.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::OnceLock;

use super::settings::CellShape;
#[cfg(feature = "native-histograms")]
use super::settings::Settings;
use super::shards::Counters;
use crate::Buckets;

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
    /// When the series was created, in seconds since the epoch: its start timestamp.
    created: f64,
}

impl DurationCell {
    pub(super) fn new(shape: CellShape) -> Self {
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
            created: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64()),
        }
    }

    /// When the series was created, in seconds since the epoch.
    pub(crate) fn created(&self) -> f64 {
        self.created
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
    pub(super) fn observe_native(&self, settings: &Settings, which: usize, nanos: u64) {
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
    pub(super) fn observe_head(&self, bucket: usize, nanos: u64) {
        if let Some(head) = &self.head {
            let shard = crate::http::shards::shard();
            head.add(shard, 1 + bucket, 1);
            head.add(shard, 0, nanos);
        }
    }

    #[inline]
    pub(super) fn observe(&self, bucket: usize, nanos: u64) {
        let shard = crate::http::shards::shard();
        self.counters.add(shard, 1 + bucket, 1);
        self.counters.add(shard, 0, nanos);
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

/// The upgraded connections of one (route, method): open now, and the lifetime of those
/// that closed.
#[derive(Debug)]
pub(crate) struct UpgradeCell {
    open: AtomicI64,
    /// Set by the first connection, so the series exists from then on.
    pub(super) opened: AtomicBool,
    /// The lifetimes' sum in nanoseconds, then the bucket counters.
    lifetimes: Box<[AtomicU64]>,
}

impl UpgradeCell {
    pub(super) fn new(buckets: usize) -> Self {
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
        // Released after the lifetime: a scrape that sees the connection closed sees it
        // counted.
        self.open.fetch_sub(1, Ordering::Release);
    }

    /// The connections open now, once one has been.
    pub(crate) fn open_now(&self) -> Option<i64> {
        self.opened
            .load(Ordering::Relaxed)
            .then(|| self.open.load(Ordering::Acquire))
    }

    /// Appends the lifetimes' sum (in nanoseconds) then each bucket's own count to `out`, and
    /// returns the count: the buckets' total.
    pub(crate) fn read_into(&self, out: &mut Vec<u64>) -> u64 {
        out.push(self.lifetimes[0].load(Ordering::Relaxed));
        let mut count = 0;
        for bucket in &self.lifetimes[1..] {
            let n = bucket.load(Ordering::Relaxed);
            count += n;
            out.push(n);
        }
        count
    }
}
