//! The labels of the HTTP series and what shapes them: the bounded `method`, the `status`
//! (code or class) and how a request's outcome becomes it, the bucket bounds, the names of
//! the families and labels ([`Naming`]), and the label taken from the request
//! ([`RequestLabel`]). Uses only [`crate::base`].

pub(crate) mod buckets;
pub(crate) mod method;
pub(crate) mod naming;
pub(crate) mod request_label;
pub(crate) mod status;

pub(crate) use buckets::Buckets;
pub use buckets::{DEFAULT_BUCKETS, DEFAULT_CONNECTION_BUCKETS, DEFAULT_SIZE_BUCKETS};
pub use method::MethodLabel;
pub use naming::Naming;
pub use request_label::{
    RequestLabel, RequestLabelSource, RequestLabelValue, MAX_REQUEST_LABEL_VALUES, OTHER_VALUE,
};
pub(crate) use status::Outcome;
pub use status::{DurationEnd, StatusLabel};
