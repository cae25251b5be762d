//! The process-wide default [`HttpMetrics`].

use std::sync::OnceLock;

use crate::{ConfigError, HttpMetrics, HttpMetricsBuilder};

static GLOBAL: OnceLock<HttpMetrics> = OnceLock::new();

impl HttpMetrics {
    /// The process-wide default: what the adapters' no-argument constructors record into
    /// and serve. Built with the default options the first time anything asks for it,
    /// unless [`HttpMetricsBuilder::install`] configured it before.
    ///
    /// Application metrics registered on it appear on every `/metrics` that serves it.
    ///
    /// ```
    /// use http_metrics_core::HttpMetrics;
    /// use prometheus_client::metrics::counter::Counter;
    ///
    /// let jobs: Counter = Counter::default();
    /// HttpMetrics::global().register("jobs", "Jobs run", jobs.clone());
    /// ```
    pub fn global() -> &'static HttpMetrics {
        GLOBAL.get_or_init(|| with_measured(HttpMetrics::new()))
    }
}

impl HttpMetricsBuilder {
    /// Builds the metrics and makes them the process-wide default, [`HttpMetrics::global`].
    /// Call it once, at start-up, before any adapter is built.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming an invalid option, as [`HttpMetricsBuilder::build`] reports;
    /// or [`ConfigError::GlobalInUse`] when the default already exists — installed before,
    /// or built with the default options because something used it first (a no-argument
    /// constructor, `HttpMetrics::global()`). The existing default is then left as it is:
    /// a second configuration never takes effect silently.
    ///
    /// ```
    /// use http_metrics_core::{ConfigError, HttpMetrics};
    ///
    /// let metrics = HttpMetrics::builder().prefix("shop").install().expect("first");
    /// assert_eq!(metrics.metrics_path(), "/metrics");
    /// assert!(std::ptr::eq(metrics, HttpMetrics::global()));
    /// let again = HttpMetrics::builder().prefix("other").install();
    /// assert_eq!(again.unwrap_err(), ConfigError::GlobalInUse);
    /// ```
    pub fn install(self) -> Result<&'static HttpMetrics, ConfigError> {
        if GLOBAL.get().is_some() {
            return Err(ConfigError::GlobalInUse);
        }
        let metrics = with_measured(self.build()?);
        let mut installed = false;
        let global = GLOBAL.get_or_init(|| {
            installed = true;
            metrics
        });
        if installed {
            Ok(global)
        } else {
            Err(ConfigError::GlobalInUse)
        }
    }
}

/// `metrics` with the families of `#[measured]` functions, which are the process-wide
/// default's.
fn with_measured(metrics: HttpMetrics) -> HttpMetrics {
    use crate::instruments::measured::{MeasuredCollector, NAMES};
    metrics.with_registry(|r| r.register_collector(Box::new(MeasuredCollector)));
    for (name, kind) in NAMES {
        metrics.inner.add_registry_name(name, kind);
    }
    metrics
}
