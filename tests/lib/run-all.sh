#!/bin/sh
# Runs the test suites against one build directory and prints TAP-ish progress.
# usage: run-all.sh BUILD [unit|golden|shell|fuzz|tsan]...
# Writes BUILD/test-results.txt ("passed failed skipped") and the per-test log
# BUILD/test-log.txt. Exit status 1 when anything failed.
set -u
build=$1; shift
suites=${*:-unit golden shell}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
export KT_BUILD="$top/$build" KT_TOP="$top" TZ=UTC LC_ALL=C
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:fast_unwind_on_malloc=0
export LSAN_OPTIONS="suppressions=$top/tests/lib/lsan.supp:print_suppressions=0"
export G_DEBUG=gc-friendly G_SLICE=always-malloc
log="$top/$build/test-log.txt"
: > "$log"
pass=0 fail=0 skip=0

# count_tap NAME FILE RC: tallies one TAP stream
count_tap() {
    name=$1 file=$2 rc=$3
    p=$(grep -c '^ok ' "$file" | tr -d ' ')
    s=$(grep '^ok ' "$file" | grep -ci '# skip' | tr -d ' ')
    f=$(grep -c '^not ok ' "$file" | tr -d ' ')
    p=$((p - s))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1
        echo "not ok - $name exited with status $rc" >> "$file"
    fi
    pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
    cat "$file" >> "$log"
    if [ "$f" -gt 0 ]; then
        echo "FAIL  $name ($p passed, $f failed, $s skipped)"
        grep -E '^not ok|^# |Assertion|ERROR|runtime error|Sanitizer' "$file" | head -20 | sed 's/^/      /'
    else
        echo "ok    $name ($p passed, $s skipped)"
    fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for suite in $suites; do
    case $suite in
    unit)
        for t in "$build"/tests/test-*; do
            [ -x "$t" ] || continue
            n=$(basename "$t")
            if [ "${KT_VALGRIND:-0}" = 1 ]; then
                valgrind -q --error-exitcode=99 --leak-check=full \
                    --suppressions=tests/lib/valgrind.supp "$t" --tap > "$tmp/$n" 2>&1
            else
                "$t" --tap > "$tmp/$n" 2>&1
            fi
            count_tap "unit/$n" "$tmp/$n" $?
        done ;;
    golden)
        sh tests/lib/golden.sh "$build" > "$tmp/golden" 2>&1
        count_tap golden "$tmp/golden" $? ;;
    fuzz)
        sh tests/fuzz/run.sh "${KT_FUZZ_SECONDS:-2}" 1 > "$tmp/fuzz" 2>&1
        count_tap fuzz "$tmp/fuzz" $? ;;
    tsan)
        sh tests/lib/tsan.sh "$top/$build" "$top/build" > "$tmp/tsan" 2>&1
        count_tap tsan "$tmp/tsan" $? ;;
    shell)
        for t in tests/shell/t*.sh; do
            [ -f "$t" ] || continue
            n=$(basename "$t" .sh)
            sh "$t" > "$tmp/$n" 2>&1
            count_tap "shell/$n" "$tmp/$n" $?
        done ;;
    esac
done
echo "$pass $fail $skip" > "$top/$build/test-results.txt"
echo "$build: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
