//! The names the registry's families write, so that none is written twice: Prometheus
//! refuses a whole scrape that declares one family twice, or writes one sample name under two
//! families.
//!
//! Recorded: the HTTP families, the library's own, the application registry's families when
//! the registry is built, and everything that goes through [`HttpMetrics`](crate::HttpMetrics)'
//! `register*` methods, each refused there when it clashes. What is only known at a scrape
//! (families added through `with_registry`, custom collectors, [`Collect`](crate::model::Collect)
//! sources) is checked at each scrape instead (see [`crate::snapshot`]).

use std::collections::HashMap;
use std::sync::RwLock;

use crate::base::{names, Escaping, Kind, RegisterError};

/// Every name the registry's families write, with the family that writes it.
#[derive(Debug, Default)]
pub(crate) struct TakenNames(RwLock<HashMap<String, String>>);

impl TakenNames {
    /// Records family `name` of `kind`, known not to clash (the library's own families).
    pub(crate) fn add(&self, name: &str, kind: Kind) {
        let mut taken = self.0.write().unwrap_or_else(|e| e.into_inner());
        for written in names(name, kind) {
            taken.entry(written).or_insert_with(|| name.to_owned());
        }
    }

    /// The family that writes `name`, if one does.
    pub(crate) fn holder(&self, name: &str) -> Option<String> {
        let taken = self.0.read().unwrap_or_else(|e| e.into_inner());
        taken.get(name).cloned()
    }

    /// Records family `name` of `kind` unless its name is empty, or a name it would write is
    /// another family's, as it is or as a scraper of classic names gets it.
    pub(crate) fn take(&self, name: &str, kind: Kind) -> Result<(), RegisterError> {
        if name.is_empty() {
            return Err(RegisterError::InvalidName {
                name: name.to_owned(),
                why: "a metric name is not empty".into(),
            });
        }
        let mut written = names(name, kind);
        // A scraper of classic names gets it escaped: that name must be free too.
        let classic = Escaping::Underscores.metric_name(name);
        if classic != name {
            written.extend(names(&classic, kind));
        }
        let mut taken = self.0.write().unwrap_or_else(|e| e.into_inner());
        if let Some((clash, holder)) = written.iter().find_map(|n| Some((n, taken.get(n)?))) {
            return Err(RegisterError::Taken {
                name: name.to_owned(),
                clash: clash.clone(),
                holder: holder.clone(),
            });
        }
        for n in written {
            taken.insert(n, name.to_owned());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clash_names_the_family_that_holds_the_name() {
        let taken = TakenNames::default();
        taken.take("jobs", Kind::Counter).unwrap();
        assert_eq!(
            taken.take("jobs_total", Kind::Gauge).unwrap_err().to_string(),
            "cannot register \"jobs_total\": the name \"jobs_total\" is already written by the family \"jobs\""
        );
        assert_eq!(
            taken.take("", Kind::Gauge).unwrap_err().to_string(),
            "cannot register \"\": a metric name is not empty"
        );
        taken.take("t_seconds", Kind::Histogram).unwrap();
        assert!(matches!(
            taken.take("t_seconds_count", Kind::Gauge),
            Err(RegisterError::Taken { holder, .. }) if holder == "t_seconds"
        ));
    }

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
