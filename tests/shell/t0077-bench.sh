#!/bin/sh
# make bench (tools/bench.sh) on a small generated log: every row and ratio it promises is
# printed with a number, for each format, and the report file holds what it printed. The
# peers are timed only where installed (nothing is installed from a test); their rows are
# checked when present.
. "$(dirname "$0")/../lib/tap.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
BENCH_EVENTS=100000 BENCH_KEYS=40 BENCH_RUNS=1 BENCH_KT_RUNS=2 BENCH_JQ_LINES=20000 \
    BENCH_MEM=0 BENCH_NO_INSTALL=1 \
    BENCH_DIR="$TMP/bench" BENCH_OUT="$TMP/bench.txt" \
    sh "$top/tools/bench.sh" "$KT_BUILD" > "$TMP/out" 2> "$TMP/err"
check $? "bench.sh runs (stderr: $(head -c 300 "$TMP/err"))"
grep -q "^keytrail bench: 100000 events, 40 keys, median of 1 runs (2 for keytrail's full scans and floors, in turns)" "$TMP/out"
check $? "the header says what was run"
grep -q "^times are CPU seconds (user+sys, less [0-9.]* ms to start a command)" "$TMP/out"
check $? "the header says what a command's start costs, which is taken off"
num='[0-9][0-9.]*'
for f in csv jsonl log ct; do
    grep -q "^keytrail scan -j1 (all detectors) $f  *$num s  *$num ev/s  *$num MB/s  *$num MB RSS$" "$TMP/out"
    check $? "$f: full scan row"
    grep -q "^keytrail scan -j1 --stats (parse floor) $f  *$num s  *$num ev/s" "$TMP/out"
    check $? "$f: parse floor row"
    grep -q "^  parse floor/full scan on $f (<= 2x)  *$num""x$" "$TMP/out"
    check $? "$f: floor ratio"
    grep -q "^  $f  *parse floor  *$num ns, full scan  *$num ns, engine alone  *$num ns$" "$TMP/out"
    check $? "$f: per-event line with the engine alone"
done
for r in "(all detectors)" "--stats (parse floor)"; do
    grep -q -- "^keytrail scan -j1 $r ct.gz  *$num s  *$num ev/s  *$num MB/s  *$num MB RSS$" "$TMP/out"
    check $? "gzipped CloudTrail: $r row"
done
grep -q "^  full scan, gzipped/plain cloudtrail (events/s)  *$num""x$" "$TMP/out"
check $? "gzipped CloudTrail: against the plain tree"
test "$(find "$TMP/bench/ctgz" -name '*.json.gz' | wc -l)" = "$(find "$TMP/bench/ct" -type f | wc -l)"
check $? "gzipped CloudTrail: a .gz for every file of the tree"
for f in csv log ct; do
    grep -q "^  speed-up -j2/-j1 on .*(wall clock)  *$num""x$" "$TMP/out" &&
        grep -q "^keytrail scan -j2 wall (all detectors) $f  *$num s" "$TMP/out"
    check $? "$f: -j2 row and speed-up"
done
if command -v jq > /dev/null; then
    grep -q "^jq per-key aggregation (jsonl, 20000 lines) .* ev/s" "$TMP/out" &&
        grep -q "^  keytrail/jq on jsonl (>= 40x)  *$num""x$" "$TMP/out"
    check $? "jq on a subset, and its ratio"
fi
if command -v goaccess > /dev/null; then
    grep -q "^  keytrail/goaccess on combined (>= 40x)  *$num""x$" "$TMP/out"
    check $? "GoAccess ratio"
fi
if command -v gawk > /dev/null; then
    grep -q "^  keytrail/awk count-only on csv, GNU awk (>= 1.5x)  *$num""x$" "$TMP/out"
    check $? "GNU awk ratio"
fi
grep -q "^C count-only, memchr split (csv; yardstick)  *$num s  *$num ev/s" "$TMP/out"
check $? "the C count-only yardstick's row"
# the yardstick answers the awk script's question: the same counts as awk on the bench CSV
awk=$(command -v mawk || command -v gawk || command -v awk)
"$KT_BUILD/kt-count-only" "$TMP/bench/b.csv" 2> /dev/null | sort > "$TMP/co.c" &&
    $awk -F, 'NR>1 {n[$2]++} END {for (k in n) print k, n[k]}' "$TMP/bench/b.csv" | sort > "$TMP/co.awk" &&
    [ "$(wc -l < "$TMP/co.c")" -eq 40 ] && cmp -s "$TMP/co.c" "$TMP/co.awk"
check $? "kt-count-only counts 40 keys as $awk does"
if command -v mawk > /dev/null; then
    grep -q "^  csv  *1.5x mawk count-only needs a full scan within  *$num ns; the C count-only yardstick takes  *$num ns, the engine alone  *$num ns$" "$TMP/out"
    check $? "what the mawk target asks, beside the yardstick and the engine"
fi
! grep -qi "nan\|inf\b\|division\|n/a" "$TMP/out"
check $? "no NaN, infinity, division error or run too short to time"
tail -n 1 "$TMP/out" | grep -q "written to $TMP/bench.txt"
check $? "says where the report went"
cmp -s "$TMP/out" "$TMP/bench.txt"
check $? "the report file holds what was printed"
done_testing
