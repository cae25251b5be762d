//! What every series of one registry shares while recording: the options resolved once
//! ([`Settings`]), the shape of a series' cell, the excluded statuses and the series cap.

use std::sync::atomic::Ordering;

use super::cell::DurationCell;
use crate::{Buckets, StatusLabel};

/// What each series holds, fixed by the options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CellShape {
    /// Latency buckets, `+Inf` included.
    pub(crate) buckets: usize,
    /// A head histogram too ([`crate::DurationEnd::Both`]).
    pub(crate) head: bool,
    /// An exemplar per bucket.
    pub(crate) exemplars: bool,
    /// Body-size buckets, `+Inf` included; 0 without body sizes.
    pub(crate) size_buckets: usize,
    /// Native-histogram counter groups; 0 without native histograms.
    #[cfg(feature = "native-histograms")]
    pub(crate) native_groups: usize,
}

/// Settings every route entry needs while recording.
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) buckets: Buckets,
    /// The body-size histograms' buckets, when they are on.
    pub(crate) sizes: Option<Buckets>,
    /// The upgraded-connection lifetime histogram's buckets, when upgraded connections are
    /// tracked.
    pub(crate) upgrades: Option<Buckets>,
    pub(crate) shape: CellShape,
    pub(crate) duration_end: crate::DurationEnd,
    pub(crate) status: StatusLabel,
    pub(crate) cancelled_status: u16,
    pub(crate) error_status: u16,
    pub(crate) panic_status: u16,
    pub(crate) limit: SeriesLimit,
    pub(crate) labels: crate::labels::naming::LabelNames,
    pub(crate) excluded_statuses: StatusSet,
    pub(crate) request_label: Option<crate::RequestLabel>,
    #[cfg(feature = "exemplars")]
    pub(crate) exemplars: Option<crate::Exemplars>,
    /// The native histograms' schema and key range, when they are on.
    #[cfg(feature = "native-histograms")]
    pub(crate) native: Option<crate::http::native::Layout>,
}

impl Settings {
    /// Whether the series keep exemplars.
    #[inline]
    pub(crate) fn exemplars_on(&self) -> bool {
        #[cfg(feature = "exemplars")]
        return self.exemplars.is_some();
        #[cfg(not(feature = "exemplars"))]
        false
    }
}

/// A set of status codes (`0..1024`), one bit each.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct StatusSet {
    bits: [u64; 16],
    /// No bit is set: what most services have, answered without reading the bits.
    empty: bool,
}

impl StatusSet {
    pub(crate) fn new() -> Self {
        Self {
            bits: [0; 16],
            empty: true,
        }
    }

    pub(crate) fn insert(&mut self, code: u16) {
        let code = usize::from(code & 1023);
        self.bits[code / 64] |= 1 << (code % 64);
        self.empty = false;
    }

    #[inline]
    pub(crate) fn contains(&self, code: u16) -> bool {
        if self.empty {
            return false;
        }
        let code = usize::from(code & 1023);
        self.bits[code / 64] & (1 << (code % 64)) != 0
    }
}

/// The cap on (route, method, status) series, shared by the counter and the histogram.
#[derive(Debug)]
pub(crate) struct SeriesLimit {
    max: usize,
    created: std::sync::atomic::AtomicUsize,
    /// Where requests go once the cap is reached; its count is the number folded.
    pub(crate) overflow: DurationCell,
    /// `metrics_series_folded_total{metric="http_requests"}`.
    folded: prometheus_client::metrics::counter::Counter,
}

impl SeriesLimit {
    pub(crate) fn new(
        max: usize,
        shape: CellShape,
        folded: prometheus_client::metrics::counter::Counter,
    ) -> Self {
        Self {
            max,
            created: Default::default(),
            overflow: DurationCell::new(shape),
            folded,
        }
    }

    /// Takes one series from the budget, or reports the cap reached.
    pub(super) fn reserve(&self) -> bool {
        let ok = self
            .created
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < self.max).then_some(n + 1)
            })
            .is_ok();
        if !ok {
            self.folded.inc();
        }
        ok
    }

    pub(super) fn release(&self) {
        self.created.fetch_sub(1, Ordering::Relaxed);
    }
}
