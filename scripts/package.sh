#!/usr/bin/env bash
# Packages the published crates as crates.io would receive them, and builds each from its
# package (cargo package's verification).
#
# cargo verifies a crate that depends on another crate of this workspace against the
# packaged one, through a temporary registry that it unpacks under
# $CARGO_HOME/registry/src/-<hash of the workspace's path>/. An unpacked crate there is
# reused as it is by the next run from the same folder, even when the crate has changed since
# (same name, same version): a second run would verify the adapters against an old core.
# The unpacked copies of this workspace's crates are removed first, so every run verifies
# against what it has just packaged.
set -euo pipefail
cd "$(dirname "$0")/.."

crates=(http-metrics-core http-metrics-macros http-metrics-push http-metrics-opentelemetry tower-metrics actix-metrics)
registry_src="${CARGO_HOME:-$HOME/.cargo}/registry/src"
for crate in "${crates[@]}"; do
    rm -rf "$registry_src"/-*/"$crate"-*
done
cargo package -q --workspace --exclude examples --exclude tests --allow-dirty
