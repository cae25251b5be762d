//! What an application registers: every `register*` method of [`HttpMetrics`], each
//! checking the name against every family the registry already writes.

use std::sync::Arc;

use prometheus_client::registry::{Metric, Registry, Unit};

use super::collectors::{Guarded, PrometheusCollector};
use crate::base::{Kind, RegisterError};
use crate::instruments::callback::FnCollector;
use crate::model::Collect;
use crate::HttpMetrics;

impl HttpMetrics {
    /// Registers an application metric on the shared registry; it appears on `/metrics`.
    /// Names follow prometheus-client's rules: a counter gains `_total`, help gains a final
    /// `.`. The help text may contain any characters; each format escapes it. A name may be
    /// any UTF-8, as Prometheus 3 has it (`payments.processed`): scrapers that allow UTF-8
    /// names get it as it is, the others escaped (see [`Exposition`](crate::Exposition)).
    ///
    /// # Errors
    ///
    /// [`RegisterError::InvalidName`] when `name` is empty, and [`RegisterError::Taken`]
    /// when a name the family would write (`name`, and for a counter `name_total`, for a
    /// histogram `name_bucket`, `name_sum`, `name_count`, …), as it is or escaped to the
    /// classic character set (`payments.processed` is `payments_processed` there), is one
    /// that a family of the registry already writes — the HTTP families, the process
    /// metrics, the library's own, or anything registered before. Nothing is registered
    /// then: a scrape never declares one family twice. The same holds for every
    /// `register*` method.
    ///
    /// ```
    /// use http_metrics_core::prometheus_client::metrics::counter::Counter;
    /// use http_metrics_core::{HttpMetrics, RegisterError};
    ///
    /// let metrics = HttpMetrics::new();
    /// let err = metrics.register("http_requests", "Mine", Counter::<u64>::default()).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "cannot register \"http_requests\": the name \"http_requests\" is already written by the family \"http_requests\""
    /// );
    /// assert!(matches!(err, RegisterError::Taken { .. }));
    /// ```
    pub fn register(
        &self,
        name: &str,
        help: &str,
        metric: impl Metric,
    ) -> Result<(), RegisterError> {
        let kind = Kind::from(metric.metric_type());
        self.inner
            .taken
            .take(&self.inner.registry_name(name), kind)?;
        self.with_registry(|r| r.register(name, help, metric));
        Ok(())
    }

    /// Registers an application metric with a unit, which is appended to its name.
    ///
    /// # Errors
    ///
    /// As [`HttpMetrics::register`], for the name with its unit.
    pub fn register_with_unit(
        &self,
        name: &str,
        help: &str,
        unit: Unit,
        metric: impl Metric,
    ) -> Result<(), RegisterError> {
        let kind = Kind::from(metric.metric_type());
        let full = format!("{name}_{}", unit.as_str());
        self.inner
            .taken
            .take(&self.inner.registry_name(&full), kind)?;
        self.with_registry(|r| r.register_with_unit(name, help, unit, metric));
        Ok(())
    }

    /// Registers a [`CappedFamily`](crate::CappedFamily): like [`HttpMetrics::register`],
    /// and updates it folds into its overflow series are counted in
    /// `metrics_series_folded_total{metric="<name>"}`.
    pub fn register_capped<S, M, C>(
        &self,
        name: &str,
        help: &str,
        family: &crate::CappedFamily<S, M, C>,
    ) -> Result<(), RegisterError>
    where
        crate::CappedFamily<S, M, C>: Metric + Clone,
    {
        self.register(name, help, family.clone())?;
        let folded = crate::instruments::capped::folded_counter(&self.inner.folded, name);
        family.count_folded_in(folded);
        Ok(())
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
    /// metrics.register_summary("queue_wait_seconds", "Time queued before work", &wait).unwrap();
    /// wait.observe(0.25);
    /// let text = metrics.encode(Format::OpenMetrics).unwrap();
    /// assert!(text.contains("queue_wait_seconds{quantile=\"0.99\"} 0.25\n"));
    /// ```
    ///
    /// # Errors
    ///
    /// As [`HttpMetrics::register`].
    pub fn register_summary(
        &self,
        name: &str,
        help: &str,
        summary: impl AsRef<crate::SummaryFamily>,
    ) -> Result<(), RegisterError> {
        self.inner.taken.take(name, Kind::Summary)?;
        let family = summary.as_ref().clone();
        let mut summaries = self
            .inner
            .summaries
            .write()
            .unwrap_or_else(|e| e.into_inner());
        summaries.push((name.to_owned(), format!("{help}."), family));
        Ok(())
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
    ) -> Result<(), RegisterError> {
        self.register_fn(name, help, Kind::Gauge, callback)
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
    ) -> Result<(), RegisterError> {
        let name = name.strip_suffix("_total").unwrap_or(name);
        self.register_fn(name, help, Kind::Counter, callback)
    }

    fn register_fn(
        &self,
        name: &str,
        help: &str,
        kind: Kind,
        callback: impl Fn(&mut crate::Observations) + Send + Sync + 'static,
    ) -> Result<(), RegisterError> {
        self.inner.taken.take(name, kind)?;
        let collector = FnCollector {
            name: name.to_owned(),
            help: help.to_owned(),
            kind,
            callback,
        };
        self.push_collector(name, Arc::new(collector), Some(name));
        Ok(())
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
        self.push_collector(
            name,
            Arc::new(PrometheusCollector(Arc::new(collector))),
            None,
        );
    }

    /// Registers a source of families computed when they are read (see
    /// [`model::Collect`](crate::model::Collect)): run at every scrape and push as the
    /// collectors of [`HttpMetrics::register_collector`] are, `name` naming it in
    /// `metrics_collector_failures_total`. A family of it whose name another family already
    /// writes is left out of that scrape, and counted with `reason="clash"`.
    pub fn register_collect(&self, name: &str, source: impl Collect) {
        self.push_collector(name, Arc::new(source), None);
    }

    /// Serves the instruments of an OpenTelemetry meter provider on this registry's
    /// `/metrics` and pushes: `reader` is the `PrometheusReader` of the
    /// `http-metrics-opentelemetry` crate (`tower_metrics::opentelemetry`,
    /// `actix_metrics::opentelemetry`), registered as the source named `opentelemetry`
    /// ([`HttpMetrics::register_collect`]).
    pub fn register_opentelemetry<R: Collect + Clone>(&self, reader: &R) {
        self.register_collect("opentelemetry", reader.clone());
    }

    fn push_collector(&self, name: &str, source: Arc<dyn Collect>, family: Option<&str>) {
        let guarded = Guarded::new(name, source, family);
        let mut collectors = self
            .inner
            .collectors
            .write()
            .unwrap_or_else(|e| e.into_inner());
        collectors.push(guarded);
    }

    /// Runs `f` with prometheus-client's registry, for anything the `register*` methods do
    /// not cover (sub-registries, a metric type of one's own). The registry is locked while
    /// `f` runs; scrapes wait. The names of what is registered here are not checked: a family
    /// that writes a name another family writes is left out of each scrape (and counted in
    /// `metrics_collector_failures_total{collector="registry",reason="clash"}`).
    pub fn with_registry<R>(&self, f: impl FnOnce(&mut Registry) -> R) -> R {
        let mut registry = self
            .inner
            .registry
            .write()
            .unwrap_or_else(|e| e.into_inner());
        f(&mut registry)
    }

    /// The value of type `T` this registry keeps for a crate built on the core, made by
    /// `init` the first time it is asked for: the remote-write senders' health families, one
    /// set per registry, say.
    ///
    /// ```
    /// use http_metrics_core::HttpMetrics;
    ///
    /// #[derive(Debug, Default)]
    /// struct Pushes(std::sync::atomic::AtomicU64);
    ///
    /// let metrics = HttpMetrics::new();
    /// let first = metrics.extension(|_| Pushes::default());
    /// first.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    /// let again = metrics.extension(|_| Pushes::default());
    /// assert_eq!(again.0.load(std::sync::atomic::Ordering::Relaxed), 1);
    /// ```
    pub fn extension<T: Send + Sync + 'static>(
        &self,
        init: impl FnOnce(&HttpMetrics) -> T,
    ) -> Arc<T> {
        let find = |extensions: &[Arc<dyn std::any::Any + Send + Sync>]| {
            extensions
                .iter()
                .find_map(|e| e.clone().downcast::<T>().ok())
        };
        let lock = || {
            self.inner
                .extensions
                .lock()
                .unwrap_or_else(|e| e.into_inner())
        };
        if let Some(found) = find(&lock()) {
            return found;
        }
        // Made without the lock, which `init` may need; the first one kept wins.
        let made = Arc::new(init(self));
        let mut extensions = lock();
        if let Some(found) = find(&extensions) {
            return found;
        }
        extensions.push(made.clone());
        made
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
        let method = crate::MethodLabel::from(method);
        crate::UpgradedConnection::open(&self.inner.recorder, method, route)
    }
}
