//! The recording path in isolation: what one request costs the core, with nothing around it.
//!
//! `cargo bench -p http-metrics-core --bench recording`

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use http_metrics_core::adapter::{MethodLabel, RouteCache, RouteHandle};
use http_metrics_core::HttpMetrics;

const ROUTE: &str = "/api/users/{user_id}";

/// A registry whose `GET` `200` series on [`ROUTE`] exists already.
fn known_series() -> (HttpMetrics, RouteHandle) {
    let metrics = HttpMetrics::new();
    let route = RouteHandle::resolve(&metrics, ROUTE);
    route
        .start(MethodLabel::Get)
        .unwrap()
        .finish_with_status(200);
    (metrics, route)
}

/// prometheus-client's own histogram, with the same buckets.
fn prometheus_histogram() -> prometheus_client::metrics::histogram::Histogram {
    prometheus_client::metrics::histogram::Histogram::new(
        http_metrics_core::DEFAULT_BUCKETS.iter().copied(),
    )
}

fn recording(c: &mut Criterion) {
    let (metrics, route) = known_series();

    let mut group = c.benchmark_group("recording");
    group.bench_function("two std::time::Instant reads", |b| {
        b.iter(|| black_box(Instant::now()).elapsed())
    });
    group.bench_function("two quanta::Instant reads", |b| {
        b.iter(|| quanta::Instant::now().duration_since(black_box(quanta::Instant::now())))
    });
    let clock = quanta::Clock::new();
    group.bench_function(
        "two raw quanta::Clock reads, delta scaled (the clock in use)",
        |b| b.iter(|| clock.delta_as_nanos(black_box(clock.raw()), clock.raw())),
    );
    group.bench_function("start + finish, known series", |b| {
        b.iter(|| {
            let mut guard = route.start(black_box(MethodLabel::Get)).unwrap();
            guard.set_status(black_box(200));
            guard.finish();
        })
    });
    // What recording a request costs with prometheus-client's own types, as the usual
    // middleware does it: a histogram observation (a mutex per observation) and a counter,
    // each found in its `Family` by a label set built for the request. No clock reads here.
    {
        use prometheus_client::metrics::counter::Counter;
        use prometheus_client::metrics::family::Family;
        use prometheus_client::metrics::histogram::Histogram;
        type Labels = Vec<(&'static str, String)>;
        let labels = || -> Labels {
            vec![
                ("method", "GET".to_owned()),
                ("route", ROUTE.to_owned()),
                ("status", "200".to_owned()),
            ]
        };
        let histogram = prometheus_histogram();
        group.bench_function(
            "prometheus-client Histogram::observe alone (for comparison)",
            |b| b.iter(|| histogram.observe(black_box(0.003))),
        );
        let histograms = Family::<Labels, Histogram>::new_with_constructor(prometheus_histogram);
        let counters = Family::<Labels, Counter>::default();
        group.bench_function(
            "prometheus-client Family lookups + observe + inc, per request (for comparison)",
            |b| {
                b.iter(|| {
                    let labels = labels();
                    histograms.get_or_create(&labels).observe(black_box(0.003));
                    counters.get_or_create(&labels).inc();
                })
            },
        );
    }
    let cache = RouteCache::default();
    group.bench_function("start + finish through the per-route cache", |b| {
        b.iter(|| {
            let guard = cache.start(&metrics, MethodLabel::Get, Some(black_box(ROUTE)));
            guard.unwrap().finish_with_status(200);
        })
    });
    group.bench_function("route lookup, known route (no cache)", |b| {
        b.iter(|| RouteHandle::resolve(&metrics, black_box(ROUTE)))
    });
    group.bench_function("start + finish, first request of a new series", |b| {
        b.iter_batched(
            HttpMetrics::new,
            |fresh| {
                RouteHandle::resolve(&fresh, ROUTE)
                    .start(MethodLabel::Get)
                    .unwrap()
                    .finish_with_status(201)
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn contention(c: &mut Criterion) {
    let (_metrics, route) = known_series();
    let histogram = prometheus_histogram();
    let counter = prometheus_client::metrics::counter::Counter::<u64>::default();
    let gauge = prometheus_client::metrics::gauge::Gauge::<i64>::default();
    let mut group = c.benchmark_group("contention");
    for threads in [1usize, 2] {
        group.bench_function(
            format!("{threads} thread(s) on one series, time per request on each"),
            |b| {
                b.iter_custom(|iters| {
                    hammer(threads, iters, || {
                        route
                            .start(MethodLabel::Get)
                            .unwrap()
                            .finish_with_status(200)
                    })
                })
            },
        );
        group.bench_function(
            format!(
                "{threads} thread(s) on one prometheus-client Histogram, time per observation \
                 on each (for comparison)"
            ),
            |b| b.iter_custom(|iters| hammer(threads, iters, || histogram.observe(0.003))),
        );
        group.bench_function(
            format!(
                "{threads} thread(s), prometheus-client gauge + histogram + counter, handles \
                 resolved once, time per request on each (for comparison)"
            ),
            |b| {
                b.iter_custom(|iters| {
                    hammer(threads, iters, || {
                        gauge.inc();
                        histogram.observe(0.003);
                        counter.inc();
                        gauge.dec();
                    })
                })
            },
        );
    }
    group.finish();
}

/// Runs `iters` calls of `f` on each of `threads` threads at once; returns the wall time,
/// so that criterion reports the time a call takes on each thread while the others call
/// too. Two threads without contention take what one does; a cost more than twice one
/// thread's means two threads get less done together than one alone.
fn hammer(threads: usize, iters: u64, f: impl Fn() + Sync) -> std::time::Duration {
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..iters {
                    f();
                }
            });
        }
    });
    start.elapsed()
}

/// One observation into a summary, beside the histograms an application would use instead,
/// in the same run; and two threads observing into one summary.
fn observe(c: &mut Criterion) {
    let mut group = c.benchmark_group("observe");
    let summary = http_metrics_core::Summary::builder().build().unwrap();
    let histogram = prometheus_histogram();
    // A varying value, so the summary's streams see a spread rather than one number.
    let mut next = 0u64;
    let mut value = move || {
        next = next
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (next >> 40) as f64 / 1e4
    };
    group.bench_function(
        "Summary::observe (default objectives, 10 min window)",
        |b| b.iter(|| summary.observe(black_box(value()))),
    );
    group.bench_function(
        "prometheus-client Histogram::observe (for comparison)",
        |b| b.iter(|| histogram.observe(black_box(value()))),
    );
    let (_metrics, route) = known_series();
    group.bench_function(
        "the core's HTTP histogram: start + finish, known series (for comparison)",
        |b| b.iter(|| (route.start(MethodLabel::Get).unwrap()).finish_with_status(black_box(200))),
    );
    for threads in [1usize, 2] {
        group.bench_function(
            format!("Summary::observe, {threads} thread(s), time per observation on each"),
            |b| b.iter_custom(|iters| hammer(threads, iters, || summary.observe(black_box(0.25)))),
        );
    }
    group.finish();
}

criterion_group!(benches, recording, contention, observe);
criterion_main!(benches);
