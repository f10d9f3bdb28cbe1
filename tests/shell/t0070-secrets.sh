#!/bin/sh
# t0070-secrets.sh - a full key from the input never appears in default output (issue 7).
# Logs in every format (written by ktgen with known keys) plus hand-made hostile lines
# that quote keys in a URL query, a user agent, a referer, a rejected malformed line and a
# bad-timestamp line. Every output is grepped for every full key: scan text/json/jsonl,
# --stats (text, json, jsonl), stderr, watch alerts (stdout and --alerts FILE), state show,
# state export, the TUI screens and the TUI `e` export. With --reveal-keys the keys must
# appear (so that the greps can fail). The state file itself holds full keys: docs/WATCH.md
# documents "k":"<key>" and accepted keys in it (mode 0600), and `state export` masks them.
. "$(dirname "$0")/../lib/tap.sh"
cd "$TMP" || exit 2

K1=AKIAQHARDENTESTKEY01 K2=AKIAQHARDENTESTKEY02 K3=sk_live_HardenTestKey03abcdefXYZ
# keys quoted only inside other fields (never a key of an event)
Q1=ghp_QueryKey0003abcdefghijklmn Q2=sk_live_EmbeddedUaKey0002xyz Q3=AKIAQMALFORMED000004
Q4=sk_test_BadTimeKey0005qrst Q5=xoxb_RefererKey0006abcdef0123 Q6=AKIAQTOKENPARAM00007
printf '%s arn:aws:iam::123456789012:user/alice\n%s arn:aws:iam::123456789012:user/bob\n%s\n' \
    $K1 $K2 $K3 > keys.txt
echo "$K1 $K2 $K3 $Q1 $Q2 $Q3 $Q4 $Q5 $Q6" | tr ' ' '\n' > all-keys.txt

# leaks FILE...: prints "FILE: KEY" for every full key found; status 0 when none
leaks() {
    found=1
    for f in "$@"; do
        [ -f "$f" ] || continue
        grep -o -F -f "$TMP/all-keys.txt" "$f" | sort -u | sed "s|^|# $f: |" > leak.txt
        if [ -s leak.txt ]; then
            head -5 leak.txt
            found=0
        fi
    done
    test $found -eq 1
}

# --- inputs ----------------------------------------------------------------------------
fmts="csv jsonl cloudtrail combined vault conjur github gcp"
for f in $fmts; do
    "$KTGEN" logs -q -s 7 -f $f -k 4 -d 8 -e 1000 --scenario=leak_chain --key-file keys.txt \
        -o log.$f || echo "# ktgen $f failed"
done
hist() { # hist KEY: ten days of calls from one server, JSON lines
    for d in 01 02 03 04 05 06 07 08 09 10; do
        for h in 09 10 11 14 15; do
            printf '{"timestamp":"2024-03-%sT%s:05:00Z","api_key":"%s","client_ip":"198.51.100.7","operation":"GET /v1/charges","status":200,"user_agent":"app/1.0"}\n' $d $h "$1"
        done
    done
}
{
    hist $K1
    printf '{"timestamp":"2024-03-11T03:00:00Z","api_key":"%s","client_ip":"203.0.113.99","operation":"GET /v1/x?api_key=%s&q=1","status":403,"user_agent":"curl/8 %s"}\n' $K1 $Q1 $Q2
    printf '{"timestamp":"2024-03-11T03:01:00Z","api_key":"%s","client_ip":"203.0.113.99","operation":"GET /v1/secrets","status":403,"user_agent":"x"\n' $Q3
    printf '{"timestamp":"yesterday %s","api_key":"%s","client_ip":"203.0.113.99","operation":"GET /v1/secrets","status":403}\n' $Q4 $Q4
    printf '{"timestamp":"2024-03-11T03:02:00Z","api_key":"%s","client_ip":"203.0.113.99","operation":"GET /v1/y?token=%s","status":401,"referer":"%s"}\n' $K1 $Q6 $Q5
} > hostile.jsonl
cp log.csv hostile.csv
{
    echo "2024-03-09T03:00:00Z,$K1,203.0.113.5,GET,/v1/a?api_key=$Q1,403,10,curl/8 $Q2"
    echo "2024-03-09T03:01:00Z,$Q3,203.0.113.5,GET,\"/v1/unclosed,403,10,x"
    echo "not-a-time $Q4,$Q4,203.0.113.5,GET,/v1/b,403,10,x"
} >> hostile.csv
cp log.combined hostile.log
{
    echo "203.0.113.5 - - [09/Mar/2024:03:00:00 +0000] \"GET /v1/a?api_key=$K1&token=$Q6 HTTP/1.1\" 403 10 \"https://x.example/?k=$Q5\" \"curl/8 $Q2\""
    echo "203.0.113.5 - - [09/Mar/2024:03:01:00 +0000] \"GET /v1/a?api_key=$Q3 HTTP/1.1 403 10"
    echo "203.0.113.5 - - [99/Xyz/2024:03:02:00 +0000] \"GET /v1/a?api_key=$Q4 HTTP/1.1\" 403 10 \"-\" \"x\""
} >> hostile.log
inputs="$(for f in $fmts; do printf 'log.%s ' $f; done)hostile.jsonl hostile.csv hostile.log"

# --- scan: every output mode, default (masked) ------------------------------------------
set -- "-o text" "-o json" "-o jsonl" "--stats" "--stats -o json" "--stats -o jsonl"
bad=0
for in in $inputs; do
    for mode in "$@"; do
        n=$(echo "$in$mode" | tr -d ' -')
        "$KT" scan $mode "$in" > "out.$n" 2> "err.$n"
        rc=$?
        if [ $rc -gt 1 ]; then echo "# scan $mode $in: exit $rc"; bad=1; fi
        leaks "out.$n" "err.$n" || bad=1
    done
done
check $bad "scan text/json/jsonl/--stats and stderr: no full key (every format, hostile lines)"

# the hostile lines really were seen: rejected, quoted (masked) in excerpts and reasons
grep -q '"malformed":1' "out.hostile.jsonlstatsojson" &&
    grep -q '"bad_time":1' "out.hostile.jsonlstatsojson" &&
    grep -q 'api_key=ghp_...klmn' "out.hostile.jsonlotext" &&
    grep -q 'curl/8 sk_l...2xyz' "out.hostile.jsonlotext"
check $? "hostile JSON lines: rejects counted, quoted keys shown masked"
grep -q 'api_key":"AKIA\.\.\.' "out.hostile.jsonlstats" && grep -q 'AKIA...0004' "out.hostile.jsonlojson"
check $? "a rejected line's excerpt shows the key it quotes masked"

# --reveal-keys: the same greps find the keys (the test can fail)
miss=0
for in in $inputs; do
    "$KT" scan --reveal-keys -o json "$in" > "rev.$in.json" 2> /dev/null
    if leaks "rev.$in.json" > /dev/null; then echo "# --reveal-keys shows no key for $in"; miss=1; fi
done
check $miss "--reveal-keys shows full keys for every input"
"$KT" scan --reveal-keys --stats -o json hostile.jsonl > rev.stats 2>&1
grep -q -F $Q3 rev.stats; check $? "--reveal-keys shows the key in a reject excerpt"
"$KT" scan --reveal-keys hostile.jsonl > rev.text 2>&1
grep -q -F "$Q2" rev.text && grep -q -F "$Q1" rev.text
check $? "--reveal-keys shows keys quoted in a user agent and a URL"

# a key cut by the 80-character excerpt limit: no long unmasked piece of it is shown
# ({"a":"PAD","k":" is 66 characters: 14 characters of the key fit in the excerpt)
pad=$(printf '%*s' 53 '' | tr ' ' 'p')
printf '{"a":"%s","k":"AKIAQCUTKEYABCDEFGHIJKLMN0123456789\n' "$pad" > cut.jsonl
"$KT" scan --stats -F jsonl -o json cut.jsonl > cut.out 2>&1
grep -q '"malformed":1' cut.out && grep -q '\\"k\\":\\"' cut.out && ! grep -q 'AKIAQCUT' cut.out
check $? "a key cut at the end of an excerpt is masked, not shown in part"

# a revoked-keys file with two keys on a line: the error quotes the second one masked
printf '%s %s\n' $K1 $Q6 > revoked.txt
"$KT" scan --revoked revoked.txt hostile.jsonl > rv.out 2> rv.err
test $? -eq 2 && grep -q 'revoked.txt line 1' rv.err && leaks rv.out rv.err
check $? "an error quoting a bad line of a --revoked file masks the key"

# --- watch, state ------------------------------------------------------------------------
bad=0
for in in log.csv log.cloudtrail log.vault hostile.jsonl hostile.log; do
    "$KT" watch --state "st.$in" "$in" > "w.$in.out" 2> "w.$in.err"
    "$KT" watch --state "st2.$in" --alerts "al.$in" "$in" > "w2.$in.out" 2> "w2.$in.err"
    "$KT" state show --state "st.$in" > "show.$in" 2>&1
    "$KT" state export --state "st.$in" > "export.$in" 2>&1
    leaks "w.$in.out" "w.$in.err" "w2.$in.out" "w2.$in.err" "al.$in" "show.$in" "export.$in" || bad=1
done
check $bad "watch alerts (stdout, --alerts), state show, state export: no full key"
test -s w.hostile.jsonl.out && test -s al.hostile.jsonl && grep -q '"alert":"new"' al.hostile.jsonl
check $? "watch did alert (the greps saw alerts)"
"$KT" watch --state st.exec --exec "sh -c 'cat >> $TMP/exec.out'" hostile.jsonl > /dev/null 2>&1
test -s exec.out && leaks exec.out; check $? "watch --exec input: alerts without a full key"
"$KT" accept --state st.hostile.jsonl --key $K1 --ua "curl/8 $Q2" > accept.out 2>&1
"$KT" state show --state st.hostile.jsonl > show2.out 2>&1
"$KT" state export --state st.hostile.jsonl > export2.out 2>&1
leaks accept.out show2.out export2.out
check $? "accept and state show/export after accept: no full key"
# documented: the state file holds the keys (mode 0600); export masks them unless asked
grep -q -F $K1 st.hostile.jsonl && test "$(stat -c %a st.hostile.jsonl)" = 600
check $? "the state file holds the key (docs/WATCH.md) and is mode 0600"
"$KT" state export --reveal-keys --state st.hostile.jsonl > export3.out 2>&1
grep -q -F $K1 export3.out; check $? "state export --reveal-keys shows the key"
"$KT" watch --reveal-keys --state st3 hostile.jsonl > w3.out 2>&1
grep -q -F $K1 w3.out; check $? "watch --reveal-keys shows the key"

# --- TUI ---------------------------------------------------------------------------------
export LINES=40 COLUMNS=200 TERM=xterm KT_TUI_NO_DISPLAY=1
unset KT_TUI_KEYS KT_TUI_DUMP
i=0 bad=0
for in in hostile.jsonl hostile.log log.conjur; do
    for keys in "" "<Enter>" "<Enter>l" "<Enter>ll" "<Enter>lll" "<Enter>llll" "2" "2<Enter>" \
        "2<Enter><Tab>" "2<Enter><Tab><Tab>" "2<Enter><Tab><Tab><Tab>" "3" "3<Enter>" \
        "2<Enter>3" "2<Enter>3G<Enter>" "2G<Enter><Tab>"; do
        i=$((i + 1))
        KT_TUI_KEYS="$keys" KT_TUI_DUMP="tui.$i.out" "$KT" tui "$in" > "tui.$i.log" 2>&1
        leaks "tui.$i.out" "tui.$i.log" || { echo "# tui $in keys '$keys'"; bad=1; }
    done
done
check $bad "TUI screens (keys, incidents, evidence, timeline, events): no full key"
grep -q 'ghp_...klmn' tui.*.out; check $? "TUI shows a quoted key masked"
"$KT" watch --state st.tui hostile.jsonl > /dev/null 2>&1
KT_TUI_KEYS="" KT_TUI_DUMP=tui.state.out "$KT" tui --state st.tui > /dev/null 2>&1
KT_TUI_KEYS="2<Enter>" KT_TUI_DUMP=tui.state2.out "$KT" tui --state st.tui > /dev/null 2>&1
leaks tui.state.out tui.state2.out; check $? "TUI on a watch state: no full key"
KT_TUI_KEYS="2<Enter><Tab>" KT_TUI_DUMP=tui.rev.out "$KT" tui --reveal-keys hostile.jsonl > /dev/null 2>&1
grep -q -F $K1 tui.rev.out && grep -q -F $Q1 tui.rev.out
check $? "TUI --reveal-keys shows the keys"
KT_TUI_KEYS="ry" KT_TUI_DUMP=tui.r.out "$KT" tui hostile.jsonl > /dev/null 2>&1
grep -q -F $K1 tui.r.out; check $? "TUI r y reveals the key"
mkdir ex && cd ex || exit 2
for keys in "2e<Enter>" "2je<Enter>" "2jje<Enter>"; do
    KT_TUI_KEYS="$keys" KT_TUI_DUMP=../tui.ex.out "$KT" tui ../hostile.jsonl > /dev/null 2>&1
    KT_TUI_KEYS="$keys" KT_TUI_DUMP=../tui.ex.out "$KT" tui ../hostile.log > /dev/null 2>&1
done
n=$(ls keytrail-incident-*.json 2> /dev/null | wc -l)
test "$n" -ge 2 && leaks keytrail-incident-*.json
check $? "TUI e export: written ($n files) and no full key"
cd .. && mkdir ex2 && cd ex2 || exit 2
KT_TUI_KEYS="2e<Enter>" KT_TUI_DUMP=../tui.ex2.out "$KT" tui --reveal-keys ../hostile.jsonl > /dev/null 2>&1
grep -q -F $K1 keytrail-incident-*.json; check $? "TUI e export with --reveal-keys holds the key"
cd .. || exit 2
done_testing
