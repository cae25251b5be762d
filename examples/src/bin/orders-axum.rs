//! The orders service on axum. Environment: see [`examples::serve`] (`PORT` default 8000).

fn main() -> std::process::ExitCode {
    let environment = examples::serve::environment();
    examples::serve::axum("orders-axum", 8000, |metrics| {
        examples::orders::axum::routes(metrics, &environment)
    })
}
