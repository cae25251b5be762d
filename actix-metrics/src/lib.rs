#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod body;
mod endpoint;
mod middleware;
mod routes;

pub use body::ResponseBody;
pub use endpoint::{metrics_service, metrics_service_with, scrape_response};
pub use middleware::{Metrics, MetricsFuture, MetricsMiddleware};

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
