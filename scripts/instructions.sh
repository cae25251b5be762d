#!/usr/bin/env bash
# Instructions executed per request by each in-process variant of the benchmark route,
# counted by callgrind (valgrind) inside the request loop only. Unlike timings, the counts do
# not move with the machine's load.
#
# Usage: scripts/instructions.sh [REQUESTS]   (default: 10000)
# Prints a table: each variant on axum, on actix-web with every request on one path, and on
# actix-web with a new path every request. `route-reading` is the floor any middleware that
# labels requests by route pays in that framework (tests/src/pass_through.rs): the last
# column is what this workspace's middleware adds over it. A second table turns the builder's
# options on one at a time (tests/src/bin/request-loop.rs, OPTIONS) and gives each one's cost
# over the default configuration, on one path; body sizes, exemplars and native histograms
# from a second build, with their features (the `default` row is the build without them,
# `default+features` the default configuration in the build with them). Between the two, the
# instructions of the first 100 requests of a process, all told: what a process pays once.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/tools.sh

requests=${1:-10000}
command -v valgrind >/dev/null 2>&1 || apt_install valgrind
# Without the `exemplars` feature, as a service that does not use them is built.
target_dir=${CARGO_TARGET_DIR:-target}
cargo build --release -q -p tests --bin request-loop --no-default-features
loop=$(mktemp -d)/request-loop
cp "$target_dir/release/request-loop" "$loop"
trap 'rm -rf "$(dirname "$loop")"' EXIT

count() { # variant paths [option [binary [function]]]
    local collected
    collected=$(valgrind --tool=callgrind --toggle-collect="request_loop::${5:-measured}" \
        --callgrind-out-file=/dev/null "${4:-$loop}" "$1" "$requests" "$2" "${3:-default}" 2>&1 |
        awk '/Collected :/ {print $NF}')
    if [ -z "$collected" ]; then
        echo "error: callgrind reported no count for $1 ($2 paths)" >&2
        exit 1
    fi
    if [ "${5:-measured}" = measured ]; then
        echo $((collected / requests))
    else
        echo "$collected"
    fi
}

echo "| variant | paths | instructions / request | over bare | over route-reading |"
echo "|---|---|---|---|---|"
for run in "axum one" "actix one" "actix many"; do
    read -r framework paths <<<"$run"
    bare='' floor=''
    variants="bare pass-through route-reading unrecorded metrics"
    # On new paths an excluded route's learned template never answers (only actix-web's own
    # match may keep a request off the metrics), so `unrecorded` would measure that match.
    [ "$paths" = many ] && variants="bare pass-through route-reading metrics"
    for variant in $variants; do
        per=$(count "$framework-$variant" "$paths")
        bare=${bare:-$per}
        [ "$variant" = route-reading ] && floor=$per
        over_floor=${floor:+$(printf '%+d' $((per - floor)))}
        echo "| $framework-$variant | $paths | $per | +$((per - bare)) | $over_floor |"
    done
done

echo
echo "| first 100 requests of a process | framework | instructions in all | over bare |"
echo "|---|---|---|---|"
for framework in axum actix; do
    bare=$(count "$framework-bare" one default "$loop" first)
    for variant in bare metrics; do
        all=$(count "$framework-$variant" one default "$loop" first)
        echo "| $framework-$variant | $framework | $all | +$((all - bare)) |"
    done
done

echo
echo "| option on | framework | instructions / request | over default |"
echo "|---|---|---|---|"
cargo build --release -q -p tests --bin request-loop --features exemplars,body-sizes,native-histograms
with_features=$(dirname "$loop")/request-loop-features
cp "$target_dir/release/request-loop" "$with_features"
# `default+features` is the default configuration built with the three features: what
# compiling them in costs a service that does not turn them on.
# `default-traced` sends the same requests as `exemplars-traced` (a sampled `traceparent`
# on each) to the default configuration: the difference between the two rows is what
# keeping a request's trace costs.
for framework in axum actix; do
    default=''
    for option in default both label label-extension otel exclusions upgrades \
        default+features sizes exemplars default-traced exemplars-traced native native-only; do
        case $option in
        default+features) per=$(count "$framework-metrics" one default "$with_features") ;;
        default | both | label | label-extension | otel | exclusions | upgrades)
            per=$(count "$framework-metrics" one "$option") ;;
        *) per=$(count "$framework-metrics" one "$option" "$with_features") ;;
        esac
        default=${default:-$per}
        echo "| $option | $framework | $per | $(printf '%+d' $((per - default))) |"
    done
done
