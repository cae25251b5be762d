//! The three HTTP metric families, encoded through prometheus-client's `EncodeMetric` so
//! that its `Registry` serves them next to the application's own metrics.
//!
//! They are views over one shared [`RouteTable`]: the counter and the histogram read the
//! same cells, so `http_requests_total` and `http_request_duration_seconds_count` agree.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use prometheus_client::encoding::{
    EncodeLabelSet, EncodeMetric, LabelSetEncoder, MetricEncoder, NoLabelSet,
};
use prometheus_client::metrics::MetricType;

use crate::naming::LabelNames;
use crate::series::{DurationCell, RouteTable};
use crate::{MethodLabel, StatusLabel};

/// `method`, `route` and, except on the in-flight gauge, `status`, under the names the
/// [`Naming`](crate::Naming) gives them.
struct SeriesLabels<'a> {
    names: &'a LabelNames,
    method: MethodLabel,
    route: &'a str,
    status: Option<(StatusLabel, u16)>,
    /// The request label's name and value, when there is one.
    request: Option<(&'a str, &'a str)>,
}

impl EncodeLabelSet for SeriesLabels<'_> {
    fn encode(&self, encoder: &mut LabelSetEncoder<'_>) -> fmt::Result {
        encode_label(encoder, &self.names.method, |w| {
            w.write_str(self.method.as_str())
        })?;
        encode_label(encoder, &self.names.route, |w| w.write_str(self.route))?;
        if let Some((mode, key)) = self.status {
            encode_label(encoder, &self.names.status, |w| mode.write(key, w))?;
        }
        if let Some((name, value)) = self.request {
            encode_label(encoder, name, |w| w.write_str(value))?;
        }
        Ok(())
    }
}

/// The one label of an overflow series, as OpenTelemetry names it.
pub(crate) struct OverflowLabels;

impl EncodeLabelSet for OverflowLabels {
    fn encode(&self, encoder: &mut LabelSetEncoder<'_>) -> fmt::Result {
        encode_label(encoder, "otel_metric_overflow", |w| w.write_str("true"))
    }
}

/// The request label's (name, value) for value `index`, when the metrics have one.
fn request_label(settings: &crate::series::Settings, index: u8) -> Option<(&str, &str)> {
    let label = settings.request_label.as_ref()?;
    Some((&label.name, label.value(index)))
}

fn encode_label(
    encoder: &mut LabelSetEncoder<'_>,
    name: &str,
    value: impl FnOnce(&mut dyn fmt::Write) -> fmt::Result,
) -> fmt::Result {
    let mut label = encoder.encode_label();
    let mut key = label.encode_label_key()?;
    key.write_str(name)?;
    let mut val = key.encode_label_value()?;
    value(&mut val)?;
    val.finish()
}

/// `http_requests_total`.
#[derive(Debug)]
pub(crate) struct RequestsTotal(pub(crate) Arc<RouteTable>);

impl EncodeMetric for RequestsTotal {
    fn encode(&self, mut encoder: MetricEncoder<'_>) -> fmt::Result {
        let mode = self.0.settings().status;
        for entry in self.0.entries() {
            entry.for_each_series(|method, label, key, cell| {
                let labels = SeriesLabels {
                    names: &self.0.settings().labels,
                    method,
                    route: entry.template(),
                    status: Some((mode, key)),
                    request: request_label(self.0.settings(), label),
                };
                encoder
                    .encode_family(&labels)?
                    .encode_counter::<NoLabelSet, _, u64>(&cell.count(), None)
            })?;
        }
        let overflow = &self.0.settings().limit.overflow;
        if overflow.count() > 0 {
            encoder
                .encode_family(&OverflowLabels)?
                .encode_counter::<NoLabelSet, _, u64>(&overflow.count(), None)?;
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Counter
    }
}

/// `http_request_duration_seconds`.
#[derive(Debug)]
pub(crate) struct RequestDuration(pub(crate) Arc<RouteTable>);

impl EncodeMetric for RequestDuration {
    fn encode(&self, encoder: MetricEncoder<'_>) -> fmt::Result {
        encode_histograms(&self.0, encoder, |cell, bounds, out| {
            Some(cell.snapshot(bounds, out))
        })
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

/// `http_request_head_duration_seconds`, with [`crate::DurationEnd::Both`].
#[derive(Debug)]
pub(crate) struct RequestHeadDuration(pub(crate) Arc<RouteTable>);

impl EncodeMetric for RequestHeadDuration {
    fn encode(&self, encoder: MetricEncoder<'_>) -> fmt::Result {
        // A series whose requests never had a head (all cancelled before one) has none.
        encode_histograms(&self.0, encoder, |cell, bounds, out| {
            cell.head_snapshot(bounds, out)
                .filter(|(_, count)| *count > 0)
        })
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

/// Every series' histogram that `read` takes from its cell (and the overflow series', when
/// it has requests).
fn encode_histograms(
    routes: &RouteTable,
    mut encoder: MetricEncoder<'_>,
    read: impl Fn(&DurationCell, &crate::Buckets, &mut Vec<(f64, u64)>) -> Option<(f64, u64)>,
) -> fmt::Result {
    let settings = routes.settings();
    let mut buckets = Vec::with_capacity(settings.buckets.len_with_inf());
    for entry in routes.entries() {
        entry.for_each_series(|method, label, key, cell| {
            let Some((sum, count)) = read(cell, &settings.buckets, &mut buckets) else {
                return Ok(());
            };
            let labels = SeriesLabels {
                names: &settings.labels,
                method,
                route: entry.template(),
                status: Some((settings.status, key)),
                request: request_label(settings, label),
            };
            encoder
                .encode_family(&labels)?
                .encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
        })?;
    }
    let overflow = &settings.limit.overflow;
    match read(overflow, &settings.buckets, &mut buckets) {
        Some((sum, count)) if count > 0 => encoder
            .encode_family(&OverflowLabels)?
            .encode_histogram::<NoLabelSet>(sum, count, &buckets, None)?,
        _ => {}
    }
    Ok(())
}

/// `http_requests_in_flight`.
#[derive(Debug)]
pub(crate) struct RequestsInFlight(pub(crate) Arc<RouteTable>);

impl EncodeMetric for RequestsInFlight {
    fn encode(&self, mut encoder: MetricEncoder<'_>) -> fmt::Result {
        for entry in self.0.entries() {
            for (method, label, n) in entry.in_flight() {
                let labels = SeriesLabels {
                    names: &self.0.settings().labels,
                    method,
                    route: entry.template(),
                    status: None,
                    request: request_label(self.0.settings(), label),
                };
                encoder.encode_family(&labels)?.encode_gauge(&n)?;
            }
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Gauge
    }
}
