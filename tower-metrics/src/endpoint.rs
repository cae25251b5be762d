//! The `/metrics` endpoint.

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Response, StatusCode};
use http_body_util::Full;
use http_metrics_core::{HttpMetrics, Scrape, ScrapeRequest};

/// The `/metrics` response for a scraper's request headers: the format negotiated from
/// `Accept`, gzip when `Accept-Encoding` allows it, `401` without the configured bearer
/// token.
///
/// This encodes on the calling thread; [`metrics_router`](crate::metrics_router) calls it on
/// a blocking thread, so that encoding a large registry never holds up an async worker.
///
/// ```
/// use http::{header, HeaderMap};
/// use http_metrics_core::HttpMetrics;
///
/// let mut headers = HeaderMap::new();
/// headers.insert(header::ACCEPT, "application/openmetrics-text".parse().unwrap());
/// let response = tower_metrics::scrape_response(&HttpMetrics::new(), &headers);
/// assert_eq!(response.status(), 200);
/// assert_eq!(
///     response.headers()[header::CONTENT_TYPE],
///     "application/openmetrics-text; version=1.0.0; charset=utf-8"
/// );
/// ```
pub fn scrape_response(metrics: &HttpMetrics, headers: &HeaderMap) -> Response<Full<Bytes>> {
    let request =
        ScrapeRequest::from_headers(|name| headers.get(name).and_then(|v| v.to_str().ok()));
    into_response(metrics.scrape(&request))
}

fn into_response(scrape: Scrape) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(scrape.body)));
    *response.status_mut() =
        StatusCode::from_u16(scrape.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in scrape.headers {
        response.headers_mut().insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    response
}

/// A router serving `GET` (and `HEAD`) on the metrics path (default `/metrics`). The
/// exposition is encoded on tokio's blocking pool, never on an async worker.
///
/// Merge it *before* adding [`MetricsLayer`](crate::MetricsLayer) (see the crate docs); the
/// metrics path is excluded from recording unless
/// [`count_metrics_path`](http_metrics_core::HttpMetricsBuilder::count_metrics_path) is set.
///
/// ```
/// use axum::Router;
/// use http_metrics_core::HttpMetrics;
/// use tower_metrics::{metrics_router, MetricsLayer};
///
/// let metrics = HttpMetrics::new();
/// let app: Router = Router::new()
///     .merge(metrics_router(&metrics))
///     .layer(MetricsLayer::new(&metrics));
/// ```
#[cfg(feature = "axum")]
pub fn metrics_router<S>(metrics: &HttpMetrics) -> axum::Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let handle = metrics.clone();
    let handler = move |headers: HeaderMap| {
        let metrics = handle.clone();
        async move {
            let scrape = tokio::task::spawn_blocking(move || scrape_response(&metrics, &headers));
            match scrape.await {
                Ok(response) => response.map(axum::body::Body::new),
                // The encoding panicked (a broken application metric): answer, don't hang.
                Err(_) => {
                    let mut response = Response::new(axum::body::Body::from("scrape failed\n"));
                    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                    response
                }
            }
        }
    };
    axum::Router::new().route(metrics.metrics_path(), axum::routing::get(handler))
}
