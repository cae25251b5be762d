//! The users service on axum. Environment: see [`examples::serve`] (`PORT` default 5000).

fn main() -> std::process::ExitCode {
    examples::serve::axum("users-axum", 5000, examples::users::axum::routes)
}
