#!/usr/bin/env bash
# The published crates build with the Rust version they declare (`rust-version` in the
# workspace's Cargo.toml), every feature on, with today's newest dependencies: that toolchain
# is installed with rustup when missing. Where it cannot be installed, the declared version
# is checked against the newest `rust-version` the resolved dependencies ask for.
set -euo pipefail
cd "$(dirname "$0")/.."

msrv=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)
crates=(-p http-metrics-core -p http-metrics-macros -p http-metrics-push
        -p http-metrics-opentelemetry -p tower-metrics -p actix-metrics)

if rustup toolchain list | grep -q "^$msrv" || rustup toolchain install "$msrv" --profile minimal >/dev/null 2>&1; then
    echo "msrv: checking with Rust $msrv"
    CARGO_TARGET_DIR=target/msrv cargo "+$msrv" check -q "${crates[@]}" --all-features
    exit 0
fi

echo "msrv: Rust $msrv cannot be installed here; checking the dependencies' rust-version"
# The packages a user's build of the crates compiles: normal dependencies, this platform.
cargo tree -q "${crates[@]}" --all-features -e normal --prefix none --format '{p}' \
    | sed 's/ (.*//' | sort -u > target/msrv-packages.txt
cargo metadata --format-version 1 --all-features | scripts/msrv-deps.py "$msrv" target/msrv-packages.txt
