//! Example services reproducing the Python metrics guides in Rust, on both frameworks.
//!
//! Each service keeps its business logic and business metrics in one framework-neutral
//! module ([`users`], [`orders`]); the axum and actix-web builds only translate requests and responses.

pub mod env;
pub mod orders;
pub mod serve;
pub mod users;

/// Longest accepted request body, in bytes; longer bodies are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// An axum service's `routes` with the [`tower_metrics::MetricsLayer`] over them, and
/// `/metrics` unless it is served elsewhere (`metrics_endpoint: false`).
///
/// The endpoint is merged before the layer is added, so that the router's 404 fallback
/// stays wrapped (see the tower-metrics docs).
pub fn axum_app(
    metrics: &http_metrics_core::HttpMetrics,
    metrics_endpoint: bool,
    routes: axum::Router,
) -> axum::Router {
    let routes = if metrics_endpoint {
        routes.merge(tower_metrics::metrics_router(metrics))
    } else {
        routes
    };
    routes.layer(tower_metrics::MetricsLayer::new(metrics))
}

/// An actix-web `App` wrapped in [`actix_metrics::Metrics`] over `metrics`, with the routes
/// that `configure` registers and `/metrics` unless it is served elsewhere
/// (`metrics_endpoint: false`): what every example service's actix build runs per worker.
///
/// ```
/// use http_metrics_core::HttpMetrics;
///
/// let metrics = HttpMetrics::new();
/// let state = examples::users::actix::state(&metrics);
/// let app = examples::actix_app(&metrics, true, &|cfg| examples::users::actix::configure(cfg, &state));
/// ```
pub fn actix_app(
    metrics: &http_metrics_core::HttpMetrics,
    metrics_endpoint: bool,
    configure: &dyn Fn(&mut actix_web::web::ServiceConfig),
) -> actix_web::App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    // `/metrics` after the service's routes: actix-web tries resources in the order they were
    // registered, and the scraper's requests are the rare ones.
    let app = actix_web::App::new()
        .wrap(actix_metrics::Metrics::new(metrics))
        .configure(configure);
    if metrics_endpoint {
        app.service(actix_metrics::metrics_service(metrics))
    } else {
        app
    }
}

/// A framework-neutral HTTP answer: a status code and a JSON body.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The JSON body.
    pub body: serde_json::Value,
}

impl ApiResponse {
    /// An answer with `status` and `body`.
    pub fn new(status: u16, body: serde_json::Value) -> Self {
        Self { status, body }
    }

    /// An error answer: `{"error": message}`.
    pub fn error(status: u16, message: impl Into<String>) -> Self {
        Self::new(status, serde_json::json!({ "error": message.into() }))
    }

    /// `200 {"status": "healthy"}`.
    pub fn healthy() -> Self {
        Self::new(200, serde_json::json!({ "status": "healthy" }))
    }
}

/// Whether a `Content-Type` value is JSON: `application/json` or a `+json` type.
pub fn is_json(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .map(str::trim)
        .is_some_and(|mime| {
            mime.eq_ignore_ascii_case("application/json")
                || (mime.len() > 5 && mime[mime.len() - 5..].eq_ignore_ascii_case("+json"))
        })
}

/// Converts answers into actix-web responses.
pub mod actix_support {
    use actix_web::http::StatusCode;
    use actix_web::{HttpRequest, HttpResponse, Responder};

    use crate::ApiResponse;

    /// The request's `Content-Type`, if it is readable text.
    pub fn content_type(request: &HttpRequest) -> Option<&str> {
        request
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
    }

    impl Responder for ApiResponse {
        type Body = actix_web::body::BoxBody;

        fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
            let status =
                StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            HttpResponse::build(status).json(self.body)
        }
    }
}

/// Converts answers into axum responses.
pub mod axum_support {
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};
    use axum::Json;

    use crate::ApiResponse;

    /// The request's `Content-Type`, if it is readable text.
    pub fn content_type(headers: &axum::http::HeaderMap) -> Option<&str> {
        headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
    }

    impl IntoResponse for ApiResponse {
        fn into_response(self) -> Response {
            let status =
                StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, Json(self.body)).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        assert!(is_json(Some("application/json")));
        assert!(is_json(Some("Application/JSON; charset=utf-8")));
        assert!(is_json(Some("application/vnd.api+json")));
        assert!(!is_json(Some("text/plain")));
        assert!(!is_json(Some("+json")));
        assert!(!is_json(None));
    }
}
