//! [`CappedFamily`]: a metric family with a cap on its series, for labels whose values the
//! application does not control.

use std::hash::Hash;
use std::ops::Deref;
use std::sync::{Arc, Mutex, OnceLock};

use prometheus_client::encoding::{EncodeLabelSet, EncodeMetric, LabelSetEncoder, MetricEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::{MetricType, TypedMetric};

/// `metrics_series_folded_total{metric}`.
pub(crate) type FoldedFamily = Family<Vec<(String, String)>, Counter>;

pub(crate) fn folded_counter(family: &FoldedFamily, metric: &str) -> Counter {
    family
        .get_or_create(&vec![("metric".to_owned(), metric.to_owned())])
        .clone()
}

/// A label set, or the overflow series' (`otel_metric_overflow="true"`).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
enum Capped<S> {
    Labels(S),
    Overflow,
}

impl<S: EncodeLabelSet> EncodeLabelSet for Capped<S> {
    fn encode(&self, encoder: &mut LabelSetEncoder<'_>) -> std::fmt::Result {
        match self {
            Self::Labels(labels) => labels.encode(encoder),
            Self::Overflow => OverflowLabels.encode(encoder),
        }
    }
}

/// prometheus-client's `Family` with at most `max_series` label sets, for labels whose values
/// the application does not control. Registered with
/// [`crate::HttpMetrics::register_capped`], every update past the cap is counted in
/// `metrics_series_folded_total{metric="<name>"}` — alert on it being above zero — and goes
/// where its kind of metric gives it a meaning:
///
/// - **A counter**: into one overflow series labelled `otel_metric_overflow="true"` (the
///   OpenTelemetry convention), which counts everything the label sets past the cap would
///   have counted: the family's sum stays right.
/// - **A histogram**: into the same overflow series, one distribution of all their
///   observations: the family's `_count` and `_sum` stay right.
/// - **A gauge**: nowhere exposed. A gauge's value is a level, which neither adds up nor
///   merges across label sets: an overflow series would show the last value some unknown
///   series was set to, which means nothing. The series within the cap are exact; the
///   folded updates are counted.
///
/// ```
/// use http_metrics_core::prometheus_client::metrics::{counter::Counter, gauge::Gauge};
/// use http_metrics_core::{CappedFamily, Format, HttpMetrics};
///
/// let metrics = HttpMetrics::new();
/// let by_user: CappedFamily<Vec<(String, String)>, Counter> = CappedFamily::new(2);
/// metrics.register_capped("logins", "Logins by user", &by_user).unwrap();
/// let stock: CappedFamily<Vec<(String, String)>, Gauge> = CappedFamily::new(1);
/// metrics.register_capped("stock", "Items in stock", &stock).unwrap();
/// for user in ["ada", "bob", "cy", "di"] {
///     by_user.get_or_create(&vec![("user".into(), user.into())]).inc();
///     stock.get_or_create(&vec![("sku".into(), user.into())]).set(7);
/// }
/// let text = metrics.encode(Format::Prometheus).unwrap();
/// assert!(text.contains("logins_total{user=\"ada\"} 1\n"));
/// assert!(text.contains("logins_total{otel_metric_overflow=\"true\"} 2\n"));
/// assert!(text.contains("metrics_series_folded_total{metric=\"logins\"} 2\n"));
/// assert!(text.contains("stock{sku=\"ada\"} 7\n"));
/// assert!(!text.contains("stock{otel_metric_overflow"));
/// assert!(text.contains("metrics_series_folded_total{metric=\"stock\"} 3\n"));
/// ```
#[derive(Debug)]
pub struct CappedFamily<S, M, C = fn() -> M> {
    family: Family<Capped<S>, M, C>,
    max_series: usize,
    /// The number of label-set series created; locked while one is created, so that the
    /// cap is exact.
    created: Arc<Mutex<usize>>,
    folded: Arc<OnceLock<Counter>>,
    /// Where a gauge's updates past the cap go: nowhere exposed (see the type's docs).
    sink: Arc<OnceLock<M>>,
    constructor: C,
}

impl<S, M, C: Clone> Clone for CappedFamily<S, M, C> {
    fn clone(&self) -> Self {
        Self {
            family: self.family.clone(),
            max_series: self.max_series,
            created: self.created.clone(),
            folded: self.folded.clone(),
            sink: self.sink.clone(),
            constructor: self.constructor.clone(),
        }
    }
}

/// The metric [`CappedFamily::get_or_create`] hands out: a series of the family, or the
/// detached sink of a gauge past the cap.
enum Slot<'a, G, M> {
    Series(G),
    Sink(&'a M),
}

impl<G: Deref<Target = M>, M> Deref for Slot<'_, G, M> {
    type Target = M;

    fn deref(&self) -> &M {
        match self {
            Self::Series(guard) => guard,
            Self::Sink(sink) => sink,
        }
    }
}

impl<S: Clone + Hash + Eq, M: Default + TypedMetric> CappedFamily<S, M> {
    /// A family of at most `max_series` label sets, plus the overflow series.
    pub fn new(max_series: usize) -> Self {
        Self::new_with_constructor(max_series, M::default)
    }
}

impl<S: Clone + Hash + Eq, M: TypedMetric, C: MetricConstructor<M> + Clone> CappedFamily<S, M, C> {
    /// Like [`CappedFamily::new`], with metrics made by `constructor` (for histograms with
    /// their own buckets).
    pub fn new_with_constructor(max_series: usize, constructor: C) -> Self {
        Self {
            family: Family::new_with_constructor(constructor.clone()),
            max_series,
            created: Arc::default(),
            folded: Arc::default(),
            sink: Arc::default(),
            constructor,
        }
    }

    /// The metric for `labels`, created if the family has room, else the overflow series'
    /// (for a gauge, a sink that is not exposed: see the type's docs).
    pub fn get_or_create(&self, labels: &S) -> impl Deref<Target = M> + '_ {
        let key = Capped::Labels(labels.clone());
        if let Some(metric) = self.family.get(&key) {
            return Slot::Series(metric);
        }
        let mut created = self.created.lock().unwrap_or_else(|e| e.into_inner());
        if self.family.get(&key).is_none() {
            if *created >= self.max_series {
                drop(created);
                if let Some(folded) = self.folded.get() {
                    folded.inc();
                }
                if matches!(M::TYPE, MetricType::Gauge) {
                    return Slot::Sink(self.sink.get_or_init(|| self.family_constructor()));
                }
                return Slot::Series(self.family.get_or_create(&Capped::Overflow));
            }
            *created += 1;
        }
        Slot::Series(self.family.get_or_create(&key))
    }

    /// A new metric as the family's constructor makes them.
    fn family_constructor(&self) -> M {
        self.constructor.new_metric()
    }
}

impl<S, M, C> CappedFamily<S, M, C> {
    pub(crate) fn count_folded_in(&self, counter: Counter) {
        let _ = self.folded.set(counter);
    }
}

impl<S, M: TypedMetric, C> TypedMetric for CappedFamily<S, M, C> {
    const TYPE: MetricType = M::TYPE;
}

impl<S, M, C> EncodeMetric for CappedFamily<S, M, C>
where
    S: Clone + Hash + Eq + EncodeLabelSet,
    M: EncodeMetric + TypedMetric,
    C: MetricConstructor<M>,
{
    fn encode(&self, encoder: MetricEncoder<'_>) -> std::fmt::Result {
        self.family.encode(encoder)
    }

    fn metric_type(&self) -> MetricType {
        M::TYPE
    }
}

/// The one label of an overflow series, as OpenTelemetry names it.
pub(crate) struct OverflowLabels;

impl EncodeLabelSet for OverflowLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder<'_>) -> std::fmt::Result {
        use std::fmt::Write as _;
        let mut label = encoder.encode_label();
        let mut key = label.encode_label_key()?;
        key.write_str("otel_metric_overflow")?;
        let mut value = key.encode_label_value()?;
        value.write_str("true")?;
        value.finish()
    }
}
