#!/usr/bin/env bash
# Instructions each load-test server (tests/src/bin/bench-server.rs) executes per request
# while it serves real HTTP/1.1 connections on loopback: the whole path, from the socket read
# to the response write, as `scripts/load.sh` exercises it, but counted (callgrind) rather
# than timed, so the counts hold on a busy machine. Only the server's own user-space code is
# counted; the kernel's share of the sockets is not.
#
# Usage: scripts/server-instructions.sh [SECONDS]   (default: 6 s of load per server)
# Each server runs under callgrind with instrumentation off until it has served 2 s of
# warm-up load; then `wrk -t1 -c4` loads it for SECONDS with instrumentation on, and the
# count is divided by the requests wrk completed. Under callgrind a server answers some
# thousands of requests a second, so a run takes about a minute per server.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/tools.sh

seconds=${1:-6}
command -v valgrind >/dev/null 2>&1 || apt_install valgrind
command -v wrk >/dev/null 2>&1 || apt_install wrk
cargo build --release -q -p tests --bin bench-server
server=${CARGO_TARGET_DIR:-target}/release/bench-server
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

count() { # framework variant port
    local out="$work/$1-$2" n total
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out" \
        "$server" "$1" "$2" "$3" >/dev/null 2>"$work/valgrind.log" &
    local vpid=$!
    for _ in $(seq 120); do
        curl -fs "http://127.0.0.1:$3/users/1" >/dev/null && break
        sleep 0.5
    done
    wrk -t1 -c4 -d2s "http://127.0.0.1:$3/users/42" >/dev/null || true
    callgrind_control -i on "$vpid" >/dev/null 2>&1 || true
    n=$(wrk -t1 -c4 -d"${seconds}s" "http://127.0.0.1:$3/users/42" | awk '/requests in/ {print $1}') || true
    callgrind_control -d "$vpid" >/dev/null 2>&1 || true
    for _ in $(seq 120); do
        grep -qs '^totals:' "$out".* && break
        sleep 0.5
    done
    total=$(awk '/^totals:/ {print $2; exit}' "$out".* 2>/dev/null) || true
    kill -9 "$vpid" 2>/dev/null || true
    wait "$vpid" 2>/dev/null || true
    if [ -z "$total" ] || [ -z "$n" ] || [ "$n" = 0 ]; then
        echo "error: no count for $1 $2 (requests: ${n:-none}); valgrind said:" >&2
        tail -5 "$work/valgrind.log" >&2
        exit 1
    fi
    echo $((total / n))
}

echo "| server | instructions / request | over bare |"
echo "|---|---|---|"
port=18091
for framework in axum actix; do
    bare=''
    for variant in bare metrics; do
        per=$(count "$framework" "$variant" "$port")
        port=$((port + 1))
        bare=${bare:-$per}
        echo "| $framework-$variant | $per | +$((per - bare)) |"
    done
done
