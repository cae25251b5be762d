use std::pin::Pin;
use std::task::{ready, Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use bytes::Bytes;
use http_metrics_core::adapter::ActiveRequest;
use pin_project_lite::pin_project;

pin_project! {
    /// Response body of [`crate::MetricsMiddleware`]: the request stays in flight until this
    /// body ends (or fails), or is dropped.
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

impl<B: MessageBody> MessageBody for ResponseBody<B> {
    type Error = B::Error;

    fn size(&self) -> BodySize {
        self.inner.size()
    }

    /// Lets actix-web write a complete body in one piece, as it would without the middleware;
    /// taking the bytes is the body's end.
    fn try_into_bytes(self) -> Result<Bytes, Self> {
        let Self { inner, mut active } = self;
        match inner.try_into_bytes() {
            Ok(bytes) => {
                active.sent(bytes.len());
                active.polled(true);
                Ok(bytes)
            }
            Err(inner) => Err(Self { inner, active }),
        }
    }

    // Inlined into actix-web's code around it: see `MetricsMiddleware::call`.
    #[inline]
    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        let this = self.project();
        let chunk = ready!(this.active.watch(|| this.inner.poll_next(cx)));
        match &chunk {
            Some(Ok(bytes)) => this.active.sent(bytes.len()),
            None | Some(Err(_)) => this.active.polled(true),
        }
        Poll::Ready(chunk)
    }
}

pin_project! {
    /// A request payload that counts the bytes the handler reads, for the body-size
    /// histograms.
    struct CountedPayload {
        #[pin]
        inner: actix_web::dev::Payload,
        counter: http_metrics_core::adapter::BodyCounter,
    }
}

impl futures_core::Stream for CountedPayload {
    type Item = Result<Bytes, actix_web::error::PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.project();
        let chunk = ready!(this.inner.poll_next(cx));
        if let Some(Ok(bytes)) = &chunk {
            this.counter.add(bytes.len() as u64);
        }
        Poll::Ready(chunk)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

/// Puts the request's payload behind a counter of the bytes the handler reads. Out of line:
/// only services with body sizes on pay for it.
#[inline(never)]
pub(crate) fn count_request_body(
    req: &mut actix_web::dev::ServiceRequest,
    guard: &http_metrics_core::adapter::RequestGuard,
) {
    let Some(counter) = guard.request_body_counter() else {
        return;
    };
    let inner = actix_web::HttpMessage::take_payload(req);
    req.set_payload(actix_web::dev::Payload::Stream {
        payload: Box::pin(CountedPayload { inner, counter }),
    });
}
