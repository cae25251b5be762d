//! A real Prometheus server on loopback, scraping the test's services.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The `prometheus` binary, or a panic that says how to install it.
pub fn binary() -> PathBuf {
    crate::find_on_path("prometheus").unwrap_or_else(|| {
        panic!(
            "the prometheus server was not found on PATH. Install it with \
             `sudo apt-get install prometheus` (Debian/Ubuntu), or run `scripts/test.sh`, \
             which installs it."
        )
    })
}

/// A running Prometheus; dropping it kills the process and removes its data.
#[derive(Debug)]
pub struct Prometheus {
    child: Child,
    dir: PathBuf,
    port: u16,
    flags: Vec<String>,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    client: reqwest::Client,
}

fn spawn(dir: &std::path::Path, port: u16, flags: &[String]) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("prometheus.log"))
        .expect("open its log");
    let mut command = Command::new(binary());
    command
        .arg(format!(
            "--config.file={}",
            dir.join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--log.level=warn");
    command.args(flags);
    command
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .expect("start prometheus")
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The scrape configuration for `targets` (job name, `host:port`), every second. A job named
/// `pushgateway` keeps the labels of what was pushed (`honor_labels: true`), as a gateway
/// must be scraped.
pub fn config(targets: &[(&str, &str)]) -> String {
    let mut yaml = String::from(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n",
    );
    for (job, target) in targets {
        let honor = if *job == "pushgateway" {
            "    honor_labels: true\n"
        } else {
            ""
        };
        yaml.push_str(&format!(
            "  - job_name: \"{job}\"\n{honor}    metrics_path: /metrics\n    static_configs:\n      - targets: [\"{target}\"]\n"
        ));
    }
    yaml
}

/// [`config`] with `rule_files` evaluated every second.
pub fn config_with_rules(targets: &[(&str, &str)], rules: &[PathBuf]) -> String {
    let mut yaml = String::from("rule_files:\n");
    for rule in rules {
        yaml.push_str(&format!("  - {:?}\n", rule.display().to_string()));
    }
    yaml + &config(targets)
}

impl Prometheus {
    /// Starts Prometheus scraping `targets` and waits until it is ready.
    pub async fn start(targets: &[(&str, &str)]) -> Self {
        Self::start_with(targets, false).await
    }

    /// Starts Prometheus scraping `targets` and accepting remote-write at
    /// [`Prometheus::write_url`] (`--web.enable-remote-write-receiver`).
    pub async fn start_receiver(targets: &[(&str, &str)]) -> Self {
        Self::start_with(targets, true).await
    }

    /// Starts Prometheus scraping `targets` and storing the exemplars it scrapes
    /// (`--enable-feature=exemplar-storage`).
    pub async fn start_with_exemplars(targets: &[(&str, &str)]) -> Self {
        Self::start_flags(targets, &["--enable-feature=exemplar-storage"]).await
    }

    /// Starts Prometheus scraping `targets` in the protobuf format and storing native
    /// histograms (`--enable-feature=native-histograms`).
    pub async fn start_with_native_histograms(targets: &[(&str, &str)]) -> Self {
        Self::start_flags(targets, &["--enable-feature=native-histograms"]).await
    }

    /// Starts Prometheus storing both native histograms and exemplars
    /// (`--enable-feature=native-histograms,exemplar-storage`).
    pub async fn start_with_native_histograms_and_exemplars(targets: &[(&str, &str)]) -> Self {
        Self::start_flags(
            targets,
            &["--enable-feature=native-histograms,exemplar-storage"],
        )
        .await
    }

    /// Starts Prometheus accepting remote-write and storing native histograms and exemplars
    /// (`--web.enable-remote-write-receiver --enable-feature=native-histograms,exemplar-storage`).
    pub async fn start_receiver_with_native_histograms_and_exemplars() -> Self {
        Self::start_flags(
            &[],
            &[
                "--web.enable-remote-write-receiver",
                "--enable-feature=native-histograms,exemplar-storage",
            ],
        )
        .await
    }

    /// Starts Prometheus scraping `targets` and evaluating the rule files `rules` every
    /// second.
    pub async fn start_with_rules(targets: &[(&str, &str)], rules: &[PathBuf]) -> Self {
        Self::start_config(config_with_rules(targets, rules), &[]).await
    }

    async fn start_with(targets: &[(&str, &str)], receiver: bool) -> Self {
        let flags: &[&str] = if receiver {
            &["--web.enable-remote-write-receiver"]
        } else {
            &[]
        };
        Self::start_flags(targets, flags).await
    }

    async fn start_flags(targets: &[(&str, &str)], flags: &[&str]) -> Self {
        Self::start_config(config(targets), flags).await
    }

    async fn start_config(config: String, flags: &[&str]) -> Self {
        static STARTED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "http-metrics-prometheus-{}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("data")).expect("create Prometheus' directory");
        std::fs::write(dir.join("prometheus.yml"), config).expect("write its config");
        let port = free_port();
        let flags: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
        let mut prometheus = Self {
            child: spawn(&dir, port, &flags),
            dir,
            port,
            flags,
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
        };
        prometheus.wait_ready().await;
        prometheus
    }

    /// The remote-write endpoint, when started with [`Prometheus::start_receiver`].
    pub fn write_url(&self) -> String {
        format!("{}/api/v1/write", self.base)
    }

    /// Kills the server (as `kill -9` would); its data stays for [`Prometheus::restart`].
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts the server again on the same port and data, and waits until it is ready.
    pub async fn restart(&mut self) {
        self.kill();
        self.child = spawn(&self.dir, self.port, &self.flags);
        self.wait_ready().await;
    }

    async fn wait_ready(&mut self) {
        let ready = self
            .poll(Duration::from_secs(30), || async {
                let url = format!("{}/-/ready", self.base);
                self.client
                    .get(url)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
            })
            .await;
        assert!(
            ready,
            "Prometheus did not become ready in 30 s; log:\n{}",
            self.log()
        );
    }

    /// Prometheus' own log so far, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("prometheus.log")).unwrap_or_default()
    }

    /// The exemplars stored for series matching `selector` in the last hour: each one's
    /// series labels and exemplar labels.
    pub async fn exemplars(
        &self,
        selector: &str,
    ) -> Vec<(
        serde_json::Map<String, Value>,
        serde_json::Map<String, Value>,
    )> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after the epoch")
            .as_secs_f64();
        let response: Value = self
            .client
            .get(format!("{}/api/v1/query_exemplars", self.base))
            .query(&[
                ("query", selector.to_owned()),
                ("start", format!("{}", now - 3600.0)),
                ("end", format!("{}", now + 60.0)),
            ])
            .send()
            .await
            .expect("query Prometheus")
            .json()
            .await
            .expect("a JSON answer");
        assert_eq!(response["status"], "success", "{selector}: {response}");
        let mut out = Vec::new();
        for series in response["data"].as_array().expect("a list") {
            let labels = series["seriesLabels"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            for exemplar in series["exemplars"].as_array().expect("exemplars") {
                let found = exemplar["labels"].as_object().cloned().unwrap_or_default();
                out.push((labels.clone(), found));
            }
        }
        out
    }

    /// Evaluates `promql` now: each result's labels and value.
    pub async fn query(&self, promql: &str) -> Vec<(serde_json::Map<String, Value>, f64)> {
        query(&self.client, &self.base, promql).await
    }

    /// Evaluates `promql` at `time` (seconds since the epoch): each result's labels and value.
    pub async fn query_at(
        &self,
        promql: &str,
        time: f64,
    ) -> Vec<(serde_json::Map<String, Value>, f64)> {
        let data = self.api_query(promql, Some(time)).await;
        assert_eq!(data["resultType"], "vector", "{promql}: {data}");
        vector(&data)
    }

    /// The samples of the range selector `selector` at `time`: each series' labels and its
    /// `(timestamp, value)` pairs.
    pub async fn samples_at(
        &self,
        selector: &str,
        time: f64,
    ) -> Vec<(serde_json::Map<String, Value>, Vec<(f64, f64)>)> {
        let data = self.api_query(selector, Some(time)).await;
        assert_eq!(data["resultType"], "matrix", "{selector}: {data}");
        data["result"]
            .as_array()
            .expect("a matrix")
            .iter()
            .map(|series| {
                let samples = series["values"]
                    .as_array()
                    .expect("samples")
                    .iter()
                    .map(|pair| {
                        let t = pair[0].as_f64().expect("a timestamp");
                        let v = pair[1]
                            .as_str()
                            .expect("a value")
                            .parse()
                            .expect("a number");
                        (t, v)
                    })
                    .collect();
                (
                    series["metric"].as_object().cloned().unwrap_or_default(),
                    samples,
                )
            })
            .collect()
    }

    async fn api_query(&self, promql: &str, time: Option<f64>) -> Value {
        api_query(&self.client, &self.base, promql, time).await
    }

    /// Every rule Prometheus loaded: its name, health (`ok`, `err`, `unknown`) and last
    /// error.
    pub async fn rules(&self) -> Vec<(String, String, String)> {
        let response: Value = self
            .client
            .get(format!("{}/api/v1/rules", self.base))
            .send()
            .await
            .expect("ask Prometheus")
            .json()
            .await
            .expect("a JSON answer");
        let mut out = Vec::new();
        for group in response["data"]["groups"].as_array().expect("groups") {
            for rule in group["rules"].as_array().expect("rules") {
                let text = |key: &str| rule[key].as_str().unwrap_or_default().to_owned();
                out.push((text("name"), text("health"), text("lastError")));
            }
        }
        out
    }

    /// The single value of `promql`, or `None` when it has no result.
    pub async fn value(&self, promql: &str) -> Option<f64> {
        let results = self.query(promql).await;
        assert!(
            results.len() <= 1,
            "{promql} has {} results: {results:?}",
            results.len()
        );
        results.first().map(|(_, v)| *v)
    }

    /// The type Prometheus recorded for metric family `metric` scraped from `job`.
    pub async fn metadata_type(&self, job: &str, metric: &str) -> Option<String> {
        let response: Value = self
            .client
            .get(format!("{}/api/v1/targets/metadata", self.base))
            .query(&[
                ("match_target", format!("{{job=\"{job}\"}}")),
                ("metric", metric.to_owned()),
            ])
            .send()
            .await
            .ok()?
            .json()
            .await
            .ok()?;
        response["data"][0]["type"].as_str().map(str::to_owned)
    }

    /// Every target's scrape health and last error, for failure messages.
    pub async fn targets(&self) -> String {
        let response = self
            .client
            .get(format!("{}/api/v1/targets", self.base))
            .send()
            .await;
        match response {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(e) => e.to_string(),
        }
    }

    /// Polls `check` every 200 ms for up to 30 s, and fails with `what`, the targets and
    /// the server's log if it never holds.
    pub async fn wait_until<F, Fut>(&self, what: &str, check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        if !self.poll(Duration::from_secs(30), check).await {
            panic!(
                "{what}; targets:\n{}\nlog:\n{}",
                self.targets().await,
                self.log()
            );
        }
    }

    /// Polls `check` every 200 ms until it holds or `timeout` passes.
    pub async fn poll<F, Fut>(&self, timeout: Duration, mut check: F) -> bool
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + timeout;
        loop {
            if check().await {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Evaluates `promql` now through the Prometheus query API at `base` (Prometheus, and
/// VictoriaMetrics, which serves the same API): each result's labels and value.
pub async fn query(
    client: &reqwest::Client,
    base: &str,
    promql: &str,
) -> Vec<(serde_json::Map<String, Value>, f64)> {
    vector(&api_query(client, base, promql, None).await)
}

/// The `data` of the query API's answer to `promql` at `time` (or now), which must succeed.
async fn api_query(client: &reqwest::Client, base: &str, promql: &str, time: Option<f64>) -> Value {
    let mut params = vec![("query", promql.to_owned())];
    if let Some(time) = time {
        params.push(("time", format!("{time:.3}")));
    }
    let mut response: Value = client
        .get(format!("{base}/api/v1/query"))
        .query(&params)
        .send()
        .await
        .expect("query the server")
        .json()
        .await
        .expect("a JSON answer");
    assert_eq!(response["status"], "success", "{promql}: {response}");
    response["data"].take()
}

/// The labels and value of each result of an instant vector.
fn vector(data: &Value) -> Vec<(serde_json::Map<String, Value>, f64)> {
    data["result"]
        .as_array()
        .expect("a vector result")
        .iter()
        .map(|r| {
            let value = r["value"][1]
                .as_str()
                .expect("a value")
                .parse()
                .expect("a number");
            (r["metric"].as_object().cloned().unwrap_or_default(), value)
        })
        .collect()
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// What PromQL's `histogram_quantile(q, …)` returns for one classic histogram: `buckets`
/// are `(upper bound, cumulative count)`, sorted, the last one `+Inf`. The rank is found by
/// linear interpolation within its bucket (from 0 for the first), and a rank in the `+Inf`
/// bucket returns the highest finite bound, as Prometheus does.
pub fn histogram_quantile(q: f64, buckets: &[(f64, f64)]) -> f64 {
    assert!(
        buckets.last().is_some_and(|(le, _)| le.is_infinite()),
        "the last bucket is +Inf: {buckets:?}"
    );
    let observations = buckets[buckets.len() - 1].1;
    if buckets.len() < 2 || observations == 0.0 {
        return f64::NAN;
    }
    let mut rank = q * observations;
    let b = buckets[..buckets.len() - 1]
        .iter()
        .position(|(_, count)| *count >= rank)
        .unwrap_or(buckets.len() - 1);
    if b == buckets.len() - 1 {
        return buckets[buckets.len() - 2].0;
    }
    let (end, mut count) = buckets[b];
    let mut start = 0.0;
    if b > 0 {
        start = buckets[b - 1].0;
        count -= buckets[b - 1].1;
        rank -= buckets[b - 1].1;
    }
    start + (end - start) * (rank / count)
}
