//! What the OpenTelemetry bridge adds to a scrape: 1,000 series recorded through
//! OpenTelemetry's API and served by `register_opentelemetry`, beside the same 1,000
//! series as prometheus-client metrics registered directly, and beside the same
//! prometheus-client metrics served through a custom collector (the thread every collector
//! is evaluated on, which the bridge pays too); and the SDK's own collection of those
//! series, which the bridge starts each scrape with.
//!
//! `cargo bench -p http-metrics-core --bench opentelemetry --features opentelemetry`

use std::sync::{Arc, Weak};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use http_metrics_core::prometheus_client::collector::Collector;
use http_metrics_core::prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use http_metrics_core::prometheus_client::metrics::counter::Counter;
use http_metrics_core::prometheus_client::metrics::family::Family;
use http_metrics_core::prometheus_client::metrics::histogram::Histogram;
use http_metrics_core::{Format, HttpMetrics};
use http_metrics_opentelemetry::PrometheusReader;
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::KeyValue;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::reader::MetricReader;
use opentelemetry_sdk::metrics::{
    InstrumentKind, ManualReader, Pipeline, SdkMeterProvider, Temporality,
};
use opentelemetry_sdk::Resource;

const SERIES: usize = 1_000;
/// Histogram series: each is 6 bucket lines, `_sum` and `_count`; 125 of them are 1,000 lines.
const HISTOGRAMS: usize = SERIES / 8;
const BOUNDS: [f64; 5] = [0.01, 0.1, 1.0, 10.0, 100.0];

fn metrics() -> HttpMetrics {
    HttpMetrics::builder()
        .process_metrics(false)
        .build()
        .unwrap()
}

/// The shape every variant records: `SERIES` counters by `id`, or `HISTOGRAMS` histograms.
#[derive(Clone, Copy)]
enum Shape {
    Counters,
    Histograms,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Counters => "1000 counter series",
            Shape::Histograms => "1000 histogram lines (125 series)",
        }
    }
}

/// Through OpenTelemetry's API and the bridge. The provider is returned to keep it alive.
fn through_opentelemetry(shape: Shape) -> (HttpMetrics, SdkMeterProvider) {
    let metrics = metrics();
    let reader = PrometheusReader::builder().without_target_info().build();
    let provider = provider(shape, reader.clone());
    metrics.register_opentelemetry(&reader);
    (metrics, provider)
}

/// A provider with `reader` and the instruments of `shape`, recorded.
fn provider(shape: Shape, reader: impl MetricReader) -> SdkMeterProvider {
    let provider = SdkMeterProvider::builder()
        .with_reader(reader)
        .with_resource(Resource::builder_empty().build())
        .build();
    let meter = provider.meter("bench");
    match shape {
        Shape::Counters => {
            let counter = meter.u64_counter("jobs").build();
            for id in 0..SERIES {
                counter.add(1, &[KeyValue::new("id", id.to_string())]);
            }
        }
        Shape::Histograms => {
            let histogram = meter
                .f64_histogram("job.duration")
                .with_unit("s")
                .with_boundaries(BOUNDS.to_vec())
                .build();
            for id in 0..HISTOGRAMS {
                histogram.record(0.5, &[KeyValue::new("id", id.to_string())]);
            }
        }
    }
    provider
}

/// A reader the benchmark collects itself, as the bridge does at each scrape: the SDK's own
/// share of the bridge's cost.
#[derive(Debug, Clone)]
struct Shared(Arc<ManualReader>);

impl MetricReader for Shared {
    fn register_pipeline(&self, pipeline: Weak<Pipeline>) {
        self.0.register_pipeline(pipeline)
    }
    fn collect(&self, rm: &mut ResourceMetrics) -> OTelSdkResult {
        self.0.collect(rm)
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }
    fn temporality(&self, kind: InstrumentKind) -> Temporality {
        self.0.temporality(kind)
    }
}

type Labels = Vec<(&'static str, String)>;

/// The same series as prometheus-client metrics, with `otel_scope_name` as the bridge
/// writes it so that both scrapes are the same text.
fn families(shape: Shape) -> (Family<Labels, Counter>, Family<Labels, Histogram>) {
    let counters = Family::<Labels, Counter>::default();
    let histograms = Family::<Labels, Histogram>::new_with_constructor(|| Histogram::new(BOUNDS));
    let labels = |id: usize| vec![("id", id.to_string()), ("otel_scope_name", "bench".into())];
    match shape {
        Shape::Counters => {
            for id in 0..SERIES {
                counters.get_or_create(&labels(id)).inc();
            }
        }
        Shape::Histograms => {
            for id in 0..HISTOGRAMS {
                histograms.get_or_create(&labels(id)).observe(0.5);
            }
        }
    }
    (counters, histograms)
}

fn registered(shape: Shape) -> HttpMetrics {
    let metrics = metrics();
    let (counters, histograms) = families(shape);
    match shape {
        Shape::Counters => metrics.register("jobs", "", counters),
        Shape::Histograms => metrics.register_with_unit(
            "job_duration",
            "",
            http_metrics_core::prometheus_client::registry::Unit::Seconds,
            histograms,
        ),
    }
    .expect("the names are free");
    metrics
}

/// The same families, encoded by a custom collector.
#[derive(Debug)]
struct Families(Family<Labels, Counter>, Family<Labels, Histogram>, Shape);

impl Collector for Families {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> std::fmt::Result {
        use http_metrics_core::prometheus_client::registry::Unit;
        match self.2 {
            Shape::Counters => {
                let family = encoder.encode_descriptor("jobs", "", None, self.0.metric_type())?;
                self.0.encode(family)
            }
            Shape::Histograms => {
                let family = encoder.encode_descriptor(
                    "job_duration",
                    "",
                    Some(&Unit::Seconds),
                    self.1.metric_type(),
                )?;
                self.1.encode(family)
            }
        }
    }
}

impl std::fmt::Debug for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

fn collected(shape: Shape) -> HttpMetrics {
    let metrics = metrics();
    let (counters, histograms) = families(shape);
    metrics.register_collector("families", Families(counters, histograms, shape));
    metrics
}

fn scrape(c: &mut Criterion) {
    let mut group = c.benchmark_group("opentelemetry");
    for shape in [Shape::Counters, Shape::Histograms] {
        let (bridged, _provider) = through_opentelemetry(shape);
        let direct = registered(shape);
        let collector = collected(shape);
        let text = |m: &HttpMetrics| m.encode(Format::OpenMetrics).unwrap();
        // The three serve the same lines: the comparison is of the same work.
        let lines = |t: String| {
            let mut lines: Vec<String> = t
                .lines()
                .filter(|l| l.starts_with("job"))
                .map(str::to_owned)
                .collect();
            lines.sort();
            lines
        };
        assert_eq!(lines(text(&direct)).len(), SERIES);
        assert_eq!(lines(text(&bridged)), lines(text(&direct)));
        assert_eq!(lines(text(&collector)), lines(text(&direct)));
        let name = shape.name();
        group.bench_function(format!("{name}, prometheus-client registered"), |b| {
            b.iter(|| text(&direct))
        });
        group.bench_function(format!("{name}, prometheus-client in a collector"), |b| {
            b.iter(|| text(&collector))
        });
        group.bench_function(format!("{name}, OpenTelemetry through the bridge"), |b| {
            b.iter(|| text(&bridged))
        });
        let sdk = Shared(Arc::new(ManualReader::builder().build()));
        let _sdk_provider = provider(shape, sdk.clone());
        let mut collected = ResourceMetrics::default();
        group.bench_function(format!("{name}, the SDK's collection alone"), |b| {
            b.iter(|| sdk.collect(&mut collected).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, scrape);
criterion_main!(benches);
