//! [`HttpMetrics`]: the shared handle adapters record into and `/metrics` reads from.

use std::fmt;
use std::sync::{Arc, RwLock};

use prometheus_client::registry::{Metric, Registry, Unit};

use crate::base::escape_help;
use crate::exposition::{prometheus_text, Format};
use crate::family::{RequestDuration, RequestHeadDuration, RequestsInFlight, RequestsTotal};
use crate::http::series::{RouteTable, Settings};
use crate::{HttpMetricsBuilder, RouteHandle};

pub(crate) struct Parts {
    pub(crate) folded: crate::instruments::capped::FoldedFamily,
    pub(crate) settings: Settings,
    pub(crate) registry: Registry,
    /// Whether `registry` is the application's ([`HttpMetricsBuilder::registry`]), whose
    /// own prefix and labels the HTTP families must take.
    pub(crate) app_registry: bool,
    pub(crate) prefix: Option<String>,
    pub(crate) const_labels: Vec<(String, String)>,
    pub(crate) excluded: Vec<Box<str>>,
    pub(crate) unmatched_route: String,
    pub(crate) metrics_path: String,
    pub(crate) bearer_token: Option<crate::exposition::auth::BearerToken>,
    pub(crate) collector_timeout: std::time::Duration,
    pub(crate) gzip_level: u32,
    pub(crate) process_metrics: bool,
    pub(crate) naming: crate::Naming,
    pub(crate) excluded_patterns: Vec<Box<str>>,
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
    /// The HTTP families, written directly (not through the registry) at each scrape, unless
    /// they are on the application's registry.
    http: Option<crate::exposition::http_families::HttpFamilies>,
    /// The prefix and constant labels of the HTTP families, for the encoding through
    /// prometheus-client kept for comparison ([`HttpMetrics::encode_legacy`]).
    prefix: Option<String>,
    const_labels: Vec<(String, String)>,
    naming: crate::Naming,
    unmatched: RouteHandle,
    registry: RwLock<Registry>,
    metrics_path: Box<str>,
    bearer_token: Option<crate::exposition::auth::BearerToken>,
    folded: crate::instruments::capped::FoldedFamily,
    /// The size of the last OpenMetrics encoding, to allocate the next one at once.
    last_len: std::sync::atomic::AtomicUsize,
    /// Families prometheus-client cannot encode, written after its own: (name, help, family).
    summaries: RwLock<Vec<(String, String, crate::SummaryFamily)>>,
    /// Callback metrics and custom collectors, each run apart at every scrape.
    collectors: RwLock<Vec<crate::registry::collectors::Guarded>>,
    collector_timeout: std::time::Duration,
    /// 0: no compression.
    gzip_level: u32,
    collector_failures: crate::registry::collectors::FailureFamily,
    /// The names the registry's families write, for the families named at scrape time.
    taken: Arc<crate::registry::taken::TakenNames>,
    /// The remote-write senders' health families, registered by the first sender.
    #[cfg(feature = "push")]
    remote_write: std::sync::OnceLock<crate::push::remote_write::health::Families>,
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
            parts.excluded_patterns,
        ));
        let naming = parts.naming;
        let mut registry = parts.registry;
        // The counter, the latency and body-size histograms and the in-flight gauge are
        // written directly, before the registry's families (exposition::http_families) —
        // unless the application gave its registry, whose own prefix and labels (which it
        // does not tell) they must then take: they go on it, as prometheus-client metrics.
        // The names every family writes, for families named only at scrape time (the
        // OpenTelemetry bridge's) to stay clear of.
        let taken = crate::registry::taken::TakenNames::default();
        let families = crate::exposition::http_families::HttpFamilies::new(
            routes.clone(),
            &naming,
            parts.prefix.as_deref(),
            &parts.const_labels,
        );
        for (name, kind) in families.names() {
            taken.add(name, kind);
        }
        let http = (!parts.app_registry).then_some(families);
        {
            let http = http_registry(&mut registry, &parts.prefix, &parts.const_labels);
            if parts.app_registry {
                register_http_families(http, &routes, &naming);
            }
            if routes.settings().upgrades.is_some() {
                http.register(
                    "http_upgraded_connections_open",
                    "Upgraded connections (WebSockets) open now, by the method and route of their upgrade request",
                    crate::family::UpgradesOpen(routes.clone()),
                );
                http.register_with_unit(
                    "http_upgraded_connection_duration",
                    "Lifetime of upgraded connections (WebSockets) that closed, from the upgrade's answer to the end of the connection",
                    Unit::Seconds,
                    crate::family::UpgradeLifetimes(routes.clone()),
                );
                use crate::base::Kind;
                for (name, kind) in [
                    ("http_upgraded_connections_open", Kind::Gauge),
                    ("http_upgraded_connection_duration_seconds", Kind::Histogram),
                ] {
                    match &parts.prefix {
                        Some(prefix) => taken.add(&format!("{prefix}_{name}"), kind),
                        None => taken.add(name, kind),
                    }
                }
            }
        }
        #[cfg(feature = "process")]
        if parts.process_metrics {
            registry.register_collector(Box::new(crate::instruments::process::ProcessCollector));
        }
        let _ = parts.process_metrics;
        let collector_failures = crate::registry::collectors::FailureFamily::default();
        taken.add("metrics_collector_failures", crate::base::Kind::Counter);
        registry.register(
            "metrics_collector_failures",
            "Scrapes that left out a callback metric or custom collector, by collector and reason (panic, timeout, busy)",
            collector_failures.clone(),
        );
        taken.add("metrics_series_folded", crate::base::Kind::Counter);
        registry.register(
            "metrics_series_folded",
            "Updates recorded in a metric's otel_metric_overflow series because the metric reached its series cap",
            parts.folded.clone(),
        );
        #[cfg(feature = "process")]
        if parts.process_metrics {
            crate::instruments::process::take_names(&taken);
        }
        Self {
            inner: Arc::new(Inner {
                unmatched: RouteHandle(routes.unmatched().clone()),
                routes,
                http,
                prefix: parts.prefix,
                const_labels: parts.const_labels,
                naming,
                registry: RwLock::new(registry),
                metrics_path: parts.metrics_path.into(),
                bearer_token: parts.bearer_token,
                folded: parts.folded,
                last_len: Default::default(),
                summaries: RwLock::default(),
                collectors: RwLock::default(),
                collector_timeout: parts.collector_timeout,
                gzip_level: parts.gzip_level,
                collector_failures,
                taken: Arc::new(taken),
                #[cfg(feature = "push")]
                remote_write: std::sync::OnceLock::new(),
            }),
        }
    }

    /// The names the registry's families write.
    #[cfg(feature = "opentelemetry")]
    pub(crate) fn taken_names(&self) -> Arc<crate::registry::taken::TakenNames> {
        self.inner.taken.clone()
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

    /// The gzip level of scrapes that accept it; 0: none.
    pub(crate) fn gzip_level(&self) -> u32 {
        self.inner.gzip_level
    }

    /// The path the adapters serve the exposition on (default `/metrics`), which is excluded
    /// from the HTTP metrics unless
    /// [`count_metrics_path`](HttpMetricsBuilder::count_metrics_path) is set.
    pub fn metrics_path(&self) -> &str {
        &self.inner.metrics_path
    }

    /// Whether requests carry exemplars ([`crate::HttpMetricsBuilder::exemplars`]): adapters
    /// then pass each request's `traceparent` header to
    /// [`RequestGuard::set_trace`](crate::adapter::RequestGuard::set_trace).
    /// (Always `false` without the `exemplars` feature.)
    pub fn exemplars_enabled(&self) -> bool {
        self.inner.routes.settings().exemplars_on()
    }

    /// Whether the body-size histograms are on ([`crate::HttpMetricsBuilder::body_sizes`]):
    /// adapters then count request bodies through
    /// [`RequestGuard::request_body_counter`](crate::adapter::RequestGuard::request_body_counter)
    /// and response bodies through [`ActiveRequest::sent`](crate::adapter::ActiveRequest::sent).
    pub fn body_sizes_enabled(&self) -> bool {
        self.inner.routes.settings().sizes.is_some()
    }

    /// Opens an upgraded connection (a WebSocket) on `route`, the template of the route
    /// that upgraded it, until the returned guard drops: see
    /// [`HttpMetricsBuilder::upgraded_connections`](crate::HttpMetricsBuilder::upgraded_connections).
    /// It records nothing when upgraded connections are not tracked, or `route` is excluded.
    pub fn upgraded_connection(
        &self,
        method: &http::Method,
        route: &str,
    ) -> crate::UpgradedConnection {
        crate::UpgradedConnection::open(self, crate::MethodLabel::from(method), route)
    }

    /// Where the [`RequestLabel`](crate::RequestLabel)'s value comes from, if there is one:
    /// what an adapter reads from each request and passes to
    /// [`RequestGuard::set_request_label`](crate::adapter::RequestGuard::set_request_label).
    ///
    /// ```
    /// use http_metrics_core::adapter::RequestLabelSource;
    /// use http_metrics_core::{HttpMetrics, RequestLabel};
    ///
    /// let metrics = HttpMetrics::builder()
    ///     .request_label(RequestLabel::header("X-Tenant", "tenant").allow(["acme"]))
    ///     .build()
    ///     .unwrap();
    /// let header = http::HeaderName::from_static("x-tenant");
    /// assert_eq!(metrics.request_label_source(), Some(RequestLabelSource::Header(header)));
    /// assert_eq!(HttpMetrics::new().request_label_source(), None);
    /// ```
    pub fn request_label_source(&self) -> Option<crate::adapter::RequestLabelSource> {
        let label = self.inner.routes.settings().request_label.as_ref()?;
        Some(label.source())
    }

    /// Registers an application metric on the shared registry; it appears on `/metrics`.
    /// Names follow prometheus-client's rules (a counter gains `_total`; help gains a final
    /// `.`). The help text may contain any characters: it is escaped for the exposition
    /// (prometheus-client writes help verbatim, so a newline would break the output).
    pub fn register(&self, name: &str, help: &str, metric: impl Metric) {
        let help = escape_help(help);
        self.inner.taken.add(name, metric.metric_type().into());
        self.with_registry(|r| r.register(name, help, metric));
    }

    /// Registers an application metric with a unit, which is appended to its name. Help is
    /// escaped as by [`HttpMetrics::register`].
    pub fn register_with_unit(&self, name: &str, help: &str, unit: Unit, metric: impl Metric) {
        let help = escape_help(help);
        let full = format!("{name}_{}", unit.as_str());
        self.inner.taken.add(&full, metric.metric_type().into());
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
        family.count_folded_in(crate::instruments::capped::folded_counter(
            &self.inner.folded,
            name,
        ));
        self.register(name, help, family.clone());
    }

    /// Registers a [`Summary`](crate::Summary) or [`SummaryFamily`](crate::SummaryFamily);
    /// it appears on `/metrics` after the registry's metrics, as a `summary` with its
    /// `quantile` series, `_sum` and `_count`. (prometheus-client has no summary type: the
    /// core encodes these itself.) Help is escaped as by [`HttpMetrics::register`].
    ///
    /// ```
    /// use http_metrics_core::{Format, HttpMetrics, Summary};
    ///
    /// let metrics = HttpMetrics::new();
    /// let wait = Summary::builder().objectives([(0.99, 0.001)]).build().unwrap();
    /// metrics.register_summary("queue_wait_seconds", "Time queued before work", &wait);
    /// wait.observe(0.25);
    /// let text = metrics.encode(Format::OpenMetrics).unwrap();
    /// assert!(text.contains("queue_wait_seconds{quantile=\"0.99\"} 0.25\n"));
    /// ```
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
            crate::base::is_metric_name(name),
            "{name:?} is not a metric name"
        );
        let family = summary.as_ref().clone();
        self.inner.taken.add(name, crate::base::Kind::Summary);
        let mut summaries = self
            .inner
            .summaries
            .write()
            .unwrap_or_else(|e| e.into_inner());
        summaries.push((name.to_owned(), format!("{help}."), family));
    }

    /// Registers a gauge whose values `callback` reports at each scrape, one per label set:
    /// OpenTelemetry's observable gauge and up-down counter, the guides' `ValueObserver` and
    /// `UpDownSumObserver`. The callback runs apart from the scrape, with a deadline: see
    /// [`HttpMetrics::register_collector`] for what happens when it panics or is slow.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicI64, Ordering};
    /// use std::sync::Arc;
    /// use http_metrics_core::{Format, HttpMetrics};
    ///
    /// let metrics = HttpMetrics::new();
    /// let connections = Arc::new(AtomicI64::new(0));
    /// let read = connections.clone();
    /// metrics.register_gauge_fn("open_connections", "Connections open now", move |out| {
    ///     out.observe(&[], read.load(Ordering::Relaxed) as f64);
    /// });
    /// connections.store(4, Ordering::Relaxed);
    /// let text = metrics.encode(Format::Prometheus).unwrap();
    /// assert!(text.contains("open_connections 4.0\n"));
    /// ```
    pub fn register_gauge_fn(
        &self,
        name: &str,
        help: &str,
        callback: impl Fn(&mut crate::Observations) + Send + Sync + 'static,
    ) {
        self.register_fn(
            name,
            help,
            prometheus_client::metrics::MetricType::Gauge,
            callback,
        );
    }

    /// Registers a counter whose values `callback` reports at each scrape (they must only
    /// grow): OpenTelemetry's observable counter, the guides' `SumObserver`. `_total` is
    /// appended to `name` unless it ends with it.
    ///
    /// ```
    /// use http_metrics_core::{Format, HttpMetrics};
    ///
    /// let metrics = HttpMetrics::new();
    /// metrics.register_counter_fn("db_queries", "Total database queries", |out| {
    ///     out.observe(&[("operation", "select")], 42.0);
    /// });
    /// let text = metrics.encode(Format::Prometheus).unwrap();
    /// assert!(text.contains("db_queries_total{operation=\"select\"} 42.0\n"));
    /// ```
    pub fn register_counter_fn(
        &self,
        name: &str,
        help: &str,
        callback: impl Fn(&mut crate::Observations) + Send + Sync + 'static,
    ) {
        let name = name.strip_suffix("_total").unwrap_or(name);
        self.register_fn(
            name,
            help,
            prometheus_client::metrics::MetricType::Counter,
            callback,
        );
    }

    fn register_fn(
        &self,
        name: &str,
        help: &str,
        kind: prometheus_client::metrics::MetricType,
        callback: impl Fn(&mut crate::Observations) + Send + Sync + 'static,
    ) {
        self.inner.taken.add(name, kind.into());
        let collector = crate::instruments::callback::FnCollector {
            name: name.to_owned(),
            help: escape_help(help),
            kind,
            callback,
        };
        self.register_collector(name, collector);
    }

    /// Registers a custom collector: prometheus-client's [`Collector`] trait, which yields
    /// whole families at each scrape (the guides' `DatabaseMetricsCollector`). `name` names
    /// it in `metrics_collector_failures_total`.
    ///
    /// It is run at every scrape on a thread of its own, into its own buffer, and waited for
    /// until the collector deadline
    /// ([`collector_timeout`](crate::HttpMetricsBuilder::collector_timeout), 1 s by default).
    /// If it panics, or misses the deadline, its families are left out of that scrape —
    /// everything else is served — and
    /// `metrics_collector_failures_total{collector, reason="panic"|"timeout"}` counts it; one
    /// still running is not started again (`reason="busy"`) until it finishes.
    ///
    /// [`Collector`]: prometheus_client::collector::Collector
    ///
    /// ```
    /// use http_metrics_core::prometheus_client::collector::Collector;
    /// use http_metrics_core::prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
    /// use http_metrics_core::prometheus_client::metrics::{counter::ConstCounter, gauge::ConstGauge};
    /// use http_metrics_core::{Format, HttpMetrics};
    ///
    /// /// Stands in for a real connection pool.
    /// #[derive(Debug)]
    /// struct DbPool;
    /// impl DbPool {
    ///     fn pool_size(&self) -> i64 { 10 }
    ///     fn active_count(&self) -> i64 { 3 }
    ///     fn query_stats(&self) -> Vec<(&'static str, u64)> { vec![("select", 120), ("insert", 7)] }
    /// }
    ///
    /// #[derive(Debug)]
    /// struct DatabaseMetricsCollector { db_pool: DbPool }
    ///
    /// impl Collector for DatabaseMetricsCollector {
    ///     fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
    ///         let primary = [("pool_name", "primary")];
    ///         let size = ConstGauge::new(self.db_pool.pool_size());
    ///         let mut metric = encoder.encode_descriptor("db_pool_size", "Database connection pool size", None, size.metric_type())?;
    ///         size.encode(metric.encode_family(&primary)?)?;
    ///         let active = ConstGauge::new(self.db_pool.active_count());
    ///         let mut metric = encoder.encode_descriptor("db_active_connections", "Active database connections", None, active.metric_type())?;
    ///         active.encode(metric.encode_family(&primary)?)?;
    ///         let mut queries = encoder.encode_descriptor("db_queries", "Total database queries", None, prometheus_client::metrics::MetricType::Counter)?;
    ///         for (operation, count) in self.db_pool.query_stats() {
    ///             ConstCounter::new(count).encode(queries.encode_family(&[("operation", operation)])?)?;
    ///         }
    ///         Ok(())
    ///     }
    /// }
    /// # use http_metrics_core::prometheus_client;
    ///
    /// let metrics = HttpMetrics::new();
    /// metrics.register_collector("database", DatabaseMetricsCollector { db_pool: DbPool });
    /// let text = metrics.encode(Format::Prometheus).unwrap();
    /// assert!(text.contains("db_pool_size{pool_name=\"primary\"} 10\n"));
    /// assert!(text.contains("db_queries_total{operation=\"insert\"} 7\n"));
    /// ```
    pub fn register_collector(
        &self,
        name: &str,
        collector: impl prometheus_client::collector::Collector,
    ) {
        let guarded =
            crate::registry::collectors::Guarded::new(name, std::sync::Arc::new(collector));
        let mut collectors = self
            .inner
            .collectors
            .write()
            .unwrap_or_else(|e| e.into_inner());
        collectors.push(guarded);
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

    /// Encodes every metric on the registry in a text format: the HTTP families first,
    /// written directly from one reading of their series (so the counter and the
    /// histogram's count agree in every scrape), then the registry's, summaries and
    /// collectors.
    ///
    /// # Errors
    ///
    /// When a metric's own `encode` fails (prometheus-client's error carries no detail), and
    /// for [`Format::Protobuf`], which is not text: see [`HttpMetrics::encode_to_vec`].
    pub fn encode(&self, format: Format) -> Result<String, fmt::Error> {
        use std::sync::atomic::Ordering::Relaxed;
        #[cfg(feature = "native-histograms")]
        if format == Format::Protobuf {
            return Err(fmt::Error);
        }
        // Collectors first, so that a failure among them is counted in this very scrape.
        let extras = self
            .encode_extras(crate::registry::collectors::Extras::Text(String::new()))
            .into_text()?;
        // Growing a multi-megabyte string by doubling copies it a dozen times: start at the
        // last size, plus room for what was added since.
        let expected = self.inner.last_len.load(Relaxed);
        let mut out = String::with_capacity(expected + expected / 8 + 4096);
        if let Some(http) = &self.inner.http {
            http.write_text(format, &mut out);
        }
        self.encode_registry(format, &extras, &mut out)?;
        self.inner.last_len.store(out.len(), Relaxed);
        Ok(out)
    }

    /// Appends the registry's families, then `extras` (OpenMetrics text), in `format`.
    fn encode_registry(&self, format: Format, extras: &str, out: &mut String) -> fmt::Result {
        let registry = self
            .inner
            .registry
            .read()
            .unwrap_or_else(|e| e.into_inner());
        if format == Format::OpenMetrics {
            prometheus_client::encoding::text::encode(out, &registry)?;
            drop(registry);
            // Before the closing `# EOF`.
            out.truncate(out.len() - "# EOF\n".len());
            out.push_str(extras);
            out.push_str("# EOF\n");
        } else {
            // prometheus-client writes OpenMetrics only: the application's families are
            // converted.
            let mut openmetrics = String::with_capacity(4096);
            prometheus_client::encoding::text::encode(&mut openmetrics, &registry)?;
            drop(registry);
            openmetrics.truncate(openmetrics.len() - "# EOF\n".len());
            openmetrics.push_str(extras);
            prometheus_text::convert(&openmetrics, out);
        }
        Ok(())
    }

    /// The exposition as this crate wrote it before the HTTP families were written
    /// directly: every family through prometheus-client's encoder, the Prometheus text
    /// format converted from the OpenMetrics text. Not part of the API: the benches and
    /// the tests compare the direct encoding with it, value for value and in time.
    #[doc(hidden)]
    pub fn encode_legacy(&self, format: Format) -> Result<Vec<u8>, fmt::Error> {
        let mut http = Registry::default();
        // On the application's registry, they are there already.
        if self.inner.http.is_some() {
            register_http_families(
                http_registry(&mut http, &self.inner.prefix, &self.inner.const_labels),
                &self.inner.routes,
                &self.inner.naming,
            );
        }
        #[cfg(feature = "native-histograms")]
        if format == Format::Protobuf {
            use prometheus_client::encoding::prometheus_protobuf;
            let mut families =
                crate::http::native::encoding_protobuf(|| prometheus_protobuf::encode(&http))?;
            let registry = self
                .inner
                .registry
                .read()
                .unwrap_or_else(|e| e.into_inner());
            families.extend(crate::http::native::encoding_protobuf(|| {
                prometheus_protobuf::encode(&registry)
            })?);
            return Ok(crate::exposition::protobuf::delimited(&families));
        }
        let extras = self
            .encode_extras(crate::registry::collectors::Extras::Text(String::new()))
            .into_text()?;
        let mut openmetrics = String::new();
        prometheus_client::encoding::text::encode(&mut openmetrics, &http)?;
        openmetrics.truncate(openmetrics.len() - "# EOF\n".len());
        self.encode_registry(Format::OpenMetrics, &extras, &mut openmetrics)?;
        Ok(match format {
            Format::OpenMetrics => openmetrics.into_bytes(),
            _ => {
                let mut text = String::with_capacity(openmetrics.len());
                prometheus_text::convert(&openmetrics, &mut text);
                text.into_bytes()
            }
        })
    }

    /// Encodes every metric on the registry in `format`, as the body of a `/metrics`
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
            Format::Protobuf => self.encode_protobuf(),
            text => self.encode(text).map(String::into_bytes),
        }
    }

    /// The protobuf exposition, in the order of the text formats: the HTTP families, the
    /// registry's, then those encoded apart.
    #[cfg(feature = "native-histograms")]
    fn encode_protobuf(&self) -> Result<Vec<u8>, fmt::Error> {
        use prometheus_client::encoding::prometheus_protobuf;
        let extras = self
            .encode_extras(crate::registry::collectors::Extras::Protobuf(Vec::new()))
            .into_protobuf()?;
        let mut families = self
            .inner
            .http
            .as_ref()
            .map(|http| http.protobuf())
            .unwrap_or_default();
        let registry = self
            .inner
            .registry
            .read()
            .unwrap_or_else(|e| e.into_inner());
        // The HTTP families are on it when it is the application's.
        let mut application =
            crate::http::native::encoding_protobuf(|| prometheus_protobuf::encode(&registry))?;
        drop(registry);
        // Help went onto the registry escaped for the text formats; protobuf carries it as it
        // was written.
        for family in &mut application {
            if let std::borrow::Cow::Owned(help) =
                crate::exposition::prometheus_text::unescape_openmetrics(&family.help)
            {
                family.help = help;
            }
        }
        families.extend(application);
        families.extend(extras);
        Ok(crate::exposition::protobuf::delimited(&families))
    }
}

impl HttpMetrics {
    /// The remote-write senders' health families, registered on first use.
    #[cfg(feature = "push")]
    pub(crate) fn remote_write_health(&self) -> &crate::push::remote_write::health::Families {
        self.inner.remote_write.get_or_init(|| {
            let families = crate::push::remote_write::health::Families::default();
            families.register(self);
            families
        })
    }

    /// The families prometheus-client does not encode (summaries, then collectors), in the
    /// format of `out`.
    fn encode_extras(
        &self,
        mut out: crate::registry::collectors::Extras,
    ) -> crate::registry::collectors::Extras {
        use crate::registry::collectors::Extras;
        let summaries = self
            .inner
            .summaries
            .read()
            .unwrap_or_else(|e| e.into_inner());
        match &mut out {
            Extras::Text(text) => {
                for (name, help, family) in summaries.iter() {
                    family.encode_openmetrics(name, &escape_help(help), text);
                }
            }
            #[cfg(feature = "native-histograms")]
            Extras::Protobuf(families) => {
                for (name, help, family) in summaries.iter() {
                    families.push(family.encode_protobuf(name, help));
                }
            }
        }
        drop(summaries);
        let collectors = self
            .inner
            .collectors
            .read()
            .unwrap_or_else(|e| e.into_inner());
        // All at once, against one deadline: slow collectors do not add up.
        let pending: Vec<_> = collectors.iter().map(|c| c.start(&out)).collect();
        // A timeout too large to add (`Duration::MAX` for "no timeout") waits without one.
        let deadline = std::time::Instant::now().checked_add(self.inner.collector_timeout);
        for (collector, pending) in collectors.iter().zip(pending) {
            collector.finish(pending, deadline, &self.inner.collector_failures, &mut out);
        }
        out
    }
}

/// The registry the HTTP families go on: `registry` under the prefix and constant labels.
fn http_registry<'r>(
    registry: &'r mut Registry,
    prefix: &Option<String>,
    const_labels: &[(String, String)],
) -> &'r mut Registry {
    let mut http = registry;
    if let Some(prefix) = prefix {
        http = http.sub_registry_with_prefix(prefix);
    }
    if !const_labels.is_empty() {
        http = http.sub_registry_with_labels(
            const_labels
                .iter()
                .map(|(k, v)| (k.clone().into(), v.clone().into())),
        );
    }
    http
}

/// Registers the HTTP families as prometheus-client's metrics, as this crate did before it
/// wrote them directly: for [`HttpMetrics::encode_legacy`].
fn register_http_families(http: &mut Registry, routes: &Arc<RouteTable>, naming: &crate::Naming) {
    if let Some(name) = &naming.requests {
        http.register(
            name,
            crate::labels::naming::REQUESTS_HELP,
            RequestsTotal(routes.clone()),
        );
    }
    http.register_with_unit(
        &naming.duration,
        crate::labels::naming::DURATION_HELP,
        Unit::Seconds,
        RequestDuration(routes.clone()),
    );
    if routes.settings().duration_end == crate::DurationEnd::Both {
        http.register_with_unit(
            &naming.head_duration,
            crate::labels::naming::HEAD_DURATION_HELP,
            Unit::Seconds,
            RequestHeadDuration(routes.clone()),
        );
    }
    if routes.settings().sizes.is_some() {
        let [request, response] = [&naming.request_size, &naming.response_size];
        for (name, help, response) in [
            (request, crate::labels::naming::REQUEST_SIZE_HELP, false),
            (response, crate::labels::naming::RESPONSE_SIZE_HELP, true),
        ] {
            let family = crate::family::BodySize(routes.clone(), response);
            if naming.size_unit {
                http.register_with_unit(name, help, Unit::Bytes, family);
            } else {
                http.register(name, help, family);
            }
        }
    }
    if let Some(name) = &naming.in_flight {
        http.register(
            name,
            crate::labels::naming::IN_FLIGHT_HELP,
            RequestsInFlight(routes.clone()),
        );
    }
}

impl PartialEq for HttpMetrics {
    /// Two handles are equal when they are clones of one another: the same series, the same
    /// registry.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for HttpMetrics {}

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
