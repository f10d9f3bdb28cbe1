#!/bin/sh
# tools/eval-nab.sh BUILD - `make eval-nab`: volume_spike on real labelled count series.
# Each count-like series of the Numenta Anomaly Benchmark (../shared/data/numenta-nab,
# skipped when absent) becomes the access log of one API key (tools/nab/nab.py gen: value
# requests per row, divided by a per-series power of ten when the series holds more than
# 2,000,000, spread evenly over the row's interval from 4 fixed client IPs), is scanned in
# online mode with --learn = NAB's probationary period and only volume_spike, and its
# anomalies are matched to NAB's hand-labelled windows (tools/nab/nab.py score). Prints
# per series windows, detected windows and false positives, then window recall, false
# positives per 1000 judged hours and the normalized NAB score. docs/EVAL.md explains it.
#   KT_NAB_PROBATION=nab (default: min(15% of rows, 750 rows), as NAB's scorer) or 15pct
#   KT_EVAL_KEEP=DIR keeps every log, report and result there.
# Exit status 0 unless the tools are missing or broken; nothing here is a pass/fail test.
set -u
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
case $build in /*) ;; *) build="$top/$build" ;; esac
KT="$build/keytrail"
HELPER="$top/tools/nab/nab.py"
export TZ=UTC LC_ALL=C
[ -x "$KT" ] || { echo "eval-nab: $KT is not built (run make)"; exit 2; }
command -v python3 > /dev/null 2>&1 || { echo "eval-nab: skipped (needs python3)"; exit 0; }
nab="$top/../shared/data/numenta-nab"
if [ ! -f "$nab/labels/combined_windows.json" ]; then
    echo "eval-nab: skipped ($nab absent)"
    exit 0
fi
python3 "$HELPER" selftest > /dev/null || { echo "eval-nab: tools/nab/nab.py selftest failed"; exit 2; }
mode=${KT_NAB_PROBATION:-nab}
case $mode in nab | 15pct) ;; *) echo "eval-nab: KT_NAB_PROBATION must be nab or 15pct"; exit 2 ;; esac
if [ -n "${KT_EVAL_KEEP:-}" ]; then
    tmp=$KT_EVAL_KEEP
    mkdir -p "$tmp"
else
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
fi

# Count series: mentions per 5 minutes, load-balancer requests per 5 minutes, taxi
# passengers per 30 minutes. Everything else in the snapshot is a gauge, not a count.
series="realTweets/Twitter_volume_AAPL.csv realTweets/Twitter_volume_AMZN.csv
realTweets/Twitter_volume_CRM.csv realTweets/Twitter_volume_CVS.csv
realTweets/Twitter_volume_FB.csv realTweets/Twitter_volume_GOOG.csv
realTweets/Twitter_volume_IBM.csv realTweets/Twitter_volume_KO.csv
realTweets/Twitter_volume_PFE.csv realTweets/Twitter_volume_UPS.csv
realAWSCloudwatch/elb_request_count_8c0756.csv realKnownCause/nyc_taxi.csv"

echo "NAB count series as one key's access log; keytrail scan --detectors volume_spike,"
echo "online, --learn = probationary period ($mode); a window is detected when the hour of"
echo "a volume_spike overlaps it, a volume_spike outside every window is a false positive."
echo "skipped (not counts): ec2/rds/asg CPU %, grok_asg_anomaly (CPU), ec2 disk write and"
echo "network-in bytes, ec2_request_latency (CPU), temperatures, rogue_agent key timings"
echo
: > "$tmp/results.jsonl"
i=0
for s in $series; do
    f="$nab/data/$s"
    i=$((i + 1))
    d="$tmp/s$i"
    mkdir -p "$d"
    if [ ! -f "$f" ]; then
        echo "eval-nab: $s absent, skipped"
        continue
    fi
    if ! learn=$(python3 "$HELPER" gen "$f" "$d/log.csv" "$d/meta.json" --probation "$mode" 2> "$d/gen.err"); then
        echo "eval-nab: generating $s failed: $(head -c 300 "$d/gen.err")"
        continue
    fi
    "$KT" scan -q --learn "$learn" --detectors volume_spike --output json --reveal-keys \
        "$d/log.csv" > "$d/report.json" 2> "$d/scan.err"
    rc=$?
    if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
        echo "eval-nab: keytrail scan failed ($rc) on $s: $(head -c 300 "$d/scan.err")"
        continue
    fi
    python3 "$HELPER" score "$d/meta.json" "$nab/labels/combined_windows.json" "$d/report.json" \
        >> "$tmp/results.jsonl" || echo "eval-nab: scoring $s failed"
    [ -n "${KT_EVAL_KEEP:-}" ] || rm -f "$d/log.csv"
done
python3 "$HELPER" table "$tmp/results.jsonl"
exit 0
