//! The `#[measured]` attribute on sync and async functions, with and without `Result`, as the
//! guides' decorators use it: exact counts by result, durations, and nothing left in
//! progress. (A file of its own: the attribute records on the process-wide default.)

use std::time::Duration;

use http_metrics_core::{measured, Format, HttpMetrics};
use tests::Exposition;

#[derive(Debug)]
struct PaymentError;

#[measured(service = "payment", endpoint = "charge")]
async fn charge_customer(customer_id: &str, amount: f64) -> Result<String, PaymentError> {
    if amount <= 0.0 {
        return Err(PaymentError);
    }
    tokio::time::sleep(Duration::from_millis(5)).await;
    Ok(format!("receipt for {customer_id}"))
}

#[measured]
fn parse_quantity(text: &str) -> Result<u32, std::num::ParseIntError> {
    let quantity = text.trim().parse()?;
    Ok(quantity)
}

#[measured(job = "report")]
fn render(rows: usize) -> usize {
    if rows == 0 {
        panic!("nothing to render");
    }
    rows * 2
}

#[derive(Debug)]
struct Missing;

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("missing")
    }
}

impl std::error::Error for Missing {}

/// `return` and `?` coerce to the declared `Box<dyn Error>`, as without the attribute.
#[measured]
fn boxed(text: &str) -> Result<u32, Box<dyn std::error::Error>> {
    if text.is_empty() {
        return Err(Box::new(Missing));
    }
    Ok(text.parse::<u32>()?)
}

/// In an `async` function, a `return` that needs a coercion says so (see the attribute's
/// docs); `?` then converts as usual.
#[measured]
async fn boxed_async(text: &str) -> Result<u32, Box<dyn std::error::Error>> {
    if text.is_empty() {
        return Err(Box::new(Missing) as Box<dyn std::error::Error>);
    }
    Ok(text.parse::<u32>()?)
}

struct Inventory(u32);

impl Inventory {
    #[measured]
    fn take(&mut self, n: u32) -> Option<u32> {
        self.0 = self.0.checked_sub(n)?;
        Some(self.0)
    }
}

fn calls(m: &Exposition, function: &str, extra: &[(&str, &str)], result: &str) -> Option<f64> {
    let module = "measured";
    let mut labels = vec![
        ("function", function),
        ("module", module),
        ("result", result),
    ];
    labels.extend_from_slice(extra);
    m.get("function_calls_total", &labels)
}

#[tokio::test]
async fn calls_are_counted_by_result_timed_and_balanced() {
    assert_eq!(charge_customer("c1", 10.0).await.unwrap(), "receipt for c1");
    assert!(charge_customer("c2", -1.0).await.is_err());
    // Dropped before it completed: cancelled.
    let timed_out = tokio::time::timeout(Duration::ZERO, charge_customer("c3", 5.0)).await;
    assert!(timed_out.is_err());
    assert_eq!(parse_quantity(" 12 ").unwrap(), 12);
    assert!(parse_quantity("twelve").is_err());
    assert_eq!(render(2), 4);
    assert!(std::panic::catch_unwind(|| render(0)).is_err());
    assert!(boxed("").is_err() && boxed("x").is_err());
    assert_eq!(boxed("7").unwrap(), 7);
    assert!(boxed_async("").await.is_err());
    assert_eq!(boxed_async("8").await.unwrap(), 8);
    let mut stock = Inventory(3);
    assert_eq!(stock.take(2), Some(1));
    assert_eq!(
        stock.take(5),
        None,
        "`?` on an Option returns early, as in the body"
    );

    let text = HttpMetrics::global().encode(Format::OpenMetrics).unwrap();
    let m = Exposition::parse(&text);
    let payment = [("service", "payment"), ("endpoint", "charge")];
    assert_eq!(
        calls(&m, "charge_customer", &payment, "ok"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(calls(&m, "charge_customer", &payment, "error"), Some(1.0));
    assert_eq!(
        calls(&m, "charge_customer", &payment, "cancelled"),
        Some(1.0)
    );
    assert_eq!(calls(&m, "parse_quantity", &[], "ok"), Some(1.0));
    assert_eq!(calls(&m, "parse_quantity", &[], "error"), Some(1.0));
    let report = [("job", "report")];
    assert_eq!(calls(&m, "render", &report, "ok"), Some(1.0));
    assert_eq!(
        calls(&m, "render", &report, "error"),
        Some(1.0),
        "a panic is an error"
    );
    // Not a `Result`: an early `None` is an ordinary return.
    assert_eq!(calls(&m, "take", &[], "ok"), Some(2.0));
    let charge = [
        ("function", "charge_customer"),
        ("module", "measured"),
        ("service", "payment"),
        ("endpoint", "charge"),
    ];
    let count = m.get("function_calls_duration_seconds_count", &charge);
    assert_eq!(count, Some(3.0), "every call is timed, cancelled ones too");
    let sum = m
        .get("function_calls_duration_seconds_sum", &charge)
        .unwrap();
    assert!(sum >= 0.005, "the successful call slept 5 ms: {sum}");
    for labels in m.series("function_calls_concurrent") {
        let value = m.get(
            "function_calls_concurrent",
            &labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect::<Vec<_>>(),
        );
        assert_eq!(value, Some(0.0), "{labels:?}");
    }
    assert_eq!(calls(&m, "boxed", &[], "error"), Some(2.0));
    assert_eq!(calls(&m, "boxed_async", &[], "ok"), Some(1.0));
    assert_eq!(m.series("function_calls_concurrent").len(), 6);
    if let Err(report) =
        tests::promtool_check(&HttpMetrics::global().encode(Format::Prometheus).unwrap())
    {
        panic!("promtool: {report}");
    }
}
