//! A trivial service for load tests: `GET /users/{id}` answers the id, on axum or actix-web,
//! bare or with this workspace's metrics middleware.
//!
//! Usage: `bench-server axum|actix bare|metrics PORT` (one worker thread, on loopback).

use axum::extract::Path;
use http_metrics_core::HttpMetrics;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(framework), Some(variant), Some(port)) = (args.get(1), args.get(2), args.get(3))
    else {
        eprintln!("usage: bench-server axum|actix bare|metrics PORT");
        std::process::exit(2);
    };
    let port: u16 = port.parse().unwrap_or_else(|_| {
        eprintln!("bench-server: PORT must be a number from 0 to 65535");
        std::process::exit(2);
    });
    let metrics = (variant == "metrics").then(HttpMetrics::new);
    match framework.as_str() {
        "axum" => axum_server(metrics, port),
        "actix" => actix_server(metrics, port),
        other => {
            eprintln!("bench-server: unknown framework {other:?}");
            std::process::exit(2);
        }
    }
}

fn axum_server(metrics: Option<HttpMetrics>, port: u16) {
    let mut app = axum::Router::new().route(
        "/users/{id}",
        axum::routing::get(|Path(id): Path<u32>| async move { id.to_string() }),
    );
    if let Some(metrics) = &metrics {
        app = app
            .merge(tower_metrics::metrics_router_with(metrics))
            .layer(tower_metrics::MetricsLayer::with_metrics(metrics));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
        axum::serve(listener, app).await.expect("serve");
    });
}

fn actix_server(metrics: Option<HttpMetrics>, port: u16) {
    use actix_web::{web, App, HttpResponse, HttpServer};
    let route = || {
        web::get().to(|id: web::Path<u32>| async move { HttpResponse::Ok().body(id.to_string()) })
    };
    actix_web::rt::System::new().block_on(async move {
        let server = match metrics {
            // Two factories, so that the bare server has no middleware machinery at all.
            None => HttpServer::new(move || App::new().route("/users/{id}", route()))
                .workers(1)
                .bind(("127.0.0.1", port))
                .expect("bind")
                .run(),
            Some(metrics) => HttpServer::new(move || {
                App::new()
                    .wrap(actix_metrics::Metrics::with_metrics(&metrics))
                    .route("/users/{id}", route())
                    // After the route, as the docs advise: actix-web tries resources in
                    // order, and `/metrics` first would cost every request a failed match.
                    .service(actix_metrics::metrics_service_with(&metrics))
            })
            .workers(1)
            .bind(("127.0.0.1", port))
            .expect("bind")
            .run(),
        };
        server.await.expect("serve");
    });
}
