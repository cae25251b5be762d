//! [`HttpMetrics`]: the handle an application registers into and an adapter records through,
//! assembled from the builder's checked options.

use std::fmt;
use std::sync::{Arc, RwLock};

use prometheus_client::encoding::{EncodeMetric, MetricEncoder};
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use super::builder::{Options, ScrapeSettings};
use super::collectors::{FailureFamily, Guarded};
use super::taken::TakenNames;
use crate::base::Kind;
use crate::http::families::HttpFamilies;
use crate::http::routes::RouteTable;
use crate::http::Recorder;
use crate::instruments::capped::FoldedFamily;
use crate::{HttpMetricsBuilder, SummaryFamily};

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
/// What a handle does is split by what uses it: the application registers its own metrics
/// (the `register*` methods), an adapter records requests through the
/// [`recorder`](HttpMetrics::recorder), and `/metrics` and the push crates read
/// [`snapshot`](HttpMetrics::snapshot)s, written out by [`encode`](HttpMetrics::encode).
///
/// ```
/// use http_metrics_core::{Format, HttpMetrics};
/// use prometheus_client::metrics::counter::Counter;
///
/// let metrics = HttpMetrics::new();
/// let signups: Counter = Counter::default();
/// metrics.register("signups", "Accounts created", signups.clone()).unwrap();
/// signups.inc();
///
/// let text = metrics.encode(Format::Prometheus).unwrap();
/// assert!(text.contains("# TYPE http_requests_total counter"));
/// assert!(text.contains("signups_total 1"));
/// ```
#[derive(Clone)]
pub struct HttpMetrics {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) recorder: Recorder,
    /// How the HTTP families are named and labelled.
    pub(crate) families: HttpFamilies,
    /// prometheus-client's registry: the application's metrics, the library's own, and where
    /// the HTTP families stand among them ([`HttpMarker`]).
    pub(crate) registry: RwLock<Registry>,
    /// The registry's own prefix (the application's registry's), for the names it writes.
    pub(crate) registry_prefix: Option<String>,
    /// How many labels the registry puts before every series' own: its constant labels.
    pub(crate) registry_labels: usize,
    /// Summaries: (name, help, family).
    pub(crate) summaries: RwLock<Vec<(String, String, SummaryFamily)>>,
    /// Callback metrics, custom collectors and [`Collect`](crate::model::Collect) sources,
    /// each run apart at every scrape.
    pub(crate) collectors: RwLock<Vec<Guarded>>,
    pub(crate) taken: TakenNames,
    pub(crate) failures: FailureFamily,
    pub(crate) folded: FoldedFamily,
    pub(crate) scrape: ScrapeSettings,
    /// The size of the last text encoding, to allocate the next one at once.
    pub(crate) last_len: std::sync::atomic::AtomicUsize,
    /// The number of HTTP values the last snapshot read, likewise.
    pub(crate) last_values: std::sync::atomic::AtomicUsize,
    /// What was logged, so that a problem of every scrape is logged once.
    logged: std::sync::Mutex<std::collections::HashSet<String>>,
    /// What crates built on the core keep once per registry ([`HttpMetrics::extension`]).
    pub(crate) extensions: std::sync::Mutex<Vec<Arc<dyn std::any::Any + Send + Sync>>>,
}

/// The name of the marker family: where the HTTP families stand among the registry's.
pub(crate) const MARKER: &str = "__http_metrics_families";

/// A family of one series without labels, registered (as a metric: prometheus-client writes
/// its metrics before its collectors) where the HTTP families go: reading the registry, its
/// position is theirs, and its name and labels are the prefix and the
/// constant labels the registry gives its families (the application's registry has its
/// own, which it does not tell otherwise).
#[derive(Debug)]
pub(crate) struct HttpMarker;

impl EncodeMetric for HttpMarker {
    fn encode(&self, encoder: MetricEncoder<'_>) -> fmt::Result {
        ConstGauge::new(0i64).encode(encoder)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Gauge
    }
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

    /// The registry the builder's checked `options` describe.
    pub(crate) fn assemble(options: Options) -> Self {
        let routes = RouteTable::new(
            options.settings,
            &options.unmatched_route,
            options.excluded,
            options.excluded_patterns,
        );
        let recorder = Recorder::new(routes);
        let taken = TakenNames::default();
        let mut registry = options.registry.unwrap_or_default();
        registry.register(MARKER, "", HttpMarker);
        let (registry_prefix, registry_labels) = read_registry(&registry, &taken);
        let prefix = [registry_prefix.as_deref(), options.prefix.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("_");
        let registry_count = registry_labels.len();
        let mut const_labels = registry_labels;
        const_labels.extend(options.const_labels);
        let families = HttpFamilies::new(
            recorder.routes().settings(),
            &options.naming,
            (!prefix.is_empty()).then_some(prefix.as_str()),
            const_labels,
        );
        for (name, kind) in families.names() {
            taken.add(name, kind);
        }
        let inner = Inner {
            recorder,
            families,
            registry: RwLock::new(registry),
            registry_prefix,
            registry_labels: registry_count,
            summaries: RwLock::default(),
            collectors: RwLock::default(),
            taken,
            failures: FailureFamily::default(),
            folded: options.folded,
            scrape: options.scrape,
            last_len: Default::default(),
            last_values: Default::default(),
            logged: Default::default(),
            extensions: Default::default(),
        };
        inner.register_library_families(options.process_metrics);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// What the adapters record requests through: see [`Recorder`].
    pub fn recorder(&self) -> &Recorder {
        &self.inner.recorder
    }

    /// The path the adapters serve the exposition on (default `/metrics`), which is excluded
    /// from the HTTP metrics unless
    /// [`count_metrics_path`](HttpMetricsBuilder::count_metrics_path) is set.
    pub fn metrics_path(&self) -> &str {
        &self.inner.scrape.metrics_path
    }

    pub(crate) fn bearer_token(&self) -> Option<&super::auth::BearerToken> {
        self.inner.scrape.bearer_token.as_ref()
    }

    /// The gzip level of scrapes that accept it; 0: none.
    pub(crate) fn gzip_level(&self) -> u32 {
        self.inner.scrape.gzip_level
    }
}

impl Inner {
    /// Registers the library's own families on the registry, after the HTTP families'
    /// marker: the process metrics, `metrics_collector_failures_total` and
    /// `metrics_series_folded_total`.
    fn register_library_families(&self, process_metrics: bool) {
        let mut registry = self.registry.write().unwrap_or_else(|e| e.into_inner());
        #[cfg(feature = "process")]
        if process_metrics {
            registry.register_collector(Box::new(crate::instruments::process::ProcessCollector));
            for (name, kind) in crate::instruments::process::NAMES {
                self.add_registry_name(name, kind);
            }
        }
        let _ = process_metrics;
        registry.register(
            "metrics_collector_failures",
            "Scrapes that left out a callback metric or custom collector, by collector and reason (panic, timeout, busy, clash)",
            self.failures.clone(),
        );
        self.add_registry_name("metrics_collector_failures", Kind::Counter);
        registry.register(
            "metrics_series_folded",
            "Updates recorded in a metric's otel_metric_overflow series because the metric reached its series cap",
            self.folded.clone(),
        );
        self.add_registry_name("metrics_series_folded", Kind::Counter);
    }

    /// Logs `message` as a warning (with the `log` crate) the first time it comes.
    pub(crate) fn log_once(&self, message: String) {
        let mut logged = self.logged.lock().unwrap_or_else(|e| e.into_inner());
        if logged.len() < 1_000 && logged.insert(message.clone()) {
            log::warn!("{message}");
        }
    }

    /// `name` as the registry writes it: under its prefix.
    pub(crate) fn registry_name(&self, name: &str) -> String {
        match &self.registry_prefix {
            Some(prefix) => format!("{prefix}_{name}"),
            None => name.to_owned(),
        }
    }

    /// Records the names a family registered on the registry as `name` writes.
    pub(crate) fn add_registry_name(&self, name: &str, kind: Kind) {
        self.taken.add(&self.registry_name(name), kind);
    }
}

/// Reads the registry once, as it was given: the prefix and the constant labels it gives
/// its families (from [`HttpMarker`]'s family), and the names of the families it already
/// has, which later registrations must not write.
fn read_registry(
    registry: &Registry,
    taken: &TakenNames,
) -> (Option<String>, Vec<(String, String)>) {
    // A registry whose metrics fail to encode fails every scrape: nothing to learn here.
    let families = crate::model::from_openmetrics(registry).unwrap_or_default();
    let mut found = (None, Vec::new());
    for family in families {
        if let Some(prefix) = family.name.strip_suffix(MARKER) {
            let prefix = prefix.strip_suffix('_').filter(|p| !p.is_empty());
            let labels = family.series.into_iter().next().map(|s| s.labels);
            found = (prefix.map(str::to_owned), labels.unwrap_or_default());
        } else {
            taken.add(&family.name, family.kind);
        }
    }
    found
}

impl AsRef<Recorder> for HttpMetrics {
    fn as_ref(&self) -> &Recorder {
        &self.inner.recorder
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
            .field("settings", self.inner.recorder.routes().settings())
            .field("scrape", &self.inner.scrape)
            .finish_non_exhaustive()
    }
}
