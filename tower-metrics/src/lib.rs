#![cfg_attr(feature = "axum", doc = include_str!("../README.md"))]
#![cfg_attr(
    not(feature = "axum"),
    doc = "Golden-signal HTTP metrics for tower services. This build has the default `axum` \
           feature turned off: routes come from the `RouteTemplate` request extension only. \
           The README shows the axum usage."
)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod body;
mod endpoint;
mod future;
mod layer;
mod mark;
mod route;
mod service;

pub use body::ResponseBody;
pub use endpoint::scrape_response;
#[cfg(feature = "axum")]
pub use endpoint::{metrics_handler, metrics_handler_with, metrics_router, metrics_router_with};
pub use future::ResponseFuture;
pub use layer::MetricsLayer;
pub use route::RouteTemplate;
pub use service::Metrics;

// Everything the core offers an application — the builder and its options, `CappedFamily`,
// `Summary`, `Format`, `prometheus_client`, the timers, with their features `#[measured]` and
// the standalone `exporter` — so that an application depends on this crate alone; and the
// core's `adapter` module, for whoever writes an adapter of their own.
pub use http_metrics_core::*;
/// OpenTelemetry's metrics API on the registry (feature `opentelemetry`): the
/// `http-metrics-opentelemetry` crate.
#[cfg(feature = "opentelemetry")]
pub use http_metrics_opentelemetry as opentelemetry;
/// Pushgateway and remote-write (feature `push`): the `http-metrics-push` crate.
#[cfg(feature = "push")]
pub use http_metrics_push as push;
