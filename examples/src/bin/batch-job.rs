//! The prometheus_client guide's batch processor: processes `BATCH_RECORDS` simulated
//! records (default 1000) and pushes its metrics to the Pushgateway at `PUSHGATEWAY_URL`
//! (default `http://127.0.0.1:9091`) as job `batch_processor` when it finishes — also when
//! it fails (`FAIL_AT=N` makes record N fail, to see that).
//!
//! | metric | type | pushed |
//! |---|---|---|
//! | `batch_records_processed_total` | counter | records processed by this run |
//! | `batch_processing_duration_seconds` | gauge (as in the guide) | this run's duration |
//! | `batch_last_success_timestamp_seconds` | gauge | when a run last succeeded: alert when `time() -` it grows too old |
//! | `batch_last_failure_timestamp_seconds` | gauge | when a run last failed |
//!
//! A successful run replaces the group (`PUT`); a failed one adds to it (`POST`), so that the
//! last success it does not have stays as it was, and alerts on its age keep their meaning.
//! Exit status: 0 done, 1 the batch failed (pushed), 2 a bad setting, 3 the push failed.

use std::process::ExitCode;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use tower_metrics::prometheus_client::metrics::counter::Counter;
use tower_metrics::prometheus_client::metrics::gauge::Gauge;
use tower_metrics::push::Pushgateway;
use tower_metrics::HttpMetrics;

fn main() -> ExitCode {
    examples::env::Usage {
        program: "batch-job",
        about: "the batch job: processes records, then pushes its metrics to a Pushgateway",
        variables: &[&[
            (
                "PUSHGATEWAY_URL",
                "the Pushgateway (default http://127.0.0.1:9091)",
            ),
            ("BATCH_RECORDS", "records to process (default 1000)"),
            ("FAIL_AT", "fail at this record (default unset)"),
        ]],
    }
    .handle_help();
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let url = var("PUSHGATEWAY_URL").unwrap_or_else(|| "http://127.0.0.1:9091".into());
    let number = |name: &str, default: Option<u64>| match var(name) {
        None => Ok(default),
        Some(value) => value
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| format!("{name}={value:?}: a whole number")),
    };
    let (records, fail_at) = match (number("BATCH_RECORDS", Some(1000)), number("FAIL_AT", None)) {
        (Ok(records), Ok(fail_at)) => (records.unwrap_or(1000), fail_at),
        (Err(e), _) | (_, Err(e)) => return fail(e, 2),
    };
    let gateway = match Pushgateway::new(&url, "batch_processor") {
        Ok(gateway) => gateway,
        Err(e) => return fail(format!("PUSHGATEWAY_URL: {e}"), 2),
    };

    // A registry of the job's own: no HTTP series matter here, nor the process's figures.
    let metrics = HttpMetrics::builder()
        .process_metrics(false)
        .build()
        .expect("valid");
    let processed: Counter = Counter::default();
    metrics
        .register(
            "batch_records_processed",
            "Records processed in batch job",
            processed.clone(),
        )
        .unwrap();
    let duration: Gauge<f64, std::sync::atomic::AtomicU64> = Gauge::default();
    metrics
        .register(
            "batch_processing_duration_seconds",
            "Batch job duration",
            duration.clone(),
        )
        .unwrap();

    let started = Instant::now();
    let outcome = (1..=records).try_for_each(|record| {
        if fail_at == Some(record) {
            return Err(format!("record {record} could not be processed"));
        }
        processed.inc();
        Ok(())
    });
    duration.set(started.elapsed().as_secs_f64());

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let stamp = |name: &str, help: &str| {
        let gauge: Gauge<f64, std::sync::atomic::AtomicU64> = Gauge::default();
        gauge.set(now);
        metrics.register(name, help, gauge).unwrap();
    };
    let pushed = match &outcome {
        Ok(()) => {
            stamp(
                "batch_last_success_timestamp_seconds",
                "When the batch job last succeeded",
            );
            gateway.push_blocking(&metrics)
        }
        Err(_) => {
            stamp(
                "batch_last_failure_timestamp_seconds",
                "When the batch job last failed",
            );
            gateway.push_add_blocking(&metrics)
        }
    };
    if let Err(e) = pushed {
        return fail(
            format!("pushing to the Pushgateway at {url} failed: {e}"),
            3,
        );
    }
    match outcome {
        Ok(()) => {
            println!("batch done: {} records, pushed to {url}", processed.get());
            ExitCode::SUCCESS
        }
        Err(e) => fail(
            format!("{e}; {} records done, pushed to {url}", processed.get()),
            1,
        ),
    }
}

fn fail(error: impl std::fmt::Display, code: u8) -> ExitCode {
    eprintln!("batch-job: {error}");
    ExitCode::from(code)
}
