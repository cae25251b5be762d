#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs the real tools the compatibility tests
# use when they are missing (the Prometheus server and promtool, from Debian's `prometheus`
# package; the Pushgateway, from `prometheus-pushgateway`; VictoriaMetrics, from
# `victoria-metrics`; Python's prometheus_client, from PyPI), then runs every unit, integration, end-to-end and doc test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/tools.sh
ensure_servers
ensure_python_client

cargo test --workspace --all-features
