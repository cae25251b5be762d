//! Where the route template comes from.

use http::Request;

/// The request's route template, if the framework has matched one.
#[inline]
pub(crate) fn template<B>(req: &Request<B>) -> Option<&str> {
    #[cfg(feature = "axum")]
    if let Some(path) = req.extensions().get::<axum::extract::MatchedPath>() {
        return Some(path.as_str());
    }
    req.extensions().get::<crate::RouteTemplate>().map(|t| t.0)
}
