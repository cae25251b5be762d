//! The reader end to end: instruments of every kind on an SDK meter provider, scraped from
//! an `HttpMetrics`, the lines asserted whole.

use opentelemetry::metrics::{Meter, MeterProvider as _};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::Resource;

use super::PrometheusReader;
use http_metrics_core::{Format, HttpMetrics};

/// A registry without the process metrics, its reader and a provider with `resource`.
fn setup(reader: PrometheusReader, resource: Resource) -> (HttpMetrics, SdkMeterProvider) {
    let metrics = HttpMetrics::builder()
        .process_metrics(false)
        .build()
        .unwrap();
    let provider = SdkMeterProvider::builder()
        .with_reader(reader.clone())
        .with_resource(resource)
        .build();
    metrics.register_opentelemetry(&reader);
    (metrics, provider)
}

fn service(name: &str) -> Resource {
    Resource::builder_empty()
        .with_attribute(KeyValue::new("service.name", name.to_owned()))
        .build()
}

/// The lines of a scrape that are not the HTTP metrics' or the registry's own.
fn otel_lines(metrics: &HttpMetrics, format: Format) -> Vec<String> {
    metrics
        .encode(format)
        .unwrap()
        .lines()
        .filter(|line| {
            let name = ["# HELP ", "# TYPE ", "# UNIT "]
                .iter()
                .find_map(|p| line.strip_prefix(p))
                .unwrap_or(line);
            !(name.starts_with("http_") || name.starts_with("metrics_") || *line == "# EOF")
        })
        .map(str::to_owned)
        .collect()
}

/// One instrument of each kind the API has, with the values the tests expect.
fn every_kind(meter: &Meter) -> Vec<Box<dyn std::any::Any>> {
    let card = [KeyValue::new("payment.method", "card")];
    let placed = meter
        .u64_counter("orders.placed")
        .with_unit("{order}")
        .with_description("Orders placed")
        .build();
    placed.add(3, &card);
    placed.add(2, &card);
    meter
        .f64_counter("energy")
        .with_unit("J")
        .build()
        .add(1.5, &[]);
    let active = meter.i64_up_down_counter("requests_active").build();
    active.add(3, &[]);
    active.add(-2, &[]);
    meter
        .f64_up_down_counter("queue.depth")
        .with_unit("By")
        .build()
        .add(2.5, &[]);
    let size = meter
        .u64_histogram("request.size")
        .with_unit("By")
        .with_boundaries(vec![100.0, 1000.0])
        .build();
    for bytes in [85, 500, 5000] {
        size.record(bytes, &[]);
    }
    meter
        .f64_gauge("cpu.utilization")
        .with_unit("1")
        .build()
        .record(0.25, &[]);
    meter
        .i64_gauge("temperature")
        .with_unit("Cel")
        .build()
        .record(-3, &[]);
    // Observable instruments live as long as their handles.
    vec![
        Box::new(
            meter
                .u64_observable_counter("page.faults")
                .with_callback(|o| o.observe(7, &[]))
                .build(),
        ),
        Box::new(
            meter
                .i64_observable_up_down_counter("ram.usage")
                .with_unit("By")
                .with_callback(|o| o.observe(1024, &[]))
                .build(),
        ),
        Box::new(
            meter
                .f64_observable_gauge("cpu.percent")
                .with_unit("1")
                .with_callback(|o| o.observe(0.5, &[]))
                .build(),
        ),
    ]
}

#[test]
fn every_instrument_kind_in_openmetrics_text() {
    let (metrics, provider) = setup(PrometheusReader::new(), service("orders"));
    let meter = provider.meter_with_scope(
        InstrumentationScope::builder("orders")
            .with_version("1.2.0")
            .build(),
    );
    let _observers = every_kind(&meter);
    let scope = r#"otel_scope_name="orders",otel_scope_version="1.2.0""#;
    let expected = format!(
        r#"# HELP cpu_percent_ratio 
# TYPE cpu_percent_ratio gauge
# UNIT cpu_percent_ratio ratio
cpu_percent_ratio{{{scope}}} 0.5
# HELP cpu_utilization_ratio 
# TYPE cpu_utilization_ratio gauge
# UNIT cpu_utilization_ratio ratio
cpu_utilization_ratio{{{scope}}} 0.25
# HELP energy_joules 
# TYPE energy_joules counter
# UNIT energy_joules joules
energy_joules_total{{{scope}}} 1.5
# HELP orders_placed Orders placed
# TYPE orders_placed counter
orders_placed_total{{{scope},payment_method="card"}} 5
# HELP page_faults 
# TYPE page_faults counter
page_faults_total{{{scope}}} 7
# HELP queue_depth_bytes 
# TYPE queue_depth_bytes gauge
# UNIT queue_depth_bytes bytes
queue_depth_bytes{{{scope}}} 2.5
# HELP ram_usage_bytes 
# TYPE ram_usage_bytes gauge
# UNIT ram_usage_bytes bytes
ram_usage_bytes{{{scope}}} 1024
# HELP request_size_bytes 
# TYPE request_size_bytes histogram
# UNIT request_size_bytes bytes
request_size_bytes_sum{{{scope}}} 5585.0
request_size_bytes_count{{{scope}}} 3
request_size_bytes_bucket{{le="100.0",{scope}}} 1
request_size_bytes_bucket{{le="1000.0",{scope}}} 2
request_size_bytes_bucket{{le="+Inf",{scope}}} 3
# HELP requests_active 
# TYPE requests_active gauge
requests_active{{{scope}}} 1
# HELP target Target metadata
# TYPE target info
target_info{{service_name="orders"}} 1
# HELP temperature_celsius 
# TYPE temperature_celsius gauge
# UNIT temperature_celsius celsius
temperature_celsius{{{scope}}} -3"#
    );
    assert_eq!(
        otel_lines(&metrics, Format::OpenMetrics).join("\n"),
        expected
    );
}

#[test]
fn every_instrument_kind_in_prometheus_text() {
    let (metrics, provider) = setup(PrometheusReader::new(), service("orders"));
    let _observers = every_kind(&provider.meter("orders"));
    let scope = r#"otel_scope_name="orders""#;
    let expected = format!(
        r#"# HELP cpu_percent_ratio 
# TYPE cpu_percent_ratio gauge
cpu_percent_ratio{{{scope}}} 0.5
# HELP cpu_utilization_ratio 
# TYPE cpu_utilization_ratio gauge
cpu_utilization_ratio{{{scope}}} 0.25
# HELP energy_joules_total 
# TYPE energy_joules_total counter
energy_joules_total{{{scope}}} 1.5
# HELP orders_placed_total Orders placed
# TYPE orders_placed_total counter
orders_placed_total{{{scope},payment_method="card"}} 5
# HELP page_faults_total 
# TYPE page_faults_total counter
page_faults_total{{{scope}}} 7
# HELP queue_depth_bytes 
# TYPE queue_depth_bytes gauge
queue_depth_bytes{{{scope}}} 2.5
# HELP ram_usage_bytes 
# TYPE ram_usage_bytes gauge
ram_usage_bytes{{{scope}}} 1024
# HELP request_size_bytes 
# TYPE request_size_bytes histogram
request_size_bytes_sum{{{scope}}} 5585.0
request_size_bytes_count{{{scope}}} 3
request_size_bytes_bucket{{le="100.0",{scope}}} 1
request_size_bytes_bucket{{le="1000.0",{scope}}} 2
request_size_bytes_bucket{{le="+Inf",{scope}}} 3
# HELP requests_active 
# TYPE requests_active gauge
requests_active{{{scope}}} 1
# HELP target_info Target metadata
# TYPE target_info gauge
target_info{{service_name="orders"}} 1
# HELP temperature_celsius 
# TYPE temperature_celsius gauge
temperature_celsius{{{scope}}} -3"#
    );
    assert_eq!(
        otel_lines(&metrics, Format::Prometheus).join("\n"),
        expected
    );
}

#[test]
fn target_info_carries_every_resource_attribute_sanitized() {
    let resource = Resource::builder_empty()
        .with_attributes([
            KeyValue::new("service.name", "orders"),
            KeyValue::new("service.version", "1.0"),
            KeyValue::new("3d.mode", "on"),
        ])
        .build();
    let (metrics, _provider) = setup(PrometheusReader::new(), resource);
    assert_eq!(
        otel_lines(&metrics, Format::Prometheus),
        [
            "# HELP target_info Target metadata",
            "# TYPE target_info gauge",
            r#"target_info{key_3d_mode="on",service_name="orders",service_version="1.0"} 1"#,
        ]
    );
}

#[test]
fn target_info_leaves_when_asked_and_when_the_resource_is_empty() {
    let (metrics, _provider) = setup(
        PrometheusReader::builder().without_target_info().build(),
        service("orders"),
    );
    assert_eq!(
        otel_lines(&metrics, Format::Prometheus),
        Vec::<String>::new()
    );
    let (metrics, _provider) = setup(PrometheusReader::new(), Resource::builder_empty().build());
    assert_eq!(
        otel_lines(&metrics, Format::Prometheus),
        Vec::<String>::new()
    );
}

#[test]
fn resource_attributes_named_go_on_every_series() {
    let reader = PrometheusReader::builder()
        .resource_labels(["service.name", "not.in.the.resource"])
        .without_target_info()
        .build();
    let (metrics, provider) = setup(reader, service("orders"));
    let jobs = provider.meter("worker").u64_counter("jobs").build();
    jobs.add(1, &[KeyValue::new("queue", "mail")]);
    assert_eq!(
        otel_lines(&metrics, Format::Prometheus)[2],
        r#"jobs_total{otel_scope_name="worker",queue="mail",service_name="orders"} 1"#
    );
}

#[test]
fn scope_labels_have_the_version_when_there_is_one_and_leave_when_asked() {
    let (metrics, provider) = setup(
        PrometheusReader::builder()
            .without_scope_labels()
            .without_target_info()
            .build(),
        service("orders"),
    );
    let meter = provider.meter_with_scope(
        InstrumentationScope::builder("worker")
            .with_version("2")
            .build(),
    );
    meter.u64_counter("jobs").build().add(1, &[]);
    assert_eq!(otel_lines(&metrics, Format::Prometheus)[2], "jobs_total 1");
}

#[test]
fn attribute_keys_that_sanitize_to_one_label_join_their_values_in_key_order() {
    let reader = PrometheusReader::builder().without_target_info().build();
    let (metrics, provider) = setup(reader, service("orders"));
    let jobs = provider.meter("worker").u64_counter("jobs").build();
    jobs.add(
        1,
        &[
            KeyValue::new("a_b", "second"),
            KeyValue::new("a.b", "first"),
            KeyValue::new("0day", "yes"),
        ],
    );
    assert_eq!(
        otel_lines(&metrics, Format::Prometheus)[2],
        r#"jobs_total{a_b="first;second",key_0day="yes",otel_scope_name="worker"} 1"#
    );
}

#[test]
fn values_are_cumulative_from_scrape_to_scrape() {
    let reader = PrometheusReader::builder().without_target_info().build();
    let (metrics, provider) = setup(reader, service("orders"));
    let meter = provider.meter("worker");
    let jobs = meter.u64_counter("jobs").build();
    let took = meter
        .f64_histogram("job.duration")
        .with_unit("s")
        .with_boundaries(vec![1.0])
        .build();
    jobs.add(1, &[]);
    took.record(0.5, &[]);
    let first = otel_lines(&metrics, Format::Prometheus);
    assert_eq!(
        first[3],
        r#"job_duration_seconds_count{otel_scope_name="worker"} 1"#
    );
    assert_eq!(first[8], r#"jobs_total{otel_scope_name="worker"} 1"#);
    jobs.add(2, &[]);
    took.record(2.0, &[]);
    let second = otel_lines(&metrics, Format::Prometheus);
    assert_eq!(
        second[2..],
        [
            r#"job_duration_seconds_sum{otel_scope_name="worker"} 2.5"#,
            r#"job_duration_seconds_count{otel_scope_name="worker"} 2"#,
            r#"job_duration_seconds_bucket{le="1.0",otel_scope_name="worker"} 1"#,
            r#"job_duration_seconds_bucket{le="+Inf",otel_scope_name="worker"} 2"#,
            "# HELP jobs_total ",
            "# TYPE jobs_total counter",
            r#"jobs_total{otel_scope_name="worker"} 3"#,
        ]
    );
}

/// Delta temporality is not offered: the reader asks for cumulative, for every instrument
/// kind, and a delta reader on the same provider (an OTLP exporter's) aggregates apart.
#[test]
fn values_stay_cumulative_beside_a_reader_that_asks_for_delta() {
    use opentelemetry_sdk::metrics::data::{AggregatedMetrics, MetricData, ResourceMetrics};
    use opentelemetry_sdk::metrics::reader::MetricReader as _;
    use opentelemetry_sdk::metrics::{InstrumentKind, ManualReader, Temporality};

    let reader = PrometheusReader::builder().without_target_info().build();
    for kind in [
        InstrumentKind::Counter,
        InstrumentKind::UpDownCounter,
        InstrumentKind::Histogram,
        InstrumentKind::Gauge,
        InstrumentKind::ObservableCounter,
        InstrumentKind::ObservableUpDownCounter,
        InstrumentKind::ObservableGauge,
    ] {
        assert_eq!(
            reader.temporality(kind),
            Temporality::Cumulative,
            "{kind:?}"
        );
    }
    let metrics = HttpMetrics::builder()
        .process_metrics(false)
        .build()
        .unwrap();
    let delta = std::sync::Arc::new(
        ManualReader::builder()
            .with_temporality(Temporality::Delta)
            .build(),
    );
    #[derive(Debug)]
    struct Shared(std::sync::Arc<ManualReader>);
    impl opentelemetry_sdk::metrics::reader::MetricReader for Shared {
        fn register_pipeline(&self, p: std::sync::Weak<opentelemetry_sdk::metrics::Pipeline>) {
            self.0.register_pipeline(p)
        }
        fn collect(&self, rm: &mut ResourceMetrics) -> opentelemetry_sdk::error::OTelSdkResult {
            self.0.collect(rm)
        }
        fn force_flush(&self) -> opentelemetry_sdk::error::OTelSdkResult {
            self.0.force_flush()
        }
        fn shutdown_with_timeout(
            &self,
            timeout: std::time::Duration,
        ) -> opentelemetry_sdk::error::OTelSdkResult {
            self.0.shutdown_with_timeout(timeout)
        }
        fn temporality(&self, kind: InstrumentKind) -> Temporality {
            self.0.temporality(kind)
        }
    }
    let provider = SdkMeterProvider::builder()
        .with_reader(reader.clone())
        .with_reader(Shared(delta.clone()))
        .build();
    metrics.register_opentelemetry(&reader);
    let jobs = provider.meter("worker").u64_counter("jobs").build();
    let delta_sum = || {
        let mut rm = ResourceMetrics::default();
        delta.collect(&mut rm).unwrap();
        let metric = rm.scope_metrics().next().unwrap().metrics().next().unwrap();
        let AggregatedMetrics::U64(MetricData::Sum(sum)) = metric.data() else {
            panic!("{metric:?}")
        };
        assert_eq!(sum.temporality(), Temporality::Delta);
        let value = sum.data_points().next().unwrap().value();
        value
    };
    jobs.add(5, &[]);
    assert_eq!(delta_sum(), 5);
    jobs.add(2, &[]);
    assert_eq!(delta_sum(), 2);
    assert_eq!(
        otel_lines(&metrics, Format::Prometheus)[2],
        r#"jobs_total{otel_scope_name="worker"} 7"#
    );
}

#[test]
fn one_name_from_two_scopes_is_one_family_of_two_series() {
    let reader = PrometheusReader::builder().without_target_info().build();
    let (metrics, provider) = setup(reader, service("orders"));
    provider
        .meter("mail")
        .u64_counter("jobs")
        .build()
        .add(1, &[]);
    provider
        .meter("sms")
        .u64_counter("jobs")
        .build()
        .add(2, &[]);
    assert_eq!(
        otel_lines(&metrics, Format::Prometheus),
        [
            "# HELP jobs_total ",
            "# TYPE jobs_total counter",
            r#"jobs_total{otel_scope_name="mail"} 1"#,
            r#"jobs_total{otel_scope_name="sms"} 2"#,
        ]
    );
}

#[test]
fn a_series_is_written_once_when_scopes_left_out_would_give_it_twice() {
    let reader = PrometheusReader::builder()
        .without_target_info()
        .without_scope_labels()
        .build();
    let (metrics, provider) = setup(reader, service("orders"));
    provider
        .meter("mail")
        .u64_counter("jobs")
        .build()
        .add(1, &[]);
    provider
        .meter("sms")
        .u64_counter("jobs")
        .build()
        .add(2, &[]);
    // Scopes are taken in name order: `mail` before `sms`, every scrape.
    assert_eq!(
        otel_lines(&metrics, Format::Prometheus),
        [
            "# HELP jobs_total ",
            "# TYPE jobs_total counter",
            "jobs_total 1"
        ]
    );
}

/// Prometheus' translator's precedence: a scope label wins over a point's attribute of its
/// name, which wins over a resource label's.
#[test]
fn a_scope_label_wins_over_an_attribute_which_wins_over_a_resource_label() {
    let reader = PrometheusReader::builder()
        .resource_labels(["service.name", "region"])
        .without_target_info()
        .build();
    let resource = Resource::builder_empty()
        .with_attributes([
            KeyValue::new("service.name", "orders"),
            KeyValue::new("region", "eu"),
        ])
        .build();
    let (metrics, provider) = setup(reader, resource);
    provider.meter("worker").u64_counter("jobs").build().add(
        1,
        &[
            KeyValue::new("service_name", "attribute"),
            KeyValue::new("otel.scope.name", "attribute"),
        ],
    );
    assert_eq!(
        otel_lines(&metrics, Format::Prometheus)[2],
        r#"jobs_total{otel_scope_name="worker",region="eu",service_name="attribute"} 1"#
    );
}

#[test]
fn a_scope_has_its_schema_url_and_attributes_as_labels() {
    let reader = PrometheusReader::builder().without_target_info().build();
    let (metrics, provider) = setup(reader, service("orders"));
    let scope = InstrumentationScope::builder("worker")
        .with_version("2.0")
        .with_schema_url("https://opentelemetry.io/schemas/1.26.0")
        .with_attributes([
            KeyValue::new("library.kind", "queue"),
            // Would be `otel_scope_name`, which the scope's name is.
            KeyValue::new("name", "dropped"),
        ])
        .build();
    provider
        .meter_with_scope(scope)
        .u64_counter("jobs")
        .build()
        .add(1, &[]);
    assert_eq!(
        otel_lines(&metrics, Format::Prometheus)[2],
        "jobs_total{otel_scope_library_kind=\"queue\",otel_scope_name=\"worker\",\
         otel_scope_schema_url=\"https://opentelemetry.io/schemas/1.26.0\",\
         otel_scope_version=\"2.0\"} 1"
    );
}

/// `le` is a histogram's buckets' own label, names starting with `__` are Prometheus': an
/// attribute that would take either would make Prometheus refuse the whole scrape.
#[test]
fn attributes_cannot_take_le_or_a_reserved_name() {
    let reader = PrometheusReader::builder()
        .without_target_info()
        .without_scope_labels()
        .build();
    let (metrics, provider) = setup(reader, service("orders"));
    let meter = provider.meter("worker");
    let attributes = [
        KeyValue::new("le", "attribute"),
        KeyValue::new("__name__", "attribute"),
    ];
    let took = meter
        .f64_histogram("took")
        .with_boundaries(vec![1.0])
        .build();
    took.record(0.5, &attributes);
    meter.u64_counter("jobs").build().add(1, &attributes);
    assert_eq!(
        otel_lines(&metrics, Format::Prometheus),
        [
            "# HELP jobs_total ",
            "# TYPE jobs_total counter",
            r#"jobs_total{_name_="attribute",le="attribute"} 1"#,
            "# HELP took ",
            "# TYPE took histogram",
            r#"took_sum{_name_="attribute"} 0.5"#,
            r#"took_count{_name_="attribute"} 1"#,
            r#"took_bucket{le="1.0",_name_="attribute"} 1"#,
            r#"took_bucket{le="+Inf",_name_="attribute"} 1"#,
        ]
    );
}

/// An empty value is no label to Prometheus, and a key with no character a label can have
/// has no name to give it.
#[test]
fn empty_values_and_keys_with_nothing_to_write_are_left_out() {
    let reader = PrometheusReader::builder().without_target_info().build();
    let (metrics, provider) = setup(reader, service("orders"));
    provider.meter("worker").u64_counter("jobs").build().add(
        1,
        &[
            KeyValue::new("empty", ""),
            KeyValue::new("ようこそ", "x"),
            KeyValue::new("kept", "1"),
        ],
    );
    assert_eq!(
        otel_lines(&metrics, Format::Prometheus)[2],
        r#"jobs_total{kept="1",otel_scope_name="worker"} 1"#
    );
}

/// The specification: array values are JSON-encoded.
#[test]
fn values_are_strings_and_arrays_json() {
    use opentelemetry::{Array, StringValue, Value};
    let reader = PrometheusReader::builder()
        .without_target_info()
        .without_scope_labels()
        .build();
    let (metrics, provider) = setup(reader, service("orders"));
    provider.meter("worker").u64_counter("jobs").build().add(
        1,
        &[
            KeyValue::new("b", true),
            KeyValue::new("f", 1.5),
            KeyValue::new("i", 7),
            KeyValue::new(
                "s",
                Value::Array(Array::String(vec![
                    StringValue::from("a"),
                    StringValue::from("q\"uote"),
                ])),
            ),
            KeyValue::new("n", Value::Array(Array::I64(vec![1, -2]))),
            KeyValue::new("x", Value::Array(Array::F64(vec![0.5, f64::NAN]))),
        ],
    );
    assert_eq!(
        otel_lines(&metrics, Format::Prometheus)[2],
        r#"jobs_total{b="true",f="1.5",i="7",n="[1,-2]",s="[\"a\",\"q\\\"uote\"]",x="[0.5,null]"} 1"#
    );
}

/// The SDK's cardinality limit (2 here) folds the attribute sets past it into one series,
/// with the SDK's label.
#[test]
fn the_sdks_overflow_series_is_served_as_it_is() {
    use opentelemetry_sdk::metrics::{Instrument, Stream};
    let metrics = HttpMetrics::builder()
        .process_metrics(false)
        .build()
        .unwrap();
    let reader = PrometheusReader::builder()
        .without_target_info()
        .without_scope_labels()
        .build();
    let provider = SdkMeterProvider::builder()
        .with_reader(reader.clone())
        .with_view(|_: &Instrument| Stream::builder().with_cardinality_limit(2).build().ok())
        .build();
    metrics.register_opentelemetry(&reader);
    let jobs = provider.meter("worker").u64_counter("jobs").build();
    for queue in ["a", "b", "c", "d"] {
        jobs.add(1, &[KeyValue::new("queue", queue)]);
    }
    let mut lines = otel_lines(&metrics, Format::Prometheus);
    lines[2..].sort();
    assert_eq!(
        lines,
        [
            "# HELP jobs_total ",
            "# TYPE jobs_total counter",
            r#"jobs_total{otel_metric_overflow="true"} 2"#,
            r#"jobs_total{queue="a"} 1"#,
            r#"jobs_total{queue="b"} 1"#,
        ]
    );
}

/// One name, two kinds, from two scopes: the first scope by name keeps it, every scrape.
#[test]
fn one_name_of_two_kinds_is_the_first_scopes() {
    let reader = PrometheusReader::builder().without_target_info().build();
    let (metrics, provider) = setup(reader, service("orders"));
    provider
        .meter("b")
        .f64_gauge("jobs")
        .build()
        .record(9.0, &[]);
    provider
        .meter("a")
        .f64_up_down_counter("jobs")
        .build()
        .add(2.0, &[]);
    provider.meter("c").u64_counter("jobs").build().add(1, &[]);
    // `a` and `b` are gauges of one family; `c`'s counter would be family `jobs` too (its
    // samples `jobs_total`), a counter: left out.
    assert_eq!(
        otel_lines(&metrics, Format::Prometheus),
        [
            "# HELP jobs ",
            "# TYPE jobs gauge",
            r#"jobs{otel_scope_name="a"} 2.0"#,
            r#"jobs{otel_scope_name="b"} 9.0"#,
        ]
    );
    let reader = PrometheusReader::builder().without_target_info().build();
    let (metrics, provider) = setup(reader, service("orders"));
    provider.meter("b").u64_counter("jobs").build().add(1, &[]);
    provider
        .meter("a")
        .f64_histogram("jobs")
        .build()
        .record(1.0, &[]);
    let lines = otel_lines(&metrics, Format::Prometheus);
    assert_eq!(lines[1], "# TYPE jobs histogram");
    assert!(!lines.iter().any(|l| l.contains("counter")), "{lines:?}");
}

/// Prometheus refuses a scrape that declares one family twice: a family whose names another
/// writes is left out, the registry's own first, then the bridge's in name order.
#[test]
fn a_family_whose_names_another_writes_is_left_out() {
    use http_metrics_core::prometheus_client::metrics::counter::Counter;
    let metrics = HttpMetrics::builder()
        .naming(http_metrics_core::Naming::opentelemetry())
        .process_metrics(false)
        .build()
        .unwrap();
    let reader = PrometheusReader::builder()
        .without_target_info()
        .without_scope_labels()
        .build();
    let provider = SdkMeterProvider::builder()
        .with_reader(reader.clone())
        .build();
    metrics.register_opentelemetry(&reader);
    metrics
        .register("signups", "Signups", Counter::<u64>::default())
        .unwrap();
    let meter = provider.meter("app");
    // The semantic conventions' instrument, which the OpenTelemetry preset already writes.
    meter
        .f64_histogram("http.server.request.duration")
        .with_unit("s")
        .build()
        .record(0.1, &[]);
    // The application's own counter, registered on the registry too.
    meter.u64_counter("signups").build().add(1, &[]);
    // Two of the bridge's: `foo_total` is the counter's sample and the gauge's name.
    meter.u64_counter("foo").build().add(1, &[]);
    meter.i64_gauge("foo.total").build().record(5, &[]);
    meter.u64_counter("kept").build().add(3, &[]);
    let text = metrics.encode(Format::OpenMetrics).unwrap();
    for line in [
        "# TYPE http_server_request_duration_seconds histogram\n",
        "# TYPE signups counter\n",
        "signups_total 0\n",
        "# TYPE foo counter\n",
        "foo_total 1\n",
        "# TYPE kept counter\n",
        "kept_total 3\n",
    ] {
        assert_eq!(text.matches(line).count(), 1, "{line}{text}");
    }
    assert!(!text.contains("foo_total 5"), "{text}");
    assert!(!text.contains("signups_total 1"), "{text}");
    assert!(
        !text.contains("http_server_request_duration_seconds_count 1"),
        "{text}"
    );
}

/// A callback that panics does so under the SDK's locks: that scrape counts a panic, and
/// the SDK refuses every collection after it (its mutexes are poisoned), which each later
/// scrape counts.
#[test]
fn a_callback_that_panics_takes_the_sdk_down_for_good() {
    use std::sync::atomic::{AtomicU32, Ordering};
    let (metrics, provider) = setup(PrometheusReader::new(), service("orders"));
    let meter = provider.meter("worker");
    meter.u64_counter("jobs").build().add(1, &[]);
    let calls = std::sync::Arc::new(AtomicU32::new(0));
    let counted = calls.clone();
    let _gauge = meter
        .u64_observable_gauge("flaky")
        .with_callback(move |o| {
            if counted.fetch_add(1, Ordering::Relaxed) == 1 {
                panic!("the callback's second call fails");
            }
            o.observe(1, &[]);
        })
        .build();
    let failures = |text: &str, reason: &str| {
        let line = format!(
            "metrics_collector_failures_total{{collector=\"opentelemetry\",reason=\"{reason}\"}} "
        );
        text.lines()
            .find_map(|l| l.strip_prefix(line.as_str()))
            .map(|n| n.parse::<u64>().unwrap())
    };
    let first = metrics.encode(Format::Prometheus).unwrap();
    assert!(first.contains("jobs_total{"), "{first}");
    let second = metrics.encode(Format::Prometheus).unwrap();
    assert!(!second.contains("jobs_total{"), "{second}");
    assert_eq!(failures(&second, "panic"), Some(1), "{second}");
    let third = metrics.encode(Format::Prometheus).unwrap();
    assert!(!third.contains("jobs_total{"), "{third}");
    assert_eq!(failures(&third, "panic"), Some(1), "{third}");
    assert_eq!(failures(&third, "encode"), Some(1), "{third}");
    assert_eq!(calls.load(Ordering::Relaxed), 2);
}

/// A scrape that overlaps another (a push beside a scrape) collects into buffers of its
/// own rather than wait for the other's.
#[test]
fn an_overlapping_scrape_collects_apart() {
    let reader = PrometheusReader::builder().without_target_info().build();
    let (metrics, provider) = setup(reader.clone(), service("orders"));
    provider
        .meter("worker")
        .u64_counter("jobs")
        .build()
        .add(4, &[]);
    let _busy = reader.inner.collected.lock().unwrap();
    assert_eq!(
        otel_lines(&metrics, Format::Prometheus)[2],
        r#"jobs_total{otel_scope_name="worker"} 4"#
    );
}

#[test]
fn a_failed_collection_is_counted_and_the_scrape_goes_on() {
    let (metrics, provider) = setup(PrometheusReader::new(), service("orders"));
    provider
        .meter("worker")
        .u64_counter("jobs")
        .build()
        .add(1, &[]);
    provider.shutdown().unwrap();
    let text = metrics.encode(Format::Prometheus).unwrap();
    assert!(!text.contains("jobs_total{"), "{text}");
    assert!(
        text.contains(
            "metrics_collector_failures_total{collector=\"opentelemetry\",reason=\"encode\"} 1\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("# TYPE http_requests_total counter\n"),
        "{text}"
    );
}

/// Exponential histograms: their text form, and their native buckets in protobuf.
mod exponential {
    use opentelemetry_sdk::metrics::{Aggregation, Instrument, Stream};

    use super::*;

    /// A provider whose histograms are exponential, at most `max_size` buckets a side.
    fn exponential_setup(max_size: u32) -> (HttpMetrics, SdkMeterProvider) {
        let metrics = HttpMetrics::builder()
            .process_metrics(false)
            .build()
            .unwrap();
        let reader = PrometheusReader::builder().without_target_info().build();
        let provider = SdkMeterProvider::builder()
            .with_reader(reader.clone())
            .with_view(move |_: &Instrument| {
                Stream::builder()
                    .with_aggregation(Aggregation::Base2ExponentialHistogram {
                        max_size,
                        max_scale: 20,
                        record_min_max: false,
                    })
                    .build()
                    .ok()
            })
            .build();
        metrics.register_opentelemetry(&reader);
        (metrics, provider)
    }

    #[test]
    fn text_has_the_sum_the_count_and_inf() {
        let (metrics, provider) = exponential_setup(160);
        let latency = provider
            .meter("api")
            .f64_histogram("latency")
            .with_unit("s")
            .build();
        for seconds in [1.0, 2.0, 4.0] {
            latency.record(seconds, &[]);
        }
        assert_eq!(
            otel_lines(&metrics, Format::Prometheus),
            [
                "# HELP latency_seconds ",
                "# TYPE latency_seconds histogram",
                r#"latency_seconds_sum{otel_scope_name="api"} 7.0"#,
                r#"latency_seconds_count{otel_scope_name="api"} 3"#,
                r#"latency_seconds_bucket{le="+Inf",otel_scope_name="api"} 3"#,
            ]
        );
    }

    /// OpenTelemetry indexes `i` become keys `(i >> shift) + 1`, their counts added up.
    #[test]
    fn a_side_merges_indexes_by_the_shift_into_one_span_of_keys() {
        let counts = [1, 2, 3, 4, 5, 6];
        // Indexes -5..=0 are -3, -2, -2, -1, -1, 0 one scale down: counts 1, 5, 9, 6.
        assert_eq!(
            super::super::merge_side(-5, counts.into_iter(), 1),
            (vec![(-2, 4)], vec![1, 4, 4, -3])
        );
        assert_eq!(
            super::super::merge_side(-5, counts.into_iter(), 0),
            (vec![(-4, 6)], vec![1, 1, 1, 1, 1, 1])
        );
        assert_eq!(
            super::super::merge_side(7, std::iter::empty(), 3),
            (vec![], vec![])
        );
    }

    #[cfg(feature = "native-histograms")]
    mod native {
        use super::*;
        use http_metrics_core::prometheus_client::encoding::prometheus_protobuf::prometheus_data_model::MetricFamily;
        use prost::Message as _;

        /// The one histogram's native schema, each populated key's count on the positive
        /// and the negative side, its zero bucket's count and threshold.
        type NativeParts = (i32, Vec<(i32, u64)>, Vec<(i32, u64)>, u64, f64);

        fn native(metrics: &HttpMetrics) -> Option<NativeParts> {
            let body = metrics.encode_to_vec(Format::Protobuf).unwrap();
            let mut buf = &body[..];
            let mut families = Vec::new();
            while !buf.is_empty() {
                families.push(MetricFamily::decode_length_delimited(&mut buf).unwrap());
            }
            let family = families
                .iter()
                .find(|f| f.name == "latency_seconds")
                .unwrap();
            let histogram = family.metric.first()?.histogram.as_ref().unwrap();
            let keys = |spans: &[http_metrics_core::prometheus_client::encoding::prometheus_protobuf::prometheus_data_model::BucketSpan], deltas: &[i64]| {
                let mut keys = Vec::new();
                let (mut key, mut count, mut deltas) = (0, 0i64, deltas.iter());
                for span in spans {
                    key += span.offset;
                    for _ in 0..span.length {
                        count += deltas.next().unwrap();
                        if count != 0 {
                            keys.push((key, count as u64));
                        }
                        key += 1;
                    }
                }
                keys
            };
            Some((
                histogram.schema,
                keys(&histogram.positive_span, &histogram.positive_delta),
                keys(&histogram.negative_span, &histogram.negative_delta),
                histogram.zero_count,
                histogram.zero_threshold,
            ))
        }

        /// Powers of two are upper bounds at every schema: 1 is key 0, 2 is key 2^schema.
        #[test]
        fn each_value_is_in_the_native_bucket_whose_upper_bound_it_is() {
            let (metrics, provider) = exponential_setup(160);
            let latency = provider
                .meter("api")
                .f64_histogram("latency")
                .with_unit("s")
                .build();
            for seconds in [1.0, 2.0, 4.0, 0.0] {
                latency.record(seconds, &[]);
            }
            // 129 buckets from 1 to 4 fit in 160 at scale 6, not at 7.
            assert_eq!(
                native(&metrics),
                Some((6, vec![(0, 1), (64, 1), (128, 1)], vec![], 1, 1e-128))
            );
        }

        /// A scale finer than Prometheus' finest schema, 8, is merged down to it.
        #[test]
        fn a_scale_finer_than_schema_8_is_merged_down_to_it() {
            let (metrics, provider) = exponential_setup(160);
            let latency = provider
                .meter("api")
                .f64_histogram("latency")
                .with_unit("s")
                .build();
            // One value: the SDK keeps scale 20. 3 is in schema 8's bucket
            // (2^(405/256), 2^(406/256)] = (2.9966, 3.0048].
            latency.record(3.0, &[]);
            assert_eq!(
                native(&metrics),
                Some((8, vec![(406, 1)], vec![], 0, 1e-128))
            );
        }

        /// Negative values have the positive side's keys, and zero its own bucket.
        #[test]
        fn negative_values_mirror_the_positive_side() {
            let (metrics, provider) = exponential_setup(160);
            let latency = provider
                .meter("api")
                .f64_histogram("latency")
                .with_unit("s")
                .build();
            for value in [-1.0, -2.0, 0.0, 1.0] {
                latency.record(value, &[]);
            }
            // From -1 to -2: 129 buckets at scale 7 fit in 160; 257 at scale 8 do not.
            assert_eq!(
                native(&metrics),
                Some((7, vec![(0, 1)], vec![(0, 1), (128, 1)], 1, 1e-128))
            );
        }

        /// A scale coarser than schema -4 has no native form: the point is left out, as the
        /// specification says, in every format.
        #[test]
        fn a_scale_coarser_than_schema_minus_4_is_left_out() {
            let (metrics, provider) = exponential_setup(2);
            let latency = provider
                .meter("api")
                .f64_histogram("latency")
                .with_unit("s")
                .build();
            // 2,000 powers of two apart in 2 buckets: scale -10.
            latency.record(1e-300, &[]);
            latency.record(1e300, &[]);
            assert_eq!(native(&metrics), None);
            assert_eq!(
                otel_lines(&metrics, Format::Prometheus),
                [
                    "# HELP latency_seconds ",
                    "# TYPE latency_seconds histogram"
                ]
            );
        }
    }
}
