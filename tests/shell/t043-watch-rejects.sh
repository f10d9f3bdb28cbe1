#!/bin/sh
# t043-watch-rejects.sh - each watch run reports the lines it rejected on stderr with
# their line number in the file (across runs, rotation, compression of the rotated file,
# a held partial line), masked and sanitized like scan; --quiet silences it; the exit
# status does not change; an old state without "lines" gives relative numbers.
. "$(dirname "$0")/../lib/tap.sh"

if ! "$KT" watch --help > /dev/null 2>&1 || ! command -v jq > /dev/null 2>&1; then
    skip "watch rejects" "keytrail watch or jq not available"
    done_testing
    exit 0
fi
cd "$TMP" || exit 2

KEY=AKIAIOSFODNN7EXAMPLE
ESC=$(printf '\033')
good() {
    i=0
    while [ $i -lt "$1" ]; do
        echo '1.2.3.4 - - [10/Oct/2024:13:55:36 +0000] "GET /a?api_key=AAAA1111BBBB HTTP/1.1" 200 10 "-" "curl/8"'
        i=$((i + 1))
    done
}
# run NAME STATE [OPTIONS] FILE...: a watch run, stderr in NAME.err, status in $rc
run() {
    name=$1 st=$2
    shift 2
    "$KT" watch --state "$st" "$@" > "$name.out" 2> "$name.err"
    rc=$?
}
has() { grep -qF -- "$2" "$1"; }
cursor() { "$KT" state export --state "$1" | jq -r "$2"; }

# --- two and three runs: numbers count from the file's start ------------------------
good 6 > x.log
good 6 > ctl.log
run r1 st x.log
check $([ "$rc" -eq 0 ] && [ ! -s r1.err ]; echo $?) "a run without rejects says nothing"
run c1 ctl ctl.log
{ echo garbage; good 1; } >> x.log
good 2 >> ctl.log
run r2 st x.log; rc2=$rc
run c2 ctl ctl.log
has r2.err "keytrail: 1 of 2 new lines rejected"; check $? "second run counts its rejected line"
has r2.err "  x.log:7 malformed (does not match the log format): garbage"
check $? "second run names x.log:7 (line 7 of the file, not of the run)"
check $([ "$rc2" -eq "$rc" ]; echo $?) "exit status as without the bad line ($rc2 vs $rc)"
check $([ ! -s r2.out ]; echo $?) "rejected lines are not alerts"
good 2 >> x.log
printf 'bad %s key\nbad \033[2J\033]0;title\007 esc\n' "$KEY" >> x.log
run r3 st x.log
has r3.err "x.log:11 malformed"; check $? "third run: line 11"
has r3.err "x.log:12 malformed"; check $? "third run: line 12"
check $(has r3.err "$KEY"; echo $((! $?))) "a key in a rejected line is masked"
check $(has r3.err "$ESC"; echo $((! $?))) "no escape byte reaches the terminal"
has r3.err "AKIA"; check $? "the masked key keeps its prefix, like scan"
check $([ "$(cursor st '.cursors[0].lines')" -eq 12 ]; echo $?) "the cursor counts 12 lines"
check $([ "$(cursor st '.cursors[0].rejected')" -eq 3 ]; echo $?) "and 3 rejected lines"

# the same text as scan for the same line (shared code)
"$KT" scan x.log > scan.txt 2> /dev/null
grep -F "x.log:7 malformed" scan.txt | sed 's/^ *//' > scan7.txt
grep -F "x.log:7 malformed" r2.err | sed 's/^ *//' > watch7.txt
check $(cmp -s scan7.txt watch7.txt; echo $?) "scan and watch show a rejected line alike"

# --- --quiet, --reveal-keys ------------------------------------------------------------
run q st2 -q x.log
check $([ ! -s q.err ]; echo $?) "--quiet silences the report"
run rv st3 --reveal-keys x.log
has rv.err "$KEY"; check $? "--reveal-keys shows the key"
check $(has rv.err "$ESC"; echo $((! $?))) "--reveal-keys still strips the escape"

# --- a partial last line waits, then gets its true number -------------------------------
printf 'garb' >> x.log
run p1 st x.log
check $([ ! -s p1.err ]; echo $?) "a partial last line is not judged yet"
printf 'age\n' >> x.log
good 1 >> x.log
run p2 st x.log
has p2.err "x.log:13 malformed (does not match the log format): garbage"
check $? "completed, it is line 13"
check $([ "$(cursor st '.cursors[0].lines')" -eq 14 ]; echo $?) "the cursor counts 14 lines"

# --- rotation: the old file's tail keeps its numbers, the new file starts at 1 ----------
echo tail-garbage >> x.log
mv x.log x.log.1
{ good 1; echo new-garbage; } > x.log
run rot st x.log
has rot.err "x.log.1:15 malformed"; check $? "rotated file's tail: line 15"
has rot.err "x.log:2 malformed"; check $? "new file: line 2"
has rot.err "keytrail: x.log.1: 1 of 1 new lines rejected"; check $? "per-file count (old)"
has rot.err "keytrail: x.log: 1 of 2 new lines rejected"; check $? "per-file count (new)"
has rot.err "keytrail: 2 of 3 new lines rejected in all"; check $? "and the total"
check $([ "$(cursor st '.cursors[] | select(.path == "x.log") | .lines')" -eq 2 ]; echo $?) \
    "the new file's cursor restarts at 2 lines"

# --- compression of the rotated file: its tail counted in decompressed lines ----------
{ good 1; echo gz-garbage; good 1; } >> x.log
mv x.log x.log.1.tmp && rm x.log.1 && mv x.log.1.tmp x.log.1 && gzip x.log.1
good 1 > x.log
run gz st x.log
has gz.err "x.log.1.gz:4 malformed (does not match the log format): gz-garbage"
check $? "the compressed tail: line 4 of the decompressed file"

# --- a state written before "lines": relative numbers, said so -----------------------
# old_state IN OUT: IN without the cursors' "lines", with a valid checksum
old_state() {
    sed 's/,"lines":[0-9]*//g; s/,"checksum":"[0-9a-f]*"}$/}/' "$1" | tr -d '\n' > body
    sum=$(sha256sum body | cut -d' ' -f1)
    { sed 's/}$//' body; printf ',"checksum":"%s"}\n' "$sum"; } > "$2"
}
good 3 > y.log
run o1 ost y.log
old_state ost ost.old && mv ost.old ost
"$KT" state show --state ost > /dev/null 2>&1; check $? "the edited old state loads"
off=$(wc -c < y.log | tr -d ' ')
{ good 1; echo old-garbage; } >> y.log
run o2 ost y.log; rc_old=$rc
has o2.err "y.log (line 2 after byte offset $off) malformed"; check $? "relative wording"
check $(grep -q 'y.log:[0-9]' o2.err; echo $((! $?))) "no wrong absolute number"
check $([ "$rc_old" -eq 0 ]; echo $?) "exit status 0 with rejects only"
check $([ "$(cursor ost '.cursors[0].lines')" = null ]; echo $?) "lines stay unknown"
check $([ "$(cursor ost '.cursors[0].rejected')" -eq 1 ]; echo $?) "rejected counts on"

done_testing
