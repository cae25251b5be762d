use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{ready, Context, Poll};

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::HeaderName;
use actix_web::{Error, HttpMessage as _};
use http_metrics_core::adapter::{ActiveRequest, MethodLabel, RequestGuard, RequestLabelSource};
use http_metrics_core::{HttpMetrics, RequestLabelValue};
use pin_project_lite::pin_project;

use crate::routes::LocalRouteCache;
use crate::ResponseBody;

/// Records golden-signal metrics for every request of the `App` it wraps.
///
/// [`Metrics::new`] records into the process-wide default
/// ([`HttpMetrics::global`]), which [`metrics_service`](crate::metrics_service) serves;
/// [`Metrics::with_metrics`] into an explicit [`HttpMetrics`] (tests, several registries,
/// libraries). Every worker's `App` wraps its own `Metrics`; all of them record into the
/// same series.
///
/// ```
/// use actix_metrics::{metrics_service, Metrics};
/// use actix_web::{web, App, HttpResponse};
///
/// let app = App::new()
///     .wrap(Metrics::new())
///     .route("/api/users/{user_id}", web::get().to(HttpResponse::Ok))
///     .service(metrics_service()); // after the routes: see `metrics_service`
/// ```
#[derive(Clone, Debug)]
pub struct Metrics {
    metrics: HttpMetrics,
}

impl Metrics {
    /// How many request paths each worker remembers the route of, for the paths its learned
    /// templates do not answer (see the crate docs, "How the route is found before routing").
    pub const REMEMBERED_PATHS: usize = LocalRouteCache::PATHS;

    /// Middleware recording into the process-wide default, [`HttpMetrics::global`].
    pub fn new() -> Self {
        Self::with_metrics(HttpMetrics::global())
    }

    /// Middleware recording into `metrics`.
    ///
    /// ```
    /// use actix_metrics::{metrics_service_with, HttpMetrics, Metrics};
    /// use actix_web::App;
    ///
    /// let metrics = HttpMetrics::builder().prefix("shop").build().unwrap();
    /// let app = App::new()
    ///     .wrap(Metrics::with_metrics(&metrics))
    ///     .service(metrics_service_with(&metrics));
    /// ```
    pub fn with_metrics(metrics: &HttpMetrics) -> Self {
        Self {
            metrics: metrics.clone(),
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl<S, B> Transform<S, ServiceRequest> for Metrics
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<ResponseBody<B>>;
    type Error = Error;
    type Transform = MetricsMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(MetricsMiddleware {
            service,
            shared: Rc::new(Shared {
                metrics: self.metrics.clone(),
                routes: LocalRouteCache::default(),
                label: self
                    .metrics
                    .recorder()
                    .request_label_source()
                    .and_then(LabelSource::new),
                exemplars: self.metrics.recorder().exemplars_enabled(),
                body_sizes: self.metrics.recorder().body_sizes_enabled(),
            }),
        }))
    }
}

/// What the middleware and its futures share on one worker.
#[derive(Debug)]
struct Shared {
    metrics: HttpMetrics,
    routes: LocalRouteCache,
    /// Where the request label is read from, if the metrics have one.
    label: Option<LabelSource>,
    /// Whether requests carry exemplars (their `traceparent` is read).
    exemplars: bool,
    /// Whether the body-size histograms are on (request payloads are counted).
    body_sizes: bool,
}

/// The service produced by [`Metrics`]: one per worker.
#[derive(Debug)]
pub struct MetricsMiddleware<S> {
    service: S,
    shared: Rc<Shared>,
}

impl<S, B> Service<ServiceRequest> for MetricsMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error>,
    B: MessageBody,
{
    type Response = ServiceResponse<ResponseBody<B>>;
    type Error = Error;
    type Future = MetricsFuture<S::Future>;

    actix_service::forward_ready!(service);

    // `#[inline]` here, on `MetricsFuture::poll` and on `ResponseBody::poll_next` lets a
    // release build fold each into actix-web's code around it (BENCHMARKS.md, section 1b).
    #[inline]
    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        // Most requests are GETs: a tag comparison answers them without comparing text.
        // (actix-web's `Method` is http 0.2's, so the core's `From<&http::Method>`, for
        // http 1, does not apply.)
        let method = match req.method() {
            m if *m == actix_web::http::Method::GET => MethodLabel::Get,
            m => MethodLabel::from_token(m.as_str()),
        };
        // Before routing, the route comes from the templates the worker has learned (a path
        // with the shape of exactly one), or from its memo of recent paths, or else from
        // actix-web matching the path against the resource patterns (guards aside, one
        // regular expression each). Good enough for the in-flight gauge; the request moves
        // to the routed resource once the response exists, and an excluded route keeps it
        // off the metrics only if routing agrees.
        let shared = &self.shared;
        let mut guard = shared
            .routes
            .start_for_path(&shared.metrics, method, req.path(), || req.match_pattern());
        if shared.label.is_some() || shared.exemplars {
            label_request(&mut guard, shared, &req);
        }
        if shared.body_sizes {
            crate::body::count_request_body(&mut req, &guard);
        }
        MetricsFuture {
            inner: self.service.call(req),
            active: guard.into(),
            shared: self.shared.clone(),
        }
    }
}

/// The W3C trace context header, parsed once: a header looked up by `&str` is parsed per
/// request.
static TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// Where the request label is read from, with the header name in actix-web's own type (its
/// `http` is version 0.2), parsed once.
#[derive(Debug)]
enum LabelSource {
    Header(HeaderName),
    Extension,
}

impl LabelSource {
    fn new(source: RequestLabelSource) -> Option<Self> {
        match source {
            RequestLabelSource::Header(name) => HeaderName::from_bytes(name.as_str().as_bytes())
                .ok()
                .map(Self::Header),
            RequestLabelSource::Extension => Some(Self::Extension),
        }
    }
}

/// Sets the request label from the request's header or extension and takes its trace for
/// an exemplar: out of line, so that `call` stays as small as it is for the services without
/// either.
#[inline(never)]
fn label_request(guard: &mut RequestGuard, shared: &Shared, req: &ServiceRequest) {
    match &shared.label {
        Some(LabelSource::Header(header)) => {
            guard.set_request_label(req.headers().get(header).map(|v| v.as_bytes()))
        }
        Some(LabelSource::Extension) => guard.set_request_label(
            req.extensions()
                .get::<RequestLabelValue>()
                .map(RequestLabelValue::as_bytes),
        ),
        None => {}
    }
    if shared.exemplars {
        guard.set_trace(req.headers().get(&TRACEPARENT).map(|v| v.as_bytes()));
    }
}

pin_project! {
    /// Response future of [`MetricsMiddleware`].
    ///
    /// Holds the request's guard until the response exists, then moves it into the
    /// [`ResponseBody`]. Dropped before that, the guard records the request as cancelled;
    /// unwound by a panic, as a 500.
    #[derive(Debug)]
    pub struct MetricsFuture<F> {
        #[pin]
        inner: F,
        active: ActiveRequest,
        shared: Rc<Shared>,
    }
}

impl<F, B> Future for MetricsFuture<F>
where
    F: Future<Output = Result<ServiceResponse<B>, Error>>,
    B: MessageBody,
{
    type Output = Result<ServiceResponse<ResponseBody<B>>, Error>;

    // Inlined into actix-web's code around it: see `MetricsMiddleware::call`.
    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.active.watch(|| this.inner.poll(cx)));
        Poll::Ready(match result {
            Ok(response) => {
                // Routed now: the resource actually chosen, guards included. actix-web answers
                // from the routing it recorded, or, when no resource was chosen (a 404), by
                // matching the path again. Settled before the head is recorded, so that
                // `DurationEnd::Both` records it on the final route.
                if let Some(guard) = this.active.guard_mut() {
                    let route = response.request().match_pattern();
                    let shared = &**this.shared;
                    shared
                        .routes
                        .settle(&shared.metrics, guard, route.as_deref());
                }
                // A WebSocket's response body is the connection: with upgraded connections
                // tracked, it carries the connection's guard until the socket closes.
                let active = this
                    .active
                    .respond_carrying_upgrade(response.status().as_u16());
                Ok(response.map_body(|_, body| ResponseBody::new(body, active)))
            }
            Err(error) => {
                // An error from inner middleware: actix turns it into this status's response.
                this.active
                    .fail(Some(error.as_response_error().status_code().as_u16()));
                Err(error)
            }
        })
    }
}
