//! The Summary's exposition, read by the real tools: promtool, and both of Python
//! prometheus_client's parsers, which must find the same quantiles, sums and counts the
//! core computed.

use http_metrics_core::{Format, HttpMetrics, Summary};
use serde_json::{json, Value};

fn registry() -> HttpMetrics {
    let metrics = HttpMetrics::new();
    let sizes = (Summary::builder().objectives([(0.5, 0.05), (0.9, 0.01)]))
        .build_family(["content_type"])
        .unwrap();
    metrics
        .register_summary("response_size_bytes", "Response size in bytes", &sizes)
        .unwrap();
    let json = sizes.with_label_values(&["application/json"]);
    for size in 1..=100 {
        json.observe(f64::from(size));
    }
    let odd = sizes.with_label_values(&["text/\"odd\"\n"]);
    odd.observe(4096.0);
    let waiting = Summary::builder().build().unwrap();
    metrics
        .register_summary(
            "queue_wait_seconds",
            "Time \"queued\"\nbefore work",
            &waiting,
        )
        .unwrap();
    metrics
}

/// The samples of `family` as Python read them: (name, labels, value; NaN as a string).
fn samples(parsed: &Value, family: &str) -> Vec<(String, Value, Value)> {
    let families = parsed["families"].as_array().unwrap();
    let family = (families.iter().find(|f| f["name"] == family))
        .unwrap_or_else(|| panic!("no family {family} in {parsed}"));
    assert_eq!(family["type"], "summary");
    let value = |v: &Value| v.as_f64().map_or(v.clone(), |n| json!(n));
    (family["samples"].as_array().unwrap().iter())
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                s["labels"].clone(),
                value(&s["value"]),
            )
        })
        .collect()
}

#[test]
fn both_python_parsers_read_the_quantiles_sum_and_count() {
    let metrics = registry();
    for (format, name) in [
        (Format::Prometheus, "prometheus"),
        (Format::OpenMetrics, "openmetrics"),
    ] {
        let text = metrics.encode(format).unwrap();
        let parsed = tests::python_parse(&text, name)
            .unwrap_or_else(|e| panic!("{name} parser refused it: {e}\n{text}"));
        let sizes = "response_size_bytes";
        let json_type = "application/json";
        let odd = "text/\"odd\"\n";
        // The quantiles the core computed, read back by this workspace's own reader: 1..=100
        // observed, so each is within its objective's rank error of the exact one.
        let ours = tests::Exposition::parse(&text);
        let quantile = |q| {
            let labels = [("content_type", json_type), ("quantile", q)];
            ours.get(sizes, &labels).unwrap()
        };
        let (median, p90) = (quantile("0.5"), quantile("0.9"));
        assert!((45.0..=55.0).contains(&median), "{median}");
        assert!((89.0..=91.0).contains(&p90), "{p90}");
        assert_eq!(
            samples(&parsed, sizes),
            [
                (
                    sizes.into(),
                    json!({"content_type": json_type, "quantile": "0.5"}),
                    json!(median)
                ),
                (
                    sizes.into(),
                    json!({"content_type": json_type, "quantile": "0.9"}),
                    json!(p90)
                ),
                (
                    format!("{sizes}_sum"),
                    json!({"content_type": json_type}),
                    json!(5050.0)
                ),
                (
                    format!("{sizes}_count"),
                    json!({"content_type": json_type}),
                    json!(100.0)
                ),
                (
                    sizes.into(),
                    json!({"content_type": odd, "quantile": "0.5"}),
                    json!(4096.0)
                ),
                (
                    sizes.into(),
                    json!({"content_type": odd, "quantile": "0.9"}),
                    json!(4096.0)
                ),
                (
                    format!("{sizes}_sum"),
                    json!({"content_type": odd}),
                    json!(4096.0)
                ),
                (
                    format!("{sizes}_count"),
                    json!({"content_type": odd}),
                    json!(1.0)
                ),
            ],
            "{name}"
        );
        let waiting = samples(&parsed, "queue_wait_seconds");
        assert_eq!(waiting.len(), 5, "{name}: {waiting:?}");
        assert_eq!(waiting[0].2, json!("NaN"), "{name}: no observation yet");
        assert_eq!(
            waiting[4],
            ("queue_wait_seconds_count".into(), json!({}), json!(0.0))
        );
    }
}

#[test]
fn promtool_accepts_the_classic_text() {
    let text = registry().encode(Format::Prometheus).unwrap();
    if let Err(report) = tests::promtool_check(&text) {
        panic!("promtool check metrics: {report}\n{text}");
    }
}
