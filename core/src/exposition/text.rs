//! OpenMetrics text (1.0.0, also served as 0.0.1) and the Prometheus text format (0.0.4, also
//! served as 1.0.0: one syntax, names outside the classic set quoted under `allow-utf-8`),
//! written from a snapshot, line
//! for line as prometheus-client writes its families (the same digits: `itoa` and `dtoa`).
//!
//! The two formats share the sample syntax and differ in the metadata:
//!
//! | | OpenMetrics 1.0 | Prometheus 0.0.4 |
//! |---|---|---|
//! | a counter | `# TYPE foo counter`, samples `foo_total` | `# TYPE foo_total counter` (its `# HELP` likewise) |
//! | an info metric | `# TYPE foo info`, sample `foo_info` | `# TYPE foo_info gauge` |
//! | an untyped metric | `# TYPE foo unknown` | `# TYPE foo untyped` |
//! | help | `\\`, `\n` and `"` escaped | `\\` and `\n` escaped |
//! | `# UNIT`, exemplars, `# EOF` | written | none |
//!
//! The HTTP families' labels come rendered from the snapshot (each series' once in its
//! lifetime, the constant labels and each `le` once per registry), so that writing one of
//! their lines is copying its pieces.

use std::fmt::Write as _;

use crate::base::{escape_into, is_metric_name, Escaping};
use crate::model::{float, Kind, Number};
#[cfg(feature = "exemplars")]
use crate::snapshot::view::ExemplarInner;
use crate::snapshot::view::{FamilyInner, SeriesInner};
use crate::snapshot::{ExemplarRef, FamilyRef, HistogramRef, SeriesRef, Snapshot, ValueRef};
use crate::Format;

/// Appends every family of `snapshot` in `format` (OpenMetrics or Prometheus text) to `out`,
/// its names written as `escaping` has them.
/// With `created`, each series' start time follows it as a `_created` line (OpenMetrics).
pub(crate) fn write(
    snapshot: &Snapshot<'_>,
    format: Format,
    escaping: Escaping,
    created: bool,
    out: &mut String,
) {
    write_families(snapshot.families(), format, escaping, created, out);
}

/// Appends `families` in `format`, `# EOF` last in OpenMetrics.
pub(crate) fn write_families<'s>(
    families: impl Iterator<Item = FamilyRef<'s>>,
    format: Format,
    escaping: Escaping,
    created: bool,
    out: &mut String,
) {
    let openmetrics = format == Format::OpenMetrics;
    for family in families {
        let mut writer = Writer::new(&mut *out, openmetrics, escaping, family);
        writer.created = created && openmetrics;
        writer.family();
    }
    if openmetrics {
        out.push_str("# EOF\n");
    }
}

/// `families` alone in `format`, without `# EOF`: for tests of what builds them.
#[cfg(test)]
pub(crate) fn families_text(families: &[crate::model::Family], format: Format) -> String {
    let mut out = String::new();
    for family in families {
        let family = FamilyRef(FamilyInner::Owned(family));
        Writer::new(
            &mut out,
            format == Format::OpenMetrics,
            Escaping::Underscores,
            family,
        )
        .family();
    }
    out
}

struct Writer<'o, 's> {
    out: &'o mut String,
    openmetrics: bool,
    escaping: Escaping,
    family: FamilyRef<'s>,
    /// The family's name, which every sample line begins with.
    name: &'s str,
    /// Whether the name goes inside the braces, quoted (`allow-utf-8`, a name outside the
    /// classic set).
    quoted: bool,
    /// Whether the escaping writes the name and its suffixes as they are, checked once per
    /// family rather than on each line.
    plain: bool,
    /// The HTTP families' constant labels, rendered: `None` when the label names must be
    /// escaped one by one.
    const_text: Option<&'s str>,
    /// Whether start times are written as `_created` lines.
    created: bool,
}

impl<'o, 's> Writer<'o, 's> {
    fn new(
        out: &'o mut String,
        openmetrics: bool,
        escaping: Escaping,
        family: FamilyRef<'s>,
    ) -> Self {
        let const_text = match family.0 {
            FamilyInner::Http(read, _) if escaping != Escaping::Dots => {
                Some(read.families.const_text.as_str())
            }
            _ => None,
        };
        let name = family.name();
        Self {
            out,
            openmetrics,
            escaping,
            family,
            name,
            quoted: escaping == Escaping::AllowUtf8 && !is_metric_name(name),
            plain: escaping.keeps(name, true) && escaping != Escaping::Dots,
            const_text,
            created: false,
        }
    }
}

/// Appends metric name `name` `suffix` as `escaping` writes it, quoted when `allow-utf-8`
/// keeps a name outside the classic set.
fn push_metric_name(out: &mut String, escaping: Escaping, name: &str, suffix: &str) {
    if escaping.keeps(name, true) && (suffix.is_empty() || escaping != Escaping::Dots) {
        out.push_str(name);
        out.push_str(suffix);
    } else if escaping == Escaping::AllowUtf8 {
        out.push('"');
        escape_into(name, out);
        out.push_str(suffix);
        out.push('"');
    } else {
        escaping.write_name(&format!("{name}{suffix}"), true, out);
    }
}

/// Appends label name `name` as `escaping` writes it, quoted when `allow-utf-8` keeps a name
/// outside the classic set.
fn push_label_name(out: &mut String, escaping: Escaping, name: &str) {
    if escaping.keeps(name, false) {
        out.push_str(name);
    } else if escaping == Escaping::AllowUtf8 {
        out.push('"');
        escape_into(name, out);
        out.push('"');
    } else {
        escaping.write_name(name, false, out);
    }
}

impl Writer<'_, '_> {
    fn family(&mut self) {
        self.header();
        for series in self.family.series() {
            match series.value() {
                ValueRef::Counter(total, exemplar) => self.counter(series, total, exemplar),
                ValueRef::Gauge(value) => {
                    self.sample(series, "", None);
                    self.number(value);
                }
                ValueRef::Histogram(histogram) => self.histogram(series, histogram),
                ValueRef::Summary(summary) => self.summary(series, summary),
                ValueRef::Info => {
                    self.sample(series, "_info", None);
                    self.out.push('1');
                }
            }
            self.out.push('\n');
            if let Some(created) = series.created().filter(|_| self.created) {
                self.sample(series, "_created", None);
                self.out.push_str(dtoa::Buffer::new().format(created));
                self.out.push('\n');
            }
        }
    }

    /// `# HELP`, `# TYPE` and, in OpenMetrics, `# UNIT`.
    fn header(&mut self) {
        let family = self.family;
        let (suffix, kind) = match (self.openmetrics, family.kind()) {
            (false, Kind::Counter) => ("_total", "counter"),
            (false, Kind::Info) => ("_info", "gauge"),
            (false, Kind::Unknown) => ("", "untyped"),
            (_, kind) => ("", kind.as_str()),
        };
        let out = &mut *self.out;
        for (line, text) in [("# HELP ", None), ("# TYPE ", Some(kind))] {
            out.push_str(line);
            push_metric_name(out, self.escaping, family.name(), suffix);
            out.push(' ');
            match text {
                Some(kind) => out.push_str(kind),
                None if self.openmetrics => escape_into(family.help(), out),
                None => escape_help_004(family.help(), out),
            }
            out.push('\n');
        }
        if self.openmetrics && !family.unit().is_empty() {
            out.push_str("# UNIT ");
            push_metric_name(out, self.escaping, family.name(), "");
            out.push(' ');
            out.push_str(family.unit());
            out.push('\n');
        }
    }

    /// `name` `suffix`, the series' labels with `extra` among them, and a space.
    fn sample(&mut self, series: SeriesRef<'_>, suffix: &str, extra: Option<Placed<'_>>) {
        let out = &mut *self.out;
        if self.plain {
            out.push_str(self.name);
            out.push_str(suffix);
        } else if self.quoted {
            out.push_str("{\"");
            escape_into(self.name, out);
            out.push_str(suffix);
            out.push('"');
        } else {
            push_metric_name(out, self.escaping, self.name, suffix);
        }
        if let (Some(rendered), Some(const_text)) = (series.rendered(), self.const_text) {
            // The constant labels and `le` come rendered with their trailing commas.
            out.push('{');
            out.push_str(const_text);
            match extra.map(|placed| placed.extra) {
                Some(Extra::Rendered(text)) => out.push_str(text),
                Some(pair) => {
                    pair.write(out);
                    out.push(',');
                }
                None => {}
            }
            out.push_str(rendered);
            out.push_str("} ");
            return;
        }
        let labels = series.labels();
        let len = labels.len();
        let extra_at = match extra {
            None => usize::MAX,
            Some(placed) if placed.last => len,
            Some(_) => series.registry_labels().min(len),
        };
        if len == 0 && extra.is_none() {
            out.push_str(if self.quoted { "} " } else { " " });
            return;
        }
        let mut separator = if self.quoted { "," } else { "" };
        if !self.quoted {
            out.push('{');
        }
        for (i, (name, value)) in labels.iter().enumerate() {
            if i == extra_at {
                if let Some(placed) = extra {
                    out.push_str(separator);
                    placed.extra.write(out);
                    separator = ",";
                }
            }
            out.push_str(separator);
            separator = ",";
            push_label_name(out, self.escaping, name);
            out.push_str("=\"");
            escape_into(value, out);
            out.push('"');
        }
        if let (true, Some(placed)) = (extra_at >= len, extra) {
            out.push_str(separator);
            placed.extra.write(out);
        }
        out.push_str("} ");
    }

    fn number(&mut self, value: Number) {
        match value {
            Number::Int(n) => self.out.push_str(itoa::Buffer::new().format(n)),
            Number::UInt(n) => self.out.push_str(itoa::Buffer::new().format(n)),
            Number::Float(v) => self.out.push_str(float(v, &mut dtoa::Buffer::new())),
        }
    }

    fn counter(&mut self, series: SeriesRef<'_>, total: Number, exemplar: Option<ExemplarRef<'_>>) {
        self.sample(series, "_total", None);
        self.number(total);
        if let Some(exemplar) = exemplar.filter(|_| self.openmetrics) {
            self.exemplar(exemplar);
        }
    }

    /// `_sum`, `_count`, then the cumulative buckets.
    fn histogram(&mut self, series: SeriesRef<'_>, histogram: HistogramRef<'_>) {
        self.sample(series, "_sum", None);
        self.out
            .push_str(dtoa::Buffer::new().format(histogram.sum()));
        self.out.push('\n');
        self.sample(series, "_count", None);
        self.out
            .push_str(itoa::Buffer::new().format(histogram.count()));
        let http_le = match (self.family.0, series.0, self.const_text) {
            (FamilyInner::Http(read, family), SeriesInner::Http(..), Some(_)) => {
                Some(read.families.le_labels(family))
            }
            _ => None,
        };
        for (i, bucket) in histogram.buckets().enumerate() {
            self.out.push('\n');
            let mut buffer = dtoa::Buffer::new();
            let le = match http_le {
                Some(rendered) => Extra::Rendered(&rendered[i]),
                None if bucket.upper_bound == f64::INFINITY => Extra::Pair("le", "+Inf"),
                None => Extra::Pair("le", buffer.format(bucket.upper_bound)),
            };
            self.sample(series, "_bucket", Some(le.first()));
            self.out.push_str(itoa::Buffer::new().format(bucket.count));
            if let Some(exemplar) = bucket.exemplar.filter(|_| self.openmetrics) {
                self.exemplar(exemplar);
            }
        }
    }

    /// Each quantile, `_sum` and `_count`, the values as Rust's shortest display of them.
    fn summary(&mut self, series: SeriesRef<'_>, summary: &crate::model::Summary) {
        for (i, &(quantile, value)) in summary.quantiles.iter().enumerate() {
            if i > 0 {
                self.out.push('\n');
            }
            let quantile = quantile.to_string();
            self.sample(series, "", Some(Extra::Pair("quantile", &quantile).last()));
            display(value, self.out);
        }
        if !summary.quantiles.is_empty() {
            self.out.push('\n');
        }
        self.sample(series, "_sum", None);
        display(summary.sum, self.out);
        self.out.push('\n');
        self.sample(series, "_count", None);
        self.out.push_str(itoa::Buffer::new().format(summary.count));
    }

    /// ` # {labels} value timestamp`.
    fn exemplar(&mut self, exemplar: ExemplarRef<'_>) {
        let out = &mut *self.out;
        out.push_str(" # {");
        match exemplar.0 {
            #[cfg(feature = "exemplars")]
            ExemplarInner::Trace(stored, _) => {
                out.push_str("trace_id=\"");
                crate::http::exemplar::push_hex(&stored.trace.trace_id, out);
                out.push_str("\",span_id=\"");
                crate::http::exemplar::push_hex(&stored.trace.span_id, out);
                out.push('"');
            }
            _ => {
                for (i, (name, value)) in exemplar.labels().iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(name);
                    out.push_str("=\"");
                    escape_into(value, out);
                    out.push('"');
                }
            }
        }
        out.push_str("} ");
        if exemplar.is_increment() {
            out.push('1');
        } else {
            out.push_str(float(exemplar.value(), &mut dtoa::Buffer::new()));
        }
        if let Some(timestamp) = exemplar.timestamp() {
            out.push(' ');
            out.push_str(dtoa::Buffer::new().format(timestamp));
        }
    }
}

/// A label a sample adds to its series': a histogram bucket's `le`, a summary's `quantile`.
#[derive(Clone, Copy)]
enum Extra<'a> {
    /// Rendered once per registry, with its trailing comma: `le="0.005",`.
    Rendered(&'a str),
    Pair(&'static str, &'a str),
}

/// An [`Extra`] and where it goes: after the registry's labels, or last.
#[derive(Clone, Copy)]
struct Placed<'a> {
    extra: Extra<'a>,
    last: bool,
}

impl<'a> Extra<'a> {
    fn first(self) -> Placed<'a> {
        Placed {
            extra: self,
            last: false,
        }
    }

    fn last(self) -> Placed<'a> {
        Placed {
            extra: self,
            last: true,
        }
    }
}

impl Extra<'_> {
    /// Writes the label, without a trailing comma.
    fn write(&self, out: &mut String) {
        match self {
            Extra::Rendered(text) => out.push_str(text.strip_suffix(',').unwrap_or(text)),
            Extra::Pair(name, value) => {
                out.push_str(name);
                out.push_str("=\"");
                out.push_str(value);
                out.push('"');
            }
        }
    }
}

/// A float as Rust displays it, with the text formats' `NaN`, `+Inf` and `-Inf`: how
/// summaries' values are written.
fn display(value: f64, out: &mut String) {
    if value.is_nan() {
        out.push_str("NaN");
    } else if value.is_infinite() {
        out.push_str(if value > 0.0 { "+Inf" } else { "-Inf" });
    } else {
        let _ = write!(out, "{value}");
    }
}

/// Help as the Prometheus text format 0.0.4 escapes it: `\\` and `\n` (a quote stays).
fn escape_help_004(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}
