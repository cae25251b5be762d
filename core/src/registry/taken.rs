//! The names a registry's families write, kept so that families named only at scrape time
//! (the OpenTelemetry bridge's) can stay clear of them: Prometheus refuses a whole scrape
//! that declares one family twice, or writes one sample name under two families.
//!
//! Recorded: the HTTP families, the library's own, and what goes through
//! [`HttpMetrics`](crate::HttpMetrics)' `register*` methods. Not seen: what an application
//! registers through `with_registry` or encodes in a custom collector.

use std::collections::HashSet;
use std::sync::RwLock;

use crate::base::{names, Kind};

/// The names the registry's families write.
#[derive(Debug, Default)]
pub(crate) struct TakenNames(RwLock<HashSet<String>>);

impl TakenNames {
    /// Records family `name` of `kind`.
    pub(crate) fn add(&self, name: &str, kind: Kind) {
        let mut taken = self.0.write().unwrap_or_else(|e| e.into_inner());
        taken.extend(names(name, kind));
    }

    /// The first of `names` that is taken.
    #[cfg(feature = "opentelemetry")]
    pub(crate) fn first_taken<'a>(&self, names: &'a [String]) -> Option<&'a str> {
        let taken = self.0.read().unwrap_or_else(|e| e.into_inner());
        names
            .iter()
            .find(|name| taken.contains(name.as_str()))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_takes_its_name_and_its_samples_names() {
        assert_eq!(
            names("jobs", Kind::Counter),
            ["jobs", "jobs_total", "jobs_created"]
        );
        assert_eq!(names("depth", Kind::Gauge), ["depth"]);
        assert_eq!(
            names("t_seconds", Kind::Histogram),
            [
                "t_seconds",
                "t_seconds_bucket",
                "t_seconds_sum",
                "t_seconds_count",
                "t_seconds_created"
            ]
        );
        assert_eq!(names("target", Kind::Info), ["target", "target_info"]);
    }
}
