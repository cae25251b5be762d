#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod body;
mod endpoint;
mod middleware;

pub use body::ResponseBody;
pub use endpoint::{metrics_service, scrape_response};
pub use http_metrics_core::{HttpMetrics, HttpMetricsBuilder};
pub use middleware::{Metrics, MetricsFuture, MetricsMiddleware};
