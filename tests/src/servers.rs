//! Real servers on loopback for the tests: axum on the test's tokio runtime, actix-web on
//! its own system thread. Each stops when its handle is dropped, also when a test fails.

use std::net::SocketAddr;

use actix_web::dev::{ServerHandle, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, Error, HttpServer};
use http_metrics_core::HttpMetrics;

/// A running server; dropping it stops the server.
#[derive(Debug)]
pub struct Server {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    stop: Option<Stop>,
}

#[derive(Debug)]
enum Stop {
    Tokio(tokio::task::JoinHandle<()>),
    Actix(ServerHandle, std::thread::JoinHandle<()>),
}

impl Server {
    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        match self.stop.take() {
            Some(Stop::Tokio(task)) => task.abort(),
            Some(Stop::Actix(handle, thread)) => {
                // The handle's future needs a runtime of its own: the caller may be inside one.
                let _ = std::thread::spawn(move || {
                    actix_web::rt::System::new().block_on(handle.stop(false));
                })
                .join();
                let _ = thread.join();
            }
            None => {}
        }
    }
}

/// Serves an axum router on a free loopback port, on the current tokio runtime.
pub async fn axum(app: axum::Router) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let base = format!("http://{}", listener.local_addr().expect("local address"));
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.expect("axum server");
    });
    Server {
        base,
        stop: Some(Stop::Tokio(task)),
    }
}

/// Serves `app(metrics)` with actix-web on a free loopback port with `workers` workers.
pub fn actix<F, T, B>(metrics: &HttpMetrics, workers: usize, app: F) -> Server
where
    F: Fn(&HttpMetrics) -> App<T> + Send + Clone + 'static,
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = Error,
            InitError = (),
        > + 'static,
    B: actix_web::body::MessageBody + 'static,
{
    actix_with(metrics, workers, true, app)
}

/// The users example service on actix-web, recording into `metrics`.
pub fn users_actix(metrics: &HttpMetrics, workers: usize) -> Server {
    let state = examples::users::actix::state(metrics);
    actix(metrics, workers, move |metrics| {
        examples::actix_app(metrics, true, &|cfg| {
            examples::users::actix::configure(cfg, &state)
        })
    })
}

/// The orders example service on actix-web, recording into `metrics`, in `environment`.
pub fn orders_actix(metrics: &HttpMetrics, environment: &str, workers: usize) -> Server {
    let state = examples::orders::actix::state(metrics, environment);
    actix(metrics, workers, move |metrics| {
        examples::actix_app(metrics, true, &|cfg| {
            examples::orders::actix::configure(cfg, &state)
        })
    })
}

/// [`actix`], choosing whether HTTP/1 half-closed connections are allowed (actix-web's
/// default) or end the request (`HttpServer::h1_allow_half_closed(false)`).
pub fn actix_with<F, T, B>(
    metrics: &HttpMetrics,
    workers: usize,
    allow_half_closed: bool,
    app: F,
) -> Server
where
    F: Fn(&HttpMetrics) -> App<T> + Send + Clone + 'static,
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = Error,
            InitError = (),
        > + 'static,
    B: actix_web::body::MessageBody + 'static,
{
    let metrics = metrics.clone();
    let (tx, rx) = std::sync::mpsc::channel::<(SocketAddr, ServerHandle)>();
    let thread = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || app(&metrics))
                .h1_allow_half_closed(allow_half_closed)
                .workers(workers)
                .disable_signals()
                .shutdown_timeout(1)
                // HTTP/1.1, and HTTP/2 with prior knowledge (h2c), on the same port.
                .bind_auto_h2c(("127.0.0.1", 0))
                .expect("bind loopback");
            let addr = server.addrs()[0];
            let server = server.run();
            tx.send((addr, server.handle()))
                .expect("report the address");
            server.await.expect("actix server");
        });
    });
    let (addr, handle) = rx.recv().expect("the actix server started");
    Server {
        base: format!("http://{addr}"),
        stop: Some(Stop::Actix(handle, thread)),
    }
}
