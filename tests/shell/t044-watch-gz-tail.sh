#!/bin/sh
# t044-watch-gz-tail.sh - the unread tail of a file rotated and compressed between two
# watch runs is read like the rest of that file: its format comes from the file's start
# (not from the tail's first line, which may be a bad line) and a CSV keeps its header
# (a single new row is an event, not taken for a header).
. "$(dirname "$0")/../lib/tap.sh"

if ! "$KT" watch --help > /dev/null 2>&1 || ! command -v jq > /dev/null 2>&1 ||
    ! command -v gzip > /dev/null 2>&1; then
    skip "watch gz tail" "keytrail watch, jq or gzip not available"
    done_testing
    exit 0
fi
cd "$TMP" || exit 2

events() { "$KT" state export --state "$1" | jq -r '.engine.events'; }

# --- a combined log whose unread tail starts with a bad line ---------------------------
L='1.2.3.4 - - [10/Oct/2024:13:55:36 +0000] "GET /a?api_key=AAAA1111BBBB HTTP/1.1" 200 10 "-" "curl/8"'
mkdir web && cd web || exit 2
for i in 1 2 3 4 5 6; do echo "$L"; done > app.log
"$KT" watch --state st app.log > /dev/null 2>&1
{ echo garbage; echo "$L"; } >> app.log
mv app.log app.log.1 && gzip app.log.1 && : > app.log
mkdir tmp
TMPDIR=$PWD/tmp "$KT" watch --state st app.log > out 2> err
rc=$?
check $([ "$rc" -eq 0 ]; echo $?) "a tail starting with a bad line reads (status $rc: $(head -c 200 err))"
check $([ "$(events st)" = 7 ]; echo $?) "its good line counted (events $(events st), want 7)"
check $(grep -qF 'app.log.1.gz:7 malformed' err; echo $?) "the bad line reported at its line in the file"
check $([ -z "$(ls tmp)" ]; echo $?) "no temporary copy left in TMPDIR ($(ls tmp))"
cd ..

# --- a CSV whose unread tail is one row ------------------------------------------------
mkdir csv && cd csv || exit 2
H='timestamp,api_key,source_ip,operation,status'
{ echo "$H"; for s in 1 2 3; do echo "2024-10-10T13:55:3${s}Z,AKIAAAAABBBBCCCCDDDD,1.2.3.4,GetObject,200"; done; } > api.csv
"$KT" watch --state st api.csv > /dev/null 2>&1
echo "2024-10-10T13:56:00Z,AKIAAAAABBBBCCCCDDDD,9.9.9.9,DeleteBucket,403" >> api.csv
mv api.csv api.csv.1 && gzip api.csv.1 && echo "$H" > api.csv
"$KT" watch --state st api.csv > out 2> err
rc=$?
check $([ "$rc" -eq 0 ]; echo $?) "CSV tail reads (status $rc)"
check $([ "$(events st)" = 4 ]; echo $?) "the one-row CSV tail is an event, not a header (events $(events st), want 4)"
cd ..

done_testing
