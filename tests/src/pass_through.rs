//! Middleware that does nothing but wrap the response body, keeping its size: the cost any
//! body-wrapping middleware has, against which the metrics middleware is compared
//! (allocations test, overhead bench). A tower layer, the shape of `tower_metrics::Metrics`,
//! and an actix-web `Transform`, the shape of `actix_metrics::Metrics`.
//!
//! The route-reading variants ([`PassThroughLayer::ROUTE`], [`PassThrough::ROUTE`]) also
//! read the request's route template the way the framework's public API offers it, and throw
//! it away: the least any middleware that labels requests by route pays in that framework. On
//! axum that is a lookup of `MatchedPath` in the request's extensions; on actix-web, after
//! routing, `match_pattern()`, which builds a new `String` every time.

/// A layer that does nothing but wrap the response body in a type of its own, as the
/// metrics layer must, keeping its size hint: the same shape as `tower_metrics::Metrics`,
/// minus the metrics.
#[derive(Clone, Copy, Debug)]
pub struct PassThroughLayer {
    reads_route: bool,
}

impl PassThroughLayer {
    /// Wraps the body only.
    pub const BODY: Self = Self { reads_route: false };
    /// Wraps the body and reads each request's `MatchedPath`.
    pub const ROUTE: Self = Self { reads_route: true };
}

/// Its service.
#[derive(Clone, Debug)]
pub struct PassThroughService<S> {
    inner: S,
    reads_route: bool,
}

impl<S> tower::Layer<S> for PassThroughLayer {
    type Service = PassThroughService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        PassThroughService {
            inner,
            reads_route: self.reads_route,
        }
    }
}

impl<S, B> tower::Service<axum::http::Request<axum::body::Body>> for PassThroughService<S>
where
    S: tower::Service<axum::http::Request<axum::body::Body>, Response = axum::http::Response<B>>,
    S::Future: Send + 'static,
    B: 'static,
{
    type Response = axum::http::Response<Passed<B>>;
    type Error = S::Error;
    type Future = futures_util::future::MapOk<
        S::Future,
        fn(axum::http::Response<B>) -> axum::http::Response<Passed<B>>,
    >;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: axum::http::Request<axum::body::Body>) -> Self::Future {
        if self.reads_route {
            let extensions = request.extensions();
            let route = extensions.get::<axum::extract::MatchedPath>();
            std::hint::black_box(route.map(axum::extract::MatchedPath::as_str));
        }
        let wrap: fn(axum::http::Response<B>) -> axum::http::Response<Passed<B>> =
            |response| response.map(Passed);
        futures_util::TryFutureExt::map_ok(self.inner.call(request), wrap)
    }
}

/// The pass-through body.
#[derive(Debug)]
pub struct Passed<B>(B);

impl<B: http_body::Body + Unpin> http_body::Body for Passed<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<B::Data>, B::Error>>> {
        std::pin::Pin::new(&mut self.0).poll_frame(cx)
    }

    // A correct wrapper keeps these: hyper takes `Content-Length` from the size hint.
    fn is_end_stream(&self) -> bool {
        self.0.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.0.size_hint()
    }
}

/// An actix-web middleware that does nothing but wrap the response body in a type of its own,
/// as the metrics middleware must: the same shape as `actix_metrics::Metrics`, minus the
/// metrics.
#[derive(Clone, Copy, Debug)]
pub struct PassThrough {
    reads_route: bool,
}

impl PassThrough {
    /// Wraps the body only.
    pub const BODY: Self = Self { reads_route: false };
    /// Wraps the body and calls `match_pattern()` on each response's request.
    pub const ROUTE: Self = Self { reads_route: true };
}

/// Its service.
#[derive(Debug)]
pub struct PassThroughMiddleware<S> {
    service: S,
    reads_route: bool,
}

impl<S, B> actix_web::dev::Transform<S, actix_web::dev::ServiceRequest> for PassThrough
where
    S: actix_web::dev::Service<
        actix_web::dev::ServiceRequest,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    type Response = actix_web::dev::ServiceResponse<PassedActix<B>>;
    type Error = actix_web::Error;
    type Transform = PassThroughMiddleware<S>;
    type InitError = ();
    type Future = std::future::Ready<Result<Self::Transform, ()>>;

    fn new_transform(&self, service: S) -> Self::Future {
        std::future::ready(Ok(PassThroughMiddleware {
            service,
            reads_route: self.reads_route,
        }))
    }
}

impl<S, B> actix_web::dev::Service<actix_web::dev::ServiceRequest> for PassThroughMiddleware<S>
where
    S: actix_web::dev::Service<
        actix_web::dev::ServiceRequest,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    type Response = actix_web::dev::ServiceResponse<PassedActix<B>>;
    type Error = actix_web::Error;
    type Future = futures_util::future::MapOk<
        S::Future,
        fn(actix_web::dev::ServiceResponse<B>) -> actix_web::dev::ServiceResponse<PassedActix<B>>,
    >;

    actix_service::forward_ready!(service);

    fn call(&self, request: actix_web::dev::ServiceRequest) -> Self::Future {
        type Wrap<B> = fn(
            actix_web::dev::ServiceResponse<B>,
        ) -> actix_web::dev::ServiceResponse<PassedActix<B>>;
        let wrap: Wrap<B> = if self.reads_route {
            |response| {
                std::hint::black_box(response.request().match_pattern());
                response.map_body(|_, body| PassedActix::new(body))
            }
        } else {
            |response| response.map_body(|_, body| PassedActix::new(body))
        };
        futures_util::TryFutureExt::map_ok(self.service.call(request), wrap)
    }
}

pin_project_lite::pin_project! {
    /// The pass-through actix-web body.
    #[derive(Debug)]
    pub struct PassedActix<B> {
        #[pin]
        inner: B,
    }
}

impl<B> PassedActix<B> {
    fn new(inner: B) -> Self {
        Self { inner }
    }
}

impl<B: actix_web::body::MessageBody> actix_web::body::MessageBody for PassedActix<B> {
    type Error = B::Error;

    // A correct wrapper keeps these: actix-web takes `Content-Length` from the size, and
    // writes a complete body in one piece.
    fn size(&self) -> actix_web::body::BodySize {
        self.inner.size()
    }

    fn try_into_bytes(self) -> Result<actix_web::web::Bytes, Self> {
        self.inner.try_into_bytes().map_err(PassedActix::new)
    }

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<actix_web::web::Bytes, Self::Error>>> {
        self.project().inner.poll_next(cx)
    }
}
