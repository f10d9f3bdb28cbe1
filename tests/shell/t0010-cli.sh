#!/bin/sh
# CLI contract: help, version, usage errors, exit codes, inputs (stdin, directories, gzip),
# bad input counted, order independence and -j equivalence.
. "$(dirname "$0")/../lib/tap.sh"

"$KT" --version | grep -q '^keytrail [0-9]'; check $? "--version prints the version"
"$KT" --help | grep -q 'Commands:'; check $? "--help lists the commands"
for c in scan watch tui formats state accept; do
    "$KT" $c --help >/dev/null 2>&1; check $? "$c --help exits 0"
done
"$KT" nosuch >/dev/null 2>&1; test $? -eq 2; check $? "unknown command exits 2"
"$KT" scan --nosuch x >/dev/null 2>&1; test $? -eq 2; check $? "unknown option exits 2"
"$KT" scan --output yaml x >/dev/null 2>&1; test $? -eq 2; check $? "bad --output exits 2"
"$KT" scan --format nosuch x >/dev/null 2>"$TMP/err"; test $? -eq 2; check $? "bad --format exits 2"
grep -q "keytrail formats" "$TMP/err"; check $? "bad --format says where to look"
"$KT" scan --leak-time yesterday x >/dev/null 2>&1; test $? -eq 2; check $? "bad --leak-time exits 2"
"$KT" scan --detectors new_ip,bogus x >/dev/null 2>"$TMP/err"; test $? -eq 2; check $? "unknown detector exits 2"
grep -q "new_network" "$TMP/err"; check $? "unknown detector lists the known ones"
"$KT" scan --field nope=x x >/dev/null 2>&1; test $? -eq 2; check $? "bad --field exits 2"
"$KT" formats > "$TMP/formats"; check $? "formats exits 0"
for f in csv jsonl cloudtrail clf syslog; do
    grep -q "^$f" "$TMP/formats"; check $? "formats lists $f"
done

# a small JSON-lines log: two keys, one of them seen from a second network later
mk() { # mk KEY IP TIME OP
    printf '{"timestamp":"%s","api_key":"%s","client_ip":"%s","operation":"%s","status":200}\n' "$3" "$1" "$2" "$4"
}
{
    for d in 01 02 03 04 05 06 07 08 09 10; do
        for h in 09 10 11 14 15; do
            mk sk_live_AAAA1111BBBB2222 198.51.100.7 "2024-03-${d}T${h}:05:00Z" "GET /v1/charges"
            mk tok_CCCC3333DDDD4444 192.0.2.10 "2024-03-${d}T${h}:07:00Z" "GET /v1/items"
        done
    done
} > "$TMP/a.jsonl"
{
    mk sk_live_AAAA1111BBBB2222 203.0.113.99 "2024-03-11T03:00:00Z" "POST /v1/admin/users"
    mk sk_live_AAAA1111BBBB2222 203.0.113.99 "2024-03-11T03:01:00Z" "GET /v1/secrets"
    echo '{"timestamp":"2024-03-11T03:02:00Z","client_ip":"203.0.113.99"}'
    echo 'not json at all'
    printf '{"timestamp":"garbage","api_key":"x1234567890123","client_ip":"1.2.3.4"}\n'
} > "$TMP/b.jsonl"

"$KT" scan --stats "$TMP/a.jsonl" "$TMP/b.jsonl" > "$TMP/stats"; rc=$?
test $rc -eq 0; check $? "--stats exits 0 on readable input with bad lines"
grep -q "jsonl" "$TMP/stats"; check $? "--stats names the format"
"$KT" scan --stats --output json "$TMP/a.jsonl" "$TMP/b.jsonl" > "$TMP/stats.json"
python3 - "$TMP/stats.json" <<'PY'; check $? "--stats json: counts and reasons"
import json, sys
d = json.load(open(sys.argv[1]))
files = d["input"]["files"]
assert files[0]["events"] == 100, files[0]
assert files[1]["events"] == 2, files[1]
assert files[1]["rejected"] == 3, files[1]
r = files[1]["rejected_by_reason"]
assert r.get("missing_key") == 1 and r.get("malformed") == 1 and r.get("bad_time") == 1, r
assert d["input"]["rejected"] == 3
rej = d["input"]["rejects"]
assert len(rej) == 3 and rej[0]["line"] == 3 and rej[0]["file"].endswith("b.jsonl"), rej
PY

cat "$TMP/a.jsonl" "$TMP/b.jsonl" | "$KT" scan --stats --output json - > "$TMP/stdin.json"
grep -q '"events":102' "$TMP/stdin.json" || python3 -c "import json,sys; d=json.load(open('$TMP/stdin.json')); sys.exit(0 if d['input']['events']==102 else 1)"
check $? "reads standard input"

mkdir -p "$TMP/dir/sub" "$TMP/dir/.hidden"
cp "$TMP/a.jsonl" "$TMP/dir/sub/1.jsonl"; gzip -c "$TMP/b.jsonl" > "$TMP/dir/2.log"
cp "$TMP/a.jsonl" "$TMP/dir/.hidden/x.jsonl"
"$KT" scan --stats --output json "$TMP/dir" > "$TMP/dir.json"
python3 - "$TMP/dir.json" <<'PY'; check $? "directories recursive, hidden skipped, gzip by magic"
import json, sys
d = json.load(open(sys.argv[1]))
f = d["input"]["files"]
assert len(f) == 2, f
assert f[0]["path"].endswith("2.log") and f[0]["gzip"] is True and f[0]["events"] == 2, f[0]
assert f[1]["path"].endswith("sub/1.jsonl") and f[1]["events"] == 100, f[1]
PY

# multi-member gzip (concatenated .gz files)
gzip -c "$TMP/a.jsonl" > "$TMP/multi.gz"; gzip -c "$TMP/b.jsonl" >> "$TMP/multi.gz"
"$KT" scan --stats --output json "$TMP/multi.gz" | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if d['input']['events']==102 else 1)"
check $? "multi-member gzip read whole"

# truncated gzip: error exit 3, events before the cut still counted
head -c 300 "$TMP/multi.gz" > "$TMP/cut.gz"
"$KT" scan --stats "$TMP/cut.gz" >/dev/null 2>"$TMP/err"; test $? -eq 3; check $? "truncated gzip exits 3"
grep -q "cut.gz" "$TMP/err"; check $? "truncated gzip error names the file"

# gzip bomb: 64 MiB of one repeated line inflates > 1000x
python3 -c "
import gzip
line=b'{\"timestamp\":\"2024-03-01T00:00:00Z\",\"api_key\":\"k123456789012\",\"client_ip\":\"1.2.3.4\"}\n'
with gzip.open('$TMP/bomb.gz','wb',9) as f:
    f.write(line)
    f.write(b' ' * (64<<20))
"
"$KT" scan --stats "$TMP/bomb.gz" >/dev/null 2>"$TMP/err"; test $? -eq 3; check $? "gzip bomb refused with exit 3"
grep -q "max-gzip-ratio" "$TMP/err"; check $? "gzip bomb message says how to override"

# missing and unreadable files
"$KT" scan "$TMP/none.log" >/dev/null 2>"$TMP/err"; test $? -eq 3; check $? "missing file exits 3"
grep -q "none.log" "$TMP/err"; check $? "missing file error names the file"
: > "$TMP/empty.log"
"$KT" scan --stats "$TMP/empty.log" >/dev/null 2>&1; check $? "empty file is fine"
head -c 4096 /dev/urandom > "$TMP/garbage.bin"
"$KT" scan --format jsonl --stats "$TMP/garbage.bin" >/dev/null 2>&1; test $? -le 1; check $? "binary garbage does not crash"

# --max-fields and --max-json-depth (the limits named in reject details)
printf 'a,b,c\n1,2,3\n' > "$TMP/f.csv"
"$KT" scan --stats --max-fields 2 --output json "$TMP/f.csv" | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if d['input']['files'][0]['rejected_by_reason'].get('too_many_fields') == 2 else 1)"
check $? "--max-fields rejects wider rows"
echo '{"a":{"b":{"c":1}},"api_key":"k1234567890123","timestamp":"2024-01-01T00:00:00Z"}' > "$TMP/d.jsonl"
"$KT" scan --stats --max-json-depth 2 --output json "$TMP/d.jsonl" | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if d['input']['files'][0]['rejected_by_reason'].get('json_too_deep') == 1 else 1)"
check $? "--max-json-depth rejects deeper records"
"$KT" scan --stats --output json "$TMP/d.jsonl" | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if d['input']['events'] == 1 else 1)"
check $? "the default depth accepts it"

# order independence and -j equivalence of the findings
"$KT" scan -j 1 --output json --reveal-keys "$TMP/a.jsonl" "$TMP/b.jsonl" > "$TMP/r1.json"
"$KT" scan -j 1 --output json --reveal-keys "$TMP/b.jsonl" "$TMP/a.jsonl" > "$TMP/r2.json"
"$KT" scan -j2 --output json --reveal-keys "$TMP/b.jsonl" "$TMP/a.jsonl" > "$TMP/r3.json"
strip() { python3 -c "
import json,sys
d=json.load(open(sys.argv[1])); d.pop('input',None); print(json.dumps(d,sort_keys=True))" "$1"; }
test "$(strip "$TMP/r1.json")" = "$(strip "$TMP/r2.json")"; check $? "findings do not depend on input order"
test "$(strip "$TMP/r2.json")" = "$(strip "$TMP/r3.json")"; check $? "-j2 gives the same findings as -j1"
cmp -s "$TMP/r2.json" "$TMP/r3.json"; check $? "-j2 gives byte-identical output to -j1"

# keys masked by default
"$KT" scan "$TMP/a.jsonl" "$TMP/b.jsonl" > "$TMP/text" 2>&1
! grep -q "sk_live_AAAA1111BBBB2222" "$TMP/text"; check $? "text output masks keys"
"$KT" scan --output json "$TMP/a.jsonl" "$TMP/b.jsonl" > "$TMP/json" 2>&1
! grep -q "sk_live_AAAA1111BBBB2222" "$TMP/json"; check $? "json output masks keys"
grep -q "sk_live_AAAA1111BBBB2222" "$TMP/r1.json"; check $? "--reveal-keys shows keys"

# -j on one large file: parts read in parallel give the output of one thread, with the
# rejects (all late in the file, so in later parts) at their real line numbers.
# KT_SPLIT_MIN makes parts of 20 kB instead of 8 MiB.
"$KTGEN" logs -q -s 5 -f csv -k 30 -d 20 -e 6000 -o "$TMP/big.csv"
"$KTGEN" logs -q -s 5 -f jsonl -k 30 -d 20 -e 6000 -o "$TMP/big.jsonl"
"$KTGEN" logs -q -s 5 -f combined -k 30 -d 20 -e 6000 -o "$TMP/big.log"
"$KTGEN" logs -q -s 5 -f conjur -k 30 -d 20 -e 6000 -o "$TMP/big.syslog"
python3 - "$TMP" <<'PY'
import sys
d = sys.argv[1]
bad = {
    "csv": ["not-a-time,sk_live_ZZZZ,1.2.3.4,GET,/x,200,1,ua", "only,three,fields", ""],
    "jsonl": ['{"timestamp": "2024-03-02T00:00:00Z", "api_key":', "[1, 2]", ""],
    "log": ["garbage line that is no web log", "1.2.3.4 - - [bad] \"GET / HTTP/1.1\" 200 1"],
    "syslog": ["<13>1 garbage", "not syslog at all"],
}
for ext, lines in bad.items():
    src = open(f"{d}/big.{ext}").read().split("\n")
    out, want = [], []
    for i, line in enumerate(src):
        out.append(line)
        if i > 2000 and i % 997 == 0 and line:
            for b in lines:
                out.append(b)
                if b:
                    want.append(len(out))
    open(f"{d}/big.{ext}", "w").write("\n".join(out))
    open(f"{d}/want.{ext}", "w").write(" ".join(map(str, want[:20])) + "\n")
# CSV with quoted fields, some holding newlines (parts must not cut inside them)
src = open(f"{d}/big.csv").read().split("\n")
out = [src[0]]
for i, line in enumerate(src[1:], 1):
    f = line.split(",")
    if len(f) == 8 and i % 7 == 0:
        f[4] = '"%s\nsecond line\nthird, with a comma"' % f[4]
    elif len(f) == 8 and i % 5 == 0:
        f[7] = '"%s, ""quoted"""' % f[7]
    out.append(",".join(f))
open(f"{d}/bigq.csv", "w").write("\n".join(out))
PY
check $? "large test logs written"
for f in big.csv bigq.csv big.jsonl big.log big.syslog; do
    x=""; [ $f = big.log ] && x="--field key=query:api_key"
    for j in 1 2 4; do
        KT_SPLIT_MIN=20000 "$KT" scan -j $j --output json --reveal-keys $x "$TMP/$f" > "$TMP/$f.j$j.json"
        KT_SPLIT_MIN=20000 "$KT" scan -j $j --stats --output json $x "$TMP/$f" > "$TMP/$f.s$j.json"
    done
    cmp -s "$TMP/$f.j1.json" "$TMP/$f.j2.json" && cmp -s "$TMP/$f.j1.json" "$TMP/$f.j4.json"
    check $? "-j1, -j2 and -j4 give byte-identical output on one large $f"
    cmp -s "$TMP/$f.s1.json" "$TMP/$f.s2.json" && cmp -s "$TMP/$f.s1.json" "$TMP/$f.s4.json"
    check $? "-j1, -j2 and -j4 give identical --stats on one large $f"
done
for e in csv jsonl log syslog; do
    python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
got=' '.join(str(r['line']) for r in d['input']['rejects'])
sys.exit(0 if got == open(sys.argv[2]).read().strip() and d['input']['rejected'] > 0 else 1)" \
        "$TMP/big.$e.s4.json" "$TMP/want.$e"
    check $? "-j4 reports the first rejects of a large $e file at their line numbers"
done
# --max-keys reached: the keys kept and the lines rejected are those of one thread
KT_SPLIT_MIN=20000 "$KT" scan -j 1 --max-keys 7 --output json --reveal-keys "$TMP/big.csv" > "$TMP/mk1.json"
KT_SPLIT_MIN=20000 "$KT" scan -j 4 --max-keys 7 --output json --reveal-keys "$TMP/big.csv" > "$TMP/mk4.json"
cmp -s "$TMP/mk1.json" "$TMP/mk4.json"; check $? "--max-keys gives the same output with -j4"
# several files, some large: reversed order and -j give the same findings
KT_SPLIT_MIN=20000 "$KT" scan -j 1 --output json --reveal-keys "$TMP/big.csv" "$TMP/a.jsonl" "$TMP/big.jsonl" > "$TMP/m1.json"
KT_SPLIT_MIN=20000 "$KT" scan -j 3 --output json --reveal-keys "$TMP/big.jsonl" "$TMP/a.jsonl" "$TMP/big.csv" > "$TMP/m3.json"
test "$(strip "$TMP/m1.json")" = "$(strip "$TMP/m3.json")"; check $? "-j3 over reversed large and small files gives the same findings"
# The engine on -j threads (keys dealt out to up to 8 engines): the same report over the
# samples (every format, many findings) in each entity mode, and past --max-findings,
# where the inputs are judged again by one engine.
for opt in "--entity auto" "--entity key" "--entity principal" "--max-findings 4" "--tz Europe/Berlin" \
           "--leak-time 2024-03-19T09:17:00Z" "--disable new_op,off_hours --learn 3d --forget 10d --allow 10.0.0.0/8"; do
    "$KT" scan -q -j 1 --output json --reveal-keys $opt "$SAMPLES" > "$TMP/sj1.json" 2>/dev/null
    s1=$?
    for j in 2 3 8; do
        "$KT" scan -q -j $j --output json --reveal-keys $opt "$SAMPLES" > "$TMP/sj$j.json" 2>/dev/null
        test $? -eq $s1 && cmp -s "$TMP/sj1.json" "$TMP/sj$j.json"; check $? "-j$j gives -j1's report and status on the samples ($opt)"
    done
done
"$KT" scan -q -j 8 --output json --max-findings 4 "$SAMPLES" > "$TMP/mf.json" 2>/dev/null
python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
sys.exit(0 if len(d['incidents']) <= 4 and len(d['anomalies']) == 4 and d['anomalies_dropped'] > 0 else 1)" "$TMP/mf.json"
check $? "--max-findings 4 keeps 4 anomalies and counts the rest as dropped"
"$KT" scan -q -j 1 --output json --reveal-keys "$SAMPLES" > "$TMP/sj1.json" 2>/dev/null
python3 -c "
import json,sys
d=json.load(open(sys.argv[1]))
sys.exit(0 if len(d['incidents']) >= 20 and len(d['anomalies']) >= 50 and d['anomalies_dropped'] == 0 else 1)" "$TMP/sj1.json"
check $? "the samples have findings enough for the -j comparison"
"$KT" scan --max-findings -1 x >/dev/null 2>&1; test $? -eq 2; check $? "negative --max-findings exits 2"
done_testing
