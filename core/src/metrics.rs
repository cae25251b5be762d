//! [`HttpMetrics`]: the shared handle adapters record into and `/metrics` reads from.

use std::fmt;
use std::sync::{Arc, RwLock};

use prometheus_client::registry::{Metric, Registry, Unit};

use crate::exposition::{prometheus_text, Format};
use crate::family::{RequestDuration, RequestsInFlight, RequestsTotal};
use crate::series::{RouteTable, Settings};
use crate::{HttpMetricsBuilder, RouteHandle};

pub(crate) struct Parts {
    pub(crate) folded: crate::capped::FoldedFamily,
    pub(crate) settings: Settings,
    pub(crate) registry: Registry,
    pub(crate) prefix: Option<String>,
    pub(crate) const_labels: Vec<(String, String)>,
    pub(crate) excluded: Vec<Box<str>>,
    pub(crate) unmatched_route: String,
    pub(crate) metrics_path: String,
    pub(crate) bearer_token: Option<crate::exposition::auth::BearerToken>,
}

/// Golden-signal HTTP metrics and the registry they live on.
///
/// Cheap to clone (one `Arc`); every clone records into, and exposes, the same series.
///
/// # One per process, or one per use
///
/// - **The process-wide default**, [`HttpMetrics::global`], is what the adapters'
///   no-argument constructors record into (`MetricsLayer::new()`, `Metrics::new()`,
///   `metrics_handler()`, `metrics_service()`). It is built with the default options on first
///   use, or once, at start-up, from a builder with [`HttpMetricsBuilder::install`]. Use it
///   in a service: one line per framework, and application metrics registered anywhere in
///   the program end up on the same `/metrics`.
/// - **An explicit handle**, from [`HttpMetrics::new`] or [`HttpMetrics::builder`], passed to
///   the adapters' `with_metrics` / `_with` forms: for tests (each test its own series),
///   several independent registries in one process, and libraries, which must not touch the
///   process-wide default of the program that uses them.
///
/// ```
/// use http_metrics_core::{Format, HttpMetrics};
/// use prometheus_client::metrics::counter::Counter;
///
/// let metrics = HttpMetrics::new();
/// let signups: Counter = Counter::default();
/// metrics.register("signups", "Accounts created", signups.clone());
/// signups.inc();
///
/// let text = metrics.encode(Format::Prometheus).unwrap();
/// assert!(text.contains("# TYPE http_requests_total counter"));
/// assert!(text.contains("signups_total 1"));
/// ```
#[derive(Clone)]
pub struct HttpMetrics {
    inner: Arc<Inner>,
}

struct Inner {
    routes: Arc<RouteTable>,
    unmatched: RouteHandle,
    registry: RwLock<Registry>,
    metrics_path: Box<str>,
    bearer_token: Option<crate::exposition::auth::BearerToken>,
    folded: crate::capped::FoldedFamily,
    /// The size of the last OpenMetrics encoding, to allocate the next one at once.
    last_len: std::sync::atomic::AtomicUsize,
    /// Families prometheus-client cannot encode, written after its own: (name, help, family).
    summaries: RwLock<Vec<(String, String, crate::SummaryFamily)>>,
}

impl HttpMetrics {
    /// HTTP metrics with the default options on a new registry.
    pub fn new() -> Self {
        Self::builder()
            .build()
            .expect("the default options are valid")
    }

    /// A builder for the options: prefix, buckets, excluded routes, status label, constant
    /// labels, registry and more.
    pub fn builder() -> HttpMetricsBuilder {
        HttpMetricsBuilder::default()
    }

    pub(crate) fn from_parts(parts: Parts) -> Self {
        let routes = Arc::new(RouteTable::new(
            parts.settings,
            &parts.unmatched_route,
            parts.excluded,
        ));
        let mut registry = parts.registry;
        {
            let mut http = &mut registry;
            if let Some(prefix) = &parts.prefix {
                http = http.sub_registry_with_prefix(prefix);
            }
            if !parts.const_labels.is_empty() {
                http = http.sub_registry_with_labels(
                    parts
                        .const_labels
                        .into_iter()
                        .map(|(k, v)| (k.into(), v.into())),
                );
            }
            http.register(
                "http_requests",
                "Total number of HTTP requests by method, route template and status",
                RequestsTotal(routes.clone()),
            );
            http.register_with_unit(
                "http_request_duration",
                "Duration of HTTP requests from entering the middleware to the end of the response body",
                Unit::Seconds,
                RequestDuration(routes.clone()),
            );
            http.register(
                "http_requests_in_flight",
                "Number of HTTP requests whose response has not finished",
                RequestsInFlight(routes.clone()),
            );
        }
        registry.register(
            "metrics_series_folded",
            "Updates recorded in a metric's otel_metric_overflow series because the metric reached its series cap",
            parts.folded.clone(),
        );
        Self {
            inner: Arc::new(Inner {
                unmatched: RouteHandle(routes.unmatched().clone()),
                routes,
                registry: RwLock::new(registry),
                metrics_path: parts.metrics_path.into(),
                bearer_token: parts.bearer_token,
                folded: parts.folded,
                last_len: Default::default(),
                summaries: RwLock::default(),
            }),
        }
    }

    pub(crate) fn routes(&self) -> &RouteTable {
        &self.inner.routes
    }

    pub(crate) fn unmatched(&self) -> &RouteHandle {
        &self.inner.unmatched
    }

    pub(crate) fn bearer_token(&self) -> Option<&crate::exposition::auth::BearerToken> {
        self.inner.bearer_token.as_ref()
    }

    /// The path the adapters serve the exposition on (default `/metrics`), which is excluded
    /// from the HTTP metrics unless
    /// [`count_metrics_path`](HttpMetricsBuilder::count_metrics_path) is set.
    pub fn metrics_path(&self) -> &str {
        &self.inner.metrics_path
    }

    /// Registers an application metric on the shared registry; it appears on `/metrics`.
    /// Names follow prometheus-client's rules (a counter gains `_total`; help gains a final
    /// `.`). The help text may contain any characters: it is escaped for the exposition
    /// (prometheus-client writes help verbatim, so a newline would break the output).
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        let help = escape_help(help);
        self.with_registry(|r| r.register(name, help, metric));
    }

    /// Registers an application metric with a unit, which is appended to its name. Help is
    /// escaped as by [`HttpMetrics::register`].
    pub fn register_with_unit(&self, name: &str, help: &str, unit: Unit, metric: impl Metric) {
        let help = escape_help(help);
        self.with_registry(|r| r.register_with_unit(name, help, unit, metric));
    }

    /// Registers a [`CappedFamily`](crate::CappedFamily): like [`HttpMetrics::register`],
    /// and updates it folds into its overflow series are counted in
    /// `metrics_series_folded_total{metric="<name>"}`.
    pub fn register_capped<S, M, C>(
        &self,
        name: &str,
        help: &str,
        family: &crate::CappedFamily<S, M, C>,
    ) where
        crate::CappedFamily<S, M, C>: Metric + Clone,
    {
        family.count_folded_in(crate::capped::folded_counter(&self.inner.folded, name));
        self.register(name, help, family.clone());
    }

    /// Registers a [`Summary`](crate::Summary) or [`SummaryFamily`](crate::SummaryFamily);
    /// it appears on `/metrics` after the registry's metrics, as a `summary` with its
    /// `quantile` series, `_sum` and `_count`. (prometheus-client has no summary type: the
    /// core encodes these itself.) Help is escaped as by [`HttpMetrics::register`].
    ///
    /// # Panics
    ///
    /// When `name` is not a metric name (letters, digits, `_`, `:`; not starting with a
    /// digit).
    pub fn register_summary(
        &self,
        name: &str,
        help: &str,
        summary: impl AsRef<crate::SummaryFamily>,
    ) {
        assert!(
            crate::config::is_metric_name(name),
            "{name:?} is not a metric name"
        );
        let family = summary.as_ref().clone();
        let mut summaries = self
            .inner
            .summaries
            .write()
            .unwrap_or_else(|e| e.into_inner());
        summaries.push((name.to_owned(), escape_help(help) + ".", family));
    }

    /// Runs `f` with the registry, for anything [`HttpMetrics::register`] does not cover
    /// (sub-registries, collectors). The registry is locked while `f` runs; scrapes wait.
    /// Help texts registered here directly are written verbatim: keep them to one line
    /// without backslashes or quotes.
    pub fn with_registry<R>(&self, f: impl FnOnce(&mut Registry) -> R) -> R {
        let mut registry = self
            .inner
            .registry
            .write()
            .unwrap_or_else(|e| e.into_inner());
        f(&mut registry)
    }

    /// Encodes every metric on the registry in `format`.
    ///
    /// # Errors
    ///
    /// When a metric's own `encode` fails (prometheus-client's error carries no detail).
    pub fn encode(&self, format: Format) -> Result<String, fmt::Error> {
        let registry = self
            .inner
            .registry
            .read()
            .unwrap_or_else(|e| e.into_inner());
        use std::sync::atomic::Ordering::Relaxed;
        // Growing a multi-megabyte string by doubling copies it a dozen times: start at the
        // last size, plus room for what was added since.
        let expected = self.inner.last_len.load(Relaxed);
        let mut openmetrics = String::with_capacity(expected + expected / 8 + 4096);
        prometheus_client::encoding::text::encode(&mut openmetrics, &registry)?;
        drop(registry);
        self.encode_summaries(&mut openmetrics);
        self.inner.last_len.store(openmetrics.len(), Relaxed);
        Ok(match format {
            Format::OpenMetrics => openmetrics,
            Format::Prometheus => {
                let mut text = String::with_capacity(openmetrics.len());
                prometheus_text::convert(&openmetrics, &mut text);
                text
            }
        })
    }
}

impl HttpMetrics {
    /// Writes the registered summaries before the closing `# EOF`.
    fn encode_summaries(&self, openmetrics: &mut String) {
        let summaries = self
            .inner
            .summaries
            .read()
            .unwrap_or_else(|e| e.into_inner());
        if summaries.is_empty() {
            return;
        }
        let eof = openmetrics.len() - "# EOF\n".len();
        debug_assert_eq!(&openmetrics[eof..], "# EOF\n");
        openmetrics.truncate(eof);
        for (name, help, family) in summaries.iter() {
            family.encode_openmetrics(name, help, openmetrics);
        }
        openmetrics.push_str("# EOF\n");
    }
}

/// Escapes help text as OpenMetrics requires (`\\`, `\n`, `\"`); the Prometheus 0.0.4
/// rendering unescapes and re-escapes it for that format.
fn escape_help(help: &str) -> String {
    let mut out = String::with_capacity(help.len());
    for c in help.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' => out.push_str("\\\""),
            _ => out.push(c),
        }
    }
    out
}

impl Default for HttpMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for HttpMetrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpMetrics")
            .field("settings", self.inner.routes.settings())
            .field("metrics_path", &self.inner.metrics_path)
            .field("bearer_token", &self.inner.bearer_token)
            .finish_non_exhaustive()
    }
}
