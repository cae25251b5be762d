//! A simulated database connection pool, and the guide's `DatabaseMetricsCollector` over it:
//! a custom collector that reads the pool at each scrape.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `db_pool_size` | gauge | `pool_name` |
//! | `db_active_connections` | gauge | `pool_name` |
//! | `db_queries_total` | counter | `operation` |

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_metrics_core::prometheus_client::collector::Collector;
use http_metrics_core::prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use http_metrics_core::prometheus_client::metrics::counter::ConstCounter;
use http_metrics_core::prometheus_client::metrics::gauge::ConstGauge;
use http_metrics_core::prometheus_client::metrics::MetricType;
use http_metrics_core::HttpMetrics;

/// Connections in the simulated pool.
pub const POOL_SIZE: i64 = 10;

/// The simulated pool: a query holds a connection for its (simulated) duration.
#[derive(Debug, Default)]
pub struct DbPool {
    active: AtomicI64,
    queries: Mutex<BTreeMap<&'static str, u64>>,
}

impl DbPool {
    /// A pool whose figures `metrics` serves, through [`DatabaseMetricsCollector`].
    pub fn register(metrics: &HttpMetrics) -> Arc<Self> {
        let pool = Arc::new(Self::default());
        let collector = DatabaseMetricsCollector {
            db_pool: pool.clone(),
        };
        metrics.register_collector("database", collector);
        pool
    }

    /// Runs a query of `operation` that takes `duration`.
    pub async fn query(&self, operation: &'static str, duration: Duration) {
        self.active.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(duration).await;
        self.active.fetch_sub(1, Ordering::Relaxed);
        *lock(&self.queries).entry(operation).or_default() += 1;
    }

    /// Connections in use now.
    pub fn active_count(&self) -> i64 {
        self.active.load(Ordering::Relaxed)
    }

    /// Queries run, by operation.
    pub fn query_stats(&self) -> BTreeMap<&'static str, u64> {
        lock(&self.queries).clone()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The guide's custom collector: the pool's size, its active connections and its query
/// counts, read when `/metrics` is scraped.
#[derive(Debug)]
pub struct DatabaseMetricsCollector {
    db_pool: Arc<DbPool>,
}

impl Collector for DatabaseMetricsCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let primary = [("pool_name", "primary")];
        let size = ConstGauge::new(POOL_SIZE);
        let mut metric = encoder.encode_descriptor(
            "db_pool_size",
            "Database connection pool size",
            None,
            size.metric_type(),
        )?;
        size.encode(metric.encode_family(&primary)?)?;
        let active = ConstGauge::new(self.db_pool.active_count());
        let mut metric = encoder.encode_descriptor(
            "db_active_connections",
            "Active database connections",
            None,
            active.metric_type(),
        )?;
        active.encode(metric.encode_family(&primary)?)?;
        let mut queries = encoder.encode_descriptor(
            "db_queries",
            "Total database queries",
            None,
            MetricType::Counter,
        )?;
        for (operation, count) in self.db_pool.query_stats() {
            let labels = [("operation", operation)];
            ConstCounter::new(count).encode(queries.encode_family(&labels)?)?;
        }
        Ok(())
    }
}
