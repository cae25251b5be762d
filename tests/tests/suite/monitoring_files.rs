//! The rule files and dashboards of `examples/monitoring`: current with their generator,
//! accepted by promtool, their alerts proven by promtool's unit tests with hand-written
//! series, and dashboards whose every query uses only the variables they define.
//! (`tests/tests/dashboard.rs` runs the dashboards' queries against a real Prometheus.)

use std::path::PathBuf;
use std::process::Command;

use tests::dashboard::monitoring_dir as monitoring;

fn files(dir: &str, extension: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(monitoring().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.to_string_lossy().ends_with(extension))
        .collect();
    files.sort();
    files
}

/// Runs `command`, panicking with its output unless it succeeds; returns its stdout.
fn run(command: &mut Command) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn the_files_are_what_the_generator_writes() {
    let python = tests::find_on_path("python3").unwrap_or_else(|| {
        panic!("python3 was not found on PATH: install Python 3 (`sudo apt-get install python3`)")
    });
    run(Command::new(python)
        .arg(monitoring().join("generate.py"))
        .arg("--check"));
}

#[test]
fn promtool_accepts_every_rule_file() {
    let rules = files("rules", ".rules.yml");
    assert_eq!(rules.len(), 3, "{rules:?}");
    for file in rules {
        let report = run(Command::new(tests::promtool())
            .arg("check")
            .arg("rules")
            .arg(&file));
        assert!(report.contains("SUCCESS"), "{}: {report}", file.display());
    }
}

#[test]
fn every_alert_fires_as_its_unit_tests_say() {
    let unit_tests = files("tests", ".test.yml");
    assert_eq!(unit_tests.len(), 3, "{unit_tests:?}");
    for file in &unit_tests {
        let report = run(Command::new(tests::promtool())
            .current_dir(monitoring())
            .arg("test")
            .arg("rules")
            .arg(file));
        assert!(report.contains("SUCCESS"), "{}: {report}", file.display());
    }
    // Every alert of every rule file has a unit test in which it fires.
    let tested: String = unit_tests
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    for file in files("rules", ".rules.yml") {
        for line in std::fs::read_to_string(&file).unwrap().lines() {
            if let Some(alert) = line.trim().strip_prefix("- alert: ") {
                let fires =
                    format!("alertname: {alert}\n        exp_alerts:\n          - exp_labels:");
                assert!(
                    tested.contains(&fires),
                    "{alert} of {} has no unit test in which it fires",
                    file.display()
                );
            }
        }
    }
}

#[test]
fn dashboards_use_only_their_variables_and_a_prometheus_data_source() {
    let dashboards = files("dashboards", ".json");
    assert_eq!(dashboards.len(), 2, "{dashboards:?}");
    for file in dashboards {
        let dashboard: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let variables: Vec<&str> = dashboard["templating"]["list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            variables,
            ["datasource", "job", "route"],
            "{}",
            file.display()
        );
        let queries = tests::dashboard::queries(&dashboard);
        assert!(queries.len() >= 20, "{}: {queries:?}", file.display());
        for query in &queries {
            assert_eq!(
                query.datasource,
                "${datasource}",
                "{}: {}",
                file.display(),
                query.panel
            );
            // Only Grafana's `$__rate_interval` and the dashboard's own variables.
            let mut rest = query.expr.as_str();
            while let Some(at) = rest.find('$') {
                rest = &rest[at + 1..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                assert!(
                    name == "__rate_interval" || variables.contains(&name.as_str()),
                    "{}: {} uses ${name}",
                    file.display(),
                    query.panel
                );
            }
        }
        // Panels do not overlap on Grafana's 24-column grid.
        let mut cells = std::collections::HashSet::new();
        for panel in dashboard["panels"].as_array().unwrap() {
            let grid = &panel["gridPos"];
            let [x, y, w, h] = ["x", "y", "w", "h"].map(|k| grid[k].as_u64().unwrap());
            assert!(x + w <= 24, "{}: {panel}", file.display());
            for cell in (x..x + w).flat_map(|x| (y..y + h).map(move |y| (x, y))) {
                assert!(
                    cells.insert(cell),
                    "{}: {} overlaps another panel",
                    file.display(),
                    panel["title"]
                );
            }
        }
    }
}

#[test]
fn the_example_prometheus_configuration_loads_the_rules() {
    let config = monitoring().join("../prometheus.yml");
    let report = run(Command::new(tests::promtool())
        .arg("check")
        .arg("config")
        .arg(&config));
    assert!(report.contains("SUCCESS: 2 rule files found"), "{report}");
}
