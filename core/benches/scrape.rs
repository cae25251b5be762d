//! What a scrape costs, and how it grows with the number of series. A series is one sample
//! line, as Prometheus counts them; each route recorded here adds 19 (a counter, a histogram
//! of 14 buckets plus `+Inf`, `_sum` and `_count`, and an in-flight gauge).
//!
//! `cargo bench -p http-metrics-core --bench scrape`; the remote-write push of the same
//! registries is `cargo bench -p http-metrics-push --bench push`.

use criterion::{criterion_group, criterion_main, Criterion};
use http_metrics_core::adapter::{MethodLabel, RouteHandle, Scrape, ScrapeRequest};
use http_metrics_core::{Format, HttpMetrics};

const LINES_PER_ROUTE: usize = 19;

fn registry(series: usize) -> HttpMetrics {
    let metrics = HttpMetrics::new();
    for i in 0..series.div_ceil(LINES_PER_ROUTE) {
        let route = format!("/synthetic/{i}/{{id}}");
        RouteHandle::resolve(&metrics, &route)
            .start(MethodLabel::Get)
            .unwrap()
            .finish_with_status(200);
    }
    metrics
}

/// prometheus-client's own types holding the same series as [`registry`]: a
/// `Family<_, Counter>`, a `Family<_, Histogram>` with the same buckets and a
/// `Family<_, Gauge>`, on a `Registry`.
fn prometheus_client_registry(series: usize) -> prometheus_client::registry::Registry {
    use prometheus_client::metrics::{
        counter::Counter, family::Family, gauge::Gauge, histogram::Histogram,
    };
    type Labels = Vec<(&'static str, String)>;
    let requests = Family::<Labels, Counter>::default();
    let durations = Family::<Labels, Histogram>::new_with_constructor(|| {
        Histogram::new(http_metrics_core::DEFAULT_BUCKETS.iter().copied())
    });
    let in_flight = Family::<Labels, Gauge>::default();
    for i in 0..series.div_ceil(LINES_PER_ROUTE) {
        let route = format!("/synthetic/{i}/{{id}}");
        let labels = vec![
            ("method", "GET".to_owned()),
            ("route", route.clone()),
            ("status", "200".to_owned()),
        ];
        requests.get_or_create(&labels).inc();
        durations.get_or_create(&labels).observe(0.001);
        in_flight
            .get_or_create(&vec![("method", "GET".to_owned()), ("route", route)])
            .set(0);
    }
    let mut registry = prometheus_client::registry::Registry::default();
    registry.register("http_requests", "Requests", requests);
    registry.register_with_unit(
        "http_request_duration",
        "Durations",
        prometheus_client::registry::Unit::Seconds,
        durations,
    );
    registry.register("http_requests_in_flight", "In flight", in_flight);
    registry
}

fn scrape(c: &mut Criterion) {
    let mut group = c.benchmark_group("scrape");
    group.sample_size(20);
    for series in [1_000, 10_000, 100_000] {
        let metrics = registry(series);
        group.bench_function(format!("{series} series, OpenMetrics"), |b| {
            b.iter(|| metrics.encode(Format::OpenMetrics).unwrap())
        });
        group.bench_function(format!("{series} series, Prometheus 0.0.4"), |b| {
            b.iter(|| metrics.encode(Format::Prometheus).unwrap())
        });
        let own = prometheus_client_registry(series);
        group.bench_function(
            format!("{series} series, prometheus-client's own families (for comparison)"),
            |b| {
                b.iter(|| {
                    let mut out = String::new();
                    prometheus_client::encoding::text::encode(&mut out, &own).unwrap();
                    out
                })
            },
        );
        let gzip = ScrapeRequest::new()
            .accept("application/openmetrics-text")
            .accept_encoding("gzip");
        group.bench_function(format!("{series} series, OpenMetrics + gzip"), |b| {
            b.iter(|| Scrape::respond(&metrics, &gzip))
        });
    }
    group.finish();
}

/// gzip levels on the OpenMetrics body of 10,000 series: the time of each, and the size
/// (printed), beside the encoding itself.
fn compression(c: &mut Criterion) {
    use std::io::Write as _;
    let mut group = c.benchmark_group("compression");
    group.sample_size(20);
    let metrics = registry(10_000);
    let body = metrics.encode(Format::OpenMetrics).unwrap().into_bytes();
    let gzip = |level: u32| {
        let mut encoder = flate2::write::GzEncoder::new(
            Vec::with_capacity(body.len() / 4),
            flate2::Compression::new(level),
        );
        encoder.write_all(&body).unwrap();
        encoder.finish().unwrap()
    };
    println!("10000 series: {} bytes of OpenMetrics text", body.len());
    group.bench_function("10000 series, OpenMetrics encoding (for comparison)", |b| {
        b.iter(|| metrics.encode(Format::OpenMetrics).unwrap())
    });
    for level in [1, 2, 3, 4, 6, 9] {
        println!("gzip level {level}: {} bytes", gzip(level).len());
        group.bench_function(format!("10000 series, gzip level {level}"), |b| {
            b.iter(|| gzip(level))
        });
    }
    group.finish();
}

criterion_group!(benches, scrape, compression);
criterion_main!(benches);
