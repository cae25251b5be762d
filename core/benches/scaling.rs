//! How each cost grows with the work: a request's recording against the number of route
//! templates and of statuses per route, and a scrape's time and memory against the number
//! of series. The memory figures are printed first, counted by this binary's allocator.
//!
//! `cargo bench -p http-metrics-core --bench scaling`
//!
//! A series is one sample line, as Prometheus counts them; a route with one status adds 19
//! (a counter, a histogram's 14 buckets, `+Inf`, `_sum` and `_count`, an in-flight gauge).

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use http_metrics_core::adapter::{MethodLabel, RouteHandle};
use http_metrics_core::{Format, HttpMetrics};

/// Counts the bytes this process holds, and the most it held.
struct Counting;

static HELD: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

fn grew(by: isize) {
    let now = HELD.fetch_add(by, Relaxed) + by;
    PEAK.fetch_max(now, Relaxed);
}

// SAFETY: every call is forwarded to the system allocator unchanged.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size() as isize, Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grew(new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const LINES_PER_ROUTE: usize = 19;
const STATUSES: [u16; 50] = {
    let mut codes = [0; 50];
    let mut i = 0;
    while i < 50 {
        // 200..=224 and 400..=424: real-looking codes in two classes.
        codes[i] = if i < 25 {
            200 + i as u16
        } else {
            375 + i as u16
        };
        i += 1;
    }
    codes
};

fn metrics() -> HttpMetrics {
    HttpMetrics::builder()
        .process_metrics(false)
        .max_series(2_000_000)
        .build()
        .unwrap()
}

/// `routes` handles on fresh metrics, each route's first series recorded.
fn routes(metrics: &HttpMetrics, routes: usize) -> Vec<RouteHandle> {
    (0..routes)
        .map(|i| {
            let route = RouteHandle::resolve(metrics, &format!("/synthetic/{i}/{{id}}"));
            route
                .start(MethodLabel::Get)
                .unwrap()
                .finish_with_status(200);
            route
        })
        .collect()
}

fn memory() {
    println!("memory, counted by the allocator:");
    for (routes_n, statuses) in [(1_000, 1), (1_000, 10), (10_000, 1)] {
        let metrics = metrics();
        let before = HELD.load(Relaxed);
        let handles = routes(&metrics, routes_n);
        let with_routes = HELD.load(Relaxed);
        for route in &handles {
            for status in &STATUSES[1..statuses] {
                route
                    .start(MethodLabel::Get)
                    .unwrap()
                    .finish_with_status(*status);
            }
        }
        let recorded = HELD.load(Relaxed);
        let series = routes_n * statuses;
        println!(
            "  {routes_n} routes x {statuses} statuses: {} bytes per route with its first series, {} per further series (counter + histogram)",
            (with_routes - before) / routes_n as isize,
            if statuses > 1 {
                (recorded - with_routes) / (series - routes_n) as isize
            } else {
                0
            },
        );
        drop(metrics.encode(Format::OpenMetrics).unwrap());
        let after_scrape = HELD.load(Relaxed);
        println!(
            "    after the first scrape: {} bytes per series more (its labels, rendered once)",
            (after_scrape - recorded) / series as isize
        );
        drop(handles);
    }
    for lines in [1_000usize, 10_000, 100_000, 1_000_000] {
        let metrics = metrics();
        let before = HELD.load(Relaxed);
        let handles = routes(&metrics, lines.div_ceil(LINES_PER_ROUTE));
        drop(metrics.encode(Format::OpenMetrics).unwrap());
        let held = HELD.load(Relaxed) - before;
        PEAK.store(HELD.load(Relaxed), Relaxed);
        let body = metrics.encode(Format::OpenMetrics).unwrap();
        let peak = PEAK.load(Relaxed) - HELD.load(Relaxed) + body.len() as isize;
        println!(
            "  {lines} series: {:.1} MB held, a scrape allocates {:.1} MB at most ({:.1} MB of text)",
            held as f64 / 1e6,
            peak as f64 / 1e6,
            body.len() as f64 / 1e6
        );
        drop(body);
        drop(handles);
    }
}

fn recording(c: &mut Criterion) {
    memory();
    let mut group = c.benchmark_group("scaling: record one request");
    for n in [10, 1_000, 10_000] {
        let metrics = metrics();
        let handles = routes(&metrics, n);
        let mut i = 0;
        group.bench_function(format!("{n} routes, each request on the next one"), |b| {
            b.iter(|| {
                i = (i + 1) % handles.len();
                let guard = handles[i].start(black_box(MethodLabel::Get)).unwrap();
                guard.finish_with_status(200)
            })
        });
    }
    for n in [1, 10, 50] {
        let metrics = metrics();
        let route = RouteHandle::resolve(&metrics, "/users/{id}");
        for status in &STATUSES[..n] {
            route
                .start(MethodLabel::Get)
                .unwrap()
                .finish_with_status(*status);
        }
        let mut i = 0;
        group.bench_function(format!("one route, {n} statuses in turn"), |b| {
            b.iter(|| {
                i = (i + 1) % n;
                let guard = route.start(black_box(MethodLabel::Get)).unwrap();
                guard.finish_with_status(STATUSES[i])
            })
        });
    }
    group.finish();
}

fn scrape(c: &mut Criterion) {
    let mut group = c.benchmark_group("scaling: scrape");
    group.sample_size(10);
    for lines in [1_000usize, 10_000, 100_000, 1_000_000] {
        let metrics = metrics();
        let _handles = routes(&metrics, lines.div_ceil(LINES_PER_ROUTE));
        group.bench_function(format!("{lines} series, OpenMetrics"), |b| {
            b.iter(|| metrics.encode(Format::OpenMetrics).unwrap())
        });
    }
    // A first scrape renders every series' labels.
    group.bench_function("100000 series, the first scrape of new series", |b| {
        b.iter_batched(
            || {
                let metrics = metrics();
                let handles = routes(&metrics, 100_000 / LINES_PER_ROUTE);
                (metrics, handles)
            },
            |(metrics, _handles)| metrics.encode(Format::OpenMetrics).unwrap(),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, recording, scrape);
criterion_main!(benches);
