#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]

pub mod adapter;
mod base;
#[cfg(feature = "exporter")]
pub mod exporter;
mod exposition;
mod http;
mod instruments;
mod labels;
pub mod model;
mod registry;
pub mod snapshot;
#[cfg(test)]
mod tests;

pub use base::{ConfigError, RegisterError};

/// The classic rules of metric and label names, as the builder checks them (prefix, naming,
/// constant and request labels), and Prometheus 3's escaping of the names outside them.
pub mod names {
    pub use crate::base::{is_label_name, is_metric_name, Escaping};
}
pub use exposition::{Exposition, Format};
pub use http::UpgradedConnection;
#[cfg(feature = "exemplars")]
pub use http::{Exemplars, TraceContext};
#[cfg(feature = "native-histograms")]
pub use http::{NativeHistograms, DEFAULT_NATIVE_SCHEMA};
/// Counts, times and tracks every call of a function: see [`measured`](mod@measured) for the
/// metrics, and the `http-metrics-macros` crate for the attribute.
#[cfg(feature = "macros")]
pub use http_metrics_macros::measured;
pub use instruments::measured;
pub use instruments::{
    CappedFamily, Observations, Observe, Summary, SummaryBuilder, SummaryFamily, Timer, TimerExt,
    DEFAULT_AGE_BUCKETS, DEFAULT_MAX_AGE, DEFAULT_OBJECTIVES,
};
pub use labels::{
    DurationEnd, Naming, RequestLabel, RequestLabelValue, StatusLabel, DEFAULT_BUCKETS,
    DEFAULT_CONNECTION_BUCKETS, DEFAULT_SIZE_BUCKETS, MAX_REQUEST_LABEL_VALUES, OTHER_VALUE,
};
/// The prometheus-client crate, re-exported so application metrics use the same version.
pub use prometheus_client;
pub use registry::{
    HttpMetrics, HttpMetricsBuilder, DEFAULT_CANCELLED_STATUS, DEFAULT_COLLECTOR_TIMEOUT,
    DEFAULT_GZIP_LEVEL, DEFAULT_MAX_SERIES, DEFAULT_METRICS_PATH, DEFAULT_UNMATCHED_ROUTE,
};

pub(crate) use http::RouteHandle;
pub(crate) use labels::{Buckets, MethodLabel, Outcome};
