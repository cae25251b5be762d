//! OpenTelemetry instruments through both ways out of a registry: the scrape and the
//! remote-write encoder carry the same series, names, labels and values, and the same
//! family types.

use std::collections::BTreeMap;

use http_metrics_core::{Format, HttpMetrics};
use http_metrics_opentelemetry::PrometheusReader;
use http_metrics_push::RemoteWrite;
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::Resource;
use tests::remote_write::WriteRequest;
use tests::{Exposition, Labels};

/// Series by name and labels, with their values.
type Series = BTreeMap<(String, Labels), f64>;

#[test]
fn the_scrape_and_remote_write_carry_the_same_series() {
    let metrics = HttpMetrics::builder()
        .process_metrics(false)
        .build()
        .unwrap();
    let reader = PrometheusReader::builder()
        .resource_labels(["deployment.environment"])
        .build();
    let provider = SdkMeterProvider::builder()
        .with_reader(reader.clone())
        .with_resource(
            Resource::builder_empty()
                .with_attributes([
                    KeyValue::new("service.name", "checkout"),
                    KeyValue::new("deployment.environment", "prod"),
                ])
                .build(),
        )
        .build();
    metrics.register_opentelemetry(&reader);
    let meter = provider.meter_with_scope(
        InstrumentationScope::builder("checkout")
            .with_version("3.1")
            .build(),
    );
    let card = [KeyValue::new("payment.method", "card")];
    meter
        .u64_counter("orders")
        .with_unit("{order}")
        .build()
        .add(4, &card);
    meter
        .f64_counter("revenue")
        .with_unit("EUR")
        .build()
        .add(99.5, &card);
    meter.i64_up_down_counter("carts.open").build().add(-1, &[]);
    let sizes = meter
        .u64_histogram("cart.size")
        .with_unit("By")
        .with_boundaries(vec![10.0, 100.0])
        .build();
    sizes.record(5, &card);
    sizes.record(50, &card);
    meter
        .f64_gauge("stock.ratio")
        .with_unit("1")
        .build()
        .record(0.75, &[]);
    let _observers = (
        meter
            .u64_observable_counter("payments.retried")
            .with_callback(|o| o.observe(2, &[KeyValue::new("psp", "stripe")]))
            .build(),
        meter
            .i64_observable_up_down_counter("queue.length")
            .with_callback(|o| o.observe(-7, &[]))
            .build(),
        meter
            .f64_observable_gauge("db.pool.usage")
            .with_unit("1")
            .with_callback(|o| o.observe(0.5, &[KeyValue::new("pool", "main")]))
            .build(),
    );

    // The scrape: every series but the registry's own.
    let text = metrics.encode(Format::OpenMetrics).unwrap();
    let scraped = Exposition::parse(&text);
    let mut by_scrape = Series::new();
    for (name, samples) in &scraped.samples {
        for (labels, value) in samples {
            if labels.contains_key("otel_scope_name") || name == "target_info" {
                by_scrape.insert((name.clone(), labels.clone()), *value);
            }
        }
    }

    // The push: the same registry through the sender's encoding.
    let bodies = RemoteWrite::new("http://receiver:8428/api/v1/write")
        .unwrap()
        .external_label("job", "checkout")
        .encoder()
        .encode(&metrics, 1_700_000_000_000)
        .unwrap();
    let requests: Vec<WriteRequest> = bodies
        .iter()
        .map(|b| WriteRequest::decode_body(b).unwrap())
        .collect();
    let mut by_push = Series::new();
    for series in requests.iter().flat_map(|r| &r.timeseries) {
        let mut labels: Labels = series
            .labels
            .iter()
            .map(|l| (l.name.clone(), l.value.clone()))
            .collect();
        let name = labels.remove("__name__").unwrap();
        assert_eq!(labels.remove("job").as_deref(), Some("checkout"));
        if labels.contains_key("otel_scope_name") || name == "target_info" {
            assert_eq!(series.samples.len(), 1);
            by_push.insert((name, labels), series.samples[0].value);
        }
    }
    assert_eq!(by_push, by_scrape);

    // What both carry, written out: 1 target_info, 7 plain series, a histogram's 5.
    let scope = [
        ("deployment_environment", "prod"),
        ("otel_scope_name", "checkout"),
        ("otel_scope_version", "3.1"),
    ];
    let key = |name: &str, extra: &[(&str, &str)]| {
        let labels: Labels = scope
            .iter()
            .chain(extra)
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        (name.to_owned(), labels)
    };
    let card = [("payment_method", "card")];
    let expected: Series = [
        (key("orders_total", &card), 4.0),
        (key("revenue_EUR_total", &card), 99.5),
        (key("carts_open", &[]), -1.0),
        (
            key("cart_size_bytes_bucket", &[card[0], ("le", "10.0")]),
            1.0,
        ),
        (
            key("cart_size_bytes_bucket", &[card[0], ("le", "100.0")]),
            2.0,
        ),
        (
            key("cart_size_bytes_bucket", &[card[0], ("le", "+Inf")]),
            2.0,
        ),
        (key("cart_size_bytes_count", &card), 2.0),
        (key("cart_size_bytes_sum", &card), 55.0),
        (key("stock_ratio", &[]), 0.75),
        (key("payments_retried_total", &[("psp", "stripe")]), 2.0),
        (key("queue_length", &[]), -7.0),
        (key("db_pool_usage_ratio", &[("pool", "main")]), 0.5),
        (
            (
                "target_info".to_owned(),
                [
                    ("deployment_environment", "prod"),
                    ("service_name", "checkout"),
                ]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ),
            1.0,
        ),
    ]
    .into_iter()
    .collect();
    assert_eq!(by_scrape, expected);

    // The families' types, as the scrape declares them and as remote-write's metadata says
    // (1 counter, 2 gauge, 3 histogram, 6 info).
    let pushed_types: BTreeMap<String, i32> = requests
        .iter()
        .flat_map(|r| &r.metadata)
        .map(|m| (m.metric_family_name.clone(), m.r#type))
        .collect();
    for (family, kind, code) in [
        ("orders", "counter", 1),
        ("revenue_EUR", "counter", 1),
        ("carts_open", "gauge", 2),
        ("cart_size_bytes", "histogram", 3),
        ("stock_ratio", "gauge", 2),
        ("payments_retried", "counter", 1),
        ("queue_length", "gauge", 2),
        ("db_pool_usage_ratio", "gauge", 2),
        ("target", "info", 6),
    ] {
        assert_eq!(
            scraped.types.get(family).map(String::as_str),
            Some(kind),
            "{family}"
        );
        assert_eq!(pushed_types.get(family), Some(&code), "{family}");
    }
}
