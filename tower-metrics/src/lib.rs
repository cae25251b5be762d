#![cfg_attr(feature = "axum", doc = include_str!("../README.md"))]
#![cfg_attr(
    not(feature = "axum"),
    doc = "Golden-signal HTTP metrics for tower services. Enable the `axum` feature for axum's \
           route templates and the `/metrics` router; the README shows both."
)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

mod body;
mod endpoint;
mod future;
mod layer;
mod route;
mod service;

pub use body::ResponseBody;
#[cfg(feature = "axum")]
pub use endpoint::metrics_router;
pub use endpoint::scrape_response;
pub use future::ResponseFuture;
pub use http_metrics_core::{HttpMetrics, HttpMetricsBuilder};
pub use layer::MetricsLayer;
pub use service::Metrics;

/// A route template set by a router other than axum's, for tower services that route
/// themselves: insert it into the request's extensions before [`Metrics`] sees the request.
///
/// With the `axum` feature, axum's `MatchedPath` is used and takes precedence.
///
/// ```
/// use tower_metrics::RouteTemplate;
///
/// let mut request = http::Request::new(());
/// request.extensions_mut().insert(RouteTemplate("/api/users/{user_id}"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteTemplate(pub &'static str);
