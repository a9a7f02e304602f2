#!/usr/bin/env bash
# polish — a gridded calibration split into tiles across shards (docs/SCALE.md): `polish plan`
# makes two stages, "tiles" (one part per shard: its share of the bands of rows, fitted and
# applied) and "join" (the output written from the tiles); under GNU parallel with 4 workers the
# output is one process's, byte for byte, per grid point and per box; the join reads the tiles
# (a tampered tile shows in the output); a lost tile is rerun; a file that is not a grid is refused
# by the plan.
. "$(dirname "$0")/../cli/lib.sh"
POLISH=$(readlink -f "$POLISH")
GRID_TEST=$(readlink -f "$(dirname "$0")/test_grid.sh")
cd "$T"
# the synthetic 6 x 8 ensemble of test_grid.sh (40 training days, 5 forecast days, 10 members)
sed -n '/^cat > gen.py/,/^ncgen/p' "$GRID_TEST" > make.sh
bash make.sh || fail "fixtures"

# run_plan OUT SHARDS STEP-ARGS: plan, both stages under parallel (4 workers), merge
run_plan() {
    printf 'domain: forecast\nsteps:\n  - calibrate-grid: {train: %s, %s}\n' "$T/train.nc" "$3" > "$1.yml"
    run_polish 0 plan "$1.yml" fc.nc -o "$1/" --shards "$2" --quiet
    for S in 1 2; do
        parallel -j 4 "$POLISH" run --plan "$1/plan.json" --stage $S --shard {} --quiet ::: $(seq 0 $(($2 - 1))) ||
            fail "$1: stage $S"
    done
    run_polish 0 merge "$1/plan.json" --quiet
}

if ! command -v parallel >/dev/null; then
    echo "SKIP: GNU parallel is not installed" >&2
    exit 77
fi

# 1. per grid point, bands of one row (6 bands over 4 shards)
run_plan out 4 'tile: 8, thresholds: 12'
check "two stages: tiles (one part per shard), join" /usr/bin/python3 - out/plan.json <<'PY'
import json, sys
st = json.load(open(sys.argv[1]))["stages"]
assert [s["name"] for s in st] == ["tiles", "join"], st
assert [len(s["items"]) for s in st] == [4, 1]
assert sorted(it["shard"] for it in st[0]["items"]) == [0, 1, 2, 3]
PY
run_polish 0 forecast calibrate-grid fc.nc --train train.nc -o one/ --tile 8 --thresholds 12 --quiet
check "tiles joined: one process's file, byte for byte" cmp -s one/fc.nc out/fc.nc
check "every tile wrote its bands" test "$(ls out/.polish-stages/0/1.* | wc -l)" -eq 4

# 2. regional boxes of 2 x 2, 3 bands over 4 shards (one shard has none)
run_plan outr 4 'scope: regional, box: 2, tile: 16'
run_polish 0 forecast calibrate-grid fc.nc --train train.nc -o oner/ --scope regional --box 2 --tile 16 --quiet
check "boxes in tiles: one process's file" cmp -s oner/fc.nc outr/fc.nc

# 3. the join writes what the tiles computed: a tampered tile shows in the output
cp out/.polish-stages/0/1.2 tile.bak
/usr/bin/python3 - out/.polish-stages/0/1.2 <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
at = len("polish-forecast-tile 1\n") + 48 + 4 * 5  # a member value of the tile's first band
b[at:at + 4] = struct.pack("<f", 1234.5)
open(sys.argv[1], "wb").write(bytes(b))
PY
rm out/fc.nc
"$POLISH" run --plan out/plan.json --stage 2 --shard 0 --quiet || fail "join after tampering"
check "the join reads the tiles (not the forecast again)" test "$(cmp -s one/fc.nc out/fc.nc; echo $?)" -eq 1

# 4. a lost tile: merge names it; rerun its shard and the join: one process's file again
cp tile.bak out/.polish-stages/0/1.2
rm out/.polish-stages/0/1.1 out/fc.nc
run_polish 1 merge out/plan.json
contains "$ERR" "1.1"
before=$(stat -c %Y.%i out/.polish-stages/0/1.0)
parallel -j 4 "$POLISH" run --plan out/plan.json --stage 1 --shard {} --quiet ::: 0 1 2 3 || fail "rerun tiles"
check "a tile in place is not made again" test "$(stat -c %Y.%i out/.polish-stages/0/1.0)" = "$before"
"$POLISH" run --plan out/plan.json --stage 2 --shard 0 --quiet || fail "rerun join"
run_polish 0 merge out/plan.json --quiet
check "after a lost tile: one process's file" cmp -s one/fc.nc out/fc.nc

# 5. a station table is not a grid: the plan refuses it (as every shard would), and writes no plan
printf 'station,init_time,lead_h,obs,ens_1,ens_2\nA,2024-01-01T00:00Z,24,1.0,1.1,0.9\n' > st.csv
printf 'domain: forecast\nsteps:\n  - calibrate-grid: {train: %s, scope: global, tile: 8}\n' "$T/train.nc" > st.yml
run_polish 3 plan st.yml st.csv -o stplan/ --shards 2 --quiet
contains "$ERR" "st.csv is neither GRIB nor NetCDF"
check "no plan for a station table" test ! -e stplan/plan.json

finish
