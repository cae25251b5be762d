//! The `/metrics` endpoint.

use bytes::Bytes;
use http::{HeaderMap, Response};
use http_body_util::Full;
use http_metrics_core::adapter::{Scrape, ScrapeRequest};
use http_metrics_core::HttpMetrics;

/// The `/metrics` response for a scraper's request headers: the format negotiated from
/// `Accept`, gzip when `Accept-Encoding` allows it, `401` without the configured bearer
/// token (`400` with more than one `Authorization` header).
///
/// This encodes on the calling thread; [`metrics_handler`](crate::metrics_handler) calls it
/// on a blocking thread, so that encoding a large registry never holds up an async worker.
///
/// ```
/// use http::{header, HeaderMap};
/// use tower_metrics::HttpMetrics;
///
/// let mut headers = HeaderMap::new();
/// headers.insert(header::ACCEPT, "application/openmetrics-text".parse().unwrap());
/// let response = tower_metrics::scrape_response(&HttpMetrics::new(), &headers);
/// assert_eq!(response.status(), 200);
/// assert_eq!(
///     response.headers()[header::CONTENT_TYPE],
///     "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores"
/// );
/// ```
pub fn scrape_response(metrics: &HttpMetrics, headers: &HeaderMap) -> Response<Full<Bytes>> {
    let request = ScrapeRequest::from_headers(
        headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_bytes())),
    );
    into_response(Scrape::respond(metrics, &request))
}

fn into_response(scrape: Scrape) -> Response<Full<Bytes>> {
    scrape.into_http().map(|body| Full::new(Bytes::from(body)))
}

/// The `/metrics` handler of the process-wide default, [`HttpMetrics::global`] (what
/// [`MetricsLayer::new`](crate::MetricsLayer::new) records into), for `Router::route`:
/// answers `GET` and `HEAD`, and encodes on tokio's blocking pool, never on an async worker.
///
/// Mount it at the metrics path, `/metrics` unless configured otherwise
/// ([`metrics_path`](http_metrics_core::HttpMetricsBuilder::metrics_path)): that path is what
/// the layer leaves unrecorded, so scrapes do not change what they read. Before or after the
/// layer, the series are the same. (To record scrapes too, with
/// [`count_metrics_path`](http_metrics_core::HttpMetricsBuilder::count_metrics_path), mount
/// it before the layer: axum wraps only the routes added before a layer.)
///
/// ```
/// use axum::Router;
/// use tower_metrics::{metrics_handler, MetricsLayer};
///
/// let app: Router = Router::new()
///     .route("/metrics", metrics_handler())
///     .layer(MetricsLayer::new());
/// ```
#[cfg(feature = "axum")]
pub fn metrics_handler<S>() -> axum::routing::MethodRouter<S>
where
    S: Clone + Send + Sync + 'static,
{
    metrics_handler_with(HttpMetrics::global())
}

/// [`metrics_handler`] for an explicit [`HttpMetrics`]: what
/// [`MetricsLayer::with_metrics`](crate::MetricsLayer::with_metrics) records into.
///
/// ```
/// use axum::Router;
/// use tower_metrics::{metrics_handler_with, HttpMetrics, MetricsLayer};
///
/// let metrics = HttpMetrics::new();
/// let app: Router = Router::new()
///     .route(metrics.metrics_path(), metrics_handler_with(&metrics))
///     .layer(MetricsLayer::with_metrics(&metrics));
/// ```
#[cfg(feature = "axum")]
pub fn metrics_handler_with<S>(metrics: &HttpMetrics) -> axum::routing::MethodRouter<S>
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
                    *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
                    response
                }
            }
        }
    };
    axum::routing::get(handler)
}

/// A router with only `GET /metrics` (the metrics path) of the process-wide default: to
/// serve the metrics on a listener of their own, or to merge into an application.
///
/// Merged into an application, before or after its [`MetricsLayer`](crate::MetricsLayer),
/// every request is recorded once. (`Router::merge` replaces the application's default 404
/// fallback with this router's; this router's fallback therefore records 404s itself, and
/// an outer layer over the same metrics leaves them to it.) Its `/metrics` route is like
/// [`metrics_handler`]'s: unrecorded by default; with
/// [`count_metrics_path`](http_metrics_core::HttpMetricsBuilder::count_metrics_path),
/// recorded when merged before the layer, as any route added before a layer is.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// let internal = tokio::net::TcpListener::bind("127.0.0.1:9100").await?;
/// axum::serve(internal, tower_metrics::metrics_router()).await
/// # }
/// ```
#[cfg(feature = "axum")]
pub fn metrics_router<S>() -> axum::Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    metrics_router_with(HttpMetrics::global())
}

/// [`metrics_router`] for an explicit [`HttpMetrics`].
///
/// ```
/// use axum::{routing::get, Router};
/// use tower_metrics::{metrics_router_with, HttpMetrics, MetricsLayer};
///
/// let metrics = HttpMetrics::new();
/// let app: Router = Router::new()
///     .route("/", get(|| async { "home" }))
///     .layer(MetricsLayer::with_metrics(&metrics))
///     .merge(metrics_router_with(&metrics)); // after the layer, 404s are still recorded
/// ```
#[cfg(feature = "axum")]
pub fn metrics_router_with<S>(metrics: &HttpMetrics) -> axum::Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    let recorded_by = crate::mark::RecordedBy(metrics.clone());
    let mark = move |mut response: axum::response::Response| {
        response.extensions_mut().insert(recorded_by.clone());
        response
    };
    // Layered while the router holds only its default fallback, the layers wrap that alone;
    // the route added after them is wrapped only by the application's layer, if at all.
    axum::Router::new()
        .layer(crate::MetricsLayer::with_metrics(metrics))
        .layer(tower::util::MapResponseLayer::new(mark))
        .route(metrics.metrics_path(), metrics_handler_with(metrics))
}
