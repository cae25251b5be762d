//! Example services reproducing the Python metrics guides in Rust, on both frameworks.
//!
//! Each service keeps its business logic and business metrics in one framework-neutral
//! module ([`users`]); the axum and actix-web builds only translate requests and responses.

pub mod env;
pub mod users;

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

/// Converts answers into actix-web responses.
pub mod actix_support {
    use actix_web::http::StatusCode;
    use actix_web::{HttpRequest, HttpResponse, Responder};

    use crate::ApiResponse;

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

    impl IntoResponse for ApiResponse {
        fn into_response(self) -> Response {
            let status =
                StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, Json(self.body)).into_response()
        }
    }
}
