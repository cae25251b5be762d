//! The same traffic through axum and actix-web gives the same series and values.

use tests::conformance::{self, EXPECTED_TOTALS, SCRIPT};
use tests::servers;

fn check_expected(framework: &str, m: &tests::Exposition) {
    for (method, route, status, count) in EXPECTED_TOTALS {
        let labels = [("method", *method), ("route", *route), ("status", *status)];
        assert_eq!(
            m.get("http_requests_total", &labels),
            Some(*count),
            "{framework} {labels:?}"
        );
        assert_eq!(
            m.get("http_request_duration_seconds_count", &labels),
            Some(*count),
            "{framework} {labels:?}"
        );
    }
    assert_eq!(
        m.series("http_requests_total").len(),
        EXPECTED_TOTALS.len(),
        "{framework}: no other series (no /health, no /metrics, no raw paths): {:?}",
        m.series("http_requests_total")
    );
    // Every route that was requested has its in-flight series, back at 0.
    let idle: Vec<(&str, &str)> = EXPECTED_TOTALS.iter().map(|(m, r, ..)| (*m, *r)).collect();
    m.assert_idle(&idle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_and_actix_record_the_same_series() {
    let client = reqwest::Client::new();
    let axum_metrics = conformance::metrics();
    let axum = servers::axum(conformance::axum_app(&axum_metrics)).await;
    let actix_metrics = conformance::metrics();
    let actix = servers::actix(&actix_metrics, 1, conformance::actix_app);

    conformance::run(&client, &axum.base, SCRIPT).await;
    conformance::run(&client, &actix.base, SCRIPT).await;

    let [(_, axum_m), (_, actix_m)] =
        conformance::scrape_alike(&client, &axum.base, &actix.base).await;
    check_expected("axum", &axum_m);
    check_expected("actix", &actix_m);
}
