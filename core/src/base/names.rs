//! The rules of names: what a metric or label name may be, the names a family of each kind
//! writes, and how text is escaped in the text formats.

use prometheus_client::metrics::MetricType;

pub(crate) fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// A label name as Prometheus accepts it: `[a-zA-Z_][a-zA-Z0-9_]*`.
pub(crate) fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A family's type, as far as the sample names it writes go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Counter,
    Gauge,
    Histogram,
    Summary,
    Info,
    Unknown,
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

/// Escapes help text as OpenMetrics requires (`\\`, `\n`, `\"`); the Prometheus 0.0.4
/// rendering unescapes and re-escapes it for that format.
pub(crate) fn escape_help(help: &str) -> String {
    let mut out = String::with_capacity(help.len());
    escape_into(help, &mut out);
    out
}
