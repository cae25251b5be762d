//! Remote-write 2.0: what the sender writes, read by a receiver of the test's own (prost
//! messages from the specification's `.proto`), rule by rule of the specification's MUST
//! list; and the fall-back to 1.0 with a real Prometheus 2.42, which takes 1.0 only.

use std::collections::HashSet;
use std::time::Duration;

use http_metrics_core::prometheus_client::metrics::counter::Counter;
use http_metrics_core::HttpMetrics;
use http_metrics_push::{RemoteWrite, RemoteWriteVersion};
use tests::prometheus::Prometheus;
use tests::remote_write_v2::{Receiver, Request};

const INTERVAL: Duration = Duration::from_millis(100);

fn registry() -> (HttpMetrics, Counter) {
    let metrics = HttpMetrics::builder()
        .process_metrics(false)
        .build()
        .unwrap();
    let jobs: Counter = Counter::default();
    metrics.register("jobs", "Jobs run", jobs.clone()).unwrap();
    let route = http_metrics_core::adapter::RouteHandle::resolve(&metrics, "/pay");
    for _ in 0..3 {
        route.record(
            http_metrics_core::adapter::MethodLabel::Post,
            201,
            Duration::from_millis(20),
        );
    }
    (metrics, jobs)
}

fn sender(url: &str) -> RemoteWrite {
    RemoteWrite::new(url)
        .unwrap()
        .interval(INTERVAL)
        .version(RemoteWriteVersion::V2)
        .external_label("job", "v2")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_2_0_receiver_gets_every_rule_of_the_specification() {
    let receiver = Receiver::start().await;
    let now_ms = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
    };
    let before = now_ms();
    let (metrics, jobs) = registry();
    let after = now_ms();
    jobs.inc_by(7);
    let writer = sender(&receiver.url).start(&metrics).unwrap();
    tokio::time::sleep(INTERVAL * 4).await;
    let stats = writer.shutdown().await;
    assert_eq!(
        (stats.failed, stats.dropped, stats.pending),
        (0, 0, 0),
        "{stats:?}"
    );
    let received = receiver.received();
    assert!(!received.is_empty());
    for request in &received {
        // MUST: the 2.0 content type, version header and snappy; a User-Agent.
        let header = |name: &str| request.headers[name].to_str().unwrap().to_owned();
        assert_eq!(
            header("content-type"),
            "application/x-protobuf;proto=io.prometheus.write.v2.Request"
        );
        assert_eq!(header("x-prometheus-remote-write-version"), "2.0.0");
        assert_eq!(header("content-encoding"), "snappy");
        assert!(header("user-agent").starts_with("http-metrics/"));
        let decoded = Request::decode_body(&request.body).unwrap();
        // MUST: the symbols start with the empty string; each string once.
        assert_eq!(decoded.symbols[0], "");
        let unique: HashSet<&String> = decoded.symbols.iter().collect();
        assert_eq!(unique.len(), decoded.symbols.len(), "{:?}", decoded.symbols);
        for series in &decoded.timeseries {
            // MUST: name-value pairs, within the table, sorted by name, with a `__name__`.
            assert_eq!(series.labels_refs.len() % 2, 0);
            assert!(series
                .labels_refs
                .iter()
                .all(|&r| (r as usize) < decoded.symbols.len()));
            let labels = decoded.labels(&series.labels_refs);
            assert!(labels.windows(2).all(|w| w[0].0 < w[1].0), "{labels:?}");
            assert!(labels.iter().any(|(n, _)| n == "__name__"), "{labels:?}");
            // Samples or histograms, not both.
            assert!(series.samples.is_empty() != series.histograms.is_empty());
        }
    }
    // What the series say, from the last request of the run.
    let last = Request::decode_body(&received.last().unwrap().body).unwrap();
    let find = |name: &str| {
        last.timeseries
            .iter()
            .find(|s| {
                last.labels(&s.labels_refs)
                    .iter()
                    .any(|(n, v)| n == "__name__" && v == name)
            })
            .unwrap_or_else(|| panic!("no {name}: {last:?}"))
    };
    let jobs_total = find("jobs_total");
    assert_eq!(jobs_total.samples[0].value, 7.0);
    assert_eq!(
        last.labels(&jobs_total.labels_refs),
        [
            ("__name__".to_owned(), "jobs_total".to_owned()),
            ("job".to_owned(), "v2".to_owned())
        ]
    );
    // Each series carries its family's metadata: type, help and unit.
    let metadata = jobs_total.metadata.as_ref().unwrap();
    assert_eq!(
        (metadata.r#type, &*last.symbols[metadata.help_ref as usize]),
        (1, "Jobs run.")
    );
    let requests = find("http_requests_total");
    assert_eq!(requests.samples[0].value, 3.0);
    // The HTTP series' start time, from their first request; prometheus-client keeps none.
    assert!(
        (before..=after).contains(&requests.created_timestamp),
        "{before} <= {} <= {after}",
        requests.created_timestamp
    );
    assert_eq!(jobs_total.created_timestamp, 0);
    let count = find("http_request_duration_seconds_count");
    assert_eq!(count.samples[0].value, 3.0);
    let metadata = count.metadata.as_ref().unwrap();
    assert_eq!(
        (metadata.r#type, &*last.symbols[metadata.unit_ref as usize]),
        (3, "seconds")
    );
}

/// Prometheus 2.42 takes remote-write 1.0 only: it answers a 2.0 request with success and
/// no `Written` headers, having stored nothing. The sender sends that batch again in 1.0,
/// and 1.0 from then on: everything arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_1_0_receiver_gets_everything_in_1_0() {
    let prometheus = Prometheus::start_receiver(&[]).await;
    let (metrics, jobs) = registry();
    jobs.inc_by(5);
    let writer = sender(&prometheus.write_url()).start(&metrics).unwrap();
    prometheus
        .wait_until("nothing arrived in 1.0", || async {
            prometheus.value(r#"jobs_total{job="v2"}"#).await == Some(5.0)
        })
        .await;
    assert_eq!(
        prometheus
            .value(r#"http_requests_total{job="v2",route="/pay"}"#)
            .await,
        Some(3.0)
    );
    let stats = writer.shutdown().await;
    assert_eq!(
        (stats.failed, stats.dropped, stats.pending),
        (0, 0, 0),
        "{stats:?}"
    );
}

/// A receiver that refuses 2.0 by its content type (`415`) gets the same batch in 1.0, and
/// 1.0 after: the second request through the proxy is 1.0, and nothing is lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_415_sends_the_batch_again_in_1_0() {
    use tests::remote_write::{Fault, FaultProxy, WriteRequest};
    let prometheus = Prometheus::start_receiver(&[]).await;
    let proxy = FaultProxy::new(&prometheus.write_url());
    proxy.up().await;
    proxy.fail_next(Fault::answer(
        415,
        None,
        "remote-write 2.0 is not supported",
    ));
    let (metrics, jobs) = registry();
    jobs.inc_by(2);
    let writer = sender(&proxy.url()).start(&metrics).unwrap();
    prometheus
        .wait_until("nothing arrived after the 415", || async {
            prometheus.value(r#"jobs_total{job="v2"}"#).await == Some(2.0)
        })
        .await;
    let stats = writer.shutdown().await;
    assert_eq!(
        (stats.failed, stats.dropped, stats.pending),
        (0, 0, 0),
        "{stats:?}"
    );
    let received = proxy.received();
    let version = |i: usize| {
        received[i].headers["x-prometheus-remote-write-version"]
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        (version(0), version(1)),
        ("2.0.0".to_owned(), "0.1.0".to_owned())
    );
    // The 1.0 resend is the batch the 2.0 request carried, and it decodes as 1.0.
    let resent = WriteRequest::decode_body(&received[1].body).unwrap();
    assert!(resent.sample_count() > 0);
    assert!(received[2..]
        .iter()
        .all(|r| r.headers["x-prometheus-remote-write-version"] == "0.1.0"));
}
