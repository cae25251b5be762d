//! Process metrics, as every Prometheus client exposes them by default, with client_golang's
//! names and meanings, read from `/proc/self` at each scrape (Linux; elsewhere there are
//! none, and no error):
//!
//! | name | type | meaning |
//! |---|---|---|
//! | `process_cpu_seconds_total` | counter | user and system CPU time spent, in seconds |
//! | `process_resident_memory_bytes` | gauge | resident set size |
//! | `process_virtual_memory_bytes` | gauge | virtual memory size |
//! | `process_open_fds` | gauge | open file descriptors |
//! | `process_max_fds` | gauge | the soft limit on open file descriptors (absent when unlimited) |
//! | `process_start_time_seconds` | gauge | when the process started, seconds since the Unix epoch |
//! | `process_threads` | gauge | threads of the process |
//!
//! A value `/proc` cannot give (a restricted `/proc`, say) is left out of that scrape alone.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

/// The process families' names, with their kinds.
pub(crate) const NAMES: [(&str, crate::base::Kind); 7] = {
    use crate::base::Kind::{Counter, Gauge};
    [
        ("process_cpu_seconds", Counter),
        ("process_resident_memory_bytes", Gauge),
        ("process_virtual_memory_bytes", Gauge),
        ("process_start_time_seconds", Gauge),
        ("process_threads", Gauge),
        ("process_open_fds", Gauge),
        ("process_max_fds", Gauge),
    ]
};

/// Reads `/proc/self` at each scrape.
#[derive(Debug, Default)]
pub(crate) struct ProcessCollector;

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> std::fmt::Result {
        #[cfg(target_os = "linux")]
        for sample in linux::read() {
            let (name, help, value) = sample;
            match name {
                "process_cpu_seconds" => {
                    let counter = ConstCounter::new(value);
                    let metric =
                        encoder.encode_descriptor(name, help, None, counter.metric_type())?;
                    counter.encode(metric)?;
                }
                _ => {
                    let gauge = ConstGauge::new(value);
                    let metric =
                        encoder.encode_descriptor(name, help, None, gauge.metric_type())?;
                    gauge.encode(metric)?;
                }
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = &mut encoder;
        Ok(())
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use procfs::process::{LimitValue, Process};

    /// (name, help, value) of every process metric `/proc` answers now.
    pub(super) fn read() -> Vec<(&'static str, &'static str, f64)> {
        let mut out = Vec::with_capacity(7);
        let Ok(process) = Process::myself() else {
            return out;
        };
        let ticks = procfs::ticks_per_second() as f64;
        if let Ok(stat) = process.stat() {
            out.push((
                "process_cpu_seconds",
                "Total user and system CPU time spent in seconds",
                (stat.utime + stat.stime) as f64 / ticks,
            ));
            out.push((
                "process_resident_memory_bytes",
                "Resident memory size in bytes",
                (stat.rss * procfs::page_size()) as f64,
            ));
            out.push((
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes",
                stat.vsize as f64,
            ));
            if let Ok(boot) = procfs::boot_time_secs() {
                out.push((
                    "process_start_time_seconds",
                    "Start time of the process since unix epoch in seconds",
                    boot as f64 + stat.starttime as f64 / ticks,
                ));
            }
            out.push((
                "process_threads",
                "Number of OS threads in the process",
                stat.num_threads as f64,
            ));
        }
        if let Ok(fds) = process.fd_count() {
            out.push((
                "process_open_fds",
                "Number of open file descriptors",
                fds as f64,
            ));
        }
        if let Ok(limits) = process.limits() {
            if let LimitValue::Value(max) = limits.max_open_files.soft_limit {
                out.push((
                    "process_max_fds",
                    "Maximum number of open file descriptors",
                    max as f64,
                ));
            }
        }
        out
    }
}
