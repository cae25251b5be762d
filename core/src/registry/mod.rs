//! The registry: [`HttpMetrics`], what the application registers into and the adapters
//! record through; its builder, the process-wide default, the names every family takes,
//! and the collectors run at each scrape.

pub(crate) mod auth;
pub(crate) mod builder;
pub(crate) mod collectors;
pub(crate) mod global;
pub(crate) mod metrics;
mod register;
pub(crate) mod taken;
#[cfg(test)]
mod tests;

pub use builder::{
    HttpMetricsBuilder, DEFAULT_CANCELLED_STATUS, DEFAULT_GZIP_LEVEL, DEFAULT_MAX_SERIES,
    DEFAULT_METRICS_PATH, DEFAULT_UNMATCHED_ROUTE,
};
pub use collectors::DEFAULT_COLLECTOR_TIMEOUT;
pub use metrics::HttpMetrics;
