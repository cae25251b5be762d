//! OpenTelemetry names and units in Prometheus' words, as the OpenTelemetry specification's
//! "Prometheus and OpenMetrics Compatibility" says and Prometheus' own OTLP translator
//! (`prometheus/otlptranslator`, the collector's `pkg/translator/prometheus` before it)
//! writes them, with its "underscore escaping with suffixes" strategy, the default.
//!
//! Where the two differ this follows the translator, whose names a Prometheus that ingests
//! OTLP gives the same metrics:
//! - a unit is not appended when the name already has its word as one of its `_`-separated
//!   parts (the specification: when the name ends with it);
//! - a gauge of unit `1` gets `_ratio` (a rule the specification dropped in 2026);
//! - label names keep runs of `_` as they are (the specification: SHOULD collapse them).

use std::borrow::Cow;

/// The Prometheus family name of an OpenTelemetry metric `name` of unit `unit`, split in
/// two: the name without the unit word, and the unit word, which the exposition appends
/// (`_seconds`, `_bytes_per_second`), when there is one to append. A counter's (`counter`:
/// a monotonic sum) `_total` comes after both and is added by the exposition too: a
/// `total` part of its name is moved there. An OpenTelemetry gauge (`gauge`, not a
/// non-monotonic sum, which is a gauge in Prometheus too) of unit `1` gets `ratio`.
pub(crate) fn metric_name(
    name: &str,
    unit: &str,
    counter: bool,
    gauge: bool,
) -> (String, Option<String>) {
    let mut parts: Vec<&str> = name
        .split(|c: char| !c.is_ascii_alphanumeric())
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
    if stem.starts_with(|c: char| c.is_ascii_digit()) {
        stem.insert(0, '_');
    }
    if stem.is_empty() {
        stem.push('_');
    }
    let unit = (!unit_words.is_empty()).then(|| unit_words.join("_"));
    (stem, unit)
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

/// The Prometheus label name of an OpenTelemetry attribute key: characters a label cannot
/// have become `_`, and a key starting with a digit gets `key_` in front. A key that is a
/// label name already is borrowed as it is.
pub(crate) fn label_name(key: &str) -> Cow<'_, str> {
    let valid = key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && key.bytes().next().is_some_and(|b| !b.is_ascii_digit());
    if valid {
        return Cow::Borrowed(key);
    }
    let mut name: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, "key_");
    }
    if name.is_empty() {
        name.push('_');
    }
    Cow::Owned(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The full name as the exposition writes it: the stem, the unit, and a counter's
    /// `_total`.
    fn full(name: &str, unit: &str, kind: &str) -> String {
        let (stem, unit) = metric_name(name, unit, kind == "counter", kind == "gauge");
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
            (":foo::bar", "", "counter", "foo_bar_total"),
            // The specification's example.
            ("foo.bar", "By", "counter", "foo_bar_bytes_total"),
            // Histograms and up-down counters (sums, not gauges) get no `_ratio` or `_total`.
            ("http.server.request.duration", "s", "histogram", "http_server_request_duration_seconds"),
            ("requests_active", "1", "sum", "requests_active"),
            ("MyCounter", "1", "counter", "MyCounter_total"),
            // `total` moves behind the unit on a counter, and stays put elsewhere.
            ("cache.total.hits", "{hit}", "counter", "cache_hits_total"),
            ("queue.total.size", "By", "gauge", "queue_total_size_bytes"),
        ];
        for (name, unit, kind, expected) in cases {
            assert_eq!(full(name, unit, kind), expected, "{name} {unit} {kind}");
        }
    }

    /// `normalize_label_test.go` and the translator's README, with the translator's
    /// default of today (a leading `_` kept).
    #[test]
    fn labels_are_the_translators() {
        for (key, expected) in [
            ("host.name", "host_name"),
            ("name (of the host)", "name__of_the_host_"),
            ("2 cents", "key_2_cents"),
            ("0test", "key_0test"),
            ("test_/", "test__"),
            ("__test", "__test"),
            ("_test", "_test"),
            ("service.instance.id", "service_instance_id"),
        ] {
            assert_eq!(label_name(key), expected, "{key}");
        }
    }
}
