//! The orders service of the FastAPI guide: business logic and business metrics, shared
//! unchanged by the axum and actix-web builds.
//!
//! | route | does |
//! |---|---|
//! | `POST /api/orders` | JSON `{"total": number, "payment_method": string, "product_category"?: string}`; observes the value (`order_value_dollars`, `cart_value_dollars`), ~100 ms of processing, adds it to `revenue_dollars_total{product_category}`; `201 {"order_id": ..., "status": "completed"}`; `503` when the database pool has no free connection ([`crate::db`]), counted in `orders_total{status="failed"}` |
//! | `PUT /api/inventory/{product_id}?quantity=N&warehouse=W` | sets the inventory gauge (warehouse defaults to `main`), and with it `low_stock_products` (levels below 10; the guide's `low_stock_products_count`, renamed since `_count` is reserved for histograms and summaries); `200` with the new level |
//! | `GET /health` | `200 {"status": "healthy"}` |
//! | `GET /metrics` | the exposition, with `orders_service_info{version, environment}` |

pub mod actix;
pub mod axum;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use serde::Deserialize;
use serde_json::json;
use tower_metrics::{CappedFamily, HttpMetrics};

use crate::ApiResponse;

/// Buckets of `order_value_dollars`, as in the guide.
pub const ORDER_VALUE_BUCKETS: [f64; 9] = [
    10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0,
];
/// Simulated processing time of an order.
pub const PROCESSING_DELAY: Duration = Duration::from_millis(100);
/// The `payment_method` label values kept as sent; any other method is counted as `other`.
pub const KNOWN_PAYMENT_METHODS: [&str; 5] =
    ["card", "paypal", "bank_transfer", "apple_pay", "cash"];
/// Most (product, warehouse) series `inventory_level` keeps; clients choose the labels, so
/// further ones are not exposed (a gauge's levels do not add up) and are counted in
/// `metrics_series_folded_total{metric="inventory_level"}`.
pub const MAX_INVENTORY_SERIES: usize = 1000;
/// Longest accepted product or warehouse identifier.
pub const MAX_ID_CHARS: usize = 64;
/// The guide's buckets of `cart_value_dollars`.
pub const CART_VALUE_BUCKETS: [f64; 7] = [10.0, 25.0, 50.0, 100.0, 200.0, 500.0, 1000.0];
/// The `product_category` label values kept as sent; any other category is `other`.
pub const KNOWN_CATEGORIES: [&str; 5] = ["electronics", "books", "clothing", "home", "grocery"];
/// Below this quantity a (product, warehouse) counts in `low_stock_products`.
pub const LOW_STOCK_THRESHOLD: i64 = 10;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OrderLabels {
    status: &'static str,
    payment_method: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CategoryLabels {
    product_category: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct InventoryLabels {
    product_id: String,
    warehouse: String,
}

/// The service's business metrics, registered on the same registry as the HTTP metrics.
#[derive(Debug, Clone)]
pub struct OrdersMetrics {
    orders: Family<OrderLabels, Counter>,
    order_value: Histogram,
    inventory: CappedFamily<InventoryLabels, Gauge>,
    revenue: Family<CategoryLabels, Counter<f64, std::sync::atomic::AtomicU64>>,
    cart_value: Histogram,
}

impl OrdersMetrics {
    /// Creates the metrics, and the info metric with `version` and `environment`, and
    /// registers them on `metrics`' registry.
    pub fn register(metrics: &HttpMetrics, version: &str, environment: &str) -> Self {
        let this = Self {
            orders: Family::default(),
            order_value: Histogram::new(ORDER_VALUE_BUCKETS),
            inventory: CappedFamily::new(MAX_INVENTORY_SERIES),
            revenue: Family::default(),
            cart_value: Histogram::new(CART_VALUE_BUCKETS),
        };
        metrics
            .register(
                "revenue_dollars",
                "Total revenue in dollars",
                this.revenue.clone(),
            )
            .expect("a name no other family writes");
        metrics
            .register(
                "cart_value_dollars",
                "Shopping cart value distribution",
                this.cart_value.clone(),
            )
            .expect("a name no other family writes");
        metrics
            .register("orders", "Total orders processed", this.orders.clone())
            .expect("a name no other family writes");
        metrics
            .register(
                "order_value_dollars",
                "Order value in dollars",
                this.order_value.clone(),
            )
            .expect("a name no other family writes");
        metrics
            .register_capped(
                "inventory_level",
                "Current inventory level",
                &this.inventory,
            )
            .expect("a name no other family writes");
        let info = Info::new(vec![
            ("version".to_owned(), version.to_owned()),
            ("environment".to_owned(), environment.to_owned()),
        ]);
        metrics
            .register(
                "orders_service",
                "Orders service build and deployment",
                info,
            )
            .expect("a name no other family writes");
        this
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewOrder {
    total: f64,
    payment_method: String,
    #[serde(default)]
    product_category: Option<String>,
}

/// The orders service.
#[derive(Debug)]
pub struct OrdersService {
    metrics: OrdersMetrics,
    db: std::sync::Arc<crate::db::DbPool>,
    /// The last quantity set for each (product, warehouse), at most
    /// [`MAX_INVENTORY_SERIES`] of them: what `low_stock_products` is computed from.
    stock: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<(String, String), i64>>>,
    next_id: AtomicU64,
}

impl OrdersService {
    /// A service whose business metrics live on `metrics`' registry; `environment` is the
    /// info metric's (the binaries read it from `ENVIRONMENT`, default `development`).
    pub fn new(metrics: &HttpMetrics, environment: &str) -> Self {
        let stock: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<_, i64>>> =
            std::sync::Arc::default();
        let read = stock.clone();
        // The guide's `low_stock_products_count`, without the `_count` suffix that Prometheus
        // reserves for histograms and summaries (promtool refuses it on a gauge).
        metrics
            .register_gauge_fn(
                "low_stock_products",
                "Number of products with low stock",
                move |out| {
                    let stock = read.lock().unwrap_or_else(|e| e.into_inner());
                    let low = stock.values().filter(|q| **q < LOW_STOCK_THRESHOLD).count();
                    out.observe(&[], low as f64);
                },
            )
            .expect("a name no other family writes");
        Self {
            metrics: OrdersMetrics::register(metrics, env!("CARGO_PKG_VERSION"), environment),
            db: crate::db::DbPool::register(metrics),
            stock,
            next_id: AtomicU64::new(1),
        }
    }

    /// `POST /api/orders`.
    ///
    /// `415` unless the body is JSON, `400` when it does not parse, `422` when `total` is not
    /// a finite, non-negative number or `payment_method` is not a non-empty string. Nothing is
    /// observed or counted then.
    pub async fn create_order(&self, content_type: Option<&str>, body: &[u8]) -> ApiResponse {
        if !crate::is_json(content_type) {
            return ApiResponse::error(
                415,
                "expected a JSON body with Content-Type: application/json",
            );
        }
        let order: NewOrder = match serde_json::from_slice(body) {
            Ok(order) => order,
            Err(e) if e.is_data() => return ApiResponse::error(422, format!("invalid order: {e}")),
            Err(e) => return ApiResponse::error(400, format!("invalid JSON: {e}")),
        };
        if !order.total.is_finite() || order.total < 0.0 {
            return ApiResponse::error(422, "invalid order: total must be a non-negative number");
        }
        if order.payment_method.trim().is_empty() {
            return ApiResponse::error(422, "invalid order: payment_method must not be empty");
        }
        self.metrics.order_value.observe(order.total);
        self.metrics.cart_value.observe(order.total);
        if let Err(busy) = self.db.query("INSERT", PROCESSING_DELAY).await {
            let labels = OrderLabels {
                status: "failed",
                payment_method: payment_method_label(&order.payment_method),
            };
            self.metrics.orders.get_or_create(&labels).inc();
            return ApiResponse::error(503, busy.to_string());
        }
        let category = category_label(order.product_category.as_deref().unwrap_or("other"));
        let labels = CategoryLabels {
            product_category: category,
        };
        self.metrics
            .revenue
            .get_or_create(&labels)
            .inc_by(order.total);
        let labels = OrderLabels {
            status: "completed",
            payment_method: payment_method_label(&order.payment_method),
        };
        self.metrics.orders.get_or_create(&labels).inc();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        ApiResponse::new(
            201,
            json!({ "order_id": format!("ord_{id}"), "status": "completed" }),
        )
    }

    /// `PUT /api/inventory/{product_id}?quantity=N&warehouse=W`.
    ///
    /// `400` when `quantity` is missing or not an integer, `422` when it is negative or an
    /// identifier is empty, too long or has characters other than letters, digits, `-` and
    /// `_`. The gauge keeps its last value then.
    pub fn update_inventory(&self, product_id: &str, query: &str) -> ApiResponse {
        let params: Vec<(String, String)> = match serde_urlencoded::from_str(query) {
            Ok(params) => params,
            Err(e) => return ApiResponse::error(400, format!("invalid query string: {e}")),
        };
        let param = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let quantity: i64 = match param("quantity").map(str::parse) {
            None => return ApiResponse::error(400, "quantity is required: ?quantity=N"),
            Some(Err(_)) => return ApiResponse::error(400, "quantity must be an integer"),
            Some(Ok(q)) if q < 0 => {
                return ApiResponse::error(422, "quantity must not be negative")
            }
            Some(Ok(q)) => q,
        };
        let warehouse = param("warehouse").unwrap_or("main");
        for (what, id) in [("product_id", product_id), ("warehouse", warehouse)] {
            if !is_identifier(id) {
                return ApiResponse::error(
                    422,
                    format!("{what} must be 1 to {MAX_ID_CHARS} letters, digits, '-' or '_'"),
                );
            }
        }
        let labels = InventoryLabels {
            product_id: product_id.to_owned(),
            warehouse: warehouse.to_owned(),
        };
        self.metrics.inventory.get_or_create(&labels).set(quantity);
        {
            let mut stock = self.stock.lock().unwrap_or_else(|e| e.into_inner());
            let key = (product_id.to_owned(), warehouse.to_owned());
            if stock.len() < MAX_INVENTORY_SERIES || stock.contains_key(&key) {
                stock.insert(key, quantity);
            }
        }
        ApiResponse::new(
            200,
            json!({ "product_id": product_id, "warehouse": warehouse, "quantity": quantity }),
        )
    }
}

/// The `product_category` label: one of [`KNOWN_CATEGORIES`], or `other`.
pub fn category_label(category: &str) -> &'static str {
    KNOWN_CATEGORIES
        .into_iter()
        .find(|known| *known == category)
        .unwrap_or("other")
}

/// The `payment_method` label: one of [`KNOWN_PAYMENT_METHODS`], or `other`.
pub fn payment_method_label(method: &str) -> &'static str {
    KNOWN_PAYMENT_METHODS
        .into_iter()
        .find(|known| *known == method)
        .unwrap_or("other")
}

fn is_identifier(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_CHARS
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inventory_series_are_capped() {
        let metrics = HttpMetrics::new();
        let service = OrdersService::new(&metrics, "test");
        for product in 0..MAX_INVENTORY_SERIES + 2 {
            let answer = service.update_inventory(&format!("sku-{product}"), "quantity=5");
            assert_eq!(answer.status, 200);
        }
        let text = metrics.encode(tower_metrics::Format::Prometheus).unwrap();
        let series = text
            .lines()
            .filter(|l| l.starts_with("inventory_level{"))
            .count();
        assert_eq!(
            series, MAX_INVENTORY_SERIES,
            "the cap, and no overflow series for a gauge"
        );
        assert!(!text.contains("inventory_level{otel_metric_overflow"));
        assert!(text.contains("metrics_series_folded_total{metric=\"inventory_level\"} 2\n"));
    }

    #[test]
    fn identifiers_and_payment_methods_are_bounded() {
        assert!(is_identifier("sku-42_a"));
        assert!(!is_identifier(""));
        assert!(!is_identifier("a b"));
        assert!(!is_identifier(&"x".repeat(MAX_ID_CHARS + 1)));
        assert_eq!(payment_method_label("card"), "card");
        assert_eq!(payment_method_label("Card"), "other");
    }
}
