//! The recording path in isolation: what one request costs the core, with nothing around it.
//!
//! `cargo bench -p http-metrics-core --bench recording`

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use http_metrics_core::{HttpMetrics, LocalRouteCache, MethodLabel, RouteCache};

const ROUTE: &str = "/api/users/{user_id}";

fn recording(c: &mut Criterion) {
    let metrics = HttpMetrics::new();
    let route = metrics.route(ROUTE);
    route
        .start(MethodLabel::Get)
        .unwrap()
        .finish_with_status(200);

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
    let cache = RouteCache::default();
    group.bench_function("start + finish through the per-route cache", |b| {
        b.iter(|| {
            let guard = cache.start(&metrics, MethodLabel::Get, Some(black_box(ROUTE)));
            guard.unwrap().finish_with_status(200);
        })
    });
    // actix-web's path: the route before routing from the worker's cache, then settled.
    for (name, template) in [
        (
            "start + settle + finish, route from a learned template (actix-web)",
            ROUTE,
        ),
        (
            "start + settle + finish, route from the path memo (actix-web, regex segment)",
            r"/api/users/{user_id:\d+}",
        ),
    ] {
        let local = LocalRouteCache::default();
        group.bench_function(name, |b| {
            b.iter(|| {
                let resolve = || Some(template.to_owned());
                let path = black_box("/api/users/42");
                let guard = local.start_for_path(&metrics, MethodLabel::Get, path, resolve);
                let mut guard = guard.unwrap();
                local.settle(&metrics, &mut guard, Some(black_box(template)));
                guard.finish_with_status(200);
            })
        });
    }
    group.bench_function("route lookup, known route (no cache)", |b| {
        b.iter(|| metrics.route(black_box(ROUTE)))
    });
    group.bench_function("start + finish, first request of a new series", |b| {
        b.iter_batched(
            HttpMetrics::new,
            |fresh| {
                fresh
                    .start(MethodLabel::Get, Some(ROUTE))
                    .unwrap()
                    .finish_with_status(201)
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn contention(c: &mut Criterion) {
    let metrics = HttpMetrics::new();
    let route = metrics.route(ROUTE);
    route
        .start(MethodLabel::Get)
        .unwrap()
        .finish_with_status(200);
    let mut group = c.benchmark_group("contention");
    for threads in [1usize, 2] {
        group.bench_function(
            format!("{threads} thread(s) on one series, per request"),
            |b| {
                b.iter_custom(|iters| {
                    let per_thread = iters / threads as u64 + 1;
                    let start = Instant::now();
                    std::thread::scope(|s| {
                        for _ in 0..threads {
                            s.spawn(|| {
                                for _ in 0..per_thread {
                                    route
                                        .start(MethodLabel::Get)
                                        .unwrap()
                                        .finish_with_status(200);
                                }
                            });
                        }
                    });
                    // Wall time per request across all threads.
                    start.elapsed() / threads as u32
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, recording, contention);
criterion_main!(benches);
