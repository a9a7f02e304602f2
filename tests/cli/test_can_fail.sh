#!/usr/bin/env bash
# polish — the command-line tests themselves: each must fail when the program does nothing
# (/bin/true: exits 0, writes nothing) and when it always fails (/bin/false). A test that passes
# against either asserts nothing (test_progress.sh once grepped a file the harness never wrote).
. "$(dirname "$0")/lib.sh"
DIR=$(cd "$(dirname "$0")" && pwd)
for t in "$DIR"/test_*.sh; do
    name=$(basename "$t")
    [ "$name" = test_can_fail.sh ] && continue
    for fake in /bin/true /bin/false; do
        POLISH_FAIL_FAST=1 bash "$t" "$fake" >"$T/log" 2>&1
        rc=$?
        check "$name fails against $fake (exit $rc)" test "$rc" -ne 0
        # and says which check failed, not just a crash of the script
        check "$name reports a failed check against $fake" grep -q "^FAIL" "$T/log"
    done
done
finish
