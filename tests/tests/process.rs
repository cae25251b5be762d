//! The process metrics against what `/proc` and `ps` report for the same process. (A file of
//! its own, with one test: the thread count is then the harness's and this test's.)

use std::process::Command;

use http_metrics_core::{Format, HttpMetrics};
use tests::Exposition;

/// A number a command prints.
fn run(program: &str, args: &[&str]) -> f64 {
    let output = Command::new(program).args(args).output().unwrap();
    assert!(output.status.success(), "{program} {args:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("{program} {args:?}: {text:?}"))
}

/// The fields of `/proc/self/stat` after the command name, numbered as proc(5) does (the
/// state is field 3).
fn stat() -> Vec<String> {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let mut fields = vec![String::new(); 3];
    fields.extend(after_name.split_whitespace().map(str::to_owned));
    fields
}

fn field(fields: &[String], n: usize) -> f64 {
    fields[n].parse().unwrap()
}

#[test]
fn process_metrics_match_proc_and_ps() {
    let metrics = HttpMetrics::new();
    let ticks = run("getconf", &["CLK_TCK"]);
    let page = run("getconf", &["PAGESIZE"]);
    let boot: f64 = std::fs::read_to_string("/proc/stat")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("btime "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();

    let before = stat();
    let fds_before = std::fs::read_dir("/proc/self/fd").unwrap().count();
    let text = metrics.encode(Format::Prometheus).unwrap();
    let after = stat();
    let m = Exposition::parse(&text);
    let value = |name: &str| {
        m.get(name, &[])
            .unwrap_or_else(|| panic!("no {name} in\n{text}"))
    };

    // Fixed for the process's life: exact.
    let started = boot + field(&before, 22) / ticks;
    assert_eq!(value("process_start_time_seconds"), started);
    let max_fds = run("sh", &["-c", "ulimit -Sn"]);
    assert_eq!(value("process_max_fds"), max_fds);
    // Nothing starts or ends a thread, or opens a file, around the encoding.
    assert_eq!(value("process_threads"), field(&before, 20));
    assert_eq!(value("process_threads"), field(&after, 20));
    assert_eq!(value("process_open_fds"), fds_before as f64);

    // Between the two readings around it.
    let cpu = |fields: &[String]| (field(fields, 14) + field(fields, 15)) / ticks;
    let reported = value("process_cpu_seconds_total");
    assert!(
        (cpu(&before)..=cpu(&after)).contains(&reported),
        "{reported}"
    );
    let vsize = value("process_virtual_memory_bytes");
    assert!((0.9 * field(&before, 23)..=1.1 * field(&after, 23)).contains(&vsize));
    let rss = value("process_resident_memory_bytes");
    let stat_rss = field(&after, 24) * page;
    assert!(
        (0.8 * stat_rss..=1.2 * stat_rss).contains(&rss),
        "{rss} {stat_rss}"
    );

    // ps, an independent reader, in KiB.
    let pid = std::process::id().to_string();
    let ps_rss = run("ps", &["-o", "rss=", "-p", &pid]) * 1024.0;
    assert!(
        (0.8 * ps_rss..=1.2 * ps_rss).contains(&rss),
        "{rss} against ps {ps_rss}"
    );
    let ps_vsz = run("ps", &["-o", "vsz=", "-p", &pid]) * 1024.0;
    assert!(
        (0.9 * ps_vsz..=1.1 * ps_vsz).contains(&vsize),
        "{vsize} against ps {ps_vsz}"
    );
    assert_eq!(
        value("process_threads"),
        run("ps", &["-o", "nlwp=", "-p", &pid])
    );

    // The types, as client_golang declares them.
    for (family, kind) in [
        ("process_cpu_seconds_total", "counter"),
        ("process_resident_memory_bytes", "gauge"),
        ("process_open_fds", "gauge"),
    ] {
        assert_eq!(m.types[family], kind, "{family}");
    }
    // And off when asked.
    let without = HttpMetrics::builder()
        .process_metrics(false)
        .build()
        .unwrap();
    let text = without.encode(Format::Prometheus).unwrap();
    assert!(!text.contains("process_"), "{text}");
}
