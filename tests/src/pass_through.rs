//! A tower layer that does nothing but wrap the response body, keeping its size hint: the
//! cost any body-wrapping layer has under axum's `Router::layer`, against which the metrics
//! layer is compared (allocations test, overhead bench).

/// A layer that does nothing but wrap the response body in a type of its own, as the
/// metrics layer must, keeping its size hint: the same shape as `tower_metrics::Metrics`,
/// minus the metrics.
#[derive(Clone, Copy, Debug)]
pub struct PassThroughLayer;

/// Its service.
#[derive(Clone, Debug)]
pub struct PassThroughService<S>(S);

impl<S> tower::Layer<S> for PassThroughLayer {
    type Service = PassThroughService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        PassThroughService(inner)
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
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: axum::http::Request<axum::body::Body>) -> Self::Future {
        let wrap: fn(axum::http::Response<B>) -> axum::http::Response<Passed<B>> =
            |response| response.map(Passed);
        futures_util::TryFutureExt::map_ok(self.0.call(request), wrap)
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
