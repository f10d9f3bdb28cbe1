#!/bin/sh
# tools/make-samples.sh BUILD [OUT] - regenerates samples/ (or OUT) with ktgen: one small file per
# format (each under 200 KB) telling the same leak story, the labels, and README.md
# (written from the labels, so the story and the files always agree). Needs jq.
set -eu
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
case $build in /*) ;; *) build="$top/$build" ;; esac
KTGEN="$build/ktgen"
[ -x "$KTGEN" ] || { echo "make-samples: $KTGEN is not built" >&2; exit 2; }
command -v jq > /dev/null 2>&1 || { echo "make-samples: needs jq" >&2; exit 2; }
export TZ=UTC LC_ALL=C
out=${2:-$top/samples}
seed=42 keys=10 days=28 start=2024-03-01
scen=leak_chain,drift_sdk_patch,drift_new_ip_same_24
rm -rf "$out/cloudtrail" "$out/labels"
mkdir -p "$out/labels"

# gen FORMAT EVENTS PATH [options]: one sample file and its labels
gen() {
    fmt=$1 events=$2 path=$3
    shift 3
    "$KTGEN" logs -q --seed $seed --keys $keys --days $days --start $start --scenario $scen \
        --format "$fmt" --events "$events" --out "$out/$path" --labels "$out/labels/$fmt.json" "$@"
}
gen csv 900 api-access.csv
gen jsonl 350 api-access.jsonl
gen combined 650 access.log
gen conjur 250 conjur-audit.log
gen vault 500 vault-audit.log.gz --gzip
gen github 1500 github-audit.jsonl.gz --gzip
gen gcp 1500 gcp-audit.jsonl.gz --gzip
mkdir -p "$out/cloudtrail"
gen cloudtrail 1500 cloudtrail/ --gzip --file-hours 24
cp "$out/labels/csv.json" "$out/leak-scenario.json"

big=$(find "$out" -type f -size +199k)
[ -z "$big" ] || { echo "make-samples: over 200 KB: $big" >&2; exit 1; }

# ---- README.md from the labels -----------------------------------------------------------
L="$out/labels/cloudtrail.json"
q() { jq -r "$1" "$L"; }
chain='.scenarios[] | select(.name == "leak_chain")'
leak=$(q .leak_time)
{
    cat <<EOF
# samples/

Small logs written by \`ktgen\` (the project's seeded generator, see docs/GENERATOR.md) with
\`tools/make-samples.sh\` (\`make samples\`): $keys API keys over $days days from $start, one
file per format, all telling the same story. Regenerate, never edit by hand.

| file | format | keytrail reads it with |
|------|--------|------------------------|
| api-access.csv | CSV export (header, quoted user agents) | \`keytrail scan samples/api-access.csv\` |
| api-access.jsonl | JSON lines, nested \`key.id\`, \`client.ip\`, \`request.*\` | \`keytrail scan samples/api-access.jsonl\` |
| access.log | Apache combined, key in \`?api_key=\` | \`keytrail scan samples/access.log\` (or \`--field key=query:api_key\`) |
| cloudtrail/ | CloudTrail S3 layout, \`{"Records":[...]}\` .json.gz (one file per region and day) | \`keytrail scan samples/cloudtrail\` |
| vault-audit.log.gz | HashiCorp Vault audit device (request + response entries) | \`keytrail scan samples/vault-audit.log.gz\` |
| conjur-audit.log | CyberArk Conjur RFC 5424 audit syslog | \`keytrail scan samples/conjur-audit.log\` |
| github-audit.jsonl.gz | GitHub audit log export (hashed_token, epoch-ms @timestamp) | \`keytrail scan samples/github-audit.jsonl.gz\` |
| gcp-audit.jsonl.gz | GCP Cloud Audit Logs entries | \`keytrail scan samples/gcp-audit.jsonl.gz\` |

Add \`--leak-time $leak\` to judge everything after the leak against the history before it.
\`leak-scenario.json\` holds the labels of the CSV file; \`labels/FORMAT.json\` those of each
file (keys differ per source, times and IPs are the same). Score a report with
\`ktgen score --labels samples/leak-scenario.json --report report.json\` (run keytrail with
\`--output json --reveal-keys\`).

## The leak

The key leaked at **$leak** (a commit pushed to a public repository). In the CloudTrail
sample it is \`$(q "$chain | .key")\` (labels/cloudtrail.json); in the CSV, JSON lines and
combined samples \`$(jq -r "$chain | .key" "$out/labels/csv.json")\`. Its owner is a service
that calls the API from a few fixed cloud addresses all day. What happened next (UTC):

EOF
    q "$chain | .phases | to_entries[] |
       \"\\(.key + 1). **\\(.value.start)** to \\(.value.end[11:]) from **\\(.value.ip)**: \\(.value.what).\""
    cat <<EOF

In all, $(q "$chain | .events") calls from the three attacker addresses. keytrail should report
each of the three (key, IP) pairs as an incident at medium or above.

## Benign changes that must not be flagged

EOF
    q '.scenarios[] | select(.kind == "benign_drift") |
       "- `\(.name)` on `\(.key)` from \(.start): \(.note)" +
       (if .new_benign_ip then " (new address \(.new_benign_ip))" else "" end) + "."'
    cat <<EOF

## The keys (CloudTrail sample)

EOF
    q '.keys[] | "- `\(.key)` \(.archetype) (\(.owner)), \(.zone)"'
} > "$out/README.md"
echo "make-samples: wrote $(find "$out" -type f | wc -l) files to $out"
