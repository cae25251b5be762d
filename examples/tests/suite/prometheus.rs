//! The `repl` and `worker` binaries scraped by a real Prometheus (Debian's `prometheus`;
//! `scripts/test.sh` installs it): every family stored, with the exact values their input
//! implies.

use crate::common;

use std::io::{BufRead, Write};

use tests::prometheus::Prometheus;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_stores_what_the_repl_and_the_worker_did() {
    let (_repl, repl_address, mut stdin, mut printed) = common::start_repl();
    stdin
        .write_all(b"hello\n\nThe quick brown fox jumps\n\xff\n")
        .unwrap();
    stdin.flush().unwrap();
    for _ in 0..4 {
        printed.read_line(&mut String::new()).unwrap();
    }
    let (_worker, worker_address) = common::start_worker();
    // Both answer before Prometheus is asked to scrape them.
    assert!(common::scrape(&repl_address).contains("demo_lines_in_total"));

    let targets = [
        ("repl", repl_address.as_str()),
        ("worker", worker_address.as_str()),
    ];
    let prometheus = Prometheus::start(&targets).await;
    prometheus
        .wait_until("the programs never scraped", || async {
            prometheus
                .value(r#"sum(demo_lines_in_total{job="repl"})"#)
                .await
                == Some(4.0)
                && prometheus
                    .value(r#"sum(jobs_processed_total{job="worker"})"#)
                    .await
                    == Some(24.0)
        })
        .await;

    let ok = r#"method="repl",status="OK",error="""#;
    let payment = r#"service="payment",endpoint="charge""#;
    for (query, expected) in [
        // The REPL: three lines of 5, 0 and 25 bytes, and one of 1 byte that is not UTF-8.
        (format!(r#"demo_lines_in_total{{job="repl",{ok}}}"#), 3.0),
        (
            r#"demo_lines_in_total{job="repl",status="ERROR",error="invalid_utf8"}"#.into(),
            1.0,
        ),
        (
            format!(r#"demo_line_lengths_bytes_sum{{job="repl",{ok}}}"#),
            30.0,
        ),
        (
            format!(r#"demo_line_lengths_bytes_bucket{{job="repl",{ok},le=~"5(\\.0)?"}}"#),
            2.0,
        ),
        (
            format!(r#"demo_line_lengths_bytes_bucket{{job="repl",{ok},le=~"40(\\.0)?"}}"#),
            3.0,
        ),
        (
            format!(r#"demo_latency_seconds_count{{job="repl",{ok}}}"#),
            3.0,
        ),
        (
            r#"count(process_cpu_seconds_total{job="repl"})"#.into(),
            1.0,
        ),
        // The worker's batch (examples/src/worker.rs lists every figure).
        (
            r#"jobs_processed_total{job="worker",status="success"}"#.into(),
            21.0,
        ),
        (
            r#"jobs_processed_total{job="worker",status="failure"}"#.into(),
            3.0,
        ),
        (r#"sum(jobs_retried_total{job="worker"})"#.into(), 3.0),
        (
            r#"job_failures_total{job="worker",error_type="InvalidPayload"}"#.into(),
            2.0,
        ),
        (
            r#"job_failures_total{job="worker",error_type="CardDeclined"}"#.into(),
            1.0,
        ),
        (
            r#"sum(job_duration_seconds_count{job="worker"})"#.into(),
            27.0,
        ),
        (r#"sum(job_queue_size{job="worker"})"#.into(), 0.0),
        (r#"workers_active{job="worker"}"#.into(), 0.0),
        (
            format!(r#"api_calls_total{{job="worker",{payment},status="success"}}"#),
            7.0,
        ),
        (
            format!(r#"api_calls_total{{job="worker",{payment},status="error"}}"#),
            1.0,
        ),
        (
            format!(r#"api_latency_seconds_count{{job="worker",{payment}}}"#),
            8.0,
        ),
        (
            r#"api_errors_total{job="worker",error_type="CardDeclined"}"#.into(),
            1.0,
        ),
        (r#"concurrent_api_requests{job="worker"}"#.into(), 0.0),
        (
            r#"sum(function_calls_total{job="worker",function="charge_customer"})"#.into(),
            8.0,
        ),
    ] {
        assert_eq!(prometheus.value(&query).await, Some(expected), "{query}");
    }
    for (job, family, kind) in [
        ("repl", "demo_latency_seconds", "histogram"),
        ("repl", "demo_lines_in", "counter"),
        ("worker", "job_queue_size", "gauge"),
        ("worker", "function_calls_duration_seconds", "histogram"),
    ] {
        let stored = prometheus.metadata_type(job, family).await;
        assert_eq!(stored.as_deref(), Some(kind), "{job} {family}");
    }
}
