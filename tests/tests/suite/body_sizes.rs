//! The body-size histograms count the bytes that crossed each body — chunked request bodies,
//! streamed responses, bodies the handler never read — identically on both frameworks.

use tests::conformance::{self, STREAM_CHUNKS, STREAM_CHUNK_BYTES};
use tests::servers;

fn metrics() -> http_metrics_core::HttpMetrics {
    http_metrics_core::HttpMetrics::builder()
        .body_sizes(true)
        .build()
        .expect("valid options")
}

/// A request body sent in chunks without a `Content-Length`: 4,000 + 4,000 + 2,000 bytes.
fn chunked_body() -> reqwest::Body {
    let chunks = [4000, 4000, 2000].map(|n| Ok::<_, std::io::Error>(vec![b'x'; n]));
    reqwest::Body::wrap_stream(futures_util::stream::iter(chunks))
}

async fn send(client: &reqwest::Client, base: &str) {
    let chunked = client
        .post(format!("{base}/api/users"))
        .body(chunked_body())
        .send()
        .await
        .expect("chunked upload");
    assert_eq!(chunked.status(), 201);
    assert_eq!(
        chunked.text().await.unwrap(),
        "10000",
        "the handler read it all"
    );

    let sized = client
        .post(format!("{base}/api/users"))
        .body("{\"name\":\"Ada\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(sized.status(), 201);
    assert_eq!(sized.text().await.unwrap(), "14");

    let stream = client.get(format!("{base}/stream")).send().await.unwrap();
    assert_eq!(
        stream.bytes().await.unwrap().len(),
        STREAM_CHUNKS * STREAM_CHUNK_BYTES
    );

    let user = client
        .get(format!("{base}/api/users/7"))
        .send()
        .await
        .unwrap();
    assert_eq!(user.text().await.unwrap(), "7");

    let empty = client.get(format!("{base}/empty")).send().await.unwrap();
    assert_eq!(empty.status(), 204);

    // A body no handler reads: the method is not allowed.
    let refused = client
        .delete(format!("{base}/api/users/7"))
        .body("ignored")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 405);
    refused.bytes().await.unwrap();
}

/// (method, route, status, requests, request bytes, response bytes, request `le`s that
/// hold each observation, response `le`s).
type Expected = (
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
    f64,
    &'static [(&'static str, f64)],
    &'static [(&'static str, f64)],
);

const EXPECTED: &[Expected] = &[
    (
        "POST",
        "/api/users",
        "201",
        2.0,
        10_014.0,
        7.0,
        &[("100.0", 1.0), ("1000.0", 1.0), ("10000.0", 2.0)],
        &[("100.0", 2.0)],
    ),
    (
        "GET",
        "/stream",
        "200",
        1.0,
        0.0,
        1_048_576.0,
        &[("100.0", 1.0)],
        &[("1000000.0", 0.0), ("10000000.0", 1.0)],
    ),
    (
        "GET",
        "/api/users/{user_id}",
        "200",
        1.0,
        0.0,
        1.0,
        &[("100.0", 1.0)],
        &[("100.0", 1.0)],
    ),
    (
        "GET",
        "/empty",
        "204",
        1.0,
        0.0,
        0.0,
        &[("100.0", 1.0)],
        &[("100.0", 1.0)],
    ),
    (
        "DELETE",
        "/api/users/{user_id}",
        "405",
        1.0,
        0.0,
        0.0,
        &[("100.0", 1.0)],
        &[("100.0", 1.0)],
    ),
];

fn check(framework: &str, m: &tests::Exposition) {
    for &(method, route, status, requests, req_bytes, resp_bytes, req_le, resp_le) in EXPECTED {
        let labels = [("method", method), ("route", route), ("status", status)];
        let at = |name: &str| m.get(name, &labels);
        assert_eq!(
            at("http_requests_total"),
            Some(requests),
            "{framework} {labels:?}"
        );
        for (family, bytes, les) in [
            ("http_request_size_bytes", req_bytes, req_le),
            ("http_response_size_bytes", resp_bytes, resp_le),
        ] {
            assert_eq!(
                at(&format!("{family}_count")),
                Some(requests),
                "{framework} {family} {labels:?}: one observation per request"
            );
            assert_eq!(
                at(&format!("{family}_sum")),
                Some(bytes),
                "{framework} {family} {labels:?}"
            );
            for &(le, count) in les {
                let bucket = [labels[0], labels[1], labels[2], ("le", le)];
                assert_eq!(
                    m.get(&format!("{family}_bucket"), &bucket),
                    Some(count),
                    "{framework} {family} {bucket:?}"
                );
            }
        }
    }
    assert_eq!(
        m.series("http_request_size_bytes_count").len(),
        EXPECTED.len(),
        "{framework}: {:?}",
        m.series("http_request_size_bytes_count")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sizes_are_the_bytes_that_crossed_each_body_on_both_frameworks() {
    let client = reqwest::Client::new();
    let axum_metrics = metrics();
    let axum = servers::axum(conformance::axum_app(&axum_metrics)).await;
    let actix_metrics = metrics();
    let actix = servers::actix(&actix_metrics, 1, conformance::actix_app);

    send(&client, &axum.base).await;
    send(&client, &actix.base).await;

    let [(axum_text, axum_m), (_, actix_m)] =
        conformance::scrape_alike(&client, &axum.base, &actix.base).await;
    check("axum", &axum_m);
    check("actix", &actix_m);
    assert!(
        axum_text.contains("# TYPE http_request_size_bytes histogram"),
        "{axum_text}"
    );
}

/// A response to `HEAD` carries no body, whatever the handler produced: 0 bytes sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_response_sends_no_body_bytes_on_both_frameworks() {
    use actix_web::{web, App, HttpResponse};
    let client = reqwest::Client::new();
    let axum_metrics = metrics();
    let axum_app = axum::Router::new()
        .route("/page", axum::routing::get(|| async { "x".repeat(5000) }))
        .merge(tower_metrics::metrics_router_with(&axum_metrics))
        .layer(tower_metrics::MetricsLayer::with_metrics(&axum_metrics));
    let axum = servers::axum(axum_app).await;
    let actix_metrics = metrics();
    let actix = servers::actix(&actix_metrics, 1, |m| {
        App::new()
            .wrap(actix_metrics::Metrics::with_metrics(m))
            .service(actix_metrics::metrics_service_with(m))
            .route(
                "/page",
                web::route().to(|| async { HttpResponse::Ok().body("x".repeat(5000)) }),
            )
    });
    for (framework, server) in [("axum", &axum), ("actix", &actix)] {
        for method in [reqwest::Method::GET, reqwest::Method::HEAD] {
            let response = client
                .request(method.clone(), server.url("/page"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{framework} {method}");
            response.bytes().await.unwrap();
        }
        let (text, m) = conformance::scrape(&client, &server.base).await;
        for (method, sent) in [("GET", 5000.0), ("HEAD", 0.0)] {
            let labels = [("method", method), ("route", "/page"), ("status", "200")];
            assert_eq!(
                m.get("http_response_size_bytes_sum", &labels),
                Some(sent),
                "{framework} {method}\n{text}"
            );
            assert_eq!(m.get("http_response_size_bytes_count", &labels), Some(1.0));
        }
    }
}
