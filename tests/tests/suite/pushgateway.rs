//! The Pushgateway client against a real Pushgateway (Debian's `prometheus-pushgateway`):
//! push, push-add and delete, grouping keys with awkward values, a refused push with the
//! gateway's reason, and a real Prometheus scraping the gateway.

use std::time::Duration;

use http_metrics_core::prometheus_client::metrics::counter::Counter;
use http_metrics_core::prometheus_client::metrics::gauge::Gauge;
use http_metrics_core::HttpMetrics;
use http_metrics_push::{PushError, Pushgateway};
use tests::prometheus::Prometheus;
use tests::pushgateway;

/// A batch job's registry: nothing but what it registers (no process metrics).
fn job_metrics() -> (HttpMetrics, Counter, Gauge) {
    let metrics = HttpMetrics::builder()
        .process_metrics(false)
        .build()
        .unwrap();
    let records: Counter = Counter::default();
    metrics
        .register(
            "batch_records_processed",
            "Records processed",
            records.clone(),
        )
        .unwrap();
    let last_success: Gauge = Gauge::default();
    metrics
        .register(
            "batch_last_success_timestamp_seconds",
            "When the batch last succeeded",
            last_success.clone(),
        )
        .unwrap();
    (metrics, records, last_success)
}

fn group_labels<'a>(instance: &'a str, path: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("instance", instance),
        ("job", "batch_processor"),
        ("path", path),
    ]
}

#[test]
fn push_push_add_and_delete_reach_the_gateway_exactly() {
    let gateway = pushgateway::Pushgateway::start();
    let (metrics, records, last_success) = job_metrics();
    records.inc_by(1200);
    last_success.set(1_700_000_000);
    // Grouping values with `/`, spaces and non-ASCII travel in base64 and arrive as given.
    let path = "/var/lib/ünï data";
    let group = Pushgateway::new(&gateway.base, "batch_processor")
        .unwrap()
        .grouping_key("instance", "nightly")
        .grouping_key("path", path);
    group.push_blocking(&metrics).unwrap();
    let m = gateway.exposition();
    let labels = group_labels("nightly", path);
    assert_eq!(
        m.get("batch_records_processed_total", &labels),
        Some(1200.0)
    );
    assert_eq!(
        m.get("batch_last_success_timestamp_seconds", &labels),
        Some(1.7e9)
    );

    // push-add replaces only the metrics it carries.
    let errors = HttpMetrics::builder()
        .process_metrics(false)
        .build()
        .unwrap();
    let failed: Counter = Counter::default();
    errors
        .register("batch_errors", "Records that failed", failed.clone())
        .unwrap();
    failed.inc_by(3);
    group.push_add_blocking(&errors).unwrap();
    let m = gateway.exposition();
    assert_eq!(m.get("batch_errors_total", &labels), Some(3.0));
    assert_eq!(
        m.get("batch_records_processed_total", &labels),
        Some(1200.0)
    );
    // push replaces the whole group.
    group.push_blocking(&errors).unwrap();
    let m = gateway.exposition();
    assert_eq!(m.get("batch_errors_total", &labels), Some(3.0));
    assert_eq!(m.get("batch_records_processed_total", &labels), None);

    // Another group beside it, with an empty grouping value.
    let other = Pushgateway::new(&gateway.base, "batch_processor")
        .unwrap()
        .grouping_key("instance", "");
    records.inc();
    other.push_blocking(&metrics).unwrap();
    let m = gateway.exposition();
    let empty = [("instance", ""), ("job", "batch_processor")];
    assert_eq!(
        m.get("batch_records_processed_total", &empty),
        Some(1201.0),
        "{:?}",
        m.series("batch_records_processed_total")
    );

    group.delete_blocking().unwrap();
    let m = gateway.exposition();
    assert_eq!(m.get("batch_errors_total", &labels), None);
    assert_eq!(m.get("batch_records_processed_total", &empty), Some(1201.0));
}

#[test]
fn a_refused_push_carries_the_gateway_status_and_reason() {
    let gateway = pushgateway::Pushgateway::start();
    let (metrics, records, _) = job_metrics();
    records.inc();
    let first = Pushgateway::new(&gateway.base, "a").unwrap();
    first.push_blocking(&metrics).unwrap();
    // The same name as a gauge in another group is inconsistent with what the gateway holds.
    let clash = HttpMetrics::builder()
        .process_metrics(false)
        .build()
        .unwrap();
    let gauge: Gauge = Gauge::default();
    clash
        .register("batch_records_processed_total", "Records processed", gauge)
        .unwrap();
    let error = Pushgateway::new(&gateway.base, "b")
        .unwrap()
        .push_blocking(&clash)
        .unwrap_err();
    match &error {
        PushError::Refused { status, message } => {
            assert_eq!(*status, 400, "{message}");
            assert!(
                message.contains("batch_records_processed_total"),
                "{message}"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(error
        .to_string()
        .starts_with("the receiver refused the push (400): "));

    // Nothing listening: a transport error, after the timeout at most.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nobody = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let error = Pushgateway::new(&nobody, "a")
        .unwrap()
        .timeout(Duration::from_secs(2))
        .push_blocking(&metrics)
        .unwrap_err();
    assert!(matches!(error, PushError::Transport(_)), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_push_is_scraped_from_the_gateway_by_prometheus() {
    let gateway = tokio::task::spawn_blocking(pushgateway::Pushgateway::start)
        .await
        .unwrap();
    let (metrics, records, _) = job_metrics();
    records.inc_by(42);
    let group = Pushgateway::new(&gateway.base, "batch_processor")
        .unwrap()
        .grouping_key("instance", "a/b");
    group.push(&metrics).await.unwrap();
    let target = gateway.base.trim_start_matches("http://").to_owned();
    let prometheus = Prometheus::start(&[("pushgateway", target.as_str())]).await;
    let query = r#"batch_records_processed_total{job="batch_processor",instance="a/b"}"#;
    prometheus
        .wait_until("the pushed value never stored", || async {
            prometheus.value(query).await == Some(42.0)
        })
        .await;
    group.delete().await.unwrap();
}
