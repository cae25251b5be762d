//! A standalone `/metrics` server, for programs without a web framework: a command-line tool,
//! a queue worker, a batch job — client_python's `start_http_server(port)`.
//!
//! It answers `GET` and `HEAD` on the metrics path exactly as the adapters' endpoints do
//! (content negotiation, gzip, the bearer token), `405` to other methods there, and `404`
//! anywhere else. It serves HTTP/1.1 with [hyper](https://docs.rs/hyper), which axum already
//! builds on.
//!
//! - From plain threads: [`Exporter::start`] (or [`start_http_server`] for the process-wide
//!   default) binds at once, so an address in use is an error the caller sees, and serves on
//!   a thread of its own until [`Exporter::shutdown`] or the drop of the [`Exporter`].
//! - From async code on tokio: [`serve`], until a future the caller gives completes.
//!
//! ```
//! use http_metrics_core::exporter::Exporter;
//! use http_metrics_core::HttpMetrics;
//!
//! let metrics = HttpMetrics::new();
//! let exporter = Exporter::start(&metrics, "127.0.0.1:0").expect("a free port");
//! println!("metrics on http://{}/metrics", exporter.local_addr());
//! // ... the program's work ...
//! exporter.shutdown();
//! ```

use std::future::Future;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;

use crate::adapter::{Scrape, ScrapeRequest};
use crate::HttpMetrics;

/// How long a shutdown waits for scrapes in progress before it cuts them off.
const GRACE: Duration = Duration::from_secs(1);

/// Serves `/metrics` of the process-wide default ([`HttpMetrics::global`]) on `addr`, on a
/// thread of its own: client_python's `start_http_server`.
///
/// ```
/// let exporter = http_metrics_core::exporter::start_http_server("127.0.0.1:0").unwrap();
/// let address = exporter.local_addr();
/// assert!(std::net::TcpStream::connect(address).is_ok());
/// exporter.shutdown();
/// ```
///
/// # Errors
///
/// When `addr` cannot be resolved or bound (in use, not permitted).
pub fn start_http_server(addr: impl ToSocketAddrs) -> io::Result<Exporter> {
    Exporter::start(HttpMetrics::global(), addr)
}

/// A running standalone server; see the [module docs](self). Dropping it shuts it down.
#[derive(Debug)]
pub struct Exporter {
    local_addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Exporter {
    /// Binds `addr` now and serves `metrics` there on a thread of its own.
    ///
    /// # Errors
    ///
    /// When `addr` cannot be resolved or bound, or the server's thread cannot start.
    pub fn start(metrics: &HttpMetrics, addr: impl ToSocketAddrs) -> io::Result<Self> {
        let listener = std::net::TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let local_addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let metrics = metrics.clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let thread = std::thread::Builder::new()
            .name(format!("metrics exporter {local_addr}"))
            .spawn(move || {
                runtime.block_on(async move {
                    // Registering the listener with the runtime cannot fail once it is bound.
                    if let Ok(listener) = tokio::net::TcpListener::from_std(listener) {
                        let _ = serve(&metrics, listener, async {
                            let _ = stopped.await;
                        })
                        .await;
                    }
                });
            })?;
        Ok(Self {
            local_addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address it listens on (with the port chosen when `:0` was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, lets scrapes in progress finish (for up to a second), and waits for
    /// the server's thread to end.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Serves `metrics` on `listener` from the caller's tokio runtime until `shutdown`
/// completes; then stops accepting and gives scrapes in progress up to a second. Encoding
/// runs on tokio's blocking pool, as the adapters' endpoints do.
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:9100").await?;
/// let metrics = http_metrics_core::HttpMetrics::global();
/// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
/// // ... hand `stop` to whatever ends the program ...
/// http_metrics_core::exporter::serve(metrics, listener, async {
///     let _ = stopped.await;
/// })
/// .await
/// # }
/// ```
///
/// # Errors
///
/// None today: accepting that fails for lack of resources is retried after a pause (the
/// `Result` leaves room for errors a later version may report).
pub async fn serve(
    metrics: &HttpMetrics,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let mut connections = tokio::task::JoinSet::new();
    let (closing, closed) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            () = &mut shutdown => break,
            // Finished connections are reaped as they end: a JoinSet keeps them until then.
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // The client went away between the connection and its acceptance.
                Err(e) if e.kind() == io::ErrorKind::ConnectionAborted => continue,
                // Out of descriptors or buffers, for now: wait a little and go on serving,
                // rather than leave the process without /metrics for good.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let metrics = metrics.clone();
        let mut closed = closed.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let metrics = metrics.clone();
                async move { Ok::<_, std::convert::Infallible>(answer(&metrics, request).await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = closed.changed() => {
                    // Idle: closed at once; a scrape in progress: answered, then closed.
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    drop(listener);
    let _ = closing.send(true);
    let _ = tokio::time::timeout(GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    connections.abort_all();
    Ok(())
}

async fn answer(metrics: &HttpMetrics, request: Request<Incoming>) -> Response<Full<Bytes>> {
    if request.uri().path() != metrics.metrics_path() {
        return plain(
            StatusCode::NOT_FOUND,
            "404 Not Found: metrics are served on ",
            metrics,
        );
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = plain(
            StatusCode::METHOD_NOT_ALLOWED,
            "405 Method Not Allowed: use GET on ",
            metrics,
        );
        (response.headers_mut()).insert(http::header::ALLOW, "GET, HEAD".parse().unwrap());
        return response;
    }
    let scrape_request = ScrapeRequest::from_headers(
        (request.headers().iter()).map(|(name, value)| (name.as_str(), value.as_bytes())),
    );
    let head = request.method() == Method::HEAD;
    let metrics = metrics.clone();
    let scrape = tokio::task::spawn_blocking(move || Scrape::respond(&metrics, &scrape_request));
    let Ok(scrape) = scrape.await else {
        // The encoding panicked (a broken application metric): answer, don't hang.
        let mut response = Response::new(Full::new(Bytes::from_static(b"scrape failed\n")));
        *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        return response;
    };
    let response = scrape.into_http();
    response.map(|body| Full::new(Bytes::from(if head { Vec::new() } else { body })))
}

fn plain(status: StatusCode, message: &str, metrics: &HttpMetrics) -> Response<Full<Bytes>> {
    let text = format!("{message}{}\n", metrics.metrics_path());
    let mut response = Response::new(Full::new(Bytes::from(text)));
    *response.status_mut() = status;
    (response.headers_mut()).insert(
        http::header::CONTENT_TYPE,
        "text/plain; charset=utf-8".parse().unwrap(),
    );
    response
}
