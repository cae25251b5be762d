//! [`Recorder`]: what the guards and the adapters record into.

use std::sync::Arc;

use super::guard::RouteHandle;
use super::routes::RouteTable;
use crate::labels::RequestLabelSource;

/// The HTTP series of one registry, as adapters record into them: routes are resolved
/// against it ([`RouteHandle::resolve`]), and it tells which per-request readings the
/// options ask for. Cheap to clone; [`HttpMetrics::recorder`](crate::HttpMetrics::recorder)
/// gives it, and every function that takes a recorder also takes the `HttpMetrics` itself.
///
/// ```
/// use http_metrics_core::adapter::{MethodLabel, RouteHandle};
/// use http_metrics_core::HttpMetrics;
///
/// let metrics = HttpMetrics::new();
/// let recorder = metrics.recorder();
/// assert!(!recorder.exemplars_enabled());
/// let route = RouteHandle::resolve(recorder, "/orders/{id}");
/// route.start(MethodLabel::Get).unwrap().finish_with_status(200);
/// ```
#[derive(Clone, Debug)]
pub struct Recorder {
    routes: Arc<RouteTable>,
    unmatched: RouteHandle,
}

impl Recorder {
    pub(crate) fn new(routes: RouteTable) -> Self {
        let routes = Arc::new(routes);
        Self {
            unmatched: RouteHandle(routes.unmatched().clone()),
            routes,
        }
    }

    pub(crate) fn routes(&self) -> &RouteTable {
        &self.routes
    }

    pub(crate) fn unmatched(&self) -> &RouteHandle {
        &self.unmatched
    }

    /// Whether requests carry exemplars
    /// ([`HttpMetricsBuilder::exemplars`](crate::HttpMetricsBuilder::exemplars)): adapters
    /// then pass each request's `traceparent` header to
    /// [`RequestGuard::set_trace`](crate::adapter::RequestGuard::set_trace). Always `false`
    /// without the `exemplars` feature.
    pub fn exemplars_enabled(&self) -> bool {
        self.routes.settings().exemplars_on()
    }

    /// Whether the body-size histograms are on
    /// ([`HttpMetricsBuilder::body_sizes`](crate::HttpMetricsBuilder::body_sizes)): adapters
    /// then count request bodies through
    /// [`RequestGuard::request_body_counter`](crate::adapter::RequestGuard::request_body_counter)
    /// and response bodies through [`ActiveRequest::sent`](crate::adapter::ActiveRequest::sent).
    pub fn body_sizes_enabled(&self) -> bool {
        self.routes.settings().sizes.is_some()
    }

    /// Where the [`RequestLabel`](crate::RequestLabel)'s value comes from, if there is one:
    /// what an adapter reads from each request and passes to
    /// [`RequestGuard::set_request_label`](crate::adapter::RequestGuard::set_request_label).
    ///
    /// ```
    /// use http_metrics_core::adapter::RequestLabelSource;
    /// use http_metrics_core::{HttpMetrics, RequestLabel};
    ///
    /// let metrics = HttpMetrics::builder()
    ///     .request_label(RequestLabel::header("X-Tenant", "tenant").allow(["acme"]))
    ///     .build()
    ///     .unwrap();
    /// let header = http::HeaderName::from_static("x-tenant");
    /// assert_eq!(metrics.recorder().request_label_source(), Some(RequestLabelSource::Header(header)));
    /// assert_eq!(HttpMetrics::new().recorder().request_label_source(), None);
    /// ```
    pub fn request_label_source(&self) -> Option<RequestLabelSource> {
        let label = self.routes.settings().request_label.as_ref()?;
        Some(label.source())
    }
}

impl AsRef<Recorder> for Recorder {
    fn as_ref(&self) -> &Recorder {
        self
    }
}

impl PartialEq for Recorder {
    /// The same series: one is a clone of the other.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.routes, &other.routes)
    }
}

impl Eq for Recorder {}
