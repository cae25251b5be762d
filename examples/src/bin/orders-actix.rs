//! The orders service on actix-web. Environment: see [`examples::serve`] (`PORT` default
//! 8000).

use examples::orders::actix::{configure, state};

fn main() -> std::process::ExitCode {
    let environment = examples::serve::environment();
    let setup = |metrics: &_| state(metrics, &environment);
    examples::serve::actix("orders-actix", 8000, setup, |metrics, endpoint, state| {
        examples::actix_app(metrics, endpoint, &|cfg| configure(cfg, state))
    })
}
