#!/usr/bin/env bash
# polish — the MPI build (docs/SCALE.md, "MPI"): a grid calibrated with one model for the whole
# grid (calibrate-grid scope global), its tiles the ranks of one MPI job that exchange each band's
# sums at every step of the fit. The file is one process's, byte for byte, with 4 ranks and with
# 3; the tiles stage refuses to run as independent shards; a rank that fails (its memory limit
# too low, its plan missing) or dies stops the whole job with an error naming it, and nothing
# hangs; a rerun finishes, keeping the tiles in place. Skipped, saying why, only where mpirun
# cannot start or polish was built without MPI.
. "$(dirname "$0")/../cli/lib.sh"
POLISH=$(readlink -f "$POLISH")
GRID_TEST=$(readlink -f "$(dirname "$0")/test_grid.sh")
cd "$T"

if ! command -v mpirun >/dev/null; then
    echo "SKIP: mpirun is not installed (openmpi-bin)" >&2
    exit 77
fi
# OpenMPI refuses root unless told; one machine of 2 cores runs 4 ranks (--oversubscribe); ranks
# waiting for another yield the core. MPI_Init's own allocations stay until exit: the MPI
# libraries are in tests/lsan.supp, matched with full stacks (fast_unwind_on_malloc=0, slow: one
# job is leak-checked, the others not).
ROOT=
[ "$(id -u)" -eq 0 ] && ROOT=--allow-run-as-root
export OMPI_MCA_mpi_yield_when_idle=1
NOLEAK="detect_leaks=0:abort_on_error=1"
LEAK="detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0:symbolize=0"
mpi() { # mpi ASAN_OPTIONS MPIRUN-ARGS...: an MPI job of this machine, 300 s at most
    local a=$1
    shift
    ASAN_OPTIONS=$a timeout 300 mpirun $ROOT --oversubscribe -x ASAN_OPTIONS -x LSAN_OPTIONS \
        -x UBSAN_OPTIONS -x OMPI_MCA_mpi_yield_when_idle "$@"
}
if ! mpi "$NOLEAK" -np 2 true >mpi.log 2>&1; then
    echo "SKIP: mpirun cannot start 2 processes here:" >&2
    sed 's/^/    /' mpi.log | head -5 >&2
    exit 77
fi

# the synthetic 6 x 8 ensemble of test_grid.sh (40 training days, 5 forecast days, 10 members)
sed -n '/^cat > gen.py/,/^ncgen/p' "$GRID_TEST" > make.sh
bash make.sh || fail "fixtures"
printf 'domain: forecast\nsteps:\n  - calibrate-grid: {train: %s, scope: global, tile: 8, thresholds: 12}\n' \
    "$T/train.nc" > g.yml
run_polish 0 run g.yml fc.nc -o one/ --quiet --report one/report.json
run_polish 0 plan g.yml fc.nc -o out/ --shards 4 --quiet
if ! "$POLISH" run --plan out/plan.json --mpi --stage 2 --quiet 2>mpi.log; then
    if grep -q "built without MPI" mpi.log; then
        echo "SKIP: this polish was built without MPI (meson -Dmpi=enabled)" >&2
        exit 77
    fi
fi
rm -f out/.polish-shards/*

# 1. the tiles stage of a global model is marked, and refused as independent shards
check "the plan marks the tiles stage as communicating" /usr/bin/python3 - out/plan.json <<'PY'
import json, sys
st = json.load(open(sys.argv[1]))["stages"]
assert [s["name"] for s in st] == ["tiles", "join"], st
assert st[0].get("communicates") is True and "communicates" not in st[1], st
PY
run_polish 2 run --plan out/plan.json --stage 1 --shard 0
contains "$ERR" "mpirun -np 4"
check "no tile from a refused shard" test ! -e out/.polish-stages/0/1.0

# 2. all stages as one MPI job of 4 ranks (leak-checked): one process's file, byte for byte
mpi "$LEAK" -np 4 "$POLISH" run --plan out/plan.json --mpi --quiet >job.log 2>&1 ||
    { fail "mpirun -np 4 run --plan --mpi"; tail -20 job.log >&2; }
run_polish 0 merge out/plan.json --quiet
check "4 ranks: one process's file, byte for byte" cmp -s one/fc.nc out/fc.nc
# every rank fitted the same model, over every band's cases, holding only its own
check "the ranks' models are one process's" /usr/bin/python3 - out one/report.json <<'PY'
import glob, json, sys
def steps(x):
    if isinstance(x, dict):
        for k in ("measured", "inspect"):  # a step's, or a stage's done without loading
            if "global_a" in x.get(k, {}): yield x[k]
        for v in x.values(): yield from steps(v)
    elif isinstance(x, list):
        for v in x: yield from steps(v)
one = list(steps(json.load(open(sys.argv[2]))))
assert len(one) == 1 and one[0]["global_ranks"] == 1, one
ranks = []
for f in sorted(glob.glob(sys.argv[1] + "/.polish-shards/stage-1.shard-*.jsonl")):
    for line in open(f):
        ranks += list(steps(json.loads(line)))
assert len(ranks) == 4, ranks
keys = ["global_a", "global_b", "global_c", "global_d", "global_training_cases"]
for r in ranks:
    assert [r[k] for k in keys] == [one[0][k] for k in keys], (r, one[0])
    assert r["global_ranks"] == 4
assert sum(r["global_cases_here"] for r in ranks) == one[0]["global_training_cases"]
assert max(r["global_cases_here"] for r in ranks) < one[0]["global_training_cases"]
PY

# 3. 3 ranks (bands 2 + 2 + 2) give the same file
run_polish 0 plan g.yml fc.nc -o out3/ --shards 3 --quiet
mpi "$NOLEAK" -np 3 "$POLISH" run --plan out3/plan.json --mpi --quiet >job.log 2>&1 ||
    fail "mpirun -np 3"
check "3 ranks: one process's file" cmp -s one/fc.nc out3/fc.nc

# 4. a rank that fails inside the fit (its memory limit too low for its cases): every rank stops
# with its error, none waits, no tile is written
run_polish 0 plan g.yml fc.nc -o outf/ --shards 4 --quiet
mpi "$NOLEAK" -np 2 "$POLISH" run --plan outf/plan.json --mpi : -np 1 "$POLISH" run \
    --plan outf/plan.json --mpi --limit memory=8K : -np 1 "$POLISH" run --plan outf/plan.json --mpi \
    >job.log 2>&1
rc=$?
check "a failed rank fails the job" test "$rc" -ne 0 -a "$rc" -ne 124
contains job.log "stage 1 stopped: rank 2 of 4 failed:.*--limit memory"
check "every rank heard it" test "$(grep -c 'rank 2 of 4 failed' job.log)" -ge 4
check "no tile written after a failed fit" test -z "$(ls outf/.polish-stages/0/ 2>/dev/null)"
run_polish 1 merge outf/plan.json
# 5. a rank without its plan (a node that misses the shared file) fails before it reaches the fit
mpi "$NOLEAK" -np 3 "$POLISH" run --plan outf/plan.json --mpi : -np 1 "$POLISH" run \
    --plan "$T/nowhere/plan.json" --mpi >job.log 2>&1
rc=$?
check "a rank without its plan fails the job" test "$rc" -ne 0 -a "$rc" -ne 124
contains job.log "rank 3 of 4 failed:.*nowhere/plan.json"
# 6. a rank that dies (killed): mpirun stops the others, no hang
mpi "$NOLEAK" -np 3 "$POLISH" run --plan outf/plan.json --mpi : -np 1 sh -c 'kill -9 $$' \
    >job.log 2>&1
rc=$?
check "a killed rank fails the job without a hang" test "$rc" -ne 0 -a "$rc" -ne 124
# mpirun names the signal, or, when a peer has already failed in MPI_Init because the rank died,
# the non-zero exit it saw first (which of the two comes first is a race)
contains job.log "signal 9\|non-zero exit code"
# then the same job, run again, finishes: one process's file
mpi "$NOLEAK" -np 4 "$POLISH" run --plan outf/plan.json --mpi --quiet >job.log 2>&1 ||
    fail "rerun after failures"
run_polish 0 merge outf/plan.json --quiet
check "after the failures: one process's file" cmp -s one/fc.nc outf/fc.nc

# 7. a lost tile: the ranks fit together again, only the lost tile is written, the file is the same
before=$(stat -c %Y.%i outf/.polish-stages/0/1.0)
rm outf/.polish-stages/0/1.2 outf/fc.nc
mpi "$NOLEAK" -np 4 "$POLISH" run --plan outf/plan.json --mpi --quiet >job.log 2>&1 ||
    fail "rerun after a lost tile"
check "a tile in place is kept" test "$(stat -c %Y.%i outf/.polish-stages/0/1.0)" = "$before"
check "the lost tile is made again" test -s outf/.polish-stages/0/1.2
run_polish 0 merge outf/plan.json --quiet
check "after a lost tile: one process's file" cmp -s one/fc.nc outf/fc.nc
# the wrong number of ranks is refused by every rank
mpi "$NOLEAK" -np 2 "$POLISH" run --plan outf/plan.json --mpi >job.log 2>&1
check "2 ranks for 4 shards: refused" test $? -ne 0
contains job.log "run it as 4 MPI ranks"

finish
