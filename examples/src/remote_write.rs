//! Remote-write from the examples' environment, as the OpenTelemetry guide configures it:
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `REMOTE_WRITE_URL` | unset (no push) | the receiver's remote-write endpoint |
//! | `REMOTE_WRITE_TOKEN` | unset | sent as `Authorization: Bearer <token>` |
//! | `PUSH_INTERVAL_SECONDS` | `15` | seconds between pushes (fractions allowed) |

use std::time::Duration;

use http_metrics_core::push::{PushError, RemoteWrite, RemoteWriteStats, RemoteWriter};
use http_metrics_core::HttpMetrics;

use crate::env::EnvError;

/// The push settings of `REMOTE_WRITE_URL`, `REMOTE_WRITE_TOKEN` and `PUSH_INTERVAL_SECONDS`.
#[derive(Clone)]
pub struct RemoteWriteSettings {
    /// `REMOTE_WRITE_URL`.
    pub url: String,
    /// `REMOTE_WRITE_TOKEN`.
    pub token: Option<String>,
    /// `PUSH_INTERVAL_SECONDS`.
    pub interval: Duration,
}

impl std::fmt::Debug for RemoteWriteSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteWriteSettings")
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("interval", &self.interval)
            .finish()
    }
}

impl RemoteWriteSettings {
    /// Reads the settings through `var`; `None` when `REMOTE_WRITE_URL` is unset or empty.
    ///
    /// ```
    /// use std::time::Duration;
    /// use examples::remote_write::RemoteWriteSettings;
    ///
    /// let env = |name: &str| match name {
    ///     "REMOTE_WRITE_URL" => Some("http://vm:8428/api/v1/write".to_owned()),
    ///     "PUSH_INTERVAL_SECONDS" => Some("0.5".to_owned()),
    ///     _ => None,
    /// };
    /// let settings = RemoteWriteSettings::from_vars(env).unwrap().unwrap();
    /// assert_eq!(settings.interval, Duration::from_millis(500));
    /// assert!(RemoteWriteSettings::from_vars(|_| None).unwrap().is_none());
    /// let bad = |name: &str| match name {
    ///     "REMOTE_WRITE_URL" => Some("vm:8428".to_owned()),
    ///     _ => None,
    /// };
    /// assert_eq!(
    ///     RemoteWriteSettings::from_vars(bad).unwrap_err().to_string(),
    ///     "REMOTE_WRITE_URL=\"vm:8428\" is invalid: must be an http:// or https:// address"
    /// );
    /// ```
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, EnvError> {
        let Some(url) = var("REMOTE_WRITE_URL").filter(|u| !u.is_empty()) else {
            return Ok(None);
        };
        if RemoteWrite::new(&url).is_err() {
            return Err(EnvError {
                name: "REMOTE_WRITE_URL",
                value: url,
                reason: "must be an http:// or https:// address",
            });
        }
        let interval = match var("PUSH_INTERVAL_SECONDS").filter(|v| !v.is_empty()) {
            None => http_metrics_core::push::DEFAULT_PUSH_INTERVAL,
            Some(value) => value
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s >= 0.001 && *s <= 86_400.0)
                .map(Duration::from_secs_f64)
                .ok_or(EnvError {
                    name: "PUSH_INTERVAL_SECONDS",
                    value,
                    reason: "must be a number of seconds from 0.001 to 86400",
                })?,
        };
        let token = var("REMOTE_WRITE_TOKEN").filter(|t| !t.is_empty());
        Ok(Some(Self {
            url,
            token,
            interval,
        }))
    }

    /// Reads the settings from the process' environment.
    ///
    /// # Errors
    ///
    /// As [`RemoteWriteSettings::from_vars`].
    pub fn from_env() -> Result<Option<Self>, EnvError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Starts pushing `metrics` with `job` and `instance` as external labels.
    ///
    /// # Errors
    ///
    /// A [`PushError::Config`] when the token cannot travel in a header.
    pub fn start(
        &self,
        metrics: &HttpMetrics,
        job: &str,
        instance: &str,
    ) -> Result<RemoteWriter, PushError> {
        let mut sender = RemoteWrite::new(&self.url)?
            .interval(self.interval)
            .external_label("job", job)
            .external_label("instance", instance);
        if let Some(token) = &self.token {
            sender = sender.bearer_token(token);
        }
        sender.start(metrics)
    }
}

/// The line a program prints when its sender stops.
///
/// ```
/// let stats = Default::default();
/// assert_eq!(
///     examples::remote_write::summary("http://vm:8428/api/v1/write", &stats),
///     "remote-write to http://vm:8428/api/v1/write: 0 samples sent, 0 failed, 0 dropped"
/// );
/// ```
pub fn summary(url: &str, stats: &RemoteWriteStats) -> String {
    let mut line = format!(
        "remote-write to {url}: {} samples sent, {} failed, {} dropped",
        stats.sent, stats.failed, stats.dropped
    );
    if stats.failed + stats.dropped > 0 {
        if let Some(error) = &stats.last_error {
            line.push_str(&format!(" (last error: {error})"));
        }
    }
    line
}
