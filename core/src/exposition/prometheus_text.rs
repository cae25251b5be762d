//! Conversion of prometheus-client's OpenMetrics text into the Prometheus text format 0.0.4.
//!
//! The two formats share the sample syntax; they differ in the metadata:
//!
//! | OpenMetrics 1.0                        | Prometheus 0.0.4                          |
//! |----------------------------------------|-------------------------------------------|
//! | `# TYPE foo counter`, samples `foo_total` | `# TYPE foo_total counter` (HELP likewise) |
//! | `# TYPE foo info`, sample `foo_info`   | `# TYPE foo_info gauge`                   |
//! | `# TYPE foo unknown`                   | `# TYPE foo untyped`                      |
//! | `# TYPE foo stateset`                  | `# TYPE foo gauge`                        |
//! | `# UNIT`, `_created` samples, exemplars, `# EOF` | (none: dropped)                  |
//!
//! In 0.0.4 the `# TYPE` name must be the sample name, which is why counters and infos are
//! renamed. Help text is escaped as 0.0.4 requires (`\\` and `\n`; a quote stays literal).

use std::fmt::Write as _;

/// Appends the 0.0.4 rendering of `openmetrics` to `out`.
pub(crate) fn convert(openmetrics: &str, out: &mut String) {
    let mut help: Option<(&str, &str)> = None;
    // The current family's OpenMetrics name and type.
    let mut family: (&str, &str) = ("", "");
    for line in openmetrics.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            help = Some(rest.split_once(' ').unwrap_or((rest, "")));
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, "unknown"));
            family = (name, kind);
            let (suffix, kind_004) = match kind {
                "counter" => ("_total", "counter"),
                "info" => ("_info", "gauge"),
                "stateset" => ("", "gauge"),
                "gauge" | "histogram" | "summary" => ("", kind),
                _ => ("", "untyped"),
            };
            if let Some((_, text)) = help.take().filter(|(n, _)| *n == name) {
                out.push_str("# HELP ");
                out.push_str(name);
                out.push_str(suffix);
                out.push(' ');
                escape_help(unescape_openmetrics(text).as_ref(), out);
                out.push('\n');
            }
            let _ = writeln!(out, "# TYPE {name}{suffix} {kind_004}");
        } else if line.starts_with('#') || line.is_empty() {
            // `# UNIT`, `# EOF` and comments have no 0.0.4 counterpart.
        } else {
            let sample = strip_exemplar(line);
            if !is_created(sample, family) {
                out.push_str(sample);
                out.push('\n');
            }
        }
    }
}

/// A sample without its exemplar (` # {labels} value [timestamp]` after the value).
fn strip_exemplar(line: &str) -> &str {
    // Nearly every line has no exemplar: a substring search rules that out faster than
    // walking the label set.
    if !line.contains(" # ") {
        return line;
    }
    let after_labels = match line.find(['{', ' ']) {
        Some(i) if line.as_bytes()[i] == b'{' => labels_end(line, i),
        Some(i) => i,
        None => return line,
    };
    match line[after_labels..].find(" # ") {
        Some(j) => &line[..after_labels + j],
        None => line,
    }
}

/// Whether `sample` is a counter's, histogram's or summary's `_created` sample, which 0.0.4
/// does not have.
fn is_created(sample: &str, (family, kind): (&str, &str)) -> bool {
    matches!(kind, "counter" | "histogram" | "summary")
        && sample.contains("_created")
        && sample[..sample.find(['{', ' ']).unwrap_or(sample.len())].strip_suffix("_created")
            == Some(family)
}

/// The index just past the `}` closing the label set that opens at `open`, skipping quoted
/// values (which may contain `}` and escaped quotes).
fn labels_end(line: &str, open: usize) -> usize {
    let (mut quoted, mut escaped) = (false, false);
    for (i, b) in line.bytes().enumerate().skip(open + 1) {
        match b {
            _ if escaped => escaped = false,
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            b'}' if !quoted => return i + 1,
            _ => {}
        }
    }
    line.len()
}

/// OpenMetrics help escapes `\\`, `\n` and `\"`; recover the text before re-escaping.
pub(crate) fn unescape_openmetrics(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('\\') {
        return text.into();
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('\\', Some('\\')) => (out.push('\\'), chars.next()).1,
            ('\\', Some('n')) => (out.push('\n'), chars.next()).1,
            ('\\', Some('"')) => (out.push('"'), chars.next()).1,
            _ => (out.push(c), None).1,
        };
    }
    out.into()
}

fn escape_help(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_004(om: &str) -> String {
        let mut out = String::new();
        convert(om, &mut out);
        out
    }

    #[test]
    fn counters_take_their_sample_name_and_units_and_eof_go() {
        let om = "# HELP http_requests Total requests.\n\
                  # TYPE http_requests counter\n\
                  http_requests_total{method=\"GET\"} 3\n\
                  http_requests_created{method=\"GET\"} 1.7e9\n\
                  # HELP d_seconds Duration.\n\
                  # TYPE d_seconds histogram\n\
                  # UNIT d_seconds seconds\n\
                  d_seconds_sum 0.5\n\
                  d_seconds_count 1\n\
                  d_seconds_bucket{le=\"+Inf\"} 1\n\
                  # EOF\n";
        assert_eq!(
            to_004(om),
            "# HELP http_requests_total Total requests.\n\
             # TYPE http_requests_total counter\n\
             http_requests_total{method=\"GET\"} 3\n\
             # HELP d_seconds Duration.\n\
             # TYPE d_seconds histogram\n\
             d_seconds_sum 0.5\n\
             d_seconds_count 1\n\
             d_seconds_bucket{le=\"+Inf\"} 1\n"
        );
    }

    #[test]
    fn info_unknown_and_stateset_map_to_004_types() {
        let om = "# HELP app App.\n# TYPE app info\napp_info{version=\"1\"} 1\n\
                  # TYPE u unknown\nu 1\n# TYPE s stateset\ns{s=\"a\"} 1\n# EOF\n";
        assert_eq!(
            to_004(om),
            "# HELP app_info App.\n# TYPE app_info gauge\napp_info{version=\"1\"} 1\n\
             # TYPE u untyped\nu 1\n# TYPE s gauge\ns{s=\"a\"} 1\n"
        );
    }

    #[test]
    fn exemplars_are_dropped_but_label_values_that_look_like_them_are_kept() {
        let om = "# TYPE c counter\n\
                  c_total{a=\"x # {y} 1\"} 2 # {trace_id=\"abc\"} 1.0\n\
                  c_total{a=\"q\\\"} # \"} 4\n\
                  c_total 5 # {t=\"1\"} 1 1700000000\n";
        assert_eq!(
            to_004(om),
            "# TYPE c_total counter\n\
             c_total{a=\"x # {y} 1\"} 2\n\
             c_total{a=\"q\\\"} # \"} 4\n\
             c_total 5\n"
        );
    }

    #[test]
    fn help_is_escaped_for_004() {
        let om = "# HELP g A \\\"quoted\\\" back\\\\slash\\nline.\n# TYPE g gauge\ng 1\n";
        assert_eq!(
            to_004(om),
            "# HELP g A \"quoted\" back\\\\slash\\nline.\n# TYPE g gauge\ng 1\n"
        );
    }
}
