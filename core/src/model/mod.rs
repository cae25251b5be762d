//! The exposition model: families, series and values as every format has them, and the
//! [`Collect`] trait through which a source adds families at each scrape.
//!
//! Every encoding — OpenMetrics and Prometheus text, the protobuf format, remote-write —
//! writes from these values; a [`Snapshot`](crate::snapshot::Snapshot) hands them out with
//! the HTTP families beside them. A source of families computed when they are read (the
//! OpenTelemetry reader, an exporter of another library's metrics) implements [`Collect`] and
//! is registered with [`HttpMetrics::register_collect`](crate::HttpMetrics::register_collect).
//!
//! The plain data of the model uses nothing of the crate but its name rules.
//!
//! ```
//! use http_metrics_core::model::{Collect, CollectError, Collection, Family, Kind, Number, Value};
//! use http_metrics_core::{Format, HttpMetrics};
//!
//! /// The queue lengths of a job system, read when `/metrics` is scraped.
//! #[derive(Debug)]
//! struct Queues;
//!
//! impl Collect for Queues {
//!     fn collect(&self, out: &mut Collection) -> Result<(), CollectError> {
//!         let mut depth = Family::new("queue_depth", "Jobs waiting, by queue", Kind::Gauge);
//!         depth.push([("queue", "mail")], Value::Gauge(Number::Int(3)));
//!         depth.push([("queue", "billing")], Value::Gauge(Number::Int(0)));
//!         out.push(depth);
//!         Ok(())
//!     }
//! }
//!
//! let metrics = HttpMetrics::new();
//! metrics.register_collect("queues", Queues);
//! let text = metrics.encode(Format::Prometheus).unwrap();
//! assert!(text.contains("# TYPE queue_depth gauge\n"));
//! assert!(text.contains("queue_depth{queue=\"mail\"} 3\n"));
//! ```

mod convert;

use std::fmt;

pub use crate::base::Kind;
pub(crate) use convert::{from_openmetrics, merge_native};

/// One metric family: its name, help, unit and kind, and its series.
///
/// The name is the family's as OpenMetrics' `# TYPE` line writes it: a counter's without
/// `_total`, a unit's suffix included (`request_duration_seconds`, unit `seconds`). The help is
/// the text itself, unescaped; each format escapes it as it requires.
#[derive(Clone, Debug, PartialEq)]
pub struct Family {
    pub(crate) name: String,
    pub(crate) help: String,
    pub(crate) unit: String,
    pub(crate) kind: Kind,
    pub(crate) series: Vec<Series>,
    /// How many of each series' leading labels are the registry's own (its constant
    /// labels), which a histogram's `le` follows in the text formats.
    pub(crate) registry_labels: usize,
}

impl Family {
    /// An empty family.
    pub fn new(name: impl Into<String>, help: impl Into<String>, kind: Kind) -> Self {
        Self {
            name: name.into(),
            help: help.into(),
            unit: String::new(),
            kind,
            series: Vec::new(),
            registry_labels: 0,
        }
    }

    /// Sets the unit (`seconds`, `bytes`), which the name must end with.
    pub fn with_unit(mut self, unit: impl Into<String>) -> Self {
        self.unit = unit.into();
        self
    }

    /// Adds a series: its labels, in the order they are written, and its value.
    pub fn push<K, V>(&mut self, labels: impl IntoIterator<Item = (K, V)>, value: Value)
    where
        K: Into<String>,
        V: Into<String>,
    {
        let labels = labels
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self.series.push(Series {
            labels,
            value,
            created: None,
        });
    }

    /// [`Family::push`] of a series that started counting at `created` (seconds since the
    /// epoch): the protobuf format carries it as the start timestamp, OpenMetrics (when
    /// asked) as a `_created` line.
    pub fn push_started<K, V>(
        &mut self,
        labels: impl IntoIterator<Item = (K, V)>,
        value: Value,
        created: f64,
    ) where
        K: Into<String>,
        V: Into<String>,
    {
        self.push(labels, value);
        if let Some(series) = self.series.last_mut() {
            series.created = Some(created);
        }
    }

    /// The family's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The family's help text.
    pub fn help(&self) -> &str {
        &self.help
    }

    /// The family's unit, or `""`.
    pub fn unit(&self) -> &str {
        &self.unit
    }

    /// The family's kind.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The family's series.
    pub fn series(&self) -> &[Series] {
        &self.series
    }
}

/// One series: its labels (names and values, in the order they are written) and its value.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The labels, `(name, value)`.
    pub labels: Vec<(String, String)>,
    /// The value.
    pub value: Value,
    /// When a counter, histogram or summary started counting, in seconds since the epoch:
    /// its start ("created") timestamp, when known.
    pub created: Option<f64>,
}

/// A series' value, of its family's kind.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Value {
    /// A counter's total and its exemplar. (A family of kind [`Kind::Counter`].)
    Counter(Number, Option<Exemplar>),
    /// A gauge's value, or an untyped metric's ([`Kind::Gauge`], [`Kind::Unknown`]).
    Gauge(Number),
    /// A histogram ([`Kind::Histogram`]).
    Histogram(Histogram),
    /// A summary ([`Kind::Summary`]).
    Summary(Summary),
    /// An info metric, whose labels are the information ([`Kind::Info`]); its value is 1.
    Info,
}

/// A sample's number, as its source gave it: integers are written as integers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    /// A signed integer.
    Int(i64),
    /// An unsigned integer (a counter's total).
    UInt(u64),
    /// A float.
    Float(f64),
}

impl Number {
    /// The number as a float, as protobuf and remote-write carry it.
    pub fn as_f64(self) -> f64 {
        match self {
            Self::Int(n) => n as f64,
            Self::UInt(n) => n as f64,
            Self::Float(f) => f,
        }
    }
}

impl fmt::Display for Number {
    /// As the text formats write it: integers in decimal, floats with `dtoa` (`1.0`,
    /// `1e-7`), `NaN`, `+Inf` and `-Inf`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Int(n) => f.write_str(itoa::Buffer::new().format(n)),
            Self::UInt(n) => f.write_str(itoa::Buffer::new().format(n)),
            Self::Float(v) => f.write_str(float(v, &mut dtoa::Buffer::new())),
        }
    }
}

/// `value` as the text formats write a float.
pub(crate) fn float(value: f64, buffer: &mut dtoa::Buffer) -> &str {
    // dtoa writes `inf` and `NaN`; the text formats spell infinities `+Inf` and `-Inf`.
    if value.is_infinite() {
        if value > 0.0 {
            "+Inf"
        } else {
            "-Inf"
        }
    } else {
        buffer.format(value)
    }
}

/// A histogram: its sum, its count and its cumulative buckets, with native buckets when it
/// has them.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    /// The sum of the observations.
    pub sum: f64,
    /// The number of observations.
    pub count: u64,
    /// The classic buckets, ascending, `+Inf` last; empty for a histogram with native
    /// buckets only.
    pub buckets: Vec<Bucket>,
    /// The native (sparse exponential) buckets, when the histogram has them.
    pub native: Option<NativeHistogram>,
}

/// One classic bucket: its upper bound and the observations up to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Bucket {
    /// The upper bound (`f64::INFINITY` for `+Inf`).
    pub upper_bound: f64,
    /// The observations at or below the bound (cumulative).
    pub count: u64,
    /// The bucket's exemplar.
    pub exemplar: Option<Exemplar>,
}

/// A native histogram's buckets, as Prometheus' protobuf format and remote-write carry them:
/// spans of consecutive bucket keys, and each bucket's count as the difference from the
/// bucket before it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NativeHistogram {
    /// The schema: bucket `k` ends at `2^(k / 2^schema)`.
    pub schema: i32,
    /// The zero bucket's width.
    pub zero_threshold: f64,
    /// Observations in the zero bucket.
    pub zero_count: u64,
    /// The positive buckets: spans `(offset, length)`, the first offset absolute and each
    /// later one the gap since the previous span.
    pub positive_spans: Vec<(i32, u32)>,
    /// The positive buckets' counts, each as the difference from the previous bucket's.
    pub positive_deltas: Vec<i64>,
    /// The negative buckets' spans, as the positive ones.
    pub negative_spans: Vec<(i32, u32)>,
    /// The negative buckets' counts, as the positive ones.
    pub negative_deltas: Vec<i64>,
    /// The exemplars of a histogram without classic buckets.
    pub exemplars: Vec<Exemplar>,
}

impl NativeHistogram {
    /// The observations it counts: its zero bucket's and every bucket's.
    pub fn count(&self) -> u64 {
        let side = |deltas: &[i64]| {
            let mut count = 0i64;
            (deltas.iter())
                .map(|d| {
                    count += d;
                    count as u64
                })
                .sum::<u64>()
        };
        self.zero_count + side(&self.positive_deltas) + side(&self.negative_deltas)
    }
}

/// A summary: its quantiles, sum and count.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// `(quantile, value)`, ascending by quantile.
    pub quantiles: Vec<(f64, f64)>,
    /// The sum of the observations.
    pub sum: f64,
    /// The number of observations.
    pub count: u64,
}

/// An exemplar: the labels of an observation (a trace id), its value and when it was made.
#[derive(Clone, Debug, PartialEq)]
pub struct Exemplar {
    /// `(name, value)`.
    pub labels: Vec<(String, String)>,
    /// The observed value.
    pub value: f64,
    /// Seconds since the Unix epoch.
    pub timestamp: Option<f64>,
}

/// A source of families computed when they are read: at each scrape and each push it adds
/// its families to a [`Collection`]. Registered with
/// [`HttpMetrics::register_collect`](crate::HttpMetrics::register_collect), it runs as the
/// registry's collectors do: on a thread of its own, against the collector deadline, a
/// panic or an error leaving its families out of that scrape alone, counted in
/// `metrics_collector_failures_total`. A family whose name another family writes is left out
/// (and counted, `reason="clash"`) rather than served twice.
pub trait Collect: Send + Sync + 'static {
    /// Adds the source's families to `out`.
    ///
    /// # Errors
    ///
    /// A [`CollectError`] when the families cannot be read now: none of them is served.
    fn collect(&self, out: &mut Collection) -> Result<(), CollectError>;
}

/// Why a [`Collect`] source could not give its families.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectError(pub String);

impl fmt::Display for CollectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CollectError {}

/// The families a [`Collect`] source adds at one scrape or push.
#[derive(Debug, Default)]
pub struct Collection {
    families: Vec<Family>,
    native: bool,
}

impl Collection {
    /// A collection for a reader that does (`native`) or does not read native buckets.
    pub(crate) fn new(native: bool) -> Self {
        Self {
            families: Vec::new(),
            native,
        }
    }

    /// Whether this reading keeps native buckets (the protobuf format, remote-write): a
    /// source may skip computing them when it does not.
    pub fn native_histograms(&self) -> bool {
        self.native
    }

    /// Adds a family.
    pub fn push(&mut self, family: Family) {
        self.families.push(family);
    }

    pub(crate) fn into_families(self) -> Vec<Family> {
        self.families
    }
}
