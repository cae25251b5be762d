//! prometheus-client's registries read into the model, through its OpenMetrics data model:
//! every family with its kind, unit and help, integers kept apart from floats, exemplars and
//! info metrics as they are. Its Prometheus protobuf encoding, the one that carries native
//! buckets, adds them to the histograms that have them.
//!
//! prometheus-client 0.25 marks its OpenMetrics data model deprecated, in favour of the
//! Prometheus protobuf messages; those carry every number as a float and an info metric as a
//! gauge, so reading through them would change what the text formats write (`2` for a
//! `2.0`, `# TYPE app gauge` for an info metric). This module is the one place that reads
//! prometheus-client's registries: when the data model goes, its replacement goes here.

#![allow(deprecated)]

use prometheus_client::encoding::openmetrics_protobuf::openmetrics_data_model as om;
use prometheus_client::registry::Registry;

use super::{Bucket, Exemplar, Family, Histogram, Kind, Number, Series, Value};

/// Every family of `registry`.
///
/// # Errors
///
/// When a metric's own encoding fails (prometheus-client's error carries no detail).
pub(crate) fn from_openmetrics(registry: &Registry) -> Result<Vec<Family>, std::fmt::Error> {
    let set = prometheus_client::encoding::openmetrics_protobuf::encode(registry)?;
    Ok(set.metric_families.into_iter().map(family).collect())
}

fn family(family: om::MetricFamily) -> Family {
    let kind = match om::MetricType::try_from(family.r#type) {
        Ok(om::MetricType::Counter) => Kind::Counter,
        Ok(om::MetricType::Gauge) => Kind::Gauge,
        Ok(om::MetricType::Histogram) => Kind::Histogram,
        Ok(om::MetricType::Info) => Kind::Info,
        Ok(om::MetricType::Summary) => Kind::Summary,
        _ => Kind::Unknown,
    };
    // prometheus-client appends the unit to the name it writes.
    let name = if family.unit.is_empty() {
        family.name
    } else {
        format!("{}_{}", family.name, family.unit)
    };
    let series = family.metrics.into_iter().filter_map(series).collect();
    Family {
        name,
        help: family.help,
        unit: family.unit,
        kind,
        series,
        registry_labels: 0,
    }
}

fn series(metric: om::Metric) -> Option<Series> {
    use om::metric_point::Value as Point;
    let mut labels = pairs(metric.labels);
    let mut created = None;
    let value = match metric.metric_points.into_iter().next()?.value? {
        Point::CounterValue(counter) => {
            created = counter.created.map(seconds);
            let total = match counter.total? {
                om::counter_value::Total::IntValue(n) => Number::UInt(n),
                om::counter_value::Total::DoubleValue(v) => Number::Float(v),
            };
            Value::Counter(total, counter.exemplar.map(exemplar))
        }
        Point::GaugeValue(gauge) => Value::Gauge(gauge_number(gauge.value?)),
        Point::UnknownValue(unknown) => Value::Gauge(match unknown.value? {
            om::unknown_value::Value::IntValue(n) => Number::Int(n),
            om::unknown_value::Value::DoubleValue(v) => Number::Float(v),
        }),
        Point::HistogramValue(histogram) => {
            created = histogram.created.map(seconds);
            Value::Histogram(classic(histogram))
        }
        Point::InfoValue(info) => {
            labels.extend(pairs(info.info));
            Value::Info
        }
        // prometheus-client writes neither.
        Point::StateSetValue(_) | Point::SummaryValue(_) => return None,
    };
    Some(Series {
        labels,
        value,
        created,
    })
}

fn gauge_number(value: om::gauge_value::Value) -> Number {
    match value {
        om::gauge_value::Value::IntValue(n) => Number::Int(n),
        om::gauge_value::Value::DoubleValue(v) => Number::Float(v),
    }
}

/// A histogram whose buckets prometheus-client gives with each bucket's own count.
fn classic(histogram: om::HistogramValue) -> Histogram {
    let sum = match histogram.sum {
        Some(om::histogram_value::Sum::DoubleValue(v)) => v,
        Some(om::histogram_value::Sum::IntValue(n)) => n as f64,
        None => 0.0,
    };
    let mut cumulative = 0;
    let buckets = histogram
        .buckets
        .into_iter()
        .map(|bucket| {
            cumulative += bucket.count;
            Bucket {
                upper_bound: bucket.upper_bound,
                count: cumulative,
                exemplar: bucket.exemplar.map(exemplar),
            }
        })
        .collect();
    Histogram {
        sum,
        count: histogram.count,
        buckets,
        native: None,
    }
}

fn pairs(labels: Vec<om::Label>) -> Vec<(String, String)> {
    labels.into_iter().map(|l| (l.name, l.value)).collect()
}

fn exemplar(exemplar: om::Exemplar) -> Exemplar {
    Exemplar {
        labels: pairs(exemplar.label),
        value: exemplar.value,
        timestamp: exemplar.timestamp.map(seconds),
    }
}

/// A timestamp as seconds since the epoch, as prometheus-client's text encoder writes it.
fn seconds(timestamp: prost_types::Timestamp) -> f64 {
    std::time::Duration::new(
        timestamp.seconds.max(0) as u64,
        timestamp.nanos.max(0) as u32,
    )
    .as_secs_f64()
}

/// Gives the histograms of `families` (read from `registry` by [`from_openmetrics`]) that
/// have native buckets their native buckets, from prometheus-client's Prometheus protobuf
/// encoding, with the sum, count and classic buckets of that same reading so that they agree.
/// Series are matched by family name and labels: a series created between the two readings is
/// left as the first reading has it.
///
/// # Errors
///
/// When a metric's own encoding fails.
#[cfg(feature = "native-histograms")]
pub(crate) fn merge_native(
    families: &mut [Family],
    registry: &Registry,
) -> Result<(), std::fmt::Error> {
    use prometheus_client::encoding::prometheus_protobuf;
    use std::collections::HashMap;
    let read = prometheus_protobuf::encode(registry)?;
    let mut natives: HashMap<(String, Vec<(String, String)>), Histogram> = HashMap::new();
    for family in read {
        for metric in family.metric {
            let Some(histogram) = metric.histogram.filter(has_native) else {
                continue;
            };
            let labels = metric
                .label
                .into_iter()
                .map(|l| (l.name, l.value))
                .collect();
            natives.insert((family.name.clone(), labels), native(histogram));
        }
    }
    if natives.is_empty() {
        return Ok(());
    }
    for family in families.iter_mut().filter(|f| f.kind == Kind::Histogram) {
        for series in &mut family.series {
            let key = (family.name.clone(), std::mem::take(&mut series.labels));
            if let Some(histogram) = natives.remove(&key) {
                series.value = Value::Histogram(histogram);
            }
            series.labels = key.1;
        }
    }
    Ok(())
}

/// [`merge_native`] without native histograms: nothing to add.
#[cfg(not(feature = "native-histograms"))]
pub(crate) fn merge_native(_: &mut [Family], _: &Registry) -> Result<(), std::fmt::Error> {
    Ok(())
}

#[cfg(feature = "native-histograms")]
use prometheus_client::encoding::prometheus_protobuf::prometheus_data_model as pm;

#[cfg(feature = "native-histograms")]
fn has_native(histogram: &pm::Histogram) -> bool {
    histogram.zero_threshold > 0.0
        || !histogram.positive_span.is_empty()
        || !histogram.negative_span.is_empty()
}

#[cfg(feature = "native-histograms")]
fn native(histogram: pm::Histogram) -> Histogram {
    let native_exemplar = |e: pm::Exemplar| Exemplar {
        labels: e.label.into_iter().map(|l| (l.name, l.value)).collect(),
        value: e.value,
        timestamp: e.timestamp.map(seconds),
    };
    let spans = |spans: Vec<pm::BucketSpan>| spans.into_iter().map(|s| (s.offset, s.length));
    Histogram {
        sum: histogram.sample_sum,
        count: histogram.sample_count,
        buckets: histogram
            .bucket
            .into_iter()
            .map(|b| Bucket {
                upper_bound: b.upper_bound,
                count: b.cumulative_count,
                exemplar: b.exemplar.map(native_exemplar),
            })
            .collect(),
        native: Some(super::NativeHistogram {
            schema: histogram.schema,
            zero_threshold: histogram.zero_threshold,
            zero_count: histogram.zero_count,
            positive_spans: spans(histogram.positive_span).collect(),
            positive_deltas: histogram.positive_delta,
            negative_spans: spans(histogram.negative_span).collect(),
            negative_deltas: histogram.negative_delta,
            exemplars: histogram
                .exemplars
                .into_iter()
                .map(native_exemplar)
                .collect(),
        }),
    }
}
