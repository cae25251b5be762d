//! The `/metrics` endpoint.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, Resource};
use http_metrics_core::adapter::{Scrape, ScrapeRequest};
use http_metrics_core::HttpMetrics;

fn scrape_request(request: &HttpRequest) -> ScrapeRequest {
    ScrapeRequest::from_headers(
        (request.headers().iter()).map(|(name, value)| (name.as_str(), value.as_bytes())),
    )
}

/// The `/metrics` response for a scraper's request: the format negotiated from `Accept`,
/// gzip when `Accept-Encoding` allows it, `401` without the configured bearer token.
///
/// This encodes on the calling thread; [`metrics_service`] calls it on actix-web's blocking
/// pool, so that encoding a large registry never holds up a worker.
///
/// ```
/// use actix_metrics::HttpMetrics;
/// use actix_web::test::TestRequest;
///
/// let request = TestRequest::default().insert_header(("accept", "text/plain")).to_http_request();
/// let response = actix_metrics::scrape_response(&HttpMetrics::new(), &request);
/// assert_eq!(response.status(), 200);
/// assert_eq!(
///     response.headers().get("content-type").unwrap(),
///     "text/plain; version=0.0.4; charset=utf-8"
/// );
/// ```
pub fn scrape_response(metrics: &HttpMetrics, request: &HttpRequest) -> HttpResponse {
    into_response(Scrape::respond(metrics, &scrape_request(request)))
}

fn into_response(scrape: Scrape) -> HttpResponse {
    let status = StatusCode::from_u16(scrape.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    for (name, value) in scrape.headers {
        response.insert_header((name, value));
    }
    response.body(scrape.body)
}

/// A resource serving `GET` and `HEAD` on the metrics path (default `/metrics`) of the
/// process-wide default, [`HttpMetrics::global`]: what [`Metrics::new`](crate::Metrics::new)
/// records into. The exposition is encoded on actix-web's blocking pool: an actix worker is
/// single-threaded, and encoding there would hold up every connection it serves.
///
/// The metrics path is excluded from recording by default, so registering it inside the
/// wrapped `App` does not count scrapes.
///
/// Register it after the application's own routes: actix-web tries resources in the order
/// they were registered, so a `/metrics` registered first is one more failed match for
/// every other request, while after them it costs only the scraper's requests. Either order
/// records the same series. A resource registered before it that matches `/metrics` (a
/// catch-all `/{tail}*`) would take its requests.
///
/// ```
/// use actix_metrics::{metrics_service, Metrics};
/// use actix_web::{web, App, HttpResponse};
///
/// let app = App::new()
///     .wrap(Metrics::new())
///     .route("/api/users/{user_id}", web::get().to(HttpResponse::Ok))
///     .service(metrics_service());
/// ```
pub fn metrics_service() -> Resource {
    metrics_service_with(HttpMetrics::global())
}

/// [`metrics_service`] for an explicit [`HttpMetrics`]: what
/// [`Metrics::with_metrics`](crate::Metrics::with_metrics) records into.
///
/// ```
/// use actix_metrics::{metrics_service_with, HttpMetrics, Metrics};
/// use actix_web::App;
///
/// let metrics = HttpMetrics::new();
/// let app = App::new()
///     .wrap(Metrics::with_metrics(&metrics))
///     .service(metrics_service_with(&metrics));
/// ```
pub fn metrics_service_with(metrics: &HttpMetrics) -> Resource {
    let handle = metrics.clone();
    let handler = move |request: HttpRequest| {
        let metrics = handle.clone();
        let scrape_request = scrape_request(&request);
        async move {
            match web::block(move || Scrape::respond(&metrics, &scrape_request)).await {
                Ok(scrape) => into_response(scrape),
                // The encoding panicked (a broken application metric): answer, don't hang.
                Err(_) => HttpResponse::InternalServerError().body("scrape failed\n"),
            }
        }
    };
    web::resource(metrics.metrics_path())
        .route(web::get().to(handler.clone()))
        .route(web::head().to(handler))
}
