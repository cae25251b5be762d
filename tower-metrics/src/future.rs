use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use http::Response;
use http_metrics_core::RequestGuard;
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
        guard: Option<RequestGuard>,
    }
}

impl<F> ResponseFuture<F> {
    pub(crate) fn new(inner: F, guard: Option<RequestGuard>) -> Self {
        Self { inner, guard }
    }
}

impl<F, B, E> Future for ResponseFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<ResponseBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        let mut guard = this.guard.take();
        Poll::Ready(match result {
            Ok(response) => {
                if let Some(guard) = &mut guard {
                    guard.set_status(response.status().as_u16());
                }
                Ok(response.map(|body| ResponseBody::new(body, guard)))
            }
            Err(error) => {
                if let Some(guard) = guard {
                    guard.finish_error();
                }
                Err(error)
            }
        })
    }
}
