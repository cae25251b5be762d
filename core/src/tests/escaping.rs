//! Names outside the classic character set, in each escaping scheme: the lines client_python
//! 0.26 writes for the same family (`openmetrics.generate_latest(registry, escaping=...)`,
//! its `_created` lines left out).

use super::*;
use crate::names::Escaping;
use crate::prometheus_client::metrics::counter::Counter;
use crate::prometheus_client::metrics::family::Family;

fn payments() -> HttpMetrics {
    let metrics = HttpMetrics::builder()
        .process_metrics(false)
        .build()
        .unwrap();
    let payments = Family::<Vec<(String, String)>, Counter>::default();
    metrics
        .register("payments.processed", "Payments", payments.clone())
        .unwrap();
    let labels = vec![
        ("payment.method".to_owned(), "card".to_owned()),
        ("region".to_owned(), "eu".to_owned()),
    ];
    payments.get_or_create(&labels).inc();
    metrics
}

/// The lines of `text` about the payments family.
fn payment_lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| l.contains("payment")).collect()
}

#[test]
fn openmetrics_in_each_scheme() {
    let metrics = payments();
    let cases = [
        (
            Escaping::AllowUtf8,
            [
                "# HELP \"payments.processed\" Payments.",
                "# TYPE \"payments.processed\" counter",
                "{\"payments.processed_total\",\"payment.method\"=\"card\",region=\"eu\"} 1",
            ],
        ),
        (
            Escaping::Underscores,
            [
                "# HELP payments_processed Payments.",
                "# TYPE payments_processed counter",
                "payments_processed_total{payment_method=\"card\",region=\"eu\"} 1",
            ],
        ),
        (
            Escaping::Dots,
            [
                "# HELP payments_dot_processed Payments.",
                "# TYPE payments_dot_processed counter",
                "payments_dot_processed__total{payment_dot_method=\"card\",region=\"eu\"} 1",
            ],
        ),
        (
            Escaping::Values,
            [
                "# HELP U__payments_2e_processed Payments.",
                "# TYPE U__payments_2e_processed counter",
                "U__payments_2e_processed__total{U__payment_2e_method=\"card\",region=\"eu\"} 1",
            ],
        ),
    ];
    for (escaping, expected) in cases {
        let text = metrics
            .encode_escaped(Format::OpenMetrics, escaping)
            .unwrap();
        assert_eq!(payment_lines(&text), expected, "{escaping:?}\n{text}");
    }
}

#[test]
fn prometheus_text_in_each_scheme() {
    let metrics = payments();
    let cases = [
        (
            Escaping::AllowUtf8,
            [
                "# HELP \"payments.processed_total\" Payments.",
                "# TYPE \"payments.processed_total\" counter",
                "{\"payments.processed_total\",\"payment.method\"=\"card\",region=\"eu\"} 1",
            ],
        ),
        (
            Escaping::Dots,
            [
                "# HELP payments_dot_processed__total Payments.",
                "# TYPE payments_dot_processed__total counter",
                "payments_dot_processed__total{payment_dot_method=\"card\",region=\"eu\"} 1",
            ],
        ),
    ];
    for (escaping, expected) in cases {
        let text = metrics
            .encode_escaped(Format::Prometheus, escaping)
            .unwrap();
        assert_eq!(payment_lines(&text), expected, "{escaping:?}\n{text}");
    }
}

#[test]
fn dots_escape_the_http_families_too_and_other_schemes_keep_them() {
    let metrics = payments();
    RouteHandle::resolve(&metrics, "/a")
        .start(MethodLabel::Get)
        .unwrap()
        .finish_with_status(200);
    let dots = metrics
        .encode_escaped(Format::OpenMetrics, Escaping::Dots)
        .unwrap();
    assert!(
        dots.contains("\nhttp__requests__total{method=\"GET\",route=\"/a\",status=\"200\"} 1\n"),
        "{dots}"
    );
    assert!(dots.contains("\nhttp__request__duration__seconds__bucket{le=\"0.005\",method=\"GET\",route=\"/a\",status=\"200\"} 1\n"), "{dots}");
    for escaping in [Escaping::AllowUtf8, Escaping::Underscores, Escaping::Values] {
        let text = metrics
            .encode_escaped(Format::OpenMetrics, escaping)
            .unwrap();
        assert!(
            text.contains("\nhttp_requests_total{method=\"GET\",route=\"/a\",status=\"200\"} 1\n"),
            "{text}"
        );
    }
}
