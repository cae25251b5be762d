//! Grafana dashboards as the tests read them: every panel's queries, and the variables
//! Grafana would substitute.

use serde_json::Value;

/// One query of a dashboard panel.
#[derive(Debug, Clone)]
pub struct Query {
    /// The panel's title.
    pub panel: String,
    /// The PromQL, with the dashboard's variables unsubstituted.
    pub expr: String,
    /// The query's data source uid.
    pub datasource: String,
}

/// Every query of every panel of `dashboard`, in order (rows' collapsed panels included).
pub fn queries(dashboard: &Value) -> Vec<Query> {
    let mut out = Vec::new();
    let mut panels: Vec<&Value> = Vec::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        panels.push(panel);
        if let Some(inner) = panel["panels"].as_array() {
            panels.extend(inner);
        }
    }
    for panel in panels {
        for target in panel["targets"].as_array().into_iter().flatten() {
            out.push(Query {
                panel: panel["title"].as_str().unwrap_or_default().to_owned(),
                expr: target["expr"].as_str().expect("a target's expr").to_owned(),
                datasource: target["datasource"]["uid"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
    }
    out
}

/// `expr` with Grafana's variables replaced: `$job` and `$route` by regular expressions,
/// `$__rate_interval` by a range.
pub fn substitute(expr: &str, job: &str, route: &str, rate_interval: &str) -> String {
    expr.replace("$__rate_interval", rate_interval)
        .replace("$job", job)
        .replace("$route", route)
}

/// `examples/monitoring`: the rules, dashboards and their generator.
pub fn monitoring_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/monitoring")
}

/// Reads a dashboard file of `examples/monitoring/dashboards`.
pub fn load(name: &str) -> Value {
    let path = monitoring_dir().join("dashboards").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
