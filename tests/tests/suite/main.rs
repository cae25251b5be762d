//! The cross-adapter and real-server suites, one module per subject, in one test binary
//! (one build and one link for all of them). The tests that need a process of their own —
//! the process-wide default metrics, a counting global allocator, the process's thread
//! count, the `#[measured]` functions of the process-wide default — are the binaries beside
//! this one.

mod actix_middleware;
mod axum_layer;
#[cfg(feature = "body-sizes")]
mod body_sizes;
mod conformance;
mod dashboard;
mod escaping;
mod example_errors;
#[cfg(feature = "exemplars")]
mod exemplars;
mod exporter;
mod faults;
mod hostile;
mod http2;
mod loopback;
mod manifest;
mod monitoring_files;
mod naming;
#[cfg(feature = "native-histograms")]
mod native_histograms;
mod opentelemetry;
mod orders_conformance;
mod prometheus_e2e;
mod pushgateway;
mod remote_write;
mod remote_write_v2;
mod scrape_consistency;
mod scrape_headers;
mod summary;
mod upgrades;
mod users_axum;
mod users_conformance;
