//! The leaves of the crate: the errors of configuration, the rules of metric and label names
//! (and the names a family of each kind writes), text escaping and the clock. Nothing here
//! uses any other module of the crate.

mod clock;
mod error;
mod escaping;
mod names;

pub(crate) use clock::clock;
#[cfg(test)]
pub(crate) use clock::test_clock;
pub use error::{ConfigError, RegisterError};
pub use escaping::Escaping;
pub use names::Kind;
pub(crate) use names::{escape_into, names};
pub use names::{is_label_name, is_metric_name};
