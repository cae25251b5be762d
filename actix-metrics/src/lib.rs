#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

mod body;
mod endpoint;
mod middleware;
mod routes;

pub use body::ResponseBody;
pub use endpoint::{metrics_service, metrics_service_with, scrape_response};
pub use middleware::{Metrics, MetricsFuture, MetricsMiddleware};

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
