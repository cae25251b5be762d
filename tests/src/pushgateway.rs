//! A real Prometheus Pushgateway on loopback.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running Pushgateway; dropping it kills the process.
#[derive(Debug)]
pub struct Pushgateway {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub base: String,
}

impl Drop for Pushgateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Pushgateway {
    /// Starts a gateway (no persistence) on a free port and waits until it is ready; panics
    /// with how to install it when the binary is missing.
    pub fn start() -> Self {
        let binary = crate::find_on_path("prometheus-pushgateway").unwrap_or_else(|| {
            panic!(
                "prometheus-pushgateway was not found on PATH. Install it with \\
                 `sudo apt-get install prometheus-pushgateway` (Debian/Ubuntu), or run \\
                 `scripts/test.sh`, which installs it."
            )
        });
        let port = crate::prometheus::free_port();
        let child = Command::new(binary)
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--log.level=warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start prometheus-pushgateway");
        let gateway = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let ready = reqwest::blocking::get(format!("{}/-/ready", gateway.base));
            if ready.is_ok_and(|r| r.status().is_success()) {
                return gateway;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the Pushgateway did not become ready in 30 s");
    }

    /// What the gateway exposes now (every pushed group, in the Prometheus text format),
    /// parsed.
    pub fn exposition(&self) -> crate::Exposition {
        let text = reqwest::blocking::get(format!("{}/metrics", self.base))
            .and_then(|r| r.text())
            .expect("the gateway's /metrics");
        crate::Exposition::parse(&text)
    }
}
