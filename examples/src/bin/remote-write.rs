//! The OpenTelemetry guide's remote-write program: its instruments, in Prometheus naming,
//! pushed by Prometheus remote-write to `REMOTE_WRITE_URL` (required) with
//! `REMOTE_WRITE_TOKEN` as bearer token every `PUSH_INTERVAL_SECONDS` (default 15), and
//! served on `/metrics` at `HOST:PORT` (default `127.0.0.1:9464`, the OpenTelemetry
//! Prometheus exporter's port) for a look. It runs until Ctrl-C, or for `RUN_SECONDS` when
//! set, then pushes once more and says what it sent.
//!
//! | guide instrument | here | |
//! |---|---|---|
//! | Counter `MyCounter` | `MyCounter_total{dimension="value"}` | counter, `add(25)` |
//! | UpDownCounter `requests_active` | `requests_active{dimension="value"}` | gauge, `add(-2)` |
//! | ValueRecorder `requests_size` | `requests_size_bucket/_sum/_count{dimension="value"}` | histogram, `record(85)` |
//! | SumObserver | `cpu_time_seconds_total{dimension="value"}` | this process' CPU seconds |
//! | UpDownSumObserver `ram_usage` | `ram_usage{dimension="value"}` | percent of memory in use |
//! | ValueObserver `cpu_percent` | `cpu_percent{cpu_number}` | each CPU's busy percent |
//!
//! The guide's sum observer reports the memory percent, which can go down; a counter must
//! not, so here it reports a figure that only grows. The histogram has the OpenTelemetry
//! SDK's default buckets. Exit status: 0 done, 1 cannot listen, 2 a bad setting, 3 nothing
//! could be sent.

use std::process::ExitCode;
use std::sync::Arc;

use tower_metrics::prometheus_client::encoding::EncodeLabelSet;
use tower_metrics::prometheus_client::metrics::counter::Counter;
use tower_metrics::prometheus_client::metrics::family::Family;
use tower_metrics::prometheus_client::metrics::gauge::Gauge;
use tower_metrics::prometheus_client::metrics::histogram::Histogram;
use tower_metrics::HttpMetrics;

/// The OpenTelemetry SDK's default explicit bucket boundaries.
const OTEL_BUCKETS: [f64; 15] = [
    0.0, 5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0, 2500.0, 5000.0, 7500.0,
    10000.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Labels {
    dimension: String,
}

fn main() -> ExitCode {
    examples::env::Usage {
        program: "remote-write",
        about: "the OpenTelemetry guide's remote-write program, in Prometheus naming (/metrics on 9464)",
        variables: &[
            examples::remote_write::VARIABLES,
            examples::env::PUSH_VARIABLES,
        ],
    }
    .handle_help();
    // The program's own instruments only: no process figures beyond its observers.
    let metrics = HttpMetrics::builder()
        .process_metrics(false)
        .build()
        .expect("valid");
    let labels = Labels {
        dimension: "value".into(),
    };
    let counter: Family<Labels, Counter> = Family::default();
    metrics
        .register("MyCounter", "Description of MyCounter", counter.clone())
        .unwrap();
    let requests_active: Family<Labels, Gauge> = Family::default();
    metrics
        .register(
            "requests_active",
            "number of active requests",
            requests_active.clone(),
        )
        .unwrap();
    let requests_size: Family<Labels, Histogram> =
        Family::new_with_constructor(|| Histogram::new(OTEL_BUCKETS));
    metrics
        .register("requests_size", "size of requests", requests_size.clone())
        .unwrap();
    metrics
        .register_counter_fn(
            "cpu_time_seconds_total",
            "CPU time this process has used",
            |o| {
                if let Some(seconds) = examples::system::process_cpu_seconds() {
                    o.observe(&[("dimension", "value")], seconds);
                }
            },
        )
        .unwrap();
    metrics
        .register_gauge_fn("ram_usage", "ram usage", |o| {
            if let Some(percent) = examples::system::ram_percent() {
                o.observe(&[("dimension", "value")], percent);
            }
        })
        .unwrap();
    let cpus = Arc::new(examples::system::CpuPercent::default());
    metrics
        .register_gauge_fn("cpu_percent", "per-cpu usage", move |o| {
            for (number, percent) in cpus.read().into_iter().enumerate() {
                o.observe(&[("cpu_number", &number.to_string())], percent);
            }
        })
        .unwrap();

    // The guide's first data points.
    counter.get_or_create(&labels).inc_by(25);
    requests_active.get_or_create(&labels).dec_by(2);
    requests_size.get_or_create(&labels).observe(85.0);

    examples::remote_write::serve_and_push("remote-write", 9464, &metrics)
}
