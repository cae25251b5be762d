//! What every example binary does: read `HOST`/`PORT`, listen, serve until Ctrl-C, and say
//! clearly what went wrong.

use std::process::ExitCode;

use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpServer};
use http_metrics_core::HttpMetrics;

/// `ENVIRONMENT`, for the orders service's info metric (default `development`).
pub fn environment() -> String {
    std::env::var("ENVIRONMENT")
        .ok()
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| "development".into())
}

/// Serves an axum router built by `app` on `HOST:PORT` until Ctrl-C.
pub fn axum(
    name: &str,
    default_port: u16,
    app: impl FnOnce(&HttpMetrics) -> axum::Router,
) -> ExitCode {
    let (host, port) = match crate::env::listen_addr(default_port) {
        Ok(addr) => addr,
        Err(e) => return fail(name, e, 2),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(name, e, 1),
    };
    let router = app(&HttpMetrics::new());
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::bind((host.as_str(), port)).await {
            Ok(listener) => listener,
            Err(e) => return fail(name, format!("cannot listen on {host}:{port}: {e}"), 1),
        };
        if let Ok(addr) = listener.local_addr() {
            println!("{name} listening on http://{addr}");
        }
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        match axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
        {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(name, e, 1),
        }
    })
}

/// Serves the `App` built by `app` with actix-web on `HOST:PORT` until Ctrl-C.
///
/// The [`HttpMetrics`] and the service state from `setup` are built once, here, before the
/// per-worker factory: every worker shares the same series and the same state.
pub fn actix<S, F, T, B>(
    name: &str,
    default_port: u16,
    setup: impl FnOnce(&HttpMetrics) -> S,
    app: F,
) -> ExitCode
where
    S: Clone + Send + 'static,
    F: Fn(&HttpMetrics, &S) -> App<T> + Send + Clone + 'static,
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
    B: actix_web::body::MessageBody + 'static,
{
    let (host, port) = match crate::env::listen_addr(default_port) {
        Ok(addr) => addr,
        Err(e) => return fail(name, e, 2),
    };
    let metrics = HttpMetrics::new();
    let state = setup(&metrics);
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(move || app(&metrics, &state));
        let server = match server.bind((host.as_str(), port)) {
            Ok(server) => server,
            Err(e) => return fail(name, format!("cannot listen on {host}:{port}: {e}"), 1),
        };
        for addr in server.addrs() {
            println!("{name} listening on http://{addr}");
        }
        match server.run().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(name, e, 1),
        }
    })
}

fn fail(name: &str, error: impl std::fmt::Display, code: u8) -> ExitCode {
    eprintln!("{name}: {error}");
    ExitCode::from(code)
}
