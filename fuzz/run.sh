#!/usr/bin/env bash
# polish — `make fuzz`: builds the libFuzzer targets with clang (libpolish instrumented for
# coverage, ASan+UBSan), replays the committed corpora under clang (UBSan there reports more than
# gcc's: pointer overflow, NULL + 0), then fuzzes each target for FUZZ_SECONDS, one after the other
# on one core. New inputs go to $BUILD_FUZZ/fuzz-work/<target>/corpus (kept between runs), crashes
# to .../artifacts/; a summary table (executions, edges, findings) is printed at the end and
# written to $BUILD_FUZZ/fuzz-work/summary.md. Exit status 1 when any target found something.
#
#   fuzz/run.sh [--replay-only] [TARGET...]      (default: every target)
#   env: FUZZ_SECONDS (60), BUILD_FUZZ (build-fuzz), FUZZ_RSS_MB (2048), FUZZ_TIMEOUT (10),
#        FUZZ_MALLOC_MB (64)
set -uo pipefail

cd "$(dirname "$0")/.."
SRC=$PWD
ALL=(recipe csv xlsx xlsx_parts image jpeg png webp tiff heif exif icc text render cube audio track forecast)
SECONDS_EACH=${FUZZ_SECONDS:-60}
BUILD=${BUILD_FUZZ:-build-fuzz}
RSS=${FUZZ_RSS_MB:-2048}
TIMEOUT=${FUZZ_TIMEOUT:-10}
MALLOC_MB=${FUZZ_MALLOC_MB:-64} # one allocation over this is a finding
replay_only=0
targets=()
for a in "$@"; do
  case $a in
    --replay-only) replay_only=1 ;;
    -*) echo "fuzz/run.sh: unknown option $a" >&2; exit 2 ;;
    *) targets+=("$a") ;;
  esac
done
((${#targets[@]})) || targets=("${ALL[@]}")
for t in "${targets[@]}"; do
  [[ " ${ALL[*]} " == *" $t "* ]] || { echo "fuzz/run.sh: no target '$t' (${ALL[*]})" >&2; exit 2; }
done

if [ ! -f "$BUILD/build.ninja" ]; then
  CC=${FUZZ_CC:-clang} meson setup "$BUILD" -Dfuzz=true -Db_sanitize=address,undefined \
    -Db_lundef=false --buildtype=debugoptimized >/dev/null || exit 1
fi
ninja -C "$BUILD" $(for t in "${targets[@]}"; do echo "fuzz/fuzz_$t fuzz/replay_$t"; done) || exit 1

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:max_allocation_size_mb=$MALLOC_MB
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$SRC/fuzz/lsan.supp

# 1. the committed seeds and regression inputs, plus their fixed mutants, under clang
failed=0
for t in "${targets[@]}"; do
  if ! "$BUILD/fuzz/replay_$t" -mutants=64 "fuzz/corpus/$t" 2>"$BUILD/replay-$t.log" >/dev/null; then
    echo "fuzz/run.sh: replay of fuzz/corpus/$t failed under clang; see $BUILD/replay-$t.log" >&2
    tail -n 20 "$BUILD/replay-$t.log" >&2
    failed=1
  fi
done
((replay_only)) && exit $failed
((failed)) && exit 1

# 2. fuzzing, one target at a time
work=$BUILD/fuzz-work
mkdir -p "$work"
summary=$work/summary.md
{
  echo "| target | seconds | executions | exec/s | edges (cov) | features | corpus | findings |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
} >"$summary"
for t in "${targets[@]}"; do
  d=$work/$t
  mkdir -p "$d/corpus" "$d/artifacts"
  dict=()
  [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")
  before=$(find "$d/artifacts" -type f | wc -l)
  echo "== fuzz_$t for ${SECONDS_EACH}s" >&2
  nice -n 10 "$BUILD/fuzz/fuzz_$t" -max_total_time="$SECONDS_EACH" -rss_limit_mb="$RSS" \
    -malloc_limit_mb="$MALLOC_MB" \
    -timeout="$TIMEOUT" -print_final_stats=1 -artifact_prefix="$d/artifacts/" "${dict[@]}" \
    "$d/corpus" "fuzz/corpus/$t" >"$d/log" 2>&1
  rc=$?
  after=$(find "$d/artifacts" -type f | wc -l)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$d/log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$d/log" | grep -E 'cov: ' | tail -1)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$last")
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$d/log" | tail -1)
  found=$((after - before))
  if ((rc != 0)) && ((found == 0)); then found="exit $rc"; fi
  echo "| $t | $SECONDS_EACH | ${execs:-?} | ${eps:-?} | ${cov:-?} | ${ft:-?} | ${corp:-?} | $found |" >>"$summary"
  if [ "$found" != 0 ]; then
    failed=1
    echo "fuzz_$t found something: $d/log, $d/artifacts/" >&2
    grep -E 'ERROR|runtime error|SUMMARY' "$d/log" | head -5 >&2
  fi
done
cat "$summary"
exit $failed
