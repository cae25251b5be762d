//! [`HttpFamilies`]: how the HTTP families are named, described and labelled, decided once
//! when the registry is built, with the pieces of text every scrape repeats rendered then.

use super::settings::Settings;
use crate::base::{escape_into, Kind};
use crate::labels::naming::{
    DURATION_HELP, HEAD_DURATION_HELP, IN_FLIGHT_HELP, REQUESTS_HELP, REQUEST_SIZE_HELP,
    RESPONSE_SIZE_HELP, UPGRADES_OPEN_HELP, UPGRADE_DURATION_HELP,
};
use crate::{Buckets, Naming};

/// One of the HTTP families, in the order they are exposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HttpFamily {
    /// The request counter.
    Requests,
    /// The latency histogram (0) or the head histogram (1).
    Duration(usize),
    /// The request-size (0) or the response-size (1) histogram.
    Size(usize),
    /// The in-flight gauge.
    InFlight,
    /// The open upgraded connections.
    UpgradesOpen,
    /// The lifetimes of closed upgraded connections.
    UpgradeDurations,
}

/// The HTTP families' names, help texts and constant labels.
#[derive(Debug)]
pub(crate) struct HttpFamilies {
    /// The constant labels: the application registry's, then the builder's.
    pub(crate) const_labels: Vec<(String, String)>,
    /// `name="value",` for each constant label, escaped.
    pub(crate) const_text: String,
    /// The counter's name without `_total`, when it is exposed.
    requests: Option<String>,
    /// The latency histogram's and, with a head histogram, its name, `_seconds` included.
    durations: Vec<String>,
    /// The body-size histograms' names, with body sizes, and whether their unit is bytes.
    sizes: Option<([String; 2], bool)>,
    in_flight: Option<String>,
    /// The upgraded-connection families' names, when they are tracked.
    upgrades: Option<[String; 2]>,
    /// `le="0.005",` … `le="+Inf",` of the latency, body-size and lifetime buckets.
    duration_le: Box<[Box<str>]>,
    size_le: Box<[Box<str>]>,
    upgrade_le: Box<[Box<str>]>,
}

/// Renders the `le` label of each bucket of `buckets`, `+Inf` last.
fn le_labels(buckets: Option<&Buckets>) -> Box<[Box<str>]> {
    let Some(buckets) = buckets else {
        return Box::default();
    };
    buckets
        .as_slice()
        .iter()
        .map(|b| format!("le=\"{}\",", dtoa::Buffer::new().format(*b)))
        .chain(std::iter::once("le=\"+Inf\",".to_owned()))
        .map(String::into_boxed_str)
        .collect()
}

impl HttpFamilies {
    /// The families `settings` record, named by `naming` under `prefix`, with the constant
    /// labels `const_labels`.
    pub(crate) fn new(
        settings: &Settings,
        naming: &Naming,
        prefix: Option<&str>,
        const_labels: Vec<(String, String)>,
    ) -> Self {
        let prefix = prefix.map(|p| format!("{p}_")).unwrap_or_default();
        let mut const_text = String::new();
        for (name, value) in &const_labels {
            const_text.push_str(name);
            const_text.push_str("=\"");
            escape_into(value, &mut const_text);
            const_text.push_str("\",");
        }
        let mut durations = vec![format!("{prefix}{}_seconds", naming.duration)];
        if settings.duration_end == crate::DurationEnd::Both {
            durations.push(format!("{prefix}{}_seconds", naming.head_duration));
        }
        Self {
            const_labels,
            const_text,
            requests: naming.requests.as_ref().map(|r| format!("{prefix}{r}")),
            durations,
            sizes: settings.sizes.is_some().then(|| {
                let names = naming.size_names().map(|name| format!("{prefix}{name}"));
                (names, naming.size_unit)
            }),
            in_flight: naming.in_flight.as_ref().map(|n| format!("{prefix}{n}")),
            upgrades: settings.upgrades.is_some().then(|| {
                [
                    format!("{prefix}http_upgraded_connections_open"),
                    format!("{prefix}http_upgraded_connection_duration_seconds"),
                ]
            }),
            duration_le: le_labels(Some(&settings.buckets)),
            size_le: le_labels(settings.sizes.as_ref()),
            upgrade_le: le_labels(settings.upgrades.as_ref()),
        }
    }

    /// The families, in the order they are exposed.
    pub(crate) fn all(&self) -> Vec<HttpFamily> {
        let mut all = Vec::with_capacity(8);
        if self.requests.is_some() {
            all.push(HttpFamily::Requests);
        }
        all.extend((0..self.durations.len()).map(HttpFamily::Duration));
        if self.sizes.is_some() {
            all.extend([HttpFamily::Size(0), HttpFamily::Size(1)]);
        }
        if self.in_flight.is_some() {
            all.push(HttpFamily::InFlight);
        }
        if self.upgrades.is_some() {
            all.extend([HttpFamily::UpgradesOpen, HttpFamily::UpgradeDurations]);
        }
        all
    }

    /// The rendered `le` labels of `family`'s buckets.
    pub(crate) fn le_labels(&self, family: HttpFamily) -> &[Box<str>] {
        match family {
            HttpFamily::Size(_) => &self.size_le,
            HttpFamily::UpgradeDurations => &self.upgrade_le,
            _ => &self.duration_le,
        }
    }

    /// Whether `family` is exposed.
    pub(crate) fn has(&self, family: HttpFamily) -> bool {
        match family {
            HttpFamily::Requests => self.requests.is_some(),
            HttpFamily::Duration(which) => which < self.durations.len(),
            HttpFamily::Size(_) => self.sizes.is_some(),
            HttpFamily::InFlight => self.in_flight.is_some(),
            HttpFamily::UpgradesOpen | HttpFamily::UpgradeDurations => self.upgrades.is_some(),
        }
    }

    /// A family's name (its `# TYPE` line's, in OpenMetrics), help, unit and kind.
    pub(crate) fn describe(&self, family: HttpFamily) -> (&str, &'static str, &'static str, Kind) {
        let missing = "";
        match family {
            HttpFamily::Requests => (
                self.requests.as_deref().unwrap_or(missing),
                REQUESTS_HELP,
                "",
                Kind::Counter,
            ),
            HttpFamily::Duration(which) => (
                &self.durations[which],
                [DURATION_HELP, HEAD_DURATION_HELP][which],
                "seconds",
                Kind::Histogram,
            ),
            HttpFamily::Size(which) => {
                let (names, bytes) = self.sizes.as_ref().expect("body sizes are on");
                let unit = if *bytes { "bytes" } else { "" };
                let help = [REQUEST_SIZE_HELP, RESPONSE_SIZE_HELP][which];
                (&names[which], help, unit, Kind::Histogram)
            }
            HttpFamily::InFlight => (
                self.in_flight.as_deref().unwrap_or(missing),
                IN_FLIGHT_HELP,
                "",
                Kind::Gauge,
            ),
            HttpFamily::UpgradesOpen => (self.upgrade_name(0), UPGRADES_OPEN_HELP, "", Kind::Gauge),
            HttpFamily::UpgradeDurations => (
                self.upgrade_name(1),
                UPGRADE_DURATION_HELP,
                "seconds",
                Kind::Histogram,
            ),
        }
    }

    fn upgrade_name(&self, which: usize) -> &str {
        self.upgrades.as_ref().map_or("", |names| &names[which])
    }

    /// The name and kind of each family, for the names the registry's families take.
    pub(crate) fn names(&self) -> Vec<(&str, Kind)> {
        self.all()
            .into_iter()
            .map(|family| {
                let (name, _, _, kind) = self.describe(family);
                (name, kind)
            })
            .collect()
    }
}
