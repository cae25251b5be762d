//! The users service on axum: `PORT` (default 5000) and `HOST` (default 127.0.0.1).

fn main() -> std::process::ExitCode {
    examples::serve::axum("users-axum", 5000, examples::users::axum::router)
}
