use http_metrics_core::HttpMetrics;
use tower_layer::Layer;

use crate::Metrics;

/// Records golden-signal metrics for every request of the services it wraps.
///
/// With axum, add it with `Router::layer` *after* the routes, so that it wraps each route
/// (and the fallback) and sees the route template; see the crate docs for why a layer around
/// the whole router cannot.
///
/// ```
/// use axum::{routing::get, Router};
/// use http_metrics_core::HttpMetrics;
/// use tower_metrics::MetricsLayer;
///
/// let metrics = HttpMetrics::new();
/// let app: Router = Router::new()
///     .route("/api/users/{user_id}", get(|| async { "user" }))
///     .layer(MetricsLayer::new(&metrics));
/// ```
#[derive(Clone, Debug)]
pub struct MetricsLayer {
    metrics: HttpMetrics,
}

impl MetricsLayer {
    /// A layer recording into `metrics`.
    pub fn new(metrics: &HttpMetrics) -> Self {
        Self {
            metrics: metrics.clone(),
        }
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
