//! The users service on axum: `PORT` (default 5000) and `HOST` (default 127.0.0.1).

use std::process::ExitCode;

use http_metrics_core::HttpMetrics;

#[tokio::main]
async fn main() -> ExitCode {
    let (host, port) = match examples::env::listen_addr(5000) {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("users-axum: {e}");
            return ExitCode::from(2);
        }
    };
    let metrics = HttpMetrics::new();
    let app = examples::users::axum::router(&metrics);
    let listener = match tokio::net::TcpListener::bind((host.as_str(), port)).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("users-axum: cannot listen on {host}:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(addr) => println!("users-axum listening on http://{addr}"),
        Err(e) => eprintln!("users-axum: {e}"),
    }
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(e) = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
    {
        eprintln!("users-axum: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
