//! Native histograms on both frameworks: served in the Prometheus protobuf format to a
//! scraper that asks for it, stored by a real Prometheus run with
//! `--enable-feature=native-histograms`, and read back by `histogram_quantile` beside the
//! classic histogram of the same observations, which a second Prometheus scrapes as text.

use std::time::Duration;

use http_metrics_core::adapter::{MethodLabel, RouteHandle};
use http_metrics_core::prometheus_client::encoding::prometheus_protobuf::prometheus_data_model::{
    Metric, MetricFamily,
};
use http_metrics_core::{HttpMetrics, NativeHistograms, DEFAULT_BUCKETS};
use prost::Message as _;
use tests::conformance;
use tests::prometheus::Prometheus;
use tests::servers;

/// What Prometheus 2.x sends with `--enable-feature=native-histograms`.
const PROTOBUF_ACCEPT: &str = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
const USERS: &str = "/api/users/{user_id}";
const REQUESTS: usize = 20;
/// Observations of the synthetic route: log-spaced from 1 ms to 2 s.
const OBSERVATIONS: usize = 1_000;

fn metrics() -> HttpMetrics {
    HttpMetrics::builder()
        .exclude_route("/health")
        .native_histograms(NativeHistograms::new())
        .build()
        .unwrap()
}

/// The synthetic durations, in whole nanoseconds as the core records them.
fn durations() -> Vec<u64> {
    (0..OBSERVATIONS)
        .map(|i| {
            let seconds = 0.001 * 2000f64.powf(i as f64 / (OBSERVATIONS - 1) as f64);
            (seconds * 1e9).round() as u64
        })
        .collect()
}

/// A protobuf scrape of `base`, decoded.
async fn scrape(client: &reqwest::Client, base: &str) -> Vec<MetricFamily> {
    let response = client
        .get(format!("{base}/metrics"))
        .header("accept", PROTOBUF_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited; escaping=underscores"
    );
    let body = response.bytes().await.unwrap();
    let mut buf = &body[..];
    let mut families = Vec::new();
    while !buf.is_empty() {
        families.push(MetricFamily::decode_length_delimited(&mut buf).expect("a MetricFamily"));
    }
    families
}

fn route_of(metric: &Metric) -> &str {
    metric
        .label
        .iter()
        .find(|l| l.name == "route")
        .map_or("", |l| l.value.as_str())
}

/// One latency series of a protobuf scrape.
#[derive(Debug, PartialEq)]
struct NativeSeries {
    labels: Vec<(String, String)>,
    count: u64,
    schema: i32,
    /// What the native buckets add up to (the deltas' running sum, summed), zero bucket
    /// included.
    in_buckets: u64,
}

/// The users route's latency series.
fn users_series(families: &[MetricFamily]) -> Vec<NativeSeries> {
    let duration = families
        .iter()
        .find(|f| f.name == "http_request_duration_seconds")
        .expect("the latency histogram");
    duration
        .metric
        .iter()
        .filter(|m| route_of(m) == USERS)
        .map(|m| {
            let h = m.histogram.as_ref().unwrap();
            let mut running = 0i64;
            let in_buckets: i64 = h
                .positive_delta
                .iter()
                .map(|d| {
                    running += d;
                    running
                })
                .sum();
            let labels = m
                .label
                .iter()
                .map(|l| (l.name.clone(), l.value.clone()))
                .collect();
            NativeSeries {
                labels,
                count: h.sample_count,
                schema: h.schema,
                in_buckets: in_buckets as u64 + h.zero_count,
            }
        })
        .collect()
}

/// The `rank`-th smallest observation (1-based, rounded up), in seconds.
fn true_quantile(sorted: &[u64], q: f64) -> f64 {
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.max(1) - 1] as f64 / 1e9
}

/// Prometheus' `histogram_quantile` of the default buckets holding `durations`.
fn classic_quantile(bounds: &[f64], durations: &[u64], q: f64) -> f64 {
    let buckets: Vec<(f64, f64)> = bounds
        .iter()
        .chain([f64::INFINITY].iter())
        .map(|b| {
            let count = durations.iter().filter(|&&d| d as f64 / 1e9 <= *b).count();
            (*b, count as f64)
        })
        .collect();
    tests::prometheus::histogram_quantile(q, &buckets)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_stores_native_histograms_and_their_quantiles_match_the_classic_ones() {
    let client = reqwest::Client::new();
    let axum_metrics = metrics();
    let axum = servers::axum(conformance::axum_app(&axum_metrics)).await;
    let actix_metrics = metrics();
    let actix = servers::actix(&actix_metrics, 1, conformance::actix_app);
    // Native buckets only: the text formats show `+Inf`, `_sum` and `_count`.
    let native_only_metrics = HttpMetrics::builder()
        .native_histograms(NativeHistograms::new().classic_buckets(false))
        .build()
        .unwrap();
    let native_only = servers::axum(conformance::axum_app(&native_only_metrics)).await;
    for base in [&axum.base, &actix.base, &native_only.base] {
        for i in 0..REQUESTS {
            let response = client
                .get(format!("{base}/api/users/{i}"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
        }
    }
    // Both frameworks serve the same native series for the same traffic: one per status,
    // every request in its native buckets.
    let axum_series = users_series(&scrape(&client, &axum.base).await);
    let actix_series = users_series(&scrape(&client, &actix.base).await);
    let expected = vec![NativeSeries {
        labels: vec![
            ("method".to_owned(), "GET".to_owned()),
            ("route".to_owned(), USERS.to_owned()),
            ("status".to_owned(), "200".to_owned()),
        ],
        count: REQUESTS as u64,
        schema: 3,
        in_buckets: REQUESTS as u64,
    }];
    assert_eq!(axum_series, expected);
    assert_eq!(actix_series, expected);

    // Known observations on a route of the axum service, to compare quantiles against.
    let durations = durations();
    let synthetic = RouteHandle::resolve(&axum_metrics, "/synthetic");
    for &nanos in &durations {
        synthetic.record(MethodLabel::Get, 200, Duration::from_nanos(nanos));
    }
    let targets = [
        ("axum", axum.base.trim_start_matches("http://")),
        ("actix", actix.base.trim_start_matches("http://")),
        (
            "native-only",
            native_only.base.trim_start_matches("http://"),
        ),
    ];
    let native = Prometheus::start_with_native_histograms(&targets).await;
    let classic = Prometheus::start(&targets).await;

    let native_count = |job: &str, route: &str| {
        format!(r#"histogram_count(http_request_duration_seconds{{job="{job}",route="{route}"}})"#)
    };
    let synthetic_count = native_count("axum", "/synthetic");
    native
        .wait_until("no native histogram stored", || async {
            native.value(&synthetic_count).await == Some(OBSERVATIONS as f64)
        })
        .await;
    let classic_count = r#"http_request_duration_seconds_count{job="axum",route="/synthetic"}"#;
    classic
        .wait_until("no classic histogram stored", || async {
            classic.value(classic_count).await == Some(OBSERVATIONS as f64)
        })
        .await;

    // Stored as native histograms: no `_bucket` series beside them.
    assert_eq!(
        native
            .query(r#"http_request_duration_seconds_bucket{job="axum"}"#)
            .await
            .len(),
        0
    );
    let native_only_count = native_count("native-only", USERS);
    native
        .wait_until("no native-only histogram stored", || async {
            native.value(&native_only_count).await == Some(REQUESTS as f64)
        })
        .await;
    let inf = format!(
        r#"http_request_duration_seconds_bucket{{job="native-only",route="{USERS}",le="+Inf"}}"#
    );
    classic
        .wait_until("no native-only text histogram", || async {
            classic.value(&inf).await == Some(REQUESTS as f64)
        })
        .await;
    let only_buckets = classic
        .query(&format!(
            r#"http_request_duration_seconds_bucket{{job="native-only",route="{USERS}"}}"#
        ))
        .await;
    assert_eq!(only_buckets.len(), 1, "+Inf alone: {only_buckets:?}");
    for job in ["axum", "actix"] {
        let count = native_count(job, USERS);
        let stored = native
            .poll(Duration::from_secs(30), || async {
                native.value(&count).await == Some(REQUESTS as f64)
            })
            .await;
        assert!(stored, "{job}: {:?}", native.value(&count).await);
        // The same sum, from the same counter, in both representations.
        let native_sum = native
            .value(&format!(
                r#"histogram_sum(http_request_duration_seconds{{job="{job}",route="{USERS}"}})"#
            ))
            .await
            .unwrap();
        // Each target is scraped on its own schedule: wait for this one's.
        let classic_sum =
            format!(r#"http_request_duration_seconds_sum{{job="{job}",route="{USERS}"}}"#);
        classic
            .wait_until(&format!("{job} never scraped"), || async {
                classic.value(&classic_sum).await.is_some()
            })
            .await;
        let classic_sum = classic.value(&classic_sum).await.unwrap();
        assert_eq!(native_sum, classic_sum, "{job}");
    }
    let expected_sum: u64 = durations.iter().sum();
    let sum = native
        .value(r#"histogram_sum(http_request_duration_seconds{job="axum",route="/synthetic"})"#)
        .await
        .unwrap();
    assert!((sum - expected_sum as f64 / 1e9).abs() < 1e-6, "{sum}");

    let mut sorted = durations.clone();
    sorted.sort_unstable();
    // Schema 3: a bucket's upper bound is 2^(1/8) times its lower one.
    let factor = 2f64.powf(1.0 / 8.0);
    for q in [0.5, 0.9, 0.99] {
        let truth = true_quantile(&sorted, q);
        let from_native = native
            .value(&format!(
                r#"histogram_quantile({q}, http_request_duration_seconds{{job="axum",route="/synthetic"}})"#
            ))
            .await
            .unwrap();
        let from_classic = classic
            .value(&format!(
                r#"histogram_quantile({q}, http_request_duration_seconds_bucket{{job="axum",route="/synthetic"}})"#
            ))
            .await
            .unwrap();
        // The classic estimate is Prometheus' interpolation of the default buckets, exactly.
        let expected_classic = classic_quantile(&DEFAULT_BUCKETS, &durations, q);
        assert!(
            (from_classic - expected_classic).abs() < 1e-9 * expected_classic,
            "q={q}: classic {from_classic}, expected {expected_classic}"
        );
        // The native estimate lies in the native bucket of the true quantile: (2^((k-1)/8),
        // 2^(k/8)], k = ceil(8 log2(truth)).
        let k = (8.0 * truth.log2()).ceil();
        let (lower, upper) = (((k - 1.0) / 8.0).exp2(), (k / 8.0).exp2());
        assert!(
            from_native > lower * (1.0 - 1e-12) && from_native <= upper * (1.0 + 1e-12),
            "q={q}: native {from_native} outside ({lower}, {upper}], the true quantile's bucket"
        );
        assert!((from_native / truth).max(truth / from_native) <= factor * (1.0 + 1e-12));
        println!(
            "q={q}: true {truth:.6} s, native {from_native:.6} s ({:+.2}%), classic {from_classic:.6} s ({:+.2}%)",
            (from_native / truth - 1.0) * 100.0,
            (from_classic / truth - 1.0) * 100.0
        );
    }
}

/// Exemplars and native histograms together: the protobuf scrape carries each request's
/// trace on the counter and on the classic bucket it fell in, and a Prometheus storing both
/// keeps the trace with the native histogram.
#[cfg(feature = "exemplars")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exemplars_reach_prometheus_with_native_histograms() {
    const TRACE: &str = "5b8efff798038103d269b633813fc60c";
    const SPAN: &str = "eee19b7ec3c1b174";
    let client = reqwest::Client::new();
    let metrics = HttpMetrics::builder()
        .exclude_route("/health")
        .exemplars(http_metrics_core::Exemplars::traceparent())
        .native_histograms(NativeHistograms::new())
        .build()
        .unwrap();
    let server = servers::axum(conformance::axum_app(&metrics)).await;
    let response = client
        .get(server.url("/api/users/7"))
        .header("traceparent", format!("00-{TRACE}-{SPAN}-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let target = [("axum", server.base.trim_start_matches("http://"))];
    let prometheus = Prometheus::start_with_native_histograms_and_exemplars(&target).await;
    let count = format!(r#"histogram_count(http_request_duration_seconds{{route="{USERS}"}})"#);
    prometheus
        .wait_until("no native histogram", || async {
            prometheus.value(&count).await == Some(1.0)
        })
        .await;
    let mut found = Vec::new();
    for selector in ["http_request_duration_seconds", "http_requests_total"] {
        let exemplars = prometheus.exemplars(selector).await;
        found.extend(exemplars.into_iter().map(|(series, exemplar)| {
            (
                series["__name__"].as_str().unwrap().to_owned(),
                exemplar["trace_id"].as_str().unwrap().to_owned(),
                exemplar["span_id"].as_str().unwrap().to_owned(),
            )
        }));
    }
    found.sort();
    assert_eq!(
        found,
        [
            (
                "http_request_duration_seconds".to_owned(),
                TRACE.to_owned(),
                SPAN.to_owned()
            ),
            (
                "http_requests_total".to_owned(),
                TRACE.to_owned(),
                SPAN.to_owned()
            ),
        ],
        "{}",
        prometheus.log()
    );
}
