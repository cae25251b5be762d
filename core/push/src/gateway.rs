use std::fmt;
use std::time::Duration;

use base64::Engine as _;

use super::{Auth, PushError};
use http_metrics_core::{Format, HttpMetrics};

/// How long a push waits for the gateway by default.
pub const DEFAULT_PUSH_TIMEOUT: Duration = Duration::from_secs(10);

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
        let base = super::check_url(url)?;
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
    /// use http_metrics_push::Pushgateway;
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
            let valid = super::is_label_name(name);
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
        if let Some(auth) = &self.auth {
            headers.insert(http::header::AUTHORIZATION, auth.header()?);
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
