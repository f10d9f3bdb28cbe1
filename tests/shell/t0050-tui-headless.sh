#!/bin/sh
# keytrail tui, headless (KT_TUI_NO_DISPLAY): replayed keys (KT_TUI_KEYS), the final screen
# dumped as text (KT_TUI_DUMP) at LINES=30 COLUMNS=100 and compared with tests/tui/*.screen
# (generated data, so the screens do not move with the engine's tuning); export, usage
# errors, --tui-frames, and a run on a real log.
# A missing expected screen is written out and the test fails (review it, then commit it).
. "$(dirname "$0")/../lib/tap.sh"
screens="$top/tests/tui"
export LINES=30 COLUMNS=100 TERM=xterm KT_TUI_NO_DISPLAY=1
unset KT_TUI_KEYS KT_TUI_DUMP

# tui_run NAME KEYS ARGS...: runs the dashboard, the screen lands in $TMP/NAME.out
tui_run() {
    name=$1 keys=$2
    shift 2
    KT_TUI_KEYS="$keys" KT_TUI_DUMP="$TMP/$name.out" "$KT" tui "$@" > "$TMP/$name.log" 2>&1
}

# screen NAME KEYS: compares the dump of a replay on generated data with NAME.screen
screen() {
    tui_run "$1" "$2" --synthetic 40:20000
    rc=$?
    if [ ! -f "$screens/$1.screen" ]; then
        cp "$TMP/$1.out" "$screens/$1.screen" 2>/dev/null
        echo "# wrote $screens/$1.screen: review and commit it"
        check 1 "screen $1 (expected screen was missing)"
        return
    fi
    if [ $rc -eq 0 ] && diff -u "$screens/$1.screen" "$TMP/$1.out" > "$TMP/$1.diff"; then
        check 0 "screen $1"
    else
        sed 's/^/# /' "$TMP/$1.diff" "$TMP/$1.log" | head -60
        check 1 "screen $1 (exit $rc)"
    fi
}

screen overview ""
screen overview-scrolled "jjjjjjjjjjjjjjjjjjjjjj"
screen key-detail "<Enter>"
screen key-user-agents "<Enter>lll"
screen key-consumers "<Enter><BTab>"
screen incidents "2"
screen incidents-by-score "2ss"
screen incident-evidence "2<Enter>"
screen incident-timeline "2<Enter><Tab>"
screen events-denied "jj3f"
screen search "/0003<Enter>"
screen filter-high "fff"
screen help "?"
screen reveal-asks "r"
screen resize-80x24 "<Resize:80x24><Tab>j"
screen click "<Click:5,8><Click:5,8>"

# hostile strings (escape sequences, BEL, bidi override) never reach the terminal as such
bad=0
for f in "$TMP"/*.out; do
    if LC_ALL=C tr -d '\n' < "$f" | LC_ALL=C grep -q '[[:cntrl:]]'; then
        echo "# control character in $f"
        bad=1
    fi
done
check $bad "no control characters in any screen"
grep -q 'python-requests/2.31\\x1b\[2J' "$TMP/key-user-agents.out"
check $? "escape sequences are shown escaped"

# --tui-frames stops after N frames: 3 frames = the first and two key presses
tui_run frames "jjjjjj" --synthetic 40:20000 --tui-frames 3
sed -n 7p "$TMP/frames.out" | grep -q '^> '
check $? "--tui-frames 3 stops after two keys"

# export: a new 0600 file; never over an existing file or through a planted symlink
mkdir "$TMP/x" && cd "$TMP/x" || exit 2
tui_run export "2e<Enter>" --synthetic 40:20000
f=$(ls keytrail-incident-*.json 2>/dev/null | head -1)
test -n "$f" && test "$(stat -c %a "$f")" = 600 && head -c1 "$f" | grep -q '{'
check $? "e exports the incident as JSON, mode 0600"
grep -q "exported incident #" "$TMP/export.out"
check $? "export confirms in the status line"
tui_run export2 "2e<Enter>" --synthetic 40:20000
grep -q "File exists" "$TMP/export2.out"
check $? "export refuses an existing file"
rm -f "$f" && ln -s "$TMP/x/planted" "$f"
tui_run export3 "2e<Enter>" --synthetic 40:20000
test ! -e "$TMP/x/planted" && grep -q "cannot create" "$TMP/export3.out"
check $? "export does not follow a planted symlink"
cd "$TMP" || exit 2

# usage and input errors
KT_TUI_KEYS="<Bogus>" "$KT" tui --synthetic 4:40 > /dev/null 2>&1
test $? -eq 2; check $? "a bad KT_TUI_KEYS exits 2"
"$KT" tui --state "$TMP/nosuch.state" > /dev/null 2>&1
test $? -eq 4; check $? "a missing state file exits 4"
echo '{"format":"something-else"}' > "$TMP/bad.state"
"$KT" tui --state "$TMP/bad.state" > /dev/null 2> "$TMP/err"
test $? -eq 4 && grep -q "bad.state" "$TMP/err"; check $? "a foreign state file exits 4"
"$KT" tui --state "$TMP/bad.state" "$TMP/bad.state" > /dev/null 2>&1
test $? -eq 2; check $? "--state with FILE exits 2"
"$KT" tui "$TMP/nosuch.log" > /dev/null 2>&1
test $? -eq 3; check $? "an unreadable input exits 3"
unset KT_TUI_NO_DISPLAY
"$KT" tui --synthetic 4:40 < /dev/null > /dev/null 2> "$TMP/err"
test $? -eq 2 && grep -q "needs a terminal" "$TMP/err"; check $? "without a terminal: exit 2 and why"
export KT_TUI_NO_DISPLAY=1

# a real log through the whole pipeline (JSON lines)
for d in 01 02 03 04 05 06 07 08 09 10; do
    for h in 09 10 11 14 15; do
        printf '{"timestamp":"2024-03-%sT%s:05:00Z","api_key":"sk_live_AAAA1111BBBB2222","client_ip":"198.51.100.7","operation":"GET /v1/charges","status":200}\n' $d $h
    done
done > "$TMP/a.jsonl"
printf '{"timestamp":"2024-03-11T03:00:00Z","api_key":"sk_live_AAAA1111BBBB2222","client_ip":"203.0.113.99","operation":"POST /v1/admin/users","status":403,"user_agent":"x\\u001b[31my"}\n' >> "$TMP/a.jsonl"
"$KT" scan --quiet "$TMP/a.jsonl" > /dev/null 2>&1
if [ $? -ge 2 ]; then
    skip "tui on a JSON-lines log shows its summary" "this build cannot read JSON lines yet"
    skip "events screen re-reads the raw events of the key" "this build cannot read JSON lines yet"
    done_testing
    exit 0
fi
"$KT" watch --state "$TMP/w.state" "$TMP/a.jsonl" > /dev/null 2>&1
tui_run state "" --state "$TMP/w.state"
test $? -eq 0 && grep -q "^ state .*w.state  51 events" "$TMP/state.out" && grep -q "Keys (1 of 1)" "$TMP/state.out"
check $? "--state browses what watch learned"
tui_run real "" "$TMP/a.jsonl"
test $? -eq 0 && grep -q "a.jsonl  51 events (0 rejected)  2024-03-01 09:05 .. 2024-03-11 03:00" "$TMP/real.out"
check $? "tui on a JSON-lines log shows its summary"
if grep -q "sk_l...2222" "$TMP/real.out"; then
    tui_run real-events "3" "$TMP/a.jsonl"
    grep -q "51 shown, 51 kept of 51 matched" "$TMP/real-events.out"
    check $? "events screen re-reads the raw events of the key"
else
    skip "events screen re-reads the raw events of the key" "engine results not available"
fi
done_testing
