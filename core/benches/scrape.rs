//! What a scrape costs, and how it grows with the number of series. A series is one sample
//! line, as Prometheus counts them; each route recorded here adds 19 (a counter, a histogram
//! of 14 buckets plus `+Inf`, `_sum` and `_count`, and an in-flight gauge).
//!
//! `cargo bench -p http-metrics-core --bench scrape --features push` (without `push`, the
//! remote-write group is left out).

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
        let gzip = ScrapeRequest::new()
            .accept("application/openmetrics-text")
            .accept_encoding("gzip");
        group.bench_function(format!("{series} series, OpenMetrics + gzip"), |b| {
            b.iter(|| Scrape::respond(&metrics, &gzip))
        });
    }
    group.finish();
}

/// One remote-write push (snapshot, protobuf, snappy) beside the scrape encoding of the same
/// registry: steady state (each series' labels encoded by an earlier push, as in a running
/// sender) and a first push (every series new).
#[cfg(feature = "push")]
fn push(c: &mut Criterion) {
    use http_metrics_core::push::RemoteWrite;
    let mut group = c.benchmark_group("push");
    group.sample_size(20);
    let sender = RemoteWrite::new("http://127.0.0.1:8428/api/v1/write")
        .unwrap()
        .external_label("job", "bench")
        .external_label("instance", "bench-1");
    for series in [1_000, 10_000] {
        let metrics = registry(series);
        group.bench_function(format!("{series} series, scrape OpenMetrics"), |b| {
            b.iter(|| metrics.encode(Format::OpenMetrics).unwrap())
        });
        let mut encoder = sender.encoder();
        let mut timestamp = 1_700_000_000_000;
        encoder.encode(&metrics, timestamp).unwrap();
        group.bench_function(format!("{series} series, remote-write push"), |b| {
            b.iter(|| {
                timestamp += 15_000;
                encoder.encode(&metrics, timestamp).unwrap()
            })
        });
        group.bench_function(format!("{series} series, remote-write first push"), |b| {
            b.iter(|| sender.encoder().encode(&metrics, timestamp).unwrap())
        });
        let bytes: usize = encoder
            .encode(&metrics, timestamp)
            .unwrap()
            .iter()
            .map(|body| body.len())
            .sum();
        let text = metrics.encode(Format::OpenMetrics).unwrap().len();
        println!(
            "{series} series: {bytes} bytes of snappy protobuf, {text} bytes of OpenMetrics text"
        );
    }
    group.finish();
}

#[cfg(not(feature = "push"))]
fn push(_: &mut Criterion) {}

criterion_group!(benches, scrape, push);
criterion_main!(benches);
