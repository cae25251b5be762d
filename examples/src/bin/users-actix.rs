//! The users service on actix-web. Environment: see [`examples::serve`] (`PORT` default
//! 5000).

use examples::users::actix::{configure, state};

fn main() -> std::process::ExitCode {
    examples::serve::actix("users-actix", 5000, state, |metrics, endpoint, state| {
        examples::actix_app(metrics, endpoint, &|cfg| configure(cfg, state))
    })
}
