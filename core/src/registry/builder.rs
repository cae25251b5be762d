//! [`HttpMetricsBuilder`]: every option, validated once at build time.

use prometheus_client::registry::Registry;

use crate::base::{is_label_name, is_metric_name};
use prometheus_client::metrics::counter::Counter;

use super::auth::BearerToken;
use crate::http::settings::{CellShape, SeriesLimit, Settings, StatusSet};
use crate::instruments::capped::{folded_counter, FoldedFamily};
use crate::{Buckets, ConfigError, HttpMetrics, StatusLabel};

/// The `route` value of requests that no route matched.
pub const DEFAULT_UNMATCHED_ROUTE: &str = "unmatched";
/// The path `/metrics` is served on, and excluded from the HTTP metrics, by default.
pub const DEFAULT_METRICS_PATH: &str = "/metrics";
/// The most (route, method, status) series the HTTP counter and histogram create.
pub const DEFAULT_MAX_SERIES: usize = 10_000;
/// The gzip level of scrapes that accept gzip, unless
/// [`HttpMetricsBuilder::gzip_level`] says otherwise: the fastest.
pub const DEFAULT_GZIP_LEVEL: u32 = 1;
/// The status recorded for a request dropped before it had a response (nginx's convention
/// for "client closed request").
pub const DEFAULT_CANCELLED_STATUS: u16 = 499;

/// Options of an [`HttpMetrics`]; obtain one with [`HttpMetrics::builder`].
///
/// ```
/// use http_metrics_core::{HttpMetrics, StatusLabel};
///
/// let metrics = HttpMetrics::builder()
///     .prefix("shop")
///     .buckets([0.01, 0.1, 1.0])
///     .status_label(StatusLabel::Class)
///     .exclude_route("/health")
///     .const_label("service", "orders")
///     .build()
///     .expect("valid options");
/// let text = metrics.encode(http_metrics_core::Format::Prometheus).unwrap();
/// assert!(text.contains("# TYPE shop_http_requests_total counter"));
/// ```
#[derive(Debug)]
#[must_use]
pub struct HttpMetricsBuilder {
    prefix: Option<String>,
    buckets: Vec<f64>,
    excluded: Vec<String>,
    status: StatusLabel,
    const_labels: Vec<(String, String)>,
    registry: Option<Registry>,
    unmatched_route: String,
    metrics_path: String,
    count_metrics_path: bool,
    cancelled_status: u16,
    duration_end: crate::DurationEnd,
    bearer_token: Option<String>,
    max_series: usize,
    collector_timeout: std::time::Duration,
    gzip_level: u32,
    created_lines: bool,
    process_metrics: bool,
    naming: crate::Naming,
    excluded_statuses: Vec<u16>,
    excluded_patterns: Vec<String>,
    request_label: Option<crate::RequestLabel>,
    upgraded_connections: bool,
    /// The body-size histograms' bounds, when they are on.
    #[cfg(feature = "body-sizes")]
    size_buckets: Option<Vec<f64>>,
    #[cfg(feature = "exemplars")]
    exemplars: Option<crate::Exemplars>,
    #[cfg(feature = "native-histograms")]
    native: Option<crate::NativeHistograms>,
}

impl Default for HttpMetricsBuilder {
    fn default() -> Self {
        Self {
            prefix: None,
            buckets: crate::DEFAULT_BUCKETS.to_vec(),
            excluded: Vec::new(),
            status: StatusLabel::Code,
            const_labels: Vec::new(),
            registry: None,
            unmatched_route: DEFAULT_UNMATCHED_ROUTE.into(),
            metrics_path: DEFAULT_METRICS_PATH.into(),
            count_metrics_path: false,
            cancelled_status: DEFAULT_CANCELLED_STATUS,
            duration_end: crate::DurationEnd::Body,
            bearer_token: None,
            max_series: DEFAULT_MAX_SERIES,
            collector_timeout: crate::DEFAULT_COLLECTOR_TIMEOUT,
            gzip_level: DEFAULT_GZIP_LEVEL,
            created_lines: false,
            process_metrics: true,
            naming: crate::Naming::new(),
            excluded_statuses: Vec::new(),
            excluded_patterns: Vec::new(),
            request_label: None,
            upgraded_connections: false,
            #[cfg(feature = "body-sizes")]
            size_buckets: None,
            #[cfg(feature = "exemplars")]
            exemplars: None,
            #[cfg(feature = "native-histograms")]
            native: None,
        }
    }
}

impl HttpMetricsBuilder {
    /// Prefixes the HTTP metrics' names: `prefix("shop")` gives `shop_http_requests_total`.
    /// Application metrics keep the names they are registered with.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = Some(prefix.into());
        self
    }

    /// Upper bounds of the latency histogram, in seconds (default: [`crate::DEFAULT_BUCKETS`]).
    pub fn buckets(mut self, bounds: impl IntoIterator<Item = f64>) -> Self {
        self.buckets = bounds.into_iter().collect();
        self
    }

    /// Leaves requests on this route template unrecorded (no count, no latency, no
    /// in-flight). May be called repeatedly.
    pub fn exclude_route(mut self, template: impl Into<String>) -> Self {
        self.excluded.push(template.into());
        self
    }

    /// Writes the status label as a code (`404`, the default) or a class (`4xx`).
    pub fn status_label(mut self, mode: StatusLabel) -> Self {
        self.status = mode;
        self
    }

    /// Adds a label with a fixed value to every HTTP series (for example the service name).
    pub fn const_label(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.const_labels.push((name.into(), value.into()));
        self
    }

    /// Registers the HTTP metrics on this registry, which `/metrics` then serves whole:
    /// application metrics already on it appear next to them, and the registry's own prefix
    /// and labels apply to the HTTP metrics too.
    ///
    /// The HTTP families stand where they would have been registered, after the families
    /// already on it. Exemplars need the builder's own registry (set a prefix and labels with
    /// [`prefix`](Self::prefix) and [`const_label`](Self::const_label) instead).
    pub fn registry(mut self, registry: Registry) -> Self {
        self.registry = Some(registry);
        self
    }

    /// The `route` value shared by every request no route matched (default `unmatched`).
    pub fn unmatched_route(mut self, value: impl Into<String>) -> Self {
        self.unmatched_route = value.into();
        self
    }

    /// The path the adapters serve the exposition on (default `/metrics`).
    pub fn metrics_path(mut self, path: impl Into<String>) -> Self {
        self.metrics_path = path.into();
        self
    }

    /// Records scrapes of the metrics path like any other request. Off by default, so that
    /// scraping does not change what it reads.
    pub fn count_metrics_path(mut self, count: bool) -> Self {
        self.count_metrics_path = count;
        self
    }

    /// The status recorded for a request that was dropped before it had a response, such as
    /// a client disconnecting while the handler runs (default 499).
    pub fn cancelled_status(mut self, status: u16) -> Self {
        self.cancelled_status = status;
        self
    }

    /// Where a request's measured duration ends: at the end of its response body (the
    /// default) or at its response head. See [`crate::DurationEnd`].
    pub fn duration_end(mut self, end: crate::DurationEnd) -> Self {
        self.duration_end = end;
        self
    }

    /// Caps the (route, method, status) series of the HTTP counter and histogram (default
    /// [`DEFAULT_MAX_SERIES`]). Requests that would create a series past the cap are
    /// recorded in one overflow series labelled `otel_metric_overflow="true"`, and counted in
    /// `metrics_series_folded_total{metric="http_requests"}`.
    pub fn max_series(mut self, max: usize) -> Self {
        self.max_series = max;
        self
    }

    /// How long a scrape waits for each callback metric or custom collector (default
    /// [`DEFAULT_COLLECTOR_TIMEOUT`](crate::DEFAULT_COLLECTOR_TIMEOUT)); one that takes
    /// longer is left out of that scrape (see
    /// [`HttpMetrics::register_collector`](crate::HttpMetrics::register_collector)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use http_metrics_core::HttpMetrics;
    ///
    /// let metrics = HttpMetrics::builder()
    ///     .collector_timeout(Duration::from_millis(250))
    ///     .build()
    ///     .unwrap();
    /// ```
    pub fn collector_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.collector_timeout = timeout;
        self
    }

    /// How hard `/metrics` compresses its answer to a scraper that accepts gzip: a level
    /// from 1 (fastest) to 9 (smallest), or 0 not to compress at all. The default,
    /// [`DEFAULT_GZIP_LEVEL`](crate::DEFAULT_GZIP_LEVEL), is 1: it takes about as long as
    /// encoding the text, where higher levels take several times as long for few fewer
    /// bytes (BENCHMARKS.md has the figures).
    /// Prometheus accepts gzip and nothing else; over a loopback or a fast private network,
    /// 0 saves the CPU.
    ///
    /// ```
    /// use http_metrics_core::adapter::{Scrape, ScrapeRequest};
    /// use http_metrics_core::HttpMetrics;
    ///
    /// let metrics = HttpMetrics::builder().gzip_level(0).build().unwrap();
    /// let scrape = Scrape::respond(&metrics, &ScrapeRequest::new().accept_encoding("gzip"));
    /// assert_eq!(scrape.header("content-encoding"), None);
    /// assert!(HttpMetrics::builder().gzip_level(10).build().is_err());
    /// ```
    pub fn gzip_level(mut self, level: u32) -> Self {
        self.gzip_level = level;
        self
    }

    /// Writes each counter's, histogram's and summary's start time as an OpenMetrics
    /// `<name>_created` line, where it is known (the HTTP series, from their first request;
    /// application metrics whose type keeps one). Off by default, as client_golang has it: a
    /// Prometheus without its created-timestamps feature stores each `_created` line as a
    /// series of its own. The protobuf format carries the start time always, as its
    /// `created_timestamp` field, which Prometheus reads with
    /// `--enable-feature=created-timestamp-zero-ingestion`.
    ///
    /// ```
    /// use http_metrics_core::adapter::{MethodLabel, RouteHandle};
    /// use http_metrics_core::{Format, HttpMetrics};
    ///
    /// let metrics = HttpMetrics::builder()
    ///     .created_lines(true)
    ///     .process_metrics(false)
    ///     .build()
    ///     .unwrap();
    /// RouteHandle::resolve(&metrics, "/a").record(MethodLabel::Get, 200, std::time::Duration::ZERO);
    /// let text = metrics.encode(Format::OpenMetrics).unwrap();
    /// assert!(text.contains("\nhttp_requests_created{method=\"GET\",route=\"/a\",status=\"200\"} 1"));
    /// assert!(!metrics.encode(Format::Prometheus).unwrap().contains("_created"));
    /// ```
    pub fn created_lines(mut self, on: bool) -> Self {
        self.created_lines = on;
        self
    }

    /// Registers the process metrics (`process_cpu_seconds_total`, `process_open_fds`, ...;
    /// client_golang's names, read from `/proc` at each scrape) on the registry: on by default
    /// with the core's default `process` feature, and absent, without error, off Linux. Turn
    /// them off when several `HttpMetrics` share a process and only one should report it.
    ///
    /// ```
    /// use http_metrics_core::{Format, HttpMetrics};
    ///
    /// let second = HttpMetrics::builder().process_metrics(false).build().unwrap();
    /// assert!(!second.encode(Format::Prometheus).unwrap().contains("process_cpu_seconds"));
    /// ```
    pub fn process_metrics(mut self, on: bool) -> Self {
        self.process_metrics = on;
        self
    }

    /// The names of the HTTP families and their labels: a preset such as
    /// [`Naming::opentelemetry`](crate::Naming::opentelemetry) or
    /// [`Naming::axum_prometheus`](crate::Naming::axum_prometheus), or names of one's own.
    pub fn naming(mut self, naming: crate::Naming) -> Self {
        self.naming = naming;
        self
    }

    /// Attaches an OpenMetrics exemplar with each request's trace to the latency histogram's
    /// bucket it fell in, and to the request counter: the last one of each, with its value
    /// and time. The OpenMetrics format carries them, and with `native-histograms` the
    /// protobuf format (on the classic buckets, or the native histogram's own exemplars when
    /// there are no classic buckets); the Prometheus text format has none. A Prometheus
    /// stores them when run with `--enable-feature=exemplar-storage`.
    ///
    /// ```
    /// use http_metrics_core::adapter::{MethodLabel, RouteHandle};
    /// use http_metrics_core::{Exemplars, Format, HttpMetrics};
    ///
    /// let metrics = HttpMetrics::builder().exemplars(Exemplars::traceparent()).build().unwrap();
    /// let mut guard = RouteHandle::resolve(&metrics, "/pay").start(MethodLabel::Post).unwrap();
    /// guard.set_trace(Some(b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
    /// guard.finish_with_status(200);
    /// let text = metrics.encode(Format::OpenMetrics).unwrap();
    /// assert!(text.contains(r#"# {trace_id="4bf92f3577b34da6a3ce929d0e0e4736",span_id="00f067aa0ba902b7"}"#));
    /// assert!(!metrics.encode(Format::Prometheus).unwrap().contains("trace_id"));
    /// ```
    #[cfg(feature = "exemplars")]
    pub fn exemplars(mut self, exemplars: crate::Exemplars) -> Self {
        self.exemplars = Some(exemplars);
        self
    }

    /// Adds the body-size histograms, `http_request_size_bytes` and
    /// `http_response_size_bytes` (by method, route and status, like the latency histogram),
    /// with the buckets of [`DEFAULT_SIZE_BUCKETS`](crate::DEFAULT_SIZE_BUCKETS). Off by
    /// default, and a cargo feature, `body-sizes`: counting a request's bytes takes a
    /// pointer in every request's guard, which services without body sizes should not
    /// carry (the same one as exemplars'; BENCHMARKS.md has the cost). The sizes are the bytes that crossed each body — chunked, streamed and
    /// unknown-length bodies included, not what `Content-Length` announced — counted by the
    /// adapters and recorded with the request, so each has exactly one observation per
    /// request: the bytes of the request body the handler had read by then, and of the
    /// response body sent (0 for a response without a body, such as one to `HEAD`, or one
    /// cancelled before its head).
    ///
    /// ```
    /// use http_metrics_core::adapter::{ActiveRequest, MethodLabel, RouteHandle};
    /// use http_metrics_core::{Format, HttpMetrics};
    ///
    /// let metrics = HttpMetrics::builder().body_sizes(true).build().unwrap();
    /// let route = RouteHandle::resolve(&metrics, "/upload");
    /// let mut active = ActiveRequest::from(route.start(MethodLabel::Post));
    /// // The adapter's request body counts what the handler reads:
    /// let counter = active.guard_mut().unwrap().request_body_counter().unwrap();
    /// counter.add(1_500);
    /// // and its response body what is sent:
    /// let mut body = active.respond(201);
    /// body.sent(42);
    /// body.polled(true);
    /// let text = metrics.encode(Format::Prometheus).unwrap();
    /// assert!(text.contains(
    ///     r#"http_request_size_bytes_bucket{le="10000.0",method="POST",route="/upload",status="201"} 1"#
    /// ));
    /// assert!(text.contains(
    ///     r#"http_response_size_bytes_sum{method="POST",route="/upload",status="201"} 42"#
    /// ));
    /// ```
    #[cfg(feature = "body-sizes")]
    pub fn body_sizes(mut self, on: bool) -> Self {
        self.size_buckets = on.then(|| {
            self.size_buckets
                .take()
                .unwrap_or_else(|| crate::DEFAULT_SIZE_BUCKETS.to_vec())
        });
        self
    }

    /// The body-size histograms' bucket bounds, in bytes (strictly increasing; `+Inf` is
    /// implicit), and turns them on: see [`HttpMetricsBuilder::body_sizes`].
    #[cfg(feature = "body-sizes")]
    pub fn body_size_buckets(mut self, bounds: impl IntoIterator<Item = f64>) -> Self {
        self.size_buckets = Some(bounds.into_iter().collect());
        self
    }

    /// Native histograms for the latency histogram (and the head histogram, with
    /// [`DurationEnd::Both`](crate::DurationEnd::Both)): Prometheus' sparse exponential
    /// buckets, kept beside the classic buckets unless
    /// [`NativeHistograms::classic_buckets`](crate::NativeHistograms::classic_buckets) says
    /// otherwise. Off by default, and a cargo feature, `native-histograms`, which also
    /// brings the Prometheus protobuf exposition: `/metrics` serves it to a scraper that asks
    /// for it first, as Prometheus does when run with `--enable-feature=native-histograms`,
    /// and that is the only format with native buckets; the text formats show the classic
    /// ones. With [`exemplars`](Self::exemplars), the protobuf scrape carries them on the
    /// counter and on the classic buckets, where Prometheus reads them for a native
    /// histogram too, or, without classic buckets, as the native histogram's own.
    ///
    /// ```
    /// use http_metrics_core::adapter::{MethodLabel, RouteHandle, Scrape, ScrapeRequest};
    /// use http_metrics_core::{Format, HttpMetrics, NativeHistograms};
    ///
    /// let metrics = HttpMetrics::builder()
    ///     .native_histograms(NativeHistograms::new())
    ///     .build()
    ///     .unwrap();
    /// RouteHandle::resolve(&metrics, "/users").start(MethodLabel::Get).unwrap().finish_with_status(200);
    ///
    /// // What Prometheus sends with `--enable-feature=native-histograms`:
    /// let accept = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,text/plain;version=0.0.4;q=0.5";
    /// let scrape = Scrape::respond(&metrics, &ScrapeRequest::new().accept(accept));
    /// assert_eq!(scrape.header("content-type"), Some(Format::Protobuf.content_type()));
    /// // The text formats keep the classic buckets.
    /// let text = metrics.encode(Format::Prometheus).unwrap();
    /// assert!(text.contains(r#"http_request_duration_seconds_bucket{le="0.005",method="GET",route="/users",status="200"} 1"#));
    /// ```
    #[cfg(feature = "native-histograms")]
    pub fn native_histograms(mut self, native: crate::NativeHistograms) -> Self {
        self.native = Some(native);
        self
    }

    /// Tracks upgraded connections (WebSockets): `http_upgraded_connections_open`, a gauge of
    /// those open now, and `http_upgraded_connection_duration_seconds`, a histogram of the
    /// lifetime of those that closed (buckets
    /// [`DEFAULT_CONNECTION_BUCKETS`](crate::DEFAULT_CONNECTION_BUCKETS)), by method and
    /// route. Off by default. Whether on or not, the upgrade request itself is recorded as a
    /// 101 when the upgrade is answered, and leaves the in-flight gauge then. actix-web's
    /// adapter tracks each connection by itself (its response body is the connection); on
    /// axum the handler holds an [`UpgradedConnection`](crate::UpgradedConnection) in the
    /// task that serves the socket.
    ///
    /// ```
    /// use http_metrics_core::{Format, HttpMetrics};
    ///
    /// let metrics = HttpMetrics::builder().upgraded_connections(true).build().unwrap();
    /// let socket = metrics.upgraded_connection(&http::Method::GET, "/chat");
    /// let text = metrics.encode(Format::Prometheus).unwrap();
    /// assert!(text.contains(r#"http_upgraded_connections_open{method="GET",route="/chat"} 1"#));
    /// drop(socket); // closed
    /// let text = metrics.encode(Format::Prometheus).unwrap();
    /// assert!(text.contains(r#"http_upgraded_connections_open{method="GET",route="/chat"} 0"#));
    /// assert!(text.contains(r#"http_upgraded_connection_duration_seconds_count{method="GET",route="/chat"} 1"#));
    /// ```
    pub fn upgraded_connections(mut self, on: bool) -> Self {
        self.upgraded_connections = on;
        self
    }

    /// Adds a label taken from the request — a header, or a value the application's
    /// middleware put into its extensions — kept to an allow-list of values (the tenant, the
    /// API version): see [`RequestLabel`](crate::RequestLabel).
    pub fn request_label(mut self, label: crate::RequestLabel) -> Self {
        self.request_label = Some(label);
        self
    }

    /// Leaves requests that end with `status` out of the counter and the histogram (they
    /// are in flight while they run, like any other). actix-web-prom's `exclude_status`.
    ///
    /// ```
    /// use http_metrics_core::adapter::{MethodLabel, RouteHandle};
    /// use http_metrics_core::{Format, HttpMetrics};
    ///
    /// let metrics = HttpMetrics::builder().exclude_status(404).build().unwrap();
    /// let route = RouteHandle::resolve(&metrics, "/users/{id}");
    /// route.start(MethodLabel::Get).unwrap().finish_with_status(404);
    /// route.start(MethodLabel::Get).unwrap().finish_with_status(200);
    /// let text = metrics.encode(Format::Prometheus).unwrap();
    /// assert!(text.contains(r#"http_requests_total{method="GET",route="/users/{id}",status="200"} 1"#));
    /// assert!(!text.contains(r#"status="404""#));
    /// ```
    pub fn exclude_status(mut self, status: u16) -> Self {
        self.excluded_statuses.push(status);
        self
    }

    /// Leaves out every route whose template matches `pattern`, where `*` stands for any
    /// run of characters (`/` included): `"/internal/*"`, `"*/healthz"`. Like
    /// [`exclude_route`](Self::exclude_route), which takes one template exactly.
    pub fn exclude_routes_matching(mut self, pattern: impl Into<String>) -> Self {
        self.excluded_patterns.push(pattern.into());
        self
    }

    /// Requires `Authorization: Bearer <token>` on scrapes; others get `401 Unauthorized`.
    /// The token is compared in constant time and never appears in `Debug` output.
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.bearer_token = Some(token.into());
        self
    }

    /// Validates the options and builds the metrics.
    ///
    /// # Errors
    ///
    /// A [`ConfigError`] naming the first invalid option.
    pub fn build(self) -> Result<HttpMetrics, ConfigError> {
        // The clock calibrates once per process: here, rather than in the first request.
        let _ = crate::base::clock();
        Ok(HttpMetrics::assemble(self.validate()?))
    }

    /// Checks every option, and resolves them into what the registry is assembled from.
    fn validate(self) -> Result<Options, ConfigError> {
        self.check_names()?;
        self.check_paths_and_statuses()?;
        if self.gzip_level > 9 {
            return Err(ConfigError::GzipLevel(self.gzip_level));
        }
        let bearer_token = (self.bearer_token.as_deref())
            .map(BearerToken::new)
            .transpose()?;
        let folded = FoldedFamily::default();
        let series_name = self.naming.series_name();
        let http_name = match &self.prefix {
            Some(prefix) => format!("{prefix}_{series_name}"),
            None => series_name.to_owned(),
        };
        let settings = self.settings(folded_counter(&folded, &http_name))?;
        let mut excluded = self.excluded;
        if !self.count_metrics_path {
            excluded.push(self.metrics_path.clone());
        }
        Ok(Options {
            settings,
            folded,
            naming: self.naming,
            excluded: excluded.into_iter().map(Into::into).collect(),
            excluded_patterns: self.excluded_patterns.into_iter().map(Into::into).collect(),
            unmatched_route: self.unmatched_route,
            registry: self.registry,
            prefix: self.prefix,
            const_labels: self.const_labels,
            scrape: ScrapeSettings {
                metrics_path: self.metrics_path.into(),
                bearer_token,
                gzip_level: self.gzip_level,
                created_lines: self.created_lines,
                collector_timeout: self.collector_timeout,
            },
            process_metrics: self.process_metrics,
        })
    }

    /// The prefix, the families' names, the constant labels and the request label.
    fn check_names(&self) -> Result<(), ConfigError> {
        if let Some(prefix) = &self.prefix {
            if !is_metric_name(prefix) {
                return Err(ConfigError::Prefix(prefix.clone()));
            }
        }
        self.naming.check()?;
        if self.exemplars_on() && self.registry.is_some() {
            return Err(ConfigError::Exemplars(
                "they need the builder's own registry: give its prefix and labels with \
                 prefix() and const_label() instead of registry()"
                    .into(),
            ));
        }
        for (name, _) in &self.const_labels {
            check_const_label(name, &self.naming)?;
        }
        if let Some(label) = &self.request_label {
            let mut taken: Vec<&str> = self.naming.labels.all().to_vec();
            taken.extend(self.const_labels.iter().map(|(name, _)| name.as_str()));
            label.check(&taken)?;
        }
        Ok(())
    }

    fn check_paths_and_statuses(&self) -> Result<(), ConfigError> {
        for &status in std::iter::once(&self.cancelled_status).chain(&self.excluded_statuses) {
            if !(100..=999).contains(&status) {
                return Err(ConfigError::Status(status));
            }
        }
        if !self.metrics_path.starts_with('/') {
            return Err(ConfigError::Route(format!(
                "the metrics path {:?} must start with '/'",
                self.metrics_path
            )));
        }
        if self.unmatched_route.starts_with('/') {
            return Err(ConfigError::Route(format!(
                "the unmatched route value {:?} must not start with '/', or it could collide with a real route",
                self.unmatched_route
            )));
        }
        Ok(())
    }

    /// What every series of the registry records with.
    fn settings(&self, folded: Counter) -> Result<Settings, ConfigError> {
        #[cfg(feature = "native-histograms")]
        let native = self.native.map(|n| n.layout()).transpose()?;
        let buckets = Buckets::new(self.buckets.iter().copied())?;
        #[cfg(feature = "native-histograms")]
        let buckets = match self.native {
            Some(n) if !n.keeps_classic() => Buckets::inf_only(),
            _ => buckets,
        };
        #[cfg(feature = "body-sizes")]
        let sizes = (self.size_buckets.clone())
            .map(Buckets::bytes)
            .transpose()?;
        #[cfg(not(feature = "body-sizes"))]
        let sizes: Option<Buckets> = None;
        let shape = CellShape {
            buckets: buckets.len_with_inf(),
            head: self.duration_end == crate::DurationEnd::Both,
            exemplars: self.exemplars_on(),
            size_buckets: sizes.as_ref().map_or(0, Buckets::len_with_inf),
            #[cfg(feature = "native-histograms")]
            native_groups: native
                .as_ref()
                .map_or(0, crate::http::native::Layout::groups),
        };
        let mut excluded_statuses = StatusSet::new();
        for &status in &self.excluded_statuses {
            excluded_statuses.insert(status);
        }
        Ok(Settings {
            limit: SeriesLimit::new(self.max_series, shape, folded),
            buckets,
            sizes,
            upgrades: (self.upgraded_connections)
                .then(|| Buckets::new(crate::DEFAULT_CONNECTION_BUCKETS))
                .transpose()?,
            shape,
            duration_end: self.duration_end,
            status: self.status,
            cancelled_status: self.cancelled_status,
            error_status: 500,
            panic_status: 500,
            labels: self.naming.labels.clone(),
            excluded_statuses,
            request_label: self.request_label.clone(),
            #[cfg(feature = "exemplars")]
            exemplars: self.exemplars.clone(),
            #[cfg(feature = "native-histograms")]
            native,
        })
    }

    fn exemplars_on(&self) -> bool {
        #[cfg(feature = "exemplars")]
        return self.exemplars.is_some();
        #[cfg(not(feature = "exemplars"))]
        false
    }
}

/// The options, checked: what [`HttpMetrics::assemble`] builds the registry from.
pub(crate) struct Options {
    pub(crate) settings: Settings,
    /// `metrics_series_folded_total`, its HTTP series among them.
    pub(crate) folded: FoldedFamily,
    pub(crate) naming: crate::Naming,
    pub(crate) excluded: Vec<Box<str>>,
    pub(crate) excluded_patterns: Vec<Box<str>>,
    pub(crate) unmatched_route: String,
    /// The application's registry, when it gave one.
    pub(crate) registry: Option<Registry>,
    pub(crate) prefix: Option<String>,
    pub(crate) const_labels: Vec<(String, String)>,
    pub(crate) scrape: ScrapeSettings,
    pub(crate) process_metrics: bool,
}

/// How `/metrics` is served.
#[derive(Debug)]
pub(crate) struct ScrapeSettings {
    pub(crate) metrics_path: Box<str>,
    pub(crate) bearer_token: Option<BearerToken>,
    /// 0: no compression.
    pub(crate) gzip_level: u32,
    /// OpenMetrics `_created` lines.
    pub(crate) created_lines: bool,
    pub(crate) collector_timeout: std::time::Duration,
}

fn check_const_label(name: &str, naming: &crate::Naming) -> Result<(), ConfigError> {
    if !is_label_name(name) {
        return Err(ConfigError::ConstLabel(format!(
            "{name:?} is not a label name: use letters, digits and '_', not starting with a digit"
        )));
    }
    if name.starts_with("__") || name == "le" || naming.labels.all().contains(&name) {
        return Err(ConfigError::ConstLabel(format!("{name:?} is reserved")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(builder: HttpMetricsBuilder) -> String {
        builder.build().unwrap_err().to_string()
    }

    #[test]
    fn invalid_options_are_named() {
        assert!(err(HttpMetrics::builder().prefix("9lives")).contains("\"9lives\""));
        assert!(err(HttpMetrics::builder().prefix("a-b")).contains("invalid metric prefix"));
        assert!(err(HttpMetrics::builder().const_label("route", "x")).contains("reserved"));
        assert!(err(HttpMetrics::builder().const_label("__x", "x")).contains("reserved"));
        assert!(err(HttpMetrics::builder().const_label("a b", "x")).contains("not a label name"));
        assert!(err(HttpMetrics::builder().cancelled_status(42)).contains("42"));
        assert!(err(HttpMetrics::builder().metrics_path("metrics")).contains("start with '/'"));
        assert!(err(HttpMetrics::builder().unmatched_route("/x")).contains("collide"));
        assert!(err(HttpMetrics::builder().buckets([])).contains("buckets"));
        assert!(err(HttpMetrics::builder().bearer_token("two words")).contains("bearer token"));
        #[cfg(feature = "exemplars")]
        assert_eq!(
            err(HttpMetrics::builder()
                .registry(Registry::with_prefix("app"))
                .exemplars(crate::Exemplars::traceparent())),
            "exemplars: they need the builder's own registry: give its prefix and labels with \
             prefix() and const_label() instead of registry()"
        );
        assert_eq!(
            err(HttpMetrics::builder().exclude_status(1000)),
            "invalid status code 1000: must be 100..=999"
        );
        assert_eq!(
            err(HttpMetrics::builder().naming(crate::Naming::new().duration("a b"))),
            "invalid naming: \"a b_seconds\" is not a metric name"
        );
    }

    #[test]
    fn valid_names() {
        assert!(is_metric_name("a:b_c9"));
        assert!(!is_metric_name(""));
        assert!(check_const_label("service", &crate::Naming::new()).is_ok());
        let otel = crate::Naming::opentelemetry();
        assert!(check_const_label("route", &otel).is_ok());
        assert!(check_const_label("http_route", &otel).is_err());
    }
}
