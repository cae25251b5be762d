//! The orders service on actix-web.

use actix_metrics::HttpMetrics;
use actix_web::web::{self, Bytes, Data};
use actix_web::HttpRequest;

use super::OrdersService;
use crate::actix_support::resource;
use crate::ApiResponse;

/// The service state, built once and shared by every worker.
pub fn state(metrics: &HttpMetrics, environment: &str) -> Data<OrdersService> {
    Data::new(OrdersService::new(metrics, environment))
}

/// Registers the service's routes; [`crate::actix_app`] adds `/metrics` and the
/// [`actix_metrics::Metrics`] middleware.
///
/// ```
/// use actix_web::App;
/// use actix_metrics::HttpMetrics;
///
/// let metrics = HttpMetrics::new();
/// let state = examples::orders::actix::state(&metrics, "test");
/// let app = App::new()
///     .wrap(actix_metrics::Metrics::with_metrics(&metrics))
///     .configure(|cfg| examples::orders::actix::configure(cfg, &state))
///     .service(actix_metrics::metrics_service_with(&metrics));
/// // the same: examples::actix_app(&metrics, true, &|cfg| examples::orders::actix::configure(cfg, &state));
/// ```
pub fn configure(cfg: &mut web::ServiceConfig, state: &Data<OrdersService>) {
    cfg.app_data(state.clone())
        .app_data(web::PayloadConfig::new(crate::MAX_BODY_BYTES))
        .service(resource("/api/orders", "POST").route(web::post().to(create_order)))
        .service(
            resource("/api/inventory/{product_id}", "PUT").route(web::put().to(update_inventory)),
        )
        .service(
            resource("/health", "GET").route(web::get().to(|| async { ApiResponse::healthy() })),
        );
}

async fn create_order(
    service: Data<OrdersService>,
    request: HttpRequest,
    body: Result<Bytes, actix_web::Error>,
) -> ApiResponse {
    let body = match crate::actix_support::body(body) {
        Ok(body) => body,
        Err(answer) => return answer,
    };
    service
        .create_order(crate::actix_support::content_type(&request), &body)
        .await
}

async fn update_inventory(
    service: Data<OrdersService>,
    request: HttpRequest,
    product_id: web::Path<String>,
) -> ApiResponse {
    service.update_inventory(&product_id, request.query_string())
}
