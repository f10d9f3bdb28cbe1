#!/bin/sh
# Sums the results files written by run-all.sh and prints the closing line CI reads.
pass=0 fail=0 skip=0
for f in "$@"; do
    if [ -f "$f" ]; then
        set -- $(cat "$f")
        pass=$((pass + $1)) fail=$((fail + $2)) skip=$((skip + $3))
    else
        fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
