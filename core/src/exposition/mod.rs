//! Exposition: which format a scraper gets, in which encoding, and the bytes themselves.
//!
//! prometheus-client writes OpenMetrics 1.0 text. Scrapers that do not ask for OpenMetrics
//! get the Prometheus text format 0.0.4, converted from it by [`prometheus_text`]. The
//! response is gzip-compressed when `Accept-Encoding` allows it.

pub(crate) mod auth;
mod negotiate;
pub(crate) mod prometheus_text;

use std::io::Write as _;

pub use negotiate::accepts_gzip;

/// `Content-Type` of OpenMetrics 1.0 text.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// `Content-Type` of the Prometheus text format 0.0.4.
pub const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

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
pub enum Format {
    /// OpenMetrics 1.0 text (`application/openmetrics-text; version=1.0.0`).
    OpenMetrics,
    /// Prometheus text format 0.0.4 (`text/plain; version=0.0.4`).
    Prometheus,
}

impl Format {
    /// Chooses the format for an `Accept` header value.
    ///
    /// OpenMetrics is served when the client lists `application/openmetrics-text` (version
    /// 1.0.0, 0.0.1 or unspecified) with a quality at least as high as any acceptable
    /// alternative. Everything else — no header, wildcards, `text/plain`, or types this
    /// endpoint cannot produce — gets the Prometheus text format, which every scraper reads:
    /// an `/metrics` endpoint answers rather than refusing with 406.
    pub fn negotiate(accept: Option<&str>) -> Self {
        negotiate::format(accept.unwrap_or(""))
    }

    /// The `Content-Type` header value for this format.
    pub const fn content_type(self) -> &'static str {
        match self {
            Self::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
            Self::Prometheus => PROMETHEUS_CONTENT_TYPE,
        }
    }
}

/// What a scraper sent: the request headers that shape the `/metrics` response.
///
/// ```
/// use http_metrics_core::{Format, ScrapeRequest};
///
/// let request = ScrapeRequest::new().accept("text/plain").accept_encoding("gzip, br");
/// assert_eq!(request.format(), Format::Prometheus);
/// assert!(request.gzip());
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ScrapeRequest<'a> {
    accept: Option<&'a str>,
    accept_encoding: Option<&'a str>,
    authorization: Option<&'a str>,
}

impl<'a> ScrapeRequest<'a> {
    /// A request without headers: Prometheus text, uncompressed.
    pub fn new() -> Self {
        Self::default()
    }

    /// The `Accept` header value.
    pub fn accept(mut self, value: &'a str) -> Self {
        self.accept = Some(value);
        self
    }

    /// The `Accept-Encoding` header value.
    pub fn accept_encoding(mut self, value: &'a str) -> Self {
        self.accept_encoding = Some(value);
        self
    }

    /// The `Authorization` header value.
    pub fn authorization(mut self, value: &'a str) -> Self {
        self.authorization = Some(value);
        self
    }

    /// A request from the headers `header` looks up by lower-case name (`accept`,
    /// `accept-encoding`, `authorization`); what every adapter does with its framework's
    /// header map.
    ///
    /// ```
    /// use http_metrics_core::{Format, ScrapeRequest};
    ///
    /// let headers = [("accept", "application/openmetrics-text")];
    /// let lookup = |name: &str| headers.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
    /// assert_eq!(ScrapeRequest::from_headers(lookup).format(), Format::OpenMetrics);
    /// ```
    pub fn from_headers(header: impl Fn(&'static str) -> Option<&'a str>) -> Self {
        Self {
            accept: header("accept"),
            accept_encoding: header("accept-encoding"),
            authorization: header("authorization"),
        }
    }

    /// The `Authorization` header value, if any.
    pub fn authorization_header(&self) -> Option<&'a str> {
        self.authorization
    }

    /// The negotiated format.
    pub fn format(&self) -> Format {
        Format::negotiate(self.accept)
    }

    /// Whether the response will be gzip-compressed.
    pub fn gzip(&self) -> bool {
        self.accept_encoding.is_some_and(accepts_gzip)
    }
}

/// A [`ScrapeRequest`] that owns its header values, to move to another thread (adapters
/// encode on a blocking thread, so that a large scrape never stalls request handling).
///
/// ```
/// use http_metrics_core::{Format, ScrapeRequest};
///
/// let owned = ScrapeRequest::new().accept("text/plain").into_owned();
/// let on_another_thread = std::thread::spawn(move || owned.as_request().format());
/// assert_eq!(on_another_thread.join().unwrap(), Format::Prometheus);
/// ```
#[derive(Clone, Debug, Default)]
pub struct OwnedScrapeRequest {
    accept: Option<String>,
    accept_encoding: Option<String>,
    authorization: Option<String>,
}

impl OwnedScrapeRequest {
    /// The request, borrowed.
    pub fn as_request(&self) -> ScrapeRequest<'_> {
        ScrapeRequest {
            accept: self.accept.as_deref(),
            accept_encoding: self.accept_encoding.as_deref(),
            authorization: self.authorization.as_deref(),
        }
    }
}

impl ScrapeRequest<'_> {
    /// The request with owned header values.
    pub fn into_owned(self) -> OwnedScrapeRequest {
        OwnedScrapeRequest {
            accept: self.accept.map(str::to_owned),
            accept_encoding: self.accept_encoding.map(str::to_owned),
            authorization: self.authorization.map(str::to_owned),
        }
    }
}

/// A ready `/metrics` response, framework-neutral: adapters copy it into their own types.
#[derive(Clone, Debug)]
pub struct Scrape {
    /// HTTP status code: 200; 401 without the configured bearer token; 500 when a metric
    /// failed to encode.
    pub status: u16,
    /// Response headers, `Content-Type` first.
    pub headers: Vec<(&'static str, &'static str)>,
    /// The response body, compressed when a `Content-Encoding` header is present.
    pub body: Vec<u8>,
}

impl Scrape {
    /// The answer to a scrape without the configured bearer token.
    pub(crate) fn unauthorized() -> Self {
        Self {
            status: 401,
            headers: vec![
                ("content-type", "text/plain; charset=utf-8"),
                ("www-authenticate", "Bearer realm=\"metrics\""),
                ("cache-control", "no-store"),
            ],
            body: b"401 Unauthorized: this endpoint requires `Authorization: Bearer <token>`\n"
                .to_vec(),
        }
    }

    pub(crate) fn new(
        request: &ScrapeRequest<'_>,
        encoded: Result<String, std::fmt::Error>,
    ) -> Self {
        let format = request.format();
        let text = match encoded {
            Ok(text) => text,
            Err(_) => {
                return Self {
                    status: 500,
                    headers: vec![("content-type", "text/plain; charset=utf-8")],
                    body: b"a metric failed to encode; see the application's metric types\n"
                        .to_vec(),
                }
            }
        };
        let mut headers = vec![
            ("content-type", format.content_type()),
            ("vary", "accept, accept-encoding"),
            ("cache-control", "no-store"),
        ];
        let body = if request.gzip() {
            headers.push(("content-encoding", "gzip"));
            gzip(text.as_bytes())
        } else {
            text.into_bytes()
        };
        Self {
            status: 200,
            headers,
            body,
        }
    }

    /// The value of a header of this response, if present (names are lower-case).
    pub fn header(&self, name: &str) -> Option<&'static str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 4),
        flate2::Compression::fast(),
    );
    // Writing to a Vec cannot fail.
    encoder.write_all(bytes).expect("writing to a Vec");
    encoder.finish().expect("writing to a Vec")
}
