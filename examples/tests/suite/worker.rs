//! The `worker` binary: the deterministic batch's exact figures on `/metrics`.

use crate::common;

use common::scrape;

#[test]
fn the_batch_is_counted_exactly() {
    let (_worker, address) = common::start_worker();
    let text = scrape(&address);
    let q = r#"queue_name="default""#;
    let payment = r#"service="payment",endpoint="charge""#;
    let mut expected = vec![
        format!("job_queue_size{{{q},priority=\"high\"}} 0"),
        format!("job_queue_size{{{q},priority=\"low\"}} 0"),
        format!("jobs_processed_total{{{q},status=\"success\"}} 21"),
        format!("jobs_processed_total{{{q},status=\"failure\"}} 3"),
        format!("job_failures_total{{{q},error_type=\"InvalidPayload\"}} 2"),
        format!("job_failures_total{{{q},error_type=\"CardDeclined\"}} 1"),
        format!("workers_active{{{q}}} 0"),
        format!("api_calls_total{{{payment},status=\"success\"}} 7"),
        format!("api_calls_total{{{payment},status=\"error\"}} 1"),
        format!("api_latency_seconds_count{{{payment}}} 8"),
        r#"api_errors_total{service="payment",error_type="CardDeclined"} 1"#.to_owned(),
        r#"concurrent_api_requests{service="payment"} 0"#.to_owned(),
    ];
    for job_type in ["email", "report", "payment"] {
        let labels = format!("{q},job_type=\"{job_type}\"");
        expected.push(format!("job_duration_seconds_count{{{labels}}} 9"));
        expected.push(format!(
            "job_duration_seconds_bucket{{le=\"+Inf\",{labels}}} 9"
        ));
        expected.push(format!("jobs_retried_total{{{labels}}} 1"));
    }
    let site = r#"function="charge_customer",module="examples::worker",service="payment",endpoint="charge""#;
    expected.push(format!("function_calls_total{{{site},result=\"ok\"}} 7"));
    expected.push(format!("function_calls_total{{{site},result=\"error\"}} 1"));
    for line in expected {
        assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
    }
}
