//! The HTTP families written directly: both text formats line by line into the scrape's
//! buffer, and the protobuf format's messages, from one reading of every series.
//!
//! prometheus-client's encoder, which the application's metrics still go through, renders
//! every label of every line through `fmt::Write`, escaping as it goes, and writes only
//! OpenMetrics, which the Prometheus text format was converted from. Here:
//!
//! - a series' labels are rendered (and escaped) once in its lifetime, by the first scrape
//!   that shows it, and kept with the series; the constant labels and each bucket's
//!   `le="…",` once per registry;
//! - numbers are written with `itoa` and `dtoa`, the crates prometheus-client uses, so the
//!   digits are the same;
//! - a scrape first reads every series once into one flat array, then writes the families
//!   from it: `http_requests_total` and the histogram's `_count` and `+Inf` bucket are the
//!   same numbers in every scrape, however busy the service (in protobuf with native
//!   histograms, `_count` is the native buckets' total, which Prometheus requires, read a
//!   moment apart);
//! - each format is written directly: no OpenMetrics text is converted for a Prometheus
//!   0.0.4 scrape.

use std::sync::Arc;

use crate::base::escape_into;
use crate::http::series::{DurationCell, RouteEntry, RouteTable, Settings};
use crate::{Buckets, Format, MethodLabel};

/// How the HTTP families are named and labelled, rendered once.
#[derive(Debug)]
pub(crate) struct HttpFamilies {
    routes: Arc<RouteTable>,
    /// `name="value",` for each constant label, escaped.
    const_labels: String,
    /// The same, for protobuf.
    #[cfg(feature = "native-histograms")]
    const_pairs: Vec<crate::exposition::protobuf::LabelPair>,
    /// The counter's name without `_total`, when it is exposed.
    requests: Option<String>,
    /// The latency histogram's name, `_seconds` included.
    duration: String,
    /// The head histogram's name, with [`crate::DurationEnd::Both`].
    head: Option<String>,
    /// The body-size histograms' names, with body sizes, and whether their unit is bytes.
    sizes: Option<([String; 2], bool)>,
    in_flight: Option<String>,
    /// `le="0.005",` … `le="+Inf",` for the latency histograms, then for the sizes.
    duration_le: Box<[Box<str>]>,
    size_le: Box<[Box<str>]>,
}

/// One series as one scrape read it.
struct Read<'a> {
    labels: &'a str,
    cell: &'a DurationCell,
    /// The series' route, method, request-label index and status key, for protobuf; `None`
    /// for the overflow series.
    #[cfg_attr(not(feature = "native-histograms"), allow(dead_code))]
    series: Option<(&'a RouteEntry, MethodLabel, u8, u16)>,
    /// Requests: the latency buckets' total.
    count: u64,
    /// Requests the head histogram has, with it.
    head: u64,
    /// Requests the request- and response-size histograms have, with body sizes.
    sizes: [u64; 2],
}

/// Every HTTP series read once, for one scrape.
struct Snapshot<'a> {
    reads: Vec<Read<'a>>,
    /// Each series' values, `stride` apart: the latency histogram's sum and buckets, then
    /// the head histogram's, then each body-size histogram's.
    values: Vec<u64>,
    stride: usize,
    /// Values of a latency histogram: its sum and buckets.
    duration_len: usize,
    /// Where a series' body-size histograms start, and the values of each.
    sizes_at: usize,
    size_len: usize,
    /// The in-flight gauge's series: labels and value, and for protobuf the route, method
    /// and request-label index.
    in_flight: Vec<(&'a str, i64, &'a RouteEntry, MethodLabel, u8)>,
}

impl Snapshot<'_> {
    /// Series `i`'s latency (`which` 0) or head (1) histogram: its values and count.
    fn duration(&self, i: usize, which: usize) -> (&[u64], u64) {
        let read = &self.reads[i];
        let count = if which == 0 { read.count } else { read.head };
        let at = self.stride * i + which * self.duration_len;
        (&self.values[at..at + self.duration_len], count)
    }

    /// Series `i`'s request-size (`which` 0) or response-size (1) histogram: its values and
    /// count.
    fn size(&self, i: usize, which: usize) -> (&[u64], u64) {
        let at = self.stride * i + self.sizes_at + which * self.size_len;
        (
            &self.values[at..at + self.size_len],
            self.reads[i].sizes[which],
        )
    }
}

/// The help of the request-size and the response-size histograms.
const SIZE_HELPS: [&str; 2] = [
    crate::labels::naming::REQUEST_SIZE_HELP,
    crate::labels::naming::RESPONSE_SIZE_HELP,
];

/// Renders the `le` label of each bucket of `buckets`, `+Inf` last.
fn le_labels(buckets: &Buckets) -> Box<[Box<str>]> {
    buckets
        .as_slice()
        .iter()
        .map(|b| format!("le=\"{}\",", dtoa::Buffer::new().format(*b)))
        .chain(std::iter::once("le=\"+Inf\",".to_owned()))
        .map(String::into_boxed_str)
        .collect()
}

impl HttpFamilies {
    pub(crate) fn new(
        routes: Arc<RouteTable>,
        naming: &crate::Naming,
        prefix: Option<&str>,
        const_labels: &[(String, String)],
    ) -> Self {
        let prefix = prefix.map(|p| format!("{p}_")).unwrap_or_default();
        let mut rendered = String::new();
        for (name, value) in const_labels {
            rendered.push_str(name);
            rendered.push_str("=\"");
            escape_into(value, &mut rendered);
            rendered.push_str("\",");
        }
        let settings = routes.settings();
        let size_le = settings.sizes.as_ref().map(le_labels).unwrap_or_default();
        Self {
            const_labels: rendered,
            #[cfg(feature = "native-histograms")]
            const_pairs: crate::exposition::protobuf::labels(
                const_labels.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            ),
            requests: naming.requests.as_ref().map(|r| format!("{prefix}{r}")),
            duration: format!("{prefix}{}_seconds", naming.duration),
            head: (settings.duration_end == crate::DurationEnd::Both)
                .then(|| format!("{prefix}{}_seconds", naming.head_duration)),
            sizes: settings.sizes.is_some().then(|| {
                (
                    naming.size_names().map(|name| format!("{prefix}{name}")),
                    naming.size_unit,
                )
            }),
            in_flight: naming.in_flight.as_ref().map(|n| format!("{prefix}{n}")),
            duration_le: le_labels(&settings.buckets),
            size_le,
            routes,
        }
    }

    /// The name of each family it writes (that of its `# TYPE` line), and its kind.
    pub(crate) fn names(&self) -> Vec<(&str, crate::base::Kind)> {
        use crate::base::Kind;
        let mut names: Vec<(&str, Kind)> = Vec::with_capacity(6);
        names.extend(self.requests.iter().map(|n| (n.as_str(), Kind::Counter)));
        names.push((&self.duration, Kind::Histogram));
        names.extend(self.head.iter().map(|n| (n.as_str(), Kind::Histogram)));
        if let Some((sizes, _)) = &self.sizes {
            names.extend(sizes.iter().map(|n| (n.as_str(), Kind::Histogram)));
        }
        names.extend(self.in_flight.iter().map(|n| (n.as_str(), Kind::Gauge)));
        names
    }

    fn settings(&self) -> &Settings {
        self.routes.settings()
    }

    /// The latency histograms: name, help and which (0: latency, 1: head).
    fn latency_families(&self) -> impl Iterator<Item = (&String, &'static str, usize)> {
        std::iter::once((&self.duration, crate::labels::naming::DURATION_HELP, 0)).chain(
            self.head
                .iter()
                .map(|name| (name, crate::labels::naming::HEAD_DURATION_HELP, 1)),
        )
    }

    /// Reads every series once, in exposition order (routes by template, then request-label
    /// value, method and status), the overflow series last.
    fn snapshot<'a>(&'a self, entries: &'a [Arc<RouteEntry>]) -> Snapshot<'a> {
        let settings = self.settings();
        let duration_len = settings.buckets.len_with_inf() + 1;
        let sizes_at = duration_len * if self.head.is_some() { 2 } else { 1 };
        let size_len = settings.sizes.as_ref().map_or(0, |b| b.len_with_inf() + 1);
        let stride = sizes_at + 2 * size_len;
        let mut reads = Vec::new();
        let mut values = Vec::new();
        let mut in_flight = Vec::new();
        let mut read = |labels: &'a str, cell: &'a DurationCell, series| {
            let count = cell.read_into(&mut values);
            let head = cell.read_head_into(&mut values).unwrap_or(0);
            let sizes = [false, true]
                .map(|response| cell.read_size_into(response, &mut values).unwrap_or(0));
            reads.push(Read {
                labels,
                cell,
                series,
                count,
                head,
                sizes,
            });
        };
        for entry in entries {
            let _ = entry.for_each_series(|method, label, key, cell| {
                let labels =
                    cell.labels(|| series_labels(settings, entry, method, label, Some(key)));
                read(labels, cell, Some((&**entry, method, label, key)));
                Ok::<(), ()>(())
            });
        }
        let overflow = &settings.limit.overflow;
        read(
            overflow.labels(|| "otel_metric_overflow=\"true\"".to_owned()),
            overflow,
            None,
        );
        if self.in_flight.is_some() {
            for entry in entries {
                for (method, label, n, cache) in entry.in_flight_series() {
                    let labels = cache
                        .get_or_init(|| series_labels(settings, entry, method, label, None).into());
                    in_flight.push((&**labels, n, &**entry, method, label));
                }
            }
        }
        debug_assert_eq!(values.len(), reads.len() * stride);
        Snapshot {
            reads,
            values,
            stride,
            duration_len,
            sizes_at,
            size_len,
            in_flight,
        }
    }

    /// Writes every HTTP family in `format` (OpenMetrics or Prometheus text) to `out`.
    pub(crate) fn write_text(&self, format: Format, out: &mut String) {
        let entries = self.routes.entries();
        let snapshot = self.snapshot(&entries);
        let openmetrics = format == Format::OpenMetrics;
        let settings = self.settings();
        if let Some(name) = &self.requests {
            self.header(
                out,
                format,
                name,
                crate::labels::naming::REQUESTS_HELP,
                "counter",
                None,
            );
            for read in snapshot.reads.iter().filter(|r| r.count > 0) {
                self.sample(out, name, "_total", "", read.labels);
                out.push_str(itoa::Buffer::new().format(read.count));
                #[cfg(feature = "exemplars")]
                if openmetrics {
                    if let Some(slots) = read.cell.exemplars() {
                        slots.write(None, out);
                    }
                }
                out.push('\n');
            }
        }
        for (name, help, which) in self.latency_families() {
            self.header(out, format, name, help, "histogram", Some("seconds"));
            for (i, read) in snapshot.reads.iter().enumerate() {
                let (values, count) = snapshot.duration(i, which);
                if count == 0 {
                    continue;
                }
                let slots = (which == 0)
                    .then(|| exemplar_slots(read.cell, openmetrics))
                    .flatten();
                let (bounds, le) = (&settings.buckets, &self.duration_le);
                self.histogram(out, name, read.labels, bounds, le, values, count, slots);
            }
        }
        if let (Some((names, bytes)), Some(bounds)) = (&self.sizes, &settings.sizes) {
            for (which, (name, help)) in names.iter().zip(SIZE_HELPS).enumerate() {
                let unit = bytes.then_some("bytes");
                self.header(out, format, name, help, "histogram", unit);
                for (i, read) in snapshot.reads.iter().enumerate() {
                    let (values, count) = snapshot.size(i, which);
                    if count == 0 {
                        continue;
                    }
                    let le = &self.size_le;
                    self.histogram(out, name, read.labels, bounds, le, values, count, None);
                }
            }
        }
        if let Some(name) = &self.in_flight {
            self.header(
                out,
                format,
                name,
                crate::labels::naming::IN_FLIGHT_HELP,
                "gauge",
                None,
            );
            for (labels, n, ..) in &snapshot.in_flight {
                self.sample(out, name, "", "", labels);
                out.push_str(itoa::Buffer::new().format(*n));
                out.push('\n');
            }
        }
    }

    /// `# HELP`, `# TYPE` and, in OpenMetrics, `# UNIT`: as prometheus-client writes them,
    /// and as the Prometheus text format names a counter (by its sample, `_total`).
    fn header(
        &self,
        out: &mut String,
        format: Format,
        name: &str,
        help: &str,
        kind: &str,
        unit: Option<&str>,
    ) {
        let suffix = if kind == "counter" && format != Format::OpenMetrics {
            "_total"
        } else {
            ""
        };
        for (what, text) in [("# HELP ", help), ("# TYPE ", kind)] {
            out.push_str(what);
            out.push_str(name);
            out.push_str(suffix);
            out.push(' ');
            out.push_str(text);
            if what == "# HELP " {
                out.push('.');
            }
            out.push('\n');
        }
        if let (Some(unit), Format::OpenMetrics) = (unit, format) {
            out.push_str("# UNIT ");
            out.push_str(name);
            out.push(' ');
            out.push_str(unit);
            out.push('\n');
        }
    }

    /// `name` `suffix` `{` constant labels, `le`, the series' labels `} `.
    fn sample(&self, out: &mut String, name: &str, suffix: &str, le: &str, labels: &str) {
        out.push_str(name);
        out.push_str(suffix);
        out.push('{');
        out.push_str(&self.const_labels);
        out.push_str(le);
        out.push_str(labels);
        out.push_str("} ");
    }

    /// One series of a histogram: `_sum`, `_count`, then the cumulative buckets. `values`
    /// is the sum in the recorded unit, then each bucket's own count.
    #[allow(clippy::too_many_arguments)]
    fn histogram(
        &self,
        out: &mut String,
        name: &str,
        labels: &str,
        bounds: &Buckets,
        le: &[Box<str>],
        values: &[u64],
        count: u64,
        exemplars: Option<&ExemplarSlots>,
    ) {
        self.sample(out, name, "_sum", "", labels);
        out.push_str(dtoa::Buffer::new().format(bounds.to_unit(values[0])));
        out.push('\n');
        self.sample(out, name, "_count", "", labels);
        out.push_str(itoa::Buffer::new().format(count));
        out.push('\n');
        let mut cumulative = 0;
        for (i, (le, n)) in le.iter().zip(&values[1..]).enumerate() {
            cumulative += n;
            self.sample(out, name, "_bucket", le, labels);
            out.push_str(itoa::Buffer::new().format(cumulative));
            #[cfg(feature = "exemplars")]
            if let Some(slots) = exemplars {
                slots.write(Some(i), out);
            }
            #[cfg(not(feature = "exemplars"))]
            let _ = (i, exemplars);
            out.push('\n');
        }
    }
}

#[cfg(feature = "exemplars")]
type ExemplarSlots = crate::http::exemplar::Slots;
/// No exemplars without the feature.
#[cfg(not(feature = "exemplars"))]
#[derive(Debug)]
enum ExemplarSlots {}

/// The cell's exemplars, when this format shows them.
fn exemplar_slots(cell: &DurationCell, openmetrics: bool) -> Option<&ExemplarSlots> {
    #[cfg(feature = "exemplars")]
    return cell.exemplars().filter(|_| openmetrics);
    #[cfg(not(feature = "exemplars"))]
    {
        let _ = (cell, openmetrics);
        None
    }
}

/// `method="GET",route="…"` then `status="200"` (when `key` is given) and the request
/// label, escaped, under the names the [`crate::Naming`] gives them.
fn series_labels(
    settings: &Settings,
    entry: &RouteEntry,
    method: MethodLabel,
    label: u8,
    key: Option<u16>,
) -> String {
    let names = &settings.labels;
    let mut out = String::with_capacity(64);
    out.push_str(&names.method);
    out.push_str("=\"");
    out.push_str(method.as_str());
    out.push_str("\",");
    out.push_str(&names.route);
    out.push_str("=\"");
    escape_into(entry.template(), &mut out);
    out.push('"');
    if let Some(key) = key {
        out.push(',');
        out.push_str(&names.status);
        out.push_str("=\"");
        let _ = settings.status.write(key, &mut out);
        out.push('"');
    }
    if let Some(request) = &settings.request_label {
        out.push(',');
        out.push_str(&request.name);
        out.push_str("=\"");
        escape_into(request.value(label), &mut out);
        out.push('"');
    }
    out
}

#[cfg(feature = "native-histograms")]
mod protobuf {
    use super::*;
    use crate::exposition::protobuf::{self as pb, MetricFamily, MetricType};

    impl HttpFamilies {
        /// Every HTTP family as protobuf messages, from one reading of the series, in the
        /// order of the text formats.
        pub(crate) fn protobuf(&self) -> Vec<MetricFamily> {
            let entries = self.routes.entries();
            let snapshot = self.snapshot(&entries);
            let settings = self.settings();
            let labels: Vec<Vec<pb::LabelPair>> = snapshot
                .reads
                .iter()
                .map(|read| self.label_pairs(read.series))
                .collect();
            let mut families = Vec::new();
            if let Some(name) = &self.requests {
                let metric = snapshot
                    .reads
                    .iter()
                    .zip(&labels)
                    .filter(|(read, _)| read.count > 0)
                    .map(|(read, label)| pb::Metric {
                        label: label.clone(),
                        counter: Some(pb::Counter {
                            value: read.count as f64,
                            exemplar: exemplar(read.cell, None),
                            start_timestamp: None,
                        }),
                        ..Default::default()
                    })
                    .collect();
                families.push(family(
                    format!("{name}_total"),
                    crate::labels::naming::REQUESTS_HELP,
                    MetricType::Counter,
                    "",
                    metric,
                ));
            }
            for (name, help, which) in self.latency_families() {
                let mut native = crate::http::native::Reader::new(settings, which);
                let mut metric = Vec::new();
                for (i, (read, label)) in snapshot.reads.iter().zip(&labels).enumerate() {
                    let (values, count) = snapshot.duration(i, which);
                    if count == 0 {
                        continue;
                    }
                    let cell = (which == 0).then_some(read.cell);
                    let mut histogram = classic(&settings.buckets, values, count, cell);
                    if let Some(native) = &mut native {
                        add_native(native, read.cell, &mut histogram);
                    }
                    metric.push(pb::Metric {
                        label: label.clone(),
                        histogram: Some(histogram),
                        ..Default::default()
                    });
                }
                families.push(family(
                    name.clone(),
                    help,
                    MetricType::Histogram,
                    "seconds",
                    metric,
                ));
            }
            if let (Some((names, bytes)), Some(bounds)) = (&self.sizes, &settings.sizes) {
                for (which, (name, help)) in names.iter().zip(SIZE_HELPS).enumerate() {
                    let mut metric = Vec::new();
                    for (i, label) in labels.iter().enumerate() {
                        let (values, count) = snapshot.size(i, which);
                        if count == 0 {
                            continue;
                        }
                        metric.push(pb::Metric {
                            label: label.clone(),
                            histogram: Some(classic(bounds, values, count, None)),
                            ..Default::default()
                        });
                    }
                    let unit = if *bytes { "bytes" } else { "" };
                    families.push(family(
                        name.clone(),
                        help,
                        MetricType::Histogram,
                        unit,
                        metric,
                    ));
                }
            }
            if let Some(name) = &self.in_flight {
                let metric = snapshot
                    .in_flight
                    .iter()
                    .map(|&(_, n, entry, method, label)| pb::Metric {
                        label: self.label_pairs(Some((entry, method, label, 0))),
                        gauge: Some(pb::Gauge { value: n as f64 }),
                        ..Default::default()
                    })
                    .collect();
                families.push(family(
                    name.clone(),
                    crate::labels::naming::IN_FLIGHT_HELP,
                    MetricType::Gauge,
                    "",
                    metric,
                ));
            }
            families
        }

        /// The constant labels, then the series' (status key 0: none, as on the in-flight
        /// gauge), or the overflow label.
        fn label_pairs(
            &self,
            series: Option<(&RouteEntry, MethodLabel, u8, u16)>,
        ) -> Vec<pb::LabelPair> {
            let settings = self.settings();
            let names = &settings.labels;
            let mut pairs = self.const_pairs.clone();
            let Some((entry, method, label, key)) = series else {
                pairs.push(pb::label("otel_metric_overflow", "true"));
                return pairs;
            };
            pairs.push(pb::label(&names.method, method.as_str()));
            pairs.push(pb::label(&names.route, entry.template()));
            if key != 0 {
                let mut status = String::with_capacity(3);
                let _ = settings.status.write(key, &mut status);
                pairs.push(pb::label(&names.status, &status));
            }
            if let Some(request) = &settings.request_label {
                pairs.push(pb::label(&request.name, request.value(label)));
            }
            pairs
        }
    }

    fn family(
        name: String,
        help: &str,
        kind: MetricType,
        unit: &str,
        metric: Vec<pb::Metric>,
    ) -> MetricFamily {
        MetricFamily {
            name,
            help: format!("{help}."),
            r#type: kind as i32,
            metric,
            unit: unit.to_owned(),
        }
    }

    /// A histogram of classic buckets from `values` (the sum in the recorded unit, then each
    /// bucket's count), with the exemplars of `cell` when it keeps them.
    fn classic(
        bounds: &Buckets,
        values: &[u64],
        count: u64,
        cell: Option<&DurationCell>,
    ) -> pb::Histogram {
        let mut cumulative = 0;
        let bucket = values[1..]
            .iter()
            .enumerate()
            .map(|(i, n)| {
                cumulative += n;
                pb::Bucket {
                    cumulative_count: cumulative,
                    upper_bound: bounds.as_slice().get(i).copied().unwrap_or(f64::INFINITY),
                    exemplar: cell.and_then(|cell| exemplar(cell, Some(i))),
                    ..Default::default()
                }
            })
            .collect();
        pb::Histogram {
            sample_count: count,
            sample_sum: bounds.to_unit(values[0]),
            bucket,
            ..Default::default()
        }
    }

    /// The exemplar of `cell`'s bucket (or counter, `None`), when it keeps one.
    fn exemplar(cell: &DurationCell, bucket: Option<usize>) -> Option<pb::Exemplar> {
        #[cfg(feature = "exemplars")]
        return cell.exemplars()?.protobuf(bucket);
        #[cfg(not(feature = "exemplars"))]
        {
            let _ = (cell, bucket);
            None
        }
    }

    /// Adds a series' native buckets to its histogram, when its cell keeps them.
    fn add_native(
        reader: &mut crate::http::native::Reader<'_>,
        cell: &DurationCell,
        histogram: &mut pb::Histogram,
    ) {
        let classic = reader.classic;
        let Some((total, native)) = reader.read(cell) else {
            return;
        };
        histogram.sample_count = total;
        if !classic {
            // Without classic buckets, none at all (not even `+Inf`), as client_golang;
            // their exemplars become the native histogram's own.
            histogram.exemplars = histogram
                .bucket
                .drain(..)
                .filter_map(|bucket| bucket.exemplar)
                .collect();
        }
        histogram.schema = native.schema;
        histogram.zero_threshold = native.zero_threshold;
        histogram.zero_count = native.zero_count;
        histogram.positive_span = native
            .positive
            .spans
            .iter()
            .map(|&(offset, length)| pb::BucketSpan { offset, length })
            .collect();
        histogram.positive_delta = native.positive.deltas.to_vec();
    }
}

#[cfg(test)]
mod tests;
