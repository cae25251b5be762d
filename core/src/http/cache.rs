//! [`RouteCache`]: how an adapter whose service serves one route turns the route its
//! framework reports into a [`RouteHandle`] without a lock or a hash per request.

use super::guard::RequestGuard;
use super::recorder::Recorder;
use crate::{MethodLabel, RouteHandle};

/// A one-entry cache of the last route template resolved through it, for adapters whose
/// service instances each serve one route (a router that wraps every route's service
/// separately).
///
/// A hit compares the template with the cached one and touches no lock; a miss resolves
/// through [`RouteHandle::resolve`] and, the first time, fills the cache. The cache is
/// never replaced, so a service that sees many routes (a fallback) costs one lookup per
/// request and no contention on the cache itself.
///
/// ```
/// use http_metrics_core::adapter::{MethodLabel, RouteCache};
/// use http_metrics_core::HttpMetrics;
///
/// let metrics = HttpMetrics::new();
/// let cache = RouteCache::default();
/// let guard = cache.start(&metrics, MethodLabel::Get, Some("/items/{id}"));
/// guard.unwrap().finish_with_status(200);
/// ```
#[derive(Debug, Default)]
pub struct RouteCache {
    slot: std::sync::OnceLock<RouteHandle>,
}

impl RouteCache {
    /// Starts a request on `route` (`None`: no route matched; the unmatched route), using the
    /// cached handle when it is the same route. `None` for an excluded route.
    #[inline]
    pub fn start(
        &self,
        metrics: &impl AsRef<Recorder>,
        method: MethodLabel,
        route: Option<&str>,
    ) -> Option<RequestGuard> {
        let Some(template) = route else {
            return metrics.as_ref().unmatched().start(method);
        };
        if let Some(cached) = self.slot.get() {
            if cached.template() == template {
                return cached.start(method);
            }
            return RouteHandle::resolve(metrics, template).start(method);
        }
        let handle = self
            .slot
            .get_or_init(|| RouteHandle::resolve(metrics, template));
        if handle.template() == template {
            handle.start(method)
        } else {
            RouteHandle::resolve(metrics, template).start(method)
        }
    }
}
