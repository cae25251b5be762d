//! From a registry's snapshot to the series a Prometheus scraping it would store: one series
//! per sample (a counter's `_total`, each bucket, `_sum` and `_count` of a histogram, each
//! quantile of a summary, an info metric's `_info`), named and labelled as the text formats
//! write it, and for a histogram with native buckets one histogram series under the family's
//! own name; the sender's external labels added where the series has no label of that
//! name, and metadata per family. Exemplars travel on the counter, the buckets and the
//! native histogram.
//!
//! A series of the snapshot is looked up by its family and labels, without building a key:
//! its samples' labels are sorted and encoded as protobuf once, the first time it appears,
//! and each push writes its samples as whole `TimeSeries` messages from them. A series that
//! disappears gets a staleness marker on each of its samples, as a scrape would write.

use std::borrow::Cow;
use std::hash::{BuildHasher, Hash, Hasher};
use std::ops::Range;

use hashbrown::HashTable;
use http_metrics_core::snapshot::{ExemplarRef, FamilyRef, SeriesRef, Snapshot, ValueRef};

use super::wire;

/// Prometheus' staleness marker: a NaN no arithmetic produces.
pub(crate) const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;

/// Samples as the `TimeSeries` messages of a `WriteRequest` (one sample each), one after the
/// other: what a request body copies.
#[derive(Debug, Default)]
pub(crate) struct Encoded {
    bytes: Vec<u8>,
    /// Where each sample's message ends in `bytes`.
    ends: Vec<usize>,
    /// Each sample's series' start time, in milliseconds since the epoch (0: unknown).
    created: Vec<i64>,
}

impl Encoded {
    /// How many samples there are.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    fn push(
        &mut self,
        labels: &[u8],
        value: f64,
        timestamp_ms: i64,
        exemplar: &[u8],
        created: i64,
    ) {
        wire::time_series(&mut self.bytes, labels, value, timestamp_ms, exemplar);
        self.ends.push(self.bytes.len());
        self.created.push(created);
    }

    fn push_histogram(&mut self, labels: &[u8], histogram: &[u8], created: i64) {
        wire::histogram_series(&mut self.bytes, labels, histogram);
        self.ends.push(self.bytes.len());
        self.created.push(created);
    }

    /// The start times of the samples in `range` (milliseconds, 0: unknown).
    pub(crate) fn created(&self, range: Range<usize>) -> &[i64] {
        &self.created[range]
    }

    /// The messages of the samples in `range`.
    pub(crate) fn messages(&self, range: Range<usize>) -> &[u8] {
        let end = |i: usize| if i == 0 { 0 } else { self.ends[i - 1] };
        &self.bytes[end(range.start)..end(range.end)]
    }

    /// Each sample, read back: labels, value and timestamp (for tests).
    #[cfg(test)]
    pub(crate) fn decoded(&self) -> Vec<wire::Decoded> {
        (0..self.len())
            .map(|i| wire::decode_time_series(self.messages(i..i + 1)))
            .collect()
    }
}

/// The metadata of one family, as remote-write's `MetricMetadata` carries it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Metadata {
    pub(crate) kind: u8,
    pub(crate) family: String,
    pub(crate) help: String,
    pub(crate) unit: String,
}

/// A snapshot's series, as remembered from one push to the next.
struct Entry {
    hash: u64,
    family: Box<str>,
    labels: Box<[(Box<str>, Box<str>)]>,
    /// Each sample's labels as sorted, encoded `Label` messages, in the order the series'
    /// samples are written; `None` for a series no receiver would store (a label named
    /// twice).
    samples: Option<SampleLabels>,
    generation: u64,
}

/// The encoded labels of each sample of one series, one after the other in one allocation.
struct SampleLabels {
    bytes: Box<[u8]>,
    /// Where each sample's labels end in `bytes`.
    ends: Box<[u32]>,
}

impl SampleLabels {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        (starts.zip(self.ends.iter().copied()))
            .map(|(start, end)| &self.bytes[start as usize..end as usize])
    }
}

/// The series of a registry, kept from one push to the next.
pub(crate) struct SeriesTable {
    external: Vec<(String, String)>,
    entries: HashTable<Entry>,
    hasher: foldhash::fast::FixedState,
    generation: u64,
    /// The samples of the series being read, kept from one series to the next.
    lines: Vec<Line>,
    /// The samples' buffer of a batch done with, for the next read.
    spare: Encoded,
    /// The exemplars and native histograms of the series being read, encoded.
    scratch: Vec<u8>,
}

/// What one push of the registry holds.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub(crate) samples: Encoded,
    pub(crate) metadata: Vec<Metadata>,
}

/// One sample a series writes: the suffix of its name, a label it adds, and its value; or,
/// for a native histogram, the histogram itself (`native`, under the family's own name).
struct Line {
    suffix: &'static str,
    extra: Extra,
    value: f64,
    /// The encoded `Exemplar` (a sample) or `Histogram` (`native`) in the table's scratch
    /// buffer.
    payload: std::ops::Range<usize>,
    native: bool,
}

/// The label a sample adds to its series': a bucket's upper bound, a summary's quantile.
#[derive(Clone, Copy)]
enum Extra {
    None,
    Le(f64),
    Quantile(f64),
}

impl Extra {
    /// The label, as the text formats write it.
    fn label(self) -> Option<(&'static str, String)> {
        match self {
            Extra::None => None,
            Extra::Le(bound) if bound == f64::INFINITY => Some(("le", "+Inf".to_owned())),
            Extra::Le(bound) => Some(("le", dtoa::Buffer::new().format(bound).to_owned())),
            Extra::Quantile(quantile) => Some(("quantile", quantile.to_string())),
        }
    }
}

impl SeriesTable {
    /// A table adding `external` labels (name, value) to every series without them.
    pub(crate) fn new(mut external: Vec<(String, String)>) -> Self {
        external.sort_by(|a, b| a.0.cmp(&b.0));
        external.dedup_by(|a, b| a.0 == b.0);
        Self {
            external,
            entries: HashTable::new(),
            hasher: foldhash::fast::FixedState::default(),
            generation: 0,
            lines: Vec::new(),
            spare: Encoded::default(),
            scratch: Vec::new(),
        }
    }

    /// How many series the table holds.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Reads one snapshot, taken at `timestamp_ms`. Series of the previous snapshot missing
    /// from this one get a staleness marker.
    pub(crate) fn read(&mut self, snapshot: &Snapshot<'_>, timestamp_ms: i64) -> Batch {
        self.generation += 1;
        let mut samples = std::mem::take(&mut self.spare);
        samples.bytes.clear();
        samples.ends.clear();
        samples.created.clear();
        let mut batch = Batch {
            samples,
            metadata: Vec::new(),
        };
        for family in snapshot.families() {
            batch.metadata.push(Metadata {
                kind: wire::metric_type(family.kind()),
                family: family.name().to_owned(),
                help: family.help().to_owned(),
                unit: family.unit().to_owned(),
            });
            for series in family.series() {
                self.read_series(family, series, timestamp_ms, &mut batch.samples);
            }
        }
        self.mark_stale(timestamp_ms, &mut batch.samples);
        batch
    }

    /// Takes back a batch done with: the next read writes into its buffers, which have the
    /// size a push needs.
    pub(crate) fn recycle(&mut self, batch: Batch) {
        self.spare = batch.samples;
    }

    fn read_series(
        &mut self,
        family: FamilyRef<'_>,
        series: SeriesRef<'_>,
        timestamp_ms: i64,
        out: &mut Encoded,
    ) {
        let mut lines = std::mem::take(&mut self.lines);
        lines.clear();
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        push_lines(series.value(), timestamp_ms, &mut lines, &mut scratch);
        self.write_samples(family, series, (&lines, &scratch), timestamp_ms, out);
        self.lines = lines;
        self.scratch = scratch;
    }

    fn write_samples(
        &mut self,
        family: FamilyRef<'_>,
        series: SeriesRef<'_>,
        (lines, scratch): (&[Line], &[u8]),
        timestamp_ms: i64,
        out: &mut Encoded,
    ) {
        let hash = self.hash(family.name(), series);
        let generation = self.generation;
        let found = self.entries.find_mut(hash, |entry| {
            *entry.family == *family.name()
                && entry
                    .labels
                    .iter()
                    .map(|(n, v)| (&**n, &**v))
                    .eq(series.labels().iter())
        });
        let entry = match found {
            // A series twice in one snapshot: the first one stands, as in a scrape.
            Some(entry) if entry.generation == generation => return,
            Some(entry)
                if entry
                    .samples
                    .as_ref()
                    .is_none_or(|s| s.len() == lines.len()) =>
            {
                entry
            }
            _ => {
                let entry = self.entry(hash, family.name(), series, lines);
                self.insert(entry)
            }
        };
        entry.generation = generation;
        let Some(samples) = &entry.samples else {
            return;
        };
        let created = series
            .created()
            .map_or(0, |seconds| (seconds * 1000.0) as i64);
        for (labels, line) in samples.iter().zip(lines) {
            let payload = &scratch[line.payload.clone()];
            if line.native {
                out.push_histogram(labels, payload, created);
            } else {
                out.push(labels, line.value, timestamp_ms, payload, created);
            }
        }
    }

    fn hash(&self, family: &str, series: SeriesRef<'_>) -> u64 {
        let mut hasher = self.hasher.build_hasher();
        family.hash(&mut hasher);
        for (name, value) in series.labels().iter() {
            name.hash(&mut hasher);
            value.hash(&mut hasher);
        }
        hasher.finish()
    }

    /// Puts `entry` in the table, in place of the series' earlier one if any.
    fn insert(&mut self, entry: Entry) -> &mut Entry {
        let hash = entry.hash;
        let same = |e: &Entry| e.family == entry.family && e.labels == entry.labels;
        if let Ok(old) = self.entries.find_entry(hash, same) {
            old.remove();
        }
        self.entries
            .insert_unique(hash, entry, |e: &Entry| e.hash)
            .into_mut()
    }

    /// The table's entry of a series first seen: each of its samples' labels encoded.
    fn entry(&self, hash: u64, family: &str, series: SeriesRef<'_>, lines: &[Line]) -> Entry {
        let labels: Box<[(Box<str>, Box<str>)]> = series
            .labels()
            .iter()
            .map(|(n, v)| (n.into(), v.into()))
            .collect();
        let mut bytes = Vec::new();
        let mut ends = Vec::with_capacity(lines.len());
        let mut valid = true;
        for line in lines {
            valid &= self.encode(family, &labels, line, &mut bytes);
            ends.push(bytes.len() as u32);
        }
        let samples = valid.then(|| SampleLabels {
            bytes: bytes.into_boxed_slice(),
            ends: ends.into_boxed_slice(),
        });
        Entry {
            hash,
            family: family.into(),
            labels,
            samples,
            generation: 0,
        }
    }

    /// Appends a sample's labels to `out` as sorted, encoded `Label` messages: `__name__`, the series' own,
    /// the sample's extra label, and the external labels the series does not have; `false`
    /// (and nothing appended) when a label name would appear twice.
    fn encode(
        &self,
        family: &str,
        labels: &[(Box<str>, Box<str>)],
        line: &Line,
        out: &mut Vec<u8>,
    ) -> bool {
        let name = format!("{family}{}", line.suffix);
        let mut all: Vec<(&str, Cow<'_, str>)> = Vec::with_capacity(labels.len() + 4);
        all.push(("__name__", name.into()));
        // An empty value is the same as no label, to Prometheus: an external label fills it.
        all.extend(
            labels
                .iter()
                .filter(|(_, value)| !value.is_empty())
                .map(|(n, v)| (&**n, Cow::Borrowed(&**v))),
        );
        if let Some((name, value)) = line.extra.label() {
            all.push((name, Cow::Owned(value)));
        }
        for (external, value) in &self.external {
            // A label the series has keeps its value (Prometheus' external_labels rule).
            if !all.iter().any(|(n, _)| n == external) {
                all.push((external.as_str(), value.as_str().into()));
            }
        }
        all.sort_by(|a, b| a.0.cmp(b.0));
        if all.windows(2).any(|pair| pair[0].0 == pair[1].0) {
            return false;
        }
        for (name, value) in &all {
            wire::label(out, name, value);
        }
        true
    }

    /// What was there last time and is gone now is stale, once; then forgotten.
    fn mark_stale(&mut self, timestamp_ms: i64, out: &mut Encoded) {
        let generation = self.generation;
        self.entries.retain(|entry| {
            if entry.generation == generation {
                return true;
            }
            for labels in entry.samples.iter().flat_map(SampleLabels::iter) {
                out.push(labels, f64::from_bits(STALE_NAN), timestamp_ms, &[], 0);
            }
            false
        });
    }
}

/// Appends the samples a series writes to `out`, in the order the text formats write them,
/// then its native histogram if it has one; their exemplars and the histogram go encoded
/// into `scratch`.
fn push_lines(value: ValueRef<'_>, timestamp_ms: i64, out: &mut Vec<Line>, scratch: &mut Vec<u8>) {
    let mut line = |suffix, extra, value, exemplar: Option<ExemplarRef<'_>>| {
        let start = scratch.len();
        if let Some(exemplar) = exemplar {
            let labels = exemplar.labels();
            let at = exemplar
                .timestamp()
                .map_or(timestamp_ms, |seconds| (seconds * 1000.0) as i64);
            let pairs = labels.iter().map(|(n, v)| (&**n, &**v));
            wire::exemplar(scratch, pairs, exemplar.value(), at);
        }
        out.push(Line {
            suffix,
            extra,
            value,
            payload: start..scratch.len(),
            native: false,
        });
    };
    match value {
        ValueRef::Counter(total, exemplar) => line("_total", Extra::None, total.as_f64(), exemplar),
        ValueRef::Gauge(value) => line("", Extra::None, value.as_f64(), None),
        ValueRef::Info => line("_info", Extra::None, 1.0, None),
        ValueRef::Histogram(histogram) => {
            line("_sum", Extra::None, histogram.sum(), None);
            line("_count", Extra::None, histogram.count() as f64, None);
            for bucket in histogram.buckets() {
                let le = Extra::Le(bucket.upper_bound);
                line("_bucket", le, bucket.count as f64, bucket.exemplar);
            }
            if let Some(native) = histogram.native() {
                // The native histogram carries the buckets' exemplars too, as a scrape
                // stores them.
                let exemplars: Vec<std::ops::Range<usize>> = (out.iter())
                    .filter(|l| l.suffix == "_bucket" && !l.payload.is_empty())
                    .map(|l| l.payload.clone())
                    .collect();
                let mut message = Vec::new();
                wire::native_histogram(&mut message, native, histogram.sum(), timestamp_ms);
                let copied: Vec<Vec<u8>> = exemplars
                    .iter()
                    .map(|r| scratch[r.clone()].to_vec())
                    .collect();
                let start = scratch.len();
                wire::histogram_fields(scratch, &message, copied.iter().map(Vec::as_slice));
                out.push(Line {
                    suffix: "",
                    extra: Extra::None,
                    value: 0.0,
                    payload: start..scratch.len(),
                    native: true,
                });
            }
        }
        ValueRef::Summary(summary) => {
            for &(quantile, value) in &summary.quantiles {
                line("", Extra::Quantile(quantile), value, None);
            }
            line("_sum", Extra::None, summary.sum, None);
            line("_count", Extra::None, summary.count as f64, None);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use http_metrics_core::adapter::{MethodLabel, RouteHandle};
    use http_metrics_core::model::{
        Collect, CollectError, Collection, Family, Kind, Number, Value,
    };
    use http_metrics_core::prometheus_client::metrics::counter::Counter;
    use http_metrics_core::prometheus_client::metrics::info::Info;
    use http_metrics_core::HttpMetrics;

    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    fn metrics() -> HttpMetrics {
        HttpMetrics::builder()
            .process_metrics(false)
            .buckets([0.1])
            .build()
            .unwrap()
    }

    /// The samples of `batch` whose `__name__` starts with `prefix`: labels and value.
    fn samples(batch: &Batch, prefix: &str) -> Vec<(Vec<(String, String)>, f64)> {
        (batch.samples.decoded().into_iter())
            .map(|(labels, value, _)| (labels, value))
            .filter(|(labels, _)| labels[0].1.starts_with(prefix))
            .collect()
    }

    #[test]
    fn every_sample_is_a_series_with_sorted_labels_and_external_labels() {
        let metrics = metrics();
        let route = RouteHandle::resolve(&metrics, "/a");
        route.record(MethodLabel::Get, 200, std::time::Duration::from_millis(50));
        let info = Info::new(vec![("version", "1.2")]);
        metrics.register("build", "Build", info).unwrap();
        let mut table = SeriesTable::new(pairs(&[("job", "svc"), ("instance", "i-1")]));
        let batch = table.read(&metrics.snapshot().unwrap(), 1_000);
        let base = [
            ("instance", "i-1"),
            ("job", "svc"),
            ("method", "GET"),
            ("route", "/a"),
        ];
        let with = |name: &str, extra: &[(&str, &str)]| {
            let mut all = vec![("__name__", name)];
            all.extend(base);
            all.extend(extra);
            all.sort();
            pairs(&all)
        };
        assert_eq!(
            samples(&batch, "http_requests_total"),
            vec![(with("http_requests_total", &[("status", "200")]), 1.0)]
        );
        let status = [("status", "200")];
        let bucket = |le| [("le", le), ("status", "200")];
        assert_eq!(
            samples(&batch, "http_request_duration"),
            vec![
                (with("http_request_duration_seconds_sum", &status), 0.05),
                (with("http_request_duration_seconds_count", &status), 1.0),
                (
                    with("http_request_duration_seconds_bucket", &bucket("0.1")),
                    1.0
                ),
                (
                    with("http_request_duration_seconds_bucket", &bucket("+Inf")),
                    1.0
                ),
            ]
        );
        assert_eq!(
            samples(&batch, "build"),
            vec![(
                pairs(&[
                    ("__name__", "build_info"),
                    ("instance", "i-1"),
                    ("job", "svc"),
                    ("version", "1.2")
                ]),
                1.0
            )]
        );
        let metadata = |family: &str| {
            let found = batch.metadata.iter().find(|m| m.family == family);
            found.cloned().unwrap()
        };
        assert_eq!(
            metadata("http_requests"),
            Metadata {
                kind: 1,
                family: "http_requests".into(),
                help: "Total number of HTTP requests by method, route template and status.".into(),
                unit: String::new(),
            }
        );
        assert_eq!(metadata("http_request_duration_seconds").unit, "seconds");
        assert_eq!(metadata("build").kind, 6);
    }

    #[test]
    fn labels_are_encoded_once_and_vanished_series_marked_stale_once() {
        #[derive(Debug)]
        struct Toggle(std::sync::atomic::AtomicBool);
        impl Collect for Toggle {
            fn collect(&self, out: &mut Collection) -> Result<(), CollectError> {
                let mut family = Family::new("b", "", Kind::Gauge);
                if !self.0.swap(false, std::sync::atomic::Ordering::Relaxed) {
                    return Ok(());
                }
                family.push([("x", "1")], Value::Gauge(Number::Int(2)));
                out.push(family);
                Ok(())
            }
        }
        let metrics = metrics();
        let jobs: Counter = Counter::default();
        metrics.register("a", "", jobs.clone()).unwrap();
        metrics.register_collect("toggle", Toggle(true.into()));
        let mut table = SeriesTable::new(Vec::new());
        let first = table.read(&metrics.snapshot().unwrap(), 10);
        jobs.inc();
        let second = table.read(&metrics.snapshot().unwrap(), 20);
        let find = |batch: &Batch, name: &str| {
            (batch.samples.decoded().into_iter())
                .find(|(labels, _, _)| labels[0].1 == name)
                .unwrap()
        };
        let (a1, a2) = (find(&first, "a_total"), find(&second, "a_total"));
        assert_eq!(a1.0, a2.0);
        assert_eq!((a1.1, a2.1), (0.0, 1.0));
        let (labels, value, timestamp) = find(&second, "b");
        assert_eq!(value.to_bits(), STALE_NAN);
        assert_eq!(timestamp, 20);
        assert_eq!(labels, pairs(&[("__name__", "b"), ("x", "1")]));
        let before = table.len();
        let third = table.read(&metrics.snapshot().unwrap(), 30);
        assert!(
            !(third.samples.decoded().iter()).any(|(labels, _, _)| labels[0].1 == "b"),
            "a stale marker is written once"
        );
        assert_eq!(table.len(), before);
    }

    #[test]
    fn repeated_series_and_repeated_label_names_are_left_out_and_empty_values_filled() {
        #[derive(Debug)]
        struct Odd;
        impl Collect for Odd {
            fn collect(&self, out: &mut Collection) -> Result<(), CollectError> {
                let mut family = Family::new("odd", "", Kind::Gauge);
                family.push([("x", "1")], Value::Gauge(Number::Int(1)));
                family.push([("x", "1")], Value::Gauge(Number::Int(2)));
                family.push([("x", "1"), ("x", "2")], Value::Gauge(Number::Int(3)));
                family.push([("instance", "")], Value::Gauge(Number::Float(4.5)));
                out.push(family);
                Ok(())
            }
        }
        let metrics = metrics();
        metrics.register_collect("odd", Odd);
        let mut table = SeriesTable::new(pairs(&[("instance", "i-1")]));
        let batch = table.read(&metrics.snapshot().unwrap(), 5);
        assert_eq!(
            samples(&batch, "odd"),
            vec![
                (
                    pairs(&[("__name__", "odd"), ("instance", "i-1"), ("x", "1")]),
                    1.0
                ),
                (pairs(&[("__name__", "odd"), ("instance", "i-1")]), 4.5),
            ]
        );
    }
}
