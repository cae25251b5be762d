#!/usr/bin/env bash
# Instructions executed per request by each in-process variant of the benchmark route,
# counted by callgrind (valgrind) inside the request loop only. Unlike timings, the counts do
# not move with the machine's load.
#
# Usage: scripts/instructions.sh [REQUESTS]   (default: 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/tools.sh

requests=${1:-10000}
command -v valgrind >/dev/null 2>&1 || apt_install valgrind
cargo build --release -q -p tests --bin request-loop
loop=target/release/request-loop

echo "| variant | instructions / request | over bare | over pass-through |"
echo "|---|---|---|---|"
for framework in axum actix; do
    bare='' pass=''
    for variant in bare pass-through unrecorded metrics; do
        collected=$(valgrind --tool=callgrind --toggle-collect='request_loop::measured' \
            --callgrind-out-file=/dev/null "$loop" "$framework-$variant" "$requests" 2>&1 |
            awk '/Collected :/ {print $NF}')
        if [ -z "$collected" ]; then
            echo "error: callgrind reported no count for $framework-$variant" >&2
            exit 1
        fi
        per=$((collected / requests))
        bare=${bare:-$per}
        [ "$variant" = pass-through ] && pass=$per
        over_pass=${pass:+$((per - pass))}
        echo "| $framework-$variant | $per | +$((per - bare)) | ${over_pass:+$(printf '%+d' "$over_pass")} |"
    done
done
