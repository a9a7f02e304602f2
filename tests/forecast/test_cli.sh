#!/usr/bin/env bash
# polish — forecast from the command line: the test bed, calibrate, verify, fit + apply, and bad
# input (missing obs, NaN members, duplicates, unsorted times, unknown stations, broken cells,
# a contact list that must stay with records).
. "$(dirname "$0")/../cli/lib.sh"
POLISH=$(readlink -f "$POLISH")
cd "$T"

# the test bed (small) — the exact commands checked from outside
run_polish 0 forecast testbed --train-inits 60 --test-inits 30 -o dir/
check "train.csv and test.csv written" test -s dir/train.csv -a -s dir/test.csv
head -1 dir/train.csv | grep -q '^station,init_time,lead_h,obs,ens_1,' || fail "train.csv header"
cp dir/train.csv train.csv
cp dir/test.csv test.csv
check "train rows: 60 inits x 40 stations x 4 leads" test "$(($(wc -l < train.csv) - 1))" -eq 9600

run_polish 0 forecast calibrate --train train.csv --apply test.csv -o out.csv
check "every test row is in out.csv" test "$(wc -l < out.csv)" -eq "$(wc -l < test.csv)"
# the test table's columns come back unchanged, first
n=$(head -1 test.csv | tr ',' '\n' | wc -l)
cut -d, -f1-"$n" out.csv > cols.csv
check "input columns unchanged" cmp -s cols.csv test.csv
head -1 out.csv | grep -q ',mu,sigma,q05,q10,' || fail "mu, sigma, q05 ... in the header"
head -1 out.csv | grep -q ',q95,' || fail "q95 in the header"
head -1 out.csv | grep -q ',ecc_1,' || fail "ECC members in the header"

run_polish 0 forecast verify out.csv --json
python3 - "$OUT" <<'PY' || fail "verify document"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["calibrated"] and d["rows"] == 4800, d
ov = d["overall"]
assert ov["calibrated"]["crps_skill_vs_raw"] > 0.15, ov
assert 0.8 < ov["calibrated"]["spread_skill_ratio"] < 1.2, ov
assert ov["raw"]["spread_skill_ratio"] < 0.5, ov   # the raw ensemble is under-dispersed
assert len(d["by_lead"]) == 4
assert len(d["rank_histogram"]) == 21 and len(d["pit_histogram"]) == 10
assert len(d["thresholds"]) == 3 and all(0 <= t["brier"] <= 1 for t in d["thresholds"])
PY
# the report carries the plots as PNG
run_polish 0 forecast verify out.csv --report r.json -o scores.json
python3 - r.json scores.json <<'PY' || fail "figures in the report"
import json, sys, base64
r = json.load(open(sys.argv[1]))
figs = [f for it in r["items"] for s in it["steps"] for f in s.get("figures", [])]
assert len(figs) >= 3, len(figs)
assert all(base64.b64decode(f["base64"])[:8] == b"\x89PNG\r\n\x1a\n" for f in figs)
assert "overall" in json.load(open(sys.argv[2]))
PY

# fit + apply give what calibrate gives
run_polish 0 forecast fit --train train.csv -o model.json
python3 -c "import json,sys; d=json.load(open('model.json')); assert d['format']=='polish-forecast-model' and len(d['fits'])==40*4+4" || fail "model.json"
# the form written in issue 12 (the model first, positionally), and the --model form
run_polish 0 forecast apply model.json test.csv -o out2.csv
check "fit + apply model.json F.csv = calibrate" cmp -s out.csv out2.csv
run_polish 0 forecast apply --model model.json test.csv -o out3.csv
check "apply --model gives the same" cmp -s out.csv out3.csv

# unsorted training rows fit the same model
(head -1 train.csv; tail -n +2 train.csv | sort -t, -k4,4) > shuffled.csv
run_polish 0 forecast fit --train shuffled.csv -o model2.json
python3 - model.json model2.json <<'PY' || fail "unsorted training gives the same model"
import json, sys
a, b = (json.load(open(p))["fits"] for p in sys.argv[1:])
for x, y in zip(a, b):
    for k in "abcd":
        if k in x: assert abs(x[k] - y[k]) < 1e-6, (x, y)
PY

# bad rows: missing obs and duplicates in training, NaN members and an unknown station to apply
python3 - <<'PY'
import csv
rows = list(csv.reader(open("train.csv")))
for r in rows[1:200]: r[3] = ""               # missing observations
rows += rows[500:520]                          # duplicated rows
csv.writer(open("bad_train.csv", "w", newline="")).writerows(rows)
rows = list(csv.reader(open("test.csv")))
rows[1][0] = "nowhere"                         # a station without training data
rows[2][5] = "NaN"                             # one missing member
for i in range(4, 24): rows[3][i] = ""         # no members at all
csv.writer(open("bad_test.csv", "w", newline="")).writerows(rows)
PY
run_polish 0 forecast calibrate --train bad_train.csv --apply bad_test.csv -o bad_out.csv --json
contains "$OUT" "without an observation left out"
contains "$OUT" "repeat an earlier"
contains "$OUT" "raw ensemble is passed through"
python3 - <<'PY' || fail "flags in bad_out.csv"
import csv
rows = list(csv.DictReader(open("bad_out.csv")))
assert len(rows) == 4800
assert rows[0]["model"] == "raw" and "no training data for station nowhere" in rows[0]["flag"], rows[0]
assert rows[1]["model"] == "local" and rows[1]["mu"] and rows[1]["ecc_2"] == "", rows[1]
assert rows[2]["model"] == "none" and rows[2]["flag"] == "no members" and rows[2]["mu"] == ""
PY

# broken cells: a clear error naming the line
sed '5s/^\([^,]*,[^,]*,[^,]*,\)[^,]*/\1warm/' test.csv > broken.csv
run_polish 1 forecast verify broken.csv
contains "$ERR" "line 5: obs 'warm' is not a number"
# a limit on members
run_polish 1 forecast verify test.csv --limit members=10
contains "$ERR" "over the limit"
run_polish 1 forecast verify test.csv --limit memory=500K
contains "$ERR" "a station table of 4800 rows x 20 members needs about"
# a calibrated table again: refused, not overwritten
run_polish 1 forecast calibrate --train train.csv --apply out.csv -o again.csv
contains "$ERR" "already has a column"

# a contact list stays with records; a forecast op on it says what it is
printf 'name,email,city\nAnn Lee,ann@example.com,Leeds\nBo Chan,bo@example.com,York\n' > contacts.csv
run_polish 1 forecast verify contacts.csv
contains "$ERR" "records data"
run_polish 0 records standardise contacts.csv -o c_out.csv --json
contains "$OUT" '"domain": "records"'

# gridded ensembles at stations: real GRIB (python-grib-doc's TIGGE and GFS files), NetCDF-CF made
# here with ncgen; a file without the variable names what it holds
E=/usr/share/doc/python-grib-doc/examples
printf 'station,lat,lon\nreading,51.44,-0.94\nbergen,60.39,5.32\nnyc,40.71,-74.0\n' > st.csv
run_polish 0 forecast extract --grid "$E/ecmwf_tigge.grb" --stations st.csv --variable 2t -o x.csv
python3 - <<'PY' || fail "2 m temperature from TIGGE at three stations"
import csv
rows = list(csv.DictReader(open("x.csv")))
assert [r["station"] for r in rows] == ["reading", "bergen", "nyc"], rows
assert all(r["init_time"] == "2007-05-05T00:00:00Z" and r["lead_h"] == "120" for r in rows)
t = {r["station"]: float(r["ens_1"]) for r in rows}
assert 270 < t["bergen"] < t["reading"] < t["nyc"] < 310, t   # kelvin, north colder in May
PY
run_polish 1 forecast extract --grid "$E/gfs.grb" --stations st.csv --variable 10fg -o y.csv
contains "$ERR" "holds no 10fg (it holds: gh, t, r, u, v"
run_polish 0 forecast extract --grid "$E/gfs.grb" --stations st.csv --variable t --level 850 -o y.csv
check "GFS t at 850 hPa: one row per station" test "$(wc -l < y.csv)" -eq 4
cat > ens.cdl <<'CDL'
netcdf ens {
dimensions:
  time = 2 ; number = 3 ; lat = 3 ; lon = 4 ;
variables:
  double time(time) ; time:units = "hours since 2026-01-01 00:00" ;
  int number(number) ;
  float lat(lat) ; float lon(lon) ;
  double forecast_reference_time ; forecast_reference_time:units = "hours since 2026-01-01 00:00" ;
  short t2m(time, number, lat, lon) ; t2m:standard_name = "air_temperature" ;
    t2m:scale_factor = 0.01 ; t2m:add_offset = 273.15 ; t2m:_FillValue = -32767s ;
data:
  time = 24, 48 ; number = 0, 1, 2 ; lat = 40, 50, 60 ; lon = 0, 90, 180, 270 ;
  forecast_reference_time = 0 ;
  t2m = 100, 101, 102, 103, 110, 111, 112, 113, 120, 121, 122, 123,
        200, 201, 202, 203, 210, 211, 212, 213, 220, 221, 222, 223,
        300, 301, 302, 303, 310, 311, 312, 313, 320, 321, 322, -32767,
        400, 401, 402, 403, 410, 411, 412, 413, 420, 421, 422, 423,
        500, 501, 502, 503, 510, 511, 512, 513, 520, 521, 522, 523,
        600, 601, 602, 603, 610, 611, 612, 613, 620, 621, 622, 623 ;
}
CDL
ncgen -k nc4 -o ens.nc ens.cdl
printf 'station,lat,lon\na,49,89\nb,61,-91\n' > st2.csv
run_polish 0 forecast extract --grid ens.nc --stations st2.csv --variable air_temperature -o n.csv
# nearest points (50N 90E; 60N 270E), scale and offset applied, the fill value empty
cat > n_want.csv <<'CSV'
station,init_time,lead_h,obs,lat,lon,ens_1,ens_2,ens_3
a,2026-01-01T00:00:00Z,24,,49,89,274.26,275.26,276.26
a,2026-01-01T00:00:00Z,48,,49,89,277.26,278.26,279.26
b,2026-01-01T00:00:00Z,24,,61,-91,274.38,275.38,
b,2026-01-01T00:00:00Z,48,,61,-91,277.38,278.38,279.38
CSV
check "NetCDF-CF ensemble at two stations" cmp -s n.csv n_want.csv
run_polish 1 forecast extract --grid ens.nc --stations st2.csv --variable precip -o n2.csv
contains "$ERR" "holds no variable precip (it holds: t2m)"
# polish fix on a station table: self-calibration from the table's own observations (each
# forecast by a model of the days before it, observed by then), kept only when it scores better
run_polish 0 fix train.csv -o fixed/ --report fr.json
/usr/bin/python3 - fr.json fixed/train.csv train.csv <<'PY' || fail "fix self-calibrates an under-dispersed ensemble"
import csv, json, sys
r = json.load(open(sys.argv[1]))
s = [s for s in r["items"][0]["steps"] if s["op"] == "forecast.self-calibrate"][0]
m = s["measured"]
assert not s.get("declined"), s
assert m["crps_skill_vs_raw"] > 0.10 and m["spread_skill_calibrated"] > 0.7, m
assert any("calibrated (EMOS" in d for d in s["decisions"]), s["decisions"]
out = list(csv.DictReader(open(sys.argv[2])))
inp = list(csv.DictReader(open(sys.argv[3])))
assert len(out) == len(inp) and "mu" in out[0] and "sigma" in out[0]
assert all(o["obs"] == i["obs"] and o["ens_1"] == i["ens_1"] for o, i in zip(out, inp))
PY
# no look-ahead: a forecast is calibrated only from cases observed by its init time, so where no
# earlier case of its lead was observed yet (init - first init < lead) it passes raw
/usr/bin/python3 - fixed/train.csv <<'PY' || fail "a forecast was calibrated with data it could not have had"
import csv, sys
from datetime import datetime
rows = list(csv.DictReader(open(sys.argv[1])))
t = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").timestamp()
t0 = min(t(r["init_time"]) for r in rows)
early = [r for r in rows if t(r["init_time"]) - t0 < float(r["lead_h"]) * 3600]
assert len(early) > 100, len(early)
assert all(r["model"] == "raw" for r in early), [r for r in early if r["model"] != "raw"][:2]
assert sum(r["model"] != "raw" for r in rows) > len(rows) / 2
PY
# a calibrated ensemble (members and observation from the same distribution) is left as it was
/usr/bin/python3 - <<'PY'
import random
random.seed(5)
with open("good.csv", "w") as f:
    f.write("station,init_time,lead_h,obs," + ",".join("ens_%d" % i for i in range(1, 21)) + "\n")
    for d in range(120):
        for s in range(6):
            m = 10 + 5 * random.random()
            vals = [random.gauss(m, 1.5) for _ in range(21)]
            f.write("s%d,2001-%02d-%02dT00:00:00Z,24,%.3f," % (s, 1 + d // 28, 1 + d % 28, vals[0])
                    + ",".join("%.3f" % v for v in vals[1:]) + "\n")
PY
run_polish 0 fix good.csv -o fgood/ --report gr.json
check "a calibrated ensemble passes byte for byte" cmp -s good.csv fgood/good.csv
grep -q '"declined"' gr.json || fail "self-calibrate did not say it declined"
# a table without observations: nothing to learn from, unchanged
cut -d, -f1-3,5- good.csv > noobs.csv
run_polish 0 fix noobs.csv -o fno/ --report nr.json
check "a table without observations passes byte for byte" cmp -s noobs.csv fno/noobs.csv
grep -q 'no observation column' nr.json || fail "no reason for declining without observations"
finish
