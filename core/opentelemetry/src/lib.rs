#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
//!
//! ---
//!
//! OpenTelemetry's metrics API on an [`HttpMetrics`] registry (the adapters' feature
//! `opentelemetry`, as `tower_metrics::opentelemetry` and `actix_metrics::opentelemetry`):
//! instruments made with the `opentelemetry` crate's meters, collected from the
//! `opentelemetry_sdk` meter provider at each scrape and served on the same `/metrics` as the
//! HTTP metrics, under the
//! names the OpenTelemetry specification gives them in Prometheus ("Prometheus and
//! OpenMetrics Compatibility"), and pushed by the remote-write sender with everything else.
//!
//! ```
//! use http_metrics_opentelemetry::PrometheusReader;
//! use http_metrics_core::{Format, HttpMetrics};
//! use opentelemetry::metrics::MeterProvider as _;
//! use opentelemetry::KeyValue;
//! use opentelemetry_sdk::metrics::SdkMeterProvider;
//!
//! let metrics = HttpMetrics::builder().process_metrics(false).build().unwrap();
//! // The three lines: a reader, the provider that feeds it, the registry that serves it.
//! let reader = PrometheusReader::new();
//! let provider = SdkMeterProvider::builder().with_reader(reader.clone()).build();
//! metrics.register_opentelemetry(&reader);
//!
//! let meter = provider.meter("shop");
//! let orders = meter.u64_counter("orders").with_unit("{order}").build();
//! orders.add(3, &[KeyValue::new("payment.method", "card")]);
//! let latency = meter.f64_histogram("checkout.duration").with_unit("s").build();
//! latency.record(0.25, &[]);
//!
//! let text = metrics.encode(Format::Prometheus).unwrap();
//! assert!(text.contains(r#"orders_total{otel_scope_name="shop",payment_method="card"} 3"#));
//! assert!(text.contains(r#"checkout_duration_seconds_count{otel_scope_name="shop"} 1"#));
//! assert!(text.contains("# TYPE target_info gauge"));
//! ```
//!
//! What it does, rule by rule (each with a test in `names.rs` or this module's tests):
//!
//! | OpenTelemetry | Prometheus |
//! |---|---|
//! | Counter, observable counter (a monotonic sum) | counter: `_total` after the unit |
//! | UpDownCounter, observable up-down counter (a non-monotonic sum) | gauge |
//! | Gauge, observable gauge | gauge; unit `1` gives `_ratio` |
//! | Histogram | histogram, the instrument's buckets |
//! | exponential histogram (a view's aggregation) | native histogram in the protobuf format (feature `native-histograms`) and in remote-write, its scale merged down to schema 8 when finer, and a point of a scale coarser than -4 left out; `_sum`, `_count` and `+Inf` in text |
//! | unit | its Prometheus word appended unless the name has it (`s` → `_seconds`, `By` → `_bytes`, `By/s` → `_bytes_per_second`); `{…}` dropped |
//! | metric names | characters Prometheus does not allow become `_` (runs of them one); a name starting with a digit gets `_` in front |
//! | attribute keys | the same, and a key starting with a digit gets `key_` in front; keys that become one label have their values joined with `;`, in the order of the keys; a key with nothing left, or an empty value, is left out; `le` is left out of a histogram's points |
//! | attribute values | strings as they are; arrays as JSON (`["a","b"]`) |
//! | resource attributes | `target_info` (an info metric); named ones also as labels of every series, with [`PrometheusReaderBuilder::resource_labels`], where a point's own attribute of the same name wins |
//! | instrumentation scope | `otel_scope_name`, `otel_scope_version`, `otel_scope_schema_url` and `otel_scope_<attribute>` labels, which win over a point's attribute of the same name |
//! | delta temporality | not offered: the reader asks the SDK for cumulative temporality, which the SDK then keeps for this reader whatever its other readers ask for |
//! | a name another family writes | the reader's family is left out of that scrape (logged once, counted in `metrics_collector_failures_total{collector="opentelemetry",reason="clash"}`): Prometheus refuses a scrape that declares one family twice. The registry's families come first, then the reader's in name order |
//!
//! Not carried: exemplars, traces and logs (this crate is metrics only), and OTLP (the provider's own
//! OTLP exporter can run beside this reader).
//!
//! The provider must outlive the scrapes: dropping its last handle shuts it down, and each
//! scrape after that counts a failed collection instead of its instruments. Keep it, or hand
//! a clone to `opentelemetry::global::set_meter_provider`.
//!
//! The `opentelemetry` and `opentelemetry_sdk` crates this reader is built on are
//! re-exported as [`api`] and [`sdk`]: use them, or your own dependencies of the same
//! versions (0.33).
//!
//! The reader is a [`Collect`] source of the registry's, and its collection runs as the
//! registry's custom collectors do
//! ([`HttpMetrics::register_collector`]): on a thread of its own, against the scrape's
//! deadline, with a failure counted in
//! `metrics_collector_failures_total{collector="opentelemetry"}` rather than failing the
//! scrape. One failure the reader cannot undo: an observable instrument's callback that
//! panics does so inside the SDK's collection, under the SDK's locks, which it poisons; the
//! SDK then refuses every later collection, and each scrape counts `reason="encode"` (the
//! SDK's error is logged). Keep callbacks from panicking.

mod names;
#[cfg(test)]
mod tests;

#[cfg(doc)]
use http_metrics_core::HttpMetrics;

/// The `opentelemetry` crate (the API: meters and instruments) this reader works with.
pub use ::opentelemetry as api;
/// The `opentelemetry_sdk` crate (the meter provider) this reader works with.
pub use ::opentelemetry_sdk as sdk;

use std::borrow::Cow;
use std::collections::btree_map::{BTreeMap, Entry};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError, TryLockError, Weak};
use std::time::Duration;

use http_metrics_core::model::{self, Collect, CollectError, Collection, Kind, Number, Value};
use opentelemetry::InstrumentationScope;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::{self, AggregatedMetrics, MetricData, ResourceMetrics};
use opentelemetry_sdk::metrics::reader::MetricReader;
use opentelemetry_sdk::metrics::{InstrumentKind, ManualReader, Pipeline, Temporality};

use names::{label_name, metric_name};

/// An `opentelemetry_sdk` metric reader that serves its meter provider's instruments on an
/// [`HttpMetrics`]' `/metrics`: give a clone to the provider
/// (`SdkMeterProvider::builder().with_reader(reader.clone())`) and the reader to
/// [`HttpMetrics::register_opentelemetry`]. See the [module](self) for what it exposes.
#[derive(Clone, Debug)]
pub struct PrometheusReader {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    reader: ManualReader,
    options: Options,
    /// The buffers of the last collection.
    collected: Mutex<ResourceMetrics>,
    /// What was logged, so that a problem of every scrape is logged once.
    logged: Mutex<HashSet<String>>,
}

#[derive(Clone, Debug, Default)]
struct Options {
    /// Resource attribute keys copied onto every series as labels.
    resource_labels: Vec<String>,
    without_target_info: bool,
    without_scope_labels: bool,
    /// Metric and label names as OpenTelemetry wrote them, with the unit and type suffixes.
    utf8_names: bool,
}

impl Default for PrometheusReader {
    fn default() -> Self {
        Self::new()
    }
}

impl PrometheusReader {
    /// A reader with `target_info`, the scope labels, and no resource attribute as labels.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder for the reader's options.
    ///
    /// ```
    /// use http_metrics_opentelemetry::PrometheusReader;
    ///
    /// let reader = PrometheusReader::builder()
    ///     .resource_labels(["service.name", "deployment.environment"])
    ///     .build();
    /// # drop(reader);
    /// ```
    pub fn builder() -> PrometheusReaderBuilder {
        PrometheusReaderBuilder::default()
    }
}

/// Options of a [`PrometheusReader`].
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct PrometheusReaderBuilder {
    options: Options,
}

impl PrometheusReaderBuilder {
    /// Copies these resource attributes onto every series as labels (sanitized as attribute
    /// keys are), besides `target_info`: `service.name` becomes `service_name`.
    pub fn resource_labels<I, K>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = K>,
        K: Into<String>,
    {
        self.options.resource_labels = keys.into_iter().map(Into::into).collect();
        self
    }

    /// Leaves out `target_info`.
    pub fn without_target_info(mut self) -> Self {
        self.options.without_target_info = true;
        self
    }

    /// Leaves out the `otel_scope_name` and `otel_scope_version` labels.
    pub fn without_scope_labels(mut self) -> Self {
        self.options.without_scope_labels = true;
        self
    }

    /// Keeps metric and label names as OpenTelemetry wrote them, in UTF-8, with only the
    /// unit and type suffixes added (`payments.duration` of unit `s` is
    /// `payments.duration_seconds`, attribute `payment.method` its label): Prometheus' OTLP
    /// translation strategy `NoUTF8EscapingWithSuffixes`, for Prometheus 3, which scrapes
    /// them as they are. Scrapers of classic names get them escaped (see
    /// `http_metrics_core::Exposition`). Without it, names are translated to the classic
    /// character set (`payments_duration_seconds`, `payment_method`), the default strategy.
    ///
    /// ```
    /// use http_metrics_core::names::Escaping;
    /// use http_metrics_core::{Format, HttpMetrics};
    /// use http_metrics_opentelemetry::PrometheusReader;
    /// use opentelemetry::metrics::MeterProvider as _;
    /// use opentelemetry::KeyValue;
    /// use opentelemetry_sdk::metrics::SdkMeterProvider;
    ///
    /// let metrics = HttpMetrics::builder().process_metrics(false).build().unwrap();
    /// let reader = PrometheusReader::builder()
    ///     .without_name_escaping()
    ///     .without_target_info()
    ///     .without_scope_labels()
    ///     .build();
    /// metrics.register_opentelemetry(&reader);
    /// let provider = SdkMeterProvider::builder().with_reader(reader.clone()).build();
    /// let payments = provider.meter("shop").u64_counter("payments.processed").build();
    /// payments.add(1, &[KeyValue::new("payment.method", "card")]);
    /// let text = metrics.encode_escaped(Format::OpenMetrics, Escaping::AllowUtf8).unwrap();
    /// assert!(text.contains("{\"payments.processed_total\",\"payment.method\"=\"card\"} 1\n"), "{text}");
    /// ```
    pub fn without_name_escaping(mut self) -> Self {
        self.options.utf8_names = true;
        self
    }

    /// The reader.
    pub fn build(self) -> PrometheusReader {
        PrometheusReader {
            inner: Arc::new(Inner {
                reader: ManualReader::builder()
                    .with_temporality(Temporality::Cumulative)
                    .build(),
                options: self.options,
                collected: Mutex::new(ResourceMetrics::default()),
                logged: Mutex::default(),
            }),
        }
    }
}

impl MetricReader for PrometheusReader {
    fn register_pipeline(&self, pipeline: Weak<Pipeline>) {
        self.inner.reader.register_pipeline(pipeline);
    }

    fn collect(&self, rm: &mut ResourceMetrics) -> OTelSdkResult {
        self.inner.reader.collect(rm)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.reader.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.reader.shutdown_with_timeout(timeout)
    }

    /// Cumulative, whatever the instrument: what Prometheus' counters and histograms are.
    fn temporality(&self, _kind: InstrumentKind) -> Temporality {
        Temporality::Cumulative
    }
}

impl Collect for PrometheusReader {
    /// Collects the meter provider and translates what it gives into Prometheus' families.
    fn collect(&self, out: &mut Collection) -> Result<(), CollectError> {
        let inner = &self.inner;
        // The last collection's buffers, which the SDK refills in place; a scrape that
        // overlaps another (a push beside a scrape) collects into buffers of its own rather
        // than wait.
        let mut fresh = ResourceMetrics::default();
        let mut kept = match inner.collected.try_lock() {
            Ok(kept) => Some(kept),
            Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        };
        let collected: &mut ResourceMetrics = match &mut kept {
            Some(kept) => kept,
            None => &mut fresh,
        };
        if let Err(error) = inner.reader.collect(collected) {
            let message = format!("collecting the meter provider failed: {error}");
            inner.log_once(message.clone());
            return Err(CollectError(message));
        }
        let translated = translate(collected, &inner.options, out.native_histograms());
        for name in &translated.unnamed {
            inner.log_once(format!(
                "left out OpenTelemetry metric {name:?}: no character of its name can be written"
            ));
        }
        for family in translated.families.into_values() {
            out.push(family.into_model());
        }
        Ok(())
    }
}

impl Inner {
    /// Logs `message` (a warning, with the `log` crate) the first time it comes.
    fn log_once(&self, message: String) {
        let mut logged = self.logged.lock().unwrap_or_else(PoisonError::into_inner);
        if logged.len() < 1_000 && logged.insert(message.clone()) {
            log::warn!("{message}");
        }
    }
}

/// A label set: names and values, sorted by name, borrowed from the collection where they
/// need no change.
type Labels<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// One Prometheus family, from the metrics of every scope that translate to its name.
#[derive(Debug)]
struct Family<'a> {
    /// The name without the unit, which prometheus-client appends.
    stem: String,
    unit: Option<String>,
    help: &'a str,
    kind: Kind,
    points: Vec<(Labels<'a>, Point)>,
    /// Whether two points may have one label set: from two metrics, or attribute keys that
    /// had to be renamed.
    may_repeat: bool,
}

#[derive(Debug)]
enum Point {
    Counter(f64),
    CounterInt(u64),
    Gauge(f64),
    GaugeInt(i64),
    Histogram {
        sum: f64,
        count: u64,
        /// Upper bounds and each bucket's own count, `+Inf` last.
        buckets: Vec<(f64, u64)>,
        /// An exponential histogram's native buckets.
        native: Option<Box<Native>>,
    },
    Info,
}

/// An exponential histogram's buckets, as a Prometheus native histogram takes them.
#[derive(Debug)]
struct Native {
    schema: i32,
    zero_threshold: f64,
    zero_count: u64,
    positive: (Vec<(i32, u32)>, Vec<i64>),
    negative: (Vec<(i32, u32)>, Vec<i64>),
}

/// A collection in Prometheus' terms.
#[derive(Debug, Default)]
struct Translated<'a> {
    /// The families by the name of their `# TYPE` line (stem and unit).
    families: BTreeMap<String, Family<'a>>,
    /// Metrics left out for a name with nothing to write.
    unnamed: Vec<&'a str>,
}

/// The families of `collected`.
fn translate<'a>(
    collected: &'a ResourceMetrics,
    options: &'a Options,
    native: bool,
) -> Translated<'a> {
    let mut out = Translated::default();
    let resource = collected.resource();
    let resource_labels: Labels<'a> = options
        .resource_labels
        .iter()
        .filter_map(|key| {
            let value = resource.get(&opentelemetry::Key::from(key.clone()))?;
            let value = value_str(&value).into_owned();
            (!value.is_empty()).then_some((label_name(key, options.utf8_names)?, Cow::Owned(value)))
        })
        .collect();
    if !options.without_target_info && !resource.is_empty() {
        let (labels, _) = attributes(
            resource.iter().map(|(k, v)| (k.as_str(), value_str(v))),
            0,
            options.utf8_names,
        );
        out.families.insert(
            "target".into(),
            Family {
                stem: "target".into(),
                unit: None,
                help: "Target metadata",
                kind: Kind::Info,
                points: vec![(labels, Point::Info)],
                may_repeat: false,
            },
        );
    }
    // Scopes in a stable order, so that where two clash the same one wins every scrape.
    let mut scopes: Vec<_> = collected.scope_metrics().collect();
    scopes.sort_by(|a, b| {
        let (a, b) = (a.scope(), b.scope());
        (a.name(), a.version(), a.schema_url()).cmp(&(b.name(), b.version(), b.schema_url()))
    });
    for scope_metrics in scopes {
        let scope_labels = if options.without_scope_labels {
            Vec::new()
        } else {
            scope_labels(scope_metrics.scope())
        };
        let added = Added {
            scope: &scope_labels,
            resource: &resource_labels,
            utf8: options.utf8_names,
        };
        for metric in scope_metrics.metrics() {
            out.add(metric, &added, native);
        }
    }
    for family in out.families.values_mut().filter(|f| f.may_repeat) {
        // One series per label set: Prometheus refuses a scrape that repeats one.
        family.points.sort_by(|a, b| a.0.cmp(&b.0));
        family.points.dedup_by(|later, first| later.0 == first.0);
    }
    out
}

/// The labels every point of a scope gets: the scope's, then the resource's.
struct Added<'l, 'a> {
    scope: &'l Labels<'a>,
    resource: &'l Labels<'a>,
    /// Names as OpenTelemetry wrote them (`PrometheusReaderBuilder::without_name_escaping`).
    utf8: bool,
}

impl<'a> Translated<'a> {
    /// Adds `metric`'s points to the family of its name.
    fn add(&mut self, metric: &'a data::Metric, added: &Added<'_, 'a>, native: bool) {
        let extra = added.scope.len() + added.resource.len();
        let Some((kind, otel_gauge, renamed, points)) =
            points(metric.data(), extra, native, added.utf8)
        else {
            return;
        };
        let counter = kind == Kind::Counter;
        let Some((stem, unit)) = metric_name(
            metric.name(),
            metric.unit(),
            counter,
            otel_gauge,
            added.utf8,
        ) else {
            self.unnamed.push(metric.name());
            return;
        };
        let full = match &unit {
            Some(unit) => format!("{stem}_{unit}"),
            None => stem.clone(),
        };
        let family = match self.families.entry(full) {
            Entry::Vacant(entry) => entry.insert(Family {
                stem,
                unit,
                help: metric.description(),
                kind,
                points: Vec::with_capacity(points.len()),
                may_repeat: false,
            }),
            Entry::Occupied(entry) => {
                let family = entry.into_mut();
                family.may_repeat = true;
                family
            }
        };
        // The same name from another scope with another kind cannot share a family.
        if family.kind != kind {
            return;
        }
        family.may_repeat |= renamed;
        for (mut labels, point) in points {
            if kind == Kind::Histogram {
                // Its buckets' own label.
                labels.retain(|(name, _)| name != "le");
            }
            if extra > 0 {
                // Scope labels win over a point's attribute of their name, which wins
                // over a resource label's: the sort is stable, first come first kept.
                labels.extend(added.scope.iter().cloned());
                labels.rotate_right(added.scope.len());
                labels.extend(added.resource.iter().cloned());
                labels.sort_by(|a, b| a.0.cmp(&b.0));
                labels.dedup_by(|later, first| later.0 == first.0);
            }
            family.points.push((labels, point));
        }
    }
}

/// The labels of a scope: its name, version and schema URL, and its attributes as
/// `otel_scope_<key>` (but for keys that would be one of the first three).
fn scope_labels(scope: &InstrumentationScope) -> Labels<'_> {
    let mut labels: Labels<'_> = vec![("otel_scope_name".into(), scope.name().into())];
    if let Some(version) = scope.version().filter(|v| !v.is_empty()) {
        labels.push(("otel_scope_version".into(), version.into()));
    }
    if let Some(url) = scope.schema_url().filter(|u| !u.is_empty()) {
        labels.push(("otel_scope_schema_url".into(), url.into()));
    }
    let (attributes, _) = attributes(
        scope
            .attributes()
            .map(|kv| (kv.key.as_str(), value_str(&kv.value))),
        0,
        false,
    );
    for (name, value) in attributes {
        if !matches!(&*name, "name" | "version" | "schema_url") {
            labels.push((Cow::Owned(format!("otel_scope_{name}")), value));
        }
    }
    labels
}

/// An attribute's value as a label value: a string as it is, an array as JSON, anything
/// else as OpenTelemetry writes it.
fn value_str(value: &opentelemetry::Value) -> Cow<'_, str> {
    use opentelemetry::{Array, Value};
    fn json<T>(items: &[T], item: impl Fn(&T, &mut String)) -> Cow<'static, str> {
        let mut out = String::from("[");
        for (i, value) in items.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            item(value, &mut out);
        }
        out.push(']');
        Cow::Owned(out)
    }
    match value {
        Value::String(s) => Cow::Borrowed(s.as_str()),
        Value::Array(Array::String(items)) => json(items, |s, out| json_string(s.as_str(), out)),
        Value::Array(Array::Bool(items)) => json(items, |b, out| out.push_str(&b.to_string())),
        Value::Array(Array::I64(items)) => json(items, |n, out| out.push_str(&n.to_string())),
        Value::Array(Array::F64(items)) => json(items, |n, out| {
            // JSON has no NaN or infinities: as Go's encoder, null stands in.
            if n.is_finite() {
                out.push_str(&n.to_string());
            } else {
                out.push_str("null");
            }
        }),
        other => Cow::Owned(other.to_string()),
    }
}

/// `s` as a JSON string.
fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Attributes as labels, with room for `extra` more: sanitized names, sorted, and the
/// values of attributes whose keys become one name joined with `;` in the order of the
/// keys; a key with nothing left of it, or an empty value, left out; and whether a key had
/// to be renamed.
fn attributes<'a>(
    pairs: impl Iterator<Item = (&'a str, Cow<'a, str>)>,
    extra: usize,
    utf8: bool,
) -> (Labels<'a>, bool) {
    let mut labels: Labels<'a> = Vec::with_capacity(pairs.size_hint().0 + extra);
    // An empty value is no label to Prometheus: `{k=""}` is `{}`.
    labels.extend(
        pairs
            .filter(|(_, value)| !value.is_empty())
            .map(|(key, value)| (Cow::Borrowed(key), value)),
    );
    // The SDK keeps attributes sorted by key: a check, in the common case.
    if !labels.is_sorted_by(|a, b| a.0 <= b.0) {
        labels.sort_by(|a, b| a.0.cmp(&b.0));
    }
    let mut renamed = false;
    let mut unnamed = false;
    for (name, _) in &mut labels {
        let clean = match label_name(name, utf8) {
            Some(Cow::Borrowed(_)) => continue,
            Some(Cow::Owned(clean)) => clean,
            None => {
                unnamed = true;
                String::new()
            }
        };
        *name = Cow::Owned(clean);
        renamed = true;
    }
    if unnamed {
        labels.retain(|(name, _)| !name.is_empty());
    }
    if !renamed {
        return (labels, false);
    }
    // Stable: keys that became one name stay in key order, and their values are joined so.
    labels.sort_by(|a, b| a.0.cmp(&b.0));
    let mut merged: Labels<'a> = Vec::with_capacity(labels.capacity());
    for (name, value) in labels {
        match merged.last_mut() {
            Some((last, joined)) if *last == name => {
                let joined = joined.to_mut();
                joined.push(';');
                joined.push_str(&value);
            }
            _ => merged.push((name, value)),
        }
    }
    (merged, true)
}

/// Points of a metric: its Prometheus kind, whether it is an OpenTelemetry gauge, whether
/// an attribute key was renamed, and the points with their attributes as labels.
type Points<'a> = (Kind, bool, bool, Vec<(Labels<'a>, Point)>);

/// A metric's points, their label sets with room for `extra` more, or `None` for data
/// Prometheus has no form for (delta, which this reader's cumulative temporality never
/// produces).
fn points(data: &AggregatedMetrics, extra: usize, native: bool, utf8: bool) -> Option<Points<'_>> {
    match data {
        AggregatedMetrics::F64(data) => typed(
            data,
            (extra, utf8),
            native,
            |v| v,
            Point::Counter,
            Point::Gauge,
        ),
        AggregatedMetrics::U64(data) => typed(
            data,
            (extra, utf8),
            native,
            |v| v as f64,
            Point::CounterInt,
            |v| Point::Gauge(v as f64),
        ),
        AggregatedMetrics::I64(data) => typed(
            data,
            (extra, utf8),
            native,
            |v| v as f64,
            |v| Point::Counter(v as f64),
            Point::GaugeInt,
        ),
    }
}

fn typed<T: Copy>(
    data: &MetricData<T>,
    (extra, utf8): (usize, bool),
    native: bool,
    to_f64: impl Fn(T) -> f64,
    counter: impl Fn(T) -> Point,
    gauge: impl Fn(T) -> Point,
) -> Option<Points<'_>> {
    let mut renamed = false;
    // Each kind of data point has its own type, with the same `attributes()`; `$value` is
    // `None` for a point Prometheus cannot carry.
    macro_rules! points {
        ($data:expr, |$p:ident| $value:expr) => {
            $data
                .data_points()
                .filter_map(|$p| {
                    let value = $value?;
                    let pairs = $p
                        .attributes()
                        .map(|kv| (kv.key.as_str(), value_str(&kv.value)));
                    let (labels, point_renamed) = attributes(pairs, extra, utf8);
                    renamed |= point_renamed;
                    Some((labels, value))
                })
                .collect()
        };
    }
    let cumulative = |t: Temporality| (t == Temporality::Cumulative).then_some(());
    let (kind, otel_gauge, points) = match data {
        MetricData::Gauge(g) => (Kind::Gauge, true, points!(g, |p| Some(gauge(p.value())))),
        MetricData::Sum(sum) => {
            cumulative(sum.temporality())?;
            if sum.is_monotonic() {
                (
                    Kind::Counter,
                    false,
                    points!(sum, |p| Some(counter(p.value()))),
                )
            } else {
                (Kind::Gauge, false, points!(sum, |p| Some(gauge(p.value()))))
            }
        }
        MetricData::Histogram(h) => {
            cumulative(h.temporality())?;
            (
                Kind::Histogram,
                false,
                points!(h, |p| Some(classic(p, &to_f64))),
            )
        }
        MetricData::ExponentialHistogram(h) => {
            cumulative(h.temporality())?;
            (
                Kind::Histogram,
                false,
                points!(h, |p| exponential(p, &to_f64, native)),
            )
        }
    };
    Some((kind, otel_gauge, renamed, points))
}

fn classic<T: Copy>(point: &data::HistogramDataPoint<T>, to_f64: impl Fn(T) -> f64) -> Point {
    let mut counts = point.bucket_counts();
    let mut buckets: Vec<(f64, u64)> = point
        .bounds()
        .map(|bound| (bound, counts.next().unwrap_or(0)))
        .collect();
    buckets.push((f64::INFINITY, counts.next().unwrap_or(0)));
    Point::Histogram {
        sum: to_f64(point.sum()),
        count: point.count(),
        buckets,
        native: None,
    }
}

/// The finest and coarsest schemas a Prometheus native histogram has: OpenTelemetry's
/// scales go from -10 to 20.
const MAX_SCHEMA: i32 = 8;
const MIN_SCHEMA: i32 = -4;
/// The zero bucket's threshold when the SDK's is 0, as Prometheus' OTLP translator sets it.
const MIN_ZERO_THRESHOLD: f64 = 1e-128;

/// An exponential histogram: its native buckets, and `+Inf` for the text formats; `None` for
/// a scale coarser than Prometheus' coarsest schema, which the specification has dropped.
///
/// OpenTelemetry's bucket `i` at scale `s` is `(base^i, base^(i+1)]` with `base =
/// 2^(2^-s)`, Prometheus' bucket `k` at schema `s` is `(base^(k-1), base^k]`: the key is the
/// index plus one. A scale finer than schema 8 is merged down to it (index `i` becomes
/// `i >> (s - 8)`, as the SDK itself downscales). The SDK's zero bucket holds exact zeros
/// (a threshold of 0); Prometheus reads a histogram whose threshold is 0 and whose buckets
/// are empty as a classic one, so the zero bucket gets the translator's threshold, 1e-128.
fn exponential<T: Copy>(
    point: &data::ExponentialHistogramDataPoint<T>,
    to_f64: impl Fn(T) -> f64,
    native: bool,
) -> Option<Point> {
    let scale = i32::from(point.scale());
    if scale < MIN_SCHEMA {
        return None;
    }
    let shift = (scale - MAX_SCHEMA).max(0) as u32;
    let count = point.count() as u64;
    Some(Point::Histogram {
        sum: to_f64(point.sum()),
        count,
        buckets: vec![(f64::INFINITY, count)],
        native: native.then(|| {
            Box::new(Native {
                schema: scale.min(MAX_SCHEMA),
                zero_threshold: point.zero_threshold().max(MIN_ZERO_THRESHOLD),
                zero_count: point.zero_count(),
                positive: native_side(point.positive_bucket(), shift),
                negative: native_side(point.negative_bucket(), shift),
            })
        }),
    })
}

/// One side's buckets as one span of keys and the deltas of their counts, merged by
/// `shift` scales.
fn native_side(bucket: &data::ExponentialBucket, shift: u32) -> (Vec<(i32, u32)>, Vec<i64>) {
    merge_side(bucket.offset(), bucket.counts(), shift)
}

/// [`native_side`] of the buckets from index `offset` with `counts`.
fn merge_side(
    offset: i32,
    counts: impl Iterator<Item = u64>,
    shift: u32,
) -> (Vec<(i32, u32)>, Vec<i64>) {
    // Consecutive indexes stay consecutive (or equal) when shifted: one span still.
    let mut merged: Vec<(i32, u64)> = Vec::new();
    for (i, n) in counts.enumerate() {
        let index = (offset + i as i32) >> shift;
        match merged.last_mut() {
            Some((last, total)) if *last == index => *total += n,
            _ => merged.push((index, n)),
        }
    }
    let Some(&(first, _)) = merged.first() else {
        return (Vec::new(), Vec::new());
    };
    let mut previous = 0i64;
    let deltas = merged
        .iter()
        .map(|&(_, n)| {
            let delta = n as i64 - previous;
            previous = n as i64;
            delta
        })
        .collect();
    (vec![(first + 1, merged.len() as u32)], deltas)
}

impl Family<'_> {
    /// The family in the model: named with its unit, as the text formats write it.
    fn into_model(self) -> model::Family {
        let (name, unit) = match self.unit {
            Some(unit) => (format!("{}_{unit}", self.stem), unit),
            None => (self.stem, String::new()),
        };
        let mut family = model::Family::new(name, self.help, self.kind).with_unit(unit);
        for (labels, point) in self.points {
            family.push(labels, point.into_value());
        }
        family
    }
}

impl Point {
    fn into_value(self) -> Value {
        match self {
            Point::Counter(v) => Value::Counter(Number::Float(v), None),
            Point::CounterInt(v) => Value::Counter(Number::UInt(v), None),
            Point::Gauge(v) => Value::Gauge(Number::Float(v)),
            Point::GaugeInt(v) => Value::Gauge(Number::Int(v)),
            Point::Info => Value::Info,
            Point::Histogram {
                sum,
                count,
                buckets,
                native,
            } => {
                let mut cumulative = 0;
                let buckets = buckets
                    .into_iter()
                    .map(|(upper_bound, n)| {
                        cumulative += n;
                        model::Bucket {
                            upper_bound,
                            count: cumulative,
                            exemplar: None,
                        }
                    })
                    .collect();
                Value::Histogram(model::Histogram {
                    sum,
                    count,
                    buckets,
                    native: native.map(|n| model::NativeHistogram {
                        schema: n.schema,
                        zero_threshold: n.zero_threshold,
                        zero_count: n.zero_count,
                        positive_spans: n.positive.0,
                        positive_deltas: n.positive.1,
                        negative_spans: n.negative.0,
                        negative_deltas: n.negative.1,
                        exemplars: Vec::new(),
                    }),
                })
            }
        }
    }
}
