//! The runtime of the [`measured`](macro@crate::measured) attribute: what the code it generates
//! calls. Not for direct use; its items may change with the macro.
//!
//! Every function with the attribute is one call site, whose series — fixed by the function,
//! its module and the attribute's labels — are resolved once, the first time it is called.
//! A call then costs a clock read at each end and four atomic updates: the concurrency gauge
//! up and down, the duration histogram, the calls counter.
//!
//! | name | type | labels |
//! |---|---|---|
//! | `function_calls_total` | counter | `function`, `module`, the attribute's labels, `result` (`ok`, `error`, `cancelled`) |
//! | `function_calls_duration_seconds` | histogram | `function`, `module`, the attribute's labels |
//! | `function_calls_concurrent` | gauge | `function`, `module`, the attribute's labels |
//!
//! They are on [`HttpMetrics::global`](crate::HttpMetrics::global) from the first call of a
//! measured function, with the HTTP latency histogram's buckets ([`DEFAULT_BUCKETS`](crate::DEFAULT_BUCKETS)).

use std::sync::OnceLock;
use std::time::Instant;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Unit;

type Labels = Vec<(&'static str, &'static str)>;
type HistogramFamily = Family<Labels, Histogram, fn() -> Histogram>;

struct Families {
    calls: Family<Vec<(&'static str, &'static str)>, Counter>,
    duration: HistogramFamily,
    concurrent: Family<Labels, Gauge>,
}

fn families() -> &'static Families {
    FAMILIES.get_or_init(|| Families {
        calls: Family::default(),
        duration: Family::new_with_constructor(|| {
            Histogram::new(crate::DEFAULT_BUCKETS.iter().copied())
        }),
        concurrent: Family::default(),
    })
}

static FAMILIES: OnceLock<Families> = OnceLock::new();

/// The names of the families, each with its kind, as the registry takes them.
pub(crate) const NAMES: [(&str, crate::base::Kind); 3] = [
    ("function_calls", crate::base::Kind::Counter),
    (
        "function_calls_duration_seconds",
        crate::base::Kind::Histogram,
    ),
    ("function_calls_concurrent", crate::base::Kind::Gauge),
];

/// The families on the registry that has them (the process-wide default): nothing until a
/// measured function is first called, then the three families.
#[derive(Debug)]
pub(crate) struct MeasuredCollector;

impl Collector for MeasuredCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> std::fmt::Result {
        let Some(families) = FAMILIES.get() else {
            return Ok(());
        };
        let calls = encoder.encode_descriptor(
            "function_calls",
            "Calls of functions with the measured attribute, by result.",
            None,
            MetricType::Counter,
        )?;
        families.calls.encode(calls)?;
        let duration = encoder.encode_descriptor(
            "function_calls_duration",
            "Duration of calls of functions with the measured attribute.",
            Some(&Unit::Seconds),
            MetricType::Histogram,
        )?;
        families.duration.encode(duration)?;
        let concurrent = encoder.encode_descriptor(
            "function_calls_concurrent",
            "Calls of functions with the measured attribute in progress.",
            None,
            MetricType::Gauge,
        )?;
        families.concurrent.encode(concurrent)
    }
}

/// Returns `future` as it is, its output type stated: the attribute wraps an `async`
/// function's body in an `async` block, whose `return`s then coerce to the function's
/// declared type.
#[doc(hidden)]
pub fn typed<T, F: std::future::Future<Output = T>>(future: F) -> F {
    future
}

/// One function with the attribute: its fixed labels and, once called, its series.
#[derive(Debug)]
pub struct CallSite {
    function: &'static str,
    module: &'static str,
    labels: &'static [(&'static str, &'static str)],
    handles: OnceLock<Handles>,
}

#[derive(Debug)]
struct Handles {
    ok: Counter,
    error: Counter,
    cancelled: Counter,
    duration: Histogram,
    concurrent: Gauge,
}

impl CallSite {
    /// The call site of `function` in `module`, with the attribute's labels.
    pub const fn new(
        function: &'static str,
        module: &'static str,
        labels: &'static [(&'static str, &'static str)],
    ) -> Self {
        Self {
            function,
            module,
            labels,
            handles: OnceLock::new(),
        }
    }

    fn handles(&self) -> &Handles {
        self.handles.get_or_init(|| {
            let families = families();
            let mut labels: Labels = vec![("function", self.function), ("module", self.module)];
            labels.extend_from_slice(self.labels);
            let with_result = |result| {
                let mut labels = labels.clone();
                labels.push(("result", result));
                families.calls.get_or_create(&labels).clone()
            };
            Handles {
                ok: with_result("ok"),
                error: with_result("error"),
                cancelled: with_result("cancelled"),
                duration: families.duration.get_or_create(&labels).clone(),
                concurrent: families.concurrent.get_or_create(&labels).clone(),
            }
        })
    }

    /// A call begins.
    #[inline]
    pub fn start(&'static self) -> Call {
        let handles = self.handles();
        handles.concurrent.inc();
        Call {
            handles,
            started: Instant::now(),
            finished: false,
        }
    }
}

/// One call in progress. Finished with its result, or dropped: during a panic it counts as
/// an error, otherwise (a future dropped before it completed) as cancelled.
#[derive(Debug)]
#[must_use]
pub struct Call {
    handles: &'static Handles,
    started: Instant,
    finished: bool,
}

impl Call {
    /// The call returned: `ok` unless it returned an `Err`.
    #[inline]
    pub fn finish(mut self, ok: bool) {
        self.record(if ok {
            &self.handles.ok
        } else {
            &self.handles.error
        });
    }

    #[inline]
    fn record(&mut self, result: &Counter) {
        self.finished = true;
        let handles = self.handles;
        handles
            .duration
            .observe(self.started.elapsed().as_secs_f64());
        result.inc();
        handles.concurrent.dec();
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        if !self.finished {
            let handles = self.handles;
            let result = if std::thread::panicking() {
                &handles.error
            } else {
                &handles.cancelled
            };
            self.record(result);
        }
    }
}
