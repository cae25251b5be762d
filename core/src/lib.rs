#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

pub mod adapter;
mod buckets;
mod cache;
mod capped;
mod collect;
mod config;
#[cfg(feature = "exemplars")]
mod exemplar;
#[cfg(feature = "exporter")]
pub mod exporter;
mod exposition;
mod family;
mod global;
mod guard;
pub mod measured;
mod method;
mod metrics;
mod naming;
#[cfg(feature = "native-histograms")]
mod native;
#[cfg(feature = "opentelemetry")]
pub mod opentelemetry;
#[cfg(feature = "process")]
mod process;
#[cfg(feature = "push")]
pub mod push;
mod request_label;
mod series;
mod shards;
mod status;
mod summary;
mod taken;
#[cfg(test)]
mod tests;
mod timer;

pub use buckets::{DEFAULT_BUCKETS, DEFAULT_CONNECTION_BUCKETS, DEFAULT_SIZE_BUCKETS};
pub use capped::CappedFamily;
pub use collect::{Observations, DEFAULT_COLLECTOR_TIMEOUT};
pub use config::{
    ConfigError, HttpMetricsBuilder, DEFAULT_CANCELLED_STATUS, DEFAULT_MAX_SERIES,
    DEFAULT_METRICS_PATH, DEFAULT_UNMATCHED_ROUTE,
};
#[cfg(feature = "exemplars")]
pub use exemplar::{Exemplars, TraceContext};
pub use exposition::{Format, DEFAULT_GZIP_LEVEL};
pub use guard::UpgradedConnection;
/// Counts, times and tracks every call of a function: see [`measured`](mod@measured) for the
/// metrics, and the `http-metrics-macros` crate for the attribute.
#[cfg(feature = "macros")]
pub use http_metrics_macros::measured;
pub use metrics::HttpMetrics;
pub use naming::Naming;
#[cfg(feature = "native-histograms")]
pub use native::{NativeHistograms, DEFAULT_NATIVE_SCHEMA};
/// The prometheus-client crate, re-exported so application metrics use the same version.
pub use prometheus_client;
pub use request_label::{RequestLabel, RequestLabelValue, MAX_REQUEST_LABEL_VALUES, OTHER_VALUE};
pub use status::{DurationEnd, StatusLabel};
pub use summary::{
    Summary, SummaryBuilder, SummaryFamily, DEFAULT_AGE_BUCKETS, DEFAULT_MAX_AGE,
    DEFAULT_OBJECTIVES,
};
pub use timer::{Observe, Timer, TimerExt};

pub(crate) use buckets::Buckets;
pub(crate) use guard::RouteHandle;
pub(crate) use method::MethodLabel;
pub(crate) use status::Outcome;
