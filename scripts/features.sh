#!/usr/bin/env bash
# What a user's build does: each published crate with no default features, with each of its
# features alone, and (on tower-metrics) each with the `axum` framework feature, as
# `cargo check` builds them. Also its unit tests with default features (CI's test run has
# every feature on).
set -euo pipefail
cd "$(dirname "$0")/.."

features() {
    cargo metadata --format-version 1 --no-deps | python3 -c '
import json, sys
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == sys.argv[1]:
        print(" ".join(f for f in p["features"] if f != "default"))
' "$1"
}

for crate in http-metrics-core http-metrics-push http-metrics-opentelemetry tower-metrics actix-metrics; do
    echo "features: $crate, none"
    cargo check -q -p "$crate" --no-default-features
    for feature in $(features "$crate"); do
        echo "features: $crate, $feature"
        cargo check -q -p "$crate" --no-default-features --features "$feature"
        if [ "$crate" = tower-metrics ] && [ "$feature" != axum ]; then
            cargo check -q -p "$crate" --no-default-features --features "axum,$feature"
        fi
    done
done

echo "features: unit tests with default features"
cargo test -q -p http-metrics-core -p http-metrics-push -p http-metrics-opentelemetry \
    -p tower-metrics -p actix-metrics --lib
