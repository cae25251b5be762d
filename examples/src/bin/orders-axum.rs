//! The orders service on axum. Environment: see [`examples::serve`] (`PORT` default 8000).

fn main() -> std::process::ExitCode {
    examples::env::Usage {
        program: "orders-axum",
        about: "the orders service on axum (default port 8000); ENVIRONMENT sets orders_service_info (default development)",
        variables: &[
            examples::env::SERVICE_VARIABLES,
            examples::env::PUSH_VARIABLES,
        ],
    }
    .handle_help();
    let environment = examples::serve::environment();
    examples::serve::axum("orders-axum", 8000, |metrics| {
        examples::orders::axum::routes(metrics, &environment)
    })
}
