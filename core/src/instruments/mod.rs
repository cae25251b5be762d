//! Application instruments beside the HTTP families: [`CappedFamily`], [`Summary`], the
//! timers, callback gauges and counters, the process metrics and the runtime of
//! `#[measured]`.

pub(crate) mod callback;
pub(crate) mod capped;
pub mod measured;
#[cfg(feature = "process")]
pub(crate) mod process;
pub(crate) mod summary;
pub(crate) mod timer;

pub use callback::Observations;
pub use capped::CappedFamily;
pub use summary::{
    Summary, SummaryBuilder, SummaryFamily, DEFAULT_AGE_BUCKETS, DEFAULT_MAX_AGE,
    DEFAULT_OBJECTIVES,
};
pub use timer::{Observe, Timer, TimerExt};
