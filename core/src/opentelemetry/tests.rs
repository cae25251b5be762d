//! The reader end to end: instruments of every kind on an SDK meter provider, scraped from
//! an `HttpMetrics`, the lines asserted whole.

use opentelemetry::metrics::{Meter, MeterProvider as _};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::Resource;

use super::PrometheusReader;
use crate::{Format, HttpMetrics};

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
    let lines = otel_lines(&metrics, Format::Prometheus);
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        ["jobs_total 1", "jobs_total 2"].contains(&lines[2].as_str()),
        "{lines:?}"
    );
}

#[test]
fn an_attribute_wins_over_a_scope_or_resource_label_of_its_name() {
    let reader = PrometheusReader::builder()
        .resource_labels(["service.name"])
        .without_target_info()
        .build();
    let (metrics, provider) = setup(reader, service("orders"));
    provider.meter("worker").u64_counter("jobs").build().add(
        1,
        &[
            KeyValue::new("service_name", "attribute"),
            KeyValue::new("otel.scope.name", "attribute"),
        ],
    );
    assert_eq!(
        otel_lines(&metrics, Format::Prometheus)[2],
        r#"jobs_total{otel_scope_name="attribute",service_name="attribute"} 1"#
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
        use crate::exposition::protobuf::MetricFamily;
        use prost::Message as _;

        /// The one histogram's native schema and each populated key's count.
        fn native(metrics: &HttpMetrics) -> (i32, Vec<(i32, u64)>, u64) {
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
            let histogram = family.metric[0].histogram.as_ref().unwrap();
            let mut keys = Vec::new();
            let (mut key, mut count, mut deltas) = (0, 0i64, histogram.positive_delta.iter());
            for span in &histogram.positive_span {
                key += span.offset;
                for _ in 0..span.length {
                    count += deltas.next().unwrap();
                    if count != 0 {
                        keys.push((key, count as u64));
                    }
                    key += 1;
                }
            }
            (histogram.schema, keys, histogram.zero_count)
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
            assert_eq!(native(&metrics), (6, vec![(0, 1), (64, 1), (128, 1)], 1));
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
            assert_eq!(native(&metrics), (8, vec![(406, 1)], 0));
        }
    }
}
