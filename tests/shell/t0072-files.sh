#!/bin/sh
# t0072-files.sh - files keytrail writes (issue 7): the watch state, its lock, the --alerts
# file and the TUI export are created mode 0600 even under umask 000, and a symbolic link
# planted at the target path (dangling or pointing at a victim file) is refused: the
# victim is never created, changed or followed.
. "$(dirname "$0")/../lib/tap.sh"
cd "$TMP" || exit 2
umask 000

K=AKIAQFILESTESTKEY001
for d in 01 02 03 04 05 06 07 08 09 10; do
    for h in 09 10 11 14 15; do
        printf '{"timestamp":"2024-03-%sT%s:05:00Z","api_key":"%s","client_ip":"198.51.100.7","operation":"GET /v1/charges","status":200}\n' $d $h $K
    done
done > a.jsonl
printf '{"timestamp":"2024-03-11T03:00:00Z","api_key":"%s","client_ip":"203.0.113.99","operation":"POST /v1/admin","status":403}\n' $K >> a.jsonl
echo "victim" > victim
mode() { stat -c %a "$1"; }
# victim_intact: the planted link's target is still the one-line file we wrote
victim_intact() { test "$(cat victim)" = "victim" && test "$(mode victim)" = 666 && test ! -e created; }

# --- modes -----------------------------------------------------------------------------
mkdir m && "$KT" watch --state m/s --alerts m/alerts.jsonl a.jsonl > /dev/null 2>&1
test "$(mode m/s)" = 600; check $? "state file mode 0600 under umask 000 (is $(mode m/s 2>&1))"
test "$(mode m/s.lock)" = 600; check $? "lock file mode 0600 under umask 000"
test -s m/alerts.jsonl && test "$(mode m/alerts.jsonl)" = 600
check $? "--alerts file created mode 0600 under umask 000"
ls -A m > m.list
test "$(wc -l < m.list)" -eq 3; check $? "no temporary file left next to the state ($(tr '\n' ' ' < m.list))"
"$KT" watch --state m/s a.jsonl > /dev/null 2>&1
"$KT" accept --state m/s --key $K --ip 203.0.113.99 > /dev/null 2>&1
test "$(mode m/s)" = 600; check $? "state rewritten (accept) stays 0600"

# --- planted symbolic links ------------------------------------------------------------------
chmod 666 victim
mkdir p
ln -s ../victim p/state
"$KT" watch --state p/state a.jsonl > out 2> err
rc=$?
test $rc -eq 4 && victim_intact && grep -q "symbolic link" err
check $? "watch refuses a symlinked state path (exit $rc), the target untouched"
ln -s ../created p/state2
"$KT" watch --state p/state2 a.jsonl > out 2> err
rc=$?
test $rc -eq 4 && victim_intact && test -L p/state2
check $? "watch refuses a dangling symlink as state (exit $rc), nothing created through it"
"$KT" accept --state p/state --key $K --ip 1.2.3.4 > out 2> err
test $? -eq 4 && victim_intact; check $? "accept refuses a symlinked state"
"$KT" state prune --state p/state > out 2> err
test $? -eq 4 && victim_intact; check $? "state prune refuses a symlinked state"

mkdir l
ln -s ../victim l/s.lock
"$KT" watch --state l/s a.jsonl > out 2> err
rc=$?
test $rc -eq 4 && victim_intact && test ! -e l/s
check $? "watch refuses a symlinked lock file (exit $rc), the target untouched"
rm l/s.lock && ln -s ../created l/s.lock
"$KT" watch --state l/s a.jsonl > out 2> err
test $? -eq 4 && victim_intact; check $? "watch refuses a dangling symlinked lock file"

mkdir al
ln -s ../victim al/alerts.jsonl
"$KT" watch --state al/s --alerts al/alerts.jsonl a.jsonl > out 2> err
rc=$?
test $rc -eq 3 && victim_intact && grep -q "symbolic link" err
check $? "--alerts refuses a symlink (exit $rc), the target untouched"
# the outbox keeps what could not be delivered: the next run delivers it (docs/WATCH.md)
test ! -e al/s || "$KT" state show --state al/s | grep -q "alerts pending delivery\|outbox    0"
check $? "a refused alert output keeps its alerts pending in the state"
ln -s ../created al/dangling.jsonl
"$KT" watch --state al/s2 --alerts al/dangling.jsonl a.jsonl > out 2> err
test $? -eq 3 && victim_intact; check $? "--alerts refuses a dangling symlink, nothing created"

# --- TUI export ---------------------------------------------------------------------------------
export LINES=30 COLUMNS=100 TERM=xterm KT_TUI_NO_DISPLAY=1
mkdir t && cd t || exit 2
KT_TUI_KEYS="2e<Enter>" KT_TUI_DUMP=../t1.out "$KT" tui ../a.jsonl > /dev/null 2>&1
f=$(ls keytrail-incident-*.json 2> /dev/null | head -1)
test -n "$f" && test "$(mode "$f")" = 600; check $? "TUI export created mode 0600 under umask 000"
rm -f "$f" && ln -s ../victim "$f"
KT_TUI_KEYS="2e<Enter>" KT_TUI_DUMP=../t2.out "$KT" tui ../a.jsonl > /dev/null 2>&1
cd .. && victim_intact && grep -q "cannot create" t2.out
check $? "TUI export refuses a symlink to an existing file"
cd t && rm -f "$f" && ln -s ../created "$f"
KT_TUI_KEYS="2e<Enter>" KT_TUI_DUMP=../t3.out "$KT" tui ../a.jsonl > /dev/null 2>&1
cd .. && victim_intact && grep -q "cannot create" t3.out
check $? "TUI export refuses a dangling symlink, nothing created"
done_testing
