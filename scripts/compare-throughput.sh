#!/usr/bin/env bash
# What the middleware costs your own service: its throughput with the metrics against the
# same service without them, as a ratio, measured by wrk in alternating rounds so that the
# machine's drift falls on both alike.
#
# Build your service twice — once as usual, once without the metrics layer (comment out
# `.layer(MetricsLayer::new())` or `.wrap(Metrics::new())`) — and start both, on two ports.
# Then:
#
#   scripts/compare-throughput.sh http://127.0.0.1:3001/some/route http://127.0.0.1:3000/some/route
#
# Usage: scripts/compare-throughput.sh BARE_URL INSTRUMENTED_URL [SECONDS] [ROUNDS] [CONNECTIONS]
#   (defaults: 10 s per run, 5 rounds, 32 connections). Send it to a route whose handler does
#   little, or the ratio shows your handler rather than the middleware. Installs wrk from
#   Debian's packages when it is missing. Prints each round and the median ratio with its
#   range: a ratio of 97 % means the metrics took 3 % of the throughput.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/tools.sh

if [ $# -lt 2 ]; then
    awk 'NR > 1 && /^#/ {print} /^set/ {exit}' "$0" >&2
    exit 2
fi
bare=$1
instrumented=$2
seconds=${3:-10}
rounds=${4:-5}
connections=${5:-32}
for url in "$bare" "$instrumented"; do
    if ! curl -fs -o /dev/null "$url"; then
        echo "error: $url does not answer with a success; start the service, or give a route that answers 2xx" >&2
        exit 1
    fi
done
command -v wrk >/dev/null 2>&1 || apt_install wrk

rate() { # url
    local out rps
    out=$(wrk -t1 -c"$connections" -d"${seconds}s" "$1")
    if grep -q 'Non-2xx or 3xx responses' <<<"$out"; then
        echo "error: $1 answered some requests with errors; measure a route that succeeds:" >&2
        echo "$out" >&2
        exit 1
    fi
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    if [ -z "$rps" ] || [ "$rps" = "0.00" ]; then
        echo "error: wrk measured no requests on $1:" >&2
        echo "$out" >&2
        exit 1
    fi
    echo "$rps"
}

ratios=()
for round in $(seq "$rounds"); do
    # Turn about: which one goes first changes every round.
    if [ $((round % 2)) = 1 ]; then
        b=$(rate "$bare")
        i=$(rate "$instrumented")
    else
        i=$(rate "$instrumented")
        b=$(rate "$bare")
    fi
    ratio=$(awk -v i="$i" -v b="$b" 'BEGIN {printf "%.1f", 100 * i / b}')
    ratios+=("$ratio")
    echo "round $round: bare $b requests/s, with metrics $i requests/s: $ratio %"
done
printf '%s\n' "${ratios[@]}" | sort -g | awk '
    {a[NR] = $1}
    END {printf "\nwith metrics / without: %.1f %% (median of %d rounds; range %.1f–%.1f %%)\n", a[int((NR + 1) / 2)], NR, a[1], a[NR]}'
