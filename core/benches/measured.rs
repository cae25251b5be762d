//! What `#[measured]` adds to a call, beside the same recording written by hand with
//! prometheus-client handles resolved once (what a careful user would write), and the bare
//! function, in the same run.
//!
//! `cargo bench -p http-metrics-core --bench measured`

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use http_metrics_macros::measured;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;

#[inline(never)]
fn bare(a: u64, b: u64) -> Result<u64, ()> {
    a.checked_add(b).ok_or(())
}

#[measured(service = "bench")]
#[inline(never)]
fn attributed(a: u64, b: u64) -> Result<u64, ()> {
    a.checked_add(b).ok_or(())
}

/// The hand-written equivalent: gauge up, clock, call, histogram, counter by result, gauge
/// down.
struct ByHand {
    ok: Counter,
    error: Counter,
    duration: Histogram,
    concurrent: Gauge,
}

impl ByHand {
    #[inline(never)]
    fn call(&self, a: u64, b: u64) -> Result<u64, ()> {
        self.concurrent.inc();
        let started = Instant::now();
        let result = a.checked_add(b).ok_or(());
        self.duration.observe(started.elapsed().as_secs_f64());
        if result.is_ok() {
            &self.ok
        } else {
            &self.error
        }
        .inc();
        self.concurrent.dec();
        result
    }
}

fn calls(c: &mut Criterion) {
    let by_hand = ByHand {
        ok: Counter::default(),
        error: Counter::default(),
        duration: Histogram::new(http_metrics_core::DEFAULT_BUCKETS.iter().copied()),
        concurrent: Gauge::default(),
    };
    let _ = attributed(1, 2); // the call site resolves its series on the first call
    let mut group = c.benchmark_group("a call");
    group.bench_function("bare", |b| b.iter(|| bare(black_box(1), black_box(2))));
    group.bench_function("#[measured]", |b| {
        b.iter(|| attributed(black_box(1), black_box(2)))
    });
    group.bench_function("written by hand (for comparison)", |b| {
        b.iter(|| by_hand.call(black_box(1), black_box(2)))
    });
    group.finish();
}

criterion_group!(benches, calls);
criterion_main!(benches);
