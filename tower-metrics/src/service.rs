use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use http_metrics_core::adapter::{MethodLabel, RequestGuard, RequestLabelSource, RouteCache};
use http_metrics_core::{HttpMetrics, RequestLabelValue};
use tower_service::Service;

use crate::{ResponseBody, ResponseFuture};

/// The W3C trace context header, parsed once: a header looked up by `&str` is parsed per
/// request.
static TRACEPARENT: http::HeaderName = http::HeaderName::from_static("traceparent");

/// Sets the request label from the request's header or extension and takes its trace for
/// an exemplar: out of line, so that `call` stays as small as it is for the services without
/// either.
#[inline(never)]
fn label_request<B>(
    guard: &mut Option<RequestGuard>,
    label: Option<&RequestLabelSource>,
    exemplars: bool,
    req: &Request<B>,
) {
    let Some(guard) = guard else { return };
    match label {
        Some(RequestLabelSource::Header(header)) => {
            guard.set_request_label(req.headers().get(header).map(|v| v.as_bytes()))
        }
        Some(RequestLabelSource::Extension) => guard.set_request_label(
            req.extensions()
                .get::<RequestLabelValue>()
                .map(RequestLabelValue::as_bytes),
        ),
        None => {}
    }
    if exemplars {
        guard.set_trace(req.headers().get(&TRACEPARENT).map(|v| v.as_bytes()));
    }
}

/// The service produced by [`crate::MetricsLayer`]: starts a request's guard in `call` and
/// hands it to the [`ResponseFuture`].
#[derive(Clone, Debug)]
pub struct Metrics<S> {
    inner: S,
    /// One `Arc` for both: axum clones the service for every request.
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    metrics: HttpMetrics,
    routes: RouteCache,
    /// Where the request label is read from, if the metrics have one.
    label: Option<RequestLabelSource>,
    /// Whether requests carry exemplars (their `traceparent` is read).
    exemplars: bool,
    /// Whether the body-size histograms are on (request bodies are counted).
    body_sizes: bool,
}

impl<S> Metrics<S> {
    /// Wraps `inner`, recording into `metrics`; what [`crate::MetricsLayer`] builds for each
    /// service it wraps.
    ///
    /// ```
    /// use tower_metrics::{HttpMetrics, Metrics};
    ///
    /// let service = tower::service_fn(|_: http::Request<()>| async {
    ///     Ok::<_, std::convert::Infallible>(http::Response::new(String::new()))
    /// });
    /// let mut metrics = Metrics::new(service, HttpMetrics::global());
    /// let _inner: &mut _ = metrics.get_mut();
    /// ```
    pub fn new(inner: S, metrics: &HttpMetrics) -> Self {
        Self {
            inner,
            shared: Arc::new(Shared {
                metrics: metrics.clone(),
                routes: RouteCache::default(),
                label: metrics.recorder().request_label_source(),
                exemplars: metrics.recorder().exemplars_enabled(),
                body_sizes: metrics.recorder().body_sizes_enabled(),
            }),
        }
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The wrapped service, unwrapped.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Metrics<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ReqBody: 'static,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    #[inline]
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    // `#[inline]` here, on `ResponseFuture::poll` and on `ResponseBody::poll_frame` lets a
    // release build fold each into the wrapper axum puts around it (`MapFuture`, `MapErr`;
    // BENCHMARKS.md, section 1b).
    #[inline]
    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let method = MethodLabel::from(req.method());
        let Shared {
            metrics,
            routes,
            label,
            exemplars,
            body_sizes,
        } = &*self.shared;
        let mut guard = routes.start(metrics, method, crate::route::template(&req));
        if label.is_some() || *exemplars {
            label_request(&mut guard, label.as_ref(), *exemplars, &req);
        }
        if let (true, Some(guard)) = (*body_sizes, &guard) {
            crate::body::count_request_body(&mut req, guard);
        }
        ResponseFuture::new(self.inner.call(req), guard.into())
    }
}
