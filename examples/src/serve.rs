//! What every example binary does: read its environment, listen, serve until Ctrl-C, and
//! say clearly what went wrong.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `HOST` | `127.0.0.1` | address to listen on |
//! | `PORT` | the service's | port of the service (0: any free port) |
//! | `METRICS_PORT` | unset | serve `/metrics` only on this port (0: any free port), not on `PORT` |
//! | `METRICS_TOKEN` | unset | require `Authorization: Bearer <token>` on `/metrics` |
//! | `ENVIRONMENT` | `development` | the orders service's info metric |
//! | `REMOTE_WRITE_URL`, `REMOTE_WRITE_TOKEN`, `PUSH_INTERVAL_SECONDS` | unset | also push by remote-write: see [`crate::remote_write`] |

use std::process::ExitCode;

use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, HttpServer};
use tower_metrics::HttpMetrics;

use crate::env::EnvError;
use crate::remote_write::RemoteWriteSettings;

/// The settings every example reads from its environment.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `HOST`.
    pub host: String,
    /// `PORT`.
    pub port: u16,
    /// `METRICS_PORT`.
    pub metrics_port: Option<u16>,
    /// `METRICS_TOKEN`.
    pub metrics_token: Option<String>,
    /// `REMOTE_WRITE_URL` and the rest of the push settings.
    pub remote_write: Option<RemoteWriteSettings>,
}

impl Settings {
    /// Reads the settings through `var`.
    ///
    /// ```
    /// use examples::serve::Settings;
    ///
    /// let env = |name: &str| match name {
    ///     "METRICS_PORT" => Some("9100".to_owned()),
    ///     "METRICS_TOKEN" => Some("s3cret".to_owned()),
    ///     _ => None,
    /// };
    /// let settings = Settings::from_vars(env, 5000).unwrap();
    /// assert_eq!((settings.port, settings.metrics_port), (5000, Some(9100)));
    /// ```
    pub fn from_vars(
        var: impl Fn(&str) -> Option<String>,
        default_port: u16,
    ) -> Result<Self, EnvError> {
        let (host, port) = crate::env::listen_addr_from(&var, default_port)?;
        let metrics_port = match var("METRICS_PORT").filter(|v| !v.is_empty()) {
            None => None,
            Some(value) => Some(value.trim().parse().map_err(|_| EnvError {
                name: "METRICS_PORT",
                value,
                reason: "must be a number from 0 to 65535",
            })?),
        };
        let metrics_token = var("METRICS_TOKEN").filter(|t| !t.is_empty());
        let remote_write = RemoteWriteSettings::from_vars(&var)?;
        Ok(Self {
            host,
            port,
            metrics_port,
            metrics_token,
            remote_write,
        })
    }

    /// The HTTP metrics these settings ask for, with exemplars from each request's
    /// `traceparent` header (in the OpenMetrics exposition).
    pub fn metrics(&self) -> Result<HttpMetrics, tower_metrics::ConfigError> {
        let builder = HttpMetrics::builder();
        #[cfg(feature = "exemplars")]
        let builder = builder.exemplars(tower_metrics::Exemplars::traceparent());
        match &self.metrics_token {
            Some(token) => builder.bearer_token(token.clone()).build(),
            None => builder.build(),
        }
    }
}

/// `ENVIRONMENT`, for the orders service's info metric (default `development`).
pub fn environment() -> String {
    std::env::var("ENVIRONMENT")
        .ok()
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| "development".into())
}

/// A started service's pusher, if `REMOTE_WRITE_URL` asked for one.
struct Pusher(Option<(String, tower_metrics::push::RemoteWriter)>);

impl Pusher {
    /// Sends the last figures, and says what was sent in all.
    fn finish(self, name: &str) {
        if let Some((url, writer)) = self.0 {
            let stats = writer.shutdown_blocking();
            println!("{name}: {}", crate::remote_write::summary(&url, &stats));
        }
    }
}

fn setup(name: &str, default_port: u16) -> Result<(Settings, HttpMetrics, Pusher), ExitCode> {
    let settings = Settings::from_vars(|n| std::env::var(n).ok(), default_port)
        .map_err(|e| fail(name, e, 2))?;
    let metrics = settings
        .metrics()
        .map_err(|e| fail(name, format!("METRICS_TOKEN is invalid: {e}"), 2))?;
    let pusher = match &settings.remote_write {
        None => Pusher(None),
        Some(push) => {
            let instance = format!("{}:{}", settings.host, settings.port);
            let writer = push
                .start(&metrics, name, &instance)
                .map_err(|e| fail(name, format!("REMOTE_WRITE_TOKEN: {e}"), 2))?;
            println!("{name} pushing to {} every {:?}", push.url, push.interval);
            Pusher(Some((push.url.clone(), writer)))
        }
    };
    Ok((settings, metrics, pusher))
}

/// Serves the axum `routes` that `app` builds on `HOST:PORT` until Ctrl-C, with `/metrics`
/// there or on `METRICS_PORT`.
pub fn axum(
    name: &str,
    default_port: u16,
    routes: impl FnOnce(&HttpMetrics) -> axum::Router,
) -> ExitCode {
    let (settings, metrics, pusher) = match setup(name, default_port) {
        Ok(setup) => setup,
        Err(code) => return code,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(name, e, 1),
    };
    let app = crate::axum_app(&metrics, settings.metrics_port.is_none(), routes(&metrics));
    let code = runtime.block_on(async move {
        let main = match listen(name, &settings.host, settings.port, "listening").await {
            Ok(listener) => axum::serve(listener, app).with_graceful_shutdown(ctrl_c()),
            Err(code) => return code,
        };
        let result = match settings.metrics_port {
            None => main.await,
            Some(port) => {
                let listener = match listen(name, &settings.host, port, "serving /metrics").await {
                    Ok(listener) => listener,
                    Err(code) => return code,
                };
                let endpoint = tower_metrics::metrics_router_with(&metrics);
                let metrics_server =
                    axum::serve(listener, endpoint).with_graceful_shutdown(ctrl_c());
                tokio::try_join!(main, metrics_server).map(|_| ())
            }
        };
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(name, e, 1),
        }
    });
    pusher.finish(name);
    code
}

async fn listen(
    name: &str,
    host: &str,
    port: u16,
    what: &str,
) -> Result<tokio::net::TcpListener, ExitCode> {
    let listener = tokio::net::TcpListener::bind((host, port))
        .await
        .map_err(|e| fail(name, format!("cannot listen on {host}:{port}: {e}"), 1))?;
    if let Ok(addr) = listener.local_addr() {
        println!("{name} {what} on http://{addr}");
    }
    Ok(listener)
}

async fn ctrl_c() {
    let _ = tokio::signal::ctrl_c().await;
}

/// Serves the `App` built by `app` with actix-web on `HOST:PORT` until Ctrl-C, with
/// `/metrics` there or on `METRICS_PORT`.
///
/// The [`HttpMetrics`] and the service state from `setup` are built once, here, before the
/// per-worker factory: every worker shares the same series and the same state. `app` gets
/// whether it should mount `/metrics` itself.
pub fn actix<S, F, T, B>(
    name: &str,
    default_port: u16,
    setup_state: impl FnOnce(&HttpMetrics) -> S,
    app: F,
) -> ExitCode
where
    S: Clone + Send + 'static,
    F: Fn(&HttpMetrics, bool, &S) -> App<T> + Send + Clone + 'static,
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<B>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
    B: actix_web::body::MessageBody + 'static,
{
    let (settings, metrics, pusher) = match setup(name, default_port) {
        Ok(setup) => setup,
        Err(code) => return code,
    };
    let state = setup_state(&metrics);
    let endpoint_here = settings.metrics_port.is_none();
    let code = actix_web::rt::System::new().block_on(async move {
        let factory_metrics = metrics.clone();
        let server = HttpServer::new(move || app(&factory_metrics, endpoint_here, &state));
        let main = match bind(name, server, &settings.host, settings.port, "listening") {
            Ok(server) => server.run(),
            Err(code) => return code,
        };
        let result = match settings.metrics_port {
            None => main.await,
            Some(port) => {
                let endpoint = HttpServer::new(move || {
                    App::new().service(actix_metrics::metrics_service_with(&metrics))
                })
                .workers(1);
                let endpoint = match bind(name, endpoint, &settings.host, port, "serving /metrics")
                {
                    Ok(server) => server.run(),
                    Err(code) => return code,
                };
                tokio::try_join!(main, endpoint).map(|_| ())
            }
        };
        match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(name, e, 1),
        }
    });
    pusher.finish(name);
    code
}

fn bind<F, I, S, B>(
    name: &str,
    server: HttpServer<F, I, S, B>,
    host: &str,
    port: u16,
    what: &str,
) -> Result<HttpServer<F, I, S, B>, ExitCode>
where
    F: Fn() -> I + Send + Clone + 'static,
    I: actix_service::IntoServiceFactory<S, actix_http::Request>,
    S: actix_web::dev::ServiceFactory<actix_http::Request, Config = actix_web::dev::AppConfig>
        + 'static,
    S::Error: Into<actix_web::Error>,
    S::InitError: std::fmt::Debug,
    S::Response: Into<actix_http::Response<B>>,
    B: actix_web::body::MessageBody + 'static,
{
    // HTTP/1.1, and HTTP/2 with prior knowledge (h2c, as a proxy such as Envoy speaks it),
    // on the same port.
    let server = server
        .bind_auto_h2c((host, port))
        .map_err(|e| fail(name, format!("cannot listen on {host}:{port}: {e}"), 1))?;
    for addr in server.addrs() {
        println!("{name} {what} on http://{addr}");
    }
    Ok(server)
}

fn fail(name: &str, error: impl std::fmt::Display, code: u8) -> ExitCode {
    eprintln!("{name}: {error}");
    ExitCode::from(code)
}
