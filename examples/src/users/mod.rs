//! The users service of the Flask guide: business logic and business metrics, shared
//! unchanged by the axum and actix-web builds.
//!
//! | route | does |
//! |---|---|
//! | `POST /api/users` | JSON `{"name": ..., "source": ...}` (source defaults to `web`); a simulated ~50 ms insert; `201` with the user; `503` when the database pool has no free connection ([`crate::db`]) |
//! | `GET /api/users/{user_id}` | cache lookup, on a miss a simulated ~20 ms select; `200` with the user, `404` if there is none, `503` when the pool is exhausted |
//! | `GET /health` | `200 {"status": "healthy"}` |
//! | `GET /metrics` | the exposition |

pub mod actix;
pub mod axum;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Unit;
use serde::{Deserialize, Serialize};
use tower_metrics::HttpMetrics;

use crate::ApiResponse;

/// Buckets of `db_query_latency_seconds`, as in the guide.
pub const DB_BUCKETS: [f64; 8] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5];
/// Simulated duration of an insert.
pub const INSERT_DELAY: Duration = Duration::from_millis(50);
/// Simulated duration of a select.
pub const SELECT_DELAY: Duration = Duration::from_millis(20);
/// The `source` label values kept as sent; any other source is counted as `other`.
pub const KNOWN_SOURCES: [&str; 5] = ["web", "mobile", "api", "admin", "import"];
/// Longest accepted user name, in characters.
pub const MAX_NAME_CHARS: usize = 200;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DbLabels {
    operation: &'static str,
    table: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabels {
    source: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    operation: &'static str,
    result: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// The service's business metrics, registered on the same registry as the HTTP metrics.
#[derive(Clone, Debug)]
pub struct UsersMetrics {
    db_query_latency: HistogramFamily<DbLabels>,
    users_created: Family<SourceLabels, Counter>,
    cache_operations: Family<CacheLabels, Counter>,
}

impl UsersMetrics {
    /// Creates the metrics and registers them on `metrics`' registry.
    pub fn register(metrics: &HttpMetrics) -> Self {
        let this = Self {
            db_query_latency: Family::new_with_constructor(|| Histogram::new(DB_BUCKETS)),
            users_created: Family::default(),
            cache_operations: Family::default(),
        };
        metrics
            .register_with_unit(
                "db_query_latency",
                "Database query latency",
                Unit::Seconds,
                this.db_query_latency.clone(),
            )
            .expect("a name no other family writes");
        metrics
            .register(
                "users_created",
                "Total users created",
                this.users_created.clone(),
            )
            .expect("a name no other family writes");
        metrics
            .register(
                "cache_operations",
                "Cache operations",
                this.cache_operations.clone(),
            )
            .expect("a name no other family writes");
        this
    }

    fn cache(&self, operation: &'static str, result: &'static str) {
        self.cache_operations
            .get_or_create(&CacheLabels { operation, result })
            .inc();
    }

    fn time_query(&self, operation: &'static str, started: Instant) {
        self.db_query_latency
            .get_or_create(&DbLabels {
                operation,
                table: "users",
            })
            .observe(started.elapsed().as_secs_f64());
    }
}

/// A user as stored and returned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    /// Assigned by the service: `"1"`, `"2"`, ...
    pub id: String,
    /// As sent.
    pub name: String,
    /// As sent (default `web`); the metric label is [`source_label`] of it.
    pub source: String,
}

#[derive(Deserialize)]
struct NewUser {
    name: String,
    #[serde(default)]
    source: Option<String>,
}

/// The users service: an in-memory table, a cache in front of it, and the metrics.
#[derive(Debug)]
pub struct UsersService {
    metrics: UsersMetrics,
    db: std::sync::Arc<crate::db::DbPool>,
    table: Mutex<HashMap<String, User>>,
    cache: Mutex<HashMap<String, User>>,
    next_id: AtomicU64,
}

impl UsersService {
    /// A service whose business metrics live on `metrics`' registry.
    pub fn new(metrics: &HttpMetrics) -> Self {
        Self {
            metrics: UsersMetrics::register(metrics),
            db: crate::db::DbPool::register(metrics),
            table: Mutex::default(),
            cache: Mutex::default(),
            next_id: AtomicU64::new(1),
        }
    }

    /// `POST /api/users`: validates the JSON body, inserts the user, counts it by source.
    ///
    /// `415` unless the content type is JSON, `400` for a body that is not JSON, `422` for
    /// JSON without a usable `name` or with a non-string `source`; nothing is inserted or
    /// counted in the business metrics then.
    pub async fn create_user(&self, content_type: Option<&str>, body: &[u8]) -> ApiResponse {
        if !crate::is_json(content_type) {
            return ApiResponse::error(
                415,
                "expected a JSON body with Content-Type: application/json",
            );
        }
        let new: NewUser = match serde_json::from_slice(body) {
            Ok(new) => new,
            Err(e) if e.is_data() => return ApiResponse::error(422, format!("invalid user: {e}")),
            Err(e) => return ApiResponse::error(400, format!("invalid JSON: {e}")),
        };
        let name = new.name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return ApiResponse::error(
                422,
                format!("invalid user: name must be 1 to {MAX_NAME_CHARS} characters"),
            );
        }
        let source = new.source.unwrap_or_else(|| "web".into());
        let user = User {
            id: self.next_id.fetch_add(1, Ordering::Relaxed).to_string(),
            name: name.to_owned(),
            source,
        };

        let started = Instant::now();
        if let Err(busy) = self.db.query("INSERT", INSERT_DELAY).await {
            return ApiResponse::error(503, busy.to_string());
        }
        lock(&self.table).insert(user.id.clone(), user.clone());
        self.metrics.time_query("INSERT", started);

        self.metrics
            .users_created
            .get_or_create(&SourceLabels {
                source: source_label(&user.source),
            })
            .inc();
        ApiResponse::new(201, serde_json::to_value(&user).unwrap_or_default())
    }

    /// `GET /api/users/{user_id}`: the cache first, then the table.
    pub async fn get_user(&self, user_id: &str) -> ApiResponse {
        if let Some(user) = lock(&self.cache).get(user_id).cloned() {
            self.metrics.cache("get", "hit");
            return ApiResponse::new(200, serde_json::to_value(&user).unwrap_or_default());
        }
        self.metrics.cache("get", "miss");

        let started = Instant::now();
        if let Err(busy) = self.db.query("SELECT", SELECT_DELAY).await {
            return ApiResponse::error(503, busy.to_string());
        }
        let found = lock(&self.table).get(user_id).cloned();
        self.metrics.time_query("SELECT", started);

        match found {
            Some(user) => {
                lock(&self.cache).insert(user.id.clone(), user.clone());
                self.metrics.cache("set", "success");
                ApiResponse::new(200, serde_json::to_value(&user).unwrap_or_default())
            }
            None => ApiResponse::error(404, "user not found"),
        }
    }
}

/// The `source` label for a user's source: one of [`KNOWN_SOURCES`], or `other`, so that
/// clients cannot create series at will.
pub fn source_label(source: &str) -> &'static str {
    KNOWN_SOURCES
        .into_iter()
        .find(|known| *known == source)
        .unwrap_or("other")
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Every critical section is a single map operation: poisoning cannot leave a map
    // half-updated, so the data is still valid.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_bounded() {
        assert_eq!(source_label("mobile"), "mobile");
        assert_eq!(source_label("Mobile"), "other");
        assert_eq!(source_label("\"}\n"), "other");
    }
}
