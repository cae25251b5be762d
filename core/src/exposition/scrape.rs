//! The `/metrics` response: what a scraper's request headers ask for, and the complete
//! answer (status, headers, body), framework-neutral.

use std::io::Write as _;

use super::{negotiate, Exposition, Format};

/// What a scraper sent: the request headers that shape the `/metrics` response.
///
/// Headers are read as RFC 9110 says a recipient reads them: repeated `Accept` and
/// `Accept-Encoding` lines are one comma-separated list, in order; `Authorization` is a
/// single value, so a request that carries it more than once is refused (`400`) when a
/// bearer token is configured, whichever of its values would match.
///
/// ```
/// use http_metrics_core::adapter::ScrapeRequest;
/// use http_metrics_core::Format;
///
/// let request = ScrapeRequest::new().accept("text/plain").accept_encoding("gzip, br");
/// assert_eq!(request.format(), Format::Prometheus);
/// assert!(request.gzip());
///
/// // Two `Accept` lines are one list: OpenMetrics is listed, so it is chosen.
/// let headers = [("accept", "text/plain;q=0.5"), ("Accept", "application/openmetrics-text")];
/// let request = ScrapeRequest::from_headers(headers.map(|(n, v)| (n, v.as_bytes())));
/// assert_eq!(request.format(), Format::OpenMetrics);
/// ```
#[derive(Clone, Debug, Default)]
pub struct ScrapeRequest {
    accept: String,
    accept_encoding: String,
    authorization: Authorization,
}

/// The `Authorization` header lines of a request.
#[derive(Clone, Default)]
enum Authorization {
    #[default]
    Absent,
    One(String),
    Repeated,
}

impl std::fmt::Debug for Authorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Credentials never appear in logs.
        f.write_str(match self {
            Self::Absent => "Absent",
            Self::One(_) => "One(<redacted>)",
            Self::Repeated => "Repeated",
        })
    }
}

impl ScrapeRequest {
    /// A request without headers: Prometheus text, uncompressed.
    pub fn new() -> Self {
        Self::default()
    }

    /// The request carrying every `(name, value)` header line of `headers`, in order; what
    /// an adapter builds from its framework's header map. Names are matched without regard
    /// to case; other headers are ignored.
    pub fn from_headers<'a>(headers: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Self {
        let mut request = Self::new();
        for (name, value) in headers {
            request.add_header(name, value);
        }
        request
    }

    /// Adds one header line. A value that is not UTF-8 is read with replacement characters,
    /// so it matches no media type, coding or token.
    pub fn add_header(&mut self, name: &str, value: &[u8]) {
        let list = if name.eq_ignore_ascii_case("accept") {
            &mut self.accept
        } else if name.eq_ignore_ascii_case("accept-encoding") {
            &mut self.accept_encoding
        } else if name.eq_ignore_ascii_case("authorization") {
            self.authorization = match self.authorization {
                Authorization::Absent => {
                    Authorization::One(String::from_utf8_lossy(value).into_owned())
                }
                _ => Authorization::Repeated,
            };
            return;
        } else {
            return;
        };
        if !list.is_empty() {
            list.push_str(", ");
        }
        list.push_str(&String::from_utf8_lossy(value));
    }

    /// Adds an `Accept` line.
    pub fn accept(mut self, value: &str) -> Self {
        self.add_header("accept", value.as_bytes());
        self
    }

    /// Adds an `Accept-Encoding` line.
    pub fn accept_encoding(mut self, value: &str) -> Self {
        self.add_header("accept-encoding", value.as_bytes());
        self
    }

    /// Adds an `Authorization` line.
    pub fn authorization(mut self, value: &str) -> Self {
        self.add_header("authorization", value.as_bytes());
        self
    }

    /// The negotiated format.
    pub fn format(&self) -> Format {
        self.exposition().format()
    }

    /// The negotiated exposition: format, escaping and `Content-Type`.
    pub fn exposition(&self) -> Exposition {
        Exposition::negotiate(Some(&self.accept))
    }

    /// Whether the client accepts gzip: the response is compressed unless the metrics' gzip
    /// level is 0.
    pub fn gzip(&self) -> bool {
        negotiate::accepts_gzip(&self.accept_encoding)
    }
}

/// A ready `/metrics` response, framework-neutral: adapters copy it into their own types.
#[derive(Clone, Debug)]
pub struct Scrape {
    /// HTTP status code: 200; 401 without the configured bearer token; 400 with more than
    /// one `Authorization` header; 500 when a metric failed to encode.
    pub status: u16,
    /// Response headers, `Content-Type` first.
    pub headers: Vec<(&'static str, &'static str)>,
    /// The response body, compressed when a `Content-Encoding` header is present.
    pub body: Vec<u8>,
}

impl Scrape {
    /// The complete `/metrics` response of `metrics` for a scraper's request: the negotiated
    /// format, gzip when accepted, and the headers to send; `401` without the configured
    /// bearer token, `400` with more than one `Authorization` header.
    ///
    /// ```
    /// use http_metrics_core::adapter::{Scrape, ScrapeRequest};
    /// use http_metrics_core::HttpMetrics;
    ///
    /// let request = ScrapeRequest::new().accept("application/openmetrics-text");
    /// let scrape = Scrape::respond(&HttpMetrics::new(), &request);
    /// assert_eq!(scrape.status, 200);
    /// assert_eq!(
    ///     scrape.header("content-type"),
    ///     Some("application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=underscores")
    /// );
    /// assert!(scrape.body.ends_with(b"# EOF\n"));
    /// ```
    pub fn respond(metrics: &crate::HttpMetrics, request: &ScrapeRequest) -> Self {
        if let Some(token) = metrics.bearer_token() {
            match &request.authorization {
                Authorization::Repeated => return Self::repeated_authorization(),
                Authorization::One(value) if token.admits(Some(value)) => {}
                _ => return Self::unauthorized(),
            }
        }
        let gzip = if request.gzip() {
            metrics.gzip_level()
        } else {
            0
        };
        let exposition = request.exposition();
        Self::new(exposition, metrics.expose(exposition), gzip)
    }

    fn repeated_authorization() -> Self {
        Self {
            status: 400,
            headers: vec![
                ("content-type", "text/plain; charset=utf-8"),
                ("cache-control", "no-store"),
            ],
            body: b"400 Bad Request: more than one Authorization header; send exactly one, `Authorization: Bearer <token>`\n"
                .to_vec(),
        }
    }

    /// The answer to a scrape without the configured bearer token.
    fn unauthorized() -> Self {
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

    /// The answer with `encoded` as its body, compressed at `gzip` (0: not).
    fn new(exposition: Exposition, encoded: Result<Vec<u8>, std::fmt::Error>, gzip: u32) -> Self {
        let body = match encoded {
            Ok(body) => body,
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
            ("content-type", exposition.content_type()),
            ("vary", "accept, accept-encoding"),
            ("cache-control", "no-store"),
        ];
        let body = if gzip > 0 {
            headers.push(("content-encoding", "gzip"));
            compress(&body, gzip)
        } else {
            body
        };
        Self {
            status: 200,
            headers,
            body,
        }
    }

    /// The response as an `http::Response`, for adapters whose framework speaks the `http`
    /// crate's types: status, headers, and the body's bytes.
    ///
    /// ```
    /// use http_metrics_core::adapter::{Scrape, ScrapeRequest};
    /// use http_metrics_core::HttpMetrics;
    ///
    /// let response = Scrape::respond(&HttpMetrics::new(), &ScrapeRequest::new()).into_http();
    /// assert_eq!(response.status(), 200);
    /// assert_eq!(response.headers()["cache-control"], "no-store");
    /// ```
    pub fn into_http(self) -> http::Response<Vec<u8>> {
        let mut response = http::Response::new(self.body);
        *response.status_mut() = http::StatusCode::from_u16(self.status)
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        for (name, value) in self.headers {
            response.headers_mut().insert(
                http::header::HeaderName::from_static(name),
                http::header::HeaderValue::from_static(value),
            );
        }
        response
    }

    /// The value of a header of this response, if present (names are lower-case).
    pub fn header(&self, name: &str) -> Option<&'static str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// `bytes` gzipped at `level`.
fn compress(bytes: &[u8], level: u32) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 16),
        flate2::Compression::new(level),
    );
    // Writing to a Vec cannot fail.
    encoder.write_all(bytes).expect("writing to a Vec");
    encoder.finish().expect("writing to a Vec")
}
