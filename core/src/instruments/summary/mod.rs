//! [`Summary`] and [`SummaryFamily`]: quantiles over a sliding window, `_sum` and `_count`
//! over the process's life, as client_golang's Summary computes them.
//!
//! Each series keeps `age_buckets` streams of targeted quantiles, every observation going
//! into all of them; the oldest answers queries and is reset every `max_age / age_buckets`,
//! so a quantile covers the last `max_age` (at most; at least `max_age·(1 − 1/age_buckets)`).
//! An observation takes a short mutex to append to a buffer of 500 values; a full
//! buffer, a scrape or the first observation after a rotation is due merges it into the
//! streams, sorted, under a second mutex that observers do not wait for unless they filled
//! the buffer or found the rotation due.
//!
//! Why a lock at all: the stream's guarantee — the value returned for quantile φ has a rank
//! within ε·n of φ·n — rests on inserting each observation at its place among the others,
//! which no set of independent atomic counters does. (Log-bucketed sketches count atomically,
//! but bound the error of the value, not of its rank, so they cannot honour objectives.)
//! The `_sum` and `_count` are plain atomics.

mod quantiles;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use quanta::Instant;

use self::quantiles::{Objective, Stream};
use crate::ConfigError;

/// Observations buffered before they are merged into the streams (client_golang's
/// `DefBufCap`).
const BUFFER: usize = 500;
/// The default objectives: the median within 5 %, the 90th percentile within 1 %, the 99th
/// within 0.1 % (of rank).
pub const DEFAULT_OBJECTIVES: [(f64, f64); 3] = [(0.5, 0.05), (0.9, 0.01), (0.99, 0.001)];
/// The default window of the quantiles (client_golang's `DefMaxAge`).
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(600);
/// The default number of age buckets the window is divided into (client_golang's
/// `DefAgeBuckets`).
pub const DEFAULT_AGE_BUCKETS: u32 = 5;

/// How the quantiles of a [`Summary`] or [`SummaryFamily`] are computed; see
/// [`Summary::builder`].
///
/// ```
/// use std::time::Duration;
/// use http_metrics_core::Summary;
///
/// let latency = Summary::builder()
///     .objectives([(0.5, 0.05), (0.99, 0.001)]) // quantile, allowed rank error
///     .max_age(Duration::from_secs(60)) // the window the quantiles cover
///     .age_buckets(3) // which slides 20 s at a time
///     .build_family(["endpoint"])
///     .expect("valid options");
/// latency.with_label_values(&["/charge"]).observe(0.012);
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct SummaryBuilder {
    objectives: Vec<(f64, f64)>,
    max_age: Duration,
    age_buckets: u32,
}

impl Default for SummaryBuilder {
    fn default() -> Self {
        Self {
            objectives: DEFAULT_OBJECTIVES.to_vec(),
            max_age: DEFAULT_MAX_AGE,
            age_buckets: DEFAULT_AGE_BUCKETS,
        }
    }
}

impl SummaryBuilder {
    /// The quantiles to report, each with the rank error allowed around it: `(0.99, 0.001)`
    /// reports a value whose rank is within 0.1 % of the 99th percentile's. Replaces the
    /// default objectives; an empty list reports only `_sum` and `_count`.
    pub fn objectives(mut self, objectives: impl IntoIterator<Item = (f64, f64)>) -> Self {
        self.objectives = objectives.into_iter().collect();
        self
    }

    /// How far back the quantiles look (default [`DEFAULT_MAX_AGE`]).
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// Into how many buckets the window is divided (default [`DEFAULT_AGE_BUCKETS`]): the
    /// window slides by `max_age / age_buckets` at a time.
    pub fn age_buckets(mut self, age_buckets: u32) -> Self {
        self.age_buckets = age_buckets;
        self
    }

    fn options(self) -> Result<Arc<Options>, ConfigError> {
        let mut objectives = Vec::with_capacity(self.objectives.len());
        for (quantile, error) in self.objectives {
            let inside = |x: f64| x > 0.0 && x < 1.0;
            if !inside(quantile) || !inside(error) {
                return Err(ConfigError::Summary(format!(
                    "objective ({quantile}, {error}): the quantile and its error must be in (0, 1)"
                )));
            }
            objectives.push(Objective { quantile, error });
        }
        objectives.sort_by(|a, b| a.quantile.total_cmp(&b.quantile));
        if objectives
            .windows(2)
            .any(|w| w[0].quantile == w[1].quantile)
        {
            return Err(ConfigError::Summary("a quantile is listed twice".into()));
        }
        if self.age_buckets == 0 || self.max_age.is_zero() {
            return Err(ConfigError::Summary(
                "max_age and age_buckets must not be zero".into(),
            ));
        }
        if self.max_age / self.age_buckets < Duration::from_millis(1)
            || self.max_age > Duration::from_secs(365 * 24 * 3600)
        {
            return Err(ConfigError::Summary(format!(
                "max_age {:?} in {} age buckets: each bucket must cover at least 1 ms, the \
                 window at most a year",
                self.max_age, self.age_buckets
            )));
        }
        Ok(Arc::new(Options {
            objectives,
            bucket_duration: self.max_age / self.age_buckets,
            age_buckets: self.age_buckets as usize,
        }))
    }

    /// An unlabelled summary.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Summary`] for an objective outside `(0, 1)`, a quantile listed twice,
    /// or a zero `max_age` or `age_buckets`.
    pub fn build(self) -> Result<Summary, ConfigError> {
        let options = self.options()?;
        let family = SummaryFamily::from_parts(Vec::new(), options);
        Ok(family.with_label_values(&[]))
    }

    /// A family of summaries with the label names `labels`, one series per set of values.
    ///
    /// # Errors
    ///
    /// As [`SummaryBuilder::build`], and [`ConfigError::Summary`] for a label name that is
    /// not one (letters, digits, `_`; not `quantile`, not starting with `__`).
    pub fn build_family<const N: usize>(
        self,
        labels: [&str; N],
    ) -> Result<SummaryFamily, ConfigError> {
        for name in labels {
            let mut chars = name.chars();
            let valid = chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid || name == "quantile" || name.starts_with("__") {
                return Err(ConfigError::Summary(format!(
                    "{name:?} cannot be a summary's label name"
                )));
            }
        }
        let names = labels.iter().map(|n| (*n).to_owned()).collect();
        Ok(SummaryFamily::from_parts(names, self.options()?))
    }
}

#[derive(Debug)]
struct Options {
    /// Sorted by quantile.
    objectives: Vec<Objective>,
    bucket_duration: Duration,
    age_buckets: usize,
}

/// One series: the buffer observers append to, the windowed streams, the totals.
#[derive(Debug)]
struct Series {
    options: Arc<Options>,
    hot: Mutex<Hot>,
    window: Mutex<Window>,
    count: AtomicU64,
    /// The sum's `f64` bits.
    sum: AtomicU64,
}

/// The observations not merged yet, all of them made since the window last rotated.
#[derive(Debug)]
struct Hot {
    values: Vec<f64>,
    /// When the window rotates next: the first observation after it flushes the buffer and
    /// rotates first, so no buffer ever holds values from both sides of a rotation.
    rotates: Instant,
}

#[derive(Debug)]
struct Window {
    streams: Vec<Stream>,
    /// The oldest stream, which answers queries.
    head: usize,
    /// When the head stream is reset and the next one becomes the head.
    head_expires: Instant,
}

impl Series {
    fn new(options: Arc<Options>) -> Self {
        let rotates = now() + options.bucket_duration;
        let window = Window {
            streams: vec![Stream::default(); options.age_buckets],
            head: 0,
            head_expires: rotates,
        };
        Self {
            hot: Mutex::new(Hot {
                values: Vec::with_capacity(BUFFER),
                rotates,
            }),
            window: Mutex::new(window),
            count: AtomicU64::new(0),
            sum: AtomicU64::new(0f64.to_bits()),
            options,
        }
    }

    fn observe(&self, value: f64) {
        if value.is_nan() {
            // No rank, and it would poison the sum: NaN is not an observation.
            return;
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let _ = self
            .sum
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                Some((f64::from_bits(bits) + value).to_bits())
            });
        if self.options.objectives.is_empty() {
            return;
        }
        let now = now();
        let full = {
            let mut hot = lock(&self.hot);
            if now >= hot.rotates {
                let before = std::mem::replace(&mut hot.values, Vec::with_capacity(BUFFER));
                hot.rotates = self.flush(before, now);
            }
            hot.values.push(value);
            (hot.values.len() >= BUFFER)
                .then(|| std::mem::replace(&mut hot.values, Vec::with_capacity(BUFFER)))
        };
        if let Some(full) = full {
            self.flush(full, now);
        }
    }

    /// Merges `buffer` into every stream, then rotates the window if it is due at `now`:
    /// values that waited in the buffer belong to the time they were observed, so a rotation
    /// they predate drops them with the rest of their age bucket rather than letting them
    /// pass for new. Returns when the window rotates next.
    fn flush(&self, mut buffer: Vec<f64>, now: Instant) -> Instant {
        let mut window = lock(&self.window);
        buffer.sort_by(f64::total_cmp);
        for stream in &mut window.streams {
            stream.merge(&buffer, &self.options.objectives);
        }
        self.rotate(&mut window, now);
        window.head_expires
    }

    fn rotate(&self, window: &mut Window, now: Instant) {
        if window.head_expires > now {
            return;
        }
        // How many bucket durations have passed since the head was due, however long the
        // summary sat idle: every stream is reset at most once.
        let bucket = self.options.bucket_duration.as_nanos();
        let behind = now.duration_since(window.head_expires).as_nanos();
        let turns = 1 + behind / bucket;
        let streams = window.streams.len();
        for _ in 0..turns.min(streams as u128) {
            let head = window.head;
            window.streams[head].reset();
            window.head = (head + 1) % streams;
        }
        let forward = u64::try_from(turns * bucket).unwrap_or(u64::MAX);
        window.head_expires += Duration::from_nanos(forward);
    }

    /// (quantile values in objective order, sum, count), with the buffer merged first.
    fn snapshot(&self) -> (Vec<f64>, f64, u64) {
        let quantiles = if self.options.objectives.is_empty() {
            Vec::new()
        } else {
            let now = now();
            {
                let mut hot = lock(&self.hot);
                let buffered = std::mem::replace(&mut hot.values, Vec::with_capacity(BUFFER));
                hot.rotates = self.flush(buffered, now);
            }
            let window = lock(&self.window);
            let head = &window.streams[window.head];
            (self.options.objectives.iter())
                .map(|o| head.query(o.quantile, &self.options.objectives))
                .collect()
        };
        let count = self.count.load(Ordering::Relaxed);
        let sum = f64::from_bits(self.sum.load(Ordering::Relaxed));
        (quantiles, sum, count)
    }
}

/// The core's clock (the CPU's TSC where it can be trusted), read at every observation to
/// rotate the window on time: cheaper to read than `std::time::Instant`.
#[inline]
fn now() -> Instant {
    crate::base::clock().now()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Each critical section leaves the data whole before anything that could panic.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// One summary series: observe values into it.
///
/// ```
/// use http_metrics_core::{Format, HttpMetrics, Summary};
///
/// let metrics = HttpMetrics::new();
/// let payload = Summary::builder().build().unwrap();
/// metrics.register_summary("payload_bytes", "Payload sizes", &payload).unwrap();
/// for size in [512.0, 1024.0, 4096.0] {
///     payload.observe(size);
/// }
/// let text = metrics.encode(Format::Prometheus).unwrap();
/// assert!(text.contains("# TYPE payload_bytes summary\n"));
/// assert!(text.contains("payload_bytes{quantile=\"0.5\"} 1024\n"));
/// assert!(text.contains("payload_bytes_sum 5632\n"));
/// assert!(text.contains("payload_bytes_count 3\n"));
/// ```
#[derive(Clone, Debug)]
pub struct Summary {
    series: Arc<Series>,
    /// The family an unlabelled summary is the one series of, for registration.
    family: SummaryFamily,
}

impl Summary {
    /// The options of a summary or summary family, defaults documented on each.
    pub fn builder() -> SummaryBuilder {
        SummaryBuilder::default()
    }

    /// Records one observation. NaN is ignored.
    pub fn observe(&self, value: f64) {
        self.series.observe(value);
    }
}

impl AsRef<SummaryFamily> for Summary {
    fn as_ref(&self) -> &SummaryFamily {
        &self.family
    }
}

/// Summaries with the same label names, one series per set of label values: the guide's
/// `response_size_bytes{content_type}`.
///
/// ```
/// use http_metrics_core::{Format, HttpMetrics, Summary};
///
/// let metrics = HttpMetrics::new();
/// let sizes = Summary::builder().build_family(["content_type"]).unwrap();
/// metrics.register_summary("response_size_bytes", "Response size in bytes", &sizes).unwrap();
/// sizes.with_label_values(&["application/json"]).observe(1024.0);
/// sizes.with_label_values(&["text/html"]).observe(4096.0);
/// let text = metrics.encode(Format::Prometheus).unwrap();
/// assert!(text.contains(
///     "response_size_bytes_count{content_type=\"text/html\"} 1\n"
/// ));
/// ```
#[derive(Clone, Debug)]
pub struct SummaryFamily {
    inner: Arc<FamilyInner>,
}

#[derive(Debug)]
struct FamilyInner {
    names: Vec<String>,
    options: Arc<Options>,
    series: RwLock<HashMap<Vec<String>, Arc<Series>>>,
}

impl SummaryFamily {
    fn from_parts(names: Vec<String>, options: Arc<Options>) -> Self {
        Self {
            inner: Arc::new(FamilyInner {
                names,
                options,
                series: RwLock::default(),
            }),
        }
    }

    /// The series for these label values, in the order of the family's label names; created
    /// on first use. Resolve it once and keep it where the values are fixed: this takes a
    /// read lock and hashes the values.
    ///
    /// # Panics
    ///
    /// When the number of values is not the number of label names.
    pub fn with_label_values(&self, values: &[&str]) -> Summary {
        assert_eq!(
            values.len(),
            self.inner.names.len(),
            "a summary with labels {:?} needs as many values, got {values:?}",
            self.inner.names
        );
        let key: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
        let found = self.read().get(&key).cloned();
        let series = found.unwrap_or_else(|| {
            let mut series = self.inner.series.write().unwrap_or_else(|e| e.into_inner());
            let options = &self.inner.options;
            (series.entry(key))
                .or_insert_with(|| Arc::new(Series::new(options.clone())))
                .clone()
        });
        Summary {
            series,
            family: self.clone(),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<Vec<String>, Arc<Series>>> {
        // Insertion is the only write: a panic cannot leave the map half-updated.
        self.inner.series.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Every series with its label values, in label order (the order of the exposition),
    /// taken out of the lock.
    fn sorted_series(&self) -> Vec<(Vec<String>, Arc<Series>)> {
        let mut series: Vec<(Vec<String>, Arc<Series>)> = self
            .read()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        series.sort_by(|a, b| a.0.cmp(&b.0));
        series
    }

    /// The family as the model has it, named `name` with `help`: its series in label order,
    /// each with its quantiles (in objective order), sum and count.
    pub(crate) fn collect(&self, name: &str, help: &str) -> crate::model::Family {
        use crate::model::{Family, Kind, Summary, Value};
        let mut family = Family::new(name, help, Kind::Summary);
        for (values, series) in self.sorted_series() {
            let (quantiles, sum, count) = series.snapshot();
            let quantiles = (self.inner.options.objectives.iter())
                .zip(quantiles)
                .map(|(objective, value)| (objective.quantile, value))
                .collect();
            let labels = self.inner.names.iter().cloned().zip(values);
            family.push(
                labels,
                Value::Summary(Summary {
                    quantiles,
                    sum,
                    count,
                }),
            );
        }
        family
    }
}

impl AsRef<SummaryFamily> for SummaryFamily {
    fn as_ref(&self) -> &SummaryFamily {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrambled(n: u64) -> impl Iterator<Item = f64> {
        (0..n).map(move |i| ((i * 7_919) % n + 1) as f64)
    }

    #[test]
    fn quantiles_are_within_their_stated_rank_error_of_the_exact_ones() {
        let summary = Summary::builder().build().unwrap();
        let n = 100_003;
        for value in scrambled(n) {
            summary.observe(value);
        }
        let (quantiles, sum, count) = summary.series.snapshot();
        assert_eq!(count, n);
        assert_eq!(sum, (n * (n + 1) / 2) as f64);
        for ((q, error), value) in DEFAULT_OBJECTIVES.iter().zip(quantiles) {
            // The values are 1..=n, so a value is its own rank.
            let exact = q * n as f64;
            assert!(
                (value - exact).abs() <= error * n as f64 + 1.0,
                "q={q}: {value}, exact {exact} ± {}",
                error * n as f64
            );
        }
    }

    #[test]
    fn observations_older_than_the_window_no_longer_count() {
        let window = Duration::from_millis(100);
        let summary = (Summary::builder().max_age(window).age_buckets(2))
            .build()
            .unwrap();
        for _ in 0..1000 {
            summary.observe(1.0);
        }
        crate::base::test_clock::advance(window * 3);
        for _ in 0..10 {
            summary.observe(9.0);
        }
        let (quantiles, _, count) = summary.series.snapshot();
        assert_eq!(quantiles, [9.0, 9.0, 9.0]);
        assert_eq!(count, 1010, "_count covers the whole life");
    }

    #[test]
    fn buffered_values_older_than_the_window_do_not_pass_for_new() {
        let window = Duration::from_millis(100);
        let summary = (Summary::builder().max_age(window).age_buckets(2))
            .build()
            .unwrap();
        // Fewer than a buffer's worth: they wait in the buffer, unmerged.
        for _ in 0..10 {
            summary.observe(1.0);
        }
        crate::base::test_clock::advance(window * 3);
        let (quantiles, _, count) = summary.series.snapshot();
        assert!(quantiles.iter().all(|q| q.is_nan()), "{quantiles:?}");
        assert_eq!(count, 10, "_count covers the whole life");
    }

    #[test]
    fn options_are_validated() {
        let error = |b: SummaryBuilder| b.build().unwrap_err().to_string();
        assert!(error(Summary::builder().objectives([(1.0, 0.1)])).contains("(0, 1)"));
        assert!(error(Summary::builder().objectives([(0.5, 0.0)])).contains("(0, 1)"));
        let twice = Summary::builder().objectives([(0.5, 0.1), (0.5, 0.01)]);
        assert!(error(twice).contains("twice"));
        assert!(error(Summary::builder().age_buckets(0)).contains("zero"));
        let tiny = Summary::builder()
            .max_age(Duration::from_nanos(4))
            .age_buckets(5);
        assert!(error(tiny).contains("at least 1 ms"));
        let huge = Summary::builder().max_age(Duration::MAX);
        assert!(error(huge).contains("at most a year"));
        let reserved = Summary::builder().build_family(["quantile"]).unwrap_err();
        assert!(reserved.to_string().contains("\"quantile\""));
    }

    #[test]
    fn the_exposition_of_a_family_is_exact() {
        let family = (Summary::builder().objectives([(0.5, 0.05)]))
            .build_family(["kind"])
            .unwrap();
        family.with_label_values(&["b\"\n"]).observe(2.0);
        family.with_label_values(&["a"]).observe(1.5);
        let empty = (Summary::builder().objectives([(0.9, 0.01)]))
            .build()
            .unwrap();
        let out = crate::exposition::text::families_text(
            &[
                family.collect("sizes", "Sizes."),
                empty.family.collect("empty", "Nothing yet."),
            ],
            crate::Format::OpenMetrics,
        );
        assert_eq!(
            out,
            "# HELP sizes Sizes.\n# TYPE sizes summary\n\
             sizes{kind=\"a\",quantile=\"0.5\"} 1.5\n\
             sizes_sum{kind=\"a\"} 1.5\nsizes_count{kind=\"a\"} 1\n\
             sizes{kind=\"b\\\"\\n\",quantile=\"0.5\"} 2\n\
             sizes_sum{kind=\"b\\\"\\n\"} 2\nsizes_count{kind=\"b\\\"\\n\"} 1\n\
             # HELP empty Nothing yet.\n# TYPE empty summary\n\
             empty{quantile=\"0.9\"} NaN\nempty_sum 0\nempty_count 0\n",
            "an unlabelled summary has its one series from the start, NaN until observed"
        );
    }

    #[test]
    #[should_panic(expected = "needs as many values")]
    fn the_wrong_number_of_label_values_is_refused() {
        let family = Summary::builder().build_family(["a", "b"]).unwrap();
        family.with_label_values(&["only one"]);
    }
}
