#!/bin/sh
# make demo: runs keytrail on samples/ (the leak story in samples/README.md).
set -u
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
KT="$build/keytrail"
leak=$(sed -n 's/.*"leak_time"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' samples/leak-scenario.json |
    head -n 1)
run() {
    printf '\n$ keytrail %s\n' "$*"
    "$KT" "$@"
    echo "(exit status $?)"
}
echo "keytrail demo: the samples tell one story, a key leaked at $leak (samples/README.md)."
run scan --stats samples/api-access.csv samples/api-access.jsonl samples/access.log \
    samples/vault-audit.log.gz samples/conjur-audit.log samples/github-audit.jsonl.gz \
    samples/gcp-audit.jsonl.gz
run scan --leak-time "$leak" samples/cloudtrail/
run scan --leak-time "$leak" samples/access.log
run scan --leak-time "$leak" --output jsonl samples/api-access.csv
echo
echo "Next: keytrail tui --leak-time $leak samples/cloudtrail/   (q quits, ? for help)"
exit 0
