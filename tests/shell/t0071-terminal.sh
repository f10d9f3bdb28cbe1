#!/bin/sh
# t0071-terminal.sh - terminal injection (issue 7): fields with ESC/CSI/OSC sequences, CR,
# backspace, DEL, C1 controls, bidi overrides and isolates, zero-width characters and
# invalid UTF-8, in the key, IP, operation, user agent and path of every text format, and
# in file names given on the command line. No raw control or invisible character may reach
# stdout or stderr in text mode, the TUI screens or error messages; JSON output (scan,
# --stats, watch alerts, state export, TUI export) parses for any input bytes and holds no
# raw control character either.
. "$(dirname "$0")/../lib/tap.sh"
cd "$TMP" || exit 2

# rawcheck FILE...: fails (and says where) when a file holds a byte sequence that could
# drive a terminal: C0 controls but \n and \t, DEL, C1 (U+0080-U+009F), format characters
# (bidi, zero-width, ...), line/paragraph separators, or invalid UTF-8.
cat > rawcheck.py <<'PY'
import sys, unicodedata
rc = 0
for f in sys.argv[1:]:
    b = open(f, 'rb').read()
    try:
        t = b.decode('utf-8')
    except UnicodeDecodeError as e:
        print('# %s: invalid UTF-8 at byte %d: %r' % (f, e.start, b[max(0, e.start - 30):e.start + 5]))
        rc = 1
        continue
    for i, c in enumerate(t):
        if c in '\n\t':
            continue
        if unicodedata.category(c) in ('Cc', 'Cf', 'Zl', 'Zp'):
            print('# %s: raw U+%04X in %r' % (f, ord(c), t[max(0, i - 30):i + 5]))
            rc = 1
            break
sys.exit(rc)
PY
# jsoncheck FILE...: every file (whole document, or one document per line for *.jsonl)
# parses as strict JSON from UTF-8 bytes
cat > jsoncheck.py <<'PY'
import sys, json
rc = 0
for f in sys.argv[1:]:
    try:
        t = open(f, 'rb').read().decode('utf-8')
        docs = [l for l in t.splitlines() if l.strip()] if f.endswith('l') else [t]
        for d in docs:
            json.loads(d)
    except Exception as e:
        print('# %s: %s' % (f, str(e)[:200]))
        rc = 1
sys.exit(rc)
PY
raw() { python3 "$TMP/rawcheck.py" "$@"; }
js() { python3 "$TMP/jsoncheck.py" "$@"; }
# later FILE...: queue files for one raw check (python starts once per test, not per file)
later() { for f in "$@"; do echo "$f" >> "$TMP/later.list"; done; }
# raw_later: checks the queued files and empties the queue
raw_later() {
    test -f "$TMP/later.list" || return 0
    set -- $(cat "$TMP/later.list")
    rm -f "$TMP/later.list"
    raw "$@"
}

# hostile byte strings (as printf formats): OSC title, CSI clear, CR, BS, DEL, C1 CSI,
# RLO, LRI, ZWSP, BOM, invalid UTF-8 (lone continuation, truncated sequence, 0xff),
# an overlong slash
set -- '\033]0;title\007' '\033[2J' 'a\rb' 'a\010b' 'a\177b' '\302\233' '\342\200\256' \
    '\342\201\246' '\342\200\213' '\357\273\277' '\200' '\342\200' '\377\376' '\300\257'
n=0
for h in "$@"; do
    n=$((n + 1))
    echo "$n $h"
done > hostile.txt

# JSON lines: ten days of history for one key, then a hostile call per string (hostile
# key, IP, operation, user agent); the strings arrive raw (invalid JSON bytes pass)
K=AKIAQTERMTESTKEY0001
{
    for d in 01 02 03 04 05 06 07 08 09 10; do
        for hr in 09 10 11 14 15; do
            printf '{"timestamp":"2024-03-%sT%s:05:00Z","api_key":"%s","client_ip":"198.51.100.7","operation":"GET /v1/charges","status":200,"user_agent":"app/1.0"}\n' $d $hr $K
        done
    done
    while read -r n h; do
        x=$(printf "$h")
        printf '{"timestamp":"2024-03-11T03:%02d:00Z","api_key":"%s","client_ip":"203.0.113.%d%s","operation":"GET /v1/%s","status":403,"user_agent":"ua%s/1"}\n' \
            "$n" "$K" "$n" "$x" "$x" "$x"
        printf '{"timestamp":"2024-03-11T04:%02d:00Z","api_key":"AKIAQ%sKEY%02d","client_ip":"203.0.113.%d","operation":"GET /v2/%s","status":401,"user_agent":"%s"}\n' \
            "$n" "$x" "$n" "$n" "$x" "$x"
        printf '{"timestamp":"2024-03-11T05:%02d:00Z","api_key":"%s%sKEY","client_ip":"203.0.113.%d","operation":"GET /v3","status":401}\n' \
            "$n" "$x" "$K" "$n"
        printf '{"timestamp":"bad%s","api_key":"%s"\n' "$x" "$K"
    done < hostile.txt
    printf '{"timestamp":"2024-03-11T06:00:00Z","api_key":"%s","client_ip":"203.0.113.99","operation":"GET /nul\\u0000x","status":403,"user_agent":"\\u001b]52;c;cHduZWQ=\\u0007 \\u202e\\u0085"}\n' $K
    printf '{"timestamp":"2024-03-11T06:01:00Z","api_key":"%s","client_ip":"203.0.113.98","operation":"GET /raw-nul\000x","status":403}\n' $K
} > h.jsonl

# Apache combined: hostile path, query key, user agent, referer, user
{
    for d in 01 02 03 04 05 06 07 08 09 10; do
        for hr in 09 10 11 14 15; do
            printf '198.51.100.7 - - [%s/Mar/2024:%s:05:00 +0000] "GET /v1/charges?api_key=%s HTTP/1.1" 200 10 "-" "app/1.0"\n' $d $hr $K
        done
    done
    while read -r n h; do
        x=$(printf "$h")
        printf '203.0.113.%d - - [11/Mar/2024:03:%02d:00 +0000] "GET /v1/%s?api_key=%s HTTP/1.1" 403 10 "http://r%s/" "ua%s/1"\n' \
            "$n" "$n" "$x" "$K" "$x" "$x"
        printf '203.0.113.%d - u%s [11/Mar/2024:05:%02d:00 +0000] "GET /v5 HTTP/1.1" 401 10 "-" "x"\n' \
            "$n" "$x" "$n"
        printf '203.0.113.%d - - [11/Mar/2024:04:%02d:00 +0000] "GET /v2?api_key=K%s%s HTTP/1.1" 401 10 "-" "x"\n' \
            "$n" "$n" "$x" "$K"
        printf '203.0.113.%d - - [bad%s] "GET /v1?api_key=%s HTTP/1.1" 401 10 "-" "x"\n' "$n" "$x" "$K"
    done < hostile.txt
} > h.log

# CSV: hostile fields, quoted and not
{
    echo "timestamp,api_key,client_ip,method,path,status,bytes,user_agent"
    for d in 01 02 03 04 05 06 07 08 09 10; do
        for hr in 09 10 11 14 15; do
            echo "2024-03-${d}T$hr:05:00Z,$K,198.51.100.7,GET,/v1/charges,200,10,app/1.0"
        done
    done
    while read -r n h; do
        x=$(printf "$h")
        printf '2024-03-11T03:%02d:00Z,%s,203.0.113.%d%s,GET,"/v1/%s,x",403,10,"ua%s"\n' "$n" "$K" "$n" "$x" "$x" "$x"
        printf '2024-03-11T04:%02d:00Z,AK%s%s,203.0.113.%d,GET%s,/v2,401,10,%s\n' "$n" "$x" "$K" "$n" "$x" "$x"
        printf 'bad%s,%s,1.2.3.4,GET,/,200,1,x\n' "$x" "$K"
    done < hostile.txt
} > h.csv

# RFC 5424 syslog (Conjur): hostile user, IP, message
{
    while read -r n h; do
        x=$(printf "$h")
        printf '<38>1 2024-03-11T03:%02d:00Z host conjur - fetch [auth@43868 user="%s%s"][client@43868 ip="203.0.113.%d%s"][action@43868 result="success" operation="fetch%s"] msg%s\n' \
            "$n" "$K" "$x" "$n" "$x" "$x" "$x"
    done < hostile.txt
} > h.syslog

inputs="h.jsonl h.log h.csv h.syslog"
bad=0
for in in $inputs; do
    for mode in "" "--stats"; do
        "$KT" scan $mode "$in" > "$in$mode.out" 2> "$in$mode.err"
        "$KT" scan --reveal-keys $mode "$in" > "$in$mode.rev" 2>&1
        later "$in$mode.out" "$in$mode.err" "$in$mode.rev"
    done
done
raw_later || bad=1
check $bad "text reports and --stats, stderr (also with --reveal-keys): no raw control bytes"
grep -q -F 'ua\x1b]0;title\x07/1' h.jsonl.out && grep -q -F '\u202e' h.jsonl.out
check $? "hostile strings are shown as visible escapes (\\x1b, \\u202e)"

bad=0
for in in $inputs; do
    for mode in "-o json" "-o jsonl" "--stats -o json" "--stats -o jsonl" "--reveal-keys -o json"; do
        f=$in$(echo "$mode" | tr -d ' -')
        "$KT" scan $mode "$in" > "$f" 2> "$f.err"
        case $f in *ojsonl) ;; *) test -s "$f" || { echo "# $f: empty"; bad=1; } ;; esac
        later "$f" "$f.err"
    done
done
test -s h.jsonlojsonl && test -s h.logojsonl || { echo "# no findings in the JSON lines"; bad=1; }
js $(cat "$TMP/later.list" | grep -v err) || bad=1
raw_later || bad=1
check $bad "JSON output (json, jsonl, --stats, --reveal-keys) parses and holds no raw control byte"
python3 - h.jsonlrevealkeysojson <<'PY'
import json, sys
d = json.load(open(sys.argv[1], encoding='utf-8'))
uas = [u['user_agent'] for i in d['incidents'] for u in i['user_agents']]
assert any('\x1b]0;title\x07' in u for u in uas), uas   # same value, only escaped
assert any('\u202e' in u for u in uas), uas
assert any('\ufffd' in u for u in uas), uas              # invalid UTF-8 replaced
PY
check $? "JSON keeps the value (escaped, not dropped); invalid UTF-8 becomes U+FFFD"

# any bytes at all: seeded random lines in each format give parseable JSON
python3 - <<'PY'
import random
r = random.Random(7)
alphabet = bytes(range(256))
for name, pre in (('r.jsonl', b'{"timestamp":"2024-03-01T00:00:00Z","api_key":"'),
                  ('r.log', b'203.0.113.1 - - [01/Mar/2024:00:00:00 +0000] "GET /'),
                  ('r.csv', b'2024-03-01T00:00:00Z,'), ('r.syslog', b'<38>1 2024-03-01T00:00:00Z h a - - [x@1 user="')):
    with open(name, 'wb') as f:
        if name == 'r.csv':
            f.write(b'timestamp,api_key,client_ip,method,path,status,bytes,user_agent\n')
        for i in range(300):
            junk = bytes(r.choice(alphabet) for _ in range(r.randint(0, 60))).replace(b'\n', b'')
            f.write(pre + junk + b'" 200 1 "-" "' + junk[::-1] + b'"}\n')
PY
bad=0
for in in r.jsonl r.log r.csv r.syslog; do
    for mode in "-o json" "-o jsonl" "--stats -o json" "--stats -o jsonl"; do
        f=$in$(echo "$mode" | tr -d ' -')
        "$KT" scan $mode "$in" > "$f" 2> "$f.err"
        later "$f" "$f.err"
    done
    "$KT" scan "$in" > "$in.txt" 2>&1
    later "$in.txt"
done
js $(cat "$TMP/later.list" | grep -v 'err$' | grep -v 'txt$') || bad=1
raw_later || bad=1
check $bad "random bytes in every format: JSON parses, no raw control byte anywhere"

# --- watch, state, accept -------------------------------------------------------------------
bad=0
for in in $inputs; do
    "$KT" watch --state "st.$in" "$in" > "w.$in.jsonl" 2> "w.$in.err"
    "$KT" watch --state "st2.$in" --alerts "al.$in.jsonl" "$in" > /dev/null 2> "w2.$in.err"
    "$KT" state show --state "st.$in" > "show.$in" 2>&1
    "$KT" state export --state "st.$in" > "export.$in.json" 2> "export.$in.err"
    "$KT" state export --reveal-keys --state "st.$in" > "exportr.$in.json" 2>&1
    # the alerts file is created with the first alert: absent when a log raises none
    al=$(ls "al.$in.jsonl" 2> /dev/null)
    js "w.$in.jsonl" $al "export.$in.json" "exportr.$in.json" || bad=1
    later "w.$in.jsonl" "w.$in.err" $al "w2.$in.err" "show.$in" "export.$in.json" \
        "export.$in.err" "exportr.$in.json"
done
raw_later || bad=1
test -s w.h.jsonl.jsonl && test -s al.h.jsonl.jsonl || bad=1
check $bad "watch alerts (stdout, --alerts), state show and export: valid JSON, no raw control byte"
bad=0
while read -r n h; do
    x=$(printf "$h")
    "$KT" accept --state st.h.jsonl --key "$x$K$x" --ua "ua$x" > "acc.$n.out" 2>&1
    "$KT" accept --state st.h.jsonl --key "$K" --ip "1.2.3.4$x" >> "acc.$n.out" 2>&1
    later "acc.$n.out"
done < hostile.txt
raw_later || bad=1
"$KT" state show --state st.h.jsonl > show2.out 2>&1
"$KT" state export --state st.h.jsonl > export2.json 2>&1
raw show2.out export2.json && js export2.json || bad=1
check $bad "accept with hostile keys and user agents, then state show/export: clean"

# --- file names on the command line (error messages) ----------------------------------------
bad=0 i=0
while read -r n h; do
    x=$(printf "$h")
    d="d$n"
    mkdir "$d"
    for args in "scan $d/f${x}.log" "scan --stats -o json $d/f${x}.log" "tui $d/f${x}.log" \
        "watch --state $d/s$x h.jsonl" "watch --state $d/s2 --alerts $d/no${x}dir/a h.jsonl" \
        "state show --state $d/s$x" "scan --allow @$d/a$x h.jsonl" \
        "scan --known-bad $d/k$x h.jsonl" "scan --revoked $d/r$x h.jsonl" \
        "scan --format f$x h.jsonl" "scan --field key=$x h.jsonl" "scan --tz Z$x h.jsonl" \
        "scan --leak-time T$x h.jsonl" "scan --preset p$x h.jsonl" "scan --$x" "c$x" \
        "scan --log-format %h$x -F clf h.log" "scan --detectors d$x h.jsonl" "scan -o o$x h.jsonl"; do
        # word-split on spaces only: the hostile bytes stay inside their argument
        IFS=' '
        set -f
        "$KT" $args > "$d/out" 2> "$d/err" < /dev/null
        rc=$?
        set +f
        unset IFS
        test -s "$d/out" || test -s "$d/err" || { echo "# '$args': no message (exit $rc)"; bad=1; }
        i=$((i + 1))
        mv "$d/out" "$d/out.$i" && mv "$d/err" "$d/err.$i" && later "$d/out.$i" "$d/err.$i"
    done
done < hostile.txt
raw_later || bad=1
check $bad "file names and option values with hostile bytes: error messages are clean"
mkdir dx
printf '5 zz x\n' > "dx/$(printf 'r\033]0;t\007')"
"$KT" scan --revoked "dx/$(printf 'r\033]0;t\007')" h.jsonl > dx/out 2> dx/err
grep -q -F 'r\x1b]0;t\x07' dx/err && raw dx/err
check $? "a bad line in a list file: the message names the file, escaped"

# --- TUI screens and export -------------------------------------------------------------------
export LINES=30 COLUMNS=120 TERM=xterm KT_TUI_NO_DISPLAY=1
unset KT_TUI_KEYS KT_TUI_DUMP
bad=0 i=0
for in in h.jsonl h.log h.csv; do
    for keys in "" "j<Enter>" "jj<Enter>" "<Enter>l" "<Enter>ll" "<Enter>lll" "<Enter>llll" "2" \
        "2<Enter>" "2<Enter><Tab>" "2<Enter><Tab><Tab>" "2<Enter><Tab><Tab><Tab>" "2j<Enter>" \
        "3" "3<Enter>" "3G<Enter>" "2<Enter>3" "2G<Enter>3G<Enter>" "/$(printf '\302\233')<Enter>" \
        "ry" "ry2<Enter><Tab>"; do
        i=$((i + 1))
        KT_TUI_KEYS="$keys" KT_TUI_DUMP="tui.$i.out" "$KT" tui "$in" > "tui.$i.log" 2>&1
        test -s "tui.$i.out" || { echo "# tui $in '$keys': no screen"; bad=1; }
        later "tui.$i.out" "tui.$i.log"
    done
done
raw_later || bad=1
check $bad "TUI screens on hostile input (lists, details, evidence, timeline, events, search, revealed keys)"
grep -l -F '\x1b' tui.*.out > /dev/null; check $? "the TUI shows escapes visibly"
mkdir ex && cd ex || exit 2
for keys in "2e<Enter>" "2je<Enter>" "2jje<Enter>" "2Ge<Enter>"; do
    KT_TUI_KEYS="$keys" KT_TUI_DUMP=../tui.ex.out "$KT" tui ../h.jsonl > /dev/null 2>&1
done
n=$(ls keytrail-incident-*.json 2> /dev/null | wc -l)
test "$n" -ge 2 && js keytrail-incident-*.json && raw keytrail-incident-*.json
check $? "TUI e export: $n files, valid JSON, no raw control byte"
cd .. || exit 2
done_testing
