#!/bin/sh
# Golden end-to-end tests (git t4013 style). Each tests/golden/NAME/ holds:
#   cmd              shell text run with $KT (the binary), $SAMPLES, $DATA, $TMP set
#   expected.out     expected stdout
#   expected.stderr  expected stderr (optional: absent = not compared)
#   expected.exit    expected exit status (optional: absent = 0)
#   needs-data       present: skip when ../shared/data is absent
# A missing expected.out is written and the test fails; KT_GOLDEN_UPDATE=1 rewrites all.
set -u
build=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
KT="$top/$build/keytrail"; KTGEN="$top/$build/ktgen"
SAMPLES="$top/samples"; DATA="$top/../shared/data"
export KT KTGEN SAMPLES DATA TZ=UTC LC_ALL=C NO_COLOR=1
n=0
for d in "$top"/tests/golden/*/; do
    [ -f "$d/cmd" ] || continue
    n=$((n + 1))
    name=$(basename "$d")
    if [ -f "$d/needs-data" ] && [ ! -d "$DATA" ]; then
        echo "ok $n - $name # SKIP ../shared/data absent"
        continue
    fi
    TMP=$(mktemp -d); export TMP
    (cd "$TMP" && sh "$d/cmd") > "$TMP/.out" 2> "$TMP/.err"
    rc=$?
    want_rc=0; [ -f "$d/expected.exit" ] && want_rc=$(cat "$d/expected.exit")
    ok=1
    if [ "${KT_GOLDEN_UPDATE:-0}" = 1 ] || [ ! -f "$d/expected.out" ]; then
        [ -f "$d/expected.out" ] || { ok=0; echo "# $name: expected.out missing, written"; }
        cp "$TMP/.out" "$d/expected.out"
        [ -f "$d/expected.stderr" ] && cp "$TMP/.err" "$d/expected.stderr"
        echo "$rc" > "$d/expected.exit"
        want_rc=$rc
    fi
    if ! diff -u "$d/expected.out" "$TMP/.out" > "$TMP/.diff"; then
        ok=0; sed 's/^/# /' "$TMP/.diff" | head -40
    fi
    if [ -f "$d/expected.stderr" ] && ! diff -u "$d/expected.stderr" "$TMP/.err" > "$TMP/.diff"; then
        ok=0; sed 's/^/# /' "$TMP/.diff" | head -40
    fi
    if [ "$rc" != "$want_rc" ]; then
        ok=0; echo "# $name: exit $rc, expected $want_rc"; sed 's/^/# stderr: /' "$TMP/.err" | head -10
    fi
    if [ $ok = 1 ]; then echo "ok $n - $name"; else echo "not ok $n - $name"; fi
    rm -rf "$TMP"
done
echo "1..$n"
