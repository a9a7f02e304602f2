#!/usr/bin/env bash
# polish — issue 12's methods on station tables, each where it must make a difference: extra
# predictor columns, regional fits, rolling training windows, one model for all leads, MOS, the
# decaying-average bias, maximum likelihood, the censored logistic for precipitation (with
# exceedance probabilities, and verify reading the distribution the table names) and the long form
# with a member column. Small tables made here (6 stations in two regions, 2 leads).
. "$(dirname "$0")/../cli/lib.sh"
POLISH=$(readlink -f "$POLISH")
cd "$T"

python3 - <<'PY'
import csv, math, random
random.seed(5)
def table(d0, nd, path, form="wide", precip=False):
    w = csv.writer(open(path, "w", newline=""))
    head = ["station", "region", "init_time", "lead_h", "obs", "z"]
    w.writerow(head + (["member", "value"] if form == "long" else ["ens_%d" % (j + 1) for j in range(8)]))
    for d in range(d0, d0 + nd):
        day = "2026-%02d-%02dT00:00Z" % (1 + d // 28, 1 + d % 28)
        for s in range(6):
            region = "north" if s < 3 else "south"
            for lead in (24, 48):
                t = 10 * math.sin(d / 20.0 + s) + random.gauss(0, 3)
                z = random.gauss(0, 1)                  # a predictor the members do not know
                bias = 2.0 if region == "north" else -2.0  # opposite biases by region
                y = t + 1.5 * z + random.gauss(0, 1)
                ens = [t + bias + random.gauss(0, 0.5) for _ in range(8)]
                if precip:
                    y = max(0.0, t / 3 + random.gauss(0, 1.5))
                    ens = [max(0.0, t / 3 + 1 + random.gauss(0, 0.3)) for _ in range(8)]
                row = ["s%d" % s, region, day, lead, "%.3f" % y, "%.3f" % z]
                if form == "long":
                    for j, e in enumerate(ens): w.writerow(row + [j + 1, "%.3f" % e])
                else:
                    w.writerow(row + ["%.3f" % e for e in ens])
table(0, 120, "train.csv"); table(120, 40, "test.csv")
table(0, 120, "train_long.csv", "long"); table(120, 40, "test_long.csv", "long")
table(0, 120, "ptrain.csv", precip=True); table(120, 40, "ptest.csv", precip=True)
PY
cat > score.py <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(d["overall"]["calibrated"]["crps"], d["overall"]["raw"]["crps"], d.get("distribution", ""))
PY
crps() { # crps OUT.csv -> "calibrated raw distribution"
    run_polish 0 forecast verify "$1" -o "$1.json" --plots false && python3 score.py "$1.json"
}

run_polish 0 forecast calibrate --train train.csv --apply test.csv -o base.csv
read -r base raw _ < <(crps base.csv)
check "default EMOS beats the biased raw ensemble" python3 -c "assert $base < 0.7 * $raw"

# extra predictor columns: z carries 1.5 units of signal the members lack
run_polish 0 forecast calibrate --train train.csv --apply test.csv -o pred.csv --predictors z
read -r pred _ < <(crps pred.csv)
check "the predictor z lowers the CRPS by a quarter" python3 -c "assert $pred < 0.75 * $base, ($pred, $base)"
run_polish 0 forecast fit --train train.csv --predictors z -o mz.json
python3 - <<'PY' || fail "z's coefficient near its 1.5"
import json
m = json.load(open("mz.json"))
assert m["predictors"] == ["z"], m["predictors"]
assert all(1.2 < f["beta"][0] < 1.8 for f in m["fits"]), [f["beta"] for f in m["fits"]]
PY
run_polish 1 forecast calibrate --train train.csv --apply test.csv -o nopred.csv --predictors w
contains "$ERR" "w"

# regional fits: one model per region (and lead), the global ones as fall-back
run_polish 0 forecast fit --train train.csv --scope regional -o mr.json
python3 - <<'PY' || fail "regional fits"
import json
fits = json.load(open("mr.json"))["fits"]
assert sorted((f["group"], f["lead_h"], f["n"]) for f in fits) == [
    ("*", 24, 720), ("*", 48, 720), ("north", 24, 360), ("north", 48, 360),
    ("south", 24, 360), ("south", 48, 360)], fits
a = {f["group"]: f["a"] for f in fits if f["lead_h"] == 24}
assert a["north"] < -1 and a["south"] > 1, a   # the opposite biases, removed
PY
run_polish 0 forecast calibrate --train train.csv --apply test.csv -o reg.csv --scope regional
python3 -c "
import csv; rows = list(csv.DictReader(open('reg.csv')))
assert len(rows) == 480 and all(r['model'] == 'regional' for r in rows), rows[0]" || fail "rows calibrated by their region's model"
read -r reg _ < <(crps reg.csv)
run_polish 0 forecast calibrate --train train.csv --apply test.csv -o glob.csv --scope global
read -r glob _ < <(crps glob.csv)
check "regional fits beat one global fit when regions differ" python3 -c "assert $reg < 0.8 * $glob, ($reg, $glob)"

# rolling training windows: each forecast's model is fitted on the N days before its init time;
# the test days are after the training days, so later forecasts have no cases in the window
run_polish 0 forecast calibrate --train train.csv --apply test.csv -o win.csv --window-days 20 --min-train 10
python3 - <<'PY' || fail "rolling window"
import csv
rows = list(csv.DictReader(open("win.csv")))
early = [r for r in rows if r["init_time"] < "2026-05-13"]   # within 20 days of the training's end
late = [r for r in rows if r["init_time"] >= "2026-06"]       # 20 days after it and later
assert early and all(r["model"] in ("local", "global") for r in early), early[0]
assert late and all(r["model"] == "raw" and "no model with enough training cases" in r["flag"] for r in late), late[0]
PY
run_polish 0 forecast fit --train train.csv --window-days 20 -o mw.json
python3 -c "
import json; m = json.load(open('mw.json'))
assert m['window_days'] == 20 and all(f['n'] <= 20 * 6 for f in m['fits']), m['fits']" || fail "window fits use the window's cases only"

# one model for every lead
run_polish 0 forecast fit --train train.csv --per-lead false -o m1.json
python3 -c "
import json; fits = json.load(open('m1.json'))['fits']
assert all(f['lead_h'] is None for f in fits) and len(fits) == 7, fits" || fail "per-lead false"

# MOS and the decaying-average bias correct the bias; maximum likelihood lands near minimum CRPS
for m in mos bias; do
    run_polish 0 forecast calibrate --train train.csv --apply test.csv -o $m.csv --method $m
    read -r s _ < <(crps $m.csv)
    check "$m beats the raw ensemble" python3 -c "assert $s < 0.8 * $raw, ($s, $raw)"
done
run_polish 0 forecast calibrate --train train.csv --apply test.csv -o mle.csv --estimator mle
read -r mle _ < <(crps mle.csv)
check "maximum likelihood within 3% of minimum CRPS" python3 -c "assert abs($mle - $base) < 0.03 * $base, ($mle, $base)"

# precipitation: the logistic censored at 0, exceedance probabilities, and verify scoring the
# distribution the table names (a Gaussian reading of the same mu and sigma scores far worse)
run_polish 0 forecast calibrate --train ptrain.csv --apply ptest.csv -o p.csv --distribution clogistic --thresholds 0,1
python3 - <<'PY' || fail "censored logistic output"
import csv
rows = list(csv.DictReader(open("p.csv")))
assert all(r["distribution"] == "clogistic" for r in rows if r["model"] == "local"), rows[0]
for r in rows:
    p0, p1 = float(r["p_gt_0"]), float(r["p_gt_1"])
    assert 0 <= p1 <= p0 <= 1, r
    assert all(float(r[q]) >= 0 for q in ("q05", "q50", "q95")), r   # no negative precipitation
assert any(float(r["p_gt_0"]) < 0.5 for r in rows) and any(float(r["p_gt_0"]) > 0.5 for r in rows)
PY
read -r pc praw pdist < <(crps p.csv)
check "verify reads the table's distribution" test "$pdist" = clogistic
check "censored logistic beats the raw precipitation ensemble" python3 -c "assert $pc < 0.8 * $praw, ($pc, $praw)"
run_polish 0 forecast verify p.csv --distribution gaussian -o pg.json --plots false --report pg_report.json
contains pg_report.json "calibrated as clogistic"
read -r pg _ < <(python3 score.py pg.json)
check "scored as Gaussian, the same numbers are worse" python3 -c "assert $pg > $pc, ($pg, $pc)"
# a table that names two distributions is refused
python3 - <<'PY'
import csv
rows = list(csv.reader(open("p.csv")))
i = rows[0].index("distribution")
rows[3][i] = "gaussian"
csv.writer(open("mixed.csv", "w", newline="")).writerows(rows)
PY
run_polish 1 forecast verify mixed.csv
contains "$ERR" "rows name different distributions"

# the long form: one row per member in, one row per case out, calibrated
run_polish 0 forecast calibrate --train train_long.csv --apply test_long.csv -o long.csv
check "one row per case" test "$(($(wc -l < long.csv) - 1))" -eq 480
head -1 long.csv | grep -q '^station,region,init_time,lead_h,obs,z,ens_1,.*,ens_8,mu,sigma,q05,' || fail "long form header"
read -r lc lraw _ < <(crps long.csv)
check "long form calibrated" python3 -c "assert $lc < 0.7 * $lraw, ($lc, $lraw)"
finish
