//! The orders service on axum.

use std::sync::Arc;

use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::{post, put};
use axum::Router;
use bytes::Bytes;
use tower_metrics::HttpMetrics;

use super::OrdersService;
use crate::ApiResponse;

/// The service's router: its routes, the JSON 404 and 405, `/metrics`, and the metrics layer
/// over all of them.
pub fn router(metrics: &HttpMetrics, environment: &str) -> Router {
    crate::axum_app(metrics, true, routes(metrics, environment))
}

/// The service's routes alone, without `/metrics` or the metrics layer (see
/// [`crate::axum_app`]).
pub fn routes(metrics: &HttpMetrics, environment: &str) -> Router {
    let service = Arc::new(OrdersService::new(metrics, environment));
    Router::new()
        .route("/api/orders", post(create_order))
        .route("/api/inventory/{product_id}", put(update_inventory))
        .route(
            "/health",
            axum::routing::get(|| async { ApiResponse::healthy() }),
        )
        .with_state(service)
        .layer(DefaultBodyLimit::max(crate::MAX_BODY_BYTES))
}

async fn create_order(
    State(service): State<Arc<OrdersService>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResponse {
    let body = match crate::axum_support::body(body) {
        Ok(body) => body,
        Err(answer) => return answer,
    };
    service
        .create_order(crate::axum_support::content_type(&headers), &body)
        .await
}

async fn update_inventory(
    State(service): State<Arc<OrdersService>>,
    Path(product_id): Path<String>,
    RawQuery(query): RawQuery,
) -> ApiResponse {
    service.update_inventory(&product_id, query.as_deref().unwrap_or(""))
}
