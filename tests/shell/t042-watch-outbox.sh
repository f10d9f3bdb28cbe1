#!/bin/sh
# t042-watch-outbox.sh - the alert outbox of keytrail watch: with --alerts FILE every
# alert arrives exactly once whatever moment a run is killed at (random kill -9 and the
# test-only KT_WATCH_CRASH_AT points), stdout gets every alert at least once, alerts left
# pending by a crashed run are delivered by the next one, and --exec hooks are killed
# after --exec-timeout.
. "$(dirname "$0")/../lib/tap.sh"

if ! "$KT" watch --help 2> /dev/null | grep -q -- --exec-timeout ||
    ! command -v jq > /dev/null 2>&1; then
    skip "watch outbox" "keytrail watch --exec-timeout or jq not available"
    done_testing
    exit 0
fi

KEY=AKIAIOSFODNN7EXAMPLE
# gen_log FIRST_DAY LAST_DAY: 3 calls an hour from the usual servers; from day 9 a
# stranger every 6 hours (new IPs, incidents).
gen_log() {
    awk -v d0="$1" -v d1="$2" -v key="$KEY" 'BEGIN {
        for (d = d0; d <= d1; d++) for (h = 0; h < 24; h++) {
            for (i = 1; i <= 3; i++)
                printf "{\"timestamp\":\"2024-03-%02dT%02d:%02d:00Z\",\"api_key\":\"%s\",\"ip\":\"10.0.0.%d\",\"op\":\"GetObject\",\"status\":200,\"user_agent\":\"aws-cli/2.15\"}\n", d, h, i * 7, key, i
            if (d >= 9 && h % 6 == 3)
                printf "{\"timestamp\":\"2024-03-%02dT%02d:40:00Z\",\"api_key\":\"%s\",\"ip\":\"203.0.%d.%d\",\"op\":\"ListBuckets\",\"status\":403,\"user_agent\":\"python-requests/2.31\"}\n", d, h, key, 100 + d, h
        }
    }'
}
W="$KT watch --learn 2d --quiet"
cd "$TMP" || exit 2
gen_log 1 12 > whole.log
total=$(wc -c < whole.log | tr -d ' ')
chunk=$(((total + 9) / 10))

# feed I FILE: appends the I-th tenth of whole.log (cutting lines) to FILE
feed() { tail -c +$(($1 * chunk + 1)) whole.log | head -c "$chunk" >> "$2"; }
# content FILE: the alerts without their ids, sorted (duplicates kept)
content() { jq -c 'del(.alert_id)' "$1" | sort; }
# dup_ids FILE: how many alert ids occur more than once (or are missing)
dup_ids() { jq -r '.alert_id // "MISSING"' "$1" | sort | uniq -d | grep -c .; }
# pending STATE: alerts waiting in the outbox
pending() { "$KT" state export --state "$1" | jq '.outbox.pending | length'; }
# rand N: a pseudo-random number below N, three digits
rand() { awk -v s="$_seed" -v n="$1" 'BEGIN { srand(s); printf "%03d", rand() * n }'; }

# --- reference: ten uninterrupted runs ---------------------------------------------------
: > ref.log
for i in 0 1 2 3 4 5 6 7 8 9; do
    feed $i ref.log
    $W --state sref --alerts ref.jsonl ref.log
done
content ref.jsonl > want.txt
n=$(grep -c . want.txt)
check $([ "$n" -ge 10 ] && [ "$(dup_ids ref.jsonl)" -eq 0 ]; echo $?) \
    "uninterrupted runs: $n alerts, each with its own alert_id"
check $([ "$(pending sref)" -eq 0 ]; echo $?) "nothing is left pending after a clean run"

# --- --alerts FILE: exactly once, whatever the crash point ---------------------------------
# round STATE LOG ALERTS CRASH: one chunk's run with a crash, then a run that resumes
round() {
    if [ "$4" = random ]; then
        $W --state "$1" --alerts "$3" "$2" 2> /dev/null & pid=$!
        sleep "0.$(rand 50)"
        kill -9 $pid 2> /dev/null
        wait $pid 2> /dev/null
    else
        KT_WATCH_CRASH_AT=$4 $W --state "$1" --alerts "$3" "$2" 2> /dev/null
    fi
    $W --state "$1" --alerts "$3" "$2" 2>> resume.err
}
for mode in points random; do
    for pass in 1 2; do
        rm -f "s.$mode.$pass" "a.$mode.$pass"
        : > "log.$mode.$pass"
        for i in 0 1 2 3 4 5 6 7 8 9; do
            _seed="$mode$pass$i$$"
            feed $i "log.$mode.$pass"
            if [ $mode = points ]; then
                set -- none after-outbox mid-deliver after-deliver
                shift $(((i + pass) % 4))
                crash=$1
            else
                crash=random
            fi
            round "s.$mode.$pass" "log.$mode.$pass" "a.$mode.$pass" "$crash"
        done
        content "a.$mode.$pass" > got.txt
        check $(cmp -s want.txt got.txt && [ "$(dup_ids "a.$mode.$pass")" -eq 0 ]; echo $?) \
            "$mode crashes (pass $pass): the alerts file holds every alert exactly once"
        diff want.txt got.txt | head -4 | sed 's/^/# /'
    done
done

# --- stdout: at least once ------------------------------------------------------------------
rm -f sout; : > out.log; : > out.jsonl
for i in 0 1 2 3 4 5 6 7 8 9; do
    feed $i out.log
    set -- after-deliver mid-deliver after-outbox none
    shift $((i % 4))
    KT_WATCH_CRASH_AT=$1 $W --state sout out.log >> out.jsonl 2> /dev/null
    $W --state sout out.log >> out.jsonl
done
sort -u want.txt > want-u.txt
content out.jsonl | sort -u > out-u.txt
check $(cmp -s want-u.txt out-u.txt; echo $?) \
    "stdout: every alert at least once ($(grep -c . out.jsonl) lines for $n alerts)"

# --- a crashed run's pending alerts are delivered by the next run --------------------------
rm -f sp ap.jsonl
gen_log 1 12 > p.log
KT_WATCH_CRASH_AT=after-outbox $W --state sp --alerts ap.jsonl p.log 2> /dev/null; rc=$?
np=$(pending sp)
check $([ $rc -eq 137 ] && [ "$np" -gt 0 ] && [ ! -s ap.jsonl ]; echo $?) \
    "a run killed after saving its outbox delivered nothing and left $np alerts pending"
"$KT" state export --reveal-keys --state sp | jq -r '.outbox.pending[].id' > pending-ids.txt
$W --state sp --alerts ap.jsonl p.log; rc=$?
jq -r .alert_id ap.jsonl > delivered-ids.txt
check $([ $rc -eq 1 ] && cmp -s pending-ids.txt delivered-ids.txt && [ "$(pending sp)" -eq 0 ]; echo $?) \
    "the next run delivers them, in order, under their ids, and exits 1 (status $rc)"
$W --state sp --alerts ap.jsonl p.log; rc=$?
check $([ $rc -eq 0 ] && [ "$(grep -c . ap.jsonl)" -eq "$np" ]; echo $?) \
    "a third run has nothing to deliver (status $rc)"

# an alert output that fails keeps the alerts pending for the next run
rm -rf sd ad.jsonl && mkdir adir
$W --state sd --alerts adir p.log 2> dir.err; rc=$?
check $([ $rc -eq 3 ] && [ "$(pending sd)" -eq "$np" ] && grep -q 'stay pending' dir.err; echo $?) \
    "a failing alert output exits 3 and keeps the alerts pending (status $rc)"
$W --state sd --alerts ad.jsonl p.log; rc=$?
check $([ $rc -eq 1 ] && [ "$(grep -c . ad.jsonl)" -eq "$np" ] && [ "$(pending sd)" -eq 0 ]; echo $?) \
    "the next run delivers them (status $rc)"

# a torn last line (a power cut mid-write) does not swallow the next alert
rm -f st at.jsonl
KT_WATCH_CRASH_AT=after-outbox $W --state st --alerts at.jsonl p.log 2> /dev/null
printf '{"type":"anomaly","alert_id":"torn' > at.jsonl
$W --state st --alerts at.jsonl p.log
check $([ "$(jq -R 'fromjson? | .alert_id' at.jsonl | grep -c .)" -eq "$np" ]; echo $?) \
    "after a torn last line, every pending alert is appended on a line of its own"

# --- --exec -----------------------------------------------------------------------------------
rm -f se ae.jsonl
$W --state se --alerts ae.jsonl --exec "sh -c 'cat >> hook.jsonl'" p.log; rc=$?
check $([ $rc -eq 1 ] && cmp -s ae.jsonl hook.jsonl; echo $?) \
    "--exec gets every alert, in the order of the alerts file"
# a hook that fails until the file "up" exists (a webhook that is down for a while)
rm -f se ae.jsonl hook.jsonl up
HOOK="sh -c 'if [ -e up ]; then cat >> hook.jsonl; else cat > /dev/null; exit 3; fi'"
$W --state se --alerts ae.jsonl --exec "$HOOK" p.log 2> fail.err; rc=$?
check $([ $rc -eq 1 ] && [ "$(grep -c . ae.jsonl)" -eq "$np" ] && [ "$(pending se)" -eq "$np" ] &&
    grep -q 'exit status 3' fail.err; echo $?) \
    "a failing hook is reported; the file has the alerts, the hook's wait for a retry (status $rc)"
touch up
$W --state se --alerts ae.jsonl --exec "$HOOK" p.log; rc=$?
check $([ $rc -eq 0 ] && cmp -s ae.jsonl hook.jsonl && [ "$(pending se)" -eq 0 ]; echo $?) \
    "the next run retries the hook only: it gets every alert once, the file nothing more (status $rc)"
rm -f sf af.jsonl
for i in 1 2 3 4 5; do
    $W --state sf --alerts af.jsonl --exec "sh -c 'exit 1'" p.log 2>> fail5.err
done
check $([ "$(pending sf)" -eq 0 ] && grep -q 'not retried' fail5.err &&
    [ "$(grep -c 'for alert' fail5.err)" -eq $((np * 4)) ]; echo $?) \
    "a hook that keeps failing is tried in 4 runs, then given up"
rm -f se ae.jsonl pids
timeout 120 $W --state se --alerts ae.jsonl --exec-timeout 1 \
    --exec "sh -c 'echo \$\$ >> pids; sleep 300; :'" p.log 2> hang.err
rc=$?
alive=0
for p in $(cat pids 2> /dev/null); do kill -0 "$p" 2> /dev/null && alive=$((alive + 1)); done
check $([ $rc -eq 1 ] && grep -q 'killed' hang.err && [ -s pids ] && [ $alive -eq 0 ] &&
    [ "$(grep -c . ae.jsonl)" -eq "$np" ]; echo $?) \
    "a hanging hook is killed after --exec-timeout and the run completes (status $rc)"
check $([ "$(grep -c . pids)" -eq 3 ] && grep -q 'gave up after 3 timeouts' hang.err &&
    [ "$(pending se)" -eq "$np" ]; echo $?) \
    "after 3 timeouts the run stops calling the hook; the alerts wait for its retry"
$W --state se --exec-timeout -1 p.log > /dev/null 2>&1
check $([ $? -eq 2 ]; echo $?) "a negative --exec-timeout is a usage error"
rm -f sq
$W --state sq --exec "'unterminated" p.log > /dev/null 2>&1; rc=$?
check $([ $rc -eq 2 ] && [ ! -e sq ]; echo $?) "a bad --exec command line is a usage error before anything is saved"

done_testing
