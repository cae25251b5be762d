//! OpenTelemetry names and units in Prometheus' words, as the OpenTelemetry specification's
//! "Prometheus and OpenMetrics Compatibility" says and Prometheus' own OTLP translator
//! (`prometheus/otlptranslator`, the collector's `pkg/translator/prometheus` before it)
//! writes them, with its "underscore escaping with suffixes" strategy, the default.
//!
//! Where the two differ this follows the translator, whose names a Prometheus that ingests
//! OTLP gives the same metrics:
//! - a unit is not appended when the name already has its word as one of its `_`-separated
//!   parts (the specification: when the name ends with it);
//! - a counter's `total` part moves to the end, after the unit (`cache.total.hits` →
//!   `cache_hits_total`), and a unit-`1` gauge's `ratio` likewise;
//! - a gauge of unit `1` gets `_ratio` (a rule the specification dropped in 2026);
//! - units keep the translator's words (`TiBy` is `tibibytes`).
//!
//! And where this departs from both, it is to keep a scrape Prometheus accepts: a label name
//! the translator would keep reserved (`__name__`, any `__x__`) has its underscores collapsed
//! like any other (`_name_`), since a sample's own `__name__` label would clash with its
//! name; a key that is only underscores, or nothing, is left out (the translator refuses
//! it); and a metric name with no character Prometheus allows is left out.

use std::borrow::Cow;

/// The Prometheus family name of an OpenTelemetry metric `name` of unit `unit`, split in
/// two: the name without the unit word, and the unit word, which the exposition appends
/// (`_seconds`, `_bytes_per_second`), when there is one to append. A counter's (`counter`:
/// a monotonic sum) `_total` comes after both and is added by the exposition too: a
/// `total` part of its name is moved there. An OpenTelemetry gauge (`gauge`, not a
/// non-monotonic sum, which is a gauge in Prometheus too) of unit `1` gets `ratio`. `None`
/// when nothing of the name can be written.
pub(crate) fn metric_name(
    name: &str,
    unit: &str,
    counter: bool,
    gauge: bool,
    utf8: bool,
) -> Option<(String, Option<String>)> {
    if utf8 {
        return utf8_metric_name(name, unit, counter, gauge);
    }
    // Parts between the characters a name cannot have, `_` among them (which collapses its
    // runs); `:` is a name's character.
    let mut parts: Vec<&str> = name
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == ':'))
        .filter(|p| !p.is_empty())
        .collect();
    if counter {
        // The counter's `total` goes after the unit, where the exposition writes it.
        parts.retain(|p| *p != "total");
    }
    let mut unit_words: Vec<String> = Vec::new();
    let unit = unit.trim();
    let (main, per) = match unit.split_once('/') {
        Some((main, per)) => (main, Some(per)),
        None => (unit, None),
    };
    if let Some(word) = main_unit(main) {
        let word = clean(&word);
        if !word.is_empty() && !parts.contains(&word.as_str()) {
            unit_words.push(word);
        }
    }
    if let Some(per) = per.and_then(per_unit) {
        unit_words.push(format!("per_{}", clean(&per)));
    }
    if gauge && unit == "1" {
        parts.retain(|p| *p != "ratio");
        unit_words.push("ratio".into());
    }
    let mut stem = parts.join("_");
    if stem.is_empty() {
        // Nothing but a unit: the unit is the name (`...` in bytes is `bytes`).
        return (!unit_words.is_empty()).then(|| (unit_words.join("_"), None));
    }
    if stem.starts_with(|c: char| c.is_ascii_digit()) {
        stem.insert(0, '_');
    }
    let unit = (!unit_words.is_empty()).then(|| unit_words.join("_"));
    Some((stem, unit))
}

/// [`metric_name`] in Prometheus' `NoUTF8EscapingWithSuffixes` strategy: the name as it is,
/// the unit's words (when the name does not end with them already) and a unit-`1` gauge's
/// `ratio` after it; a counter's trailing `_total` is left to the exposition.
fn utf8_metric_name(
    name: &str,
    unit: &str,
    counter: bool,
    gauge: bool,
) -> Option<(String, Option<String>)> {
    let mut stem = name;
    if counter {
        stem = stem.strip_suffix("_total").unwrap_or(stem);
    }
    if stem.is_empty() {
        return None;
    }
    let unit = unit.trim();
    let (main, per) = match unit.split_once('/') {
        Some((main, per)) => (main, Some(per)),
        None => (unit, None),
    };
    let mut words: Vec<String> = Vec::new();
    if let Some(word) = main_unit(main).map(|w| clean(&w)).filter(|w| !w.is_empty()) {
        if !stem.ends_with(&word) {
            words.push(word);
        }
    }
    if let Some(per) = per.and_then(per_unit) {
        let word = format!("per_{}", clean(&per));
        if !stem.ends_with(&word) {
            words.push(word);
        }
    }
    if gauge && unit == "1" && !stem.ends_with("ratio") {
        words.push("ratio".into());
    }
    let unit = (!words.is_empty()).then(|| words.join("_"));
    Some((stem.to_owned(), unit))
}

/// The Prometheus word of a unit (UCUM's case-sensitive codes), or `None` for no unit (empty,
/// `1`, or an annotation in braces). An unknown unit is its own word.
fn main_unit(unit: &str) -> Option<String> {
    if unit.is_empty() || unit.contains(['{', '}']) {
        return None;
    }
    let word = match unit {
        "1" => return None,
        "d" => "days",
        "h" => "hours",
        "min" => "minutes",
        "s" => "seconds",
        "ms" => "milliseconds",
        "us" => "microseconds",
        "ns" => "nanoseconds",
        "By" => "bytes",
        "KiBy" => "kibibytes",
        "MiBy" => "mebibytes",
        "GiBy" => "gibibytes",
        "TiBy" => "tibibytes",
        "KBy" => "kilobytes",
        "MBy" => "megabytes",
        "GBy" => "gigabytes",
        "TBy" => "terabytes",
        "m" => "meters",
        "V" => "volts",
        "A" => "amperes",
        "J" => "joules",
        "W" => "watts",
        "g" => "grams",
        "Cel" => "celsius",
        "Hz" => "hertz",
        "%" => "percent",
        other => other,
    };
    Some(word.to_owned())
}

/// The word after `per_` of a unit's denominator, or `None` for an annotation in braces.
fn per_unit(unit: &str) -> Option<String> {
    if unit.is_empty() || unit.contains(['{', '}']) {
        return None;
    }
    Some(
        match unit {
            "s" => "second",
            "m" => "minute",
            "h" => "hour",
            "d" => "day",
            "w" => "week",
            "mo" => "month",
            "y" => "year",
            other => other,
        }
        .to_owned(),
    )
}

/// A unit word as a name's part: characters a name cannot have become `_`, and `_` runs at
/// its ends go.
fn clean(word: &str) -> String {
    let cleaned: String = word
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    cleaned
        .split('_')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

/// The Prometheus label name of an OpenTelemetry attribute key: each run of characters a
/// label cannot have (`_` among them) becomes one `_`, and a key starting with a digit gets
/// `key_` in front. A key that is a label name already is borrowed as it is; `None` for a key
/// with no character a label can have (or none at all).
pub(crate) fn label_name(key: &str, utf8: bool) -> Option<Cow<'_, str>> {
    // Kept as it is, but for the reserved `__` names, which are sanitized like any.
    if utf8 && !key.is_empty() && !key.starts_with("__") {
        return Some(Cow::Borrowed(key));
    }
    let valid = http_metrics_core::names::is_label_name(key)
        && key.bytes().any(|b| b != b'_')
        && !key.contains("__");
    if valid {
        return Some(Cow::Borrowed(key));
    }
    let mut name = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_alphanumeric() {
            name.push(c);
        } else if !name.ends_with('_') {
            name.push('_');
        }
    }
    if name.bytes().all(|b| b == b'_') {
        return None;
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, "key_");
    }
    Some(Cow::Owned(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The full name as the exposition writes it: the stem, the unit, and a counter's
    /// `_total`.
    fn full(name: &str, unit: &str, kind: &str) -> String {
        let (stem, unit) =
            metric_name(name, unit, kind == "counter", kind == "gauge", false).unwrap();
        let mut out = stem;
        if let Some(unit) = unit {
            out.push('_');
            out.push_str(&unit);
        }
        if kind == "counter" {
            out.push_str("_total");
        }
        out
    }

    /// The translator's own test cases (`normalize_name_test.go` of the collector's
    /// `pkg/translator/prometheus`), and the specification's example.
    #[test]
    fn names_are_the_translators() {
        #[rustfmt::skip]
        let cases = [
            ("system.filesystem.usage", "By", "gauge", "system_filesystem_usage_bytes"),
            ("system.io", "By", "counter", "system_io_bytes_total"),
            ("network_transmitted_bytes_total", "By", "counter", "network_transmitted_bytes_total"),
            ("system.network.dropped", "{packets}", "gauge", "system_network_dropped"),
            ("system.network.dropped", "{packets}", "counter", "system_network_dropped_total"),
            ("system.network.dropped", "packets", "gauge", "system_network_dropped_packets"),
            ("system.network.packets.dropped", "packets", "gauge", "system_network_packets_dropped"),
            ("hw.gpu.memory.utilization", "1", "gauge", "hw_gpu_memory_utilization_ratio"),
            ("hw.fan.speed_ratio", "1", "gauge", "hw_fan_speed_ratio"),
            ("objects", "1", "counter", "objects_total"),
            ("broken.metric.speed", "km/h", "gauge", "broken_metric_speed_km_per_hour"),
            ("astro.light.speed_limit", "m/s", "gauge", "astro_light_speed_limit_meters_per_second"),
            ("broken.metric.success_ratio", "%", "gauge", "broken_metric_success_ratio_percent"),
            ("mongodbatlas.process.network.io", "By/s", "gauge", "mongodbatlas_process_network_io_bytes_per_second"),
            ("mongodbatlas.process.oplog.rate", "GiBy/h", "gauge", "mongodbatlas_process_oplog_rate_gibibytes_per_hour"),
            ("active_directory.ds.replication.object.rate", "{objects}/s", "gauge", "active_directory_ds_replication_object_rate_per_second"),
            ("system.disk.operation_time", "s", "counter", "system_disk_operation_time_seconds_total"),
            ("redis.latest_fork", "us", "gauge", "redis_latest_fork_microseconds"),
            ("nsxt.node.memory.usage", "KBy", "gauge", "nsxt_node_memory_usage_kilobytes"),
            ("3.14 digits", "", "gauge", "_3_14_digits"),
            ("envoy__rule_engine_zlib_buf_error", "", "gauge", "envoy_rule_engine_zlib_buf_error"),
            (":foo::bar", "", "counter", ":foo::bar_total"),
            // The specification's example.
            ("foo.bar", "By", "counter", "foo_bar_bytes_total"),
            // The cases below are this module's own.
            // Histograms and up-down counters (sums, not gauges) get no `_ratio` or `_total`.
            ("http.server.request.duration", "s", "histogram", "http_server_request_duration_seconds"),
            ("requests_active", "1", "sum", "requests_active"),
            ("MyCounter", "1", "counter", "MyCounter_total"),
            // `total` moves behind the unit on a counter, and stays put elsewhere.
            ("cache.total.hits", "{hit}", "counter", "cache_hits_total"),
            ("queue.total.size", "By", "gauge", "queue_total_size_bytes"),
            // A name that is only a unit's.
            ("...", "By", "gauge", "bytes"),
        ];
        for (name, unit, kind, expected) in cases {
            assert_eq!(full(name, unit, kind), expected, "{name} {unit} {kind}");
        }
    }

    /// The translator's `label_namer_test.go`, its default (runs of `_` collapsed).
    #[test]
    fn labels_are_the_translators() {
        for (key, expected) in [
            ("label:with:colons", Some("label_with_colons")),
            ("LabelWithCapitalLetters", Some("LabelWithCapitalLetters")),
            (
                "label!with&special$chars)",
                Some("label_with_special_chars_"),
            ),
            (
                "label_with_foreign_characters_字符",
                Some("label_with_foreign_characters_"),
            ),
            ("label.with.dots", Some("label_with_dots")),
            (".foo", Some("_foo")),
            ("123label", Some("key_123label")),
            (
                "_label_starting_with_underscore",
                Some("_label_starting_with_underscore"),
            ),
            (
                "__label_starting_with_2underscores",
                Some("_label_starting_with_2underscores"),
            ),
            ("ようこそ", None),
            (
                "label__with__double__underscores",
                Some("label_with_double_underscores"),
            ),
            (
                "label.name__with&&special##chars",
                Some("label_name_with_special_chars"),
            ),
            ("trailing_underscores___", Some("trailing_underscores_")),
            ("", None),
            ("__", None),
            // Where this departs from the translator, which keeps a reserved name reserved.
            ("__reserved__label__name__", Some("_reserved_label_name_")),
            ("__name__", Some("_name_")),
            // The specification's examples.
            ("host.name", Some("host_name")),
            ("2 cents", Some("key_2_cents")),
        ] {
            assert_eq!(label_name(key, false).as_deref(), expected, "{key}");
        }
    }

    #[test]
    fn a_valid_key_is_borrowed() {
        assert!(matches!(
            label_name("service_name", false),
            Some(Cow::Borrowed(_))
        ));
        assert!(matches!(
            label_name("service.name", false),
            Some(Cow::Owned(_))
        ));
    }

    #[test]
    fn a_name_with_nothing_to_write_is_none() {
        assert_eq!(metric_name("...", "", false, false, false), None);
        assert_eq!(metric_name("ようこそ", "{thing}", true, false, false), None);
    }

    /// Prometheus' `NoUTF8EscapingWithSuffixes`: names as they are, with the suffixes.
    #[test]
    fn utf8_names_keep_the_name_and_add_the_suffixes() {
        let cases = [
            (
                "payments.duration",
                "s",
                "histogram",
                "payments.duration_seconds",
            ),
            (
                "payments.duration_seconds",
                "s",
                "histogram",
                "payments.duration_seconds",
            ),
            ("payments.processed", "", "counter", "payments.processed"),
            (
                "payments.processed_total",
                "",
                "counter",
                "payments.processed",
            ),
            ("cpu.utilization", "1", "gauge", "cpu.utilization_ratio"),
            ("throughput", "By/s", "gauge", "throughput_bytes_per_second"),
        ];
        for (name, unit, kind, expected) in cases {
            let (stem, word) =
                metric_name(name, unit, kind == "counter", kind == "gauge", true).unwrap();
            let full = word.map_or(stem.clone(), |word| format!("{stem}_{word}"));
            assert_eq!(full, expected, "{name} {unit:?}");
        }
        assert_eq!(
            label_name("payment.method", true).as_deref(),
            Some("payment.method")
        );
        assert_eq!(label_name("__name__", true).as_deref(), Some("_name_"));
        assert_eq!(label_name("", true), None);
    }
}
