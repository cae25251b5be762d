//! Where the route template comes from.

use std::sync::Arc;

use http::Request;

/// The request's route template, if the framework has matched one.
#[inline]
pub(crate) fn template<B>(req: &Request<B>) -> Option<&str> {
    #[cfg(feature = "axum")]
    if let Some(path) = req.extensions().get::<axum::extract::MatchedPath>() {
        return Some(path.as_str());
    }
    req.extensions()
        .get::<RouteTemplate>()
        .map(RouteTemplate::as_str)
}

/// A route template set by a router other than axum's, for tower services that route
/// themselves: insert it into the request's extensions before [`Metrics`](crate::Metrics)
/// sees the request. With the `axum` feature (on by default), axum's `MatchedPath` is used
/// when present and takes precedence.
///
/// Use a template (`/api/users/{user_id}`), never the raw path: every distinct value is a new
/// series.
///
/// ```
/// use tower_metrics::RouteTemplate;
///
/// let mut request = http::Request::new(());
/// request.extensions_mut().insert(RouteTemplate::from_static("/api/users/{user_id}"));
/// // Templates known only at run time (a router built from configuration):
/// let template = RouteTemplate::new(format!("/api/{}/{{id}}", "orders"));
/// assert_eq!(template.as_str(), "/api/orders/{id}");
/// ```
#[derive(Clone, Debug)]
pub struct RouteTemplate(Repr);

#[derive(Clone, Debug)]
enum Repr {
    Static(&'static str),
    Shared(Arc<str>),
}

impl RouteTemplate {
    /// A template known at compile time; costs no allocation.
    pub const fn from_static(template: &'static str) -> Self {
        Self(Repr::Static(template))
    }

    /// A template built at run time. Build it once per route and clone it into each request:
    /// a clone shares the text.
    pub fn new(template: impl Into<Arc<str>>) -> Self {
        Self(Repr::Shared(template.into()))
    }

    /// The template.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Static(template) => template,
            Repr::Shared(template) => template,
        }
    }
}

impl PartialEq for RouteTemplate {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RouteTemplate {}
