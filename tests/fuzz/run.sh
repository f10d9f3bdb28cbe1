#!/bin/sh
# Builds the libFuzzer targets (clang, ASan+UBSan) into build-fuzz/ and runs each for
# SECONDS seconds on a corpus seeded from samples/, tests/fuzz/corpus/ and ../shared/data.
# Crash, leak or timeout inputs are kept in build-fuzz/artifacts/; copy them to
# tests/fuzz/regress/TARGET/ to make them regression inputs (always replayed).
# usage: run.sh SECONDS [TAP]   (TAP=1: print TAP lines for the test runner)
set -u
secs=${1:-60}; tap=${2:-0}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 2
out=build-fuzz
n=0; failed=0
say() { if [ "$tap" = 1 ]; then echo "$1"; else echo "$1" | sed 's/^ok [0-9]* - /ok    /; s/^not ok [0-9]* - /FAIL  /'; fi; }
if ! command -v clang >/dev/null 2>&1; then
    say "ok 1 - fuzz # SKIP clang not installed"; [ "$tap" = 1 ] && echo "1..1"; exit 0
fi
mkdir -p $out/obj $out/artifacts
CFLAGS="-g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -std=c11 \
 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Iinclude $(pkg-config --cflags glib-2.0 gio-2.0 libcjson ncursesw libdeflate)"
LIBS="$(pkg-config --libs glib-2.0 gio-2.0 libcjson ncursesw libdeflate) -lcsv -lm -lpthread"
objs=""
for src in $(find src -name '*.c' ! -name main.c | sort); do
    o=$out/obj/$(echo "$src" | tr / _).o
    if [ ! -f "$o" ] || [ "$src" -nt "$o" ] || [ -n "$(find include src/input src/engine -name '*.h' -newer "$o" 2>/dev/null | head -1)" ]; then
        clang $CFLAGS -c "$src" -o "$o" || { say "not ok 1 - fuzz build: $src"; exit 1; }
    fi
    objs="$objs $o"
done
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for t in tests/fuzz/fuzz_*.c; do
    [ -f "$t" ] || continue
    name=$(basename "$t" .c)
    n=$((n + 1))
    bin=$out/$name
    if ! clang $CFLAGS -fsanitize=fuzzer "$t" $objs $LIBS -o "$bin" 2>$out/$name.build.log; then
        say "not ok $n - $name: build failed (see $out/$name.build.log)"; failed=$((failed + 1)); continue
    fi
    corpus=$out/corpus/$name; mkdir -p "$corpus"
    seeds=""
    for d in tests/fuzz/corpus/$name tests/fuzz/corpus/common samples; do [ -d "$d" ] && seeds="$seeds $d"; done
    # regression inputs first: each must run clean
    if [ -d tests/fuzz/regress/$name ] && ! "$bin" tests/fuzz/regress/$name/* > $out/$name.regress.log 2>&1; then
        say "not ok $n - $name: regression input fails (see $out/$name.regress.log)"; failed=$((failed + 1)); continue
    fi
    if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix=$out/artifacts/$name- "$corpus" $seeds > $out/$name.log 2>&1; then
        say "ok $n - $name ($(grep -o 'stat::number_of_executed_units: [0-9]*' $out/$name.log | awk '{print $2}') runs)"
    else
        say "not ok $n - $name: crash, leak or timeout (see $out/$name.log, artifacts in $out/artifacts)"
        grep -E 'ERROR|SUMMARY|runtime error' $out/$name.log | head -5 | sed 's/^/# /'
        failed=$((failed + 1))
    fi
done
[ "$tap" = 1 ] && echo "1..$n"
[ "$failed" -eq 0 ]
