//! Recording a request once when two layers over the same metrics see it.
//!
//! [`metrics_router`](crate::metrics_router) wraps its 404 fallback in a layer that records
//! the requests no route matched, because `Router::merge` replaces the application's default
//! fallback with the merged router's: merged after the application's layer, an unwrapped
//! fallback would leave 404s unrecorded. Merged before it, the application's layer wraps that
//! fallback a second time; the inner layer's responses carry [`RecordedBy`], and an outer
//! layer over the same metrics leaves the request to it. (While such a 404 is handled, both
//! layers count it in flight: for the microseconds a fallback takes.)

use http::Response;
use http_metrics_core::adapter::ActiveRequest;
use http_metrics_core::HttpMetrics;

/// A response extension: this request was recorded into these metrics by an inner layer.
#[derive(Clone, Debug)]
pub(crate) struct RecordedBy(pub(crate) HttpMetrics);

/// Leaves the request to an inner layer that recorded it into the same metrics. Nearly every
/// response has no extensions, so this costs one branch.
#[inline]
pub(crate) fn discard_if_recorded<B>(active: &mut ActiveRequest, response: &Response<B>) {
    if let Some(RecordedBy(metrics)) = response.extensions().get::<RecordedBy>() {
        if active
            .guard_mut()
            .is_some_and(|guard| guard.records_into(metrics))
        {
            active.discard();
        }
    }
}
