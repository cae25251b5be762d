//! Native histograms: Prometheus' sparse exponential buckets, kept beside (or instead of)
//! the classic buckets of the latency histograms, served in the Prometheus protobuf format
//! (the one exposition that carries them) and pushed by remote-write.
//!
//! A native histogram of schema `s` has bucket `k` covering `(2^((k-1)/2^s), 2^(k/2^s)]`
//! seconds: each bucket is `2^(2^-s)` times as wide as the one before, so a quantile read from
//! it is off by at most that factor, whatever the latencies are, without choosing bounds.
//! Observations of exactly zero go to the zero bucket.
//!
//! Recording stays lock-free and allocation-free once a bucket exists: a duration's bucket
//! index is computed from the float's exponent and mantissa (as client_golang does), and the
//! counters live in groups of 64 allocated the first time a duration lands in them. The key
//! range is fixed by the schema: every duration from one nanosecond to `u64::MAX`
//! nanoseconds has a counter, so no observation is clamped or dropped, and the resolution
//! never has to be reduced at run time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use crate::model::NativeHistogram;
use crate::ConfigError;

/// The zero bucket's threshold as exposed: client_golang's default, 2^-128. Durations are
/// whole nanoseconds, so only a duration of exactly zero lands in it.
const ZERO_THRESHOLD: f64 = 2.938735877055719e-39;

/// Counters per group: one allocation of 512 bytes.
const GROUP: usize = 64;

/// Native histograms for the latency histograms: see
/// [`HttpMetricsBuilder::native_histograms`](crate::HttpMetricsBuilder::native_histograms).
///
/// ```
/// use http_metrics_core::{HttpMetrics, NativeHistograms};
///
/// // Buckets at most 10% wide, as client_golang's `NativeHistogramBucketFactor: 1.1`
/// // (schema 3: each bucket 2^(1/8) ≈ 1.09 times the one before), classic buckets kept.
/// let metrics = HttpMetrics::builder()
///     .native_histograms(NativeHistograms::new().bucket_factor(1.1))
///     .build()
///     .unwrap();
/// assert_eq!(NativeHistograms::new().bucket_factor(1.1).schema(), Some(3));
/// # drop(metrics);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NativeHistograms {
    resolution: Resolution,
    classic: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Resolution {
    Schema(i8),
    /// A bucket factor that is not above 1.
    InvalidFactor(f64),
}

/// The schema client_golang picks for its default bucket factor, 1.1.
pub const DEFAULT_NATIVE_SCHEMA: i8 = 3;

impl NativeHistograms {
    /// Schema [`DEFAULT_NATIVE_SCHEMA`] (3: buckets about 9% wide), classic buckets kept.
    pub const fn new() -> Self {
        Self {
            resolution: Resolution::Schema(DEFAULT_NATIVE_SCHEMA),
            classic: true,
        }
    }

    /// The widest buckets whose growth factor is at most `factor` (client_golang's
    /// `NativeHistogramBucketFactor`): 1.1 gives schema 3, 2 gives schema 0, anything below
    /// 1.0054 the finest, schema 8, anything from 65536 up the coarsest, schema -4. A factor
    /// that is not above 1 is refused by
    /// [`HttpMetricsBuilder::build`](crate::HttpMetricsBuilder::build).
    ///
    /// ```
    /// use http_metrics_core::NativeHistograms;
    ///
    /// assert_eq!(NativeHistograms::new().bucket_factor(2.0).schema(), Some(0));
    /// assert_eq!(NativeHistograms::new().bucket_factor(1.0001).schema(), Some(8));
    /// assert_eq!(NativeHistograms::new().bucket_factor(1.0).schema(), None);
    /// ```
    pub fn bucket_factor(mut self, factor: f64) -> Self {
        self.resolution = if factor > 1.0 && factor.is_finite() {
            let floor = factor.log2().log2().floor();
            Resolution::Schema(if floor <= -8.0 {
                8
            } else if floor >= 4.0 {
                -4
            } else {
                -(floor as i8)
            })
        } else {
            Resolution::InvalidFactor(factor)
        };
        self
    }

    /// Sets the schema directly: `-4..=8`, where bucket `k` ends at `2^(k / 2^schema)`
    /// seconds. Others are refused by
    /// [`HttpMetricsBuilder::build`](crate::HttpMetricsBuilder::build).
    ///
    /// ```
    /// use http_metrics_core::{HttpMetrics, NativeHistograms};
    ///
    /// let bad = HttpMetrics::builder().native_histograms(NativeHistograms::new().with_schema(9));
    /// assert_eq!(
    ///     bad.build().unwrap_err().to_string(),
    ///     "invalid native histograms: schema 9 is outside -4..=8"
    /// );
    /// ```
    pub fn with_schema(mut self, schema: i8) -> Self {
        self.resolution = Resolution::Schema(schema);
        self
    }

    /// Whether the classic buckets are kept beside the native ones (the default). Without
    /// them, the text formats show each latency histogram with its `+Inf` bucket, `_sum` and
    /// `_count` only, as client_golang does for a native-only histogram, and only a protobuf
    /// scrape or a remote-write push has the distribution.
    pub fn classic_buckets(mut self, keep: bool) -> Self {
        self.classic = keep;
        self
    }

    /// The schema these options choose, or `None` for an invalid bucket factor.
    pub fn schema(&self) -> Option<i8> {
        match self.resolution {
            Resolution::Schema(s) => Some(s),
            Resolution::InvalidFactor(_) => None,
        }
    }

    pub(crate) fn keeps_classic(&self) -> bool {
        self.classic
    }

    pub(crate) fn layout(&self) -> Result<Layout, ConfigError> {
        match self.resolution {
            Resolution::InvalidFactor(f) => Err(ConfigError::NativeHistograms(format!(
                "bucket factor {f} must be a finite number above 1"
            ))),
            Resolution::Schema(s) if !(-4..=8).contains(&s) => Err(ConfigError::NativeHistograms(
                format!("schema {s} is outside -4..=8"),
            )),
            Resolution::Schema(s) => Ok(Layout::new(s)),
        }
    }
}

impl Default for NativeHistograms {
    fn default() -> Self {
        Self::new()
    }
}

/// The key range and the bounds of one schema, shared by every series.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Layout {
    schema: i8,
    /// For a positive schema, `2^(j / 2^schema) / 2` for each `j` below `2^schema`: where a
    /// mantissa in `[0.5, 1)` falls among the octave's buckets.
    bounds: Box<[f64]>,
    /// The key of one nanosecond.
    min_key: i32,
    /// Groups of [`GROUP`] counters covering every key up to that of `u64::MAX` ns.
    groups: usize,
}

impl Layout {
    fn new(schema: i8) -> Self {
        let bounds = if schema > 0 {
            let n = 1usize << schema;
            (0..n).map(|j| (j as f64 / n as f64).exp2() / 2.0).collect()
        } else {
            Box::default()
        };
        let mut layout = Self {
            schema,
            bounds,
            min_key: 0,
            groups: 0,
        };
        layout.min_key = layout.key(1);
        let keys = (layout.key(u64::MAX) - layout.min_key + 1) as usize;
        layout.groups = keys.div_ceil(GROUP);
        layout
    }

    /// The key of the bucket holding `nanos` (at least 1), as client_golang computes it from
    /// the duration in seconds: `frexp` of the value, then the mantissa's place among the
    /// octave's bounds (a positive schema) or the exponent merged by `2^-schema` octaves.
    #[inline]
    pub(crate) fn key(&self, nanos: u64) -> i32 {
        // Division, not multiplication by 1e-9: 0.5 s must be exactly 0.5, the upper bound
        // of its bucket, not a hair above.
        let seconds = nanos as f64 / 1e9;
        let bits = seconds.to_bits();
        // Normal: 1 ns is about 2^-30.
        let exp = ((bits >> 52) & 0x7ff) as i32 - 1022;
        let frac = f64::from_bits((bits & ((1 << 52) - 1)) | (1022 << 52));
        if self.schema > 0 {
            let i = self.bounds.partition_point(|&b| b < frac) as i32;
            i + (exp - 1) * self.bounds.len() as i32
        } else {
            let key = if frac == 0.5 { exp - 1 } else { exp };
            let shift = -i32::from(self.schema);
            (key + (1 << shift) - 1) >> shift
        }
    }

    pub(crate) fn groups(&self) -> usize {
        self.groups
    }
}

/// One native histogram's counters: the zero bucket, then the sparse groups.
#[derive(Debug)]
pub(crate) struct NativeCell {
    zero: AtomicU64,
    groups: Box<[OnceLock<Box<[AtomicU64; GROUP]>>]>,
}

impl NativeCell {
    /// A cell of `groups` groups: [`Layout::groups`].
    pub(crate) fn new(groups: usize) -> Self {
        Self {
            zero: AtomicU64::new(0),
            groups: (0..groups).map(|_| OnceLock::new()).collect(),
        }
    }

    #[inline]
    pub(crate) fn observe(&self, layout: &Layout, nanos: u64) {
        if nanos == 0 {
            self.zero.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let i = (layout.key(nanos) - layout.min_key) as usize;
        let group =
            self.groups[i / GROUP].get_or_init(|| Box::new([const { AtomicU64::new(0) }; GROUP]));
        group[i % GROUP].fetch_add(1, Ordering::Relaxed);
    }

    /// Reads the buckets into `out` in the protobuf form (spans of consecutive keys, the
    /// first offset absolute and each later one the gap since the previous span; counts as
    /// deltas from the previous bucket) and returns (zero bucket count, total count). Gaps of
    /// one or two empty buckets are written as zero counts inside a span, as client_golang
    /// does: that is shorter than a new span.
    fn snapshot(&self, layout: &Layout, out: &mut Snapshot) -> (u64, u64) {
        out.spans.clear();
        out.deltas.clear();
        let zero = self.zero.load(Ordering::Relaxed);
        let mut total = zero;
        let (mut previous_key, mut previous_count) = (None::<i32>, 0u64);
        for (g, group) in self.groups.iter().enumerate() {
            let Some(group) = group.get() else { continue };
            for (j, counter) in group.iter().enumerate() {
                let n = counter.load(Ordering::Relaxed);
                if n == 0 {
                    continue;
                }
                total += n;
                let key = layout.min_key + (g * GROUP + j) as i32;
                match previous_key {
                    None => out.spans.push((key, 1)),
                    Some(previous) => {
                        let gap = key - previous - 1;
                        if gap > 2 {
                            out.spans.push((gap, 1));
                        } else {
                            let span = out.spans.last_mut().expect("a span is open");
                            for _ in 0..gap {
                                out.deltas.push(-(previous_count as i64));
                                previous_count = 0;
                            }
                            span.1 += gap as u32 + 1;
                        }
                    }
                }
                out.deltas.push(n as i64 - previous_count as i64);
                previous_key = Some(key);
                previous_count = n;
            }
        }
        (zero, total)
    }
}

/// Reads one of each series' native histograms (0: latency, 1: head) for a protobuf
/// scrape, series after series, into buffers it reuses.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    which: usize,
    layout: &'a Layout,
    snapshot: Snapshot,
    /// Whether classic buckets are kept beside the native ones.
    pub(crate) classic: bool,
}

impl<'a> Reader<'a> {
    /// A reader of native histogram `which`, or `None` when `settings` keep none.
    pub(crate) fn new(settings: &'a super::settings::Settings, which: usize) -> Option<Self> {
        Some(Self {
            which,
            layout: settings.native.as_ref()?,
            snapshot: Snapshot::default(),
            classic: !settings.buckets.as_slice().is_empty(),
        })
    }

    /// `cell`'s native histogram, when it keeps one. Its count is that of the buckets read,
    /// which Prometheus requires to be the histogram's; the classic buckets, read a moment
    /// apart, can differ from it by the requests recorded in between.
    pub(crate) fn read(&mut self, cell: &super::cell::DurationCell) -> Option<NativeHistogram> {
        let native = cell.native(self.which)?;
        let (zero, _) = native.snapshot(self.layout, &mut self.snapshot);
        Some(NativeHistogram {
            schema: i32::from(self.layout.schema),
            zero_threshold: ZERO_THRESHOLD,
            zero_count: zero,
            positive_spans: self.snapshot.spans.clone(),
            positive_deltas: self.snapshot.deltas.clone(),
            negative_spans: Vec::new(),
            negative_deltas: Vec::new(),
            exemplars: Vec::new(),
        })
    }
}

/// A native histogram as read for one scrape, reused across series.
#[derive(Debug, Default)]
struct Snapshot {
    spans: Vec<(i32, u32)>,
    deltas: Vec<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The upper bound of bucket `key` in seconds, straight from the definition.
    fn upper(schema: i8, key: i32) -> f64 {
        (f64::from(key) / f64::from(schema).exp2()).exp2()
    }

    #[test]
    fn each_duration_lands_in_the_bucket_whose_bounds_hold_it() {
        for schema in -4..=8 {
            let layout = Layout::new(schema);
            let mut nanos = 1u64;
            while nanos < u64::MAX / 3 {
                for n in [nanos, nanos + 1, nanos * 3 / 2] {
                    let key = layout.key(n);
                    let seconds = n as f64 / 1e9;
                    // Up to rounding of the float bounds themselves.
                    assert!(
                        seconds <= upper(schema, key) * (1.0 + 1e-12),
                        "schema {schema}: {n} ns above bucket {key}"
                    );
                    assert!(
                        seconds > upper(schema, key - 1) * (1.0 - 1e-12),
                        "schema {schema}: {n} ns below bucket {key}"
                    );
                }
                nanos = nanos.saturating_mul(7) / 3 + 1;
            }
        }
    }

    #[test]
    fn powers_of_two_are_upper_bounds() {
        let layout = Layout::new(3);
        // 0.5 s is the upper bound of key -8 (2^(-8/8)), 1 s of key 0, 2 s of key 8.
        assert_eq!(layout.key(500_000_000), -8);
        assert_eq!(layout.key(500_000_001), -7);
        assert_eq!(layout.key(1_000_000_000), 0);
        assert_eq!(layout.key(2_000_000_000), 8);
        let coarse = Layout::new(-1);
        // Schema -1: buckets of factor 4, (0.25, 1] is key 0, (1, 4] key 1.
        assert_eq!(coarse.key(1_000_000_000), 0);
        assert_eq!(coarse.key(1_000_000_001), 1);
        assert_eq!(coarse.key(4_000_000_000), 1);
        assert_eq!(coarse.key(250_000_001), 0);
        assert_eq!(coarse.key(250_000_000), -1);
    }

    #[test]
    fn every_nanosecond_count_has_a_counter() {
        for schema in -4..=8 {
            let layout = Layout::new(schema);
            let cell = NativeCell::new(layout.groups());
            for nanos in [0, 1, 2, 999, 1_000_000, u64::MAX - 1, u64::MAX] {
                cell.observe(&layout, nanos);
            }
            let mut out = Snapshot::default();
            assert_eq!(cell.snapshot(&layout, &mut out), (1, 7), "schema {schema}");
        }
        assert_eq!(Layout::new(3).groups(), 9);
        assert_eq!(Layout::new(8).groups(), 257);
    }

    #[test]
    fn spans_and_deltas_follow_the_protobuf_encoding() {
        let layout = Layout::new(0);
        let cell = NativeCell::new(layout.groups());
        // Schema 0: key k holds (2^(k-1), 2^k] seconds.
        let at = |key: i32| (upper(0, key) * 1e9) as u64;
        for (key, times) in [(0, 2), (1, 5), (3, 1), (7, 4)] {
            for _ in 0..times {
                cell.observe(&layout, at(key));
            }
        }
        cell.observe(&layout, 0);
        let mut out = Snapshot::default();
        assert_eq!(cell.snapshot(&layout, &mut out), (1, 13));
        // Keys 0..=3 in one span (the empty key 2 as a zero count), then 7 after a gap of 3.
        assert_eq!(out.spans, [(0, 4), (3, 1)]);
        assert_eq!(out.deltas, [2, 3, -5, 1, 3]);
    }

    #[test]
    fn factors_pick_client_golang_schemas() {
        let schema = |f: f64| NativeHistograms::new().bucket_factor(f).schema();
        assert_eq!(schema(1.1), Some(3));
        assert_eq!(schema(1.09), Some(4));
        assert_eq!(schema(2.0), Some(0));
        assert_eq!(schema(4.0), Some(-1));
        assert_eq!(schema(1e9), Some(-4));
        assert_eq!(schema(1.000_000_1), Some(8));
        assert_eq!(schema(f64::NAN), None);
        assert_eq!(schema(0.5), None);
    }
}
