#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod body;
mod endpoint;
mod middleware;
mod routes;

pub use body::ResponseBody;
pub use endpoint::{metrics_service, metrics_service_with, scrape_response};
pub use middleware::{Metrics, MetricsFuture, MetricsMiddleware};

// Everything an application configures or registers, so that it depends on this crate alone.
pub use http_metrics_core::{
    prometheus_client, CappedFamily, ConfigError, DurationEnd, Format, HttpMetrics,
    HttpMetricsBuilder, StatusLabel, DEFAULT_BUCKETS, DEFAULT_CANCELLED_STATUS, DEFAULT_MAX_SERIES,
    DEFAULT_METRICS_PATH, DEFAULT_UNMATCHED_ROUTE,
};
