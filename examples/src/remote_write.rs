//! Remote-write from the examples' environment, as the OpenTelemetry guide configures it:
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `REMOTE_WRITE_URL` | unset (no push) | the receiver's remote-write endpoint |
//! | `REMOTE_WRITE_TOKEN` | unset | sent as `Authorization: Bearer <token>` |
//! | `PUSH_INTERVAL_SECONDS` | `15` | seconds between pushes (fractions allowed) |
//! | `REMOTE_WRITE_VERSION` | `1.0` | `2.0` for remote-write 2.0 (with 1.0 for a receiver that does not take it) |

use std::process::ExitCode;
use std::time::Duration;

use tower_metrics::exporter::Exporter;
use tower_metrics::push::{
    PushError, RemoteWrite, RemoteWriteStats, RemoteWriteVersion, RemoteWriter,
};
use tower_metrics::HttpMetrics;

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
    /// `REMOTE_WRITE_VERSION`.
    pub version: RemoteWriteVersion,
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
            None => tower_metrics::push::DEFAULT_PUSH_INTERVAL,
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
        let version = match var("REMOTE_WRITE_VERSION").as_deref().map(str::trim) {
            None | Some("" | "1.0") => RemoteWriteVersion::V1,
            Some("2.0") => RemoteWriteVersion::V2,
            Some(value) => {
                return Err(EnvError {
                    name: "REMOTE_WRITE_VERSION",
                    value: value.to_owned(),
                    reason: "must be 1.0 or 2.0",
                })
            }
        };
        Ok(Some(Self {
            url,
            token,
            interval,
            version,
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
            .version(self.version)
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

/// The variables the remote-write programs read, besides
/// [`PUSH_VARIABLES`](crate::env::PUSH_VARIABLES).
pub const VARIABLES: &[(&str, &str)] = &[
    (
        "REMOTE_WRITE_URL",
        "the receiver's remote-write endpoint (required)",
    ),
    ("HOST", "address of /metrics (default 127.0.0.1)"),
    ("PORT", "port of /metrics; 0: any free port"),
    (
        "RUN_SECONDS",
        "stop after this many seconds (default: at Ctrl-C)",
    ),
];

/// The life of the guide's remote-write programs (`remote-write` and `otel-remote-write`)
/// once their instruments are on `metrics`: read the settings (`REMOTE_WRITE_*` and
/// `PUSH_INTERVAL_SECONDS` as [`RemoteWriteSettings`], `HOST`/`PORT` for `/metrics`, default
/// `127.0.0.1:default_port`, and `RUN_SECONDS`), serve
/// `/metrics`, push as job `program`, run until Ctrl-C or for `RUN_SECONDS`, push once more
/// and print what was sent.
///
/// Exit status: 0 done, 1 cannot listen, 2 a bad setting, 3 nothing could be sent; errors go
/// to standard error after `program: `.
pub fn serve_and_push(program: &str, default_port: u16, metrics: &HttpMetrics) -> ExitCode {
    let fail = |error: &dyn std::fmt::Display, code: u8| {
        eprintln!("{program}: {error}");
        ExitCode::from(code)
    };
    let var = |n: &str| std::env::var(n).ok();
    let settings = match RemoteWriteSettings::from_env() {
        Ok(Some(settings)) => settings,
        Ok(None) => {
            return fail(
                &"REMOTE_WRITE_URL is required: the receiver's remote-write endpoint, such as \
                  http://127.0.0.1:9090/api/v1/write",
                2,
            )
        }
        Err(e) => return fail(&e, 2),
    };
    let (host, port) = match crate::env::listen_addr_from(var, default_port) {
        Ok(addr) => addr,
        Err(e) => return fail(&e, 2),
    };
    let run_for = match var("RUN_SECONDS").filter(|v| !v.is_empty()) {
        None => None,
        Some(value) => match value.trim().parse::<f64>() {
            Ok(s) if s.is_finite() && s >= 0.0 => Some(Duration::from_secs_f64(s)),
            _ => return fail(&format!("RUN_SECONDS={value:?}: a number of seconds"), 2),
        },
    };

    let exporter = match Exporter::start(metrics, (host.as_str(), port)) {
        Ok(exporter) => exporter,
        Err(e) => return fail(&format!("cannot listen on {host}:{port}: {e}"), 1),
    };
    let instance = exporter.local_addr().to_string();
    let writer = match settings.start(metrics, program, &instance) {
        Ok(writer) => writer,
        Err(e) => return fail(&format!("REMOTE_WRITE_TOKEN: {e}"), 2),
    };
    println!(
        "{program} serving /metrics on http://{instance}, pushing to {} every {:?}",
        settings.url, settings.interval
    );

    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&e, 1),
    };
    runtime.block_on(async {
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        match run_for {
            Some(duration) => {
                tokio::select! {
                    _ = tokio::time::sleep(duration) => {}
                    _ = ctrl_c => {}
                }
            }
            None => ctrl_c.await,
        }
    });
    let stats = writer.shutdown_blocking();
    exporter.shutdown();
    println!("{}", summary(&settings.url, &stats));
    if stats.sent == 0 {
        let error = stats
            .last_error
            .as_deref()
            .unwrap_or("no snapshot was taken");
        return fail(
            &format!("nothing could be sent to {}: {error}", settings.url),
            3,
        );
    }
    ExitCode::SUCCESS
}
