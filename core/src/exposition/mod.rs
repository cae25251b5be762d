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

use crate::base::Escaping;
use negotiate::Media;

/// The `Content-Type` of each media type `/metrics` serves, with each escaping scheme.
const fn content_type(media: Media, escaping: Escaping) -> &'static str {
    macro_rules! each {
        ($prefix:literal) => {
            match escaping {
                Escaping::AllowUtf8 => concat!($prefix, "; escaping=allow-utf-8"),
                Escaping::Underscores => concat!($prefix, "; escaping=underscores"),
                Escaping::Dots => concat!($prefix, "; escaping=dots"),
                Escaping::Values => concat!($prefix, "; escaping=values"),
            }
        };
    }
    match media {
        Media::OpenMetrics1 => each!("application/openmetrics-text; version=1.0.0; charset=utf-8"),
        Media::OpenMetrics0 => "application/openmetrics-text; version=0.0.1; charset=utf-8",
        Media::Text1 => each!("text/plain; version=1.0.0; charset=utf-8"),
        Media::Text0 => "text/plain; version=0.0.4; charset=utf-8",
        Media::Protobuf => each!(
            "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"
        ),
    }
}

/// What a scraper gets, as Prometheus 3 negotiates it: the format, how names outside the
/// classic character set are written ([`Escaping`]), and the `Content-Type` that says both.
///
/// Every format of the Prometheus documentation is served: OpenMetrics 1.0.0 and 0.0.1, the
/// Prometheus text format 1.0.0 and 0.0.4, and with the `native-histograms` feature the
/// protobuf format. The element of `Accept` with the highest quality wins (at equal
/// quality protobuf, then OpenMetrics, then the text format, the newer version first); a
/// header that lists nothing servable gets the text format 0.0.4, which every scraper
/// reads. The 1.0.0 formats and protobuf are written in the escaping the chosen element
/// asks for (`escaping=allow-utf-8`, also spelled `allow-utf8`, `underscores`, `dots` or
/// `values`; `underscores` when it asks for none) and say it in their `Content-Type`; the
/// older versions know only classic names, and get `underscores`.
///
/// ```
/// use http_metrics_core::names::Escaping;
/// use http_metrics_core::{Exposition, Format};
///
/// // Prometheus 3's scrape.
/// let accept = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,\
///     application/openmetrics-text;version=0.0.1;q=0.4,\
///     text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1";
/// let exposition = Exposition::negotiate(Some(accept));
/// assert_eq!(exposition.format(), Format::OpenMetrics);
/// assert_eq!(exposition.escaping(), Escaping::AllowUtf8);
/// assert_eq!(
///     exposition.content_type(),
///     "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8"
/// );
/// // PrometheusText 1.0.0, no scheme asked: underscores.
/// assert_eq!(
///     Exposition::negotiate(Some("text/plain;version=1.0.0")).content_type(),
///     "text/plain; version=1.0.0; charset=utf-8; escaping=underscores"
/// );
/// // curl: the text format 0.0.4.
/// assert_eq!(
///     Exposition::negotiate(Some("*/*")).content_type(),
///     "text/plain; version=0.0.4; charset=utf-8"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exposition {
    media: Media,
    escaping: Escaping,
}

impl Exposition {
    /// The exposition for an `Accept` header value (none: the text format 0.0.4).
    pub fn negotiate(accept: Option<&str>) -> Self {
        let (media, escaping) = negotiate::negotiate(accept.unwrap_or(""));
        Self { media, escaping }
    }

    /// `format` in its newest version, its names written in `escaping` (the text format
    /// 0.0.4's syntax is 1.0.0's, and OpenMetrics 0.0.1's 1.0.0's).
    pub const fn new(format: Format, escaping: Escaping) -> Self {
        let media = match format {
            Format::OpenMetrics => Media::OpenMetrics1,
            Format::Prometheus => Media::Text1,
            #[cfg(feature = "native-histograms")]
            Format::Protobuf => Media::Protobuf,
        };
        Self { media, escaping }
    }

    /// The format.
    pub const fn format(&self) -> Format {
        match self.media {
            Media::OpenMetrics1 | Media::OpenMetrics0 => Format::OpenMetrics,
            Media::Text1 | Media::Text0 => Format::Prometheus,
            #[cfg(feature = "native-histograms")]
            Media::Protobuf => Format::Protobuf,
            #[cfg(not(feature = "native-histograms"))]
            Media::Protobuf => Format::Prometheus,
        }
    }

    /// How names are written.
    pub const fn escaping(&self) -> Escaping {
        self.escaping
    }

    /// The `Content-Type` of the response.
    pub const fn content_type(&self) -> &'static str {
        content_type(self.media, self.escaping)
    }
}

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
    /// OpenMetrics text: 1.0.0, or 0.0.1 when a scraper asks for it.
    OpenMetrics,
    /// The Prometheus text format: 0.0.4, or 1.0.0 (with an `escaping` scheme) when a
    /// scraper asks for it.
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
        Exposition::negotiate(accept).format()
    }

    /// The `Content-Type` of this format with classic names: OpenMetrics 1.0.0 and protobuf
    /// with `escaping=underscores`, the Prometheus text format 0.0.4.
    pub const fn content_type(self) -> &'static str {
        let media = match self {
            Self::OpenMetrics => Media::OpenMetrics1,
            Self::Prometheus => Media::Text0,
            #[cfg(feature = "native-histograms")]
            Self::Protobuf => Media::Protobuf,
        };
        content_type(media, Escaping::Underscores)
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
        self.encode_escaped(format, Escaping::Underscores)
    }

    /// [`HttpMetrics::encode`] with names written in `escaping`.
    ///
    /// ```
    /// use http_metrics_core::names::Escaping;
    /// use http_metrics_core::prometheus_client::metrics::counter::Counter;
    /// use http_metrics_core::{Format, HttpMetrics};
    ///
    /// let metrics = HttpMetrics::builder().process_metrics(false).build().unwrap();
    /// let payments: Counter = Counter::default();
    /// metrics.register("payments.processed", "Payments", payments.clone()).unwrap();
    /// payments.inc();
    /// let utf8 = metrics.encode_escaped(Format::OpenMetrics, Escaping::AllowUtf8).unwrap();
    /// assert!(utf8.contains("{\"payments.processed_total\"} 1\n"));
    /// let classic = metrics.encode(Format::OpenMetrics).unwrap();
    /// assert!(classic.contains("\npayments_processed_total 1\n"));
    /// ```
    ///
    /// # Errors
    ///
    /// As [`HttpMetrics::encode`].
    pub fn encode_escaped(&self, format: Format, escaping: Escaping) -> Result<String, fmt::Error> {
        #[cfg(feature = "native-histograms")]
        if format == Format::Protobuf {
            return Err(fmt::Error);
        }
        let snapshot = self.take_snapshot(false)?;
        // Growing a multi-megabyte string by doubling copies it a dozen times: start at the
        // last size, plus room for what was added since.
        let expected = self.inner.last_len.load(Relaxed);
        let mut out = String::with_capacity(expected + expected / 8 + 4096);
        let created = self.inner.scrape.created_lines && format == Format::OpenMetrics;
        text::write(&snapshot, format, escaping, created, &mut out);
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
        self.expose(Exposition::new(format, Escaping::Underscores))
    }

    /// Encodes every metric of the registry as `exposition` has it: the body of a
    /// `/metrics` response whose `Content-Type` is [`Exposition::content_type`].
    ///
    /// # Errors
    ///
    /// When a metric's own `encode` fails.
    pub fn expose(&self, exposition: Exposition) -> Result<Vec<u8>, fmt::Error> {
        let escaping = exposition.escaping();
        match exposition.format() {
            #[cfg(feature = "native-histograms")]
            Format::Protobuf => Ok(protobuf::write(&self.take_snapshot(true)?, escaping)),
            text => self.encode_escaped(text, escaping).map(String::into_bytes),
        }
    }
}
