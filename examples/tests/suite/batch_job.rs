//! The `batch-job` binary against a real Pushgateway: a successful run replaces its group; a
//! failed run adds its figures and its failure time, and leaves the last success as it was.

use std::process::Command;

use tests::pushgateway::Pushgateway;

fn run(gateway: &Pushgateway, env: &[(&str, &str)]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_batch-job"))
        .env_clear()
        .env("PUSHGATEWAY_URL", &gateway.base)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (
        output.status.code().unwrap(),
        text(output.stdout),
        text(output.stderr),
    )
}

#[test]
fn a_run_pushes_when_it_finishes_and_when_it_fails() {
    let gateway = Pushgateway::start();
    // The gateway stores `instance=""` for a group without an instance.
    let job = [("instance", ""), ("job", "batch_processor")];

    let (code, stdout, _) = run(&gateway, &[("BATCH_RECORDS", "250")]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout,
        format!("batch done: 250 records, pushed to {}\n", gateway.base)
    );
    let m = gateway.exposition();
    assert_eq!(m.get("batch_records_processed_total", &job), Some(250.0));
    let success = m.get("batch_last_success_timestamp_seconds", &job).unwrap();
    assert!(success > 1.7e9, "{success}");
    assert!(m.get("batch_processing_duration_seconds", &job).is_some());
    assert_eq!(m.get("batch_last_failure_timestamp_seconds", &job), None);

    let (code, _, stderr) = run(&gateway, &[("BATCH_RECORDS", "250"), ("FAIL_AT", "41")]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("record 41 could not be processed; 40 records done"),
        "{stderr}"
    );
    let m = gateway.exposition();
    assert_eq!(m.get("batch_records_processed_total", &job), Some(40.0));
    assert_eq!(
        m.get("batch_last_success_timestamp_seconds", &job),
        Some(success),
        "a failed run leaves the last success as it was"
    );
    assert!(m.get("batch_last_failure_timestamp_seconds", &job).unwrap() >= success);

    // A gateway that is not there: the push fails, loudly.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nobody = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let output = Command::new(env!("CARGO_BIN_EXE_batch-job"))
        .env_clear()
        .env("PUSHGATEWAY_URL", &nobody)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(&format!(
            "pushing to the Pushgateway at {nobody} failed: the receiver could not be reached"
        )),
        "{stderr}"
    );
    let bad = Command::new(env!("CARGO_BIN_EXE_batch-job"))
        .env_clear()
        .env("BATCH_RECORDS", "many")
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8(bad.stderr)
        .unwrap()
        .contains("BATCH_RECORDS=\"many\": a whole number"));
}
