//! The Prometheus protobuf format: native histograms and exemplars in it.

use std::time::Duration;

use prost::Message as _;

use super::*;
use crate::exposition::protobuf::{MetricFamily, MetricType};
use crate::NativeHistograms;

/// Decodes a protobuf `/metrics` body.
fn families(metrics: &HttpMetrics) -> Vec<MetricFamily> {
    let body = metrics.encode_to_vec(Format::Protobuf).unwrap();
    let mut buf = &body[..];
    let mut out = Vec::new();
    while !buf.is_empty() {
        out.push(MetricFamily::decode_length_delimited(&mut buf).unwrap());
    }
    out
}

fn family<'a>(families: &'a [MetricFamily], name: &str) -> &'a MetricFamily {
    families
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no {name} in {families:#?}"))
}

fn labels(metric: &crate::exposition::protobuf::Metric) -> Vec<(&str, &str)> {
    metric
        .label
        .iter()
        .map(|l| (l.name.as_str(), l.value.as_str()))
        .collect()
}

#[test]
fn the_latency_histogram_carries_native_buckets_beside_the_classic_ones() {
    let metrics = HttpMetrics::builder()
        .buckets([0.1, 1.0])
        .native_histograms(NativeHistograms::new().with_schema(0))
        .process_metrics(false)
        .build()
        .unwrap();
    let route = RouteHandle::resolve(&metrics, "/x");
    // Schema 0: key k holds (2^(k-1), 2^k] seconds.
    for (millis, times) in [(100, 2), (300, 1), (400, 3), (3_000, 1)] {
        for _ in 0..times {
            route.record(MethodLabel::Get, 200, Duration::from_millis(millis));
        }
    }
    route.record(MethodLabel::Get, 200, Duration::ZERO);
    let families = families(&metrics);
    let duration = family(&families, "http_request_duration_seconds");
    assert_eq!(duration.r#type, MetricType::Histogram as i32);
    assert_eq!(duration.unit, "seconds");
    assert_eq!(duration.metric.len(), 1);
    let series = &duration.metric[0];
    assert_eq!(
        labels(series),
        [("method", "GET"), ("route", "/x"), ("status", "200")]
    );
    let h = series.histogram.as_ref().unwrap();
    assert_eq!(h.sample_count, 8);
    assert!((h.sample_sum - 4.7).abs() < 1e-9, "{}", h.sample_sum);
    assert_eq!(h.schema, 0);
    assert_eq!(h.zero_threshold, 2.938735877055719e-39);
    assert_eq!(h.zero_count, 1);
    // 0.1 s is key -3 ((0.0625, 0.125]), 0.3 and 0.4 key -1, 3 s key 2: keys -3..=-1 in
    // one span (with -2 empty), then 2 after a gap of two empty keys.
    let spans: Vec<_> = h
        .positive_span
        .iter()
        .map(|s| (s.offset, s.length))
        .collect();
    assert_eq!(spans, [(-3, 6)]);
    assert_eq!(h.positive_delta, [2, -2, 4, -4, 0, 1]);
    assert!(h.negative_span.is_empty());
    let classic: Vec<_> = h
        .bucket
        .iter()
        .map(|b| (b.upper_bound, b.cumulative_count))
        .collect();
    assert_eq!(classic, [(0.1, 3), (1.0, 7), (f64::INFINITY, 8)]);
    // The counter and the in-flight gauge are there too.
    let requests = family(&families, "http_requests_total");
    assert_eq!(requests.r#type, MetricType::Counter as i32);
    assert_eq!(requests.metric[0].counter.as_ref().unwrap().value, 8.0);
    let in_flight = family(&families, "http_requests_in_flight");
    assert_eq!(in_flight.r#type, MetricType::Gauge as i32);
}

#[test]
fn without_classic_buckets_only_native_ones_and_text_shows_inf_only() {
    let metrics = HttpMetrics::builder()
        .native_histograms(NativeHistograms::new().classic_buckets(false))
        .build()
        .unwrap();
    let route = RouteHandle::resolve(&metrics, "/y");
    route.record(MethodLabel::Post, 201, Duration::from_secs(1));
    let families = families(&metrics);
    let h = family(&families, "http_request_duration_seconds").metric[0]
        .histogram
        .clone()
        .unwrap();
    assert!(h.bucket.is_empty(), "{h:?}");
    assert_eq!(h.schema, 3);
    // 1 s is exactly the upper bound of key 0.
    assert_eq!(h.positive_span[0].offset, 0);
    assert_eq!(h.positive_delta, [1]);
    let text = text(&metrics);
    let lines: Vec<_> = text
        .lines()
        .filter(|l| l.starts_with("http_request_duration_seconds"))
        .collect();
    let labels = r#"method="POST",route="/y",status="201""#;
    assert_eq!(
        lines,
        [
            format!("http_request_duration_seconds_sum{{{labels}}} 1.0"),
            format!("http_request_duration_seconds_count{{{labels}}} 1"),
            format!("http_request_duration_seconds_bucket{{le=\"+Inf\",{labels}}} 1"),
        ]
    );
}

#[test]
fn both_durations_have_native_histograms_and_the_head_its_own() {
    let metrics = HttpMetrics::builder()
        .duration_end(crate::DurationEnd::Both)
        .native_histograms(NativeHistograms::new())
        .build()
        .unwrap();
    use crate::base::test_clock::advance;
    let mut guard = start(&metrics, MethodLabel::Get, Some("/s")).unwrap();
    advance(Duration::from_secs(1));
    guard.set_status(200);
    advance(Duration::from_secs(1));
    guard.finish();
    let families = families(&metrics);
    // Schema 3: 1 s ends key 0, 2 s key 8.
    for (name, key) in [
        ("http_request_duration_seconds", 8),
        ("http_request_head_duration_seconds", 0),
    ] {
        let h = family(&families, name).metric[0].histogram.clone().unwrap();
        assert_eq!(h.sample_count, 1, "{name} {h:?}");
        assert_eq!(h.positive_span[0].offset, key, "{name}");
        assert_eq!(h.positive_delta, [1], "{name}");
        assert_eq!(h.schema, 3, "{name}");
    }
}

#[test]
fn every_kind_of_metric_is_in_the_protobuf_exposition_in_text_order() {
    let metrics = HttpMetrics::builder()
        .prefix("shop")
        .const_label("svc", "a")
        .native_histograms(NativeHistograms::new())
        .process_metrics(false)
        .build()
        .unwrap();
    let signups: prometheus_client::metrics::counter::Counter = Default::default();
    signups.inc_by(3);
    metrics
        .register("signups", "Accounts created", signups)
        .unwrap();
    metrics
        .register_gauge_fn("queue_depth", "Jobs waiting", |out| {
            out.observe(&[("queue", "mail")], 4.0)
        })
        .unwrap();
    metrics
        .register_gauge_fn("broken", "Always panics", |_| panic!("no pool"))
        .unwrap();
    let summary = crate::Summary::builder().build().unwrap();
    summary.observe(2.0);
    metrics
        .register_summary("job_seconds", "Job time", &summary)
        .unwrap();
    RouteHandle::resolve(&metrics, "/z").record(MethodLabel::Get, 200, Duration::from_millis(5));
    let families = families(&metrics);
    let names: Vec<&str> = families.iter().map(|f| f.name.as_str()).collect();
    // The text format's families, in its order (its `_total` on counters).
    let text = metrics.encode(Format::OpenMetrics).unwrap();
    let text_names: Vec<String> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .map(|l| {
            let (name, kind) = l.split_once(' ').unwrap();
            if kind == "counter" {
                format!("{name}_total")
            } else {
                name.to_owned()
            }
        })
        .collect();
    assert_eq!(names, text_names, "{text}");
    let h = family(&families, "shop_http_request_duration_seconds").metric[0].clone();
    assert_eq!(
        labels(&h),
        [
            ("svc", "a"),
            ("method", "GET"),
            ("route", "/z"),
            ("status", "200")
        ]
    );
    assert_eq!(h.histogram.unwrap().positive_delta, [1]);
    let signups = family(&families, "signups_total");
    assert_eq!(signups.help, "Accounts created.");
    assert_eq!(signups.metric[0].counter.as_ref().unwrap().value, 3.0);
    let queue = family(&families, "queue_depth");
    assert_eq!(labels(&queue.metric[0]), [("queue", "mail")]);
    assert_eq!(queue.metric[0].gauge.as_ref().unwrap().value, 4.0);
    assert!(!names.contains(&"broken"));
    let failures = family(&families, "metrics_collector_failures_total");
    assert_eq!(
        labels(&failures.metric[0]),
        [("collector", "broken"), ("reason", "panic")]
    );
    let job = family(&families, "job_seconds");
    assert_eq!(job.r#type, MetricType::Summary as i32);
    assert_eq!(job.help, "Job time.");
    let s = job.metric[0].summary.as_ref().unwrap();
    assert_eq!((s.sample_count, s.sample_sum), (1, 2.0));
    assert_eq!(s.quantile.len(), crate::DEFAULT_OBJECTIVES.len());
    // `encode` is for text only.
    assert!(metrics.encode(Format::Protobuf).is_err());
}

#[test]
fn application_histograms_with_native_buckets_share_the_protobuf_exposition() {
    use prometheus_client::metrics::histogram::{Histogram, NativeHistogramConfig};
    let metrics = HttpMetrics::builder()
        .process_metrics(false)
        .build()
        .unwrap();
    let job = Histogram::new_classic_and_native([1.0], NativeHistogramConfig::with_schema(0));
    for seconds in [0.75, 3.0, 3.5] {
        job.observe(seconds);
    }
    metrics
        .register_with_unit(
            "job_duration",
            "Job time,\nby \"kind\"",
            prometheus_client::registry::Unit::Seconds,
            job,
        )
        .unwrap();
    let families = families(&metrics);
    let job = family(&families, "job_duration_seconds");
    // Written as the text formats escape it, read back as it was given.
    assert_eq!(job.help, "Job time,\nby \"kind\".");
    let h = job.metric[0].histogram.as_ref().unwrap();
    assert_eq!((h.sample_count, h.sample_sum), (3, 7.25));
    assert_eq!(h.schema, 0);
    // Schema 0: 0.75 s is key 0 ((0.5, 1]), 3 and 3.5 s key 2 ((2, 4]), the empty key 1
    // inside the span as a zero count.
    let spans: Vec<_> = h
        .positive_span
        .iter()
        .map(|s| (s.offset, s.length))
        .collect();
    assert_eq!(spans, [(0, 3)]);
    assert_eq!(h.positive_delta, [1, -1, 2]);
    let classic: Vec<_> = h
        .bucket
        .iter()
        .map(|b| (b.upper_bound, b.cumulative_count))
        .collect();
    assert_eq!(classic, [(1.0, 1), (f64::INFINITY, 3)]);
    // The text formats show its classic buckets.
    let text = metrics.encode(Format::Prometheus).unwrap();
    assert!(
        text.contains("job_duration_seconds_bucket{le=\"1.0\"} 1\n"),
        "{text}"
    );
}

#[cfg(feature = "exemplars")]
#[test]
fn exemplars_travel_in_protobuf_on_the_counter_and_the_classic_buckets() {
    use crate::base::test_clock::advance;
    let metrics = HttpMetrics::builder()
        .prefix("p")
        .buckets([0.01, 1.0])
        .exemplars(crate::Exemplars::traceparent())
        .native_histograms(NativeHistograms::new())
        .process_metrics(false)
        .build()
        .unwrap();
    let mut guard = start(&metrics, MethodLabel::Get, Some("/e")).unwrap();
    guard.set_trace(Some(
        b"00-0123456789abcdef0123456789abcdef-0123456789abcdef-01",
    ));
    advance(Duration::from_millis(5));
    guard.finish_with_status(200);
    let families = families(&metrics);
    let trace = |exemplar: &crate::exposition::protobuf::Exemplar| {
        exemplar
            .label
            .iter()
            .map(|l| (l.name.clone(), l.value.clone()))
            .collect::<Vec<_>>()
    };
    let expected = vec![
        (
            "trace_id".to_owned(),
            "0123456789abcdef0123456789abcdef".to_owned(),
        ),
        ("span_id".to_owned(), "0123456789abcdef".to_owned()),
    ];
    let counter = family(&families, "p_http_requests_total").metric[0]
        .counter
        .clone()
        .unwrap();
    assert_eq!(counter.value, 1.0);
    let exemplar = counter.exemplar.unwrap();
    assert_eq!(trace(&exemplar), expected);
    assert_eq!(exemplar.value, 1.0);
    assert!(exemplar.timestamp.unwrap().seconds > 1_700_000_000);
    let h = family(&families, "p_http_request_duration_seconds").metric[0]
        .histogram
        .clone()
        .unwrap();
    // Native buckets, and the exemplar on the classic bucket the request fell in.
    assert_eq!((h.sample_count, h.positive_delta.as_slice()), (1, &[1][..]));
    let exemplars: Vec<_> = h
        .bucket
        .iter()
        .map(|b| b.exemplar.as_ref().map(|e| (trace(e), e.value)))
        .collect();
    assert_eq!(exemplars, [Some((expected.clone(), 0.005)), None, None]);
    assert!(h.exemplars.is_empty());

    // Without classic buckets, the exemplar is the native histogram's own.
    let native_only = HttpMetrics::builder()
        .exemplars(crate::Exemplars::traceparent())
        .native_histograms(NativeHistograms::new().classic_buckets(false))
        .process_metrics(false)
        .build()
        .unwrap();
    let mut guard = start(&native_only, MethodLabel::Get, Some("/e")).unwrap();
    guard.set_trace(Some(
        b"00-0123456789abcdef0123456789abcdef-0123456789abcdef-01",
    ));
    advance(Duration::from_millis(5));
    guard.finish_with_status(200);
    let own_families = self::families(&native_only);
    let h = family(&own_families, "http_request_duration_seconds").metric[0]
        .histogram
        .clone()
        .unwrap();
    assert!(h.bucket.is_empty());
    let own: Vec<_> = h.exemplars.iter().map(|e| (trace(e), e.value)).collect();
    assert_eq!(own, [(expected, 0.005)]);
    assert!(h.exemplars[0].timestamp.is_some());
}

/// The HTTP series carry their start time (when their first request created them) as the
/// counter's and the histogram's start timestamp; the in-flight gauge has none.
#[test]
fn the_http_series_carry_their_start_time() {
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
    };
    let metrics = HttpMetrics::builder()
        .process_metrics(false)
        .build()
        .unwrap();
    let before = now();
    RouteHandle::resolve(&metrics, "/a").record(MethodLabel::Get, 200, Duration::ZERO);
    let after = now();
    let first = families(&metrics);
    let seconds = |t: &prost_types::Timestamp| t.seconds as f64 + f64::from(t.nanos) / 1e9;
    let counter = &family(&first, "http_requests_total").metric[0];
    let start = seconds(
        counter
            .counter
            .as_ref()
            .unwrap()
            .start_timestamp
            .as_ref()
            .unwrap(),
    );
    assert!(
        (before - 1e-6..=after + 1e-6).contains(&start),
        "{before} <= {start} <= {after}"
    );
    let histogram = &family(&first, "http_request_duration_seconds").metric[0];
    let histogram_start = histogram
        .histogram
        .as_ref()
        .unwrap()
        .start_timestamp
        .as_ref();
    assert_eq!(histogram_start.map(seconds), Some(start));
    // A later request does not move it.
    RouteHandle::resolve(&metrics, "/a").record(MethodLabel::Get, 200, Duration::ZERO);
    let later = families(&metrics);
    let again = &family(&later, "http_requests_total").metric[0];
    let again = again
        .counter
        .as_ref()
        .unwrap()
        .start_timestamp
        .as_ref()
        .map(seconds);
    assert_eq!(again, Some(start));
}
