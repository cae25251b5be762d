//! Exposition: which format a scraper gets, the bytes of each format written from one
//! [`Snapshot`](crate::snapshot::Snapshot), and the `/metrics` response. Every format is
//! written directly from the snapshot ([`text`] both text formats, [`protobuf`] the protobuf
//! one): none is converted from another. The response is gzip-compressed when
//! `Accept-Encoding` allows it, at
//! [`HttpMetricsBuilder::gzip_level`](crate::HttpMetricsBuilder::gzip_level).

mod negotiate;
#[cfg(feature = "native-histograms")]
pub(crate) mod protobuf;
mod scrape;
#[cfg(test)]
mod tests;
pub(crate) mod text;

pub use scrape::{Scrape, ScrapeRequest};

use std::fmt;
use std::sync::atomic::Ordering::Relaxed;

use crate::HttpMetrics;

/// `Content-Type` of OpenMetrics 1.0 text.
const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// `Content-Type` of the Prometheus text format 0.0.4.
const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `Content-Type` of the Prometheus protobuf format.
#[cfg(feature = "native-histograms")]
const PROTOBUF_CONTENT_TYPE: &str =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

/// An exposition format.
///
/// ```
/// use http_metrics_core::Format;
///
/// // What Prometheus itself sends: OpenMetrics preferred.
/// let prometheus = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/// assert_eq!(Format::negotiate(Some(prometheus)), Format::OpenMetrics);
/// // curl, a browser, or no header at all: the classic text format.
/// assert_eq!(Format::negotiate(Some("*/*")), Format::Prometheus);
/// assert_eq!(Format::negotiate(None), Format::Prometheus);
/// assert_eq!(Format::Prometheus.content_type(), "text/plain; version=0.0.4; charset=utf-8");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// OpenMetrics 1.0 text (`application/openmetrics-text; version=1.0.0`).
    OpenMetrics,
    /// Prometheus text format 0.0.4 (`text/plain; version=0.0.4`).
    Prometheus,
    /// The Prometheus protobuf format, length-delimited `io.prometheus.client.MetricFamily`
    /// messages: the one exposition that carries native histograms. With the
    /// `native-histograms` feature.
    ///
    /// ```
    /// use http_metrics_core::Format;
    ///
    /// let prometheus = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,text/plain;version=0.0.4;q=0.5";
    /// assert_eq!(Format::negotiate(Some(prometheus)), Format::Protobuf);
    /// // Another protobuf message, or another framing, is not this format.
    /// assert_eq!(Format::negotiate(Some("application/vnd.google.protobuf;proto=foo.Bar")), Format::Prometheus);
    /// ```
    #[cfg(feature = "native-histograms")]
    Protobuf,
}

impl Format {
    /// Chooses the format for an `Accept` header value.
    ///
    /// OpenMetrics is served when the client lists `application/openmetrics-text` (version
    /// 1.0.0, 0.0.1 or unspecified) with a quality at least as high as any acceptable
    /// alternative. Everything else — no header, wildcards, `text/plain`, or types this
    /// endpoint cannot produce — gets the Prometheus text format, which every scraper reads:
    /// an `/metrics` endpoint answers rather than refusing with 406. With the
    /// `native-histograms` feature, [`Format::Protobuf`] is served when the client lists
    /// `application/vnd.google.protobuf` with `proto=io.prometheus.client.MetricFamily` and
    /// `encoding=delimited` at a quality at least as high as any other it accepts.
    pub fn negotiate(accept: Option<&str>) -> Self {
        negotiate::format(accept.unwrap_or(""))
    }

    /// The `Content-Type` header value for this format.
    pub const fn content_type(self) -> &'static str {
        match self {
            Self::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
            Self::Prometheus => PROMETHEUS_CONTENT_TYPE,
            #[cfg(feature = "native-histograms")]
            Self::Protobuf => PROTOBUF_CONTENT_TYPE,
        }
    }
}

impl HttpMetrics {
    /// Encodes every metric of the registry in a text format, from one
    /// [`snapshot`](HttpMetrics::snapshot): the HTTP families, the registry's, summaries and
    /// what the collectors gave.
    ///
    /// # Errors
    ///
    /// When a metric's own `encode` fails (prometheus-client's error carries no detail), and
    /// for [`Format::Protobuf`], which is not text: see [`HttpMetrics::encode_to_vec`].
    pub fn encode(&self, format: Format) -> Result<String, fmt::Error> {
        #[cfg(feature = "native-histograms")]
        if format == Format::Protobuf {
            return Err(fmt::Error);
        }
        let snapshot = self.take_snapshot(false)?;
        // Growing a multi-megabyte string by doubling copies it a dozen times: start at the
        // last size, plus room for what was added since.
        let expected = self.inner.last_len.load(Relaxed);
        let mut out = String::with_capacity(expected + expected / 8 + 4096);
        text::write(&snapshot, format, &mut out);
        self.inner.last_len.store(out.len(), Relaxed);
        Ok(out)
    }

    /// Encodes every metric of the registry in `format`, as the body of a `/metrics`
    /// response: text as UTF-8, [`Format::Protobuf`] as length-delimited
    /// `io.prometheus.client.MetricFamily` messages (native histograms included).
    ///
    /// ```
    /// use http_metrics_core::{Format, HttpMetrics};
    ///
    /// let metrics = HttpMetrics::new();
    /// let body = metrics.encode_to_vec(Format::Prometheus).unwrap();
    /// assert!(body.starts_with(b"# HELP"));
    /// ```
    ///
    /// # Errors
    ///
    /// When a metric's own `encode` fails.
    pub fn encode_to_vec(&self, format: Format) -> Result<Vec<u8>, fmt::Error> {
        match format {
            #[cfg(feature = "native-histograms")]
            Format::Protobuf => Ok(protobuf::write(&self.take_snapshot(true)?)),
            text => self.encode(text).map(String::into_bytes),
        }
    }
}
