use http_metrics_core::HttpMetrics;
use tower_layer::Layer;

use crate::Metrics;

/// Records golden-signal metrics for every request of the services it wraps.
///
/// [`MetricsLayer::new`] records into the process-wide default ([`HttpMetrics::global`]),
/// which [`metrics_handler`](crate::metrics_handler) serves; [`MetricsLayer::with_metrics`]
/// into an explicit [`HttpMetrics`] (tests, several registries, libraries).
///
/// With axum, add it with `Router::layer` after the application's routes, as every axum
/// layer: it then wraps each route and the fallback, and sees the route template. Where
/// `/metrics` is mounted, before or after it, does not matter.
///
/// ```
/// use axum::{routing::get, Router};
/// use tower_metrics::{metrics_handler, MetricsLayer};
///
/// let app: Router = Router::new()
///     .route("/api/users/{user_id}", get(|| async { "user" }))
///     .route("/metrics", metrics_handler())
///     .layer(MetricsLayer::new());
/// ```
#[derive(Clone, Debug)]
pub struct MetricsLayer {
    metrics: HttpMetrics,
}

impl MetricsLayer {
    /// A layer recording into the process-wide default, [`HttpMetrics::global`].
    pub fn new() -> Self {
        Self::with_metrics(HttpMetrics::global())
    }

    /// A layer recording into `metrics`.
    ///
    /// ```
    /// use axum::Router;
    /// use tower_metrics::{metrics_handler_with, HttpMetrics, MetricsLayer};
    ///
    /// let metrics = HttpMetrics::builder().prefix("shop").build().unwrap();
    /// let app: Router = Router::new()
    ///     .route("/metrics", metrics_handler_with(&metrics))
    ///     .layer(MetricsLayer::with_metrics(&metrics));
    /// ```
    pub fn with_metrics(metrics: &HttpMetrics) -> Self {
        Self {
            metrics: metrics.clone(),
        }
    }
}

impl Default for MetricsLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl<S> Layer<S> for MetricsLayer {
    type Service = Metrics<S>;

    fn layer(&self, inner: S) -> Self::Service {
        // axum calls `layer` once per route, so each route's service gets its own cache and
        // resolves its template without a lookup after the first request.
        Metrics::new(inner, &self.metrics)
    }
}
