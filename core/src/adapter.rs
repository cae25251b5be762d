//! The interface between the core and a framework adapter: what the
//! [tower-metrics](https://docs.rs/tower-metrics) and
//! [actix-metrics](https://docs.rs/actix-metrics) adapters are written against. Applications
//! do not need anything here.
//!
//! An adapter reports what its framework knows about a request — the method, the route
//! template, the status, and when the response body ends — and carries the core's guard from
//! the moment a request enters until it is recorded; everything else (labels, series,
//! buckets, the outcome of errors, panics and cancellation, the exposition) is the core's.
//!
//! - [`RouteHandle`]: a route template resolved once, to start requests on without a lock.
//! - [`RequestGuard`]: one request's in-flight increment and its one recording; see its docs
//!   for exactly when a request is recorded.
//! - [`ActiveRequest`]: the guard as it travels through a response future and body, with the
//!   three calls every adapter makes.
//! - [`BodyCounter`] (feature `body-sizes`): the bytes of a request body the handler read, for
//!   the body-size histograms; response bytes go through [`ActiveRequest::sent`].
//! - [`RouteCache`]: a one-entry cache of a route handle, for services that serve one route.
//! - [`MethodLabel`]: the bounded `method` label.
//! - [`ScrapeRequest`] and [`Scrape`]: the `/metrics` request headers and the complete
//!   response, framework-neutral.
//!
//! ```
//! use http_metrics_core::adapter::{ActiveRequest, MethodLabel, RouteHandle};
//! use http_metrics_core::{Format, HttpMetrics};
//!
//! let metrics = HttpMetrics::new();
//! // Once per route (adapters cache the handle), then per request:
//! let route = RouteHandle::resolve(&metrics, "/api/users/{user_id}");
//! let mut active = ActiveRequest::from(route.start(MethodLabel::Get));
//! let mut body = active.respond(200); // the response head exists
//! body.polled(true);                  // the response body ended: recorded now
//!
//! let text = metrics.encode(Format::Prometheus).unwrap();
//! assert!(text.contains(
//!     r#"http_requests_total{method="GET",route="/api/users/{user_id}",status="200"} 1"#
//! ));
//! ```

pub use crate::exposition::{Scrape, ScrapeRequest};
pub use crate::http::{
    ActiveRequest, BodyCounter, Recorder, RequestGuard, RouteCache, RouteHandle,
};
pub use crate::labels::{MethodLabel, RequestLabelSource};
