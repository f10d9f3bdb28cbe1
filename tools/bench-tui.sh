#!/bin/sh
# Redraw benchmark of `keytrail tui` (issue 5: a redraw stays under 100 ms with 100,000
# keys and 1,000,000 events loaded). Measured, never asserted in tests.
#   sh tools/bench-tui.sh [BUILD] [KEYS] [EVENTS]
# 1. generated results (--synthetic): 100,000 keys, 1,000,000 events, about 25,000
#    incidents; frames are timed on a headless screen at LINES x COLUMNS (default 30x100);
# 2. when this build reads JSON lines: a generated 1,000,000-line log with 100,000 keys
#    through the whole pipeline, then the same frame timing.
set -u
build=${1:-build}
keys=${2:-100000}
events=${3:-1000000}
KT="$build/keytrail"
[ -x "$KT" ] || { echo "bench-tui: build $KT first (make)" >&2; exit 2; }
export LINES=${LINES:-30} COLUMNS=${COLUMNS:-100} TERM=${TERM:-xterm} LC_ALL=C TZ=UTC
echo "== generated results: $keys keys, $events events"
"$KT" tui --synthetic "$keys:$events" --bench-redraw 500 || exit 1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk -v keys="$keys" -v n="$events" 'BEGIN {
    srand(7);
    for (i = 0; i < n; i++) {
        k = i % keys; t = 1709280000 + int(i * 2592000 / n);
        printf "{\"timestamp\":%d,\"api_key\":\"AKIA%016d\",\"client_ip\":\"10.%d.%d.%d\",", t, k, int(k / 65536) % 256, int(k / 256) % 256, k % 256;
        printf "\"operation\":\"op%d\",\"status\":%d}\n", i % 7, (i % 50 == 0) ? 403 : 200;
    }
}' > "$tmp/bench.jsonl"
"$KT" scan --quiet "$tmp/bench.jsonl" > /dev/null 2>&1
if [ $? -ge 2 ]; then
    echo "== real log: skipped (this build cannot read JSON lines yet)"
    exit 0
fi
echo "== real log through the pipeline: $(wc -l < "$tmp/bench.jsonl") lines, $keys keys"
"$KT" tui --quiet --bench-redraw 500 "$tmp/bench.jsonl"
