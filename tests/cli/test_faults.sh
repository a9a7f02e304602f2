#!/usr/bin/env bash
# polish — faults: a disk that fills up at a chosen byte (an LD_PRELOAD shim, tests/fault) for every
# output format and for records' several outputs, and `kill -9` at random points of a batch followed
# by --skip-existing. After each: no crash, no partial output, inputs untouched, the next run
# completes. (Issue 7, items 5 and 9.)
. "$(dirname "$0")/lib.sh"
SHIM=${POLISH_BUILD:?}/tests/fault/libenospc_shim.so
check "the ENOSPC shim is built" test -f "$SHIM"
# x265 (libheif's HEVC encoder) keeps a few small allocations until exit: not ours (tests/image).
export LSAN_OPTIONS=suppressions=${POLISH_SRC:?}/tests/image/lsan-x265.supp
IN=$T/in
mkdir -p "$IN"
make_photo "$IN/p.jpg" 160x
for f in png webp tiff heic; do convert-im6.q16 "$IN/p.jpg" "$IN/p.$f"; done
cp "$POLISH_SRC/samples/leads.csv" "$IN/leads.csv"
(cd "$IN" && md5sum -- *) >"$T/inputs.md5"
inputs_untouched() { (cd "$IN" && md5sum -c --quiet "$T/inputs.md5"); }

# full_disk BUDGET ARGS... : polish with writes to temporaries failing after BUDGET bytes
full_disk() {
    local budget=$1; shift
    ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1:abort_on_error=1 LD_PRELOAD=$SHIM \
        POLISH_ENOSPC_AFTER=$budget "$POLISH" "$@" >"$OUT" 2>"$ERR"
}

# no_space CASE OUTDIR ARGS... : the disk fills at 0 bytes, at 200 and half-way through the real
# output; each time the item fails saying so and leaves no file at all; then a run with room works.
no_space() {
    local what=$1 dir=$2; shift 2
    "$POLISH" "$@" -o "$dir-full" --quiet >"$OUT" 2>"$ERR" || fail "$what: a run with room failed"
    local size
    size=$(find "$dir-full" -type f -printf '%s\n' | sort -n | tail -1)
    for budget in 0 200 $((size / 2)); do
        rm -rf "$dir"
        full_disk "$budget" "$@" -o "$dir"
        local rc=$?
        check "$what, disk full at $budget bytes: exit 1 (not a crash: $rc)" test "$rc" -eq 1
        check "$what, disk full at $budget bytes: says so" grep -qi "no space left on device" "$ERR"
        check "$what, disk full at $budget bytes: no file left" \
            test -z "$(find "$dir" -type f 2>/dev/null)"
    done
    run_polish 0 "$@" -o "$dir" --quiet
    check "$what: inputs untouched" inputs_untouched
}

no_space "jpeg" "$T/o-jpeg" fix "$IN/p.jpg"
no_space "png" "$T/o-png" fix "$IN/p.png"
no_space "webp" "$T/o-webp" fix "$IN/p.webp"
no_space "tiff" "$T/o-tiff" fix "$IN/p.tiff"
no_space "heif" "$T/o-heif" fix "$IN/p.heic"
no_space "csv" "$T/o-csv" fix "$IN/leads.csv"
no_space "xlsx" "$T/o-xlsx" records export --format xlsx "$IN/leads.csv"

# --fsync: each temporary is flushed to the disk before it is moved into place, and a failure there
# fails the item (the shim makes fsync of a temporary fail with EIO).
rm -rf "$T/o-sync"
ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1:abort_on_error=1 LD_PRELOAD=$SHIM \
    POLISH_FSYNC_EIO=1 "$POLISH" fix "$IN/p.jpg" "$IN/leads.csv" -o "$T/o-sync" --fsync >"$OUT" 2>"$ERR"
check "--fsync: a failed fsync fails the items" test $? -eq 1
contains "$ERR" "input/output error"
check "--fsync: nothing moved into place" test -z "$(find "$T/o-sync" -type f 2>/dev/null)"
ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1:abort_on_error=1 LD_PRELOAD=$SHIM \
    POLISH_FSYNC_EIO=1 "$POLISH" fix "$IN/p.jpg" -o "$T/o-nosync" >"$OUT" 2>"$ERR"
check "without --fsync, no fsync" test $? -eq 0
run_polish 0 fix "$IN/p.jpg" "$IN/leads.csv" -o "$T/o-sync2" --fsync --quiet

# Records writes a clean file, a quarantine and a review set: the disk fills after the clean file is
# complete, while the quarantine is written. All or none: the clean file must not appear alone.
rm -rf "$T/o-rec"
run_polish 0 fix "$IN/leads.csv" -o "$T/o-rec-full" --quiet
check "records writes a quarantine beside the clean file" test -s "$T/o-rec-full/leads.quarantine.csv"
clean=$(stat -c %s "$T/o-rec-full/leads.csv")
full_disk $((clean + 10)) fix "$IN/leads.csv" -o "$T/o-rec"
check "records, disk full in the quarantine: item fails" test $? -eq 1
contains "$ERR" "quarantine.csv failed: no space left on device"
check "records, disk full in the quarantine: no clean file alone" \
    test -z "$(find "$T/o-rec" -type f 2>/dev/null)"
run_polish 0 fix "$IN/leads.csv" -o "$T/o-rec" --quiet
check "records: the next run writes all three" test -s "$T/o-rec/leads.review.csv"

# --overwrite over an earlier run's outputs, and the second output's move into place fails: the
# item fails and every earlier output keeps its old content (the first one is put back).
for f in leads.csv leads.quarantine.csv leads.review.csv; do echo "earlier $f" >"$T/o-rec/$f"; done
ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1:abort_on_error=1 LD_PRELOAD=$SHIM \
    POLISH_RENAME_FAIL=2 "$POLISH" fix "$IN/leads.csv" -o "$T/o-rec" --overwrite >"$OUT" 2>"$ERR"
check "records, --overwrite, second move fails: item fails" test $? -eq 1
for f in leads.csv leads.quarantine.csv leads.review.csv; do
    check "records, --overwrite, second move fails: $f keeps its old content" \
        grep -qx "earlier $f" "$T/o-rec/$f"
done
check "records, --overwrite, second move fails: no second name left" \
    test -z "$(find "$T/o-rec" -name '.*' -type f)"
run_polish 0 fix "$IN/leads.csv" -o "$T/o-rec" --overwrite --quiet
check "records, --overwrite: the next run replaces all three" \
    test "$(grep -c earlier "$T/o-rec/leads.csv")" -eq 0

# ---- a failed allocation at the Nth call (tests/fault/alloc_shim.c) -------------------------------
# One worker (-j 1): ASan itself cannot start a thread when glibc's allocation for it fails.
ASHIM=$POLISH_BUILD/tests/fault/liballoc_shim.so
check "the allocation shim is built" test -f "$ASHIM"
for f in p.jpg p.png leads.csv; do
    rm -rf "$T/oa"
    total=$(ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0 LD_PRELOAD=$ASHIM POLISH_COUNT_ALLOCS=1 \
        "$POLISH" fix "$IN/$f" -o "$T/oa" -j 1 --quiet 2>&1 | sed -n 's/^allocations: //p')
    check "$f: allocations counted ($total)" test "${total:-0}" -gt 100
    step=$(((${total:-0} + 39) / 40))
    crashes=0 partial=0 silent=0
    for n in $(seq 1 "$step" "${total:-0}"); do
        rm -rf "$T/oa"
        ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=1:abort_on_error=1 LD_PRELOAD=$ASHIM \
            POLISH_FAIL_ALLOC_AT=$n "$POLISH" fix "$IN/$f" -o "$T/oa" -j 1 >"$OUT" 2>"$ERR"
        rc=$?
        if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ] && [ "$rc" -ne 3 ]; then
            crashes=$((crashes + 1))
            echo "    allocation $n of $f: exit $rc" >&2
            grep -m3 "SUMMARY\|ERROR" "$ERR" | sed 's/^/    /' >&2
        elif [ "$rc" -ne 0 ] && [ -n "$(find "$T/oa" -type f 2>/dev/null)" ]; then
            partial=$((partial + 1))
        elif [ "$rc" -ne 0 ] && ! grep -q "polish: " "$ERR"; then
            silent=$((silent + 1))
        fi
    done
    check "$f: no crash when allocation N fails" test "$crashes" -eq 0
    check "$f: a failed item leaves no output" test "$partial" -eq 0
    check "$f: a failure is said" test "$silent" -eq 0
    check "$f: inputs untouched after failed allocations" inputs_untouched
    run_polish 0 fix "$IN/$f" -o "$T/oa-next" --quiet
done

# ---- kill -9 at random points, then --skip-existing ---------------------------------------------
B=$T/batch
mkdir -p "$B/sub"
for i in 1 2 3 4 5 6; do make_photo "$B/p$i.jpg" 480x; done
for i in 1 2; do convert-im6.q16 "$B/p$i.jpg" "$B/sub/q$i.png"; done
(cd "$B" && find . -type f -exec md5sum {} +) >"$T/batch.md5"
for round in 1 2 3 4; do
    O=$T/killed$round
    "$POLISH" fix "$B" -o "$O" -j 2 --quiet >/dev/null 2>&1 &
    pid=$!
    sleep "$(python3 -c "import random; print(round(random.uniform(0.05, 2.5), 2))")"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    # Whatever is visible is whole: every output decodes.
    bad=0
    for f in $(find "$O" -type f ! -name '.*' 2>/dev/null); do
        identify -regard-warnings "$f" >/dev/null 2>&1 || bad=$((bad + 1))
    done
    check "round $round: no partial output visible after kill -9" test "$bad" -eq 0
    run_polish 0 fix "$B" -o "$O" --skip-existing --quiet
    check "round $round: --skip-existing finished the batch" \
        test "$(find "$O" -type f ! -name '.*' | wc -l)" -eq 8
    check "round $round: no temporary left" test -z "$(find "$O" -name '*.part')"
    check "round $round: inputs untouched" sh -c "cd '$B' && md5sum -c --quiet '$T/batch.md5'"
done
# A stale temporary from a killed run is removed by --skip-existing; kept outputs are not rewritten.
O=$T/killed1
touch "$O/.p1.jpg.AbC123.part"
before=$(stat -c %Y.%i "$O/p1.jpg")
run_polish 0 fix "$B" -o "$O" --skip-existing --quiet
check "--skip-existing removes stale temporaries" test ! -e "$O/.p1.jpg.AbC123.part"
check "--skip-existing keeps an existing output as it is" test "$(stat -c %Y.%i "$O/p1.jpg")" = "$before"
finish
