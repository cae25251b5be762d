#!/usr/bin/env bash
# Renders the four golden-signal panels of the Grafana dashboard (examples/monitoring/dashboards/
# http-metrics.json) as PNG images, from a real Prometheus that scraped the four example
# services under the `traffic` program's load: each panel's own query (job and route at
# "All", `$__rate_interval` at 20s, what Grafana takes for a 5 s scrape interval), drawn by
# Prometheus' graph page in headless Chromium. The images go to examples/monitoring/images/,
# where the README shows them.
#
# Usage: scripts/dashboard-images.sh [SECONDS]   (default 300: the traffic's duration and the
# graphs' range)
# Uses ports 5000, 5001, 8000, 8001 (the services, as examples/prometheus.yml scrapes them)
# and 9090 (Prometheus; PROMETHEUS_PORT to change it). Installs Prometheus and Chromium from
# Debian's packages when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/tools.sh

seconds=${1:-300}
port=${PROMETHEUS_PORT:-9090}
out=examples/monitoring/images
ensure_servers
command -v chromium >/dev/null 2>&1 || apt_install chromium
cargo build -q -p examples --bins

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

for service in users-axum:5000 users-actix:5001 orders-axum:8000 orders-actix:8001; do
    PORT=${service#*:} target/debug/${service%:*} >"$work/${service%:*}.log" 2>&1 &
    pids+=($!)
done
prometheus --config.file=examples/prometheus.yml --storage.tsdb.path="$work/data" \
    --web.listen-address="127.0.0.1:$port" --log.level=warn >"$work/prometheus.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
    curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null && break
    sleep 0.2
done
curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null || {
    cat "$work/prometheus.log" >&2
    exit 1
}

echo "sending traffic for $seconds s" >&2
target/debug/traffic --seconds "$seconds" >&2
# Let the last scrapes in.
sleep 6

mkdir -p "$out"
python3 - "$port" "$seconds" <<'PYTHON' >"$work/pages"
import json, sys, urllib.parse
port, seconds = sys.argv[1], int(sys.argv[2])
panels = {
    "traffic": "Traffic: requests per second, by route",
    "errors": "Errors: share of requests answered 5xx, by route",
    "latency": "Latency: p50, p90 and p99 of the selected routes",
    "saturation": "Saturation: requests in flight, by route",
}
dashboard = json.load(open("examples/monitoring/dashboards/http-metrics.json"))
by_title = {p["title"]: p for p in dashboard["panels"]}
for name, title in panels.items():
    targets = by_title[title]["targets"]
    exprs = []
    for t in targets:
        expr = (t["expr"].replace("$__rate_interval", "20s")
                .replace("$job", ".+").replace("$route", ".+"))
        if len(targets) > 1:
            # Several queries in one graph: each one's series named by its legend.
            legend = t["legendFormat"]
            expr = f'label_replace({expr}, "series", "{legend}", "", "")'
        exprs.append(expr)
    query = "\nor\n".join(exprs)
    params = {"g0.expr": query, "g0.tab": "0", "g0.range_input": f"{seconds}s"}
    print(name, f"http://127.0.0.1:{port}/graph?" + urllib.parse.urlencode(params))
PYTHON

while read -r name url; do
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$work/chromium" --hide-scrollbars --window-size=1200,900 \
        --virtual-time-budget=10000 --screenshot="$out/$name.png" "$url" 2>/dev/null
    echo "$out/$name.png" >&2
done <"$work/pages"
