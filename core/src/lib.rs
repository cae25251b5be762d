#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod buckets;
mod cache;
mod capped;
mod config;
mod exposition;
mod family;
mod guard;
mod method;
mod metrics;
mod series;
mod status;
mod templates;
#[cfg(test)]
mod tests;

pub use buckets::{Buckets, DEFAULT_BUCKETS};
pub use cache::{LocalRouteCache, RouteCache};
pub use capped::CappedFamily;
pub use config::{
    ConfigError, HttpMetricsBuilder, DEFAULT_CANCELLED_STATUS, DEFAULT_MAX_SERIES,
    DEFAULT_METRICS_PATH, DEFAULT_UNMATCHED_ROUTE,
};
pub use exposition::{
    accepts_gzip, Format, OwnedScrapeRequest, Scrape, ScrapeRequest, OPENMETRICS_CONTENT_TYPE,
    PROMETHEUS_CONTENT_TYPE,
};
pub use guard::{ActiveRequest, RequestGuard, RouteHandle};
pub use method::MethodLabel;
pub use metrics::HttpMetrics;
/// The prometheus-client crate, re-exported so application metrics use the same version.
pub use prometheus_client;
pub use status::{DurationEnd, Outcome, StatusLabel};
