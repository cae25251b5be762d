//! The rules of names: what a metric or label name may be, the names a family of each kind
//! writes, and how text is escaped in the text formats.

use prometheus_client::metrics::MetricType;

/// Whether `name` is a metric name as Prometheus' classic rules have it:
/// `[a-zA-Z_:][a-zA-Z0-9_:]*`.
///
/// ```
/// use http_metrics_core::names::is_metric_name;
///
/// assert!(is_metric_name("http_requests_total"));
/// assert!(!is_metric_name("9lives"));
/// ```
pub fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// Whether `name` is a label name as Prometheus' classic rules have it:
/// `[a-zA-Z_][a-zA-Z0-9_]*`.
///
/// ```
/// use http_metrics_core::names::is_label_name;
///
/// assert!(is_label_name("route"));
/// assert!(!is_label_name("a-b"));
/// ```
pub fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A family's type: which samples it writes, and how each format declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Kind {
    /// A counter: `<name>_total`.
    Counter,
    /// A gauge: `<name>`.
    Gauge,
    /// A histogram: `<name>_bucket`, `_sum` and `_count` (or, in protobuf, native buckets).
    Histogram,
    /// A summary: `<name>{quantile}`, `_sum` and `_count`.
    Summary,
    /// An info metric: `<name>_info`, whose labels are the information.
    Info,
    /// An untyped metric: `<name>`.
    Unknown,
}

impl Kind {
    /// The type as OpenMetrics' `# TYPE` line writes it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Counter => "counter",
            Self::Gauge => "gauge",
            Self::Histogram => "histogram",
            Self::Summary => "summary",
            Self::Info => "info",
            Self::Unknown => "unknown",
        }
    }
}

impl From<MetricType> for Kind {
    fn from(kind: MetricType) -> Self {
        match kind {
            MetricType::Counter => Kind::Counter,
            MetricType::Gauge => Kind::Gauge,
            MetricType::Histogram => Kind::Histogram,
            MetricType::Info => Kind::Info,
            MetricType::Unknown => Kind::Unknown,
        }
    }
}

/// The names family `name` of `kind` puts in an exposition: its own (the `# TYPE` line's),
/// then its samples'.
pub(crate) fn names(name: &str, kind: Kind) -> Vec<String> {
    let suffixes: &[&str] = match kind {
        Kind::Counter => &["_total", "_created"],
        Kind::Gauge | Kind::Unknown => &[],
        Kind::Histogram => &["_bucket", "_sum", "_count", "_created"],
        Kind::Summary => &["_sum", "_count", "_created"],
        Kind::Info => &["_info"],
    };
    std::iter::once(name.to_owned())
        .chain(suffixes.iter().map(|suffix| format!("{name}{suffix}")))
        .collect()
}

/// Appends `text` escaped as OpenMetrics requires in label values and help (`\\`, `\n`,
/// `\"`); the Prometheus 0.0.4 rendering reads these escapes back.
pub(crate) fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '"' => out.push_str("\\\""),
            c => out.push(c),
        }
    }
}
