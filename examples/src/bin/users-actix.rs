//! The users service on actix-web: `PORT` (default 5000) and `HOST` (default 127.0.0.1).

use std::process::ExitCode;

use actix_metrics::Metrics;
use actix_web::{App, HttpServer};
use http_metrics_core::HttpMetrics;

#[actix_web::main]
async fn main() -> ExitCode {
    let (host, port) = match examples::env::listen_addr(5000) {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("users-actix: {e}");
            return ExitCode::from(2);
        }
    };
    // Built once, outside the factory: every worker records into the same series.
    let metrics = HttpMetrics::new();
    let state = examples::users::actix::state(&metrics);
    let server = HttpServer::new(move || {
        App::new()
            .wrap(Metrics::new(&metrics))
            .configure(|cfg| examples::users::actix::configure(cfg, &state, &metrics))
    });
    let server = match server.bind((host.as_str(), port)) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("users-actix: cannot listen on {host}:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    for addr in server.addrs() {
        println!("users-actix listening on http://{addr}");
    }
    if let Err(e) = server.run().await {
        eprintln!("users-actix: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
