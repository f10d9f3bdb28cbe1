#!/bin/sh
# kt-engine-bench (make bench): the engine alone on records held in memory. It must read
# the inputs as scan does and judge them as scan does: on the samples, its anomaly count
# is scan's, for each format and with scan's options.
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
done_testing
