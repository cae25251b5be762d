//! The OpenTelemetry guide's remote-write program, instrumented with OpenTelemetry's own API
//! as the guide is: a global meter provider, a meter named after the module, the guide's
//! instruments with their names, descriptions, labels and first data points. Its
//! instruments reach Prometheus through [`PrometheusReader`], under the names the
//! OpenTelemetry specification gives them there: pushed by remote-write to
//! `REMOTE_WRITE_URL` (required) with `REMOTE_WRITE_TOKEN` as bearer token every
//! `PUSH_INTERVAL_SECONDS` (default 15), and served on `/metrics` at `HOST:PORT` (default
//! `127.0.0.1:9465`). It runs until Ctrl-C, or for `RUN_SECONDS` when set, then pushes once
//! more and says what it sent.
//!
//! | guide instrument | OpenTelemetry (Rust) | in Prometheus |
//! |---|---|---|
//! | Counter `MyCounter`, unit `1` | `u64_counter`, `add(25)` | `MyCounter_total{dimension="value"}` |
//! | UpDownCounter `requests_active`, unit `1` | `i64_up_down_counter`, `add(-2)` | gauge `requests_active{dimension="value"}` |
//! | ValueRecorder `requests_size`, unit `1` | `u64_histogram`, `record(85)` | histogram `requests_size{dimension="value"}`, the SDK's default buckets |
//! | SumObserver | `f64_observable_counter` `cpu_time`, unit `s` | `cpu_time_seconds_total{dimension="value"}` |
//! | UpDownSumObserver `ram_usage` | `f64_observable_up_down_counter`, unit `%` | gauge `ram_usage_percent{dimension="value"}` |
//! | ValueObserver `cpu_percent` | `f64_observable_gauge`, unit `%` | gauge `cpu_percent{cpu_number}` |
//!
//! Each series also has `otel_scope_name="otel_remote_write"`, and `target_info` carries the
//! resource (`service_name="otel-remote-write"`, the SDK's `telemetry_sdk_*`).
//!
//! Where it departs from the guide, and why: the guide's sum observer reports the memory
//! percent, which can fall, and a monotonic sum (a counter) must not, so it reports this
//! process' CPU time; and the guide gives its percents the unit `1`, where UCUM's unit for
//! a percent is `%`: with `1` the specification would name the gauge `cpu_percent_ratio`
//! while its values run to 100. Exit status: 0 done, 1 cannot listen, 2 a bad setting, 3
//! nothing could be sent.

use std::process::ExitCode;
use std::sync::Arc;

use opentelemetry::{global, KeyValue};
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::Resource;
use tower_metrics::opentelemetry::PrometheusReader;
use tower_metrics::HttpMetrics;

fn main() -> ExitCode {
    examples::env::Usage {
        program: "otel-remote-write",
        about: "the remote-write program on OpenTelemetry's API (/metrics on 9465)",
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

    // The guide's pipeline: a meter provider, set globally, and a meter named after the
    // module. Its reader is the registry's, which serves and pushes it.
    let reader = PrometheusReader::new();
    let provider = SdkMeterProvider::builder()
        .with_reader(reader.clone())
        .with_resource(
            Resource::builder()
                .with_service_name("otel-remote-write")
                .build(),
        )
        .build();
    metrics.register_opentelemetry(&reader);
    global::set_meter_provider(provider.clone());
    let meter = global::meter(module_path!());

    let labels = [KeyValue::new("dimension", "value")];

    // Counter.
    let counter = meter
        .u64_counter("MyCounter")
        .with_description("Description of MyCounter")
        .with_unit("1")
        .build();
    counter.add(25, &labels);

    // UpDownCounter.
    let requests_active = meter
        .i64_up_down_counter("requests_active")
        .with_description("number of active requests")
        .with_unit("1")
        .build();
    requests_active.add(-2, &labels);

    // ValueRecorder: a histogram now.
    let requests_size = meter
        .u64_histogram("requests_size")
        .with_description("size of requests")
        .with_unit("1")
        .build();
    requests_size.record(85, &labels);

    // SumObserver: a figure that only grows.
    let _cpu_time = meter
        .f64_observable_counter("cpu_time")
        .with_description("CPU time this process has used")
        .with_unit("s")
        .with_callback(|observer| {
            if let Some(seconds) = examples::system::process_cpu_seconds() {
                observer.observe(seconds, &[KeyValue::new("dimension", "value")]);
            }
        })
        .build();

    // UpDownSumObserver.
    let _ram_usage = meter
        .f64_observable_up_down_counter("ram_usage")
        .with_description("ram usage")
        .with_unit("%")
        .with_callback(|observer| {
            if let Some(percent) = examples::system::ram_percent() {
                observer.observe(percent, &[KeyValue::new("dimension", "value")]);
            }
        })
        .build();

    // ValueObserver: a gauge now.
    let cpus = Arc::new(examples::system::CpuPercent::default());
    let _cpu_percent = meter
        .f64_observable_gauge("cpu_percent")
        .with_description("per-cpu usage")
        .with_unit("%")
        .with_callback(move |observer| {
            for (number, percent) in cpus.read().into_iter().enumerate() {
                observer.observe(percent, &[KeyValue::new("cpu_number", number.to_string())]);
            }
        })
        .build();

    let code = examples::remote_write::serve_and_push("otel-remote-write", 9465, &metrics);
    // Past the last push: the provider's instruments are no longer read.
    let _ = provider.shutdown();
    code
}
