//! What the manifests promise a user who adds one crate.

use std::process::Command;

fn metadata() -> serde_json::Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/../Cargo.toml");
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .args(["--manifest-path", manifest])
        .output()
        .expect("run cargo metadata");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON")
}

fn package<'a>(metadata: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    let packages = metadata["packages"].as_array().expect("packages");
    (packages.iter().find(|p| p["name"] == name)).unwrap_or_else(|| panic!("no package {name}"))
}

/// Without its `axum` feature, `MetricsLayer` cannot see axum's route templates and records
/// every axum request as `unmatched`, silently: the feature is on by default, so adding the
/// crate is enough.
#[test]
fn tower_metrics_enables_axum_by_default() {
    let metadata = metadata();
    let features = &package(&metadata, "tower-metrics")["features"];
    assert_eq!(features["default"], serde_json::json!(["axum", "process"]));
}

/// Each adapter depends on the core; an application depends on the adapter alone.
#[test]
fn the_adapters_depend_on_the_core_and_their_framework() {
    let metadata = metadata();
    for (adapter, framework) in [("tower-metrics", "axum"), ("actix-metrics", "actix-web")] {
        let dependencies = package(&metadata, adapter)["dependencies"]
            .as_array()
            .unwrap();
        let names: Vec<&str> = dependencies
            .iter()
            .map(|d| d["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"http-metrics-core"), "{adapter}: {names:?}");
        assert!(names.contains(&framework), "{adapter}: {names:?}");
    }
    let core = package(&metadata, "http-metrics-core")["dependencies"]
        .as_array()
        .unwrap();
    for dependency in core {
        let name = dependency["name"].as_str().unwrap();
        assert!(
            !["axum", "actix-web", "tower", "tower-service", "tower-layer"].contains(&name),
            "the core depends on a framework: {name}"
        );
        // The standalone exporter's HTTP server, only with the `exporter` feature.
        if ["hyper", "hyper-util", "tokio"].contains(&name) {
            assert_eq!(
                dependency["optional"], true,
                "{name} is required by the core"
            );
        }
    }
}
