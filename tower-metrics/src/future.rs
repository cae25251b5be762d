use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use http::Response;
use http_metrics_core::adapter::ActiveRequest;
use pin_project_lite::pin_project;

use crate::ResponseBody;

pin_project! {
    /// Response future of [`crate::Metrics`].
    ///
    /// Holds the request's guard until the response head exists, then moves it into the
    /// [`ResponseBody`]. Dropped before that (the client went away, a timeout fired), the
    /// guard records the request as cancelled; unwound by a panic, as a 500.
    #[derive(Debug)]
    pub struct ResponseFuture<F> {
        #[pin]
        inner: F,
        active: ActiveRequest,
    }
}

impl<F> ResponseFuture<F> {
    /// The response future of the request `active` tracks, around the inner service's
    /// future.
    #[inline]
    pub(crate) fn new(inner: F, active: ActiveRequest) -> Self {
        Self { inner, active }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<ResponseBody<B>>, E>;

    // Inlined into axum's wrapper around it: see `Metrics::call`.
    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.active.watch(|| this.inner.poll(cx)));
        Poll::Ready(match result {
            Ok(response) => {
                crate::mark::discard_if_recorded(this.active, &response);
                let active = this.active.respond(response.status().as_u16());
                Ok(response.map(|body| ResponseBody::new(body, active)))
            }
            Err(error) => {
                this.active.fail(None);
                Err(error)
            }
        })
    }
}
