//! The README's axum lines, exactly, on the process-wide default metrics: one crate, one
//! line for the layer and one for `/metrics`. (A file of its own: the default is per
//! process.)

use axum::body::Body;
use axum::extract::Path;
use axum::routing::get;
use axum::Router;
use http_body_util::BodyExt;
use tests::Exposition;
use tower::ServiceExt;
use tower_metrics::{metrics_handler, ConfigError, HttpMetrics, MetricsLayer};

async fn get_user(Path(user_id): Path<String>) -> String {
    user_id
}

async fn fetch(app: &Router, uri: &str) -> (u16, String) {
    let request = http::Request::get(uri).body(Body::empty()).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn the_readme_lines_serve_the_three_http_metrics() {
    let app = Router::new()
        .route("/api/users/{user_id}", get(get_user))
        .route("/metrics", metrics_handler())
        .layer(MetricsLayer::new());

    assert_eq!(fetch(&app, "/api/users/7").await, (200, "7".to_owned()));
    assert_eq!(fetch(&app, "/nowhere").await.0, 404);
    let (status, text) = fetch(&app, "/metrics").await;
    assert_eq!(status, 200);
    let m = Exposition::parse(&text);
    let labels = [
        ("method", "GET"),
        ("route", "/api/users/{user_id}"),
        ("status", "200"),
    ];
    assert_eq!(m.get("http_requests_total", &labels), Some(1.0), "{text}");
    let count = m.get("http_request_duration_seconds_count", &labels);
    assert_eq!(count, Some(1.0), "{text}");
    let unmatched = [("method", "GET"), ("route", "unmatched"), ("status", "404")];
    assert_eq!(
        m.get("http_requests_total", &unmatched),
        Some(1.0),
        "{text}"
    );
    m.assert_idle(&[("GET", "/api/users/{user_id}"), ("GET", "unmatched")]);
    assert_eq!(m.series("http_requests_total").len(), 2, "{text}");

    // The default exists now: configuring it afterwards is refused, not ignored.
    let late = HttpMetrics::builder().prefix("late").install();
    assert_eq!(late.unwrap_err(), ConfigError::GlobalInUse);
    let (_, text) = fetch(&app, "/metrics").await;
    assert!(!text.contains("late_"), "{text}");
}
