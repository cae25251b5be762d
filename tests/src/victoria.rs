//! A real VictoriaMetrics single-node server on loopback, receiving remote-write.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A running VictoriaMetrics; dropping it kills the process and removes its data.
#[derive(Debug)]
pub struct VictoriaMetrics {
    child: Child,
    dir: PathBuf,
    /// `http://127.0.0.1:PORT`
    pub base: String,
    client: reqwest::Client,
}

impl Drop for VictoriaMetrics {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl VictoriaMetrics {
    /// Starts a server on a free port and waits until it is healthy; panics with how to
    /// install it when the binary is missing.
    pub async fn start() -> Self {
        let binary = crate::find_on_path("victoria-metrics").unwrap_or_else(|| {
            panic!(
                "victoria-metrics was not found on PATH. Install it with \
                 `sudo apt-get install victoria-metrics` (Debian/Ubuntu), or run \
                 `scripts/test.sh`, which installs it."
            )
        });
        static STARTED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("http-metrics-victoria-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create VictoriaMetrics' directory");
        let port = crate::prometheus::free_port();
        let child = Command::new(binary)
            .arg(format!("-storageDataPath={}", dir.join("data").display()))
            .arg(format!("-httpListenAddr=127.0.0.1:{port}"))
            // Queries see data as soon as it is flushed, not 30 s later, and never a cached
            // answer from before.
            .arg("-search.latencyOffset=0s")
            .arg("-search.disableCache")
            .arg("-loggerLevel=ERROR")
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(dir.join("victoria.log")).expect("create its log"),
            ))
            .spawn()
            .expect("start victoria-metrics");
        let server = Self {
            child,
            dir,
            base: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let health = server.client.get(format!("{}/health", server.base)).send();
            if health.await.is_ok_and(|r| r.status().is_success()) {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "VictoriaMetrics did not become healthy in 30 s; log:\n{}",
                server.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Its remote-write endpoint.
    pub fn write_url(&self) -> String {
        format!("{}/api/v1/write", self.base)
    }

    /// Its log so far, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("victoria.log")).unwrap_or_default()
    }

    /// Makes everything received so far searchable (VictoriaMetrics buffers for about a
    /// second otherwise).
    pub async fn flush(&self) {
        let response = self
            .client
            .get(format!("{}/internal/force_flush", self.base))
            .send()
            .await
            .expect("flush VictoriaMetrics");
        assert!(response.status().is_success(), "{response:?}");
    }

    /// Polls [`VictoriaMetrics::query`] every 100 ms until it has results, for up to 10 s
    /// (a series new to the server takes a moment to be indexed, flush or not), and returns
    /// the last answer.
    pub async fn query_eventually(
        &self,
        promql: &str,
    ) -> Vec<(serde_json::Map<String, Value>, f64)> {
        self.query_until(promql, |results| !results.is_empty())
            .await
    }

    /// Polls [`VictoriaMetrics::query`] every 100 ms until `done` holds for its answer, for
    /// up to 10 s, and returns the last answer: for a value that changed in the last
    /// samples sent, which a query right after the push can miss (a CI run once got the
    /// value before the last push back, flush or not).
    pub async fn query_until(
        &self,
        promql: &str,
        done: impl Fn(&[(serde_json::Map<String, Value>, f64)]) -> bool,
    ) -> Vec<(serde_json::Map<String, Value>, f64)> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let results = self.query(promql).await;
            if done(&results) || Instant::now() > deadline {
                return results;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Flushes, then evaluates `promql` now: each result's labels and value.
    pub async fn query(&self, promql: &str) -> Vec<(serde_json::Map<String, Value>, f64)> {
        self.flush().await;
        crate::prometheus::query(&self.client, &self.base, promql).await
    }
}
