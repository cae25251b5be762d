//! The orders service on axum: `PORT` (default 8000), `HOST` (default 127.0.0.1) and
//! `ENVIRONMENT` (default `development`, for the info metric).

fn main() -> std::process::ExitCode {
    let environment = examples::serve::environment();
    examples::serve::axum("orders-axum", 8000, |metrics| {
        examples::orders::axum::router(metrics, &environment)
    })
}
