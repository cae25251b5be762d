//! The machine's figures the OpenTelemetry guide's observers report, read from `/proc` on
//! Linux (psutil's `virtual_memory().percent` and `cpu_percent(percpu=True)`, and the
//! process' CPU time); elsewhere there are none.

use std::sync::Mutex;

/// Percent of the machine's memory in use: `(total - available) / total`, as psutil.
pub fn ram_percent() -> Option<f64> {
    #[cfg(target_os = "linux")]
    {
        use procfs::Current as _;
        let info = procfs::Meminfo::current().ok()?;
        let available = info.mem_available?;
        (info.mem_total > 0).then(|| {
            100.0 * (info.mem_total - available.min(info.mem_total)) as f64 / info.mem_total as f64
        })
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// CPU seconds this process has used, user and system.
pub fn process_cpu_seconds() -> Option<f64> {
    #[cfg(target_os = "linux")]
    {
        let stat = procfs::process::Process::myself().ok()?.stat().ok()?;
        Some((stat.utime + stat.stime) as f64 / procfs::ticks_per_second() as f64)
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// Per-CPU busy percent since the previous reading (since boot the first time), as psutil's
/// `cpu_percent(percpu=True)`.
#[derive(Debug, Default)]
pub struct CpuPercent {
    last: Mutex<Vec<(u64, u64)>>,
}

impl CpuPercent {
    /// Each CPU's busy percent, in CPU order.
    pub fn read(&self) -> Vec<f64> {
        let now = ticks();
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let percents = now
            .iter()
            .enumerate()
            .map(|(i, &(busy, total))| {
                let (busy0, total0) = last.get(i).copied().unwrap_or((0, 0));
                let (busy, total) = (busy.saturating_sub(busy0), total.saturating_sub(total0));
                if total == 0 {
                    0.0
                } else {
                    100.0 * busy as f64 / total as f64
                }
            })
            .collect();
        *last = now;
        percents
    }
}

/// Each CPU's (busy, total) ticks since boot.
fn ticks() -> Vec<(u64, u64)> {
    #[cfg(target_os = "linux")]
    {
        use procfs::CurrentSI as _;
        let Ok(stats) = procfs::KernelStats::current() else {
            return Vec::new();
        };
        stats
            .cpu_time
            .iter()
            .map(|t| {
                let idle = t.idle + t.iowait.unwrap_or(0);
                let total = t.user
                    + t.nice
                    + t.system
                    + idle
                    + t.irq.unwrap_or(0)
                    + t.softirq.unwrap_or(0)
                    + t.steal.unwrap_or(0);
                (total - idle, total)
            })
            .collect()
    }
    #[cfg(not(target_os = "linux"))]
    Vec::new()
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn figures_are_in_range() {
        let ram = ram_percent().unwrap();
        assert!(ram > 0.0 && ram <= 100.0, "{ram}");
        assert!(process_cpu_seconds().unwrap() >= 0.0);
        let cpus = CpuPercent::default();
        let first = cpus.read();
        let listed = std::fs::read_to_string("/proc/stat").unwrap();
        let cpus_listed = listed
            .lines()
            .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
            .count();
        assert_eq!(first.len(), cpus_listed);
        assert!(first.iter().all(|p| (0.0..=100.0).contains(p)), "{first:?}");
    }
}
