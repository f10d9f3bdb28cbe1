#!/bin/sh
# bench-ab.sh [-r ROUNDS] [-n RUNS] CMD_A CMD_B: times two commands in turns (A, B, A, B,
# ...) with tools/bench-time.py and prints, for each round, the median CPU time of each
# over its RUNS runs (default: 3 rounds of 5). Interleaving spreads the machine's drift over
# both; the rounds show how far medians move. For comparing two builds, or a setting:
#   tools/bench-ab.sh "build/keytrail scan -q -j1 --output json LOG" \
#                     "KT_STREAM_WINDOW=0 build/keytrail scan -q -j1 --output json LOG"
set -eu
rounds=3 runs=5
while getopts r:n: opt; do
    case $opt in
    r) rounds=$OPTARG ;;
    n) runs=$OPTARG ;;
    *) echo "usage: bench-ab.sh [-r ROUNDS] [-n RUNS] CMD_A CMD_B" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
if [ $# -ne 2 ]; then
    echo "usage: bench-ab.sh [-r ROUNDS] [-n RUNS] CMD_A CMD_B" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
r=1
while [ $r -le "$rounds" ]; do
    a="" b="" i=1
    while [ $i -le "$runs" ]; do
        a="$a $(python3 "$here/bench-time.py" "$1" | awk '{ print $2 }')"
        b="$b $(python3 "$here/bench-time.py" "$2" | awk '{ print $2 }')"
        i=$((i + 1))
    done
    echo "round $r: A $(echo "$a" | median) s, B $(echo "$b" | median) s (CPU, median of $runs)"
    r=$((r + 1))
done
