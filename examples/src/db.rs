//! A simulated database connection pool, and the guide's `DatabaseMetricsCollector` over it:
//! a custom collector that reads the pool at each scrape.
//!
//! The pool has [`POOL_SIZE`] connections, and a query waits at most [`POOL_TIMEOUT`] for
//! one: past that it fails with [`PoolExhausted`], which the services answer with `503`. A
//! burst of concurrent requests therefore saturates the pool and fails some of them, as a
//! real service's would — the saturation and errors the dashboards show.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `db_pool_size` | gauge | `pool_name` |
//! | `db_active_connections` | gauge | `pool_name` |
//! | `db_queries_total` | counter | `operation` |
//! | `db_pool_exhausted_total` | counter | `pool_name` |

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tower_metrics::prometheus_client::collector::Collector;
use tower_metrics::prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use tower_metrics::prometheus_client::metrics::counter::ConstCounter;
use tower_metrics::prometheus_client::metrics::gauge::ConstGauge;
use tower_metrics::prometheus_client::metrics::MetricType;
use tower_metrics::HttpMetrics;

/// Connections in the simulated pool.
pub const POOL_SIZE: i64 = 10;
/// How long a query waits for a free connection before it fails.
pub const POOL_TIMEOUT: Duration = Duration::from_millis(25);

/// The simulated pool: a query holds a connection for its (simulated) duration.
#[derive(Debug)]
pub struct DbPool {
    connections: tokio::sync::Semaphore,
    exhausted: AtomicU64,
    queries: Mutex<BTreeMap<&'static str, u64>>,
}

impl Default for DbPool {
    fn default() -> Self {
        Self {
            connections: tokio::sync::Semaphore::new(POOL_SIZE as usize),
            exhausted: AtomicU64::new(0),
            queries: Mutex::default(),
        }
    }
}

/// No connection of the pool came free within [`POOL_TIMEOUT`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolExhausted;

impl std::fmt::Display for PoolExhausted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the database is busy: all {POOL_SIZE} connections stayed in use for {} ms; try again",
            POOL_TIMEOUT.as_millis()
        )
    }
}

impl std::error::Error for PoolExhausted {}

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

    /// Runs a query of `operation` that takes `duration`, once a connection is free.
    ///
    /// # Errors
    ///
    /// [`PoolExhausted`] when no connection came free within [`POOL_TIMEOUT`].
    pub async fn query(
        &self,
        operation: &'static str,
        duration: Duration,
    ) -> Result<(), PoolExhausted> {
        let permit = match tokio::time::timeout(POOL_TIMEOUT, self.connections.acquire()).await {
            Ok(Ok(permit)) => permit,
            // The semaphore is never closed; a timeout is the pool being exhausted.
            Ok(Err(_)) | Err(_) => {
                self.exhausted.fetch_add(1, Ordering::Relaxed);
                return Err(PoolExhausted);
            }
        };
        // The connection is in use while its permit is held: until the query ends, or the
        // request that runs it is cancelled mid-query.
        tokio::time::sleep(duration).await;
        drop(permit);
        *lock(&self.queries).entry(operation).or_default() += 1;
        Ok(())
    }

    /// Queries that failed for want of a free connection.
    pub fn exhausted_count(&self) -> u64 {
        self.exhausted.load(Ordering::Relaxed)
    }

    /// Connections in use now.
    pub fn active_count(&self) -> i64 {
        POOL_SIZE - self.connections.available_permits() as i64
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
        let exhausted = ConstCounter::new(self.db_pool.exhausted_count());
        let mut metric = encoder.encode_descriptor(
            "db_pool_exhausted",
            "Queries that failed because no connection of the pool came free in time",
            None,
            exhausted.metric_type(),
        )?;
        exhausted.encode(metric.encode_family(&primary)?)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUERY: Duration = Duration::from_millis(50);

    /// Queries started at once on a fresh pool: the first [`POOL_SIZE`] run, the others wait
    /// [`POOL_TIMEOUT`], shorter than a query, and fail.
    #[tokio::test(start_paused = true)]
    async fn a_burst_past_the_pool_fails_the_queries_that_find_no_connection() {
        let pool = DbPool::default();
        let burst = (0..POOL_SIZE + 5).map(|_| pool.query("INSERT", QUERY));
        let results = futures_util::future::join_all(burst).await;
        let failed = results.iter().filter(|r| r.is_err()).count();
        assert_eq!(failed, 5);
        assert_eq!(pool.exhausted_count(), 5);
        assert_eq!(pool.query_stats()[&"INSERT"], POOL_SIZE as u64);
        assert_eq!(pool.active_count(), 0);
        // Once the burst is over, queries run again.
        assert_eq!(pool.query("SELECT", QUERY).await, Ok(()));
    }

    /// A query whose request is cancelled gives its connection back.
    #[tokio::test(start_paused = true)]
    async fn a_cancelled_query_releases_its_connection() {
        let pool = DbPool::default();
        let cancelled = tokio::time::timeout(QUERY / 2, pool.query("SELECT", QUERY)).await;
        assert!(cancelled.is_err(), "cancelled mid-query");
        assert_eq!(pool.active_count(), 0);
        assert!(pool.query_stats().is_empty());
        let all = (0..POOL_SIZE).map(|_| pool.query("SELECT", QUERY));
        let results = futures_util::future::join_all(all).await;
        assert!(results.iter().all(Result::is_ok), "{results:?}");
    }
}
