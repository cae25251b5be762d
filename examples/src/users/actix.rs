//! The users service on actix-web.

use actix_metrics::HttpMetrics;
use actix_web::web::{self, Bytes, Data};
use actix_web::HttpRequest;

use super::UsersService;
use crate::actix_support::resource;
use crate::ApiResponse;

/// The service state, built once and shared by every worker.
pub fn state(metrics: &HttpMetrics) -> Data<UsersService> {
    Data::new(UsersService::new(metrics))
}

/// Registers the service's routes; [`crate::actix_app`] adds `/metrics` and the
/// [`actix_metrics::Metrics`] middleware.
///
/// ```
/// use actix_web::App;
/// use actix_metrics::HttpMetrics;
///
/// let metrics = HttpMetrics::new();
/// let state = examples::users::actix::state(&metrics);
/// let app = App::new()
///     .wrap(actix_metrics::Metrics::with_metrics(&metrics))
///     .configure(|cfg| examples::users::actix::configure(cfg, &state))
///     .service(actix_metrics::metrics_service_with(&metrics));
/// // the same: examples::actix_app(&metrics, true, &|cfg| examples::users::actix::configure(cfg, &state));
/// ```
pub fn configure(cfg: &mut web::ServiceConfig, state: &Data<UsersService>) {
    cfg.app_data(state.clone())
        .app_data(web::PayloadConfig::new(crate::MAX_BODY_BYTES))
        // Resources (not `App::route`) so a wrong method is a 405 on the route, as on axum.
        .service(resource("/api/users", "POST").route(web::post().to(create_user)))
        .service(resource("/api/users/{user_id}", "GET").route(web::get().to(get_user)))
        .service(
            resource("/health", "GET").route(web::get().to(|| async { ApiResponse::healthy() })),
        );
}

async fn create_user(
    service: Data<UsersService>,
    request: HttpRequest,
    body: Result<Bytes, actix_web::Error>,
) -> ApiResponse {
    let body = match crate::actix_support::body(body) {
        Ok(body) => body,
        Err(answer) => return answer,
    };
    service
        .create_user(crate::actix_support::content_type(&request), &body)
        .await
}

async fn get_user(service: Data<UsersService>, user_id: web::Path<String>) -> ApiResponse {
    service.get_user(&user_id).await
}
