//! The `/metrics` endpoint.

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Response, StatusCode};
use http_body_util::Full;
use http_metrics_core::{HttpMetrics, ScrapeRequest};

/// The `/metrics` response for a scraper's request headers: the format negotiated from
/// `Accept`, gzip when `Accept-Encoding` allows it.
///
/// Use it to serve the exposition from any tower or hyper service; with axum,
/// [`metrics_router`](crate::metrics_router) mounts it for you.
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
    let scrape = metrics.scrape(&request);
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

/// A router serving `GET` (and `HEAD`) on the metrics path (default `/metrics`).
///
/// Merge it *after* adding [`MetricsLayer`](crate::MetricsLayer) so that scrapes are not
/// wrapped by it; if it is wrapped, the metrics path is excluded from recording anyway unless
/// [`count_metrics_path`](http_metrics_core::HttpMetricsBuilder::count_metrics_path) is set.
///
/// ```
/// use axum::Router;
/// use http_metrics_core::HttpMetrics;
/// use tower_metrics::{metrics_router, MetricsLayer};
///
/// let metrics = HttpMetrics::new();
/// let app: Router = Router::new()
///     .layer(MetricsLayer::new(&metrics))
///     .merge(metrics_router(&metrics));
/// ```
#[cfg(feature = "axum")]
pub fn metrics_router<S>(metrics: &HttpMetrics) -> axum::Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let handle = metrics.clone();
    let handler = move |headers: HeaderMap| {
        let response = scrape_response(&handle, &headers);
        std::future::ready(response.map(axum::body::Body::new))
    };
    axum::Router::new().route(metrics.metrics_path(), axum::routing::get(handler))
}
