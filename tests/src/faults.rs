//! An application that misbehaves on purpose, on both frameworks.

use std::convert::Infallible;
use std::time::Duration;

use actix_web::{web, HttpResponse};
use axum::routing::get;
use bytes::Bytes;
use futures_util::Stream;
use http_metrics_core::HttpMetrics;

/// How long `/hang` takes: longer than any test waits.
pub const HANG: Duration = Duration::from_secs(3600);
/// How long `/slow` takes: long enough for a test to see it in flight first.
pub const SLOW: Duration = Duration::from_secs(2);
/// Chunks `/broken` sends before it fails.
pub const BROKEN_AFTER: usize = 2;

/// Server-sent events, one every 20 ms, forever.
pub fn events() -> impl Stream<Item = Result<Bytes, Infallible>> {
    futures_util::stream::unfold(0u64, |n| async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        Some((Ok(Bytes::from(format!("data: tick {n}\n\n"))), n + 1))
    })
}

/// A body that sends [`BROKEN_AFTER`] chunks 20 ms apart (so the head is on the wire), then
/// fails.
pub fn broken() -> impl Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::unfold(0, |i| async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let item = if i < BROKEN_AFTER {
            Ok(Bytes::from_static(b"partial "))
        } else {
            Err(std::io::Error::other("the upstream went away"))
        };
        (i <= BROKEN_AFTER).then_some((item, i + 1))
    })
}

/// The fault-injection routes on axum, without layers.
pub fn axum_routes() -> axum::Router {
    axum::Router::new()
        .route(
            "/hang",
            get(|| async {
                tokio::time::sleep(HANG).await;
                "late"
            }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(SLOW).await;
                "done"
            }),
        )
        .route(
            "/events",
            get(|| async {
                (
                    [("content-type", "text/event-stream")],
                    axum::body::Body::from_stream(events()),
                )
            }),
        )
        .route(
            "/broken",
            get(|| async { axum::body::Body::from_stream(broken()) }),
        )
        .route("/panic", get(panicking))
}

async fn panicking() -> &'static str {
    panic!("handler bug")
}

/// The fault-injection app on axum.
pub fn axum_app(metrics: &HttpMetrics) -> axum::Router {
    axum_routes()
        .merge(tower_metrics::metrics_router_with(metrics))
        .layer(tower_metrics::MetricsLayer::with_metrics(metrics))
}

/// The fault-injection app on actix-web.
pub fn actix_app(
    metrics: &HttpMetrics,
) -> actix_web::App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let route = |path, handler| web::resource(path).route(handler);
    actix_web::App::new()
        .wrap(actix_metrics::Metrics::with_metrics(metrics))
        .service(actix_metrics::metrics_service_with(metrics))
        .service(route(
            "/hang",
            web::get().to(|| async {
                tokio::time::sleep(HANG).await;
                HttpResponse::Ok().body("late")
            }),
        ))
        .service(route(
            "/slow",
            web::get().to(|| async {
                tokio::time::sleep(SLOW).await;
                HttpResponse::Ok().body("done")
            }),
        ))
        .service(route(
            "/events",
            web::get().to(|| async {
                HttpResponse::Ok()
                    .content_type("text/event-stream")
                    .streaming(events())
            }),
        ))
        .service(route(
            "/broken",
            web::get().to(|| async { HttpResponse::Ok().streaming(broken()) }),
        ))
        .service(route("/panic", web::get().to(panicking)))
}
