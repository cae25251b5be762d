//! The users service on axum. Environment: see [`examples::serve`] (`PORT` default 5000).

fn main() -> std::process::ExitCode {
    examples::env::Usage {
        program: "users-axum",
        about: "the users service on axum (default port 5000)",
        variables: &[
            examples::env::SERVICE_VARIABLES,
            examples::env::PUSH_VARIABLES,
        ],
    }
    .handle_help();
    examples::serve::axum("users-axum", 5000, examples::users::axum::routes)
}
