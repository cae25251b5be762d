//! Native histograms against the classic buckets: what recording a request costs with each,
//! the memory a series takes with each, and a protobuf scrape beside a text one, in one run.
//! prometheus-client's own `Histogram` with native buckets is measured beside them.
//!
//! `cargo bench -p http-metrics-core --bench native --features native-histograms`
//!
//! The memory figures are printed first: bytes held per series after 100 requests spread
//! log-uniformly from 1 ms to 1 s, counted by this binary's allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use http_metrics_core::adapter::{MethodLabel, RouteHandle};
use http_metrics_core::{Format, HttpMetrics, NativeHistograms, DEFAULT_BUCKETS};
use prometheus_client::metrics::histogram::{Histogram, NativeHistogramConfig};

/// Counts the bytes this process holds.
struct Counting;

static HELD: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        HELD.fetch_add(layout.size() as isize, Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size() as isize, Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        HELD.fetch_add(new_size as isize - layout.size() as isize, Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const ROUTES: usize = 1_000;
const PER_SERIES: usize = 100;

/// `n` durations log-uniform from 1 ms to 1 s.
fn spread(n: usize) -> Vec<Duration> {
    (0..n)
        .map(|i| Duration::from_secs_f64(0.001 * 1000f64.powf(i as f64 / (n - 1) as f64)))
        .collect()
}

/// The configurations compared.
fn configurations() -> [(&'static str, HttpMetrics); 3] {
    let build = |native: Option<NativeHistograms>| {
        let builder = HttpMetrics::builder().process_metrics(false);
        match native {
            Some(native) => builder.native_histograms(native),
            None => builder,
        }
        .build()
        .unwrap()
    };
    [
        ("classic buckets (default)", build(None)),
        (
            "classic + native, schema 3",
            build(Some(NativeHistograms::new())),
        ),
        (
            "native only, schema 3",
            build(Some(NativeHistograms::new().classic_buckets(false))),
        ),
    ]
}

/// `metrics` with [`ROUTES`] series of [`PER_SERIES`] requests each.
fn fill(metrics: &HttpMetrics) {
    let durations = spread(PER_SERIES);
    for i in 0..ROUTES {
        let route = RouteHandle::resolve(metrics, &format!("/r/{i}"));
        for &d in &durations {
            route.record(MethodLabel::Get, 200, d);
        }
    }
}

fn print_memory() {
    println!("memory per series ({ROUTES} series, {PER_SERIES} requests each, 1 ms to 1 s):");
    for (name, metrics) in configurations() {
        let before = HELD.load(Relaxed);
        fill(&metrics);
        let per = (HELD.load(Relaxed) - before) / ROUTES as isize;
        println!("  {name}: {per} bytes (route entry, counter, histograms, in-flight gauge)");
    }
    let durations = spread(PER_SERIES);
    for (name, make) in [
        (
            "prometheus-client Histogram, classic",
            (|| Histogram::new(DEFAULT_BUCKETS.iter().copied())) as fn() -> Histogram,
        ),
        ("prometheus-client Histogram, classic + native", || {
            Histogram::new_classic_and_native(
                DEFAULT_BUCKETS.iter().copied(),
                NativeHistogramConfig::with_schema(3),
            )
        }),
    ] {
        let before = HELD.load(Relaxed);
        let histograms: Vec<Histogram> = (0..ROUTES)
            .map(|_| {
                let h = make();
                for d in &durations {
                    h.observe(d.as_secs_f64());
                }
                h
            })
            .collect();
        let per = (HELD.load(Relaxed) - before) / ROUTES as isize;
        println!("  {name}: {per} bytes (the histogram alone)");
        drop(histograms);
    }
}

fn record(c: &mut Criterion) {
    print_memory();
    let durations = spread(1024);
    let mut group = c.benchmark_group("native: record one request");
    for (name, metrics) in configurations() {
        let route = RouteHandle::resolve(&metrics, "/users/{id}");
        // Every bucket the durations reach exists before timing.
        for &d in &durations {
            route.record(MethodLabel::Get, 200, d);
        }
        let mut i = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) & 1023;
                route.record(MethodLabel::Get, 200, black_box(durations[i]))
            })
        });
    }
    let seconds: Vec<f64> = durations.iter().map(Duration::as_secs_f64).collect();
    let classic = Histogram::new(DEFAULT_BUCKETS.iter().copied());
    let native = Histogram::new_classic_and_native(
        DEFAULT_BUCKETS.iter().copied(),
        NativeHistogramConfig::with_schema(3),
    );
    for (name, histogram) in [
        (
            "prometheus-client Histogram::observe, classic (for comparison)",
            classic,
        ),
        (
            "prometheus-client Histogram::observe, classic + native (for comparison)",
            native,
        ),
    ] {
        let mut i = 0;
        group.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 1) & 1023;
                histogram.observe(black_box(seconds[i]))
            })
        });
    }
    group.finish();
}

fn scrape(c: &mut Criterion) {
    let mut group = c.benchmark_group("native: scrape 1,000 routes");
    group.sample_size(20);
    for (name, metrics) in configurations() {
        fill(&metrics);
        group.bench_function(format!("{name}, protobuf"), |b| {
            b.iter(|| metrics.encode_to_vec(Format::Protobuf).unwrap())
        });
        group.bench_function(format!("{name}, OpenMetrics text"), |b| {
            b.iter(|| metrics.encode(Format::OpenMetrics).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, record, scrape);
criterion_main!(benches);
