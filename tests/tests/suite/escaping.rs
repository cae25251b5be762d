//! Hostile label values and help texts survive every reader: our strict parser, Python's
//! prometheus_client (both formats) and promtool.

use axum::routing::get;
use http_metrics_core::prometheus_client::metrics::counter::Counter;
use http_metrics_core::prometheus_client::metrics::family::Family;
use http_metrics_core::HttpMetrics;
use serde_json::Value;
use tests::{servers, Exposition};

const VALUES: [&str; 10] = [
    "quote \" here",
    "back\\slash",
    "new\nline",
    "ünïcödé ✓ 日本",
    "} # {",
    "",
    "trailing\\",
    "\\n is not a newline",
    "tab\there",
    "a=\"b\",c=\"d\"",
];
const HELP: &str = "Help with \"quotes\", a back\\slash,\na newline and ünïcode ✓";
const REGION: &str = "eu \"west\"\n\\";

fn app(metrics: &HttpMetrics) -> axum::Router {
    axum::Router::new()
        .route("/ok", get(|| async { "ok" }))
        .merge(tower_metrics::metrics_router_with(metrics))
        .layer(tower_metrics::MetricsLayer::with_metrics(metrics))
}

fn python_samples(parsed: &Value, family: &str) -> Vec<(Value, f64)> {
    let families = parsed["families"].as_array().unwrap();
    let family = families
        .iter()
        .find(|f| f["name"] == family)
        .unwrap_or_else(|| panic!("no family {family} in {parsed}"));
    family["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["labels"].clone(), s["value"].as_f64().unwrap_or(f64::NAN)))
        .collect()
}

fn python_help(parsed: &Value, family: &str) -> String {
    let families = parsed["families"].as_array().unwrap();
    let family = families.iter().find(|f| f["name"] == family).unwrap();
    family["help"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn hostile_labels_and_help_round_trip_through_every_reader() {
    let metrics = HttpMetrics::builder()
        .const_label("region", REGION)
        .build()
        .unwrap();
    let events: Family<Vec<(String, String)>, Counter> = Family::default();
    metrics
        .register("tricky_events", HELP, events.clone())
        .unwrap();
    for (i, value) in VALUES.iter().enumerate() {
        events
            .get_or_create(&vec![("value".to_owned(), (*value).to_owned())])
            .inc_by(i as u64 + 1);
    }
    // A capped family past its cap: the overflow series must be as readable as any other.
    let capped: http_metrics_core::CappedFamily<Vec<(String, String)>, Counter> =
        http_metrics_core::CappedFamily::new(1);
    metrics
        .register_capped("capped_events", "Capped", &capped)
        .unwrap();
    for user in ["a", "b", "c"] {
        capped
            .get_or_create(&vec![("user".to_owned(), user.to_owned())])
            .inc();
    }
    let server = servers::axum(app(&metrics)).await;
    let client = reqwest::Client::new();
    assert_eq!(
        client.get(server.url("/ok")).send().await.unwrap().status(),
        200
    );

    for (format, accept) in [
        ("prometheus", "text/plain"),
        ("openmetrics", "application/openmetrics-text"),
    ] {
        let text = tests::conformance::fetch_text(&client, &server.url("/metrics"), accept).await;
        let ours = Exposition::parse(&text);
        let python = tests::python_parse(&text, format).unwrap_or_else(|e| {
            panic!("prometheus_client rejected the {format} output: {e}\n{text}")
        });

        let samples = python_samples(&python, "tricky_events");
        assert_eq!(samples.len(), VALUES.len(), "{format}");
        for (i, value) in VALUES.iter().enumerate() {
            let expected = i as f64 + 1.0;
            assert_eq!(
                ours.get("tricky_events_total", &[("value", value)]),
                Some(expected),
                "{format} {value:?}"
            );
            let labels = serde_json::json!({ "value": value });
            assert!(
                samples.contains(&(labels, expected)),
                "{format}: python lost {value:?}: {samples:?}"
            );
        }
        assert_eq!(
            python_help(&python, "tricky_events"),
            format!("{HELP}."),
            "{format}"
        );
        let capped = python_samples(&python, "capped_events");
        assert!(
            capped.contains(&(serde_json::json!({"user": "a"}), 1.0)),
            "{format}: {capped:?}"
        );
        let overflow = serde_json::json!({"otel_metric_overflow": "true"});
        assert!(capped.contains(&(overflow, 2.0)), "{format}: {capped:?}");
        let folded = python_samples(&python, "metrics_series_folded");
        let expected = (serde_json::json!({"metric": "capped_events"}), 2.0);
        assert!(folded.contains(&expected), "{format}: {folded:?}");

        let http = python_samples(&python, "http_requests");
        let expected =
            serde_json::json!({"region": REGION, "method": "GET", "route": "/ok", "status": "200"});
        assert!(http.contains(&(expected, 1.0)), "{format}: {http:?}");
        let labels = [
            ("region", REGION),
            ("method", "GET"),
            ("route", "/ok"),
            ("status", "200"),
        ];
        assert_eq!(
            ours.get("http_requests_total", &labels),
            Some(1.0),
            "{format}"
        );

        if format == "prometheus" {
            if let Err(report) = tests::promtool_check(&text) {
                panic!("promtool rejected the output:\n{report}\n---\n{text}");
            }
        }
    }
}
