//! The users service on actix-web: `PORT` (default 5000) and `HOST` (default 127.0.0.1).

use examples::users::actix::{configure, state};

fn main() -> std::process::ExitCode {
    examples::serve::actix("users-actix", 5000, state, |metrics, state| {
        examples::actix_app(metrics, &|cfg| configure(cfg, state, metrics))
    })
}
