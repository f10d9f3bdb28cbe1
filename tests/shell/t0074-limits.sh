#!/bin/sh
# t0074-limits.sh - limits with documented defaults (docs/CLI.md "Limits", issue 7): a gzip
# bomb is refused (exit 3, a message that names the option), not swallowed; over-long
# lines, too many CSV fields, too deep JSON and keys beyond --max-keys are rejected and
# counted by reason, and the rest of the input is still read.
. "$(dirname "$0")/../lib/tap.sh"
cd "$TMP" || exit 2

# 16 MB of repeated, padded JSON lines compress about 600 times: above the default ratio
# 250, so reading stops after 8 MiB of output
line='{"timestamp":"2024-03-01T10:00:00Z","api_key":"AKIAQLIMITSKEY000001","client_ip":"198.51.100.7"}'
python3 -c "
import gzip
l = b'{\"timestamp\":\"2024-03-01T10:00:00Z\",\"api_key\":\"AKIAQLIMITSKEY000001\",\"pad\":\"' + b'a' * 3100 + b'\"}\n'
with gzip.open('bomb.jsonl.gz', 'wb', 9) as f:
    f.write(l * 5000)
"
"$KT" scan --stats bomb.jsonl.gz > bomb.out 2> bomb.err
rc=$?
test $rc -eq 3 && grep -q "gzip bomb" bomb.err && grep -q -- "--max-gzip-ratio" bomb.err
check $? "a gzip bomb is refused: exit 3, says so and names --max-gzip-ratio (exit $rc)"
"$KT" scan --stats -o json bomb.jsonl.gz > bomb.json 2> /dev/null
python3 - bomb.json <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))['input']['files'][0]
assert f['gzip'] and 'gzip bomb' in (f['error'] or ''), f
assert 0 < f['lines'] < 4000, f   # stopped early: 8 MiB of 16 MB
PY
check $? "the refusal is in the JSON report (input error) and reading stopped early"
"$KT" scan --stats -o json --max-gzip-ratio 0 bomb.jsonl.gz > bomb0.json 2> /dev/null
grep -q '"error":null' bomb0.json; check $? "--max-gzip-ratio 0 reads it all"

# one line of 2 MiB (over the 1 MiB default), then a good line: rejected, the rest read
{
    printf '{"timestamp":"2024-03-01T10:00:00Z","api_key":"k","pad":"'
    head -c 2097152 /dev/zero | tr '\0' 'a'
    printf '"}\n%s\n' "$line"
} > long.jsonl
"$KT" scan --stats -o json long.jsonl > long.json 2> /dev/null
grep -q '"line_too_long":1' long.json && grep -q '"events":1' long.json
check $? "a line over --max-line (1 MiB) is rejected as line_too_long, the next one read"
"$KT" scan --stats -o json --max-line 50 long.jsonl > long50.json 2> /dev/null
grep -q '"line_too_long":2' long50.json; check $? "--max-line lowers the limit"

# CSV fields per row: 1024
{
    echo "timestamp,api_key,client_ip"
    python3 -c "print(','.join(['x'] * 1100))"
    echo "2024-03-01T10:00:00Z,AKIAQLIMITSKEY000001,198.51.100.7"
} > wide.csv
"$KT" scan --stats -o json wide.csv > wide.json 2> /dev/null
grep -q '"too_many_fields":1' wide.json && grep -q '"events":1' wide.json
check $? "a CSV row of more than 1024 fields is rejected as too_many_fields"

# JSON nesting depth: 64
python3 -c "
d = '[' * 65 + ']' * 65
print('{\"timestamp\":\"2024-03-01T10:00:00Z\",\"api_key\":\"k1\",\"d\":%s}' % d)
d = '[' * 60 + ']' * 60
print('{\"timestamp\":\"2024-03-01T10:00:00Z\",\"api_key\":\"AKIAQLIMITSKEY000001\",\"d\":%s}' % d)
d = '{\"a\":' * 100000 + '1' + '}' * 100000
print(d)
" > deep.jsonl
"$KT" scan --stats -o json -F jsonl deep.jsonl > deep.json 2> /dev/null
rc=$?
grep -q '"json_too_deep":2' deep.json && grep -q '"events":1' deep.json
check $? "JSON deeper than 64 levels is rejected as json_too_deep, even 100000 deep (exit $rc)"

# distinct keys: --max-keys
python3 -c "
for i in range(50):
    print('{\"timestamp\":\"2024-03-01T10:00:00Z\",\"api_key\":\"key%012d\",\"client_ip\":\"1.2.3.4\"}' % i)
" > keys.jsonl
"$KT" scan --stats -o json --max-keys 10 keys.jsonl > keys.json 2> /dev/null
python3 - keys.json <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))['input']['files'][0]
assert f['events'] == 10 and f['rejected'] == 40 and f['distinct_keys'] == 10, f
PY
check $? "keys beyond --max-keys are rejected (key_limit), the first ones kept"
done_testing
