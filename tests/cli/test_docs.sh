#!/usr/bin/env bash
# polish — docs/operations.md is generated from the registry; fail when it is stale.
. "$(dirname "$0")/lib.sh"
run_polish 0 ops --markdown
if ! diff -u "$POLISH_SRC/docs/operations.md" "$OUT" >"$T/diff"; then
    fail "docs/operations.md is stale: run 'make docs'"
    head -40 "$T/diff" >&2
fi
finish
