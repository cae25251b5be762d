//! The `remote-write` binary, run as the README says, against a real VictoriaMetrics and a
//! real Prometheus receiving its pushes.

use crate::common;

use std::process::Command;

use tests::prometheus::Prometheus;
use tests::remote_write::FaultProxy;
use tests::victoria::VictoriaMetrics;

const BINARY: &str = env!("CARGO_BIN_EXE_remote-write");

/// Runs the binary for `seconds` with `env`: its exit code, and its stdout's lines.
fn run(env: &[(&str, &str)], seconds: &str) -> (Option<i32>, Vec<String>) {
    let output = Command::new(BINARY)
        .env_clear()
        .env("PORT", "0")
        .env("PUSH_INTERVAL_SECONDS", "0.25")
        .env("RUN_SECONDS", seconds)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    (
        output.status.code(),
        stdout.lines().map(str::to_owned).collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guides_instruments_arrive_in_victoria_metrics() {
    let victoria = VictoriaMetrics::start().await;
    let url = victoria.write_url();
    let (code, lines) = run(&[("REMOTE_WRITE_URL", &url)], "1");
    assert_eq!(code, Some(0), "{lines:?}");
    assert!(
        lines[1].starts_with(&format!("remote-write to {url}: "))
            && lines[1].ends_with(" samples sent, 0 failed, 0 dropped"),
        "{lines:?}"
    );
    let one = |promql: &'static str| {
        let victoria = &victoria;
        async move {
            let results = victoria.query_eventually(promql).await;
            assert_eq!(results.len(), 1, "{promql}: {results:?}");
            results[0].1
        }
    };
    assert_eq!(
        one("MyCounter_total{job=\"remote-write\",dimension=\"value\"}").await,
        25.0
    );
    assert_eq!(
        one("requests_active{job=\"remote-write\",dimension=\"value\"}").await,
        -2.0
    );
    assert_eq!(
        one("requests_size_count{job=\"remote-write\",dimension=\"value\"}").await,
        1.0
    );
    assert_eq!(
        one("requests_size_sum{job=\"remote-write\",dimension=\"value\"}").await,
        85.0
    );
    assert_eq!(
        one("requests_size_bucket{job=\"remote-write\",le=\"100.0\"}").await,
        1.0
    );
    assert_eq!(
        one("requests_size_bucket{job=\"remote-write\",le=\"75.0\"}").await,
        0.0
    );
    let ram = one("ram_usage{job=\"remote-write\",dimension=\"value\"}").await;
    assert!(ram > 0.0 && ram <= 100.0, "{ram}");
    let cpu = one("cpu_time_seconds_total{job=\"remote-write\",dimension=\"value\"}").await;
    assert!(cpu >= 0.0, "{cpu}");
    let per_cpu = victoria
        .query_eventually("cpu_percent{job=\"remote-write\"}")
        .await;
    let cpus = common::cpus_listed();
    assert_eq!(per_cpu.len(), cpus, "{per_cpu:?}");
    assert!(
        per_cpu.iter().all(|(_, v)| (0.0..=100.0).contains(v)),
        "{per_cpu:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_travels_and_prometheus_stores_what_metrics_shows() {
    let prometheus = Prometheus::start_receiver(&[]).await;
    let proxy = FaultProxy::new(&prometheus.write_url());
    proxy.up().await;
    let (mut running, address, _stdout) = common::spawn_announcing(
        Command::new(BINARY)
            .env_clear()
            .env("PORT", "0")
            .env("PUSH_INTERVAL_SECONDS", "0.25")
            .env("RUN_SECONDS", "2")
            .env("REMOTE_WRITE_URL", proxy.url())
            .env("REMOTE_WRITE_TOKEN", "t0ken"),
    );
    let text = common::scrape(&address);
    assert!(
        text.contains("MyCounter_total{dimension=\"value\"} 25\n"),
        "{text}"
    );
    assert_eq!(running.0.wait().unwrap().code(), Some(0));
    let received = proxy.received();
    assert!(!received.is_empty());
    assert!(received
        .iter()
        .all(|r| r.headers["authorization"] == "Bearer t0ken" && r.status == 204));
    let stored = prometheus
        .value("MyCounter_total{job=\"remote-write\",dimension=\"value\"}")
        .await;
    assert_eq!(stored, Some(25.0));
    let instance = prometheus
        .query("MyCounter_total{job=\"remote-write\"}")
        .await;
    assert_eq!(instance[0].0["instance"], address.as_str());
}

#[test]
fn without_a_receiver_it_says_what_to_set() {
    let (code, lines) = run(&[], "0");
    assert_eq!(code, Some(2), "{lines:?}");
    let output = Command::new(BINARY)
        .env_clear()
        .env("REMOTE_WRITE_URL", "http://127.0.0.1:1/api/v1/write")
        .env("PUSH_INTERVAL_SECONDS", "soon")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        "remote-write: PUSH_INTERVAL_SECONDS=\"soon\" is invalid: must be a number of seconds \
         from 0.001 to 86400\n"
    );
    let output = Command::new(BINARY).env_clear().output().unwrap();
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        "remote-write: REMOTE_WRITE_URL is required: the receiver's remote-write endpoint, \
         such as http://127.0.0.1:9090/api/v1/write\n"
    );
}
