//! The remote-write sender against real receivers: a Prometheus run with
//! `--web.enable-remote-write-receiver` and a VictoriaMetrics, directly and through a proxy
//! that fails on command. What each receiver stores, read back through its query API, must be
//! what was recorded.

use std::collections::BTreeMap;
use std::time::Duration;

use http_metrics_core::prometheus_client::encoding::EncodeLabelSet;
use http_metrics_core::prometheus_client::metrics::counter::Counter;
use http_metrics_core::prometheus_client::metrics::family::Family;
use http_metrics_core::prometheus_client::metrics::gauge::Gauge;
use http_metrics_core::prometheus_client::metrics::histogram::Histogram;
use http_metrics_core::prometheus_client::metrics::info::Info;
use http_metrics_core::{Format, HttpMetrics, Summary};
use http_metrics_push::{RemoteWrite, RemoteWriteStats, RemoteWriter};
use tests::prometheus::Prometheus;
use tests::remote_write::{Fault, FaultProxy, WriteRequest};
use tests::victoria::VictoriaMetrics;
use tower::ServiceExt;

const INTERVAL: Duration = Duration::from_millis(200);

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Dimension {
    dimension: String,
}

/// A registry holding one of every kind, with values that no longer change: HTTP series
/// recorded through the axum layer, a labelled counter, a gauge, a histogram with a unit, a
/// summary, an info metric, callback gauges and counters, and a custom collector.
async fn every_kind() -> HttpMetrics {
    let metrics = HttpMetrics::builder()
        .process_metrics(false)
        .build()
        .unwrap();
    let app = axum::Router::new()
        .route("/users/{id}", axum::routing::get(|| async { "user" }))
        .route(
            "/fail",
            axum::routing::get(|| async { http::StatusCode::INTERNAL_SERVER_ERROR }),
        )
        .layer(tower_metrics::MetricsLayer::with_metrics(&metrics));
    for path in ["/users/1", "/users/2", "/users/3", "/fail", "/nowhere"] {
        let request = http::Request::get(path)
            .body(axum::body::Body::empty())
            .unwrap();
        app.clone().oneshot(request).await.unwrap();
    }
    let counter: Family<Dimension, Counter> = Family::default();
    metrics
        .register("MyCounter", "Description of MyCounter", counter.clone())
        .unwrap();
    counter
        .get_or_create(&Dimension {
            dimension: "value".into(),
        })
        .inc_by(25);
    let active: Gauge = Gauge::default();
    metrics
        .register(
            "requests_active",
            "number of active requests",
            active.clone(),
        )
        .unwrap();
    active.dec_by(2);
    let sizes = Histogram::new([10.0, 50.0, 100.0]);
    metrics
        .register_with_unit(
            "requests_size",
            "size of requests",
            http_metrics_core::prometheus_client::registry::Unit::Bytes,
            sizes.clone(),
        )
        .unwrap();
    for size in [85.0, 5.0, 42.0, 420.0] {
        sizes.observe(size);
    }
    let summary = Summary::builder().build().unwrap();
    metrics
        .register_summary("job_wait_seconds", "Time spent waiting", &summary)
        .unwrap();
    for wait in [0.5, 1.5, 2.5] {
        summary.observe(wait);
    }
    metrics
        .register(
            "build",
            "Build information",
            Info::new(vec![("version", "1.2.3"), ("commit", "abc")]),
        )
        .unwrap();
    metrics
        .register_gauge_fn("ram_usage", "ram usage", |o| {
            o.observe(&[("dimension", "value")], 61.5)
        })
        .unwrap();
    metrics
        .register_counter_fn("bytes_read_total", "Bytes read", |o| o.observe(&[], 4096.0))
        .unwrap();
    metrics
}

fn labels_without(
    labels: &serde_json::Map<String, serde_json::Value>,
    drop: &[&str],
) -> BTreeMap<String, String> {
    labels
        .iter()
        .filter(|(k, _)| !drop.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

/// Series that are the scrape's own, or that change between a scrape and a push.
fn comparable(name: &str) -> bool {
    !matches!(
        name,
        "up" | "scrape_duration_seconds"
            | "scrape_samples_scraped"
            | "scrape_samples_post_metric_relabeling"
            | "scrape_series_added"
    ) && !name.starts_with("remote_write_")
}

type SeriesValues = BTreeMap<BTreeMap<String, String>, String>;

/// `{job="<job>"}` as label sets (without `job` and `instance`) and values (as text, so that
/// NaN compares).
fn by_labels(results: Vec<(serde_json::Map<String, serde_json::Value>, f64)>) -> SeriesValues {
    results
        .into_iter()
        .filter(|(labels, _)| comparable(labels["__name__"].as_str().unwrap()))
        .map(|(labels, value)| {
            (
                labels_without(&labels, &["job", "instance"]),
                value.to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_is_stored_as_a_scrape_stores_it_in_prometheus_and_victoria_metrics() {
    let metrics = every_kind().await;
    let exporter = http_metrics_core::exporter::Exporter::start(&metrics, "127.0.0.1:0").unwrap();
    let target = exporter.local_addr().to_string();
    let prometheus = Prometheus::start_receiver(&[("scraped", &target)]).await;
    let victoria = VictoriaMetrics::start().await;
    let start = |url: &str| {
        RemoteWrite::new(url)
            .unwrap()
            .interval(INTERVAL)
            .external_label("job", "pushed")
            .external_label("instance", "here")
            .start(&metrics)
            .unwrap()
    };
    let to_prometheus = start(&prometheus.write_url());
    let to_victoria = start(&victoria.write_url());

    // Until Prometheus has scraped the registry and both receivers hold its pushes.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let ready = loop {
        let scraped = by_labels(prometheus.query("{job=\"scraped\"}").await);
        let pushed = by_labels(prometheus.query("{job=\"pushed\"}").await);
        let victoria = by_labels(victoria.query("{job=\"pushed\"}").await);
        if !scraped.is_empty() && pushed == scraped && victoria == scraped {
            break true;
        }
        if tokio::time::Instant::now() > deadline {
            break false;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let scraped = by_labels(prometheus.query("{job=\"scraped\"}").await);
    let pushed = by_labels(prometheus.query("{job=\"pushed\"}").await);
    let in_victoria = by_labels(victoria.query("{job=\"pushed\"}").await);
    assert!(
        ready,
        "scraped:\n{scraped:#?}\npushed to Prometheus:\n{pushed:#?}\npushed to VictoriaMetrics:\n{in_victoria:#?}\n\
         sender: {:?} {:?}\n{}",
        to_prometheus.stats(),
        to_victoria.stats(),
        prometheus.log()
    );

    // What was recorded, exactly, among them.
    let expect = |name: &str, labels: &[(&str, &str)], value: &str| {
        let mut key: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        key.insert("__name__".into(), name.into());
        assert_eq!(
            scraped.get(&key).map(String::as_str),
            Some(value),
            "{key:?}"
        );
    };
    expect("MyCounter_total", &[("dimension", "value")], "25");
    expect("requests_active", &[], "-2");
    expect("requests_size_bytes_bucket", &[("le", "50.0")], "2");
    expect("requests_size_bytes_bucket", &[("le", "+Inf")], "4");
    expect("requests_size_bytes_sum", &[], "552");
    expect("job_wait_seconds_count", &[], "3");
    expect("job_wait_seconds", &[("quantile", "0.5")], "1.5");
    expect(
        "build_info",
        &[("version", "1.2.3"), ("commit", "abc")],
        "1",
    );
    expect("ram_usage", &[("dimension", "value")], "61.5");
    expect("bytes_read_total", &[], "4096");
    let get = [
        ("method", "GET"),
        ("route", "/users/{id}"),
        ("status", "200"),
    ];
    expect("http_requests_total", &get, "3");
    expect(
        "http_requests_total",
        &[("method", "GET"), ("route", "unmatched"), ("status", "404")],
        "1",
    );
    expect(
        "http_request_duration_seconds_bucket",
        &[get[0], get[1], get[2], ("le", "+Inf")],
        "3",
    );

    // The quantile a dashboard computes is the same from either path.
    let quantile =
        "histogram_quantile(0.9, sum by (le) (http_request_duration_seconds_bucket{job=\"JOB\"}))";
    let scraped_q = prometheus.value(&quantile.replace("JOB", "scraped")).await;
    let pushed_q = prometheus.value(&quantile.replace("JOB", "pushed")).await;
    let victoria_q = victoria.query(&quantile.replace("JOB", "pushed")).await;
    assert!(scraped_q.is_some_and(f64::is_finite), "{scraped_q:?}");
    assert_eq!(pushed_q, scraped_q);
    // VictoriaMetrics holds the same buckets (compared above) but interpolates in another
    // order of operations: the same quantile to the last bit or two.
    let (victoria_q, scraped_q) = (victoria_q[0].1, scraped_q.unwrap());
    assert!(
        (victoria_q - scraped_q).abs() <= scraped_q * 1e-12,
        "{victoria_q} against {scraped_q}"
    );

    let stats = [
        (prometheus.write_url(), to_prometheus.shutdown().await),
        (victoria.write_url(), to_victoria.shutdown().await),
    ];
    // Each sender's own health, on the registry they share, by the receiver's `url`.
    let health = tests::Exposition::parse(&metrics.encode(Format::Prometheus).unwrap());
    for (url, stats) in &stats {
        assert_clean(stats);
        assert!(stats.sent > 0 && stats.snapshots > 0, "{stats:?}");
        let get = |name: &str| health.value(name, &[("url", url)]);
        assert_eq!(get("remote_write_samples_sent_total"), stats.sent as f64);
        assert_eq!(
            get("remote_write_samples_retried_total"),
            stats.retried as f64
        );
        assert_eq!(get("remote_write_samples_failed_total"), 0.0);
        assert_eq!(get("remote_write_samples_dropped_total"), 0.0);
        assert_eq!(get("remote_write_samples_pending"), 0.0);
        let last = get("remote_write_last_success_timestamp_seconds");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        assert!(last > now - 600.0 && last <= now, "{last} against {now}");
    }
    drop(exporter);
}

/// A registry with one counter, `work_done_total`, the sender's health, and nothing else.
fn counter_registry() -> (HttpMetrics, Counter) {
    let metrics = HttpMetrics::builder()
        .process_metrics(false)
        .build()
        .unwrap();
    let work: Counter = Counter::default();
    metrics
        .register("work_done", "Units of work done", work.clone())
        .unwrap();
    (metrics, work)
}

/// How many samples one snapshot of `metrics` holds (each sample line of its exposition).
fn samples_per_snapshot(metrics: &HttpMetrics) -> u64 {
    let text = metrics.encode(Format::OpenMetrics).unwrap();
    text.lines().filter(|l| !l.starts_with('#')).count() as u64
}

fn sender(url: &str) -> RemoteWrite {
    RemoteWrite::new(url)
        .unwrap()
        .interval(INTERVAL)
        .backoff(Duration::from_millis(20), Duration::from_millis(200))
        .external_label("job", "t")
}

/// Increments `work` every 50 ms for `duration`.
async fn work_for(work: &Counter, duration: Duration) {
    let until = tokio::time::Instant::now() + duration;
    while tokio::time::Instant::now() < until {
        work.inc();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What Prometheus stored of `work_done_total`: how many samples, the last value, and how many
/// times it went down.
async fn stored(prometheus: &Prometheus) -> (f64, f64, f64) {
    let count = prometheus
        .value("count_over_time(work_done_total{job=\"t\"}[1h])")
        .await
        .unwrap_or(0.0);
    let last = prometheus
        .value("last_over_time(work_done_total{job=\"t\"}[1h])")
        .await
        .unwrap_or(f64::NAN);
    let resets = prometheus
        .value("resets(work_done_total{job=\"t\"}[1h])")
        .await
        .unwrap_or(f64::NAN);
    (count, last, resets)
}

/// Everything the run recorded arrived: one sample per snapshot but the `lost` ones, the last
/// value the final one, never a decrease.
async fn assert_arrived(
    prometheus: &Prometheus,
    stats: &RemoteWriteStats,
    work: &Counter,
    lost: u64,
) {
    let expected = ((stats.snapshots - lost) as f64, work.get() as f64, 0.0);
    // Prometheus makes appended samples queryable at once; poll a little all the same.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let (ok, got) = loop {
        let got = stored(prometheus).await;
        if got == expected || tokio::time::Instant::now() > deadline {
            break (got == expected, got);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        ok,
        "(samples, last, resets): got {got:?}, expected {expected:?}; {stats:?}\n{}",
        prometheus.log()
    );
}

/// Nothing failed, dropped or left over.
fn assert_clean(stats: &RemoteWriteStats) {
    assert_eq!(
        (stats.failed, stats.dropped, stats.pending),
        (0, 0, 0),
        "{stats:?}"
    );
}

/// A receiving Prometheus, and a proxy to it that is down until told otherwise.
async fn proxied() -> (Prometheus, FaultProxy) {
    let prometheus = Prometheus::start_receiver(&[]).await;
    let proxy = FaultProxy::new(&prometheus.write_url());
    (prometheus, proxy)
}

async fn shutdown(writer: RemoteWriter) -> RemoteWriteStats {
    writer.shutdown().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_down_at_start_gets_everything_once_it_is_up() {
    let (prometheus, proxy) = proxied().await;
    let (metrics, work) = counter_registry();
    let writer = sender(&proxy.url()).start(&metrics).unwrap();
    work_for(&work, Duration::from_millis(1200)).await;
    let down = writer.stats();
    assert_eq!(down.sent, 0, "{down:?}");
    assert!(down.snapshots >= 3, "{down:?}");
    assert!(
        down.last_error
            .as_deref()
            .is_some_and(|e| e.starts_with("the receiver could not be reached")),
        "{down:?}"
    );
    proxy.up().await;
    work_for(&work, Duration::from_millis(600)).await;
    let stats = shutdown(writer).await;
    let per_snapshot = samples_per_snapshot(&metrics);
    assert_clean(&stats);
    assert_eq!(stats.sent, stats.snapshots * per_snapshot, "{stats:?}");
    assert!(stats.retried > 0, "{stats:?}");
    assert_arrived(&prometheus, &stats, &work, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_are_retried_with_the_same_request() {
    let (prometheus, proxy) = proxied().await;
    proxy.up().await;
    for _ in 0..3 {
        proxy.fail_next(Fault::answer(500, None, "try again"));
    }
    let (metrics, work) = counter_registry();
    let writer = sender(&proxy.url())
        .bearer_token("s3cret")
        .start(&metrics)
        .unwrap();
    work_for(&work, Duration::from_millis(800)).await;
    let stats = shutdown(writer).await;
    let received = proxy.received();
    let statuses: Vec<u16> = received.iter().take(4).map(|r| r.status).collect();
    assert_eq!(statuses, [500, 500, 500, 204]);
    assert!(received[1..4].iter().all(|r| r.body == received[0].body));
    let first = WriteRequest::decode_body(&received[0].body).unwrap();
    assert_eq!(stats.retried, 3 * first.sample_count() as u64, "{stats:?}");
    assert_clean(&stats);
    assert_arrived(&prometheus, &stats, &work, 0).await;

    // The protocol's headers, the credentials, and the request as prost decodes it.
    let headers = &received[0].headers;
    assert_eq!(headers["content-encoding"], "snappy");
    assert_eq!(headers["content-type"], "application/x-protobuf");
    assert_eq!(headers["x-prometheus-remote-write-version"], "0.1.0");
    assert_eq!(headers["authorization"], "Bearer s3cret");
    let work_series = first
        .timeseries
        .iter()
        .find(|s| s.label("__name__") == Some("work_done_total"))
        .expect("the counter is in the first request");
    let names: Vec<&str> = work_series.labels.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["__name__", "job"]);
    assert_eq!(work_series.label("job"), Some("t"));
    let metadata = first
        .metadata
        .iter()
        .find(|m| m.metric_family_name == "work_done")
        .expect("metadata for the counter");
    assert_eq!(
        (metadata.r#type, metadata.help.as_str()),
        (1, "Units of work done.")
    );
    for request in &received[4..] {
        let later = WriteRequest::decode_body(&request.body).unwrap();
        assert!(later.metadata.is_empty(), "metadata again within a minute");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_requests_waits_for_retry_after() {
    let (prometheus, proxy) = proxied().await;
    proxy.up().await;
    proxy.fail_next(Fault::answer(429, Some(1), "slow down"));
    let (metrics, work) = counter_registry();
    let writer = sender(&proxy.url()).start(&metrics).unwrap();
    work_for(&work, Duration::from_millis(1500)).await;
    let stats = shutdown(writer).await;
    let received = proxy.received();
    assert_eq!((received[0].status, received[1].status), (429, 204));
    assert_eq!(received[1].body, received[0].body);
    let waited = received[1].at - received[0].at;
    assert!(waited >= Duration::from_secs(1), "retried after {waited:?}");
    assert_clean(&stats);
    assert_arrived(&prometheus, &stats, &work, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_request_is_not_retried_and_logged_once() {
    capture_logs();
    let (prometheus, proxy) = proxied().await;
    proxy.up().await;
    for _ in 0..3 {
        proxy.fail_next(Fault::answer(400, None, "out of order sample"));
    }
    let (metrics, work) = counter_registry();
    let writer = sender(&proxy.url()).start(&metrics).unwrap();
    work_for(&work, Duration::from_millis(1000)).await;
    let stats = shutdown(writer).await;
    let received = proxy.received();
    let statuses: Vec<u16> = received.iter().take(4).map(|r| r.status).collect();
    assert_eq!(statuses, [400, 400, 400, 204]);
    // Three different requests, each refused once, none sent again.
    for (i, refused) in received[..3].iter().enumerate() {
        assert_eq!(
            received.iter().filter(|r| r.body == refused.body).count(),
            1,
            "request {i} was sent again"
        );
    }
    let refused: u64 = received[..3]
        .iter()
        .map(|r| WriteRequest::decode_body(&r.body).unwrap().sample_count() as u64)
        .sum();
    assert_eq!(stats.failed, refused, "{stats:?}");
    assert_eq!(
        (stats.retried, stats.dropped, stats.pending),
        (0, 0, 0),
        "{stats:?}"
    );
    assert_eq!(
        stats.last_error.as_deref(),
        Some("the receiver answered 400 Bad Request: out of order sample")
    );
    assert_eq!(
        logged_about(&proxy.url()),
        [format!(
            "remote-write to {}: the receiver answered 400 Bad Request: out of order sample",
            proxy.url()
        )]
    );
    let per_snapshot = samples_per_snapshot(&metrics);
    assert_eq!(refused % per_snapshot, 0, "whole snapshots: {refused}");
    assert_arrived(&prometheus, &stats, &work, refused / per_snapshot).await;
}

static LOGGED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Keeps every log line of this test binary, for [`logged_about`].
struct Captured;

impl log::Log for Captured {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        LOGGED.lock().unwrap().push(record.args().to_string());
    }
    fn flush(&self) {}
}

fn capture_logs() {
    static CAPTURED: Captured = Captured;
    // Once per binary; a second call finds it set.
    if log::set_logger(&CAPTURED).is_ok() {
        log::set_max_level(log::LevelFilter::Warn);
    }
}

/// The lines logged about the receiver at `url`.
fn logged_about(url: &str) -> Vec<String> {
    let prefix = format!("remote-write to {url}: ");
    LOGGED
        .lock()
        .unwrap()
        .iter()
        .filter(|line| line.starts_with(&prefix))
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_slower_than_the_interval_gets_everything_in_bigger_requests() {
    let (prometheus, proxy) = proxied().await;
    proxy.up().await;
    proxy.fail_all(Some(Fault::Delay(INTERVAL * 3)));
    let (metrics, work) = counter_registry();
    let writer = sender(&proxy.url()).start(&metrics).unwrap();
    work_for(&work, Duration::from_millis(2000)).await;
    proxy.fail_all(None);
    let stats = shutdown(writer).await;
    assert_clean(&stats);
    let per_snapshot = samples_per_snapshot(&metrics) as usize;
    let largest = proxy
        .received()
        .iter()
        .map(|r| WriteRequest::decode_body(&r.body).unwrap().sample_count())
        .max()
        .unwrap();
    assert!(
        largest >= 2 * per_snapshot,
        "{largest} samples at most, {per_snapshot} per snapshot"
    );
    assert_arrived(&prometheus, &stats, &work, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_killed_and_restarted_gets_everything() {
    let mut prometheus = Prometheus::start_receiver(&[]).await;
    let (metrics, work) = counter_registry();
    let writer = sender(&prometheus.write_url()).start(&metrics).unwrap();
    work_for(&work, Duration::from_millis(600)).await;
    prometheus.kill();
    work_for(&work, Duration::from_millis(1000)).await;
    assert!(writer.stats().pending > 0, "{:?}", writer.stats());
    prometheus.restart().await;
    work_for(&work, Duration::from_millis(600)).await;
    let stats = shutdown(writer).await;
    assert_clean(&stats);
    assert!(stats.retried > 0, "{stats:?}");
    assert_arrived(&prometheus, &stats, &work, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_buffer_cap_the_oldest_snapshots_are_dropped_and_counted() {
    let (prometheus, proxy) = proxied().await;
    let (metrics, work) = counter_registry();
    // The counter, and the six series of the sender's health.
    let per_snapshot = samples_per_snapshot(&metrics) as usize + 6;
    let writer = sender(&proxy.url())
        .max_samples_per_send(per_snapshot)
        .max_buffered_samples(3 * per_snapshot)
        .start(&metrics)
        .unwrap();
    assert_eq!(samples_per_snapshot(&metrics) as usize, per_snapshot);
    work_for(&work, Duration::from_millis(1600)).await;
    let down = writer.stats();
    assert!(down.dropped > 0, "{down:?}");
    assert_eq!(down.pending, 3 * per_snapshot as u64, "{down:?}");
    proxy.up().await;
    work_for(&work, Duration::from_millis(400)).await;
    let stats = shutdown(writer).await;
    assert_eq!(stats.dropped % per_snapshot as u64, 0, "{stats:?}");
    assert_eq!((stats.failed, stats.pending), (0, 0), "{stats:?}");
    assert_arrived(
        &prometheus,
        &stats,
        &work,
        stats.dropped / per_snapshot as u64,
    )
    .await;
}

type LabelPairs = Vec<(String, String)>;

/// A label value with every character the exposition escapes, and the ones that end a
/// label set or start an exemplar.
const ESCAPED: &str = "q\"uo\\te\nline} # {x=\"y\"} ü";

#[test]
fn the_encoder_writes_what_prost_reads_in_batches_with_staleness_markers() {
    let metrics = HttpMetrics::builder()
        .process_metrics(false)
        .build()
        .unwrap();
    let counter: Family<Dimension, Counter> = Family::default();
    metrics
        .register("MyCounter", "Description of MyCounter", counter.clone())
        .unwrap();
    for (i, value) in ["a", "b", "c", "d", ESCAPED].into_iter().enumerate() {
        counter
            .get_or_create(&Dimension {
                dimension: value.into(),
            })
            .inc_by(i as u64 + 1);
    }
    let mut encoder = RemoteWrite::new("http://vm:8428/api/v1/write")
        .unwrap()
        .external_label("job", "enc")
        .max_samples_per_send(2)
        .encoder();
    let decode = |bodies: Vec<bytes::Bytes>| -> Vec<WriteRequest> {
        bodies
            .iter()
            .map(|b| WriteRequest::decode_body(b).unwrap())
            .collect()
    };
    // Before the epoch: int64 travels as ten bytes of two's complement.
    let first = decode(encoder.encode(&metrics, -1_000).unwrap());
    // The five counters and the HTTP metrics' `metrics_series_folded_total`.
    let sizes: Vec<usize> = first.iter().map(WriteRequest::sample_count).collect();
    assert_eq!(sizes, [2, 2, 2]);
    let series: Vec<(LabelPairs, f64, i64)> = first
        .iter()
        .flat_map(|r| &r.timeseries)
        .filter(|s| s.label("__name__") == Some("MyCounter_total"))
        .map(|s| {
            let labels = s
                .labels
                .iter()
                .map(|l| (l.name.clone(), l.value.clone()))
                .collect();
            (labels, s.samples[0].value, s.samples[0].timestamp)
        })
        .collect();
    let expected: Vec<_> = ["a", "b", "c", "d", ESCAPED]
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            (
                vec![
                    ("__name__".to_owned(), "MyCounter_total".to_owned()),
                    ("dimension".to_owned(), v.to_owned()),
                    ("job".to_owned(), "enc".to_owned()),
                ],
                i as f64 + 1.0,
                -1_000,
            )
        })
        .collect();
    let mut sorted = series.clone();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(sorted, expected);
    let counter_meta = first[0]
        .metadata
        .iter()
        .find(|m| m.metric_family_name == "MyCounter")
        .unwrap();
    assert_eq!(
        (counter_meta.r#type, counter_meta.help.as_str()),
        (1, "Description of MyCounter.")
    );
    assert!(first[1..].iter().all(|r| r.metadata.is_empty()));

    // A series gone since: one staleness marker, at the new snapshot's time.
    assert!(counter.remove(&Dimension {
        dimension: "c".into()
    }));
    let second = decode(encoder.encode(&metrics, 2_000).unwrap());
    let stale: Vec<_> = second
        .iter()
        .flat_map(|r| &r.timeseries)
        .filter(|s| s.samples[0].value.is_nan())
        .map(|s| {
            (
                s.label("dimension").unwrap().to_owned(),
                s.samples[0].value.to_bits(),
                s.samples[0].timestamp,
            )
        })
        .collect();
    assert_eq!(stale, [("c".to_owned(), 0x7ff0_0000_0000_0002, 2_000)]);
    // Four counters, the folded count and the marker.
    assert_eq!(
        second.iter().map(WriteRequest::sample_count).sum::<usize>(),
        6
    );
}

/// Starts a sender with a 200 ms shutdown timeout against a receiver that always answers
/// with `fault`, records for 500 ms and shuts down: its stats (after checking that nothing
/// was sent and everything was counted as dropped), and the proxy.
async fn shut_down_against(fault: Fault, timeout: Duration) -> (RemoteWriteStats, FaultProxy) {
    let (_prometheus, proxy) = proxied().await;
    proxy.up().await;
    proxy.fail_all(Some(fault));
    let (metrics, work) = counter_registry();
    let writer = sender(&proxy.url())
        .timeout(timeout)
        .shutdown_timeout(Duration::from_millis(200))
        .start(&metrics)
        .unwrap();
    work_for(&work, Duration::from_millis(500)).await;
    // Hang detection only: the shutdown is due after 200 ms (and the last snapshot's
    // encoding).
    let stats = tokio::time::timeout(Duration::from_secs(60), writer.shutdown())
        .await
        .expect("the shutdown finished");
    let per_snapshot = samples_per_snapshot(&metrics);
    assert_eq!((stats.sent, stats.pending), (0, 0), "{stats:?}");
    assert_eq!(stats.dropped, stats.snapshots * per_snapshot, "{stats:?}");
    (stats, proxy)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_does_not_wait_for_a_stalled_receiver_past_its_timeout() {
    shut_down_against(Fault::Stall, Duration::from_secs(3600)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_does_not_sit_out_a_long_retry_after() {
    let fault = Fault::answer(503, Some(300), "maintenance");
    let (stats, proxy) = shut_down_against(fault, Duration::from_secs(30)).await;
    assert_eq!(proxy.received().len(), 1, "one request, then the wait");
    assert_eq!(
        stats.last_error.as_deref(),
        Some("the receiver answered 503 Service Unavailable: maintenance")
    );
}

/// Remote-write carries what a scrape does: a native histogram (its `histogram_count` the
/// requests, in a Prometheus storing native histograms) beside the classic series, and the
/// traces as exemplars on the counter, on the bucket each request fell in and on the native
/// histogram (returned by `query_exemplars`).
#[cfg(all(feature = "native-histograms", feature = "exemplars"))]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_histograms_and_exemplars_arrive_as_a_scrape_has_them() {
    use http_metrics_core::{Exemplars, NativeHistograms};
    const TRACE: &str = "5b8efff798038103d269b633813fc60c";
    const SPAN: &str = "eee19b7ec3c1b174";
    let prometheus = Prometheus::start_receiver_with_native_histograms_and_exemplars().await;
    let metrics = HttpMetrics::builder()
        .process_metrics(false)
        .exemplars(Exemplars::traceparent())
        .native_histograms(NativeHistograms::new())
        .build()
        .unwrap();
    let app = axum::Router::new()
        .route("/pay", axum::routing::post(|| async { "paid" }))
        .layer(tower_metrics::MetricsLayer::with_metrics(&metrics));
    for _ in 0..5 {
        let request = http::Request::post("/pay")
            .header("traceparent", format!("00-{TRACE}-{SPAN}-01"))
            .body(axum::body::Body::empty())
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), 200);
        axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
    }
    let writer = sender(&prometheus.write_url()).start(&metrics).unwrap();
    let count = r#"histogram_count(http_request_duration_seconds{job="t",route="/pay"})"#;
    prometheus
        .wait_until("no native histogram", || async {
            prometheus.value(count).await == Some(5.0)
        })
        .await;
    let classic = r#"http_request_duration_seconds_count{job="t",route="/pay"}"#;
    assert_eq!(prometheus.value(classic).await, Some(5.0));
    let mut found = Vec::new();
    for selector in [
        "http_request_duration_seconds",
        "http_request_duration_seconds_bucket",
        "http_requests_total",
    ] {
        for (series, exemplar) in prometheus.exemplars(selector).await {
            assert_eq!(
                (exemplar["trace_id"].as_str(), exemplar["span_id"].as_str()),
                (Some(TRACE), Some(SPAN)),
                "{selector}"
            );
            found.push(series["__name__"].as_str().unwrap().to_owned());
        }
    }
    found.sort();
    found.dedup();
    assert_eq!(
        found,
        [
            "http_request_duration_seconds",
            "http_request_duration_seconds_bucket",
            "http_requests_total"
        ],
        "{}",
        prometheus.log()
    );
    assert_clean(&shutdown(writer).await);
}
