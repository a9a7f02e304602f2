# polish — helpers for command-line tests: temp dirs, assertions that say what failed.
set -u
POLISH=${1:?usage: test.sh PATH-TO-POLISH}
T=$(mktemp -d /tmp/polish-cli-XXXXXX)
OUT=$T/_stdout
ERR=$T/_stderr
trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
# Debian's python3, whose modules scripts/setup installs; not a version manager's shim that may
# come first on PATH (pyenv's costs 0.6 s a call)
if [ -x /usr/bin/python3 ]; then python3() { /usr/bin/python3 "$@"; }; fi
# tests/common: Python helpers shared by the shell tests (peakmem.py)
export POLISH_TESTS_COMMON=$(cd "$(dirname "${BASH_SOURCE[0]}")/../common" && pwd)
FAILS=0
PASSES=0
pass() { PASSES=$((PASSES + 1)); }
fail() {
    echo "FAIL: $*" >&2
    FAILS=$((FAILS + 1))
    if [ -n "${POLISH_FAIL_FAST:-}" ]; then exit 1; fi # test_can_fail.sh: the first is enough
}
check() { # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then pass; else fail "$what"; fi
}
# run_polish EXPECTED_EXIT ARGS... : runs polish, keeps stdout/stderr in $OUT and $ERR
run_polish() {
    local want=$1; shift
    "$POLISH" "$@" >"$OUT" 2>"$ERR"
    local got=$?
    if [ "$got" -ne "$want" ]; then
        fail "polish $* exited $got, expected $want"
        sed 's/^/    stderr: /' "$ERR" | head -20 >&2
        return 1
    fi
    pass
    return 0
}
contains() { grep -qi -- "$2" "$1" || { fail "expected '$2' in $1:"; sed 's/^/    /' "$1" | head -20 >&2; }; }
finish() {
    echo "$PASSES passed, $FAILS failed"
    [ "$FAILS" -eq 0 ]
}
# make_photo PATH [SIZE] — a real photograph from python3-skimage, as PNG or JPEG by extension.
make_photo() {
    convert-im6.q16 /usr/lib/python3/dist-packages/skimage/data/${3:-coffee.png} \
        -resize "${2:-320x}" "$1"
}
