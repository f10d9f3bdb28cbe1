#!/bin/sh
# t0073-valgrind.sh - the real binary under valgrind (issue 7), for `make check-valgrind`
# (KT_VALGRIND=1; skipped otherwise: valgrind is slow). Every sample format, gzip, several
# jobs, hostile fields, watch with alerts, the state commands, usage and input errors and
# the headless TUI must run with no memory error and no leak outside the library
# internals listed in tests/lib/valgrind.supp.
. "$(dirname "$0")/../lib/tap.sh"
if [ "${KT_VALGRIND:-0}" != 1 ]; then
    skip "keytrail under valgrind" "set KT_VALGRIND=1 (make check-valgrind)"
    done_testing
    exit 0
fi
if ! command -v valgrind > /dev/null 2>&1; then
    skip "keytrail under valgrind" "valgrind not installed"
    done_testing
    exit 0
fi
cd "$TMP" || exit 2
VG="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,possible"
VG="$VG --suppressions=$top/tests/lib/valgrind.supp"

# vg NAME ARGS...: runs keytrail under valgrind; fails on exit status 99 (valgrind errors)
vg() {
    name=$1
    shift
    $VG "$KT" "$@" > "$name.out" 2> "$name.err" < /dev/null
    rc=$?
    if [ $rc -eq 99 ] || grep -q '^==[0-9]*== ' "$name.err"; then
        grep '^==' "$name.err" | head -30 | sed 's/^/# /'
        check 1 "valgrind: $name (exit $rc)"
    else
        check 0 "valgrind: $name (exit $rc)"
    fi
}

printf '{"timestamp":"2024-03-0%sT10:00:00Z","api_key":"AKIAQVALGRINDKEY0001","client_ip":"198.51.100.7","operation":"GET /x","status":200}\n' 1 2 3 4 5 6 > h.jsonl
printf '{"timestamp":"2024-03-07T03:00:00Z","api_key":"AKIAQVALGRINDKEY0001","client_ip":"203.0.113.7\033[2J","operation":"GET /y?api_key=sk_live_abcdef0123456789","status":403,"user_agent":"\342\200\256\377"}\n' >> h.jsonl
printf '{"timestamp":"bad","api_key":"k"}\nnot json\n{"a":%s1%s}\n' \
    "$(printf '[%.0s' $(seq 100))" "$(printf ']%.0s' $(seq 100))" >> h.jsonl

vg csv scan "$SAMPLES/api-access.csv"
vg clf-json scan -o json "$SAMPLES/access.log"
vg cloudtrail-stats scan --stats -o json "$SAMPLES/cloudtrail"
vg gzip-jobs scan -j 2 -o jsonl "$SAMPLES/vault-audit.log.gz" "$SAMPLES/conjur-audit.log" \
    "$SAMPLES/github-audit.jsonl.gz" "$SAMPLES/gcp-audit.jsonl.gz"
vg hostile scan --reveal-keys h.jsonl
vg hostile-stats scan --stats h.jsonl
vg watch1 watch --state st --alerts al.jsonl h.jsonl
vg watch2 watch --state st "$SAMPLES/api-access.csv"
vg accept accept --state st --key AKIAQVALGRINDKEY0001 --ua curl
vg state-show state show --state st
vg state-export state export --state st
vg state-prune state prune --state st --older-than 1d
vg missing scan nosuch.log
vg usage scan --format nosuch x
export LINES=30 COLUMNS=100 TERM=xterm KT_TUI_NO_DISPLAY=1
KT_TUI_KEYS="<Enter>ll2<Enter><Tab>3<Enter>/x<Enter>ry" KT_TUI_DUMP=t1.out vg tui tui h.jsonl
KT_TUI_KEYS="jj<Enter>2e<Enter>" KT_TUI_DUMP=t2.out vg tui-synthetic tui --synthetic 40:2000
KT_TUI_KEYS="" KT_TUI_DUMP=t3.out vg tui-state tui --state st
done_testing
