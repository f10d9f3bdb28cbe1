#!/bin/sh
# t04-watch.sh - keytrail watch end to end: two runs with an append in between, the
# README/WATCH.md crontab line and the systemd ExecStart line, lock and corrupt state,
# equivalence of 10 chunked runs with one scan, and kill -9 at random moments.
. "$(dirname "$0")/../lib/tap.sh"

if ! "$KT" watch --help > /dev/null 2>&1 || ! command -v jq > /dev/null 2>&1; then
    skip "watch" "keytrail watch or jq not available"
    done_testing
    exit 0
fi

KEY=AKIAIOSFODNN7EXAMPLE
# gen_log FIRST_DAY LAST_DAY: JSON lines, 3 calls an hour from the usual servers, and on
# days >= 9 some calls from a stranger with another user agent.
gen_log() {
    awk -v d0="$1" -v d1="$2" -v key="$KEY" 'BEGIN {
        for (d = d0; d <= d1; d++) for (h = 0; h < 24; h++) for (i = 1; i <= 3; i++) {
            printf "{\"timestamp\":\"2024-03-%02dT%02d:%02d:00Z\",\"api_key\":\"%s\",", d, h, i * 7, key
            printf "\"ip\":\"10.0.0.%d\",\"op\":\"GetObject\",\"status\":200,", i
            printf "\"user_agent\":\"aws-cli/2.15\"}\n"
            if (d >= 9 && h % 6 == 3)
                printf "{\"timestamp\":\"2024-03-%02dT%02d:40:00Z\",\"api_key\":\"%s\",\"ip\":\"203.0.113.%d\",\"op\":\"ListBuckets\",\"status\":403,\"user_agent\":\"python-requests/2.31\"}\n", d, h, key, h
        }
    }'
}
W="$KT watch --reveal-keys --learn 2d --quiet"

# anomalies FILE: one "kind ip time" line per anomaly in a JSON-lines file, sorted, unique
anomalies() {
    jq -r 'select(.type == "anomaly") | "\(.kind) \(.ip) \(.time)"' "$1" | sort -u
}

# --- two runs with an append in between -----------------------------------------------
cd "$TMP" || exit 2
gen_log 1 5 > app.log
$W --state s1 app.log > run1.jsonl; rc1=$?
check $((rc1 == 0 || rc1 == 1 ? 0 : 1)) "first run works (status $rc1)"
gen_log 6 10 >> app.log
$W --state s1 app.log > run2.jsonl; rc2=$?
check $((rc2 == 1 ? 0 : 1)) "second run alerts on the stranger (status $rc2)"
grep -q '"203.0.113' run2.jsonl; check $? "the new IP is alerted"
cat run1.jsonl run2.jsonl | jq -c 'del(.alert)' | sort | uniq -d > dup.txt
check $([ ! -s dup.txt ]; echo $?) "nothing alerted twice across the two runs"
$W --state s1 app.log > run3.jsonl; rc3=$?
check $([ "$rc3" -eq 0 ] && [ ! -s run3.jsonl ]; echo $?) "a third run without new lines is silent"
size=$(wc -c < app.log | tr -d ' ')
"$KT" state export --state s1 | jq -e --argjson s "$size" '.cursors[0].offset == $s' > /dev/null
check $? "the cursor stands at the end of the file"
"$KT" state export --state s1 | grep -q "$KEY"
check $((! $?)) "state export masks keys"
check $([ "$(stat -c %a s1)" = 600 ]; echo $?) "state file mode 0600"

# --- CSV: a resumed run still knows the header line -------------------------------------
gen_log 1 5 | jq -r '[.timestamp, .api_key, .ip, .op, .user_agent] | @csv' > tmp.csv
(echo "timestamp,api_key,ip,op,user_agent"; cat tmp.csv) > app.csv
$W --state s5 app.csv > csv1.jsonl
gen_log 6 10 | jq -r '[.timestamp, .api_key, .ip, .op, .user_agent] | @csv' >> app.csv
$W --state s5 app.csv > csv2.jsonl
grep -q '"203.0.113' csv2.jsonl; check $? "CSV appended after the first run is judged with its header"

# --- the crontab line of docs/WATCH.md and the systemd ExecStart line -----------------
# run_doc_cmd CMD: the documented command with our binary and temporary paths
run_doc_cmd() {
    echo "$1" | sed -e "s|^[^ ]*keytrail |$KT |" -e "s|/var/lib/keytrail|$TMP/lib|g" \
        -e "s|/var/log/keytrail|$TMP/log|g" -e "s|/var/log/api|$TMP/api|g" > cmd.sh
    sh cmd.sh
}
for how in cron systemd; do
    rm -rf lib log api && mkdir lib log api
    if [ $how = cron ]; then
        cmd=$(grep -m1 '^\*/5 ' "$top/docs/WATCH.md" | cut -d' ' -f6-)
    else
        cmd=$(sed -n 's/^ExecStart=//p' "$top/docs/systemd/keytrail-watch.service")
        grep -q '^OnUnitActiveSec=' "$top/docs/systemd/keytrail-watch.timer" &&
            grep -q '^Unit=keytrail-watch.service' "$top/docs/systemd/keytrail-watch.timer"
        check $? "systemd timer names the service and a period"
    fi
    gen_log 1 5 > api/access.log
    run_doc_cmd "$cmd"; a=$?
    gen_log 6 10 >> api/access.log
    run_doc_cmd "$cmd"; b=$?
    n=$(grep -c . log/alerts.jsonl)
    uniq_n=$(jq -c 'del(.alert)' log/alerts.jsonl | sort -u | grep -c .)
    check $([ "$a" -le 1 ] && [ "$b" -eq 1 ] && [ "$n" -gt 0 ] && [ "$n" -eq "$uniq_n" ]; echo $?) \
        "$how line: two runs, $n alerts, none twice (status $a, $b)"
    check $([ "$(stat -c %a log/alerts.jsonl)" = 600 ]; echo $?) "$how line: alerts file mode 0600"
done

# --- lock, corrupt state ---------------------------------------------------------------
flock s1.lock sleep 5 & holder=$!
sleep 1
$W --state s1 app.log > /dev/null 2> lock.err; rc=$?
check $([ $rc -eq 4 ] && grep -q 'locked by' lock.err; echo $?) "a held lock exits with 4 and says so"
$W --state s1 --wait app.log > /dev/null 2>&1; rc=$?
check $([ $rc -eq 0 ]; echo $?) "--wait waits for the lock (status $rc)"
wait $holder
cp s1 s1.bak && printf 'garbage' >> s1 && cp s1 s1.bad
$W --state s1 app.log > /dev/null 2> corrupt.err; rc=$?
check $([ $rc -eq 4 ] && cmp -s s1 s1.bad && grep -q 'Move it away' corrupt.err; echo $?) \
    "a corrupt state exits with 4 and is left unchanged"
cp s1.bak s1

# --- equivalence: 10 chunks of watch == one scan ---------------------------------------
gen_log 1 12 > whole.log
"$KT" scan --reveal-keys --learn 2d --quiet --output jsonl whole.log > scan.jsonl
anomalies scan.jsonl > want.txt
total=$(wc -c < whole.log | tr -d ' ')
chunk=$(((total + 9) / 10))
: > feed.log; : > chunks.jsonl
for i in 0 1 2 3 4 5 6 7 8 9; do
    tail -c +$((i * chunk + 1)) whole.log | head -c "$chunk" >> feed.log # cuts lines
    $W --state s2 feed.log >> chunks.jsonl
done
anomalies chunks.jsonl > got.txt
check $([ -s want.txt ] && cmp -s want.txt got.txt; echo $?) \
    "10 chunked watch runs report the anomalies of one scan ($(grep -c . want.txt))"
diff want.txt got.txt | head -5 | sed 's/^/# /'

# --- kill -9 at random moments ---------------------------------------------------------
: > feed3.log; : > killed.jsonl
for i in 0 1 2 3 4 5 6 7 8 9; do
    tail -c +$((i * chunk + 1)) whole.log | head -c "$chunk" >> feed3.log
    $W --state s3 feed3.log >> killed.jsonl 2> /dev/null & pid=$!
    sleep "0.0$(awk -v s="$i$$" 'BEGIN { srand(s); printf "%d", rand() * 9 }')"
    kill -9 $pid 2> /dev/null
    wait $pid 2> /dev/null
    $W --state s3 feed3.log >> killed.jsonl
done
anomalies killed.jsonl > killed.txt
check $(cmp -s got.txt killed.txt; echo $?) "runs killed with -9 then resumed report the same anomalies"
strip='del(.cursors) | del(.checksum)'
"$KT" state export --reveal-keys --state s2 | jq -S "$strip" > s2.json
"$KT" state export --reveal-keys --state s3 | jq -S "$strip" > s3.json
check $(cmp -s s2.json s3.json; echo $?) "and leave the same state as uninterrupted runs"
diff s2.json s3.json | head -10 | sed 's/^/# /'

# --- accept ------------------------------------------------------------------------------
"$KT" accept --state s4 --key "$KEY" --ip 203.0.113.0/24 > /dev/null
$W --state s4 whole.log > acc.jsonl
grep -q '"203.0.113' acc.jsonl; check $((! $?)) "accepted network is not alerted"
"$KT" accept --state s4 --key "$KEY" --ip not-an-ip > /dev/null 2>&1
check $([ $? -eq 2 ]; echo $?) "accept rejects a bad CIDR with 2"

done_testing
