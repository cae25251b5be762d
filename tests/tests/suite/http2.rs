//! Over HTTP/2 (h2c, prior knowledge) both frameworks record what they record over HTTP/1.1,
//! and a stream the client resets mid-response (`RST_STREAM`) is recorded once, with the
//! in-flight gauge back at 0.

use tests::conformance::{self, check_expected, SCRIPT};
use tests::servers::{self, Server};

fn h2_client() -> reqwest::Client {
    reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("an HTTP/2 client")
}

async fn both() -> (Server, Server) {
    let axum_metrics = conformance::metrics();
    let axum = servers::axum(conformance::axum_app(&axum_metrics)).await;
    let actix_metrics = conformance::metrics();
    let actix = servers::actix(&actix_metrics, 1, conformance::actix_app);
    (axum, actix)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_conformance_script_over_http2_records_the_same_series() {
    let client = h2_client();
    let (axum, actix) = both().await;
    for server in [&axum, &actix] {
        let response = client.get(server.url("/api/users/1")).send().await.unwrap();
        assert_eq!(
            response.version(),
            reqwest::Version::HTTP_2,
            "{}",
            server.base
        );
        response.bytes().await.unwrap();
    }
    // The script's first request was just sent: send the rest.
    conformance::run(&client, &axum.base, &SCRIPT[1..]).await;
    conformance::run(&client, &actix.base, &SCRIPT[1..]).await;
    let [(_, axum_m), (_, actix_m)] =
        conformance::scrape_alike(&client, &axum.base, &actix.base).await;
    check_expected("axum", &axum_m);
    check_expected("actix", &actix_m);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_reset_mid_response_is_recorded_once_and_leaves_in_flight() {
    let client = h2_client();
    let (axum, actix) = both().await;
    let stream = [("method", "GET"), ("route", "/stream"), ("status", "200")];
    for (framework, server) in [("axum", &axum), ("actix", &actix)] {
        let mut response = client.get(server.url("/stream")).send().await.unwrap();
        assert_eq!(response.version(), reqwest::Version::HTTP_2);
        let first = response.chunk().await.unwrap().expect("a first chunk");
        assert!(!first.is_empty());
        // Dropping the unfinished response resets its stream (RST_STREAM, CANCEL); the
        // connection stays open for the scrapes below.
        drop(response);
        let mut recorded = None;
        for _ in 0..600 {
            let (_, m) = conformance::scrape(&client, &server.base).await;
            if m.get("http_requests_total", &stream) == Some(1.0) {
                recorded = Some(m);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let m =
            recorded.unwrap_or_else(|| panic!("{framework}: the reset stream was never recorded"));
        assert_eq!(
            m.get(
                "http_requests_in_flight",
                &[("method", "GET"), ("route", "/stream")]
            ),
            Some(0.0),
            "{framework}"
        );
        assert_eq!(
            m.series("http_requests_total").len(),
            1,
            "{framework}: recorded once, under its status: {:?}",
            m.series("http_requests_total")
        );
    }
}
