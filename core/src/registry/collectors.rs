//! Metrics computed when they are read: callback gauges and counters
//! ([`HttpMetrics::register_gauge_fn`](crate::HttpMetrics::register_gauge_fn),
//! [`HttpMetrics::register_counter_fn`](crate::HttpMetrics::register_counter_fn)), custom
//! collectors ([`HttpMetrics::register_collector`](crate::HttpMetrics::register_collector))
//! and [`Collect`] sources, kept from breaking or stalling `/metrics`.
//!
//! Each is evaluated at every scrape on a thread of its own, into its own buffer, and waited
//! for until the collector deadline
//! ([`HttpMetricsBuilder::collector_timeout`](crate::HttpMetricsBuilder::collector_timeout),
//! one second by default):
//!
//! - **It panics, or its collection fails** (`reason="encode"`): its families are left out of that scrape, everything else is served,
//!   and `metrics_collector_failures_total{collector="<name>",reason="panic"}` counts it.
//! - **It is slower than the deadline**: its families are left out of that scrape
//!   (`reason="timeout"`), and while that evaluation is still running it is not started
//!   again: later scrapes leave it out at once (`reason="busy"`), so a callback that hangs
//!   costs one thread, never one per scrape. When it finishes, the next scrape runs it again.
//!   Scrapes that merely overlap (two Prometheus replicas) each run their own evaluation.
//!
//! Left out rather than served stale: a scrape that shows an old value as current would
//! mislead, while a missing series is what Prometheus already knows how to show.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family as PcFamily;
use prometheus_client::registry::Registry;

use crate::model::{Collect, CollectError, Collection, Family};

/// The default deadline of a collector at each scrape.
pub const DEFAULT_COLLECTOR_TIMEOUT: Duration = Duration::from_secs(1);

/// `metrics_collector_failures_total{collector, reason}`.
pub(crate) type FailureFamily = PcFamily<Vec<(String, String)>, Counter>;

/// Counts a failure of collector `name` for `reason`.
pub(crate) fn count_failure(failures: &FailureFamily, name: &str, reason: &str) {
    let labels = vec![
        ("collector".to_owned(), name.to_owned()),
        ("reason".to_owned(), reason.to_owned()),
    ];
    failures.get_or_create(&labels).inc();
}

/// A registered source, with what keeps it from stalling scrapes.
pub(crate) struct Guarded {
    name: String,
    source: Arc<dyn Collect>,
    /// The family registered for it (a callback's), whose names are its own.
    family: Option<String>,
    /// Evaluations that missed their scrape's deadline and are still running: while there
    /// is one, no new evaluation starts. (Scrapes that merely overlap, two Prometheus
    /// replicas say, each run their own.)
    stuck: Arc<AtomicUsize>,
}

impl std::fmt::Debug for Guarded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guarded")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Where an evaluation stands: its scrape waits for it, or gave up waiting.
const WAITED_FOR: u8 = 0;
const DELIVERED: u8 = 1;
const ABANDONED: u8 = 2;

type Evaluation = std::thread::Result<Result<Vec<Family>, CollectError>>;

impl Guarded {
    /// A source, `family` the name registered for it, if one was.
    pub(crate) fn new(name: &str, source: Arc<dyn Collect>, family: Option<&str>) -> Self {
        Self {
            name: name.to_owned(),
            source,
            family: family.map(str::to_owned),
            stuck: Arc::default(),
        }
    }

    /// The family registered for it, whose names it may write.
    pub(crate) fn family(&self) -> Option<&str> {
        self.family.as_deref()
    }

    /// The name it is counted under.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Starts an evaluation on a thread of its own (with native buckets when `native`),
    /// unless an earlier one that missed its deadline is still running.
    pub(crate) fn start(&self, native: bool) -> Pending {
        if self.stuck.load(Ordering::Acquire) > 0 {
            return Pending::Failed("busy");
        }
        let (tx, rx) = mpsc::channel();
        let source = self.source.clone();
        let state = Arc::new(AtomicU8::new(WAITED_FOR));
        let (stuck, mine) = (self.stuck.clone(), state.clone());
        let spawned = std::thread::Builder::new()
            .name(format!("collector {}", self.name))
            .spawn(move || {
                let evaluation: Evaluation =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        let mut out = Collection::new(native);
                        source.collect(&mut out).map(|()| out.into_families())
                    }));
                let delivered = mine.compare_exchange(
                    WAITED_FOR,
                    DELIVERED,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                );
                if delivered.is_err() {
                    // Its scrape gave up on it: it no longer holds new evaluations back.
                    stuck.fetch_sub(1, Ordering::AcqRel);
                }
                let _ = tx.send(evaluation);
            });
        match spawned {
            Ok(_) => Pending::Running(rx, state),
            Err(_) => Pending::Failed("spawn"),
        }
    }

    /// The evaluation's families if it ends by `deadline` (`None`: no deadline), or `None`
    /// and the failure counted in `failures`.
    pub(crate) fn finish(
        &self,
        pending: Pending,
        deadline: Option<Instant>,
        failures: &FailureFamily,
    ) -> Option<Vec<Family>> {
        let reason = match pending {
            Pending::Failed(reason) => reason,
            Pending::Running(rx, state) => {
                let received = match deadline {
                    Some(deadline) => {
                        rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
                    }
                    None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
                };
                match received {
                    Ok(Ok(Ok(families))) => return Some(families),
                    Ok(Ok(Err(_))) => "encode",
                    Ok(Err(_panic)) => "panic",
                    Err(_) => self.abandon(&state),
                }
            }
        };
        count_failure(failures, &self.name, reason);
        None
    }

    /// Gives up on an evaluation past its deadline: `"timeout"`.
    fn abandon(&self, state: &AtomicU8) -> &'static str {
        // Counted as stuck first, so that the thread, if it finishes right now, finds the
        // count to take back.
        self.stuck.fetch_add(1, Ordering::AcqRel);
        let abandoned =
            state.compare_exchange(WAITED_FOR, ABANDONED, Ordering::AcqRel, Ordering::Acquire);
        if abandoned.is_err() {
            // It delivered after all, just too late for this scrape.
            self.stuck.fetch_sub(1, Ordering::AcqRel);
        }
        "timeout"
    }
}

/// An evaluation under way, or why none could start.
pub(crate) enum Pending {
    Running(mpsc::Receiver<Evaluation>, Arc<AtomicU8>),
    Failed(&'static str),
}

/// A prometheus-client [`Collector`] as a [`Collect`] source: its families read into the
/// model through a registry of its own.
pub(crate) struct PrometheusCollector(pub(crate) Arc<dyn Collector>);

impl Collect for PrometheusCollector {
    fn collect(&self, out: &mut Collection) -> Result<(), CollectError> {
        #[derive(Debug)]
        struct Shared(Arc<dyn Collector>);
        impl Collector for Shared {
            fn encode(&self, encoder: DescriptorEncoder<'_>) -> std::fmt::Result {
                self.0.encode(encoder)
            }
        }
        let mut registry = Registry::default();
        registry.register_collector(Box::new(Shared(self.0.clone())));
        let failed = |_| CollectError("a metric of the collector failed to encode".into());
        let mut families = crate::model::from_openmetrics(&registry).map_err(failed)?;
        if out.native_histograms() {
            crate::model::merge_native(&mut families, &registry).map_err(failed)?;
        }
        for family in families {
            out.push(family);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use crate::{Format, HttpMetrics};

    fn text(metrics: &HttpMetrics) -> String {
        metrics.encode(Format::OpenMetrics).unwrap()
    }

    #[test]
    fn callback_gauges_and_counters_report_at_each_scrape() {
        let metrics = HttpMetrics::new();
        let level = Arc::new(Mutex::new(3.0));
        let read = level.clone();
        metrics
            .register_gauge_fn("queue_depth", "Jobs waiting", move |out| {
                out.observe(&[("queue", "mail")], *read.lock().unwrap());
            })
            .unwrap();
        metrics
            .register_counter_fn("cpu_seconds_total", "CPU used", |out| {
                out.observe(&[], 1.5);
            })
            .unwrap();
        let first = text(&metrics);
        assert!(
            first.contains("# TYPE queue_depth gauge\nqueue_depth{queue=\"mail\"} 3.0\n"),
            "{first}"
        );
        assert!(
            first.contains("# TYPE cpu_seconds counter\ncpu_seconds_total 1.5\n"),
            "{first}"
        );
        *level.lock().unwrap() = 7.0;
        assert!(text(&metrics).contains("queue_depth{queue=\"mail\"} 7.0\n"));
    }

    #[test]
    fn a_panicking_callback_is_left_out_and_counted() {
        let metrics = HttpMetrics::new();
        metrics
            .register_gauge_fn("broken", "Always panics", |_| panic!("no pool"))
            .unwrap();
        metrics
            .register_gauge_fn("fine", "Works", |out| out.observe(&[], 1.0))
            .unwrap();
        let scrape = text(&metrics);
        assert!(!scrape.contains("# TYPE broken"), "{scrape}");
        assert!(scrape.contains("fine 1.0\n"), "{scrape}");
        assert!(
            scrape.contains(
                "metrics_collector_failures_total{collector=\"broken\",reason=\"panic\"} 1\n"
            ),
            "{scrape}"
        );
        assert!(scrape.ends_with("# EOF\n"));
    }

    #[test]
    fn overlapping_scrapes_each_run_their_own_evaluation() {
        let metrics = HttpMetrics::new();
        // Completes only when two evaluations run at once: a second scrape turned away as
        // busy would leave the first waiting until its deadline.
        let both = Arc::new(std::sync::Barrier::new(2));
        metrics
            .register_gauge_fn("shared", "Needs two evaluations at once", move |out| {
                both.wait();
                out.observe(&[], 2.0);
            })
            .unwrap();
        let scrapes: Vec<_> = (0..2)
            .map(|_| {
                let metrics = metrics.clone();
                std::thread::spawn(move || text(&metrics))
            })
            .collect();
        for scrape in scrapes {
            let scrape = scrape.join().unwrap();
            assert!(scrape.contains("shared 2.0\n"), "{scrape}");
            assert!(!scrape.contains("collector=\"shared\""), "{scrape}");
        }
    }

    #[test]
    fn a_slow_callback_is_left_out_of_the_scrape_and_not_started_twice() {
        let metrics = HttpMetrics::builder()
            .collector_timeout(Duration::from_millis(20))
            .build()
            .unwrap();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let released = Mutex::new(released);
        metrics
            .register_gauge_fn("slow", "Blocks until released", move |out| {
                // The first evaluation waits for the test; later ones answer at once.
                let _ = released.lock().unwrap().recv();
                out.observe(&[], 5.0);
            })
            .unwrap();
        let failures = |reason: &str| {
            format!("metrics_collector_failures_total{{collector=\"slow\",reason=\"{reason}\"}}")
        };
        let scrape = text(&metrics);
        assert!(!scrape.contains("slow 5"), "{scrape}");
        assert!(
            scrape.contains(&format!("{} 1\n", failures("timeout"))),
            "{scrape}"
        );
        // Still blocked: not started again.
        let scrape = text(&metrics);
        assert!(
            scrape.contains(&format!("{} 1\n", failures("busy"))),
            "{scrape}"
        );
        release.send(()).unwrap();
        drop(release);
        // Once it has finished, it is run and served again.
        let mut last = String::new();
        let served = (0..500).any(|_| {
            std::thread::sleep(Duration::from_millis(10));
            last = text(&metrics);
            last.contains("slow 5.0\n")
        });
        assert!(served, "{last}");
    }
}
