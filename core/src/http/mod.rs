//! HTTP recording: the route table, each series' cells (sharded counters, native buckets,
//! exemplar slots), the per-request guard, the handles adapters start requests from, and
//! how the HTTP families are named. Uses [`crate::labels`], [`crate::model`] and
//! [`crate::base`].

pub(crate) mod cache;
pub(crate) mod cell;
#[cfg(feature = "exemplars")]
pub(crate) mod exemplar;
pub(crate) mod families;
pub(crate) mod guard;
#[cfg(feature = "native-histograms")]
pub(crate) mod native;
pub(crate) mod recorder;
pub(crate) mod routes;
pub(crate) mod settings;
pub(crate) mod shards;

pub use cache::RouteCache;
#[cfg(feature = "exemplars")]
pub use exemplar::{Exemplars, TraceContext};
pub use guard::{ActiveRequest, BodyCounter, RequestGuard, RouteHandle, UpgradedConnection};
#[cfg(feature = "native-histograms")]
pub use native::{NativeHistograms, DEFAULT_NATIVE_SCHEMA};
pub use recorder::Recorder;
