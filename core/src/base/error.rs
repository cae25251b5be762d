//! The errors of configuration.

use std::fmt;

/// An invalid option, reported by [`HttpMetricsBuilder::build`](crate::HttpMetricsBuilder::build).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The bucket bounds are not usable.
    Buckets(String),
    /// The prefix is not a valid metric name.
    Prefix(String),
    /// A constant label has an invalid or reserved name.
    ConstLabel(String),
    /// A status code is outside `100..=999`.
    Status(u16),
    /// A path or route value is not usable.
    Route(String),
    /// The bearer token is not usable.
    Token(String),
    /// [`HttpMetricsBuilder::install`](crate::HttpMetricsBuilder::install) was called when the process-wide default already
    /// existed.
    GlobalInUse,
    /// A [`Summary`](crate::Summary)'s options are not usable.
    Summary(String),
    /// A [`Naming`](crate::Naming) gives a name that is not usable.
    Naming(String),
    /// A [`RequestLabel`](crate::RequestLabel) is not usable.
    RequestLabel(String),
    /// Exemplars cannot be kept with these options.
    Exemplars(String),
    /// The native-histogram options are not usable.
    NativeHistograms(String),
    /// A gzip level above 9.
    GzipLevel(u32),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Buckets(why) => write!(f, "invalid histogram buckets: {why}"),
            Self::Prefix(p) => write!(
                f,
                "invalid metric prefix {p:?}: use letters, digits, '_' or ':', not starting with a digit"
            ),
            Self::ConstLabel(why) => write!(f, "invalid constant label: {why}"),
            Self::Status(code) => write!(f, "invalid status code {code}: must be 100..=999"),
            Self::Route(why) => write!(f, "invalid route: {why}"),
            Self::Token(why) => write!(f, "invalid bearer token: {why}"),
            Self::Summary(why) => write!(f, "invalid summary: {why}"),
            Self::Naming(why) => write!(f, "invalid naming: {why}"),
            Self::RequestLabel(why) => write!(f, "invalid request label: {why}"),
            Self::Exemplars(why) => write!(f, "exemplars: {why}"),
            Self::NativeHistograms(why) => write!(f, "invalid native histograms: {why}"),
            Self::GzipLevel(level) => {
                write!(f, "gzip level {level}: give 1 (fastest) to 9 (smallest), or 0 for none")
            }
            Self::GlobalInUse => f.write_str(
                "the process-wide HttpMetrics already exists (installed before, or created with \
                 the default options by a first use: a no-argument constructor or \
                 HttpMetrics::global()); call install() once, at start-up, before any of them",
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Why a family could not be registered: every `register*` method of
/// [`HttpMetrics`](crate::HttpMetrics) checks the name before anything is registered, so that
/// a scrape is never broken by a name served twice.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegisterError {
    /// The name is empty.
    InvalidName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        why: String,
    },
    /// A family of the registry already writes one of the names this one would write (a
    /// counter `jobs` writes `jobs_total`, a histogram `t` writes `t_bucket`, `t_sum` and
    /// `t_count`, …).
    Taken {
        /// The family's name, as given.
        name: String,
        /// The name both would write.
        clash: String,
        /// The family that writes it now.
        holder: String,
    },
}

impl fmt::Display for RegisterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidName { name, why } => {
                write!(f, "cannot register {name:?}: {why}")
            }
            Self::Taken {
                name,
                clash,
                holder,
            } => write!(
                f,
                "cannot register {name:?}: the name {clash:?} is already written by the family {holder:?}"
            ),
        }
    }
}

impl std::error::Error for RegisterError {}
