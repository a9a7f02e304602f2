#!/usr/bin/env bash
# polish — forecast benchmarks, in one run against R's optim fitting the same EMOS model:
#  1. parity: global EMOS per lead on the Lorenz-96 test bed (polish forecast fit vs R optim)
#  2. fitting time per 10^6 training samples (one minimum-CRPS Gaussian EMOS fit)
#  3. per-grid-point EMOS on a synthetic 0.25-degree global grid (1,038,240 points, 30 training
#     days, 51 members), tile by tile on 2 threads; R on the first R_POINTS points, extrapolated
#  4. the station workflow: testbed, calibrate, verify (wall time)
#  5. a real tiled run: `polish forecast calibrate-grid` on a generated NetCDF global grid
#     (GRID_ROWS x GRID_COLS, 30 training days, 51 members: 6.4 GB of training data), peak memory
# Usage: POLISH=build/src/cli/polish bench/forecast/run.sh   (GRID_POINTS=... for a fraction)
set -euo pipefail
cd "$(dirname "$0")/../.."
POLISH=${POLISH:-$PWD/build/src/cli/polish}
BIN=$(dirname "$(dirname "$(readlink -f "$POLISH")")")/../tests/forecast/fc_bench
BIN=$(readlink -f "$BIN")
GRID_POINTS=${GRID_POINTS:-1038240}
GRID_ROWS=${GRID_ROWS:-721}
GRID_COLS=${GRID_COLS:-1440}
GEN=$(dirname "$BIN")/fc_gridgen
R_POINTS=${R_POINTS:-2000}
OUT=$PWD/bench/out/forecast
mkdir -p "$OUT"
[ -x "$BIN" ] || { echo "no $BIN: build the release tree first" >&2; exit 1; }
echo "machine: $(nproc) cores, $(uptime); R: $(R --version | head -1)"

echo "--- 1. parity on the test bed (global fit per lead, the test bed's default 1000 training inits x 40 stations)"
rm -rf "$OUT/tb"
"$POLISH" forecast testbed -o "$OUT/tb/" -q
"$POLISH" forecast fit --train "$OUT/tb/train.csv" --scope global -o "$OUT/tb/model.json" -q
Rscript bench/forecast/emos_optim.R "$OUT/tb/train.csv" > "$OUT/tb/r.txt"
python3 - "$OUT/tb/model.json" "$OUT/tb/r.txt" <<'PY'
import json, re, sys
fits = {f["lead_h"]: f for f in json.load(open(sys.argv[1]))["fits"]}
worst = 0
for line in open(sys.argv[2]):
    kv = dict(re.findall(r"(\w+)=([-\d.e]+)", line))
    f = fits[float(kv["lead_h"])]
    d = max(abs(f[k] - float(kv[k])) for k in "abcd")
    worst = max(worst, d)
    print("  lead %5s h: polish a=%.5f b=%.5f c=%.5f d=%.5f | R a=%.5f b=%.5f c=%.5f d=%.5f | max diff %.1e"
          % (kv["lead_h"], f["a"], f["b"], f["c"], f["d"], *(float(kv[k]) for k in "abcd"), d))
print("  parity: largest coefficient difference %.1e (%s to 4 decimals)" % (worst, "agrees" if worst < 5e-5 else "DIFFERS"))
PY

echo "--- 2. one fit on 10^6 samples"
S=$OUT/samples-1m.csv
[ -s "$S" ] || "$BIN" samples 1000000 "$S"
"$BIN" fit "$S" | sed 's/^/  /'
Rscript bench/forecast/emos_optim.R "$S" | sed 's/^/  /'

echo "--- 3. per-grid-point EMOS, $GRID_POINTS points x 30 days x 51 members, 2 threads"
/usr/bin/time -f "  wall %e s, user %U s, sys %S s, peak %M KB" "$BIN" grid "$GRID_POINTS" 30 51 2 "$OUT/grid-r.csv" "$R_POINTS" | sed 's/^/  /'
Rscript bench/forecast/emos_optim.R "$OUT/grid-r.csv" | sed 's/^/  /'

echo "--- 4. station workflow (polish CLI, wall time)"
cd "$OUT/tb"
/usr/bin/time -f "  calibrate: wall %e s, user %U s, sys %S s, peak %M KB" "$POLISH" forecast calibrate --train train.csv --apply test.csv -o out.csv --overwrite -q
/usr/bin/time -f "  verify:    wall %e s, user %U s, sys %S s, peak %M KB" "$POLISH" forecast verify out.csv -o scores.json --overwrite -q
python3 - scores.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for l in d["by_lead"]:
    print("  lead %4g h (%.1f MTU): CRPS raw %.4f (members' EDF %.4f), EMOS %.4f, skill %.1f%% vs the EDF (%.1f%% vs the fair CRPS)"
          % (l["lead_h"], l["lead_h"] / 120, l["raw"]["crps"], l["raw"]["crps_ensemble_edf"], l["calibrated"]["crps"],
             100 * l["calibrated"]["crps_skill_vs_raw_edf"], 100 * l["calibrated"]["crps_skill_vs_raw"]))
PY

echo "--- 5. calibrate-grid on a $GRID_ROWS x $GRID_COLS grid (30 days x 51 members), NetCDF, bands of --tile points"
G=$OUT/grid
mkdir -p "$G"
[ -s "$G/train.nc" ] || /usr/bin/time -f "  made the files: %e s" "$GEN" make "$G" "$GRID_ROWS" "$GRID_COLS" 30 51
du -h "$G/train.nc" "$G/fc.nc" | sed 's/^/  /'
rm -rf "$G/out"
/usr/bin/time -f "  calibrate-grid: wall %e s, user %U s, sys %S s, peak %M KB" \
    "$POLISH" forecast calibrate-grid "$G/fc.nc" --train "$G/train.nc" -o "$G/out/" -q -j 2
"$GEN" score "$G" "$G/out/fc.nc" | sed 's/^/  /'
