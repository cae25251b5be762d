//! The HTTP metric families as prometheus-client's `EncodeMetric`s: the upgraded-connection
//! families, which go on the registry, and the others as this crate encoded them before it
//! wrote them directly (`exposition::http_families`), kept for
//! [`HttpMetrics::encode_legacy`](crate::HttpMetrics::encode_legacy), which the benches and
//! the tests compare the direct encoding with.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use prometheus_client::encoding::{
    EncodeLabelSet, EncodeMetric, LabelSetEncoder, MetricEncoder, NoLabelSet,
};
use prometheus_client::metrics::MetricType;

use crate::http::series::{DurationCell, RouteTable};
use crate::instruments::capped::OverflowLabels;
use crate::labels::naming::LabelNames;
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

impl<'a> SeriesLabels<'a> {
    /// The labels of a series without a status: `method`, `route`, and `request`'s.
    fn route(
        settings: &'a crate::http::series::Settings,
        method: MethodLabel,
        entry: &'a crate::http::series::RouteEntry,
        request: Option<(&'a str, &'a str)>,
    ) -> Self {
        Self {
            names: &settings.labels,
            method,
            route: entry.template(),
            status: None,
            request,
        }
    }
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

/// The request label's (name, value) for value `index`, when the metrics have one.
fn request_label(settings: &crate::http::series::Settings, index: u8) -> Option<(&str, &str)> {
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
                // A series only the head histogram has used (its request ended with another
                // status) has no requests here.
                if cell.count() == 0 {
                    return Ok(());
                }
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
        encode_histograms(&self.0, encoder, 0, |cell, bounds, out| {
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
        encode_histograms(&self.0, encoder, 1, |cell, bounds, out| {
            cell.head_snapshot(bounds, out)
                .filter(|(_, count)| *count > 0)
        })
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

/// `http_request_size_bytes` or, with `.1`, `http_response_size_bytes`.
#[derive(Debug)]
pub(crate) struct BodySize(pub(crate) Arc<RouteTable>, pub(crate) bool);

impl EncodeMetric for BodySize {
    fn encode(&self, encoder: MetricEncoder<'_>) -> fmt::Result {
        let Some(bounds) = &self.0.settings().sizes else {
            return Ok(());
        };
        encode_histograms_with(&self.0, bounds, encoder, None, |cell, bounds, out| {
            cell.size_snapshot(self.1, bounds, out)
        })
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

/// `http_upgraded_connections_open`.
#[derive(Debug)]
pub(crate) struct UpgradesOpen(pub(crate) Arc<RouteTable>);

impl EncodeMetric for UpgradesOpen {
    fn encode(&self, mut encoder: MetricEncoder<'_>) -> fmt::Result {
        for entry in self.0.entries() {
            for (method, cell) in entry.upgraded() {
                let Some(open) = cell.open_now() else {
                    continue;
                };
                let labels = SeriesLabels::route(self.0.settings(), method, &entry, None);
                encoder.encode_family(&labels)?.encode_gauge(&open)?;
            }
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Gauge
    }
}

/// `http_upgraded_connection_duration_seconds`.
#[derive(Debug)]
pub(crate) struct UpgradeLifetimes(pub(crate) Arc<RouteTable>);

impl EncodeMetric for UpgradeLifetimes {
    fn encode(&self, mut encoder: MetricEncoder<'_>) -> fmt::Result {
        let Some(bounds) = &self.0.settings().upgrades else {
            return Ok(());
        };
        let mut buckets = Vec::with_capacity(bounds.len_with_inf());
        for entry in self.0.entries() {
            for (method, cell) in entry.upgraded() {
                let (sum, count) = cell.snapshot(bounds, &mut buckets);
                let labels = SeriesLabels::route(self.0.settings(), method, &entry, None);
                encoder
                    .encode_family(&labels)?
                    .encode_histogram::<NoLabelSet>(sum, count, &buckets, None)?;
            }
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

/// Every series' latency histogram that `read` takes from its cell (and the overflow
/// series', when it has requests), with native histogram `native` (0: latency, 1: head) in
/// a protobuf scrape when they are on.
fn encode_histograms(
    routes: &RouteTable,
    encoder: MetricEncoder<'_>,
    native: usize,
    read: impl Fn(&DurationCell, &crate::Buckets, &mut Vec<(f64, u64)>) -> Option<(f64, u64)>,
) -> fmt::Result {
    encode_histograms_with(
        routes,
        &routes.settings().buckets,
        encoder,
        Some(native),
        read,
    )
}

/// [`encode_histograms`] with the buckets `bounds`, and native histogram `native` if any.
fn encode_histograms_with(
    routes: &RouteTable,
    bounds: &crate::Buckets,
    mut encoder: MetricEncoder<'_>,
    native: Option<usize>,
    read: impl Fn(&DurationCell, &crate::Buckets, &mut Vec<(f64, u64)>) -> Option<(f64, u64)>,
) -> fmt::Result {
    let settings = routes.settings();
    let mut buckets = Vec::with_capacity(bounds.len_with_inf());
    let mut histogram = Histogram::new(settings, native);
    for entry in routes.entries() {
        entry.for_each_series(|method, label, key, cell| {
            let Some(read) = read(cell, bounds, &mut buckets) else {
                return Ok(());
            };
            let labels = SeriesLabels {
                names: &settings.labels,
                method,
                route: entry.template(),
                status: Some((settings.status, key)),
                request: request_label(settings, label),
            };
            histogram.encode(&mut encoder, &labels, cell, read, &buckets)
        })?;
    }
    let overflow = &settings.limit.overflow;
    if let Some(read) = read(overflow, bounds, &mut buckets) {
        histogram.encode(&mut encoder, &OverflowLabels, overflow, read, &buckets)?;
    }
    Ok(())
}

/// Encodes one series' histogram, with its native buckets when this is a protobuf scrape
/// of native histograms.
struct Histogram<'a> {
    #[cfg(feature = "native-histograms")]
    native: Option<crate::http::native::Reader<'a>>,
    #[cfg(not(feature = "native-histograms"))]
    native: std::marker::PhantomData<&'a ()>,
}

impl<'a> Histogram<'a> {
    fn new(settings: &'a crate::http::series::Settings, native: Option<usize>) -> Self {
        #[cfg(feature = "native-histograms")]
        return Self {
            native: native
                .filter(|_| crate::http::native::is_encoding_protobuf())
                .and_then(|which| crate::http::native::Reader::new(settings, which)),
        };
        #[cfg(not(feature = "native-histograms"))]
        {
            let _ = (settings, native);
            Self {
                native: std::marker::PhantomData,
            }
        }
    }

    /// Nothing for a series without requests.
    fn encode(
        &mut self,
        encoder: &mut MetricEncoder<'_>,
        labels: &impl EncodeLabelSet,
        cell: &DurationCell,
        (sum, count): (f64, u64),
        buckets: &[(f64, u64)],
    ) -> fmt::Result {
        if count == 0 {
            return Ok(());
        }
        #[cfg(feature = "native-histograms")]
        if let Some(reader) = &mut self.native {
            // Without classic buckets, none at all (not even `+Inf`), as client_golang.
            let buckets = if reader.classic { buckets } else { &[] };
            if let Some((total, native)) = reader.read(cell) {
                return encoder
                    .encode_family(labels)?
                    .encode_histogram_with_native::<NoLabelSet>(sum, total, buckets, None, native);
            }
        }
        let _ = cell;
        encoder
            .encode_family(labels)?
            .encode_histogram::<NoLabelSet>(sum, count, buckets, None)
    }
}

/// `http_requests_in_flight`.
#[derive(Debug)]
pub(crate) struct RequestsInFlight(pub(crate) Arc<RouteTable>);

impl EncodeMetric for RequestsInFlight {
    fn encode(&self, mut encoder: MetricEncoder<'_>) -> fmt::Result {
        for entry in self.0.entries() {
            for (method, label, n) in entry.in_flight() {
                let labels = SeriesLabels::route(
                    self.0.settings(),
                    method,
                    &entry,
                    request_label(self.0.settings(), label),
                );
                encoder.encode_family(&labels)?.encode_gauge(&n)?;
            }
        }
        Ok(())
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Gauge
    }
}
