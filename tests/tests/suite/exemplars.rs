//! Exemplars from the W3C `traceparent` header, on both frameworks, read back by Python's
//! OpenMetrics parser and by a real Prometheus run with `--enable-feature=exemplar-storage`.

use std::collections::BTreeSet;
use std::time::Duration;

use http_metrics_core::{Exemplars, HttpMetrics};
use tests::conformance;
use tests::prometheus::Prometheus;
use tests::servers;

const AXUM_TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const ACTIX_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN: &str = "b7ad6b7169203331";

fn metrics() -> HttpMetrics {
    HttpMetrics::builder()
        .exclude_route("/health")
        .exemplars(Exemplars::traceparent())
        .build()
        .unwrap()
}

async fn send(client: &reqwest::Client, base: &str, traceparent: &str) {
    let response = client
        .get(format!("{base}/api/users/7"))
        .header("traceparent", traceparent)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trace_ids_sent_are_the_exemplars_prometheus_stores() {
    let client = reqwest::Client::new();
    let axum_metrics = metrics();
    let axum = servers::axum(conformance::axum_app(&axum_metrics)).await;
    let actix_metrics = metrics();
    let actix = servers::actix(&actix_metrics, 1, conformance::actix_app);
    for (base, trace) in [(&axum.base, AXUM_TRACE), (&actix.base, ACTIX_TRACE)] {
        send(&client, base, &format!("00-{trace}-{SPAN}-01")).await;
        // Malformed: counted, with no exemplar, and the good one stays.
        send(&client, base, "00-zzzz-not-a-trace").await;
    }

    // Both frameworks expose the same exemplar where the same request landed, and Python's
    // OpenMetrics parser reads it back exactly.
    for (base, trace) in [(&axum.base, AXUM_TRACE), (&actix.base, ACTIX_TRACE)] {
        let openmetrics = "application/openmetrics-text; version=1.0.0";
        let text = conformance::fetch_text(&client, &format!("{base}/metrics"), openmetrics).await;
        let parsed =
            tests::python_parse(&text, "openmetrics").unwrap_or_else(|e| panic!("{e}\n{text}"));
        let mut exemplars = Vec::new();
        for family in parsed["families"].as_array().unwrap() {
            for sample in family["samples"].as_array().unwrap() {
                if let Some(exemplar) = sample["exemplar"].as_object() {
                    exemplars.push((
                        sample["name"].as_str().unwrap().to_owned(),
                        sample["labels"]["route"].as_str().unwrap().to_owned(),
                        exemplar["labels"]["trace_id"].as_str().unwrap().to_owned(),
                        exemplar["labels"]["span_id"].as_str().unwrap().to_owned(),
                    ));
                }
            }
        }
        let route = "/api/users/{user_id}".to_owned();
        let names: BTreeSet<&str> = exemplars.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            names,
            BTreeSet::from([
                "http_request_duration_seconds_bucket",
                "http_requests_total"
            ]),
            "{text}"
        );
        for (_, series_route, trace_id, span_id) in &exemplars {
            assert_eq!(
                (series_route, trace_id.as_str(), span_id.as_str()),
                (&route, trace, SPAN)
            );
        }
        // The Prometheus text format has none.
        let plain = client.get(format!("{base}/metrics")).send().await.unwrap();
        assert!(!plain.text().await.unwrap().contains("trace_id"));
    }

    let targets = [
        ("axum", axum.base.trim_start_matches("http://")),
        ("actix", actix.base.trim_start_matches("http://")),
    ];
    let prometheus = Prometheus::start_with_exemplars(&targets).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let stored = loop {
        let stored: BTreeSet<(String, String, String)> = prometheus
            .exemplars("http_request_duration_seconds_bucket")
            .await
            .into_iter()
            .map(|(series, exemplar)| {
                (
                    series["job"].as_str().unwrap().to_owned(),
                    exemplar["trace_id"].as_str().unwrap().to_owned(),
                    exemplar["span_id"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        if stored.len() >= 2 || tokio::time::Instant::now() > deadline {
            break stored;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        stored,
        BTreeSet::from([
            ("actix".to_owned(), ACTIX_TRACE.to_owned(), SPAN.to_owned()),
            ("axum".to_owned(), AXUM_TRACE.to_owned(), SPAN.to_owned()),
        ]),
        "{}",
        prometheus.targets().await
    );
    // Both requests of each framework are counted, the malformed one too.
    for job in ["axum", "actix"] {
        let count = prometheus
            .value(&format!(
                "sum(http_requests_total{{job=\"{job}\",route=\"/api/users/{{user_id}}\"}})"
            ))
            .await;
        assert_eq!(count, Some(2.0), "{job}");
    }
}
