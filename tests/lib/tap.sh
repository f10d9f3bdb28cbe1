# Shared helpers for tests/shell/t*.sh (sourced). Prints TAP.
# KT, KTGEN, SAMPLES, DATA, TMP are set; every test runs in its own temp directory.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
: "${KT_BUILD:=$top/build}"
KT="$KT_BUILD/keytrail"; KTGEN="$KT_BUILD/ktgen"
SAMPLES="$top/samples"; DATA="$top/../shared/data"
export TZ=UTC LC_ALL=C NO_COLOR=1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
_n=0
# ok COND-EXIT-STATUS NAME
check() {
    _n=$((_n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $_n - $2"; else echo "not ok $_n - $2"; fi
}
skip() { _n=$((_n + 1)); echo "ok $_n - $1 # SKIP $2"; }
done_testing() { echo "1..$_n"; }
