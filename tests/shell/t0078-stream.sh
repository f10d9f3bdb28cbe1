#!/bin/sh
# scan -j 1 of one regular file judges the records while reading them (a window of
# records reordered in memory, no temporary files) and finds exactly what sorting first
# finds (KT_STREAM_WINDOW=0); a file out of order beyond the window is read again,
# sorting, with the same report and its rejected lines reported once; stdin and -j 2 keep
# sorting. The logs here are shorter than the window (32,768 records) unless
# KT_STREAM_WINDOW makes it 1,024.
. "$(dirname "$0")/../lib/tap.sh"

"$KTGEN" logs -q --seed 11 --keys 30 --days 40 --events 20000 --format combined -o "$TMP/a.log"
"$KTGEN" logs -q --seed 12 --keys 30 --days 40 --events 20000 --format csv -o "$TMP/a.csv"
# the CSV newest first, with a line that is rejected
{ head -n 1 "$TMP/a.csv"; tail -n +2 "$TMP/a.csv" | tac; echo "not-a-time,sk_live_x,10.0.0.1,GET /,200"; } \
    > "$TMP/rev.csv"

scan() { "$KT" scan -j 1 --reveal-keys "$@"; }

for w in 32768 1024; do
    for f in a.log a.csv rev.csv; do
        KT_STREAM_WINDOW=0 scan -q --output json "$TMP/$f" > "$TMP/$f.sorted.json"
        s=$?
        KT_STREAM_WINDOW=$w scan -q --output json "$TMP/$f" > "$TMP/$f.json"
        check $(( $? != s )) "$f, window $w: same exit status streaming ($s)"
        cmp -s "$TMP/$f.sorted.json" "$TMP/$f.json"
        check $? "$f, window $w: the same JSON report streaming as sorting first"
        grep -q '"incidents": *\[ *{' "$TMP/$f.json"
        check $? "$f, window $w: the report has incidents (the comparison means something)"
    done
done

# --leak-time: learned before, judged after, the same streaming as sorting first
KT_STREAM_WINDOW=0 scan -q --output json --leak-time 2024-03-28T00:00:00Z "$TMP/a.log" > "$TMP/leak.sorted.json"
scan -q --output json --leak-time 2024-03-28T00:00:00Z "$TMP/a.log" > "$TMP/leak.json"
cmp -s "$TMP/leak.sorted.json" "$TMP/leak.json" && ! cmp -s "$TMP/leak.json" "$TMP/a.log.json"
check $? "--leak-time: the same JSON report streaming as sorting first (and not the online one)"

# no temporary files: a scan of one file in time order needs no TMPDIR; sorting does
TMPDIR="$TMP/none" scan -q --output json "$TMP/a.log" > "$TMP/notmp.json" 2> "$TMP/notmp.err"
check $(( $? > 1 )) "a log in order is judged with no temporary directory (stderr: $(head -c 200 "$TMP/notmp.err"))"
cmp -s "$TMP/notmp.json" "$TMP/a.log.json"
check $? "... and the report is the same"
TMPDIR="$TMP/none" KT_STREAM_WINDOW=0 scan -q --output json "$TMP/a.log" > /dev/null 2> "$TMP/sort.err"
check $(( $? != 3 )) "sorting first needs one (exit 3)"
grep -q "temporary file for sorting (set TMPDIR)" "$TMP/sort.err"
check $? "... and says to set TMPDIR"

# a file out of order beyond the window: read again, sorting; warnings once, as when
# sorting first
KT_STREAM_WINDOW=0 scan "$TMP/rev.csv" > "$TMP/rev.sorted.txt" 2> "$TMP/rev.sorted.err"
KT_STREAM_WINDOW=1024 scan "$TMP/rev.csv" > "$TMP/rev.txt" 2> "$TMP/rev.err"
cmp -s "$TMP/rev.sorted.txt" "$TMP/rev.txt"
check $? "newest first: the same text report"
cmp -s "$TMP/rev.sorted.err" "$TMP/rev.err"
check $? "newest first: the same stderr"
test "$(grep -c "lines rejected" "$TMP/rev.err")" = 1
check $? "newest first: rejected lines are reported once ($(cat "$TMP/rev.err"))"

# on a terminal, where the progress line starts over, the second reading is explained
if command -v script >/dev/null 2>&1; then
    KT_STREAM_WINDOW=1024 script -qec "'$KT' scan -j 1 --output json '$TMP/rev.csv' > /dev/null" /dev/null > "$TMP/tty.err" 2>&1
    grep -q "rev.csv is not in time order: reading it again, sorting" "$TMP/tty.err"
    check $? "newest first, on a terminal: says it reads the file again"
    KT_STREAM_WINDOW=1024 script -qec "'$KT' scan -j 1 --output json '$TMP/a.csv' > /dev/null" /dev/null > "$TMP/tty2.err" 2>&1
    ! grep -q "not in time order" "$TMP/tty2.err"
    check $? "in order, on a terminal: nothing said"
else
    skip "the terminal message" "script(1) not installed"
fi

# stdin cannot be read twice: it is sorted, to the same report
scan -q --output json - < "$TMP/a.log" > "$TMP/stdin.json"
sed 's|"path":"[^"]*"|"path":""|' "$TMP/stdin.json" > "$TMP/stdin.cmp"
sed 's|"path":"[^"]*"|"path":""|' "$TMP/a.log.json" > "$TMP/file.cmp"
cmp -s "$TMP/stdin.cmp" "$TMP/file.cmp"
check $? "stdin: the same findings"
TMPDIR="$TMP/none" scan -q --output json - < "$TMP/a.log" > /dev/null 2>&1
check $(( $? != 3 )) "stdin is sorted (it needs a temporary directory)"

# -j 2 reads in parallel and sorts: the same report
"$KT" scan -j 2 -q --output json --reveal-keys "$TMP/a.log" > "$TMP/j2.json"
cmp -s "$TMP/j2.json" "$TMP/a.log.json"
check $? "-j 2: the same JSON report"

done_testing
