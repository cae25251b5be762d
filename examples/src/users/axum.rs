//! The users service on axum.

use std::sync::Arc;

use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use bytes::Bytes;
use tower_metrics::HttpMetrics;

use super::UsersService;
use crate::ApiResponse;

/// The service's router: its routes, the JSON 404 and 405, `/metrics`, and the metrics layer
/// over all of them.
pub fn router(metrics: &HttpMetrics) -> Router {
    crate::axum_app(metrics, true, routes(metrics))
}

/// The service's routes alone, without `/metrics` or the metrics layer (see
/// [`crate::axum_app`]).
pub fn routes(metrics: &HttpMetrics) -> Router {
    let service = Arc::new(UsersService::new(metrics));
    Router::new()
        .route("/api/users", post(create_user))
        .route("/api/users/{user_id}", get(get_user))
        .route("/health", get(|| async { ApiResponse::healthy() }))
        .with_state(service)
        .layer(DefaultBodyLimit::max(crate::MAX_BODY_BYTES))
}

async fn create_user(
    State(service): State<Arc<UsersService>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResponse {
    let body = match crate::axum_support::body(body) {
        Ok(body) => body,
        Err(answer) => return answer,
    };
    service
        .create_user(crate::axum_support::content_type(&headers), &body)
        .await
}

async fn get_user(
    State(service): State<Arc<UsersService>>,
    Path(user_id): Path<String>,
) -> ApiResponse {
    service.get_user(&user_id).await
}
