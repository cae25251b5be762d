//! Example services reproducing the Python metrics guides in Rust, on both frameworks.
//!
//! Each service keeps its business logic and business metrics in one framework-neutral
//! module ([`users`], [`orders`]); the axum and actix-web builds only translate requests and responses.

pub mod db;
pub mod env;
pub mod orders;
pub mod remote_write;
pub mod repl;
pub mod serve;
pub mod system;
pub mod traffic;
pub mod users;
pub mod worker;

/// Longest accepted request body, in bytes; longer bodies are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The guide's `response_size_bytes{content_type}` Summary of `metrics`, registered the first
/// time it is asked for (once per `HttpMetrics`, however many workers ask): every response
/// the services send is observed into it, its `content_type` the media type alone
/// (`application/json`), which the services' own responses bound.
pub fn response_sizes(metrics: &tower_metrics::HttpMetrics) -> tower_metrics::SummaryFamily {
    use tower_metrics::{HttpMetrics, Summary, SummaryFamily};
    static REGISTERED: std::sync::Mutex<Vec<(HttpMetrics, SummaryFamily)>> =
        std::sync::Mutex::new(Vec::new());
    let mut registered = REGISTERED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, family)) = registered.iter().find(|(m, _)| m == metrics) {
        return family.clone();
    }
    let family = Summary::builder()
        .build_family(["content_type"])
        .expect("a valid label name");
    metrics
        .register_summary("response_size_bytes", "Response size in bytes", &family)
        .expect("a name no other family writes");
    registered.push((metrics.clone(), family.clone()));
    family
}

/// Observes a response of `size` bytes with this `Content-Type` into `sizes`.
pub fn observe_response_size(
    sizes: &tower_metrics::SummaryFamily,
    content_type: Option<&str>,
    size: u64,
) {
    let media = content_type
        .and_then(|ct| ct.split(';').next())
        .map(str::trim)
        .filter(|media| !media.is_empty())
        .unwrap_or("none");
    sizes.with_label_values(&[media]).observe(size as f64);
}

/// An axum service's `routes` with the JSON 404 and 405 answers, the
/// [`tower_metrics::MetricsLayer`] over them, and `/metrics` unless it is served elsewhere
/// (`metrics_endpoint: false`).
pub fn axum_app(
    metrics: &tower_metrics::HttpMetrics,
    metrics_endpoint: bool,
    routes: axum::Router,
) -> axum::Router {
    let routes = routes
        .fallback(axum_support::not_found)
        .method_not_allowed_fallback(axum_support::method_not_allowed);
    let routes = if metrics_endpoint {
        routes.route("/metrics", tower_metrics::metrics_handler_with(metrics))
    } else {
        routes
    };
    let sizes = response_sizes(metrics);
    let observe = move |response: axum::response::Response| {
        let size = http_body::Body::size_hint(response.body())
            .exact()
            .unwrap_or(0);
        let content_type = response.headers().get(axum::http::header::CONTENT_TYPE);
        let content_type = content_type.and_then(|v| v.to_str().ok());
        observe_response_size(&sizes, content_type, size);
        std::future::ready(response)
    };
    routes
        .layer(tower_metrics::MetricsLayer::with_metrics(metrics))
        .layer(axum::middleware::map_response(observe))
}

/// An actix-web `App` wrapped in [`actix_metrics::Metrics`] over `metrics`, with the routes
/// that `configure` registers, the JSON 404 answer, and `/metrics` unless it is served
/// elsewhere (`metrics_endpoint: false`): what every example service's actix build runs per
/// worker.
///
/// ```
/// use tower_metrics::HttpMetrics;
///
/// let metrics = HttpMetrics::new();
/// let state = examples::users::actix::state(&metrics);
/// let app = examples::actix_app(&metrics, true, &|cfg| examples::users::actix::configure(cfg, &state));
/// ```
pub fn actix_app(
    metrics: &tower_metrics::HttpMetrics,
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
    let sizes = response_sizes(metrics);
    let app = actix_web::App::new()
        .wrap(actix_metrics::Metrics::with_metrics(metrics))
        .wrap_fn(move |request, service| {
            use actix_web::body::{BodySize, MessageBody};
            use actix_web::dev::Service;
            let sizes = sizes.clone();
            let response = service.call(request);
            async move {
                let response = response.await?;
                let size = match response.response().body().size() {
                    BodySize::Sized(size) => size,
                    BodySize::None | BodySize::Stream => 0,
                };
                let content_type = response
                    .headers()
                    .get(actix_web::http::header::CONTENT_TYPE);
                let content_type = content_type.and_then(|v| v.to_str().ok());
                observe_response_size(&sizes, content_type, size);
                Ok(response)
            }
        })
        .configure(configure)
        .default_service(actix_web::web::to(actix_support::not_found));
    if metrics_endpoint {
        app.service(actix_metrics::metrics_service_with(metrics))
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
    /// The `Allow` header, on a 405.
    pub allow: Option<&'static str>,
}

impl ApiResponse {
    /// An answer with `status` and `body`.
    pub fn new(status: u16, body: serde_json::Value) -> Self {
        Self {
            status,
            body,
            allow: None,
        }
    }

    /// `404`: no route serves `path`.
    pub fn not_found(method: &str, path: &str) -> Self {
        Self::error(404, format!("no route for {method} {path}"))
    }

    /// `405`: the route serves only the `allow` methods (`Allow`'s value).
    pub fn method_not_allowed(method: &str, path: &str, allow: Option<&'static str>) -> Self {
        let mut answer = Self::error(405, format!("{method} is not allowed on {path}"));
        answer.allow = allow;
        answer
    }

    /// The request body could not be read: `413` when it is longer than
    /// [`MAX_BODY_BYTES`], otherwise `status` (a broken upload).
    pub fn unreadable_body(status: u16) -> Self {
        match status {
            413 => Self::error(
                413,
                format!("request body is larger than {MAX_BODY_BYTES} bytes"),
            ),
            _ => Self::error(status, "the request body could not be read"),
        }
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
    use actix_web::web::{self, Bytes};
    use actix_web::{HttpRequest, HttpResponse, Resource, Responder};

    use crate::ApiResponse;

    /// The request's `Content-Type`, if it is readable text.
    pub fn content_type(request: &HttpRequest) -> Option<&str> {
        request
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
    }

    /// The request body, or the JSON answer to a body that could not be read (`413` past
    /// [`crate::MAX_BODY_BYTES`]).
    pub fn body(body: Result<Bytes, actix_web::Error>) -> Result<Bytes, ApiResponse> {
        body.map_err(|e| ApiResponse::unreadable_body(e.as_response_error().status_code().as_u16()))
    }

    /// A resource on `path` whose other methods get the JSON 405, with `Allow: allow`.
    pub fn resource(path: &str, allow: &'static str) -> Resource {
        web::resource(path).default_service(web::to(move |request: HttpRequest| async move {
            ApiResponse::method_not_allowed(request.method().as_str(), request.path(), Some(allow))
        }))
    }

    /// The JSON 404, for the `App`'s default service.
    pub async fn not_found(request: HttpRequest) -> ApiResponse {
        ApiResponse::not_found(request.method().as_str(), request.path())
    }

    impl Responder for ApiResponse {
        type Body = actix_web::body::BoxBody;

        fn respond_to(self, _req: &HttpRequest) -> HttpResponse {
            let status =
                StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = HttpResponse::build(status);
            if let Some(allow) = self.allow {
                response.insert_header(("allow", allow));
            }
            response.json(self.body)
        }
    }
}

/// Converts answers into axum responses.
pub mod axum_support {
    use axum::extract::rejection::BytesRejection;
    use axum::http::{Method, StatusCode, Uri};
    use axum::response::{IntoResponse, Response};
    use axum::Json;
    use bytes::Bytes;

    use crate::ApiResponse;

    /// The request's `Content-Type`, if it is readable text.
    pub fn content_type(headers: &axum::http::HeaderMap) -> Option<&str> {
        headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
    }

    /// The request body, or the JSON answer to a body that could not be read (`413` past
    /// [`crate::MAX_BODY_BYTES`]).
    pub fn body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiResponse> {
        body.map_err(|e| ApiResponse::unreadable_body(e.status().as_u16()))
    }

    /// The JSON 404, for the router's fallback.
    pub async fn not_found(method: Method, uri: Uri) -> ApiResponse {
        ApiResponse::not_found(method.as_str(), uri.path())
    }

    /// The JSON 405, for the router's method-not-allowed fallback (axum adds `Allow`).
    pub async fn method_not_allowed(method: Method, uri: Uri) -> ApiResponse {
        ApiResponse::method_not_allowed(method.as_str(), uri.path(), None)
    }

    impl IntoResponse for ApiResponse {
        fn into_response(self) -> Response {
            let status =
                StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = (status, Json(self.body)).into_response();
            if let Some(allow) = self.allow {
                let allow = axum::http::HeaderValue::from_static(allow);
                response
                    .headers_mut()
                    .insert(axum::http::header::ALLOW, allow);
            }
            response
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
