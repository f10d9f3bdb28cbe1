#!/bin/sh
# Progress of long scans on stderr: only on a terminal, never with --quiet, never on stdout;
# reading (bytes of the total) and then judging (events of the total) unless the records
# were judged while read, the line erased at the end. A pseudo-terminal comes from script(1); KT_PROGRESS_DELAY_MS=0 draws at once.
. "$(dirname "$0")/../lib/tap.sh"

if ! command -v script >/dev/null 2>&1; then
    skip "progress on a terminal" "script(1) not installed"
    done_testing
    exit 0
fi
"$KTGEN" logs --seed 3 --format csv --keys 20 --days 20 --events 40000 -q --out "$TMP/a.csv" 2>/dev/null
check $? "test log written"
# on a terminal (stderr only: stdout goes to a file)
tty_scan() { # tty_scan OUT ERR ARGS...
    out=$1 err=$2
    shift 2
    KT_PROGRESS_DELAY_MS=${DELAY-0} script -qec "'$KT' $* > '$out'" /dev/null > "$err" 2>&1
}
# one file with -j1 is judged while read (KT_STREAM_WINDOW=0: sorted first, then judged)
KT_STREAM_WINDOW=0 tty_scan "$TMP/r.json" "$TMP/tty.err" scan -j1 --output json "$TMP/a.csv"
grep -q "reading [0-9.]* [kM]\?B of [0-9.]* [kM]\?B" "$TMP/tty.err"; check $? "reading: bytes of the total"
grep -q "judging [0-9.]* [kM]\? *of [0-9.]* [kM]\? *events ([0-9]*%)" "$TMP/tty.err"
check $? "judging: events of the total"
tty_scan "$TMP/st.json" "$TMP/st.err" scan -j1 --output json "$TMP/a.csv"
grep -q "reading [0-9.]* [kM]\?B of [0-9.]* [kM]\?B" "$TMP/st.err" && ! grep -q "judging" "$TMP/st.err"
check $? "judged while read: reading only"
tail -c 4 "$TMP/tty.err" | od -c | grep -q '\\r 033   \[   K'; check $? "the line is erased at the end"
"$KT" scan -j1 --output json "$TMP/a.csv" > "$TMP/plain.json" 2> "$TMP/plain.err"
cmp -s "$TMP/r.json" "$TMP/plain.json"; check $? "the report on stdout is the same"
test ! -s "$TMP/plain.err"; check $? "nothing on stderr when it is not a terminal"
KT_PROGRESS_DELAY_MS=0 "$KT" scan -j1 --output json "$TMP/a.csv" 2>&1 >/dev/null | grep -q "reading\|judging"
test $? -ne 0; check $? "no progress in a pipe"
tty_scan "$TMP/q.json" "$TMP/q.err" scan -q -j2 --output json "$TMP/a.csv"
grep -q "reading\|judging" "$TMP/q.err"; test $? -ne 0; check $? "--quiet: no progress on a terminal"
tty_scan "$TMP/j.json" "$TMP/j.err" scan -j2 --output json "$TMP/a.csv"
grep -q "judging" "$TMP/j.err"; check $? "-j2: judging shown (engine threads)"
tty_scan "$TMP/s.json" "$TMP/s.err" scan -j1 --stats "$TMP/a.csv"
grep -q "reading" "$TMP/s.err" && ! grep -q "judging" "$TMP/s.err"
check $? "--stats: reading only (nothing is judged)"
DELAY=1000 tty_scan "$TMP/d.json" "$TMP/d.err" scan -j1 --output json "$SAMPLES/api-access.csv"
grep -q "reading\|judging" "$TMP/d.err"; test $? -ne 0; check $? "a scan shorter than a second stays silent"
done_testing
