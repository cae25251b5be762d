//! The Prometheus protobuf exposition, written from a snapshot: one
//! `io.prometheus.client.MetricFamily` message per family (prometheus-client's generated
//! types), each preceded by its length. The one format that carries native histograms.
//!
//! Families are named by their samples, as prometheus-client and client_golang name them in
//! this format: a counter `foo_total`, an info metric `foo_info` (a gauge of 1). Help is the
//! text itself, unescaped.

use prost::Message as _;

pub(crate) use prometheus_client::encoding::prometheus_protobuf::prometheus_data_model::{
    Bucket, BucketSpan, Counter, Exemplar, Gauge, Histogram, LabelPair, Metric, MetricFamily,
    MetricType, Quantile, Summary, Untyped,
};

use crate::base::Escaping;
use crate::model::{Kind, NativeHistogram};
use crate::snapshot::{ExemplarRef, FamilyRef, HistogramRef, SeriesRef, Snapshot, ValueRef};

/// Every family of `snapshot` as one `/metrics` body, names written in `escaping`.
pub(crate) fn write(snapshot: &Snapshot<'_>, escaping: Escaping) -> Vec<u8> {
    let families: Vec<MetricFamily> = (snapshot.families()).map(|f| family(f, escaping)).collect();
    let mut out = Vec::with_capacity(families.iter().map(|f| f.encoded_len() + 4).sum());
    for family in &families {
        // Writing to a Vec cannot run out of space.
        family
            .encode_length_delimited(&mut out)
            .expect("a Vec grows");
    }
    out
}

/// `family` as a message, names written in `escaping` (which never quotes).
pub(crate) fn family(family: FamilyRef<'_>, escaping: Escaping) -> MetricFamily {
    let (suffix, kind) = match family.kind() {
        Kind::Counter => ("_total", MetricType::Counter),
        Kind::Gauge => ("", MetricType::Gauge),
        Kind::Histogram => ("", MetricType::Histogram),
        Kind::Summary => ("", MetricType::Summary),
        Kind::Info => ("_info", MetricType::Gauge),
        _ => ("", MetricType::Untyped),
    };
    MetricFamily {
        name: escaping.metric_name(&format!("{}{suffix}", family.name())),
        help: family.help().to_owned(),
        r#type: kind as i32,
        metric: family
            .series()
            .map(|series| metric(series, family.kind(), escaping))
            .collect(),
        unit: family.unit().to_owned(),
    }
}

fn metric(series: SeriesRef<'_>, kind: Kind, escaping: Escaping) -> Metric {
    let label = series
        .labels()
        .iter()
        .map(|(name, value)| LabelPair {
            name: if escaping.keeps(name, false) {
                name.to_owned()
            } else {
                escaping.label_name(name)
            },
            value: value.to_owned(),
        })
        .collect();
    let mut metric = Metric {
        label,
        ..Default::default()
    };
    match series.value() {
        ValueRef::Counter(total, exemplar) => {
            metric.counter = Some(Counter {
                value: total.as_f64(),
                exemplar: exemplar.map(self::exemplar),
                start_timestamp: series.created().map(timestamp),
            })
        }
        ValueRef::Gauge(value) if kind == Kind::Unknown => {
            metric.untyped = Some(Untyped {
                value: value.as_f64(),
            })
        }
        ValueRef::Gauge(value) => {
            metric.gauge = Some(Gauge {
                value: value.as_f64(),
            })
        }
        ValueRef::Info => metric.gauge = Some(Gauge { value: 1.0 }),
        ValueRef::Histogram(histogram) => {
            let mut histogram = self::histogram(histogram);
            histogram.start_timestamp = series.created().map(timestamp);
            metric.histogram = Some(histogram);
        }
        ValueRef::Summary(summary) => {
            metric.summary = Some(Summary {
                sample_count: summary.count,
                sample_sum: summary.sum,
                quantile: summary
                    .quantiles
                    .iter()
                    .map(|&(quantile, value)| Quantile { quantile, value })
                    .collect(),
                start_timestamp: series.created().map(timestamp),
            })
        }
    }
    metric
}

fn histogram(histogram: HistogramRef<'_>) -> Histogram {
    let mut out = Histogram {
        sample_count: histogram.count(),
        sample_sum: histogram.sum(),
        bucket: histogram
            .buckets()
            .map(|bucket| Bucket {
                cumulative_count: bucket.count,
                upper_bound: bucket.upper_bound,
                exemplar: bucket.exemplar.map(exemplar),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    if let Some(native) = histogram.native() {
        add_native(native, &mut out);
    }
    out
}

/// A native histogram's fields (and, without classic buckets, its exemplars).
fn add_native(native: &NativeHistogram, out: &mut Histogram) {
    let spans = |spans: &[(i32, u32)]| {
        spans
            .iter()
            .map(|&(offset, length)| BucketSpan { offset, length })
            .collect()
    };
    out.schema = native.schema;
    out.zero_threshold = native.zero_threshold;
    out.zero_count = native.zero_count;
    out.positive_span = spans(&native.positive_spans);
    out.positive_delta = native.positive_deltas.clone();
    out.negative_span = spans(&native.negative_spans);
    out.negative_delta = native.negative_deltas.clone();
    out.exemplars = native
        .exemplars
        .iter()
        .map(|e| Exemplar {
            label: e
                .labels
                .iter()
                .map(|(name, value)| LabelPair {
                    name: name.clone(),
                    value: value.clone(),
                })
                .collect(),
            value: e.value,
            timestamp: e.timestamp.map(timestamp),
        })
        .collect();
}

fn exemplar(exemplar: ExemplarRef<'_>) -> Exemplar {
    Exemplar {
        label: exemplar
            .labels()
            .into_iter()
            .map(|(name, value)| LabelPair {
                name: name.into_owned(),
                value: value.into_owned(),
            })
            .collect(),
        value: exemplar.value(),
        timestamp: exemplar.timestamp().map(timestamp),
    }
}

/// Seconds since the epoch as a protobuf timestamp.
pub(crate) fn timestamp(seconds: f64) -> prost_types::Timestamp {
    let whole = seconds.floor();
    prost_types::Timestamp {
        seconds: whole as i64,
        nanos: ((seconds - whole) * 1e9) as i32,
    }
}
