//! What a scrape costs, and how it grows with the number of series. A series is one sample
//! line, as Prometheus counts them; each route recorded here adds 19 (a counter, a histogram
//! of 14 buckets plus `+Inf`, `_sum` and `_count`, and an in-flight gauge).
//!
//! `cargo bench -p http-metrics-core --bench scrape`

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

criterion_group!(benches, scrape);
criterion_main!(benches);
