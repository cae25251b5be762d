//! Pushing to a [Prometheus Pushgateway](https://github.com/prometheus/pushgateway), for batch
//! jobs that end before anything could scrape them: client_python's `push_to_gateway`,
//! `pushadd_to_gateway` and `delete_from_gateway`, in async and blocking forms (a batch job is
//! often a plain `main`).
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
//! use http_metrics_core::push::Pushgateway;
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

use std::fmt;
use std::time::Duration;

use base64::Engine as _;

use crate::{Format, HttpMetrics};

/// How long a push waits for the gateway by default.
pub const DEFAULT_PUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a push failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum PushError {
    /// The gateway's address, the job name or a grouping-key name is not usable.
    Config(String),
    /// The gateway answered with an error status: the status and its message.
    Refused {
        /// The HTTP status.
        status: u16,
        /// What the gateway said, as it said it.
        message: String,
    },
    /// The gateway could not be reached or did not answer in time.
    Transport(String),
    /// A metric of the registry failed to encode.
    Encode,
}

impl fmt::Display for PushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(why) => write!(f, "invalid Pushgateway configuration: {why}"),
            Self::Refused { status, message } => {
                write!(
                    f,
                    "the Pushgateway refused the request ({status}): {}",
                    message.trim()
                )
            }
            Self::Transport(why) => write!(f, "the Pushgateway could not be reached: {why}"),
            Self::Encode => f.write_str("a metric of the registry failed to encode"),
        }
    }
}

impl std::error::Error for PushError {}

#[derive(Clone)]
enum Auth {
    Basic(String, String),
    Bearer(String),
}

/// A Pushgateway group: the gateway's address, the job name, the grouping key, and how to
/// reach it. Cheap to clone.
#[derive(Clone)]
pub struct Pushgateway {
    base: String,
    job: String,
    grouping: Vec<(String, String)>,
    auth: Option<Auth>,
    timeout: Duration,
}

impl fmt::Debug for Pushgateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Credentials never appear in logs.
        f.debug_struct("Pushgateway")
            .field("base", &self.base)
            .field("job", &self.job)
            .field("grouping", &self.grouping)
            .field("auth", &self.auth.as_ref().map(|_| "<redacted>"))
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Pushgateway {
    /// The group `job` on the gateway at `url` (`http://host:9091`; a path prefix is kept).
    ///
    /// # Errors
    ///
    /// [`PushError::Config`] when `url` is not an `http` or `https` URL.
    pub fn new(url: &str, job: &str) -> Result<Self, PushError> {
        let base = url.trim_end_matches('/');
        let host = base
            .strip_prefix("http://")
            .or_else(|| base.strip_prefix("https://"));
        if host.is_none_or(str::is_empty) {
            return Err(PushError::Config(format!(
                "{url:?} is not an http:// or https:// address"
            )));
        }
        Ok(Self {
            base: base.to_owned(),
            job: job.to_owned(),
            grouping: Vec::new(),
            auth: None,
            timeout: DEFAULT_PUSH_TIMEOUT,
        })
    }

    /// Adds a label to the grouping key (client_python's `grouping_key`), such as
    /// `instance`. The value may be anything, `/` and empty included.
    pub fn grouping_key(mut self, name: &str, value: &str) -> Self {
        self.grouping.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Authenticates with HTTP basic auth.
    pub fn basic_auth(mut self, user: &str, password: &str) -> Self {
        self.auth = Some(Auth::Basic(user.to_owned(), password.to_owned()));
        self
    }

    /// Authenticates with `Authorization: Bearer <token>`.
    pub fn bearer_token(mut self, token: &str) -> Self {
        self.auth = Some(Auth::Bearer(token.to_owned()));
        self
    }

    /// How long to wait for the gateway (default [`DEFAULT_PUSH_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The group's URL: `/metrics/job/<job>` and the grouping key, each value in the
    /// gateway's base64 form where it needs it.
    ///
    /// ```
    /// use http_metrics_core::push::Pushgateway;
    ///
    /// let gateway = Pushgateway::new("http://gw:9091", "backup").unwrap()
    ///     .grouping_key("instance", "db-1")
    ///     .grouping_key("path", "/var/lib");
    /// assert_eq!(
    ///     gateway.url().unwrap(),
    ///     "http://gw:9091/metrics/job/backup/instance/db-1/path@base64/L3Zhci9saWI="
    /// );
    /// ```
    ///
    /// # Errors
    ///
    /// [`PushError::Config`] for a grouping-key name that is not a label name, or is `job`.
    pub fn url(&self) -> Result<String, PushError> {
        let mut url = format!("{}/metrics/{}", self.base, segment("job", &self.job));
        for (name, value) in &self.grouping {
            let mut chars = name.chars();
            let valid = chars
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid || name == "job" {
                return Err(PushError::Config(format!(
                    "{name:?} cannot be a grouping-key label"
                )));
            }
            url.push('/');
            url.push_str(&segment(name, value));
        }
        Ok(url)
    }

    /// Replaces the group's metrics with `metrics`' (`PUT`). Call it from a tokio runtime;
    /// the registry is encoded on its blocking pool.
    ///
    /// # Errors
    ///
    /// A [`PushError`] saying what went wrong: the gateway's refusal carries its status and
    /// message.
    pub async fn push(&self, metrics: &HttpMetrics) -> Result<(), PushError> {
        self.send_async(reqwest::Method::PUT, Some(metrics)).await
    }

    /// Replaces the group's metrics of the same names with `metrics`' (`POST`).
    ///
    /// # Errors
    ///
    /// As [`Pushgateway::push`].
    pub async fn push_add(&self, metrics: &HttpMetrics) -> Result<(), PushError> {
        self.send_async(reqwest::Method::POST, Some(metrics)).await
    }

    /// Deletes the group (`DELETE`).
    ///
    /// # Errors
    ///
    /// As [`Pushgateway::push`].
    pub async fn delete(&self) -> Result<(), PushError> {
        self.send_async(reqwest::Method::DELETE, None).await
    }

    /// [`Pushgateway::push`] from a plain thread (not from inside an async runtime).
    ///
    /// # Errors
    ///
    /// As [`Pushgateway::push`].
    pub fn push_blocking(&self, metrics: &HttpMetrics) -> Result<(), PushError> {
        self.send_blocking(reqwest::Method::PUT, Some(metrics))
    }

    /// [`Pushgateway::push_add`] from a plain thread.
    ///
    /// # Errors
    ///
    /// As [`Pushgateway::push`].
    pub fn push_add_blocking(&self, metrics: &HttpMetrics) -> Result<(), PushError> {
        self.send_blocking(reqwest::Method::POST, Some(metrics))
    }

    /// [`Pushgateway::delete`] from a plain thread.
    ///
    /// # Errors
    ///
    /// As [`Pushgateway::push`].
    pub fn delete_blocking(&self) -> Result<(), PushError> {
        self.send_blocking(reqwest::Method::DELETE, None)
    }

    fn body(metrics: Option<&HttpMetrics>) -> Result<Option<String>, PushError> {
        metrics
            .map(|m| m.encode(Format::Prometheus).map_err(|_| PushError::Encode))
            .transpose()
    }

    /// The request's headers: the body's type when there is one, and the credentials.
    fn headers(&self, with_body: bool) -> Result<http::HeaderMap, PushError> {
        let mut headers = http::HeaderMap::new();
        if with_body {
            let content_type = http::HeaderValue::from_static(Format::Prometheus.content_type());
            headers.insert(http::header::CONTENT_TYPE, content_type);
        }
        let authorization = match &self.auth {
            Some(Auth::Basic(user, password)) => {
                let pair =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                Some(format!("Basic {pair}"))
            }
            Some(Auth::Bearer(token)) => Some(format!("Bearer {token}")),
            None => None,
        };
        if let Some(value) = authorization {
            let mut value = http::HeaderValue::from_str(&value).map_err(|_| {
                PushError::Config("the credentials cannot travel in a header".into())
            })?;
            value.set_sensitive(true);
            headers.insert(http::header::AUTHORIZATION, value);
        }
        Ok(headers)
    }

    /// The gateway's answer: success, or its refusal with what it said.
    fn answer(
        status: reqwest::StatusCode,
        message: impl FnOnce() -> String,
    ) -> Result<(), PushError> {
        if status.is_success() {
            return Ok(());
        }
        Err(PushError::Refused {
            status: status.as_u16(),
            message: message(),
        })
    }

    async fn send_async(
        &self,
        method: reqwest::Method,
        metrics: Option<&HttpMetrics>,
    ) -> Result<(), PushError> {
        let url = self.url()?;
        // Encoding waits for the registry's collectors (up to their deadline): on tokio's
        // blocking pool, never on the caller's async thread.
        let metrics = metrics.cloned();
        let body = tokio::task::spawn_blocking(move || Self::body(metrics.as_ref()))
            .await
            .map_err(|_| PushError::Encode)??;
        let headers = self.headers(body.is_some())?;
        let client = reqwest::Client::builder()
            .timeout(self.timeout)
            .build()
            .map_err(transport)?;
        let mut request = client.request(method, url).headers(headers);
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let message = response.text().await.unwrap_or_default();
        Self::answer(status, || message)
    }

    fn send_blocking(
        &self,
        method: reqwest::Method,
        metrics: Option<&HttpMetrics>,
    ) -> Result<(), PushError> {
        let url = self.url()?;
        let body = Self::body(metrics)?;
        let headers = self.headers(body.is_some())?;
        let client = reqwest::blocking::Client::builder()
            .timeout(self.timeout)
            .build()
            .map_err(transport)?;
        let mut request = client.request(method, url).headers(headers);
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().map_err(transport)?;
        Self::answer(response.status(), || response.text().unwrap_or_default())
    }
}

fn transport(error: reqwest::Error) -> PushError {
    PushError::Transport(error.to_string())
}

/// `<name>/<value>`, or `<name>@base64/<value in base64url>` when the value is empty or holds
/// anything beyond the characters a path segment carries as they are.
fn segment(name: &str, value: &str) -> String {
    // `.` and `..` are dot segments, which URL parsing collapses: base64 too.
    let plain = !value.is_empty()
        && value != "."
        && value != ".."
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if plain {
        format!("{name}/{value}")
    } else {
        // The gateway's form: base64url, `=` for the empty value.
        let encoded = base64::engine::general_purpose::URL_SAFE.encode(value);
        let encoded = if encoded.is_empty() {
            "=".to_owned()
        } else {
            encoded
        };
        format!("{name}@base64/{encoded}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn awkward_values_travel_in_base64() {
        assert_eq!(segment("job", "nightly-1.2_x~"), "job/nightly-1.2_x~");
        assert_eq!(segment("instance", ""), "instance@base64/=");
        assert_eq!(segment("path", "a/b"), "path@base64/YS9i");
        assert_eq!(segment("who", "ünï code"), "who@base64/w7xuw68gY29kZQ==");
        assert_eq!(segment("q", "?#%"), "q@base64/PyMl");
        assert_eq!(segment("up", ".."), "up@base64/Li4=");
        assert_eq!(segment("here", "."), "here@base64/Lg==");
    }

    #[test]
    fn addresses_and_label_names_are_checked() {
        assert!(matches!(
            Pushgateway::new("gw:9091", "j"),
            Err(PushError::Config(_))
        ));
        let gateway = Pushgateway::new("http://gw:9091/", "j").unwrap();
        assert_eq!(gateway.url().unwrap(), "http://gw:9091/metrics/job/j");
        let bad = gateway.clone().grouping_key("job", "x").url().unwrap_err();
        assert!(bad.to_string().contains("\"job\""), "{bad}");
        let bad = gateway.grouping_key("a-b", "x").url().unwrap_err();
        assert!(bad.to_string().contains("\"a-b\""), "{bad}");
        let secret = Pushgateway::new("http://gw:9091", "j")
            .unwrap()
            .bearer_token("s3cret");
        assert!(!format!("{secret:?}").contains("s3cret"));
    }

    #[test]
    fn both_forms_send_the_body_type_and_the_credentials() {
        let gateway = Pushgateway::new("http://gw:9091", "j").unwrap();
        let basic = gateway
            .clone()
            .basic_auth("user", "pass")
            .headers(true)
            .unwrap();
        assert_eq!(basic["authorization"], "Basic dXNlcjpwYXNz");
        assert_eq!(
            basic["content-type"],
            "text/plain; version=0.0.4; charset=utf-8"
        );
        assert!(basic["authorization"].is_sensitive());
        let bearer = gateway
            .clone()
            .bearer_token("s3cret")
            .headers(false)
            .unwrap();
        assert_eq!(bearer["authorization"], "Bearer s3cret");
        assert!(bearer.get("content-type").is_none(), "a DELETE has no body");
        assert!(gateway.headers(false).unwrap().is_empty());
        let broken = Pushgateway::new("http://gw", "j")
            .unwrap()
            .bearer_token("a\nb");
        assert!(matches!(broken.headers(false), Err(PushError::Config(_))));
    }
}
