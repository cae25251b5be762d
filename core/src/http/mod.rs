//! HTTP recording: the route table, each series' cells (sharded counters, native buckets,
//! exemplar slots), the per-request guard and the handles adapters start requests from.
//! Uses [`crate::labels`] and [`crate::base`].

pub(crate) mod cache;
#[cfg(feature = "exemplars")]
pub(crate) mod exemplar;
pub(crate) mod guard;
#[cfg(feature = "native-histograms")]
pub(crate) mod native;
pub(crate) mod series;
pub(crate) mod shards;

pub use cache::RouteCache;
#[cfg(feature = "exemplars")]
pub use exemplar::{Exemplars, TraceContext};
pub use guard::{ActiveRequest, BodyCounter, RequestGuard, RouteHandle, UpgradedConnection};
#[cfg(feature = "native-histograms")]
pub use native::{NativeHistograms, DEFAULT_NATIVE_SCHEMA};
