//! The orders service on actix-web: `PORT` (default 8000), `HOST` (default 127.0.0.1) and
//! `ENVIRONMENT` (default `development`, for the info metric).

use examples::orders::actix::{configure, state};

fn main() -> std::process::ExitCode {
    let environment = examples::serve::environment();
    let setup = |metrics: &_| state(metrics, &environment);
    examples::serve::actix("orders-actix", 8000, setup, |metrics, state| {
        examples::actix_app(metrics, &|cfg| configure(cfg, state, metrics))
    })
}
