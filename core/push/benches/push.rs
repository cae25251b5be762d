//! One remote-write push (snapshot, protobuf, snappy) of registries of 1,000 to 100,000
//! series, beside an OpenMetrics scrape of the same registry: what the sender costs against
//! what `/metrics` costs, and what compressing the push alone costs. A series is one sample line, as Prometheus counts them; each route
//! recorded here adds 19.
//!
//! `cargo bench -p http-metrics-push --bench push`

use criterion::{criterion_group, criterion_main, Criterion};
use http_metrics_core::adapter::{MethodLabel, RouteHandle};
use http_metrics_core::{Format, HttpMetrics};
use http_metrics_push::RemoteWrite;

const LINES_PER_ROUTE: usize = 19;

fn registry(series: usize) -> HttpMetrics {
    let metrics = HttpMetrics::builder()
        .process_metrics(false)
        .build()
        .unwrap();
    for i in 0..series.div_ceil(LINES_PER_ROUTE) {
        let route = format!("/synthetic/{i}/{{id}}");
        RouteHandle::resolve(&metrics, &route)
            .start(MethodLabel::Get)
            .unwrap()
            .finish_with_status(200);
    }
    metrics
}

/// One remote-write push (snapshot, protobuf, snappy) beside the scrape encoding of the same
/// registry: steady state (each series' labels encoded by an earlier push, as in a running
/// sender) and a first push (every series new).
fn push(c: &mut Criterion) {
    let mut group = c.benchmark_group("push");
    group.sample_size(20);
    let sender = RemoteWrite::new("http://127.0.0.1:8428/api/v1/write")
        .unwrap()
        .external_label("job", "bench")
        .external_label("instance", "bench-1");
    for series in [1_000, 10_000, 100_000] {
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
        // The floor under a push: compressing its bodies, which a scrape does not do.
        let raw: Vec<Vec<u8>> = (encoder.encode(&metrics, timestamp).unwrap().iter())
            .map(|body| snap::raw::Decoder::new().decompress_vec(body).unwrap())
            .collect();
        group.bench_function(format!("{series} series, snappy of the push alone"), |b| {
            let mut snappy = snap::raw::Encoder::new();
            b.iter(|| {
                (raw.iter())
                    .map(|body| snappy.compress_vec(body).unwrap().len())
                    .sum::<usize>()
            })
        });
        group.bench_function(format!("{series} series, remote-write first push"), |b| {
            b.iter(|| sender.encoder().encode(&metrics, timestamp).unwrap())
        });
        let mut encoder_v2 = sender.encoder();
        encoder_v2.encode_v2(&metrics, timestamp).unwrap();
        group.bench_function(format!("{series} series, remote-write 2.0 push"), |b| {
            b.iter(|| {
                timestamp += 15_000;
                encoder_v2.encode_v2(&metrics, timestamp).unwrap()
            })
        });
        let bytes_v2: usize = (encoder_v2.encode_v2(&metrics, timestamp).unwrap().iter())
            .map(|body| body.len())
            .sum();
        println!("{series} series: {bytes_v2} bytes of snappy remote-write 2.0");
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

criterion_group!(benches, push);
criterion_main!(benches);
