use std::pin::Pin;
use std::task::{ready, Context, Poll};

use http_body::{Body, Frame, SizeHint};
use http_metrics_core::adapter::ActiveRequest;
use pin_project_lite::pin_project;

pin_project! {
    /// Response body of [`crate::Metrics`]: the request stays in flight until this body
    /// reports its end (or an error), or is dropped.
    #[derive(Debug)]
    pub struct ResponseBody<B> {
        #[pin]
        inner: B,
        active: ActiveRequest,
    }
}

impl<B> ResponseBody<B> {
    pub(crate) fn new(inner: B, active: ActiveRequest) -> Self {
        Self { inner, active }
    }
}

impl<B: Body> Body for ResponseBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    // Inlined into axum's wrapper around it: see `Metrics::call`.
    #[inline]
    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let mut this = self.project();
        let frame = ready!(this.active.watch(|| this.inner.as_mut().poll_frame(cx)));
        // The servers stop polling once `is_end_stream` is true, so the end is recorded as
        // soon as it is known rather than when the body is eventually dropped.
        let ended = match &frame {
            None | Some(Err(_)) => true,
            Some(Ok(_)) => this.inner.is_end_stream(),
        };
        this.active.polled(ended);
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
