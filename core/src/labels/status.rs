//! How a request's outcome becomes its `status` label.

/// How the `status` label is written.
///
/// ```
/// use http_metrics_core::{HttpMetrics, StatusLabel};
///
/// // status="2xx", "4xx", ...: at most five status values per route and method.
/// let metrics = HttpMetrics::builder().status_label(StatusLabel::Class).build().unwrap();
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StatusLabel {
    /// The numeric code, `"404"` (the default).
    #[default]
    Code,
    /// The class, `"4xx"`: at most five status values per route and method.
    Class,
}

impl StatusLabel {
    /// The series key a status code is recorded under: the code itself, or the first code of
    /// its class. Codes outside `100..=999` (which `http` cannot produce) are clamped into it.
    #[inline]
    pub(crate) fn key(self, code: u16) -> u16 {
        let code = code.clamp(100, 999);
        match self {
            Self::Code => code,
            Self::Class => code - code % 100,
        }
    }
}

/// Where the latency histogram's measurement of a request ends. It always starts when the
/// request enters the middleware.
///
/// ```
/// use http_metrics_core::{DurationEnd, HttpMetrics};
///
/// let metrics = HttpMetrics::builder().duration_end(DurationEnd::Head).build().unwrap();
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DurationEnd {
    /// When the response body has ended, or the request is otherwise recorded (the default):
    /// what the client waits for, streaming included.
    #[default]
    Body,
    /// When the response head exists: the handler's time to first byte, independent of how
    /// long a streamed body or a slow client takes. The request still counts as in flight,
    /// and is counted, when its body ends.
    Head,
    /// Both, for services with streaming responses: the latency histogram ends at the body
    /// (as [`DurationEnd::Body`]), and a second histogram,
    /// `http_request_head_duration_seconds` (named by
    /// [`Naming::head_duration`](crate::Naming::head_duration)), at the response head, with
    /// the same labels. A request that never has a head is in the first only.
    ///
    /// ```
    /// use http_metrics_core::adapter::{MethodLabel, RouteHandle};
    /// use http_metrics_core::{DurationEnd, Format, HttpMetrics};
    ///
    /// let metrics = HttpMetrics::builder().duration_end(DurationEnd::Both).build().unwrap();
    /// let mut guard = RouteHandle::resolve(&metrics, "/events").start(MethodLabel::Get).unwrap();
    /// guard.set_status(200); // the response head
    /// guard.finish(); // the end of its body
    /// let text = metrics.encode(Format::Prometheus).unwrap();
    /// let labels = r#"{method="GET",route="/events",status="200"}"#;
    /// assert!(text.contains(&format!("http_request_duration_seconds_count{labels} 1")));
    /// assert!(text.contains(&format!("http_request_head_duration_seconds_count{labels} 1")));
    /// ```
    Both,
}

/// How a request ended, as the guard observed it.
///
/// The adapters report what they see; the core alone decides which status each outcome is
/// recorded with (see [`crate::HttpMetricsBuilder::cancelled_status`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A response head was produced with this status code.
    Response(u16),
    /// The inner service returned an error instead of a response.
    Error,
    /// The request was dropped before a response head existed (client disconnect, timeout).
    Cancelled,
    /// A panic unwound through the request before a response head existed.
    Panicked,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(mode: StatusLabel, code: u16) -> String {
        crate::snapshot::view::status_value(mode, mode.key(code)).to_owned()
    }

    #[test]
    fn code_and_class_labels() {
        assert_eq!(label(StatusLabel::Code, 200), "200");
        assert_eq!(label(StatusLabel::Code, 499), "499");
        assert_eq!(label(StatusLabel::Class, 201), "2xx");
        assert_eq!(label(StatusLabel::Class, 503), "5xx");
        assert_eq!(label(StatusLabel::Class, 999), "9xx");
    }

    #[test]
    fn out_of_range_codes_are_clamped() {
        assert_eq!(StatusLabel::Code.key(0), 100);
        assert_eq!(StatusLabel::Code.key(1000), 999);
        assert_eq!(StatusLabel::Class.key(42), 100);
    }
}
