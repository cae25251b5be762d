#![doc = include_str!("../README.md")]
#![cfg_attr(docsrs, feature(doc_cfg))]
//!
//! ---
//!
//! Metrics that leave by push, on the same registry as `/metrics`: to a
//! [Prometheus Pushgateway](https://github.com/prometheus/pushgateway) for batch jobs, and by
//! Prometheus remote-write to Prometheus, VictoriaMetrics, Mimir, Thanos Receive or any
//! hosted backend that accepts it.
//!
//! # Pushgateway
//!
//! [`Pushgateway`] is client_python's `push_to_gateway`, `pushadd_to_gateway` and
//! `delete_from_gateway`, in async and blocking forms (a batch job is often a plain `main`),
//! for jobs that end before anything could scrape them.
//!
//! A push sends the whole registry in the Prometheus text format to
//! `/metrics/job/<job>{/<label>/<value>}`, the group the job name and the grouping key name:
//!
//! - [`Pushgateway::push`] (`PUT`) replaces every metric of the group;
//! - [`Pushgateway::push_add`] (`POST`) replaces only the metrics of the same names;
//! - [`Pushgateway::delete`] (`DELETE`) removes the group.
//!
//! A job name or grouping-key value that is empty or holds anything but letters, digits and
//! `-._~` travels in the gateway's base64 form (`<label>@base64/<value>`), so `/`, spaces and
//! non-ASCII values arrive exactly as given. A refused push is a [`PushError::Refused`] with
//! the gateway's status and message (it answers `400` to metrics inconsistent with what it
//! holds, and says why).
//!
//! ```no_run
//! use http_metrics_push::Pushgateway;
//! use http_metrics_core::prometheus_client::metrics::counter::Counter;
//! use http_metrics_core::HttpMetrics;
//!
//! let metrics = HttpMetrics::builder().process_metrics(false).build().unwrap();
//! let records: Counter = Counter::default();
//! metrics.register("batch_records_processed", "Records processed", records.clone());
//! records.inc_by(1200);
//! let gateway = Pushgateway::new("http://pushgateway:9091", "batch_processor")
//!     .unwrap()
//!     .grouping_key("instance", "nightly");
//! gateway.push_blocking(&metrics).expect("the gateway took the push");
//! ```

//!
//! # Remote-write
//!
//! [`RemoteWrite`] starts a sender beside the service that snapshots the registry on an
//! interval (15 s by default) and sends every series, as a Prometheus scraping `/metrics`
//! would store it, in the remote-write 1.0 protocol (protobuf, snappy). It buffers what the
//! receiver has not taken, up to a cap; retries 5xx, 429 and connection failures with backoff;
//! sends once more when shut down; and reports its own health on the registry. See
//! [`RemoteWrite`] for the details.
//!
//! ```no_run
//! use http_metrics_push::RemoteWrite;
//! use http_metrics_core::HttpMetrics;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let metrics = HttpMetrics::new();
//! let writer = RemoteWrite::new("https://prometheus.example.com/api/v1/write")?
//!     .bearer_token("s3cret")
//!     .external_label("job", "orders")
//!     .external_label("instance", "orders-1")
//!     .start(&metrics)?;
//! // ... serve requests ...
//! let stats = writer.shutdown().await;
//! println!("{} samples sent", stats.sent);
//! # Ok(())
//! # }
//! ```

use std::fmt;

use base64::Engine as _;

mod gateway;
mod remote_write;

pub use gateway::{Pushgateway, DEFAULT_PUSH_TIMEOUT};
pub use remote_write::{
    RemoteWrite, RemoteWriteEncoder, RemoteWriteStats, RemoteWriteVersion, RemoteWriter,
    DEFAULT_MAX_BUFFERED_SAMPLES, DEFAULT_MAX_SAMPLES_PER_SEND, DEFAULT_PUSH_INTERVAL,
    DEFAULT_REMOTE_WRITE_TIMEOUT,
};

/// Why a push failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum PushError {
    /// The receiver's address, the job name or a grouping-key name is not usable.
    Config(String),
    /// The receiver answered with an error status: the status and its message.
    Refused {
        /// The HTTP status.
        status: u16,
        /// What the gateway said, as it said it.
        message: String,
    },
    /// The receiver could not be reached or did not answer in time.
    Transport(String),
    /// A metric of the registry failed to encode.
    Encode,
}

impl fmt::Display for PushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(why) => write!(f, "invalid push configuration: {why}"),
            Self::Refused { status, message } => {
                write!(
                    f,
                    "the receiver refused the push ({status}): {}",
                    message.trim()
                )
            }
            Self::Transport(why) => write!(f, "the receiver could not be reached: {why}"),
            Self::Encode => f.write_str("a metric of the registry failed to encode"),
        }
    }
}

impl std::error::Error for PushError {}

/// How a push authenticates.
#[derive(Clone)]
pub(crate) enum Auth {
    Basic(String, String),
    Bearer(String),
}

impl Auth {
    /// The `Authorization` header's value, marked sensitive.
    pub(crate) fn header(&self) -> Result<http::HeaderValue, PushError> {
        let value = match self {
            Self::Basic(user, password) => {
                let pair =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                format!("Basic {pair}")
            }
            Self::Bearer(token) => format!("Bearer {token}"),
        };
        let mut value = http::HeaderValue::from_str(&value)
            .map_err(|_| PushError::Config("the credentials cannot travel in a header".into()))?;
        value.set_sensitive(true);
        Ok(value)
    }
}

/// Checks an `http://` or `https://` address, without a trailing `/`.
pub(crate) fn check_url(url: &str) -> Result<&str, PushError> {
    let base = url.trim_end_matches('/');
    let host = base
        .strip_prefix("http://")
        .or_else(|| base.strip_prefix("https://"));
    if host.is_none_or(str::is_empty) {
        return Err(PushError::Config(format!(
            "{url:?} is not an http:// or https:// address"
        )));
    }
    Ok(base)
}

pub(crate) use http_metrics_core::names::is_label_name;
