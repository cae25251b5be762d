//! Registration can never break a scrape: every name a family would write is checked
//! against every family of the registry, and what is only known at a scrape is left out
//! there, never served twice.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;

use crate::model::{Collect, CollectError, Collection, Family, Kind, Number, Value};
use crate::{Format, HttpMetrics, RegisterError, Summary};

fn holder(result: Result<(), RegisterError>) -> String {
    match result {
        Err(RegisterError::Taken { clash, holder, .. }) => format!("{clash} by {holder}"),
        other => panic!("expected a clash, got {other:?}"),
    }
}

#[test]
fn a_name_the_http_families_write_is_refused() {
    let metrics = HttpMetrics::new();
    let counter = || Counter::<u64>::default();
    assert_eq!(
        holder(metrics.register("http_requests", "", counter())),
        "http_requests by http_requests"
    );
    assert_eq!(
        holder(metrics.register(
            "http_request_duration_seconds_count",
            "",
            Gauge::<i64>::default()
        )),
        "http_request_duration_seconds_count by http_request_duration_seconds"
    );
    assert_eq!(
        holder(metrics.register_gauge_fn("http_requests_in_flight", "", |_| {})),
        "http_requests_in_flight by http_requests_in_flight"
    );
}

#[test]
fn a_name_the_library_writes_is_refused() {
    let metrics = HttpMetrics::new();
    assert_eq!(
        holder(metrics.register("process_cpu_seconds", "", Counter::<u64>::default())),
        "process_cpu_seconds by process_cpu_seconds"
    );
    assert_eq!(
        holder(metrics.register_counter_fn("metrics_collector_failures_total", "", |_| {})),
        "metrics_collector_failures by metrics_collector_failures"
    );
}

#[test]
fn a_name_registered_before_is_refused_whatever_registered_it() {
    let metrics = HttpMetrics::new();
    metrics
        .register("jobs", "Jobs", Counter::<u64>::default())
        .unwrap();
    let summary = Summary::builder().build().unwrap();
    metrics
        .register_summary("wait_seconds", "Wait", &summary)
        .unwrap();
    metrics.register_gauge_fn("depth", "Depth", |_| {}).unwrap();
    assert_eq!(
        holder(metrics.register("jobs", "", Gauge::<i64>::default())),
        "jobs by jobs"
    );
    assert_eq!(
        holder(metrics.register_gauge_fn("jobs_total", "", |_| {})),
        "jobs_total by jobs"
    );
    let histogram = Histogram::new([1.0]);
    assert_eq!(
        holder(metrics.register("wait_seconds", "", histogram)),
        "wait_seconds by wait_seconds"
    );
    assert_eq!(
        holder(metrics.register_summary("depth", "", &summary)),
        "depth by depth"
    );
    let unit = prometheus_client::registry::Unit::Seconds;
    assert_eq!(
        holder(metrics.register_with_unit("wait", "", unit, Gauge::<i64>::default())),
        "wait_seconds by wait_seconds"
    );
    // One family each, once: nothing was registered by the refused calls.
    let text = metrics.encode(Format::OpenMetrics).unwrap();
    for family in ["jobs", "wait_seconds", "depth"] {
        assert_eq!(
            text.matches(&format!("# TYPE {family} ")).count(),
            1,
            "{text}"
        );
    }
}

#[test]
fn an_empty_name_is_refused_and_any_other_utf8_name_taken() {
    let metrics = HttpMetrics::new();
    let refused = metrics.register("", "", Counter::<u64>::default());
    assert!(matches!(refused, Err(RegisterError::InvalidName { .. })));
    let summary = Summary::builder().build().unwrap();
    let refused = metrics.register_summary("", "", &summary);
    assert!(matches!(refused, Err(RegisterError::InvalidName { .. })));
    // Prometheus 3's names: any UTF-8.
    for name in ["9lives", "a-b", "payments.processed", "é"] {
        metrics
            .register(name, "", Counter::<u64>::default())
            .unwrap_or_else(|e| panic!("{name:?}: {e}"));
    }
}

#[test]
fn a_name_that_a_classic_scrape_would_write_as_another_is_refused() {
    let metrics = HttpMetrics::new();
    metrics
        .register("payments.processed", "", Counter::<u64>::default())
        .unwrap();
    // Escaped to classic names, both would be `payments_processed`.
    assert_eq!(
        holder(metrics.register("payments_processed", "", Counter::<u64>::default())),
        "payments_processed by payments.processed"
    );
    assert_eq!(
        holder(metrics.register("payments-processed", "", Counter::<u64>::default())),
        "payments_processed by payments.processed"
    );
}

#[test]
fn the_application_registrys_families_and_prefix_are_known() {
    let mut registry = prometheus_client::registry::Registry::with_prefix("app");
    registry.register("orders", "Orders", Counter::<u64>::default());
    let metrics = HttpMetrics::builder().registry(registry).build().unwrap();
    // Registered through the registry of prefix `app`: `app_orders`, which is taken.
    assert_eq!(
        holder(metrics.register("orders", "", Counter::<u64>::default())),
        "app_orders by app_orders"
    );
    let text = metrics.encode(Format::Prometheus).unwrap();
    assert!(
        text.contains("# TYPE app_http_requests_total counter"),
        "{text}"
    );
}

/// A source of one gauge family named `name`.
#[derive(Debug)]
struct Source(&'static str);

impl Collect for Source {
    fn collect(&self, out: &mut Collection) -> Result<(), CollectError> {
        let mut family = Family::new(self.0, "A source's", Kind::Gauge);
        family.push([("from", "source")], Value::Gauge(Number::Int(7)));
        out.push(family);
        Ok(())
    }
}

#[test]
fn a_family_known_only_at_a_scrape_that_clashes_is_left_out_and_counted() {
    let metrics = HttpMetrics::builder()
        .process_metrics(false)
        .build()
        .unwrap();
    metrics
        .register("jobs", "Jobs", Counter::<u64>::default())
        .unwrap();
    metrics.register_collect("first", Source("queue"));
    metrics.register_collect("second", Source("queue"));
    metrics.register_collect("third", Source("jobs_total"));
    metrics.with_registry(|r| r.register("jobs", "Again", Counter::<u64>::default()));
    let text = metrics.encode(Format::OpenMetrics).unwrap();
    assert_eq!(text.matches("# TYPE queue gauge").count(), 1, "{text}");
    assert_eq!(text.matches("# TYPE jobs counter").count(), 1, "{text}");
    assert!(!text.contains("jobs_total{from"), "{text}");
    let text = metrics.encode(Format::OpenMetrics).unwrap();
    for (collector, n) in [("second", 2), ("third", 2), ("registry", 1)] {
        let line = format!(
            "metrics_collector_failures_total{{collector=\"{collector}\",reason=\"clash\"}} {n}\n"
        );
        assert!(text.contains(&line), "{line}{text}");
    }
    assert!(!text.contains("collector=\"first\""), "{text}");
}
