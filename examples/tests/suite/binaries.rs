//! The example binaries as a user runs them: real processes, configured by environment.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BINARIES: [(&str, &str); 4] = [
    ("users-axum", env!("CARGO_BIN_EXE_users-axum")),
    ("users-actix", env!("CARGO_BIN_EXE_users-actix")),
    ("orders-axum", env!("CARGO_BIN_EXE_orders-axum")),
    ("orders-actix", env!("CARGO_BIN_EXE_orders-actix")),
];

/// A running binary, killed when dropped (also when the test fails).
struct Running {
    child: Child,
    /// Each "... on http://ADDR" line it printed: (what, base URL).
    listening: Vec<(String, String)>,
    /// The lines it prints after those.
    stdout: mpsc::Receiver<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    fn url(&self, what: &str, path: &str) -> String {
        let (_, base) = self.listening.iter().find(|(w, _)| w == what).expect(what);
        format!("{base}{path}")
    }
}

fn start(binary: &str, env: &[(&str, &str)], lines: usize) -> Running {
    let mut child = Command::new(binary)
        .env_clear()
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the binary");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut running = Running {
        child,
        listening: Vec::new(),
        stdout: rx,
    };
    while running.listening.len() < lines {
        let line = running
            .stdout
            .recv_timeout(Duration::from_secs(30))
            .expect("the binary reports its address");
        if line.contains(" pushing to ") {
            continue;
        }
        let (what, base) = line.split_once(" on ").expect("'<name> <what> on <url>'");
        let what = what.split_once(' ').map_or(what, |(_, w)| w);
        running.listening.push((what.to_owned(), base.to_owned()));
    }
    running
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_on_their_own_port_behind_a_token() {
    let client = reqwest::Client::new();
    for (name, binary) in BINARIES {
        let env = [
            ("PORT", "0"),
            ("METRICS_PORT", "0"),
            ("METRICS_TOKEN", "s3cret"),
        ];
        let service = start(binary, &env, 2);
        let get = |url: String| client.get(url).send();
        assert_eq!(
            get(service.url("listening", "/health"))
                .await
                .unwrap()
                .status(),
            200,
            "{name}"
        );
        assert_eq!(
            get(service.url("listening", "/metrics"))
                .await
                .unwrap()
                .status(),
            404,
            "{name}: not on the public port"
        );

        let metrics = service.url("serving /metrics", "/metrics");
        let refused = get(metrics.clone()).await.unwrap();
        assert_eq!(refused.status(), 401, "{name}");
        assert_eq!(
            refused.headers()["www-authenticate"],
            "Bearer realm=\"metrics\"",
            "{name}"
        );
        let wrong = client
            .get(&metrics)
            .bearer_auth("s3cre7")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401, "{name}");
        let text = client
            .get(&metrics)
            .bearer_auth("s3cret")
            .send()
            .await
            .unwrap();
        assert_eq!(text.status(), 200, "{name}");
        let text = text.text().await.unwrap();
        assert!(
            text.contains(
                "http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 1\n"
            ),
            "{name}:\n{text}"
        );
        assert!(
            text.contains(
                "http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1\n"
            ),
            "{name}:\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_on_the_public_port() {
    let client = reqwest::Client::new();
    for (name, binary) in BINARIES {
        let service = start(binary, &[("PORT", "0"), ("METRICS_TOKEN", "s3cret")], 1);
        let metrics = service.url("listening", "/metrics");
        assert_eq!(
            client.get(&metrics).send().await.unwrap().status(),
            401,
            "{name}"
        );
        let ok = client
            .get(&metrics)
            .bearer_auth("s3cret")
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200, "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_push_by_remote_write_when_asked_and_once_more_on_ctrl_c() {
    let victoria = tests::victoria::VictoriaMetrics::start().await;
    let client = reqwest::Client::new();
    for (name, binary) in BINARIES {
        let url = victoria.write_url();
        let env = [
            ("PORT", "0"),
            ("REMOTE_WRITE_URL", url.as_str()),
            ("PUSH_INTERVAL_SECONDS", "0.2"),
        ];
        let mut service = start(binary, &env, 1);
        for _ in 0..3 {
            let response = client
                .get(service.url("listening", "/nowhere"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 404, "{name}");
        }
        // Ctrl-C: the service stops, pushes the last figures and says so.
        let status = Command::new("kill")
            .args(["-INT", &service.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let summary = service
            .stdout
            .recv_timeout(Duration::from_secs(30))
            .expect("a summary line");
        assert!(
            summary.starts_with(&format!("{name}: remote-write to {url}: "))
                && summary.ends_with(" samples sent, 0 failed, 0 dropped"),
            "{summary}"
        );
        assert_eq!(service.child.wait().unwrap().code(), Some(0), "{name}");
        let stored = victoria
            .query_until(
                &format!(
                    "http_requests_total{{job=\"{name}\",route=\"unmatched\",status=\"404\"}}"
                ),
                |results| results.iter().any(|(_, value)| *value == 3.0),
            )
            .await;
        assert_eq!(stored.len(), 1, "{name}: {stored:?}");
        assert_eq!(stored[0].1, 3.0, "{name}: {stored:?}");
        assert!(
            stored[0].0["instance"]
                .as_str()
                .unwrap()
                .starts_with("127.0.0.1:"),
            "{stored:?}"
        );
    }
}

#[test]
fn invalid_settings_are_refused_with_a_reason() {
    for (name, binary) in BINARIES {
        for (env, message) in [
            (
                ("PORT", "http"),
                "PORT=\"http\" is invalid: must be a number from 0 to 65535",
            ),
            (("METRICS_PORT", "-1"), "METRICS_PORT=\"-1\" is invalid"),
            (
                ("METRICS_TOKEN", "two words"),
                "METRICS_TOKEN is invalid: invalid bearer token",
            ),
            (
                ("REMOTE_WRITE_URL", "vm:8428"),
                "REMOTE_WRITE_URL=\"vm:8428\" is invalid: must be an http:// or https:// address",
            ),
        ] {
            let output = Command::new(binary)
                .env_clear()
                .envs([env])
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{name} {env:?}: {stderr}");
            assert!(stderr.contains(message), "{name} {env:?}: {stderr}");
        }
    }
}

#[cfg(feature = "exemplars")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_services_keep_the_trace_of_a_request_as_an_exemplar() {
    let client = reqwest::Client::new();
    let trace = "5b8efff798038103d269b633813fc60c";
    for (name, binary) in BINARIES {
        let service = start(binary, &[("PORT", "0")], 1);
        let response = client
            .get(service.url("listening", "/health"))
            .header("traceparent", format!("00-{trace}-eee19b7ec3c1b174-01"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{name}");
        let openmetrics = "application/openmetrics-text; version=1.0.0";
        let url = service.url("listening", "/metrics");
        let text = tests::conformance::fetch_text(&client, &url, openmetrics).await;
        let exemplar = format!(r#"# {{trace_id="{trace}",span_id="eee19b7ec3c1b174"}} 1 "#);
        let counted = text.lines().any(|line| {
            line.starts_with(r#"http_requests_total{method="GET",route="/health",status="200"} 1 "#)
                && line.contains(&exemplar)
        });
        assert!(counted, "{name}:\n{text}");
    }
}
