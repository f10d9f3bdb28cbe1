#!/bin/sh
# tools/eval.sh BUILD - the labelled accuracy evaluation behind `make eval`.
# 1. Generates the scenario suite with ktgen (several seeds and formats), runs
#    `keytrail scan --leak-time T --reveal-keys --output json` on each log and scores
#    the report with `ktgen score`; prints one row per run and the totals against the
#    targets (recall >= 0.95 of attacker (key, ip) pairs at medium+, <= 2 false
#    medium+ incidents per 1000 key-days).
# 2. Replays each real Stratus Red Team detonation (../shared/data, skipped if absent)
#    after 30 days of generated benign CloudTrail history for the same key ids (from
#    other IPs, ending before the detonation) and reports whether keytrail finds it.
# Exit status 0 unless the tools are missing or broken; the verdict is printed.
set -u
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
case $build in /*) ;; *) build="$top/$build" ;; esac
KT="$build/keytrail" KTGEN="$build/ktgen"
export TZ=UTC LC_ALL=C
for t in "$KT" "$KTGEN"; do
    [ -x "$t" ] || { echo "eval: $t is not built (run make)"; exit 2; }
done
if ! "$KT" scan --help 2>/dev/null | grep -q -- '--leak-time'; then
    echo "eval: keytrail scan has no --leak-time yet; nothing to evaluate"
    exit 0
fi
# KT_EVAL_KEEP=DIR keeps every log, report and score there (score.txt lists false incidents)
if [ -n "${KT_EVAL_KEEP:-}" ]; then
    tmp=$KT_EVAL_KEEP
    mkdir -p "$tmp"
else
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
fi
keys=${KT_EVAL_KEYS:-40} days=${KT_EVAL_DAYS:-45} events=${KT_EVAL_EVENTS:-120000}

# The suite: "seed format [ktgen options] [| keytrail options]". Spring windows cross the
# EU/US DST start, autumn ones the DST end; one CloudTrail run rotates the CI roles'
# session keys every hour, judged by principal (--entity auto). The last two are sparse:
# thousands of keys with one or two calls a day, where every baseline is small.
suite="101 csv --scenario all,leak_chain
101 cloudtrail --gzip
202 jsonl
202 cloudtrail --scenario all,leak_chain
303 combined
303 csv
404 combined-user
505 vault
606 conjur
707 github
808 gcp
909 csv --start 2024-10-01
919 cloudtrail --gzip --start 2024-10-01
929 jsonl-flat --start 2024-09-20
939 cloudtrail --rotate-sessions --scenario all,leak_chain | --entity auto
111 csv --keys 2000 --events 150000
222 jsonl --keys 1500 --events 100000"

# keytrail options per generated format: none, keytrail guesses every mapping (nested
# key.id / client.ip in JSON lines, ?api_key= in combined logs); add here if that changes
scan_opts() {
    case $1 in
    *) echo "" ;;
    esac
}

total() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" "$2"; }

printf '%-4s %-14s %-6s %7s %9s %10s %s\n' run format seed recall precision "false/1kkd" "misses and flagged drift"
n=0 pf=0 pt=0 it=0 ii=0 fa=0 kd=0
# read from a file, not a pipe: the totals must survive the loop
echo "$suite" > "$tmp/suite"
while read -r seed fmt rest; do
    n=$((n + 1))
    extra=${rest%%|*} ktopts=""
    case $rest in *"|"*) ktopts=${rest#*|} ;; esac
    d="$tmp/run$n"
    mkdir -p "$d"
    out="$d/log.$fmt"
    [ "$fmt" = cloudtrail ] && { out="$d/trail/"; mkdir -p "$out"; }
    # shellcheck disable=SC2086
    if ! "$KTGEN" logs -q --seed "$seed" --format "$fmt" --keys "$keys" --days "$days" \
        --events "$events" --out "$out" --labels "$d/labels.json" $extra 2> "$d/gen.err"; then
        echo "eval: ktgen failed for seed $seed $fmt: $(cat "$d/gen.err")"
        continue
    fi
    leak=$(sed -n 's/.*"leak_time":[[:space:]]*"\([^"]*\)".*/\1/p' "$d/labels.json")
    # shellcheck disable=SC2046
    "$KT" scan -q --leak-time "$leak" --reveal-keys --output json $(scan_opts "$fmt") $ktopts "$out" \
        > "$d/report.json" 2> "$d/scan.err"
    rc=$?
    if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
        echo "eval: keytrail scan failed ($rc) on seed $seed $fmt: $(head -c 300 "$d/scan.err")"
        continue
    fi
    "$KTGEN" score --verbose --labels "$d/labels.json" --report "$d/report.json" > "$d/score.txt"
    s="$d/score.txt"
    notes=$(grep -E ' (MISS|partial) | FLAGGED$' "$s" | awk '{print $1}' | tr '\n' ' ')
    printf '%-4s %-14s %-6s %7s %9s %10s %s\n' "$n" "$fmt" "$seed" \
        "$(sed -n 's/^recall *\([0-9.na\/]*\).*/\1/p' "$s")" \
        "$(sed -n 's/^precision *\([0-9.na\/]*\).*/\1/p' "$s")" \
        "$(sed -n 's/^false *\([0-9][0-9.]*\) per .*/\1/p' "$s")" "${notes:--}"
    pf=$((pf + $(total pairs_found "$s"))) pt=$((pt + $(total pairs "$s")))
    it=$((it + $(total incidents_true "$s"))) ii=$((ii + $(total incidents "$s")))
    fa=$((fa + $(total false "$s"))) kd=$((kd + $(total key_days "$s")))
done < "$tmp/suite"

echo
awk -v pf=$pf -v pt=$pt -v it=$it -v ii=$ii -v fa=$fa -v kd=$kd 'BEGIN {
    r = pt ? pf / pt : 0; p = ii ? it / ii : 0; f = kd ? 1000 * fa / kd : 0
    printf "TOTAL recall %.3f (%d/%d pairs)  precision %.3f (%d/%d incidents)  false %.2f per 1000 key-days (%d in %d)\n", r, pf, pt, p, it, ii, f, fa, kd
    printf "targets: recall >= 0.95 %s, false <= 2 per 1000 key-days %s\n", r >= 0.95 ? "MET" : "NOT MET", f <= 2 ? "MET" : "NOT MET"
}'

# per scenario over all runs
echo
cat "$tmp"/run*/score.txt 2> /dev/null | awk '
    $2 == "attack" { split($4, a, "/"); f[$1] += a[1]; p[$1] += a[2]; k[$1] = "attack" }
    $2 == "drift" { r[$1]++; if ($5 == "FLAGGED") fl[$1]++; k[$1] = "drift" }
    END {
        for (n in k) {
            if (k[n] == "attack") printf "  %-24s attack  %3d/%-3d attacker pairs found\n", n, f[n], p[n]
            else printf "  %-24s drift   %3d/%-3d runs flagged (should be 0)\n", n, fl[n] + 0, r[n]
        }
    }' | sort -b -k2,2 -k1,1

# ---- Stratus Red Team replay -----------------------------------------------------------------
data="$top/../shared/data/stratus-red-team-detonation-logs"
echo
if [ ! -d "$data" ]; then
    echo "stratus: skipped ($data absent)"
    exit 0
fi
if ! command -v jq > /dev/null 2>&1; then
    echo "stratus: skipped (needs jq)"
    exit 0
fi
echo "Stratus Red Team detonations replayed after 30 days of benign history for their keys:"
found=0 all=0 i=0
for f in "$data"/*.json; do
    name=$(basename "$f" .json)
    d="$tmp/stratus$i"
    i=$((i + 1))
    mkdir -p "$d"
    jq -r '[.[] | select(.userIdentity.accessKeyId != null)] |
           group_by(.userIdentity.accessKeyId)[] | .[0].userIdentity |
           "\(.accessKeyId) \(.arn // "-") \(.sessionContext.sessionIssuer.arn // "")"' "$f" \
        > "$d/keys.txt"
    if [ ! -s "$d/keys.txt" ]; then
        printf '  %-62s %s\n' "$name" "skipped (no access key ids)"
        continue
    fi
    t0=$(jq -r '[.[].eventTime] | min' "$f")
    start=$(date -u -d "$t0 30 days ago" +%Y-%m-%dT%H:00:00Z)
    # labels: one attack scenario per key, its attacker IPs as used in the detonation
    jq --arg n "$name" '{key_days: ([.[] | .userIdentity.accessKeyId | select(. != null)] | unique | length),
        scenarios: [.[] | select(.userIdentity.accessKeyId != null) |
                    {k: .userIdentity.accessKeyId, ip: .sourceIPAddress}] | group_by(.k) |
                   map({name: $n, kind: "attack", key: .[0].k, attacker_ips: (map(.ip) | unique)})}' \
        "$f" > "$d/labels.json"
    "$KTGEN" logs -q --seed $((7000 + i)) --format cloudtrail --key-file "$d/keys.txt" \
        --scenario none --start "$start" --days 30 --events 4000 --out "$d/hist.json" 2> "$d/gen.err" ||
        { printf '  %-62s %s\n' "$name" "generator failed: $(cat "$d/gen.err")"; continue; }
    "$KT" scan -q --leak-time "$t0" --reveal-keys --output json "$d/hist.json" "$f" \
        > "$d/report.json" 2> "$d/scan.err"
    "$KTGEN" score --labels "$d/labels.json" --report "$d/report.json" > "$d/score.txt"
    pfound=$(total pairs_found "$d/score.txt") pairs=$(total pairs "$d/score.txt")
    all=$((all + 1))
    if [ "${pfound:-0}" -gt 0 ]; then
        found=$((found + 1))
        verdict="found"
    else
        verdict="MISSED"
    fi
    printf '  %-62s %-6s (%s/%s key,ip pairs)\n' "$name" "$verdict" "$pfound" "$pairs"
done
echo "stratus: $found of $all detonations found at medium or above"
exit 0
