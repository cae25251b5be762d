//! A snapshot: every family of a registry read once, what every encoding writes from.
//!
//! [`HttpMetrics::snapshot`](crate::HttpMetrics::snapshot) reads the HTTP series from their cells, the application's
//! metrics from prometheus-client's registry (through its OpenMetrics data model: no text is
//! parsed), the summaries, and the callbacks, custom collectors and
//! [`Collect`](crate::model::Collect) sources (each on a thread of its own, against the
//! collector deadline). OpenMetrics and Prometheus text, the protobuf format and the
//! remote-write request are all written from it, so that every format of one scrape shows
//! the same numbers.
//!
//! Families come in exposition order: the HTTP families, the registry's (the process
//! metrics, the library's own, the application's in the order they were registered),
//! summaries, then what the collectors gave. A family that would write a name an earlier
//! family writes is left out — Prometheus refuses a scrape that declares one family twice —
//! and counted in `metrics_collector_failures_total{collector, reason="clash"}` (the
//! collector's name, or `registry` for families added through
//! [`HttpMetrics::with_registry`](crate::HttpMetrics::with_registry)).
//!
//! ```
//! use http_metrics_core::adapter::{MethodLabel, RouteHandle};
//! use http_metrics_core::model::Kind;
//! use http_metrics_core::snapshot::ValueRef;
//! use http_metrics_core::HttpMetrics;
//!
//! let metrics = HttpMetrics::builder().process_metrics(false).build().unwrap();
//! RouteHandle::resolve(&metrics, "/users/{id}")
//!     .start(MethodLabel::Get)
//!     .unwrap()
//!     .finish_with_status(200);
//! let snapshot = metrics.snapshot().unwrap();
//! let requests = snapshot.families().find(|f| f.name() == "http_requests").unwrap();
//! assert_eq!(requests.kind(), Kind::Counter);
//! let series = requests.series().next().unwrap();
//! let labels: Vec<_> = series.labels().iter().collect();
//! assert_eq!(labels, [("method", "GET"), ("route", "/users/{id}"), ("status", "200")]);
//! assert!(matches!(series.value(), ValueRef::Counter(total, None) if total.as_f64() == 1.0));
//! ```

pub(crate) mod http;
mod take;
pub(crate) mod view;

pub use view::{
    BucketRef, ExemplarRef, FamilyRef, HistogramRef, LabelsRef, SeriesIter, SeriesRef, ValueRef,
};

use self::http::HttpRead;
use self::view::FamilyInner;
use crate::model::Family;

/// Every family of a registry, read once: see the [module](self).
#[derive(Debug)]
pub struct Snapshot<'a> {
    http: HttpRead<'a>,
    /// Every other family, in exposition order.
    owned: Vec<Family>,
    /// How many of `owned` come before the HTTP families.
    http_at: usize,
}

impl<'a> Snapshot<'a> {
    /// The families, in exposition order.
    pub fn families(&self) -> impl Iterator<Item = FamilyRef<'_>> + '_ {
        let (before, after) = self.owned.split_at(self.http_at);
        let owned = |family| FamilyRef(FamilyInner::Owned(family));
        let http = (self.http.families.all().into_iter())
            .map(|family| FamilyRef(FamilyInner::Http(&self.http, family)));
        before
            .iter()
            .map(owned)
            .chain(http)
            .chain(after.iter().map(owned))
    }
}
