//! The users service on actix-web. Environment: see [`examples::serve`] (`PORT` default
//! 5001).

use examples::users::actix::{configure, state};

fn main() -> std::process::ExitCode {
    examples::env::Usage {
        program: "users-actix",
        about: "the users service on actix-web (default port 5001)",
        variables: &[
            examples::env::SERVICE_VARIABLES,
            examples::env::PUSH_VARIABLES,
        ],
    }
    .handle_help();
    examples::serve::actix("users-actix", 5001, state, |metrics, endpoint, state| {
        examples::actix_app(metrics, endpoint, &|cfg| configure(cfg, state))
    })
}
