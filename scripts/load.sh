#!/usr/bin/env bash
# Loopback load test: bare and instrumented servers, on axum and actix-web, measured by wrk in
# alternating rounds within one run. Reports throughput and latency percentiles, and each
# instrumented server's throughput as a share of its bare twin's: the ratio of the medians,
# and the median (and range) of the ratios within each round, where bare and instrumented
# ran back to back, in turn first (so that the machine's drift falls on both alike). Also
# the server's CPU time per request (user and system, from /proc), and its share of bare's:
# the cost of a request whichever side limits the throughput.
#
# Usage: scripts/load.sh [SECONDS_PER_RUN] [ROUNDS] [PATHS]   (defaults: 10 s, 3 rounds, one)
#   PATHS: `one` sends every request to /users/42; `many` gives every request a new id
#   (/users/1, /users/2, ...), as a service whose ids come from a large space sees them.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/tools.sh

seconds=${1:-10}
rounds=${2:-3}
paths=${3:-one}
wrk_args=()
case "$paths" in
    one) ;;
    many)
        script=$(mktemp --suffix .lua)
        cat >"$script" <<'LUA'
local id = 0
request = function()
    id = id + 1
    return wrk.format("GET", "/users/" .. id)
end
LUA
        wrk_args=(-s "$script")
        ;;
    *)
        echo "PATHS must be 'one' or 'many', not '$paths'" >&2
        exit 2
        ;;
esac
command -v wrk >/dev/null 2>&1 || apt_install wrk
cargo build --release -q -p tests --bin bench-server
server=${CARGO_TARGET_DIR:-target}/release/bench-server

# On a machine with two CPUs or more, the servers share one CPU and wrk has another: the two
# sides never take turns on one CPU, and the servers idle between rounds, one at a time.
pin_server=()
pin_client=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
    pin_server=(taskset -c 1)
    pin_client=(taskset -c 0)
fi

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

declare -A port=([axum-bare]=18081 [axum-metrics]=18082 [actix-bare]=18083 [actix-metrics]=18084)
declare -A pid_of
for name in axum-bare axum-metrics actix-bare actix-metrics; do
    "${pin_server[@]}" "$server" "${name%-*}" "${name#*-}" "${port[$name]}" &
    pids+=($!)
    pid_of[$name]=$!
done
# CPU time a server has used, user and system (the kernel's share of its sockets included),
# in clock ticks. Per request, it is the server's cost whichever side limits the throughput:
# on two CPUs, wrk itself runs close to 100 % of its own.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ticks_per_s=$(getconf CLK_TCK)
for name in "${!port[@]}"; do
    for _ in $(seq 50); do
        curl -fs "http://127.0.0.1:${port[$name]}/users/1" >/dev/null && break
        sleep 0.1
    done
done

# wrk prints 330.00us, 1.02ms or 2.00s: all in microseconds, to sort and compare.
to_us() {
    awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); print v} else if (v ~ /ms$/) {sub(/ms$/,"",v); print v*1000} else {sub(/s$/,"",v); print v*1000000}}'
}

results=$(mktemp)
for round in $(seq "$rounds"); do
    order="axum-bare axum-metrics actix-bare actix-metrics"
    [ $((round % 2)) = 0 ] && order="axum-metrics axum-bare actix-metrics actix-bare"
    for name in $order; do
        before=$(cpu_ticks "${pid_of[$name]}")
        out=$("${pin_client[@]}" wrk -t1 -c32 -d"${seconds}s" --latency "${wrk_args[@]}" \
            "http://127.0.0.1:${port[$name]}/users/42")
        after=$(cpu_ticks "${pid_of[$name]}")
        rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
        requests=$(awk '/requests in/ {print $1}' <<<"$out")
        cpu=$(awk -v t=$((after - before)) -v hz="$ticks_per_s" -v n="$requests" \
            'BEGIN {printf "%.2f", t / hz * 1e6 / n}')
        p50=$(awk '$1=="50%" {print $2}' <<<"$out" | to_us)
        p99=$(awk '$1=="99%" {print $2}' <<<"$out" | to_us)
        echo "$name $round $rps $p50 $p99 $cpu" >>"$results"
        echo "round $round $name: $rps requests/s, p50 $p50, p99 $p99, server CPU $cpu µs/request" >&2
    done
done

echo
echo "wrk -t1 -c32 -d${seconds}s, paths: $paths, $rounds alternating rounds, one server worker thread each; medians:"
echo
echo "| server | requests/s | p50 µs | p99 µs | throughput vs bare | paired, per round: median (range) | server CPU µs / request | CPU / request vs bare, paired: median (range) |"
echo "|---|---|---|---|---|---|---|---|"
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# paired FRAMEWORK SERVER COLUMN: column 3 (throughput) or 6 (CPU per request) of each of the
# server's rounds as a share of bare's in the same round, as "median (range)".
paired() {
    awk -v f="$1" -v n="$2" -v c="$3" '
        $1==f"-bare" {b[$2]=$c} $1==n {m[$2]=$c}
        END {for (r in m) printf "%.1f\n", 100 * m[r] / b[r]}' "$results" | sort -g |
        awk '{a[NR]=$1} END {printf "%.1f %% (%.1f–%.1f)", a[int((NR+1)/2)], a[1], a[NR]}'
}
for framework in axum actix; do
    bare=$(awk -v n="$framework-bare" '$1==n {print $3}' "$results" | median)
    for variant in bare metrics; do
        name="$framework-$variant"
        rps=$(awk -v n="$name" '$1==n {print $3}' "$results" | median)
        p50=$(awk -v n="$name" '$1==n {print $4}' "$results" | median)
        p99=$(awk -v n="$name" '$1==n {print $5}' "$results" | median)
        share=$(awk -v a="$rps" -v b="$bare" 'BEGIN {printf "%.1f %%", 100 * a / b}')
        cpu=$(awk -v n="$name" '$1==n {print $6}' "$results" | median)
        echo "| $name | $rps | $p50 | $p99 | $share | $(paired "$framework" "$name" 3) | $cpu | $(paired "$framework" "$name" 6) |"
    done
done
rm -f "$results"
