use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Buf;
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
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    this.active.sent(data.remaining());
                }
                this.inner.is_end_stream()
            }
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

#[cfg(feature = "axum")]
pin_project! {
    /// A request body that counts the bytes the handler reads, for the body-size histograms.
    struct CountedBody<B> {
        #[pin]
        inner: B,
        counter: http_metrics_core::adapter::BodyCounter,
    }
}

#[cfg(feature = "axum")]
impl<B: Body> Body for CountedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.project();
        let frame = ready!(this.inner.poll_frame(cx));
        if let Some(data) = frame.as_ref().and_then(|f| f.as_ref().ok()?.data_ref()) {
            this.counter.add(data.remaining() as u64);
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Has the request's body counted for the body-size histograms: an axum body is wrapped so
/// that every byte the handler reads is counted; a body of another type, which cannot be
/// wrapped without changing the request's type, counts as its `Content-Length` (0 without
/// one). Out of line: only services with body sizes on pay for it.
#[inline(never)]
pub(crate) fn count_request_body<B: 'static>(
    req: &mut http::Request<B>,
    guard: &http_metrics_core::adapter::RequestGuard,
) {
    let Some(counter) = guard.request_body_counter() else {
        return;
    };
    #[cfg(feature = "axum")]
    if let Some(body) =
        (req.body_mut() as &mut dyn std::any::Any).downcast_mut::<axum::body::Body>()
    {
        let inner = std::mem::take(body);
        *body = axum::body::Body::new(CountedBody { inner, counter });
        return;
    }
    let declared = req
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    counter.add(declared.unwrap_or(0));
}
