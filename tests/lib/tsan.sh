#!/bin/sh
# make check-tsan: the threaded paths under ThreadSanitizer, as TAP. The engine on several
# threads (tests/unit/test-shards.c), then `scan -j N` on generated logs of every format,
# with files split into parts (KT_SPLIT_MIN) so that parser threads share one file and
# engines share the records: every run must be free of reports (a report exits 66) and
# print what -j 1 of the normal build prints.
# usage: tsan.sh TSAN_BUILD NORMAL_BUILD
. "$(dirname "$0")/tap.sh"
tsan=$1 normal=$2
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1"
export G_SLICE=always-malloc

# ThreadSanitizer needs a memory layout some kernels do not give (high mmap randomization:
# "unexpected memory mapping"); there it cannot run at all, which is skipped, not failed.
if ! "$tsan/keytrail" --version > "$TMP/probe" 2>&1; then
    skip "ThreadSanitizer checks" "a ThreadSanitizer build does not run here: $(head -n 1 "$TMP/probe")"
    done_testing
    exit 0
fi

"$tsan/tests/test-shards" > "$TMP/shards.out" 2>&1
rc=$?
test $rc -eq 0; check $? "test-shards under ThreadSanitizer (exit $rc)"
[ $rc -eq 0 ] || grep -m 5 "WARNING\|SUMMARY\|not ok" "$TMP/shards.out" | sed 's/^/# /'

"$normal/ktgen" logs --seed 11 --format csv --keys 40 --days 30 --events 60000 --scenario all \
    -q --out "$TMP/a.csv" 2>/dev/null
"$normal/ktgen" logs --seed 12 --format combined --keys 40 --days 30 --events 60000 \
    --scenario all -q --out "$TMP/a.log" 2>/dev/null
"$normal/ktgen" logs --seed 13 --format jsonl --keys 40 --days 30 --events 40000 \
    --scenario all -q --out "$TMP/a.jsonl" 2>/dev/null
mkdir -p "$TMP/ct"
"$normal/ktgen" logs --seed 14 --format cloudtrail --keys 40 --days 30 --events 40000 \
    --scenario all -q --out "$TMP/ct" 2>/dev/null
for input in "a.csv" "a.log --field key=query:api_key" "a.jsonl" "ct --entity principal"; do
    set -- $input
    f=$1; shift
    "$normal/keytrail" scan -q -j 1 --output json "$@" "$TMP/$f" > "$TMP/want.json" 2>/dev/null
    for j in 2 4; do
        KT_SPLIT_MIN=65536 "$tsan/keytrail" scan -q -j $j --output json "$@" "$TMP/$f" \
            > "$TMP/got.json" 2> "$TMP/err"
        rc=$?
        test $rc -ne 66 && test $rc -ne 2 && cmp -s "$TMP/want.json" "$TMP/got.json"
        check $? "scan -j $j $f $*: no report, output of -j 1 (exit $rc)"
        [ $rc -ne 66 ] || grep -m 5 "WARNING\|SUMMARY\|#0" "$TMP/err" | sed 's/^/# /'
    done
done
done_testing
