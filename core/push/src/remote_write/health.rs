//! The sender's own metrics, on the registry it sends: one set of families per registry,
//! labelled with each sender's `url`.

use std::sync::atomic::AtomicU64;
use std::time::{SystemTime, UNIX_EPOCH};

use http_metrics_core::prometheus_client::metrics::counter::Counter;
use http_metrics_core::prometheus_client::metrics::family::Family;
use http_metrics_core::prometheus_client::metrics::gauge::Gauge;

use super::RemoteWriteStats;

type Labels = Vec<(&'static str, String)>;

/// The families, registered once per registry.
#[derive(Clone, Default)]
pub(crate) struct Families {
    sent: Family<Labels, Counter>,
    retried: Family<Labels, Counter>,
    failed: Family<Labels, Counter>,
    dropped: Family<Labels, Counter>,
    pending: Family<Labels, Gauge>,
    last_success: Family<Labels, Gauge<f64, AtomicU64>>,
}

impl Families {
    /// The families of `metrics`' registry, registered there by the first sender.
    pub(crate) fn of(metrics: &http_metrics_core::HttpMetrics) -> std::sync::Arc<Self> {
        metrics.extension(|metrics| {
            let families = Self::default();
            families.register(metrics);
            families
        })
    }

    /// Registers the families on `metrics`' registry.
    fn register(&self, metrics: &http_metrics_core::HttpMetrics) {
        let prefix = "remote_write_samples";
        let registered = [
            metrics.register(
                &format!("{prefix}_sent"),
                "Samples the remote-write receiver took",
                self.sent.clone(),
            ),
            metrics.register(
                &format!("{prefix}_retried"),
                "Samples sent again after a retryable remote-write failure",
                self.retried.clone(),
            ),
            metrics.register(
                &format!("{prefix}_failed"),
                "Samples the remote-write receiver refused for good",
                self.failed.clone(),
            ),
            metrics.register(
                &format!("{prefix}_dropped"),
                "Samples dropped from the full remote-write buffer, or left unsent at shutdown",
                self.dropped.clone(),
            ),
            metrics.register(
                &format!("{prefix}_pending"),
                "Samples buffered or in flight to the remote-write receiver",
                self.pending.clone(),
            ),
            metrics.register(
                "remote_write_last_success_timestamp_seconds",
                "When a remote-write request last succeeded, in seconds since the epoch",
                self.last_success.clone(),
            ),
        ];
        // The application took one of these names for a metric of its own: the sender still
        // sends, and its stats still count; that family of its health is not exposed.
        for error in registered.into_iter().filter_map(Result::err) {
            log::warn!("remote-write health: {error}");
        }
    }

    /// One sender's series.
    pub(crate) fn for_url(&self, url: &str) -> Health {
        let url = display_url(url);
        let labels: Labels = vec![("url", url.clone())];
        Health {
            series: Counters {
                sent: self.sent.get_or_create(&labels).clone(),
                retried: self.retried.get_or_create(&labels).clone(),
                failed: self.failed.get_or_create(&labels).clone(),
                dropped: self.dropped.get_or_create(&labels).clone(),
                pending: self.pending.get_or_create(&labels).clone(),
            },
            own: Counters::default(),
            last_success: self.last_success.get_or_create(&labels).clone(),
            snapshots: Counter::default(),
            url,
        }
    }
}

/// Counts of samples.
#[derive(Default)]
struct Counters {
    sent: Counter,
    retried: Counter,
    failed: Counter,
    dropped: Counter,
    pending: Gauge,
}

/// One sender's health: the registry's series for its `url` (shared with any other sender
/// to the same receiver, which they add up), and its own counts, for its stats.
pub(crate) struct Health {
    series: Counters,
    own: Counters,
    last_success: Gauge<f64, AtomicU64>,
    snapshots: Counter,
    url: String,
}

impl Health {
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    pub(crate) fn sent(&self, samples: u64) {
        self.series.sent.inc_by(samples);
        self.own.sent.inc_by(samples);
    }

    pub(crate) fn retried(&self, samples: u64) {
        self.series.retried.inc_by(samples);
        self.own.retried.inc_by(samples);
    }

    pub(crate) fn failed(&self, samples: u64) {
        self.series.failed.inc_by(samples);
        self.own.failed.inc_by(samples);
    }

    pub(crate) fn dropped(&self, samples: u64) {
        if samples > 0 {
            self.series.dropped.inc_by(samples);
            self.own.dropped.inc_by(samples);
        }
    }

    /// This sender's pending samples are `samples` now; the `url`'s series moves by as much.
    pub(crate) fn set_pending(&self, samples: i64) {
        let before = self.own.pending.set(samples);
        self.series.pending.inc_by(samples - before);
    }

    pub(crate) fn snapshot(&self) {
        self.snapshots.inc();
    }

    pub(crate) fn succeeded_now(&self) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        self.last_success.set(now);
    }

    pub(crate) fn stats(&self) -> RemoteWriteStats {
        RemoteWriteStats {
            sent: self.own.sent.get(),
            retried: self.own.retried.get(),
            failed: self.own.failed.get(),
            dropped: self.own.dropped.get(),
            pending: self.own.pending.get().max(0) as u64,
            snapshots: self.snapshots.get(),
            last_error: None,
        }
    }
}

/// The receiver's address as the `url` label and logs show it: without credentials or query.
pub(crate) fn display_url(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or(url);
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority.rsplit('@').next().unwrap_or(authority);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_label_carries_no_credentials() {
        assert_eq!(
            display_url("https://user:pw@mimir.example.com:8080/api/v1/push?token=x"),
            "https://mimir.example.com:8080/api/v1/push"
        );
        assert_eq!(display_url("http://vm:8428"), "http://vm:8428");
    }
}
