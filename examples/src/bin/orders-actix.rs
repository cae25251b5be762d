//! The orders service on actix-web. Environment: see [`examples::serve`] (`PORT` default
//! 8001).

use examples::orders::actix::{configure, state};

fn main() -> std::process::ExitCode {
    examples::env::Usage {
        program: "orders-actix",
        about: "the orders service on actix-web (default port 8001); ENVIRONMENT sets orders_service_info (default development)",
        variables: &[
            examples::env::SERVICE_VARIABLES,
            examples::env::PUSH_VARIABLES,
        ],
    }
    .handle_help();
    let environment = examples::serve::environment();
    let setup = |metrics: &_| state(metrics, &environment);
    examples::serve::actix("orders-actix", 8001, setup, |metrics, endpoint, state| {
        examples::actix_app(metrics, endpoint, &|cfg| configure(cfg, state))
    })
}
