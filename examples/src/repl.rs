//! The OpenCensus quickstart's REPL: reads lines from standard input, prints each one
//! upper-cased, and records the guide's three views, served on `/metrics` by the
//! standalone exporter (`PORT`, default 8002) while it runs.
//!
//! | view (guide) | metric | type | labels |
//! |---|---|---|---|
//! | `demo_latency`, ms | `demo_latency_seconds` | histogram, the guide's bounds in seconds: 0, 0.025, 0.05, 0.075, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 2, 4, 6 | `method`, `status`, `error` |
//! | `demo_lines_in` | `demo_lines_in_total` | counter | `method`, `status`, `error` |
//! | `demo_line_lengths`, bytes | `demo_line_lengths_bytes` | histogram, the guide's bounds: 0, 5, 10, 15, 20, 40, 60, 80, 100, 200, 400, 600, 800, 1000 | `method`, `status`, `error` |
//!
//! Prometheus' base units replace the guide's milliseconds (latency) and keep its bytes
//! (lengths, which count a line's bytes without its line ending). Tags as in the guide:
//! `method="repl"`, `status="OK"`; a line that is not UTF-8 is `status="ERROR"` with
//! `error="invalid_utf8"` (and is printed as the bytes it could read), `error=""` otherwise.

use std::io::{self, BufRead, Write};
use std::time::Instant;

use tower_metrics::prometheus_client::encoding::EncodeLabelSet;
use tower_metrics::prometheus_client::metrics::counter::Counter;
use tower_metrics::prometheus_client::metrics::family::Family;
use tower_metrics::prometheus_client::metrics::histogram::Histogram;
use tower_metrics::prometheus_client::registry::Unit;
use tower_metrics::HttpMetrics;

/// The guide's latency bounds, in milliseconds, as seconds.
pub const LATENCY_BUCKETS: [f64; 13] = [
    0.0, 0.025, 0.05, 0.075, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 2.0, 4.0, 6.0,
];
/// The guide's line-length bounds, in bytes.
pub const LENGTH_BUCKETS: [f64; 14] = [
    0.0, 5.0, 10.0, 15.0, 20.0, 40.0, 60.0, 80.0, 100.0, 200.0, 400.0, 600.0, 800.0, 1000.0,
];

/// The guide's tags.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Tags {
    method: &'static str,
    status: &'static str,
    error: &'static str,
}

type Histograms = Family<Tags, Histogram, fn() -> Histogram>;

/// The three views, registered on a registry.
#[derive(Clone, Debug)]
pub struct Views {
    latency: Histograms,
    lines_in: Family<Tags, Counter>,
    line_lengths: Histograms,
}

impl Views {
    /// Creates the views and registers them on `metrics`.
    pub fn register(metrics: &HttpMetrics) -> Self {
        let views = Self {
            latency: Family::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS)),
            lines_in: Family::default(),
            line_lengths: Family::new_with_constructor(|| Histogram::new(LENGTH_BUCKETS)),
        };
        metrics
            .register_with_unit(
                "demo_latency",
                "The distribution of the latencies",
                Unit::Seconds,
                views.latency.clone(),
            )
            .expect("a name no other family writes");
        metrics
            .register(
                "demo_lines_in",
                "The number of lines from standard input",
                views.lines_in.clone(),
            )
            .expect("a name no other family writes");
        metrics
            .register_with_unit(
                "demo_line_lengths",
                "Groups the lengths of keys in buckets",
                Unit::Bytes,
                views.line_lengths.clone(),
            )
            .expect("a name no other family writes");
        views
    }

    /// One turn of the loop: prints `line` upper-cased to `out` and records it; the error is
    /// the output's.
    pub fn process(&self, line: &[u8], out: &mut impl Write) -> io::Result<()> {
        let started = Instant::now();
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        let (text, tags) = match std::str::from_utf8(content) {
            Ok(text) => (text.to_uppercase(), self.tags("OK", "")),
            Err(_) => (
                String::from_utf8_lossy(content).to_uppercase(),
                self.tags("ERROR", "invalid_utf8"),
            ),
        };
        let written = writeln!(out, "{text}").and_then(|()| out.flush());
        self.latency
            .get_or_create(&tags)
            .observe(started.elapsed().as_secs_f64());
        self.lines_in.get_or_create(&tags).inc();
        self.line_lengths
            .get_or_create(&tags)
            .observe(content.len() as f64);
        written
    }

    fn tags(&self, status: &'static str, error: &'static str) -> Tags {
        Tags {
            method: "repl",
            status,
            error,
        }
    }
}

/// Reads `input` line by line until its end, processing each.
pub fn run(views: &Views, input: impl BufRead, out: &mut impl Write) -> io::Result<()> {
    for line in input.split(b'\n') {
        views.process(&line?, out)?;
    }
    Ok(())
}
