#!/bin/sh
# kt-engine-bench (make bench): the engine alone on records held in memory. It must read
# the inputs as scan does and judge them as scan does: on the samples, its anomaly count
# is scan's, for each format and with scan's options. And tools/bench-ab.sh, the A/B timer.
. "$(dirname "$0")/../lib/tap.sh"

EB="$KT_BUILD/kt-engine-bench"
anoms() { python3 -c 'import json,sys; print(len(json.load(sys.stdin)["anomalies"]))'; }
for s in "api-access.csv" "api-access.jsonl" "cloudtrail" "access.log --field key=query:api_key"; do
    set -- $s
    f=$1; shift
    out=$("$EB" --repeat 2 "$@" "$SAMPLES/$f")
    check $? "$f: runs"
    echo "$out" | grep -q "^engine: [0-9]* records, [0-9]* anomalies, 2 runs: feed [0-9.]* ns/record median, [0-9.]* best; results [0-9.]* ms median$"
    check $? "$f: one line of counts and times"
    want=$("$KT" scan -q -j1 --output json "$@" "$SAMPLES/$f" | anoms)
    got=$(echo "$out" | sed -n 's/^engine: [0-9]* records, \([0-9]*\) anomalies.*/\1/p')
    test -n "$want" && test "$want" -gt 0 && test "$got" = "$want"
    check $? "$f: the anomalies scan finds ($want, got $got)"
done
# scan's options reach the engine: with every detector but one disabled, fewer anomalies
all=$("$EB" --repeat 1 "$SAMPLES/api-access.csv" | sed -n 's/.* records, \([0-9]*\) anomalies.*/\1/p')
few=$("$EB" --repeat 1 --detectors new_ip "$SAMPLES/api-access.csv" | sed -n 's/.* records, \([0-9]*\) anomalies.*/\1/p')
want=$("$KT" scan -q -j1 --output json --detectors new_ip "$SAMPLES/api-access.csv" | anoms)
test "$few" = "$want" && test "$few" -lt "$all"; check $? "--detectors: $few of $all anomalies, as scan"
"$EB" --repeat 1 "$TMP/none.csv" > /dev/null 2> "$TMP/err"
test $? -eq 2 && grep -q "none.csv" "$TMP/err"; check $? "a missing file: exit 2, named"
"$EB" > /dev/null 2>&1
test $? -eq 2; check $? "no file: exit 2"
# tools/bench-ab.sh: two commands in turns, a median of each per round
AB="$top/tools/bench-ab.sh"
sh "$AB" -r 2 -n 3 "sleep 0.01" "python3 -c 'sum(range(3000000))'" > "$TMP/ab" 2>&1
check $? "bench-ab.sh runs"
test "$(grep -c "^round [12]: A [0-9.]* s, B [0-9.]* s (CPU, median of 3)$" "$TMP/ab")" = 2
check $? "bench-ab.sh: a line per round ($(head -c 200 "$TMP/ab"))"
awk '{ if ($7 + 0 <= $4 + 0) bad = 1 } END { exit bad }' "$TMP/ab"
check $? "bench-ab.sh: the busy command costs more CPU than sleep"
sh "$AB" "only one" > /dev/null 2>&1
test $? -eq 2; check $? "bench-ab.sh with one command: exit 2"
done_testing
