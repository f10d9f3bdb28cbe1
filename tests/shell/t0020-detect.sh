#!/bin/sh
# Detection options end to end on the committed samples (the leak story in samples/README.md):
# leak-time vs online learning, --entity, --revoked, --allow, --known-bad, --detectors,
# --disable, --fail-on and exit codes, output kinds, order independence over many files.
. "$(dirname "$0")/../lib/tap.sh"
CT="$SAMPLES/cloudtrail"
LT=2024-03-19T09:17:00Z
KEY=AKIAQPIFOQ3RZUXZA5LZ
j() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $2" "$1"; }

"$KT" scan --leak-time $LT --reveal-keys --output json "$CT" > "$TMP/lt.json"; rc=$?
test $rc -eq 1; check $? "leak-time scan finds the leak (exit 1)"
j "$TMP/lt.json" "
ips={i['ip'] for i in d['incidents'] if i['key']=='$KEY' and i['severity'] in ('medium','high','critical')}
assert {'5.188.248.105','139.59.93.38','43.153.149.245'} <= ips, ips"
check $? "all three attacker IPs are medium+ incidents of the leaked key"
j "$TMP/lt.json" "assert d['window']['leak_time']=='$LT'"; check $? "window.leak_time is reported"
j "$TMP/lt.json" "
bad=[i for i in d['incidents'] if i['key']!='$KEY' and i['severity'] in ('medium','high','critical')]
assert len(bad) <= 2, bad"
check $? "few medium+ incidents on the keys that did not leak"

"$KT" scan --learn 7d --reveal-keys --output json "$CT" > "$TMP/online.json"
j "$TMP/online.json" "
ips={i['ip'] for i in d['incidents'] if i['key']=='$KEY' and i['severity'] in ('high','critical')}
assert '139.59.93.38' in ips, ips"
check $? "online learning (no --leak-time) also finds the attacker"

"$KT" scan --leak-time $LT --fail-on critical "$CT" >/dev/null; test $? -eq 1; check $? "--fail-on critical: exit 1 (a critical incident)"
"$KT" scan --leak-time $LT --disable known_bad,revoked_key --fail-on critical "$CT" >/dev/null
test $? -eq 0; check $? "--disable known_bad: nothing critical is left, exit 0"
"$KT" scan --leak-time $LT --detectors new_ip --reveal-keys --output json "$CT" > "$TMP/only.json"
j "$TMP/only.json" "assert d['anomalies'] and {a['kind'] for a in d['anomalies']} == {'new_ip'}"
check $? "--detectors new_ip runs only new_ip"

# the text report lists the worst first: --limit and --min-severity (default low, 20)
"$KT" scan --leak-time $LT "$CT" > "$TMP/def.txt"
grep -q "note: 2 info incidents are not listed (--min-severity info lists them)" "$TMP/def.txt" &&
    ! grep -q " INFO " "$TMP/def.txt"
check $? "text report: info incidents are counted but not listed by default"
"$KT" scan --leak-time $LT --min-severity info "$CT" > "$TMP/info.txt"
test "$(grep -c '^  #[0-9]* INFO ' "$TMP/info.txt")" -eq 2 && ! grep -q "note:.*not listed" "$TMP/info.txt"
check $? "--min-severity info lists them"
"$KT" scan --leak-time $LT --min-severity high "$CT" > "$TMP/high.txt"
test "$(grep -c '^  #[0-9]* \(HIGH\|CRITICAL\) ' "$TMP/high.txt")" -eq 3 &&
    tr -s '\n ' '  ' < "$TMP/high.txt" | grep -qF "note: 2 medium, 1 low and 2 info incidents are not listed (--min-severity info lists them)"
check $? "--min-severity high lists the 3 high and critical ones and counts the rest"
"$KT" scan --leak-time $LT --limit 1 "$CT" > "$TMP/one.txt"
test "$(grep -c '^  #[0-9]* ' "$TMP/one.txt")" -eq 1 && grep -q '^  #[0-9]* CRITICAL  score 99' "$TMP/one.txt" &&
    grep -q "(and 5 more incidents, less severe: --limit 0 lists all)" "$TMP/one.txt" &&
    grep -q "(and 2 more keys, less severe" "$TMP/one.txt"
check $? "--limit 1 lists the worst key and incident and says how many more"
"$KT" scan --leak-time $LT --limit 0 --min-severity info "$CT" > "$TMP/all.txt"
test "$(grep -c '^  #[0-9]* ' "$TMP/all.txt")" -eq 8 && ! grep -q "(and [0-9]* more incidents" "$TMP/all.txt"
check $? "--limit 0 --min-severity info lists all 8 incidents"
"$KT" scan --min-severity severe "$CT" > /dev/null 2> "$TMP/err.txt"; rc=$?
test $rc -eq 2 && grep -q "min-severity: use info, low, medium, high or critical" "$TMP/err.txt"
check $? "a bad --min-severity is a usage error (exit 2)"
"$KT" scan --limit -5 "$CT" > /dev/null 2>&1; test $? -eq 2; check $? "a negative --limit is a usage error"

printf '# decoys and rotated keys\n%s 2024-03-19T00:00:00Z\n' "$KEY" > "$TMP/revoked.txt"
"$KT" scan --leak-time $LT --revoked "$TMP/revoked.txt" --reveal-keys --output json "$CT" > "$TMP/rev.json"
j "$TMP/rev.json" "assert any(a['kind']=='revoked_key' and a['severity']=='critical' for a in d['anomalies'])"
check $? "--revoked: use after revocation is critical"
j "$TMP/lt.json" "assert not any(a['kind']=='revoked_key' for a in d['anomalies'])"
check $? "no revoked_key without --revoked"

"$KT" scan --leak-time $LT --allow 139.59.93.0/24 --reveal-keys --output json "$CT" > "$TMP/allow.json"
j "$TMP/allow.json" "assert not any(i['ip']=='139.59.93.38' for i in d['incidents'])"
check $? "--allow CIDR suppresses that source"
printf '# Tor exits and friends\n43.153.149.0/24\nua:definitely-not-present\n' > "$TMP/bad.txt"
"$KT" scan --leak-time $LT --known-bad "$TMP/bad.txt" --reveal-keys --output json "$CT" > "$TMP/bad.json"
j "$TMP/bad.json" "assert any(a['kind']=='known_bad' and a['ip']=='43.153.149.245' for a in d['anomalies'])"
check $? "--known-bad CIDR flags the source"
j "$TMP/lt.json" "assert not any(a['kind']=='known_bad' and a['ip']=='43.153.149.245' for a in d['anomalies'])"
check $? "not flagged known_bad without the list"
"$KT" scan --allow @"$TMP/none.txt" "$CT" >/dev/null 2>"$TMP/err"; test $? -eq 2; check $? "missing --allow file is a usage error"
grep -q "none.txt" "$TMP/err"; check $? "and the message names the file"

"$KT" scan --leak-time $LT --output jsonl "$CT" > "$TMP/l.jsonl"
python3 -c "
import json,sys
t=[json.loads(l)['type'] for l in open(sys.argv[1])]
assert 'incident' in t and 'anomaly' in t, set(t)" "$TMP/l.jsonl"
check $? "--output jsonl: one incident or anomaly per line"

# order independence over many CloudTrail files: reversed and shuffled file lists
find "$CT" -type f | sort > "$TMP/files"
sort -r "$TMP/files" > "$TMP/rev"
"$KT" scan --leak-time $LT --output json -j 1 $(cat "$TMP/files") | j /dev/stdin "d.pop('input'); print(json.dumps(d, sort_keys=True))" > "$TMP/o1"
"$KT" scan --leak-time $LT --output json -j 2 $(cat "$TMP/rev") | j /dev/stdin "d.pop('input'); print(json.dumps(d, sort_keys=True))" > "$TMP/o2"
cmp -s "$TMP/o1" "$TMP/o2"; check $? "same findings with files in reverse order and two threads"

# temporary credentials: --entity auto judges ASIA keys by their role
"$KT" scan --leak-time $LT --entity auto --reveal-keys --output json "$CT" > "$TMP/auto.json"
j "$TMP/auto.json" "
assert any(k.get('entity') for k in d['keys']), 'no principal entity'
assert any(i['ip']=='139.59.93.38' for i in d['incidents'])"
check $? "--entity auto: principals as entities, the leak still found"
"$KT" scan --entity nobody "$CT" >/dev/null 2>&1; test $? -eq 2; check $? "bad --entity is a usage error"
done_testing
