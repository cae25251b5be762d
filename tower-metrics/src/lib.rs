#![cfg_attr(feature = "axum", doc = include_str!("../README.md"))]
#![cfg_attr(
    not(feature = "axum"),
    doc = "Golden-signal HTTP metrics for tower services. This build has the default `axum` \
           feature turned off: routes come from the `RouteTemplate` request extension only. \
           The README shows the axum usage."
)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

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

/// The standalone `/metrics` server (feature `exporter`), for programs or ports without the
/// web framework.
#[cfg(feature = "exporter")]
pub use http_metrics_core::exporter;
/// The `#[measured]` attribute (feature `macros`): calls, errors and duration of a function.
#[cfg(feature = "macros")]
pub use http_metrics_core::measured;
// What the `#[measured]` attribute's generated code names.
#[doc(hidden)]
pub use http_metrics_core as __core;

// Everything an application configures or registers, so that it depends on this crate alone.
pub use http_metrics_core::{
    prometheus_client, CappedFamily, ConfigError, DurationEnd, Format, HttpMetrics,
    HttpMetricsBuilder, Observations, Observe, StatusLabel, Summary, SummaryBuilder, SummaryFamily,
    Timer, TimerExt, DEFAULT_AGE_BUCKETS, DEFAULT_BUCKETS, DEFAULT_CANCELLED_STATUS,
    DEFAULT_COLLECTOR_TIMEOUT, DEFAULT_MAX_AGE, DEFAULT_MAX_SERIES, DEFAULT_METRICS_PATH,
    DEFAULT_OBJECTIVES, DEFAULT_UNMATCHED_ROUTE,
};
