//! One application, written for both frameworks, and one script of traffic to send to it.
//!
//! The conformance tests serve [`axum_app`] and [`actix_app`] on loopback, send both the
//! same [`SCRIPT`], and require the same series with the same values (durations aside).

use std::convert::Infallible;

use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{web, App, HttpResponse};
use axum::http::StatusCode;
use axum::routing::{get, post};
use bytes::Bytes;
use http_metrics_core::HttpMetrics;

use crate::{Exposition, Labels};

/// Chunks of the streamed response.
pub const STREAM_CHUNKS: usize = 256;
/// Bytes per chunk of the streamed response.
pub const STREAM_CHUNK_BYTES: usize = 4096;

/// Metrics as the conformance apps use them: `/health` excluded, defaults otherwise.
pub fn metrics() -> HttpMetrics {
    HttpMetrics::builder()
        .exclude_route("/health")
        .build()
        .expect("valid options")
}

fn chunks() -> impl futures_util::Stream<Item = Result<Bytes, Infallible>> {
    futures_util::stream::iter(
        (0..STREAM_CHUNKS)
            .map(|i| Ok(Bytes::from(vec![b'a' + (i % 26) as u8; STREAM_CHUNK_BYTES]))),
    )
}

/// The application on axum, with `MetricsLayer` and `/metrics`.
pub fn axum_app(metrics: &HttpMetrics) -> axum::Router {
    use axum::extract::Path;
    let v2 = axum::Router::new().route("/orders/{order_id}", get(|| async { "order" }));
    axum::Router::new()
        .route(
            "/api/users/{user_id}",
            get(|Path(id): Path<String>| async move {
                if id == "missing" {
                    Err((StatusCode::NOT_FOUND, "no such user"))
                } else {
                    Ok(id)
                }
            }),
        )
        .route(
            "/api/users",
            post(|body: Bytes| async move { (StatusCode::CREATED, body.len().to_string()) }),
        )
        .route(
            "/fail",
            get(|| async { Err::<&str, _>((StatusCode::INTERNAL_SERVER_ERROR, "boom")) }),
        )
        .route("/bad", get(|| async { (StatusCode::BAD_REQUEST, "bad") }))
        .route("/health", get(|| async { "ok" }))
        .route("/empty", get(|| async { StatusCode::NO_CONTENT }))
        .route(
            "/stream",
            get(|| async { axum::body::Body::from_stream(chunks()) }),
        )
        .nest("/api/v2", v2)
        .merge(tower_metrics::metrics_router_with(metrics))
        .layer(tower_metrics::MetricsLayer::with_metrics(metrics))
}

/// The application on actix-web, wrapped in `Metrics`, with `/metrics`.
pub fn actix_app(
    metrics: &HttpMetrics,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .wrap(actix_metrics::Metrics::with_metrics(metrics))
        .service(actix_metrics::metrics_service_with(metrics))
        // `web::resource` answers a wrong method with 405 on the resource, as axum does;
        // `App::route` would guard the resource itself and answer 404 (see the README).
        .service(web::resource("/api/users/{user_id}").route(web::get().to(
            |id: web::Path<String>| async move {
                if id.as_str() == "missing" {
                    Err(actix_web::error::ErrorNotFound("no such user"))
                } else {
                    Ok(id.into_inner())
                }
            },
        )))
        .service(web::resource("/api/users").route(
            web::post().to(|body: Bytes| async move {
                HttpResponse::Created().body(body.len().to_string())
            }),
        ))
        .route(
            "/fail",
            web::get().to(|| async {
                Err::<HttpResponse, _>(actix_web::error::ErrorInternalServerError("boom"))
            }),
        )
        .route(
            "/bad",
            web::get().to(|| async { HttpResponse::BadRequest().body("bad") }),
        )
        .route("/health", web::get().to(|| async { "ok" }))
        .route("/empty", web::get().to(HttpResponse::NoContent))
        .route(
            "/stream",
            web::get().to(|| async { HttpResponse::Ok().streaming(chunks()) }),
        )
        .service(
            web::scope("/api/v2").route("/orders/{order_id}", web::get().to(|| async { "order" })),
        )
}

/// One scripted request: method, path, body, and the status both frameworks answer.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    /// Request method (any token).
    pub method: &'static str,
    /// Request path.
    pub path: &'static str,
    /// Request body.
    pub body: &'static str,
    /// Expected response status.
    pub status: u16,
}

const fn step(method: &'static str, path: &'static str, status: u16) -> Step {
    Step {
        method,
        path,
        body: "",
        status,
    }
}

/// The traffic both apps receive.
pub const SCRIPT: &[Step] = &[
    step("GET", "/api/users/1", 200),
    step("GET", "/api/users/2", 200),
    step("GET", "/api/users/alice", 200),
    step("GET", "/api/users/missing", 404),
    Step {
        method: "POST",
        path: "/api/users",
        body: "{\"name\":\"Ada\"}",
        status: 201,
    },
    step("GET", "/api/v2/orders/9", 200),
    step("GET", "/nope", 404),
    step("GET", "/api/v2/nothing", 404),
    step("GET", "/api/users/1/extra", 404),
    step("DELETE", "/api/users/1", 405),
    step("BREW", "/api/users/1", 405),
    step("BREW", "/nowhere", 404),
    step("GET", "/fail", 500),
    step("GET", "/bad", 400),
    step("GET", "/health", 200),
    step("GET", "/empty", 204),
    step("GET", "/stream", 200),
    step("GET", "/metrics", 200),
];

/// `http_requests_total` after [`SCRIPT`]: (method, route, status, count).
pub const EXPECTED_TOTALS: &[(&str, &str, &str, f64)] = &[
    ("GET", "/api/users/{user_id}", "200", 3.0),
    ("GET", "/api/users/{user_id}", "404", 1.0),
    ("POST", "/api/users", "201", 1.0),
    ("GET", "/api/v2/orders/{order_id}", "200", 1.0),
    ("GET", "unmatched", "404", 3.0),
    ("DELETE", "/api/users/{user_id}", "405", 1.0),
    ("_OTHER", "/api/users/{user_id}", "405", 1.0),
    ("_OTHER", "unmatched", "404", 1.0),
    ("GET", "/fail", "500", 1.0),
    ("GET", "/bad", "400", 1.0),
    ("GET", "/empty", "204", 1.0),
    ("GET", "/stream", "200", 1.0),
];

/// Checks an exposition after [`SCRIPT`]: exactly the series of [`EXPECTED_TOTALS`] in the
/// counter and the histogram's `_count`, every in-flight series back at 0.
pub fn check_expected(framework: &str, m: &Exposition) {
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

/// Sends `steps` to `base` in order, checking each status, and reads every body to its end.
pub async fn run(client: &reqwest::Client, base: &str, steps: &[Step]) {
    for step in steps {
        let method = reqwest::Method::from_bytes(step.method.as_bytes()).expect("method token");
        let response = client
            .request(method, format!("{base}{}", step.path))
            .body(step.body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{step:?}: {e}"));
        assert_eq!(response.status().as_u16(), step.status, "{base} {step:?}");
        let body = response.bytes().await.expect("body");
        if step.path == "/stream" {
            assert_eq!(body.len(), STREAM_CHUNKS * STREAM_CHUNK_BYTES);
        }
    }
}

/// The body of `GET url` sent with `Accept: accept`: an exposition in the format asked for.
pub async fn fetch_text(client: &reqwest::Client, url: &str, accept: &str) -> String {
    client
        .get(url)
        .header("accept", accept)
        .send()
        .await
        .expect("scrape")
        .text()
        .await
        .expect("scrape body")
}

/// Scrapes `base` in the Prometheus text format.
pub async fn scrape(client: &reqwest::Client, base: &str) -> (String, Exposition) {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("scrape")
        .text()
        .await
        .expect("scrape body");
    let parsed = Exposition::parse(&text);
    (text, parsed)
}

/// Scrapes both servers and requires the same series with the same values (durations
/// aside, see [`comparable`]): each one's exposition text and parse, axum's first.
pub async fn scrape_alike(
    client: &reqwest::Client,
    axum_base: &str,
    actix_base: &str,
) -> [(String, Exposition); 2] {
    let (axum_text, axum_m) = scrape(client, axum_base).await;
    let (actix_text, actix_m) = scrape(client, actix_base).await;
    assert_eq!(
        comparable(&axum_m),
        comparable(&actix_m),
        "\n--- axum ---\n{axum_text}\n--- actix ---\n{actix_text}"
    );
    [(axum_text, axum_m), (actix_text, actix_m)]
}

/// Every series of an exposition with the values that do not depend on timing: counters,
/// gauges, histograms' `_count`, and which buckets exist (not their counts, nor `_sum`).
pub fn comparable(exposition: &Exposition) -> Vec<(String, Labels, Option<f64>)> {
    let mut out = Vec::new();
    for (name, samples) in &exposition.samples {
        // Each server's own process figures (CPU, memory) differ by nature.
        if name.starts_with("process_") {
            continue;
        }
        let timing = name.ends_with("_sum") || name.ends_with("_bucket");
        for (labels, value) in samples {
            out.push((name.clone(), labels.clone(), (!timing).then_some(*value)));
        }
    }
    out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    out
}
