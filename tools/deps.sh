#!/bin/sh
# Installs the Debian -dev packages keytrail builds against, when they are missing.
# Needs root (or sudo) only when something is missing.
set -u
need=""
pkg-config --exists glib-2.0 gio-2.0 2>/dev/null || need="$need libglib2.0-dev"
pkg-config --exists libcjson 2>/dev/null || need="$need libcjson-dev"
pkg-config --exists ncursesw 2>/dev/null || need="$need libncurses-dev"
pkg-config --exists libdeflate 2>/dev/null || need="$need libdeflate-dev"
[ -f /usr/include/csv.h ] || need="$need libcsv-dev"
command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
command -v cc >/dev/null 2>&1 || need="$need build-essential"
command -v clang >/dev/null 2>&1 || need="$need clang"
command -v tmux >/dev/null 2>&1 || need="$need tmux"
command -v jq >/dev/null 2>&1 || need="$need jq"
# clang's sanitizer and libFuzzer runtimes (fuzz smoke in make check)
if command -v clang >/dev/null 2>&1 &&
    ! echo 'int main(void){return 0;}' | clang -fsanitize=address -x c - -o /dev/null 2>/dev/null; then
    need="$need libclang-rt-dev"
fi
command -v python3 >/dev/null 2>&1 || need="$need python3"
command -v gzip >/dev/null 2>&1 || need="$need gzip"
[ -n "$need" ] || exit 0
echo "keytrail: installing missing packages:$need"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
if ! { $sudo apt-get update -qq && $sudo apt-get install -y -qq $need; } >/tmp/keytrail-deps.log 2>&1; then
    echo "keytrail: apt-get failed (see /tmp/keytrail-deps.log); install by hand:$need" >&2
    exit 1
fi
