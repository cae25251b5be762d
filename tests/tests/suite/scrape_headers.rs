//! `/metrics` reads its request headers as RFC 9110 says, on both frameworks alike: repeated
//! `Accept` and `Accept-Encoding` lines are one list, and `Authorization` is a single value,
//! so a request carrying it twice is refused whichever line would match.

use axum::body::Body;
use http_body_util::BodyExt;
use http_metrics_core::HttpMetrics;
use tower::ServiceExt;

/// (status, content type, content encoding) of a scrape with these header lines, from axum
/// and from actix-web.
async fn scrape(metrics: &HttpMetrics, headers: &[(&str, &str)]) -> [(u16, String, String); 2] {
    let axum_app: axum::Router = axum::Router::new()
        .route("/metrics", tower_metrics::metrics_handler_with(metrics))
        .layer(tower_metrics::MetricsLayer::with_metrics(metrics));
    let mut request = http::Request::get("/metrics");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = axum_app
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let header = |name: &str| {
        let value = response.headers().get(name);
        value.map_or(String::new(), |v| v.to_str().unwrap().to_owned())
    };
    let axum = (
        response.status().as_u16(),
        header("content-type"),
        header("content-encoding"),
    );
    response.into_body().collect().await.unwrap();

    let actix_app = actix_web::test::init_service(
        actix_web::App::new()
            .wrap(actix_metrics::Metrics::with_metrics(metrics))
            .service(actix_metrics::metrics_service_with(metrics)),
    )
    .await;
    let mut request = actix_web::test::TestRequest::get().uri("/metrics");
    for (name, value) in headers {
        request = request.append_header((*name, *value));
    }
    let response = actix_web::test::call_service(&actix_app, request.to_request()).await;
    let header = |name: &str| {
        let value = response.headers().get(name);
        value.map_or(String::new(), |v| v.to_str().unwrap().to_owned())
    };
    let actix = (
        response.status().as_u16(),
        header("content-type"),
        header("content-encoding"),
    );
    [axum, actix]
}

const TEXT: &str = "text/plain; charset=utf-8";
const PROMETHEUS: &str = "text/plain; version=0.0.4; charset=utf-8";
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[actix_web::test]
async fn more_than_one_authorization_line_is_refused_in_either_order() {
    let metrics = HttpMetrics::builder()
        .bearer_token("secret")
        .build()
        .unwrap();
    let refused = (400, TEXT.to_owned(), String::new());
    let pairs = [
        [
            ("authorization", "Bearer wrong"),
            ("authorization", "Bearer secret"),
        ],
        [
            ("authorization", "Bearer secret"),
            ("authorization", "Bearer wrong"),
        ],
        [
            ("authorization", "Bearer secret"),
            ("authorization", "Bearer secret"),
        ],
    ];
    for headers in pairs {
        let answers = scrape(&metrics, &headers).await;
        assert_eq!(answers, [refused.clone(), refused.clone()], "{headers:?}");
    }
    let one = scrape(&metrics, &[("authorization", "Bearer secret")]).await;
    let admitted = (200, PROMETHEUS.to_owned(), String::new());
    assert_eq!(one, [admitted.clone(), admitted]);
    let wrong = scrape(&metrics, &[("authorization", "Bearer wrong")]).await;
    let unauthorized = (401, TEXT.to_owned(), String::new());
    assert_eq!(wrong, [unauthorized.clone(), unauthorized.clone()]);
    assert_eq!(
        scrape(&metrics, &[]).await,
        [unauthorized.clone(), unauthorized]
    );
}

#[actix_web::test]
async fn repeated_accept_and_accept_encoding_lines_are_one_list() {
    let metrics = HttpMetrics::new();
    // OpenMetrics is listed only on the second `Accept` line, gzip only on the second
    // `Accept-Encoding` line: read as one list each, both apply.
    let headers = [
        ("accept", "text/plain;version=0.0.4;q=0.5"),
        ("accept", "application/openmetrics-text;version=1.0.0"),
        ("accept-encoding", "identity"),
        ("accept-encoding", "gzip"),
    ];
    let both = (200, OPENMETRICS.to_owned(), "gzip".to_owned());
    assert_eq!(scrape(&metrics, &headers).await, [both.clone(), both]);
    // The first line alone chooses the classic format, uncompressed.
    let first = scrape(&metrics, &headers[..1]).await;
    let classic = (200, PROMETHEUS.to_owned(), String::new());
    assert_eq!(first, [classic.clone(), classic]);
}
