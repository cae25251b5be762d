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
        this.active.polled(matches!(chunk, None | Some(Err(_))));
        Poll::Ready(chunk)
    }
}
