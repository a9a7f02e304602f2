#!/usr/bin/env bash
# polish — forecast calibrate-grid: a gridded ensemble calibrated band by band (NetCDF-CF and GRIB
# in, the same format out), per grid point and per box; scored against the held-back observations;
# bands of one row give the same file as one band; round trip through extract; bad input.
. "$(dirname "$0")/../cli/lib.sh"
POLISH=$(readlink -f "$POLISH")
cd "$T"
E=/usr/share/doc/python-grib-doc/examples

# A synthetic ensemble on a 6 x 8 grid: a signal, a bias growing across the grid, an error shared
# by the members and too little spread; 40 training days, 5 forecast days, 10 members.
cat > gen.py <<'PY'
import math, random, sys
random.seed(7)
NY, NX, D, M, T = 6, 8, 40, 10, 5
def cases(nd, d0):
    ens, obs = [], []
    for d in range(d0, d0 + nd):
        e = [[0.0] * (NY * NX) for _ in range(M)]
        o = [0.0] * (NY * NX)
        for p in range(NY * NX):
            sig = 10 + 5 * math.sin(d / 5.0 + p * 0.1)
            err = random.gauss(0, 2.0)
            o[p] = sig + random.gauss(0, 0.5)
            for m in range(M):
                e[m][p] = sig + 1.5 + 0.05 * p + err + random.gauss(0, 0.5)
        ens.append(e)
        obs.append(o)
    return ens, obs
tr_e, tr_o = cases(D, 0)
fc_e, fc_o = cases(T, D)
def cdl(name, ens, obs):
    nd = len(ens)
    s = ["netcdf %s {" % name, "dimensions:",
         " time = %d ; number = %d ; lat = %d ; lon = %d ;" % (nd, M, NY, NX), "variables:",
         ' double time(time) ; time:units = "days since 2026-01-01 00:00" ;', " int number(number) ;",
         " float lat(lat) ; float lon(lon) ;", ' float t2m(time, number, lat, lon) ;']
    if obs: s.append(" float obs(time, lat, lon) ;")
    s += ["data:", " time = " + ", ".join(str(i) for i in range(nd)) + " ;",
          " number = " + ", ".join(str(i) for i in range(M)) + " ;",
          " lat = " + ", ".join(str(40 + i) for i in range(NY)) + " ;",
          " lon = " + ", ".join(str(i) for i in range(NX)) + " ;",
          " t2m = " + ", ".join("%.4f" % v for d in ens for m in d for v in m) + " ;"]
    if obs: s.append(" obs = " + ", ".join("%.4f" % v for d in obs for v in d) + " ;")
    return "\n".join(s + ["}"])
open("train.cdl", "w").write(cdl("train", tr_e, tr_o))
open("fc.cdl", "w").write(cdl("fc", fc_e, None))
open("fc_obs.txt", "w").write("\n".join(" ".join("%.4f" % v for v in d) for d in fc_o))
PY
python3 gen.py
ncgen -o train.nc train.cdl && ncgen -o fc.nc fc.cdl

# reads a variable of a NetCDF file (ncdump) and scores against fc_obs.txt
cat > score.py <<'PY'
import math, subprocess, sys
def ncvar(path, var):
    out = subprocess.run(["ncdump", "-v", var, "-p", "9,17", path], capture_output=True,
                         text=True, check=True).stdout
    body = out.split("data:")[1].split("\n " + var + " =")[1].split(";")[0]
    return [float("nan") if v.strip() in ("_", "NaNf", "NaN") else float(v)
            for v in body.replace("\n", " ").split(",") if v.strip()]
def crps_gauss(mu, s, y):
    z = (y - mu) / s
    return s * (z * math.erf(z / math.sqrt(2)) + 2 * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
                - 1 / math.sqrt(math.pi))
def crps_ens(x, y):
    m = len(x)
    return sum(abs(a - y) for a in x) / m - sum(abs(a - b) for a in x for b in x) / (2 * m * m)
obs = [[float(v) for v in l.split()] for l in open("fc_obs.txt")]
PY

# 1. per grid point: every point calibrated, CRPS of the held-back days far below the raw one
run_polish 0 forecast calibrate-grid fc.nc --train train.nc -o out/ --thresholds 12 --json
contains "$OUT" '"points_calibrated": 48'
contains "$OUT" '"streamed": true'
python3 - <<'PY' || fail "NetCDF output scores"
exec(open("score.py").read())
NY, NX, M, T = 6, 8, 10, 5
n = NY * NX
raw = ncvar("fc.nc", "t2m")
mu, sd = ncvar("out/fc.nc", "t2m_mu"), ncvar("out/fc.nc", "t2m_sigma")
ecc = ncvar("out/fc.nc", "t2m")
q = ncvar("out/fc.nc", "t2m_quantile")
pgt = ncvar("out/fc.nc", "t2m_p_gt")
flag = ncvar("out/fc.nc", "t2m_calibrated")
assert len(mu) == T * n and len(ecc) == T * M * n and len(q) == T * 19 * n and len(pgt) == T * n
assert all(f == 1 for f in flag), flag
c_raw = c_cal = 0
for t in range(T):
    for p in range(n):
        y = obs[t][p]
        mem = [raw[(t * M + m) * n + p] for m in range(M)]
        c_raw += crps_ens(mem, y)
        c_cal += crps_gauss(mu[t * n + p], sd[t * n + p], y)
        # ECC keeps the raw members' order; the quantiles rise; P(> 12) agrees with mu, sigma
        cal = [ecc[(t * M + m) * n + p] for m in range(M)]
        assert sorted(range(M), key=lambda m: mem[m]) == sorted(range(M), key=lambda m: cal[m])
        qs = [q[(t * 19 + k) * n + p] for k in range(19)]
        assert all(a < b for a, b in zip(qs, qs[1:])), qs
        z = (12 - mu[t * n + p]) / sd[t * n + p]
        assert abs(pgt[t * n + p] - 0.5 * math.erfc(z / math.sqrt(2))) < 1e-5
skill = 1 - c_cal / c_raw
print("CRPS raw %.4f calibrated %.4f skill %.3f" % (c_raw / (T * n), c_cal / (T * n), skill))
assert skill > 0.3, skill
PY

# 2. bands of one row (8 points) give the very same file
run_polish 0 forecast calibrate-grid fc.nc --train train.nc -o out1/ --thresholds 12 --tile 8 --json
contains "$OUT" '"bands": 6'
check "one-row bands = one band" cmp -s out/fc.nc out1/fc.nc

# 3. regional boxes of 2 x 2 points, the truncated normal (temperatures are far from 0 here)
run_polish 0 forecast calibrate-grid fc.nc --train train.nc -o outr/ --scope regional --box 2 --tile 16 --json
contains "$OUT" '"bands": 3'
contains "$OUT" '"points_calibrated": 48'
run_polish 0 forecast calibrate-grid fc.nc --train train.nc -o outt/ --distribution truncnormal --json
python3 - <<'PY' || fail "regional and truncated-normal outputs"
exec(open("score.py").read())
a, b = ncvar("out/fc.nc", "t2m_mu"), ncvar("outr/fc.nc", "t2m_mu")
assert a != b and max(abs(x - y) for x, y in zip(a, b)) < 2, "boxes pool neighbours: close, not equal"
c, q = ncvar("outt/fc.nc", "t2m_mu"), ncvar("outt/fc.nc", "t2m_quantile")
assert max(abs(x - y) for x, y in zip(a, c)) < 0.5, "most mass far above 0: locations close"
assert min(q) >= 0 and min(q) < min(ncvar("out/fc.nc", "t2m_quantile")) + 1, "quantiles on [0, inf)"
PY

# 4. round trip: the calibrated members read back at a grid point by extract
printf 'station,lat,lon\np,42,3\n' > st.csv
run_polish 0 forecast extract --grid out/fc.nc --stations st.csv --variable t2m -o x.csv
python3 - <<'PY' || fail "extract reads the calibrated members back"
import csv
exec(open("score.py").read())
ecc = ncvar("out/fc.nc", "t2m")
rows = list(csv.DictReader(open("x.csv")))
assert len(rows) == 5, rows
p = 2 * 8 + 3
for t, r in enumerate(rows):
    for m in range(10):
        assert abs(float(r["ens_%d" % (m + 1)]) - ecc[(t * 10 + m) * 48 + p]) < 1e-4
PY

# 5. too few training cases: the raw ensemble passes through, flagged
run_polish 0 forecast calibrate-grid fc.nc --train train.nc -o outm/ --min-train 100 --json
contains "$OUT" "raw ensemble is passed through"
python3 - <<'PY' || fail "raw ensemble passed through"
exec(open("score.py").read())
assert all(f == 0 for f in ncvar("outm/fc.nc", "t2m_calibrated"))
a, b = ncvar("fc.nc", "t2m"), ncvar("outm/fc.nc", "t2m")
assert max(abs(x - y) for x, y in zip(a, b)) < 1e-4
PY

# 6. GRIB: real GRIB2 (python-grib-doc's 2 m temperature, 16 x 31 regular grid) made into an
# ensemble with grib_filter: training forecasts at step 24 h, analyses valid a day later (--obs,
# matched by valid time), a forecast file; written back as the calibrated members.
python3 - "$E/regular_latlon_surface.grib2" <<'PY'
import math, random
random.seed(3)
n, D, M, T = 496, 25, 6, 3
def day(d): return 20260101 + d
rules = {"train": [], "obs": [], "fc": []}
for d in range(D + T):
    sig = [280 + 8 * math.sin(d / 4.0 + p * 0.05) for p in range(n)]
    err = [random.gauss(0, 1.5) for _ in range(n)]
    o = [s + random.gauss(0, 0.4) for s in sig]
    kind = "train" if d < D else "fc"
    for m in range(1, M + 1):
        v = [s + 2.0 + e + random.gauss(0, 0.3) for s, e in zip(sig, err)]
        rules[kind].append("set productDefinitionTemplateNumber = 1; set typeOfGeneratingProcess = 4; "
                           "set numberOfForecastsInEnsemble = %d; set perturbationNumber = %d; "
                           "set dataDate = %d; set forecastTime = 24; set values = {%s}; "
                           "write \"%s.grib2\";" % (M, m, day(d), ",".join("%.3f" % x for x in v), kind))
    rules["obs"].append("set dataDate = %d; set forecastTime = 0; set values = {%s}; write \"obs.grib2\";"
                        % (day(d + 1), ",".join("%.3f" % x for x in o)))
    if kind == "fc":
        open("fc_obs_grib.txt", "a").write(" ".join("%.3f" % x for x in o) + "\n")
for k, r in rules.items():
    open(k + ".rules", "w").write("\n".join(r) + "\n")
PY
for k in train obs fc; do grib_filter $k.rules "$E/regular_latlon_surface.grib2" || fail "grib_filter $k"; done
run_polish 0 forecast calibrate-grid fc.grib2 --train train.grib2 --obs obs.grib2 -o gout/ --json --thresholds 280,285.5
contains "$OUT" '"points_calibrated": 496'
contains "$OUT" '"training_times_with_obs": 25'
contains "$OUT" '"training_grib_messages_decoded": 178'
K=shortName,perturbationNumber,dataDate,stepRange,Ni,Nj,bitsPerValue
check "the same messages come back" test "$(grib_get -w productDefinitionTemplateNumber=1 -p $K gout/fc.grib2)" = "$(grib_get -p $K fc.grib2)"
# bands of 3 rows: each training and analysis message decoded once (not once per band), the
# same output as one band
run_polish 0 forecast calibrate-grid fc.grib2 --train train.grib2 --obs obs.grib2 -o gout8/ --json --thresholds 280,285.5 --tile 62
contains "$OUT" '"bands": 11'
contains "$OUT" '"training_grib_messages_decoded": 178'
check "bands of rows give the same GRIB output" cmp -s gout/fc.grib2 gout8/fc.grib2
# mu, sigma, quantiles and probabilities as GRIB2 products: template 4.2 (derivedForecast 0 and 2),
# 4.6 (percentileValue), 4.5 (probability above a lower limit, percent)
python3 - <<'PY' || fail "GRIB mu, sigma, quantiles and probabilities"
import math, subprocess
keys = "productDefinitionTemplateNumber,derivedForecast,percentileValue,probabilityType,scaleFactorOfLowerLimit,scaledValueOfLowerLimit,dataDate,stepRange,shortName"
meta = [l.split() for l in subprocess.run(["grib_get", "-f", "-p", keys, "gout/fc.grib2"], capture_output=True, text=True, check=True).stdout.splitlines()]
out = subprocess.run(["grib_get_data", "gout/fc.grib2"], capture_output=True, text=True, check=True).stdout
f, cur = [], None
for line in out.splitlines():
    if line.startswith("Latitude"):
        cur = []
        f.append(cur)
    elif line.strip():
        cur.append(float(line.split()[2]))
M, T, n, E = 6, 3, 496, 2 + 19 + 2
assert len(meta) == len(f) == T * M + T * E, (len(meta), len(f))
for t in range(T):
    x = [(meta[T * M + t * E + j], f[T * M + t * E + j]) for j in range(E)]
    (m0, mu), (m1, sg) = x[0], x[1]
    assert m0[0] == "2" and m0[1] == "0" and m1[0] == "2" and m1[1] == "2", (m0, m1)
    assert all(m[6] == meta[t * M][6] and m[7] == "24" and m[8] == "2t" for m, _ in x), x
    q = {}
    for m, v in x[2:21]:
        assert m[0] == "6", m
        q[int(m[2])] = v
    assert sorted(q) == list(range(5, 100, 5)), sorted(q)
    probs = x[21:]
    assert [(m[0], m[3], m[4], m[5]) for m, _ in probs] == [("5", "3", "0", "280"), ("5", "3", "1", "2855")], probs
    for p in range(n):
        assert sg[p] > 0
        assert abs(q[50][p] - mu[p]) < 0.02, (q[50][p], mu[p])          # Gaussian: median = mean
        assert q[5][p] < q[50][p] < q[95][p]
        assert abs((q[95][p] - q[5][p]) / (2 * 1.6449) - sg[p]) < 0.02  # the quantiles are mu +- z sigma
        for (m, v), th in zip(probs, (280, 285.5)):
            want = 100 * 0.5 * math.erfc((th - mu[p]) / (sg[p] * math.sqrt(2)))
            assert abs(v[p] - want) < 0.5, (v[p], want)
print("GRIB products: mu, sigma, 19 quantiles, 2 probabilities per time, consistent")
PY
python3 - <<'PY' || fail "GRIB calibrated members score better"
import subprocess
def fields(path):
    out = subprocess.run(["grib_get_data", path], capture_output=True, text=True, check=True).stdout
    f, cur = [], None
    for line in out.splitlines():
        if line.startswith("Latitude"):
            cur = []
            f.append(cur)
        elif line.strip():
            cur.append(float(line.split()[2]))
    return f
raw, cal = fields("fc.grib2"), fields("gout/fc.grib2")
obs = [[float(v) for v in l.split()] for l in open("fc_obs_grib.txt")]
M, T, n = 6, 3, 496
cal = cal[:M * T]  # the members; mu, sigma, quantiles and probabilities follow
assert len(raw) == M * T and all(len(x) == n for x in cal)
def crps(x, y):
    m = len(x)
    return sum(abs(a - y) for a in x) / m - sum(abs(a - b) for a in x for b in x) / (2 * m * m)
# messages are in the file's order: day by day, members 1..M
cr = cc = 0
for t in range(T):
    for p in range(n):
        cr += crps([raw[t * M + m][p] for m in range(M)], obs[t][p])
        cc += crps([cal[t * M + m][p] for m in range(M)], obs[t][p])
print("GRIB ensemble CRPS raw %.4f calibrated %.4f" % (cr / (T * n), cc / (T * n)))
assert cc < 0.7 * cr, (cr, cc)
PY

# 7. bad input: a GRIB file of another variable, GRIB training without analyses, grids that
# differ, a file that is not a grid
run_polish 1 forecast calibrate-grid fc.grib2 --train train.grib2 --obs obs.grib2 --variable 10u -o bad/
contains "$ERR" "holds no 10u (it holds: 2t)"
run_polish 1 forecast calibrate-grid fc.grib2 --train train.grib2 -o bad/
contains "$ERR" "give the verifying analyses with --obs"
run_polish 1 forecast calibrate-grid fc.nc --train train.grib2 --obs obs.grib2 -o bad/
contains "$ERR" "is not the forecast grid"
printf 'station,init_time,lead_h,obs,ens_1\na,2026-01-01,24,1,2\n' > t.csv
run_polish 1 forecast calibrate-grid t.csv --train train.nc -o bad/
contains "$ERR" "neither GRIB nor NetCDF"
check "nothing written for failed items" test ! -e bad/fc.grib2 -a ! -e bad/fc.nc
run_polish 1 forecast verify fc.nc
contains "$ERR" "a gridded ensemble: 'verify' reads station tables"

# 8. the automatic fix leaves gridded files and station tables exactly as they were
mkdir fixin && cp fc.nc fc.grib2 t.csv fixin/
run_polish 0 fix fixin/ -o fixout/
for f in fc.nc fc.grib2 t.csv; do check "fix leaves $f as it was" cmp -s fixin/$f fixout/$f; done
finish
