//! Callback gauges and counters: [`Observations`], what a callback reports at each scrape,
//! and the collector that runs the callback.

use crate::model::{Collect, CollectError, Collection, Family, Kind, Number, Value};

/// What a callback reports at a scrape: one value per label set.
///
/// ```
/// use http_metrics_core::{Format, HttpMetrics};
///
/// let metrics = HttpMetrics::new();
/// metrics.register_gauge_fn("db_pool_size", "Database connection pool size", |out| {
///     out.observe(&[("pool_name", "primary")], 10.0);
///     out.observe(&[("pool_name", "replica")], 4.0);
/// }).unwrap();
/// let text = metrics.encode(Format::Prometheus).unwrap();
/// assert!(text.contains("db_pool_size{pool_name=\"replica\"} 4.0\n"));
/// ```
#[derive(Debug, Default)]
pub struct Observations {
    values: Vec<(Vec<(String, String)>, f64)>,
}

impl Observations {
    /// Reports `value` for the series with these labels (`&[]` for none).
    pub fn observe(&mut self, labels: &[(&str, &str)], value: f64) {
        let labels = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.values.push((labels, value));
    }
}

/// A callback gauge or counter, as a source of one family.
pub(crate) struct FnCollector<F> {
    pub(crate) name: String,
    pub(crate) help: String,
    pub(crate) kind: Kind,
    pub(crate) callback: F,
}

impl<F> std::fmt::Debug for FnCollector<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FnCollector")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl<F: Fn(&mut Observations) + Send + Sync + 'static> Collect for FnCollector<F> {
    fn collect(&self, out: &mut Collection) -> Result<(), CollectError> {
        let mut observations = Observations::default();
        (self.callback)(&mut observations);
        let mut family = Family::new(self.name.clone(), self.help.clone(), self.kind);
        for (labels, value) in observations.values {
            let value = Number::Float(value);
            let value = match self.kind {
                Kind::Counter => Value::Counter(value, None),
                _ => Value::Gauge(value),
            };
            family.push(labels, value);
        }
        out.push(family);
        Ok(())
    }
}
