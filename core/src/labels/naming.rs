//! The names of the HTTP metric families and of their labels, with presets that reproduce
//! OpenTelemetry's semantic conventions and the names of the peers a team may be coming from.

use crate::base::{is_label_name, is_metric_name};
use crate::ConfigError;

/// The names of the HTTP metric families and of their labels; set with
/// [`HttpMetricsBuilder::naming`](crate::HttpMetricsBuilder::naming).
///
/// | | [`Naming::new`] (the default) | [`Naming::opentelemetry`] | [`Naming::axum_prometheus`] | [`Naming::actix_web_prom`] |
/// |---|---|---|---|---|
/// | counter | `http_requests_total` | — | `axum_http_requests_total` | `<namespace>_http_requests_total` |
/// | histogram | `http_request_duration_seconds` | `http_server_request_duration_seconds` | `axum_http_requests_duration_seconds` | `<namespace>_http_requests_duration_seconds` |
/// | head histogram ([`DurationEnd::Both`](crate::DurationEnd::Both)) | `http_request_head_duration_seconds` | `http_server_response_head_duration_seconds` | `axum_http_requests_head_duration_seconds` | `<namespace>_http_requests_head_duration_seconds` |
/// | in flight | `http_requests_in_flight` | `http_server_active_requests` | `axum_http_requests_pending` | — |
/// | body sizes ([`body_sizes`](crate::HttpMetricsBuilder::body_sizes)) | `http_request_size_bytes`, `http_response_size_bytes` | `http_server_request_body_size_bytes`, `http_server_response_body_size_bytes` | `axum_http_request_body_size`, `axum_http_response_body_size` (no unit, as axum-prometheus) | `<namespace>_http_request_size_bytes`, `<namespace>_http_response_size_bytes` |
/// | labels | `method`, `route`, `status` | `http_request_method`, `http_route`, `http_response_status_code` | `method`, `endpoint`, `status` | `method`, `endpoint`, `status` |
///
/// A family named `None` is not exposed (OpenTelemetry counts requests with the histogram's
/// `_count`; actix-web-prom has no in-flight gauge). axum-prometheus has no request-size
/// histogram: its preset names ours after its response-size one. The upgraded-connection
/// families ([`upgraded_connections`](crate::HttpMetricsBuilder::upgraded_connections)) keep
/// their names under every preset (no peer or convention has them); their labels follow it. The histogram is always there: the
/// counter and the gauge are views of its series. The label order in the exposition is
/// method, route, status, whatever their names.
///
/// ```
/// use http_metrics_core::{Format, HttpMetrics, Naming};
///
/// let metrics = HttpMetrics::builder()
///     .naming(Naming::opentelemetry())
///     .process_metrics(false)
///     .build()
///     .unwrap();
/// let text = metrics.encode(Format::Prometheus).unwrap();
/// assert!(text.contains("# TYPE http_server_request_duration_seconds histogram"));
/// assert!(text.contains("# TYPE http_server_active_requests gauge"));
/// assert!(!text.contains("http_requests_total"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Naming {
    pub(crate) requests: Option<String>,
    pub(crate) duration: String,
    pub(crate) head_duration: String,
    pub(crate) in_flight: Option<String>,
    pub(crate) request_size: String,
    pub(crate) response_size: String,
    /// Whether the body-size histograms are in bytes as their unit, `_bytes` appended to
    /// their names (all but axum-prometheus' names).
    pub(crate) size_unit: bool,
    pub(crate) labels: LabelNames,
}

/// The label names of the HTTP series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LabelNames {
    pub(crate) method: Box<str>,
    pub(crate) route: Box<str>,
    pub(crate) status: Box<str>,
}

impl Default for Naming {
    fn default() -> Self {
        Self::new()
    }
}

impl Naming {
    /// This library's names: `http_requests_total`, `http_request_duration_seconds`,
    /// `http_requests_in_flight`, labelled `method`, `route` and `status`.
    pub fn new() -> Self {
        Self {
            requests: Some("http_requests".into()),
            duration: "http_request_duration".into(),
            head_duration: "http_request_head_duration".into(),
            in_flight: Some("http_requests_in_flight".into()),
            request_size: "http_request_size".into(),
            response_size: "http_response_size".into(),
            size_unit: true,
            labels: LabelNames {
                method: "method".into(),
                route: "route".into(),
                status: "status".into(),
            },
        }
    }

    /// OpenTelemetry's HTTP server semantic conventions as its Prometheus exporter exposes
    /// them: `http_server_request_duration_seconds` and `http_server_active_requests`,
    /// labelled `http_request_method`, `http_route` and `http_response_status_code`, and no
    /// separate counter. Dashboards built on OpenTelemetry's names work unchanged. (The
    /// active-requests gauge keeps `http_route`, which the convention leaves out: summing
    /// it away gives the convention's series. The exporter's `otel_scope_*` labels and
    /// `target_info` are not added.)
    pub fn opentelemetry() -> Self {
        Self {
            requests: None,
            duration: "http_server_request_duration".into(),
            head_duration: "http_server_response_head_duration".into(),
            in_flight: Some("http_server_active_requests".into()),
            request_size: "http_server_request_body_size".into(),
            response_size: "http_server_response_body_size".into(),
            size_unit: true,
            labels: LabelNames {
                method: "http_request_method".into(),
                route: "http_route".into(),
                status: "http_response_status_code".into(),
            },
        }
    }

    /// axum-prometheus' names, with its default prefix `axum` or the one given to its
    /// `with_prefix`: `<prefix>_http_requests_total`, `<prefix>_http_requests_duration_seconds`
    /// and `<prefix>_http_requests_pending`, labelled `method`, `endpoint` and `status`, and
    /// for the body sizes its `<prefix>_http_response_body_size`, which has no unit suffix.
    pub fn axum_prometheus(prefix: Option<&str>) -> Self {
        let prefix = prefix.unwrap_or("axum");
        Self {
            requests: Some(format!("{prefix}_http_requests")),
            duration: format!("{prefix}_http_requests_duration"),
            head_duration: format!("{prefix}_http_requests_head_duration"),
            in_flight: Some(format!("{prefix}_http_requests_pending")),
            request_size: format!("{prefix}_http_request_body_size"),
            response_size: format!("{prefix}_http_response_body_size"),
            size_unit: false,
            labels: LabelNames {
                method: "method".into(),
                route: "endpoint".into(),
                status: "status".into(),
            },
        }
    }

    /// actix-web-prom's names for the namespace given to its
    /// `PrometheusMetricsBuilder::new(namespace)`: `<namespace>_http_requests_total` and
    /// `<namespace>_http_requests_duration_seconds`, labelled `method`, `endpoint` and
    /// `status`, and no in-flight gauge (an empty namespace gives the names without prefix).
    pub fn actix_web_prom(namespace: &str) -> Self {
        let prefix = if namespace.is_empty() {
            String::new()
        } else {
            format!("{namespace}_")
        };
        Self {
            requests: Some(format!("{prefix}http_requests")),
            duration: format!("{prefix}http_requests_duration"),
            head_duration: format!("{prefix}http_requests_head_duration"),
            in_flight: None,
            request_size: format!("{prefix}http_request_size"),
            response_size: format!("{prefix}http_response_size"),
            size_unit: true,
            labels: LabelNames {
                method: "method".into(),
                route: "endpoint".into(),
                status: "status".into(),
            },
        }
    }

    /// The request counter's name without its `_total`, or `None` to leave it out.
    pub fn requests_total(mut self, name: Option<&str>) -> Self {
        self.requests = name.map(str::to_owned);
        self
    }

    /// The latency histogram's name without its `_seconds`.
    pub fn duration(mut self, name: &str) -> Self {
        self.duration = name.to_owned();
        self
    }

    /// The name, without its `_seconds`, of the histogram of time to the response head that
    /// [`DurationEnd::Both`](crate::DurationEnd::Both) adds (`http_request_head_duration` by
    /// default; OpenTelemetry has no convention for it).
    pub fn head_duration(mut self, name: &str) -> Self {
        self.head_duration = name.to_owned();
        self
    }

    /// The in-flight gauge's name, or `None` to leave it out.
    pub fn in_flight(mut self, name: Option<&str>) -> Self {
        self.in_flight = name.map(str::to_owned);
        self
    }

    /// The names, without their `_bytes`, of the body-size histograms that
    /// [`body_sizes`](crate::HttpMetricsBuilder::body_sizes) adds. (`_bytes` is appended
    /// whatever the preset, axum-prometheus' included.)
    pub fn body_sizes(mut self, request: &str, response: &str) -> Self {
        self.request_size = request.to_owned();
        self.response_size = response.to_owned();
        self.size_unit = true;
        self
    }

    /// The body-size histograms' full names, request then response.
    pub(crate) fn size_names(&self) -> [String; 2] {
        let unit = if self.size_unit { "_bytes" } else { "" };
        [&self.request_size, &self.response_size].map(|name| format!("{name}{unit}"))
    }

    /// The names of the method, route and status labels.
    pub fn labels(mut self, method: &str, route: &str, status: &str) -> Self {
        self.labels = LabelNames {
            method: method.into(),
            route: route.into(),
            status: status.into(),
        };
        self
    }

    /// The name metrics about the HTTP series (`metrics_series_folded_total{metric}`) give
    /// them: the counter's, or the histogram's without it.
    pub(crate) fn series_name(&self) -> &str {
        self.requests.as_deref().unwrap_or(&self.duration)
    }

    /// Checks every name, and that none collides with another.
    pub(crate) fn check(&self) -> Result<(), ConfigError> {
        let bad = |why: String| Err(ConfigError::Naming(why));
        let mut metrics = vec![
            format!("{}_seconds", self.duration),
            format!("{}_seconds", self.head_duration),
        ];
        metrics.extend(self.size_names());
        if let Some(requests) = &self.requests {
            if requests.ends_with("_total") {
                return bad(format!(
                    "{requests:?}: give the counter's name without `_total`, which is added"
                ));
            }
            metrics.push(format!("{requests}_total"));
        }
        for histogram in [&self.duration, &self.head_duration] {
            if histogram.ends_with("_seconds") {
                return bad(format!(
                    "{histogram:?}: give the histogram's name without `_seconds`, which is added"
                ));
            }
        }
        for histogram in [&self.request_size, &self.response_size] {
            if self.size_unit && histogram.ends_with("_bytes") {
                return bad(format!(
                    "{histogram:?}: give the histogram's name without `_bytes`, which is added"
                ));
            }
        }
        metrics.extend(self.in_flight.clone());
        for name in &metrics {
            if !is_metric_name(name) {
                return bad(format!("{name:?} is not a metric name"));
            }
        }
        use crate::base::Kind;
        // Every name a family's samples or descriptor use, so that no two families share
        // one (a counter `x` writes `x_total` and `x_created`, a histogram `x_bucket`, …).
        let mut used: Vec<(String, &str)> = Vec::new();
        let mut family = |base: String, kind: Kind, what: &'static str| {
            for name in crate::base::names(&base, kind) {
                if let Some((_, other)) = used.iter().find(|(n, _)| *n == name) {
                    return Err(ConfigError::Naming(format!(
                        "the {what} and the {other} both use the name {name:?}"
                    )));
                }
                used.push((name, what));
            }
            Ok(())
        };
        if let Some(requests) = &self.requests {
            family(requests.clone(), Kind::Counter, "counter")?;
        }
        let histogram = Kind::Histogram;
        family(format!("{}_seconds", self.duration), histogram, "histogram")?;
        family(
            format!("{}_seconds", self.head_duration),
            histogram,
            "head histogram",
        )?;
        let [request_size, response_size] = self.size_names();
        family(request_size, histogram, "request-size histogram")?;
        family(response_size, histogram, "response-size histogram")?;
        if let Some(in_flight) = &self.in_flight {
            family(in_flight.clone(), Kind::Gauge, "in-flight gauge")?;
        }
        let labels = self.labels.all();
        for name in labels {
            if !is_label_name(name) || name.starts_with("__") || name == "le" {
                return bad(format!("{name:?} cannot be a label name"));
            }
        }
        if labels[0] == labels[1] || labels[1] == labels[2] || labels[0] == labels[2] {
            return bad(format!("the labels must differ: {labels:?}"));
        }
        Ok(())
    }
}

impl LabelNames {
    pub(crate) fn all(&self) -> [&str; 3] {
        [&self.method, &self.route, &self.status]
    }
}

// The help texts of the HTTP families end with the `.` prometheus-client gives every help
// text it registers.

/// The counter's help.
pub(crate) const REQUESTS_HELP: &str =
    "Total number of HTTP requests by method, route template and status.";
/// The latency histogram's help.
pub(crate) const DURATION_HELP: &str =
    "Duration of HTTP requests from entering the middleware to the end of the response body.";
/// The request-size histogram's help.
pub(crate) const REQUEST_SIZE_HELP: &str =
    "Bytes of HTTP request bodies read by the time the request was recorded.";
/// The response-size histogram's help.
pub(crate) const RESPONSE_SIZE_HELP: &str = "Bytes of HTTP response bodies sent.";
/// The in-flight gauge's help.
pub(crate) const IN_FLIGHT_HELP: &str = "Number of HTTP requests whose response has not finished.";
/// The head histogram's help.
pub(crate) const HEAD_DURATION_HELP: &str =
    "Time from entering the middleware to the response head, of HTTP requests that had one.";
/// The open-upgraded-connections gauge's help.
pub(crate) const UPGRADES_OPEN_HELP: &str =
    "Upgraded connections (WebSockets) open now, by the method and route of their upgrade request.";
/// The upgraded-connection lifetime histogram's help.
pub(crate) const UPGRADE_DURATION_HELP: &str = "Lifetime of upgraded connections (WebSockets) that closed, from the upgrade's answer to the end of the connection.";

#[cfg(test)]
mod tests {
    use super::*;

    fn why(naming: Naming) -> String {
        naming.check().unwrap_err().to_string()
    }

    #[test]
    fn presets_are_valid_and_mistakes_are_named() {
        for preset in [
            Naming::new(),
            Naming::opentelemetry(),
            Naming::axum_prometheus(None),
            Naming::axum_prometheus(Some("shop")),
            Naming::actix_web_prom("api"),
            Naming::actix_web_prom(""),
        ] {
            assert_eq!(preset.check(), Ok(()), "{preset:?}");
        }
        assert_eq!(
            why(Naming::new().requests_total(Some("hits_total"))),
            "invalid naming: \"hits_total\": give the counter's name without `_total`, which is added"
        );
        assert_eq!(
            why(Naming::new().duration("latency_seconds")),
            "invalid naming: \"latency_seconds\": give the histogram's name without `_seconds`, which is added"
        );
        assert_eq!(
            why(Naming::new().in_flight(Some("9x"))),
            "invalid naming: \"9x\" is not a metric name"
        );
        assert_eq!(
            why(Naming::new().in_flight(Some("http_request_duration_seconds"))),
            "invalid naming: the in-flight gauge and the histogram both use the name \"http_request_duration_seconds\""
        );
        assert_eq!(
            why(Naming::new().in_flight(Some("http_requests"))),
            "invalid naming: the in-flight gauge and the counter both use the name \"http_requests\""
        );
        assert_eq!(
            why(Naming::new().in_flight(Some("http_request_duration_seconds_count"))),
            "invalid naming: the in-flight gauge and the histogram both use the name \"http_request_duration_seconds_count\""
        );
        assert_eq!(
            why(Naming::new().body_sizes("in_bytes", "out")),
            "invalid naming: \"in_bytes\": give the histogram's name without `_bytes`, which is added"
        );
        assert_eq!(
            why(Naming::new().body_sizes("io", "io")),
            "invalid naming: the response-size histogram and the request-size histogram both use the name \"io_bytes\""
        );
        assert_eq!(
            why(Naming::new().labels("method", "le", "status")),
            "invalid naming: \"le\" cannot be a label name"
        );
        assert_eq!(
            why(Naming::new().labels("a", "b", "a")),
            "invalid naming: the labels must differ: [\"a\", \"b\", \"a\"]"
        );
    }
}
