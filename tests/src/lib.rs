//! Support for the workspace's integration tests: a strict reader of the text exposition
//! formats, and locators for the real tools the compatibility tests run.

use std::collections::BTreeMap;
use std::path::PathBuf;

pub mod conformance;
pub mod dashboard;
pub mod drive;
pub mod faults;
pub mod load;
pub mod pass_through;
pub mod prometheus;
pub mod pushgateway;
pub mod remote_write;
pub mod remote_write_v2;
pub mod servers;
pub mod victoria;

/// One sample: its label set and value.
pub type Labels = BTreeMap<String, String>;

/// A parsed exposition: every sample by metric name, plus the `# TYPE` of every family.
#[derive(Debug, Default)]
pub struct Exposition {
    /// Samples by sample name (`http_requests_total`, `..._bucket`, ...).
    pub samples: BTreeMap<String, Vec<(Labels, f64)>>,
    /// Family name to declared type.
    pub types: BTreeMap<String, String>,
}

impl Exposition {
    /// Parses OpenMetrics or Prometheus 0.0.4 text; panics with the offending line on any
    /// syntax this reader does not accept, so a malformed exposition fails the test.
    pub fn parse(text: &str) -> Self {
        let mut out = Self::default();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').expect("TYPE line has a type");
                out.types.insert(name.to_owned(), kind.to_owned());
                continue;
            }
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let (name, labels, rest) = split_sample(line);
            let value = rest.split(' ').next().expect("a value");
            let value = match value {
                "+Inf" => f64::INFINITY,
                "-Inf" => f64::NEG_INFINITY,
                v => v
                    .parse()
                    .unwrap_or_else(|_| panic!("bad value in {line:?}")),
            };
            out.samples
                .entry(name.to_owned())
                .or_default()
                .push((labels, value));
        }
        out
    }

    /// The value of the sample `name` whose labels are exactly `labels`.
    pub fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let wanted: Labels = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.samples
            .get(name)?
            .iter()
            .find(|(l, _)| *l == wanted)
            .map(|(_, v)| *v)
    }

    /// The value of `name` with `labels`, or 0 when no such series exists yet.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.get(name, labels).unwrap_or(0.0)
    }

    /// Every label set of the samples named `name`.
    pub fn series(&self, name: &str) -> Vec<&Labels> {
        self.samples
            .get(name)
            .map(|s| s.iter().map(|(l, _)| l).collect())
            .unwrap_or_default()
    }

    /// Checks that the in-flight gauge has exactly the series `expected` — (method, route)
    /// pairs — each at 0, as it must once traffic has stopped: a missing series fails as
    /// surely as a busy one, so the check cannot pass on an empty exposition.
    #[track_caller]
    pub fn assert_idle(&self, expected: &[(&str, &str)]) {
        let expected: Vec<_> = expected.iter().map(|&(m, r)| (m, r, 0.0)).collect();
        self.assert_in_flight(&expected);
    }

    /// Checks that the in-flight gauge has exactly the series `expected`, as (method, route,
    /// value).
    #[track_caller]
    pub fn assert_in_flight(&self, expected: &[(&str, &str, f64)]) {
        let mut found: Vec<(String, String, f64)> = self
            .samples
            .get("http_requests_in_flight")
            .into_iter()
            .flatten()
            .map(|(l, v)| (l["method"].clone(), l["route"].clone(), *v))
            .collect();
        found.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        let mut wanted: Vec<(String, String, f64)> = expected
            .iter()
            .map(|(m, r, v)| ((*m).to_owned(), (*r).to_owned(), *v))
            .collect();
        wanted.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        wanted.dedup();
        assert_eq!(found, wanted, "in-flight series (method, route, value)");
    }

    /// Every distinct value of label `label` across the samples named `name`.
    pub fn label_values(&self, name: &str, label: &str) -> Vec<String> {
        let mut values: Vec<String> = self
            .series(name)
            .iter()
            .filter_map(|l| l.get(label).cloned())
            .collect();
        values.sort();
        values.dedup();
        values
    }
}

/// Splits `name{labels} rest` into its parts, unescaping label values.
fn split_sample(line: &str) -> (&str, Labels, &str) {
    let name_end = line
        .find(['{', ' '])
        .unwrap_or_else(|| panic!("no value in {line:?}"));
    let name = &line[..name_end];
    let mut labels = Labels::new();
    if line.as_bytes()[name_end] == b' ' {
        return (name, labels, &line[name_end + 1..]);
    }
    let mut chars = line[name_end + 1..].char_indices();
    loop {
        let mut key = String::new();
        for (_, c) in chars.by_ref() {
            if c == '=' {
                break;
            }
            if c == '}' && key.is_empty() {
                let end = name_end + 1 + line[name_end + 1..].find('}').expect("closing brace");
                return (name, labels, line[end + 1..].trim_start());
            }
            key.push(c);
        }
        let key = key.trim_start_matches(',').to_owned();
        assert_eq!(
            chars.next().map(|(_, c)| c),
            Some('"'),
            "label value must be quoted: {line:?}"
        );
        let mut value = String::new();
        loop {
            match chars
                .next()
                .unwrap_or_else(|| panic!("unterminated value in {line:?}"))
                .1
            {
                '\\' => match chars.next().expect("escape").1 {
                    'n' => value.push('\n'),
                    '\\' => value.push('\\'),
                    '"' => value.push('"'),
                    other => panic!("invalid escape \\{other} in {line:?}"),
                },
                '"' => break,
                c => value.push(c),
            }
        }
        labels.insert(key, value);
        match chars.next() {
            Some((i, '}')) => {
                let rest = &line[name_end + 1 + i + 1..];
                return (
                    name,
                    labels,
                    rest.strip_prefix(' ').expect("space before value"),
                );
            }
            Some((_, ',')) => {}
            other => panic!("unexpected {other:?} after a label in {line:?}"),
        }
    }
}

/// The `promtool` binary, or a panic that says how to install it.
pub fn promtool() -> PathBuf {
    find_on_path("promtool").unwrap_or_else(|| {
        panic!(
            "promtool was not found on PATH. It comes with the Prometheus server: \
             install it with `sudo apt-get install prometheus` (Debian/Ubuntu), or run \
             `scripts/test.sh`, which installs it."
        )
    })
}

/// Runs `promtool check metrics` on `text`: `Err` with promtool's report when it finds any
/// problem (an error or a lint), so a test can show it.
pub fn promtool_check(text: &str) -> Result<(), String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(promtool())
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run promtool: {e}"))?;
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(text.as_bytes())
        .map_err(|e| format!("cannot write to promtool: {e}"))?;
    let output = child
        .wait_with_output()
        .map_err(|e| format!("promtool failed: {e}"))?;
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() && report.trim().is_empty() {
        Ok(())
    } else {
        Err(format!("exit status {}: {report}", output.status))
    }
}

/// The first executable called `name` on `PATH`.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// The workspace README's code blocks, compiled and run as doctests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// The guides under `docs/`: every Rust block in them compiled and run as a doctest.
#[cfg(doctest)]
pub mod guides {
    #[doc = include_str!("../../docs/configuration.md")]
    pub struct Configuration;
    #[doc = include_str!("../../docs/recording.md")]
    pub struct Recording;
    #[doc = include_str!("../../docs/cardinality.md")]
    pub struct Cardinality;
    #[doc = include_str!("../../docs/push.md")]
    pub struct Push;
    #[doc = include_str!("../../docs/opentelemetry.md")]
    pub struct Opentelemetry;
    #[doc = include_str!("../../docs/exposition.md")]
    pub struct Exposition;
    #[doc = include_str!("../../docs/migrating.md")]
    pub struct Migrating;
    #[doc = include_str!("../../docs/dashboards-and-alerts.md")]
    pub struct DashboardsAndAlerts;
    #[doc = include_str!("../../docs/troubleshooting.md")]
    pub struct Troubleshooting;
    #[doc = include_str!("../../docs/performance.md")]
    pub struct Performance;
}

/// Parses `text` with Python's `prometheus_client` (`format`: `prometheus` or
/// `openmetrics`), returning its JSON rendering (see `tests/python/parse_exposition.py`),
/// or `Err` with the parser's complaint. Panics with how to install it when Python or the
/// package is missing.
pub fn python_parse(text: &str, format: &str) -> Result<serde_json::Value, String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let python = find_on_path("python3").unwrap_or_else(|| {
        panic!("python3 was not found on PATH: install Python 3 (`sudo apt-get install python3`)")
    });
    let probe = Command::new(&python)
        .args(["-c", "import prometheus_client"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        panic!(
            "Python's prometheus_client is not installed: run \
             `python3 -m pip install -r tests/python/requirements.txt`, or `scripts/test.sh`, \
             which installs it."
        );
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/python/parse_exposition.py");
    let mut child = Command::new(python)
        .args([script, format])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(text.as_bytes())
        .map_err(|e| format!("cannot write to python3: {e}"))?;
    let output = child
        .wait_with_output()
        .map_err(|e| format!("python3 failed: {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    serde_json::from_slice(&output.stdout).map_err(|e| format!("unreadable JSON from python3: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_labels_with_escapes_and_values() {
        let text =
            "# TYPE a counter\na_total{x=\"q\\\"}\\n,\\\\\",y=\"\"} 3\nb 1.5\nc{} 2\n# EOF\n";
        let e = Exposition::parse(text);
        assert_eq!(
            e.get("a_total", &[("x", "q\"}\n,\\"), ("y", "")]),
            Some(3.0)
        );
        assert_eq!(e.get("b", &[]), Some(1.5));
        assert_eq!(e.get("c", &[]), Some(2.0));
        assert_eq!(e.types["a"], "counter");
    }

    #[test]
    #[should_panic(expected = "invalid escape")]
    fn rejects_invalid_escapes() {
        Exposition::parse("a{x=\"\\t\"} 1\n");
    }
}
