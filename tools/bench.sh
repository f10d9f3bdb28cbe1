#!/bin/sh
# make bench: throughput and memory of keytrail side by side with the tools people use
# instead, in one run on one machine. Ratios are what to quote: the machine is noisy.
# usage: bench.sh BUILD   (env: BENCH_EVENTS=2000000 BENCH_KEYS=500 BENCH_RUNS=3
#                          BENCH_KT_RUNS=5 (keytrail's full scans and floors)
#                          BENCH_JQ_LINES=200000 (the subset of the JSON lines jq reads)
#                          BENCH_MEM=1 to also run the 10M-event and 100k-key memory checks
#                          BENCH_DIR, BENCH_OUT: where the inputs and the report go
#                          BENCH_NO_INSTALL=1: time only the peers already installed)
set -u
build=$1
top=$(cd "$(dirname "$0")/.." && pwd)
case $build in /*) ;; *) build="$top/$build" ;; esac
KT="$build/keytrail"; GEN="$build/ktgen"
events=${BENCH_EVENTS:-2000000}; keys=${BENCH_KEYS:-500}; runs=${BENCH_RUNS:-3}
# keytrail's own full scans and floors take seconds, not minutes: more runs of them
kt_runs=${BENCH_KT_RUNS:-$(( runs > 5 ? runs : 5 ))}
jq_lines=${BENCH_JQ_LINES:-200000} # jq runs 30,000 lines/s: a subset, scaled
dir=${BENCH_DIR:-$top/build/bench}
mkdir -p "$dir"
out=${BENCH_OUT:-$top/build/bench.txt}
: > "$out"
say() { echo "$*" | tee -a "$out"; }

# peers: GoAccess, jq, Miller, GNU time (installed when missing and we are root)
need=""
command -v goaccess >/dev/null || need="$need goaccess"
command -v jq >/dev/null || need="$need jq"
command -v mlr >/dev/null || need="$need miller"
# Both awks: Debian's default awk is mawk, most other systems' is GNU awk, and they differ
# about 3x on these scripts; each is timed under its own name (not whatever `awk` is here).
command -v gawk >/dev/null || need="$need gawk"
[ -x /usr/bin/time ] || need="$need time"
if [ -n "$need" ] && [ "$(id -u)" -eq 0 ] && [ "${BENCH_NO_INSTALL:-0}" != 1 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null 2>&1 ||
        echo "bench: could not install$need; those peers are skipped" >&2
fi

gen() { # gen FORMAT OUT [extra]
    fmt=$1; o=$2; shift 2
    [ -e "$o" ] && return 0
    [ "$fmt" = cloudtrail ] && mkdir -p "$o"
    "$GEN" logs --seed 7 --format "$fmt" --keys "$keys" --days 45 --events "$events" \
        --scenario all -q --out "$o" "$@" || { echo "bench: ktgen failed for $o" >&2; exit 2; }
}
echo "bench: generating $events events over $keys keys in $dir ..." >&2
gen csv "$dir/b.csv"; gen jsonl "$dir/b.jsonl"; gen combined "$dir/b.log"; gen cloudtrail "$dir/ct"
# The CloudTrail tree as S3 delivers it: every file gzipped (a copy, made once).
if [ ! -d "$dir/ctgz" ]; then
    rm -rf "$dir/ctgz.tmp"
    (cd "$dir/ct" && find . -type f) | while read -r f; do
        mkdir -p "$dir/ctgz.tmp/$(dirname "$f")" && gzip -c "$dir/ct/$f" > "$dir/ctgz.tmp/$f.gz"
    done && mv "$dir/ctgz.tmp" "$dir/ctgz"
fi
# Every tool reads its input from the page cache: what was just generated is written out
# first (writeback would otherwise slow the first rows) and each input read once.
sync
find "$dir/b.csv" "$dir/b.jsonl" "$dir/b.log" "$dir/ct" "$dir/ctgz" -type f -exec cat {} + > /dev/null

# One run of a command (stdout discarded): appends "seconds maxrss_kib" to file $2.
# Seconds are CPU seconds (user + system, to the microsecond: tools/bench-time.py, less
# the cost of starting a command, $overhead) so that other load on the machine does not
# distort single-threaded ratios; BENCH_WALL=1 (used for -j comparisons) takes wall time.
overhead=0
time_once() {
    BENCH_ERR="$dir/.err" python3 "$top/tools/bench-time.py" "$1" > "$dir/.t1"
    if [ "${BENCH_WALL:-0}" = 1 ]; then awk '{print $1, $3}' "$dir/.t1"
    else awk -v o="$overhead" '{t = $2 - o; print (t > 0 ? t : 0), $3}' "$dir/.t1"; fi >> "$2"
}
median_of() { # median_of FILE N: "median_seconds max_rss" of its N lines
    sort -n "$1" | awk -v n="$2" '{t[NR]=$1; if ($2>m) m=$2} END {print t[int((n+1)/2)], m}'
}
# median seconds and max RSS (KiB) of RUNS runs of a command
measure() {
    : > "$dir/.times"
    i=0
    while [ $i -lt "$runs" ]; do
        time_once "$1" "$dir/.times"
        i=$((i + 1))
    done
    median_of "$dir/.times" "$runs"
}
# measure() of two commands whose ratio is quoted (full scan and parse floor), run in
# turns, kt_runs (BENCH_KT_RUNS) times each: a slow spell of the machine then hits both,
# not one. Sets pair_a and pair_b.
measure_pair() {
    : > "$dir/.times_a"; : > "$dir/.times_b"
    i=0
    while [ $i -lt "$kt_runs" ]; do
        time_once "$1" "$dir/.times_a"
        time_once "$2" "$dir/.times_b"
        i=$((i + 1))
    done
    pair_a=$(median_of "$dir/.times_a" "$kt_runs"); pair_b=$(median_of "$dir/.times_b" "$kt_runs")
}
count_events() { "$KT" scan -q --stats --output json $2 "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["input"]["events"])'; }
bytes_of() { du -sb "$1" | awk '{print $1}'; }

row() { # row LABEL EVENTS BYTES "median rss"
    set -- "$1" "$2" "$3" $4
    awk -v l="$1" -v e="$2" -v b="$3" -v t="$4" -v m="$5" 'BEGIN {
        if (t <= 0) t = 0.000001 # no measurable time: rates stay finite
        printf "%-44s %7.2f s %10.0f ev/s %7.1f MB/s %7.1f MB RSS\n", l, t, e/t, b/t/1e6, m/1024 }' | tee -a "$out"
    echo "$1|$2|$4" >> "$dir/.rows"
}
peer_version() { # the first version-looking word a tool prints about itself
    case $1 in
    mawk) v=$(mawk -W version 2>&1 | head -n 1) ;;
    *) v=$($1 --version 2>&1 | head -n 1) ;;
    esac
    echo "$1 $(echo "$v" | grep -o '[0-9][0-9.]*[0-9]' | head -n 1)"
}
input_of() { # input_of FORMAT: sets in (the bench input) and x (the options it needs)
    case $1 in
    csv) in="$dir/b.csv"; x="" ;;
    jsonl) in="$dir/b.jsonl"; x="" ;;
    log) in="$dir/b.log"; x="--field key=query:api_key" ;;
    ct) in="$dir/ct"; x="" ;;
    ct.gz) in="$dir/ctgz"; x="" ;;
    esac
}
rate_of() { awk -F'|' -v l="$1" '$1==l {print ($3 > 0 ? $2/$3 : "short")}' "$dir/.rows"; }
ratio() { # ratio A B LABEL: events/s of A over B; no line when a row is missing (a peer
    # not installed), n/a when a run took no measurable time
    a=$(rate_of "$1"); b=$(rate_of "$2")
    [ -n "$a" ] && [ -n "$b" ] || return 0
    awk -v a="$a" -v b="$b" -v l="$3" 'BEGIN {
        if (a == "short" || b == "short") printf "  %-60s    n/a (a run too short to time)\n", l
        else printf "  %-60s %6.2fx\n", l, a/b }' | tee -a "$out"
}
# what starting a command costs (sh and time(1)): subtracted from every CPU time
overhead=$(runs=5 measure true | awk '{print $1}')
: > "$dir/.rows"

say "keytrail bench: $events events, $keys keys, median of $runs runs ($kt_runs for keytrail's full scans and floors, in turns), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ)"
say "times are CPU seconds (user+sys, less $(awk -v o="$overhead" 'BEGIN {printf "%.1f", o * 1000}') ms to start a command) unless marked wall; rates are events/s and input MB/s"
say "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
say "peers: $(for t in goaccess jq mlr gawk mawk; do command -v $t >/dev/null && printf '%s ' "$(peer_version $t)"; done)"
say ""
for f in csv jsonl log ct; do
    input_of $f
    ev=$(count_events "$in" "$x"); by=$(bytes_of "$in")
    measure_pair "'$KT' scan -q -j 1 --output json $x '$in'" "'$KT' scan -q -j 1 --stats $x '$in'"
    row "keytrail scan -j1 (all detectors) $f" "$ev" "$by" "$pair_a"
    row "keytrail scan -j1 --stats (parse floor) $f" "$ev" "$by" "$pair_b"
    if [ $f != jsonl ]; then # one CSV file, one combined log (split in parts), the tree
        row "keytrail scan -j1 wall (all detectors) $f" "$ev" "$by" "$(BENCH_WALL=1 measure "'$KT' scan -q -j 1 --output json $x '$in'")"
        row "keytrail scan -j2 wall (all detectors) $f" "$ev" "$by" "$(BENCH_WALL=1 measure "'$KT' scan -q -j 2 --output json $x '$in'")"
    fi
    eval "ev_$f=$ev by_$f=$by"
done
# the same tree gzipped, as S3 delivers it (MB/s of the compressed bytes)
input_of ct.gz
by=$(bytes_of "$in")
measure_pair "'$KT' scan -q -j 1 --output json '$in'" "'$KT' scan -q -j 1 --stats '$in'"
row "keytrail scan -j1 (all detectors) ct.gz" "$ev_ct" "$by" "$pair_a"
row "keytrail scan -j1 --stats (parse floor) ct.gz" "$ev_ct" "$by" "$pair_b"

# peers doing the per-key aggregation a user would otherwise script:
# events per key, distinct IPs per key, requests per key and hour
if command -v goaccess >/dev/null; then
    row "goaccess (combined log, json report)" "$ev_log" "$by_log" \
        "$(measure "goaccess '$dir/b.log' --log-format=COMBINED --no-global-config -o '$dir/ga.json'")"
fi
sub=0
if command -v jq >/dev/null; then
    head -n $jq_lines "$dir/b.jsonl" > "$dir/sub.jsonl"
    sub=$(wc -l < "$dir/sub.jsonl")
    row "jq per-key aggregation (jsonl, ${sub} lines)" "$sub" "$(bytes_of "$dir/sub.jsonl")" \
        "$(measure "jq -n 'reduce inputs as \$e ({}; .[\$e.key.id] |= (.n += 1 | .ips[\$e.client.ip] = 1 | .h[\$e.ts[0:13]] += 1)) | map_values({n, ips: (.ips|length), hours: (.h|length)})' '$dir/sub.jsonl'")"
fi
if command -v mlr >/dev/null; then
    row "miller per-key aggregation (csv)" "$ev_csv" "$by_csv" \
        "$(measure "mlr --icsv --ojson put -q '@n[\$api_key] += 1; @ips[\$api_key][\$client_ip] = 1; @h[\$api_key][substr(\$timestamp,0,12)] += 1; end { for (k, v in @n) { emit {\"key\": k, \"n\": v, \"ips\": length(@ips[k]), \"hours\": length(@h[k])} } }' '$dir/b.csv'")"
fi
for awk in gawk mawk; do
    command -v $awk >/dev/null || continue
    row "$awk count-only (csv)" "$ev_csv" "$by_csv" \
        "$(measure "$awk -F, 'NR>1 {n[\$2]++} END {for (k in n) print k, n[k]}' '$dir/b.csv'")"
    row "$awk per-key aggregation (csv)" "$ev_csv" "$by_csv" \
        "$(measure "$awk -F, 'NR>1 {n[\$2]++; if (!((\$2,\$3) in ip)) {ip[\$2,\$3]=1; d[\$2]++}; h[\$2, substr(\$1,1,13)]++} END {for (k in n) print k, n[k], d[k]}' '$dir/b.csv'")"
done
# Not a peer but a yardstick: the count-only script in plain C (tools/kt-count-only.c,
# memchr splits and one table): about the least any program does to answer it.
CO="$build/kt-count-only"
if [ -x "$CO" ]; then
    row "C count-only, memchr split (csv; yardstick)" "$ev_csv" "$by_csv" "$(measure "'$CO' '$dir/b.csv'")"
fi

say ""
say "ratios (events/s; targets in parentheses)"
ratio "keytrail scan -j1 (all detectors) log" "goaccess (combined log, json report)" "keytrail/goaccess on combined (>= 40x)"
ratio "keytrail scan -j1 (all detectors) jsonl" "jq per-key aggregation (jsonl, $sub lines)" "keytrail/jq on jsonl (>= 40x)"
ratio "keytrail scan -j1 (all detectors) csv" "miller per-key aggregation (csv)" "keytrail/miller on csv (>= 3x)"
ratio "keytrail scan -j1 (all detectors) csv" "gawk count-only (csv)" "keytrail/awk count-only on csv, GNU awk (>= 1.5x)"
ratio "keytrail scan -j1 (all detectors) csv" "mawk count-only (csv)" "keytrail/awk count-only on csv, mawk (>= 1.5x)"
for f in csv jsonl log ct; do
    ratio "keytrail scan -j1 --stats (parse floor) $f" "keytrail scan -j1 (all detectors) $f" "parse floor/full scan on $f (<= 2x)"
done
ratio "keytrail scan -j1 (all detectors) ct.gz" "keytrail scan -j1 (all detectors) ct" "full scan, gzipped/plain cloudtrail (events/s)"
ratio "keytrail scan -j2 wall (all detectors) csv" "keytrail scan -j1 wall (all detectors) csv" "speed-up -j2/-j1 on one csv file (wall clock)"
ratio "keytrail scan -j2 wall (all detectors) log" "keytrail scan -j1 wall (all detectors) log" "speed-up -j2/-j1 on one combined log (wall clock)"
ratio "keytrail scan -j2 wall (all detectors) ct" "keytrail scan -j1 wall (all detectors) ct" "speed-up -j2/-j1 on cloudtrail files (wall clock)"

# The engine alone on records held in memory (tools/kt-engine-bench.c): its runs agree to
# a few percent where whole scans vary by 5-10%, and it shows what the floor ratio is made
# of: the full scan is the floor plus ordering plus this.
EB="$build/kt-engine-bench"
if [ -x "$EB" ]; then
    say ""
    say "per event: parse floor, full scan, and the engine alone (kt-engine-bench, median of 5 runs)"
    for f in csv jsonl log ct; do
        input_of $f
        eng=$("$EB" --repeat 5 $x "$in" | sed -n 's/.*feed \([0-9.]*\) ns\/record median.*/\1/p')
        [ $f = csv ] && eng_csv=$eng
        awk -F'|' -v f="$f" -v eng="$eng" '
            $1 == "keytrail scan -j1 --stats (parse floor) " f { fl = $3 / $2 * 1e9 }
            $1 == "keytrail scan -j1 (all detectors) " f { fu = $3 / $2 * 1e9 }
            END { if (fl == 0 || fu == 0) printf "  %-6s parse floor and full scan n/a (runs too short to time), engine alone %6s ns\n", f, eng
                  else printf "  %-6s parse floor %6.0f ns, full scan %6.0f ns, engine alone %6s ns\n", f, fl, fu, eng }' \
            "$dir/.rows" | tee -a "$out"
    done
    # What 1.5x mawk's count-only script asks of the CSV full scan, beside the yardstick
    # and the engine alone: the scan must take less than mawk / 1.5 per event.
    awk -F'|' -v eng="$eng_csv" '
        $1 == "mawk count-only (csv)" { mk = $3 / $2 * 1e9 }
        $1 == "C count-only, memchr split (csv; yardstick)" { co = $3 / $2 * 1e9 }
        END { if (mk > 0 && co > 0 && eng != "")
                  printf "  csv    1.5x mawk count-only needs a full scan within %.0f ns; the C count-only yardstick takes %.0f ns, the engine alone %s ns\n", mk / 1.5, co, eng }' \
        "$dir/.rows" | tee -a "$out"
fi

if [ "${BENCH_MEM:-1}" = 1 ]; then
    say ""
    say "memory: peak RSS must not grow with events (same keys), and 100k keys fit well under 1 GB"
    gen csv "$dir/m1.csv" --events 1000000 --keys "$keys"
    # m10r: m1's log ten times, each copy 45 days after the previous one: the same keys and
    # the same distinct values, 10x the events (what "memory does not grow with events"
    # means). m10: ktgen's own 10M events over the same 45 days, where the CI keys' ephemeral
    # IPs keep adding distinct values: growth with distinct values, not with events.
    gen csv "$dir/m10.csv" --events 10000000 --keys "$keys"
    if [ ! -e "$dir/m10r.csv" ]; then
        python3 "$top/tools/bench-repeat.py" "$dir/m1.csv" 10 45 > "$dir/m10r.csv.tmp" &&
            mv "$dir/m10r.csv.tmp" "$dir/m10r.csv" || { echo "bench: repeat failed" >&2; exit 2; }
    fi
    # ktgen makes at most 65535 keys per log: two seeds of 50,000 keys give 100,000
    if [ ! -e "$dir/k100.csv" ]; then
        "$GEN" logs --seed 11 --format csv --keys 50000 --days 45 --events 1000000 \
            --scenario none -q --out "$dir/k100a.csv" &&
        "$GEN" logs --seed 12 --format csv --keys 50000 --days 45 --events 1000000 \
            --scenario none -q --out "$dir/k100b.csv" || { echo "bench: ktgen failed" >&2; exit 2; }
        { cat "$dir/k100a.csv"; tail -n +2 "$dir/k100b.csv"; } > "$dir/k100.csv"
        rm -f "$dir/k100a.csv" "$dir/k100b.csv"
    fi
    for m in m1 m10r m10 k100; do
        set -- $(runs=1 measure "'$KT' scan -q -j 1 --output json '$dir/$m.csv'")
        eval "rss_$m=$2"
        say "  $m.csv: $(count_events "$dir/$m.csv" "") events, $("$KT" scan -q --stats --output json "$dir/$m.csv" | python3 -c 'import json,sys; print(json.load(sys.stdin)["input"]["files"][0]["distinct_keys"])') keys, $(cut -d, -f3 "$dir/$m.csv" | sort -u | wc -l) distinct IPs, $(awk -v k="$2" 'BEGIN{printf "%.1f", k/1024}') MB peak RSS, $(awk -v t="$1" 'BEGIN{printf "%.2f", t}') CPU s"
    done
    # Findings are kept for the report (at most --max-findings each, 100,000 by default): a log
    # that repeats its attacks ten times has ~20x the findings, and their memory shows in
    # the peak. The same two logs with every detector off keep the baselines only: the
    # memory that would grow with events if anything did.
    off=--disable=new_ip,new_network,new_user_agent,new_op,off_hours,volume_spike,error_burst,dormant_key,concurrent_use,known_bad,revoked_key
    for m in m1 m10r; do
        f=$("$KT" scan -q -j 1 --output json "$dir/$m.csv" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["incidents"]), len(d["anomalies"]))')
        set -- $(runs=1 measure "'$KT' scan -q -j 1 --output json $off '$dir/$m.csv'")
        eval "off_$m=$2"
        eval "nf_$m=$(( ${f% *} + ${f#* } ))"
        say "  $m.csv: findings kept: ${f% *} incidents, ${f#* } anomalies; every detector off: $(awk -v k="$2" 'BEGIN{printf "%.1f", k/1024}') MB peak RSS"
    done
    # The target is growth with events: m10r has 10x m1's events over the same keys and
    # values, and with every detector off nothing but events differs. With every detector on
    # m10r also keeps its repeated attacks' findings, which cost memory of their own
    # (printed per finding; bounded by --max-findings).
    awk -v a="$rss_m1" -v b="$rss_m10r" -v c="$rss_m10" -v k="$rss_k100" -v oa="$off_m1" -v ob="$off_m10r" \
        -v fa="$nf_m1" -v fb="$nf_m10r" 'BEGIN {
        printf "  peak RSS m10r/m1, every detector off (10x events, same keys and values: growth with events; <= 1.10): %.2f %s\n", ob/oa, ob/oa <= 1.10 ? "MET" : "NOT MET"
        printf "  peak RSS m10r/m1, every detector on (also %.0fx the findings): %.2f, +%.1f MB for %d more findings (%.2f KB each)\n", fb/fa, b/a, (b-a)/1024, fb-fa, (b-a)/(fb-fa)
        printf "  peak RSS m10/m1 (10x events, 3.6x distinct IPs): %.2f\n", c/a
        printf "  100k keys: %.0f MB (well under 1 GB: %s)\n", k/1024, k/1024 < 500 ? "MET" : "NOT MET" }' | tee -a "$out"
fi
say ""
say "(written to $out)"
