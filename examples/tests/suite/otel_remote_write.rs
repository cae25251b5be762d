//! The `otel-remote-write` binary, run as the README says: a real Prometheus scrapes its
//! `/metrics` while a real VictoriaMetrics receives its pushes, and both hold the same
//! series with the same values.

use crate::common;

use std::collections::BTreeSet;
use std::io::BufRead;
use std::process::Command;

use tests::prometheus::Prometheus;
use tests::victoria::VictoriaMetrics;

const BINARY: &str = env!("CARGO_BIN_EXE_otel-remote-write");
const JOB: &str = "otel-remote-write";

/// Result label sets, each as sorted `name=value` pairs.
fn label_sets(results: &[(serde_json::Map<String, serde_json::Value>, f64)]) -> BTreeSet<String> {
    results
        .iter()
        .map(|(labels, _)| {
            labels
                .iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap()))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_and_victoria_metrics_receives_the_guides_instruments() {
    let victoria = VictoriaMetrics::start().await;
    let url = victoria.write_url();
    let (mut running, address, mut stdout) = common::spawn_announcing(
        Command::new(BINARY)
            .env_clear()
            .env("PORT", "0")
            .env("PUSH_INTERVAL_SECONDS", "0.25")
            .env("REMOTE_WRITE_URL", &url),
    );
    let prometheus = Prometheus::start(&[(JOB, &address)]).await;
    prometheus
        .wait_until("the program never scraped", || async {
            prometheus
                .value(&format!("MyCounter_total{{job=\"{JOB}\"}}"))
                .await
                .is_some()
        })
        .await;

    // The guide's data points, exactly, under the specification's names.
    let scope = format!("job=\"{JOB}\",otel_scope_name=\"otel_remote_write\"");
    let exact = [
        (
            format!("MyCounter_total{{{scope},dimension=\"value\"}}"),
            25.0,
        ),
        (
            format!("requests_active{{{scope},dimension=\"value\"}}"),
            -2.0,
        ),
        (
            format!("requests_size_count{{{scope},dimension=\"value\"}}"),
            1.0,
        ),
        (
            format!("requests_size_sum{{{scope},dimension=\"value\"}}"),
            85.0,
        ),
        (format!("requests_size_bucket{{{scope},le=\"100.0\"}}"), 1.0),
        (format!("requests_size_bucket{{{scope},le=\"75.0\"}}"), 0.0),
        (
            format!(
                "target_info{{job=\"{JOB}\",service_name=\"otel-remote-write\",\
                 telemetry_sdk_language=\"rust\",telemetry_sdk_name=\"opentelemetry\"}}"
            ),
            1.0,
        ),
    ];
    for (query, expected) in &exact {
        assert_eq!(prometheus.value(query).await, Some(*expected), "{query}");
    }
    // The observers, on the machine's own figures.
    let ram = prometheus
        .value(&format!("ram_usage_percent{{{scope},dimension=\"value\"}}"))
        .await
        .unwrap();
    assert!(ram > 0.0 && ram <= 100.0, "{ram}");
    let cpu = prometheus
        .value(&format!(
            "cpu_time_seconds_total{{{scope},dimension=\"value\"}}"
        ))
        .await
        .unwrap();
    assert!(cpu >= 0.0, "{cpu}");
    let per_cpu = prometheus.query(&format!("cpu_percent{{{scope}}}")).await;
    let cpus = common::cpus_listed();
    assert_eq!(per_cpu.len(), cpus, "{per_cpu:?}");
    assert!(
        per_cpu.iter().all(|(_, v)| (0.0..=100.0).contains(v)),
        "{per_cpu:?}"
    );
    // Every series the program has, from the scrape: read now, while the target is up.
    let everything = format!("{{job=\"{JOB}\",__name__!~\"(remote_write|metrics|scrape|up).*\"}}");
    let by_scrape = label_sets(&prometheus.query(&everything).await);

    // Ctrl-C: the program stops, pushes the last figures and says so.
    let status = Command::new("kill")
        .args(["-INT", &running.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut summary = String::new();
    stdout.read_line(&mut summary).unwrap();
    assert!(
        summary.starts_with(&format!("remote-write to {url}: "))
            && summary
                .trim_end()
                .ends_with(" samples sent, 0 failed, 0 dropped"),
        "{summary}"
    );
    assert_eq!(running.0.wait().unwrap().code(), Some(0));

    // The push holds the same series, and the same values where they are fixed.
    for (query, expected) in &exact {
        let results = victoria.query_eventually(query).await;
        assert_eq!(results.len(), 1, "{query}: {results:?}");
        assert_eq!(results[0].1, *expected, "{query}");
    }
    let by_push = label_sets(&victoria.query_eventually(&everything).await);
    assert_eq!(by_push, by_scrape);
    // 6 series with `dimension`, a histogram's 15 buckets and +Inf, one per CPU, target_info.
    assert_eq!(by_scrape.len(), 6 + 16 + cpus + 1, "{by_scrape:#?}");
}

#[test]
fn without_a_receiver_it_says_what_to_set() {
    let output = Command::new(BINARY).env_clear().output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(output.stderr).unwrap(),
        "otel-remote-write: REMOTE_WRITE_URL is required: the receiver's remote-write \
         endpoint, such as http://127.0.0.1:9090/api/v1/write\n"
    );
}
