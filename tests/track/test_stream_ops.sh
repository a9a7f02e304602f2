#!/usr/bin/env bash
# polish — the ops that need the whole track, streamed: stats (a document), inspect, elevation
# and stops give on a file of three chunks what they give on the track loaded whole; a conversion
# into a folder streams under the new format's name; `fix --zones` writes the same bytes as `fix`
# when no zone is near and decides in one pass, holding back what it cannot decide yet; memory
# stays flat.
. "$(dirname "$0")/../cli/lib.sh"
G="$(dirname "$0")/trackgen.py"
POLISH=$(realpath "$POLISH")

# A ride of 36,000 points (three chunks of 16,384) that starts and ends with a 20-minute stay,
# with 3 m of position jitter and 2 m of elevation noise over a profile of known climb.
python3 - "$T/stay.gpx" "$T/truth_gain" <<'PY'
import datetime, math, random, sys
random.seed(3)
k = 111195.0
kx = k * math.cos(math.radians(47.37))
t0 = 1700000000
out = []
def add(la, lo, e):
    out.append((la + random.gauss(0, 3) / k, lo + random.gauss(0, 3) / kx, e + random.gauss(0, 2)))
prof = lambda i: 400 + 100 * math.sin(i / 2000.0)
la, lo = 47.37, 8.54
for i in range(1200): add(la, lo, 400)
gain = 0.0
for i in range(33600):
    h = i / 3000.0
    la += 5 * math.cos(h) / k
    lo += 5 * math.sin(h) / kx
    if i: gain += max(0.0, prof(i) - prof(i - 1))
    add(la, lo, prof(i))
e_end = prof(33599)
for i in range(1200): add(la, lo, e_end)
with open(sys.argv[1], "w") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="test" '
            'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>\n')
    for n, (a, b, e) in enumerate(out):
        ts = datetime.datetime.fromtimestamp(t0 + n, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        f.write('<trkpt lat="%.7f" lon="%.7f"><ele>%.1f</ele><time>%s</time></trkpt>\n' % (a, b, e, ts))
    f.write("</trkseg></trk></gpx>\n")
open(sys.argv[2], "w").write("%.3f" % gain)
PY

# The same op loaded whole: a `split` step first (no chunked form) with a gap longer than the ride.
whole() { # OP PARAMS-YAML
    printf 'domain: track\nsteps:\n  - split: {gap: 1000000000}\n  - %s: {%s}\n' "$1" "$2" >"$T/w-$1.yml"
}

# stats: a document op's pipeline streams; the document is the whole track's.
run_polish 0 track stats "$T/stay.gpx" -o "$T/s-stats.json" --report "$T/rs-stats.json" --quiet
whole stats ""
run_polish 0 run "$T/w-stats.yml" "$T/stay.gpx" -o "$T/w-stats.json" --quiet
check "stats streamed: the whole track's document" python3 - "$T" <<'PY'
import json, sys
T = sys.argv[1]
r = json.load(open(T + "/rs-stats.json"))["items"][0]
st = r["steps"][-1]
assert st["op"] == "track.stats" and st.get("streamed") and "stream" in r["seconds"], r
a, b = json.load(open(T + "/s-stats.json")), json.load(open(T + "/w-stats.json"))
assert a["points"] == 36000 and a == b, (a, b)
PY
run_polish 0 track stats "$T/stay.gpx" --json
check "stats streamed to standard output" python3 -c '
import json, sys; d = json.load(open(sys.argv[1])); assert d["points"] == 36000, d' "$OUT"

# inspect: read as a stream, the same figures as stats.
run_polish 0 inspect "$T/stay.gpx" --json
check "inspect streamed: the same figures as the whole track's stats" python3 - "$OUT" "$T/w-stats.json" <<'PY'
import json, sys
it = json.load(open(sys.argv[1]))["items"][0]
w = json.load(open(sys.argv[2]))
m = it["inspect"]
assert "stream" in it["seconds"] and "load" not in it["seconds"], it["seconds"]
for k in ("points", "segments", "distance_m", "duration_s", "sampling_interval_s", "gaps",
          "duplicates", "position_noise_m", "elevation_gain_raw_m"):
    assert m[k] == w[k], (k, m[k], w[k])
assert m["format"] == "gpx" and m["speed_outliers"] == 0, m
PY

# elevation: the noise measured over the whole profile, the climb counted across chunks.
run_polish 0 track elevation "$T/stay.gpx" -o "$T/s-ele.gpx" --report "$T/rs-ele.json" --quiet
whole elevation ""
run_polish 0 run "$T/w-elevation.yml" "$T/stay.gpx" -o "$T/w-ele.gpx" --report "$T/rw-ele.json" --quiet
check "elevation streamed: the whole run's gain, loss and profile; noise not counted as climbing" \
    python3 - "$T" <<'PY'
import json, re, sys
T = sys.argv[1]
def step(f):
    return [s for s in json.load(open(f))["items"][0]["steps"] if s["op"] == "track.elevation"][0]
s, w = step(T + "/rs-ele.json"), step(T + "/rw-ele.json")
assert s.get("streamed") and s["status"] == "applied" and not w.get("streamed"), (s, w)
ms, mw = s["measured"], w["measured"]
for k in ("gain_m", "loss_m", "gain_raw_m", "elevation_noise_m"):
    assert abs(ms[k] - mw[k]) <= 0.005 * abs(mw[k]) + 1e-9, (k, ms[k], mw[k])
truth = float(open(T + "/truth_gain").read())
assert abs(ms["gain_m"] - truth) < 0.15 * truth and ms["gain_raw_m"] > 10 * truth, (ms, truth)
ele = lambda f: [float(x) for x in re.findall(r"<ele>([^<]*)</ele>", open(f).read())]
a, b = ele(T + "/s-ele.gpx"), ele(T + "/w-ele.gpx")
assert len(a) == len(b) == 36000 and max(abs(x - y) for x, y in zip(a, b)) < 0.05
print("gain: streamed %.1f m, whole %.1f m, truth %.1f m, raw %.0f m" % (ms["gain_m"], mw["gain_m"], truth, ms["gain_raw_m"]))
PY

# stops --trim: the stays found across chunks, the same ones cut.
run_polish 0 track stops --trim "$T/stay.gpx" -o "$T/s-stops.gpx" --report "$T/rs-stops.json" --quiet
whole stops "trim: true"
run_polish 0 run "$T/w-stops.yml" "$T/stay.gpx" -o "$T/w-stops.gpx" --report "$T/rw-stops.json" --quiet
check "stops streamed: the same stays and the same points cut at both ends" python3 - "$T" <<'PY'
import json, re, sys
T = sys.argv[1]
def step(f):
    return [s for s in json.load(open(f))["items"][0]["steps"] if s["op"] == "track.stops"][0]
s, w = step(T + "/rs-stops.json"), step(T + "/rw-stops.json")
assert s.get("streamed") and s["status"] == "applied", s
assert s["measured"]["list"] == w["measured"]["list"] and len(w["measured"]["list"]) == 2, (s, w)
assert s["measured"]["points_cut"] == w["measured"]["points_cut"] > 2300, (s, w)
times = lambda f: re.findall(r"<time>([^<]*)</time>", open(f).read())
a, b = times(T + "/s-stops.gpx"), times(T + "/w-stops.gpx")
assert a == b and len(a) == 36000 - s["measured"]["points_cut"], (len(a), len(b))
PY

# A conversion into a folder streams, under the new format's name.
run_polish 0 track export --format geojson "$T/stay.gpx" -o "$T/dir/" --report "$T/rd.json" --quiet
run_polish 0 track export --format geojson "$T/stay.gpx" -o "$T/one.geojson" --quiet
check "a conversion into a folder streams and is named for its format" python3 - "$T" <<'PY'
import json, sys
T = sys.argv[1]
r = json.load(open(T + "/rd.json"))["items"][0]
assert r["steps"][-1].get("streamed") and r["outputs"][0].endswith("dir/stay.geojson"), r
assert open(T + "/dir/stay.geojson").read() == open(T + "/one.geojson").read()
PY

# fix --zones: privacy, the last step, decides in the one pass that writes. A zone far away: the
# same bytes as plain fix.
printf 'lat,lon,radius\n10,10,300\n' >"$T/far.csv"
printf 'lat,lon,radius\n47.37,8.54,300\n' >"$T/home.csv"
run_polish 0 fix "$T/stay.gpx" -o "$T/f0/" --quiet
run_polish 0 fix "$T/stay.gpx" --zones "$T/far.csv" -o "$T/f1/" --report "$T/rf1.json" --quiet
check "fix --zones: the same bytes as fix when no zone is near" \
    cmp -s "$T/f0/stay.gpx" "$T/f1/stay.gpx"
run_polish 0 fix "$T/stay.gpx" --zones "$T/home.csv" -o "$T/f2/" --report "$T/rf2.json" --quiet
check "fix --zones cut the start at home, in one pass" python3 - "$T" <<'PY'
import json, re, sys
T = sys.argv[1]
r = json.load(open(T + "/rf2.json"))["items"][0]
pv = [s for s in r["steps"] if s["op"] == "track.privacy"][0]
assert r["passes"] == 1 and pv["status"] == "applied" and pv["measured"]["points_cut"] > 1200, r
n0 = len(re.findall("<trkpt", open(T + "/f0/stay.gpx").read()))
n2 = len(re.findall("<trkpt", open(T + "/f2/stay.gpx").read()))
assert n0 - n2 == pv["measured"]["points_cut"], (n0, n2, pv)
PY

# Privacy as the last step decides in one pass: after a track has left the zones, the points
# inside are held back until it leaves again (kept) or ends (cut), across chunk boundaries.
# Four tracks of 56,500 points (four chunks), each point's time its index; zones A and B.
python3 - "$T/zz.gpx" "$T/zz.csv" "$T/zz.want" <<'PY'
import random, sys
random.seed(5)
A, B, OUT = (47.37, 8.54), (47.40, 8.60), (47.385, 8.57)
def near(c, r):
    return c[0] + random.uniform(-r, r) / 111195.0, c[1] + random.uniform(-r, r) / 75000.0
# per track: (count, where) runs; "A"/"B" inside that zone (within 50 m), "o" 2 km away
tracks = [[(100, "A"), (14900, "o"), (3000, "A"), (1000, "o"), (1000, "B")],
          [(10000, "o"), (20000, "B")],
          [(500, "A")],
          [(3000, "A"), (2000, "o"), (1000, "A")]]
o = ['<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="t" '
     'xmlns="http://www.topografix.com/GPX/1/1">\n<wpt lat="47.1" lon="8.1"><name>w</name></wpt>\n']
want, g = [], 0
for runs in tracks:
    o.append("<trk><trkseg>\n")
    where = [w for n, w in runs for _ in range(n)]
    outs = [i for i, w in enumerate(where) if w == "o"]
    for i, w in enumerate(where):
        la, lo = near({"A": A, "B": B, "o": OUT}[w], 50 if w != "o" else 500)
        h, m, s = g // 3600, g // 60 % 60, g % 60
        o.append('<trkpt lat="%.7f" lon="%.7f"><time>2024-01-0%dT%02d:%02d:%02dZ</time></trkpt>\n'
                 % (la, lo, 1 + h // 24, h % 24, m, s))
        if outs and outs[0] <= i <= outs[-1]: want.append(g)
        g += 1
    o.append("</trkseg></trk>\n")
o.append("</gpx>\n")
open(sys.argv[1], "w").write("".join(o))
open(sys.argv[2], "w").write("lat,lon,radius\n%f,%f,300\n%f,%f,300\n" % (A + B))
open(sys.argv[3], "w").write("%d\n%s\n" % (g, " ".join(map(str, want))))
PY
run_polish 0 track privacy --zones "$T/zz.csv" "$T/zz.gpx" -o "$T/zz/" --report "$T/rzz.json" --quiet
check "privacy as the last step: one pass, each track cut before it leaves and after it last leaves the zones" \
    python3 - "$T" "$G" <<'PY'
import importlib.util, json, sys
T = sys.argv[1]
spec = importlib.util.spec_from_file_location("tg", sys.argv[2]); tg = importlib.util.module_from_spec(spec); spec.loader.exec_module(tg)
n, want = open(T + "/zz.want").read().split("\n")[:2]
want = [int(x) for x in want.split()]
t0 = tg.read_gpx(T + "/zz.gpx")[0][0]
got = [round(p[0] - t0) for p in tg.read_gpx(T + "/zz/zz.gpx")]
r = json.load(open(T + "/rzz.json"))["items"][0]
pv = [s for s in r["steps"] if s["op"] == "track.privacy"][0]
print("kept %d of %s points (want %d), cut %s, passes %s" % (len(got), n, len(want), pv["measured"]["points_cut"], r["passes"]))
assert got == want, [(i, a, b) for i, (a, b) in enumerate(zip(got, want)) if a != b][:5]
assert pv["measured"]["points_cut"] == int(n) - len(want) and r["passes"] == 1, (pv, r["passes"])
assert '<wpt lat="47.1"' in open(T + "/zz/zz.gpx").read()
PY

# Memory: inspect and stats of 30,000 and 150,000 points peak within 10% of each other.
python3 "$G" big 150000 "$T/b150.gpx"
head -n 30003 "$T/b150.gpx" >"$T/b30.gpx" && printf '</trkseg></trk>\n</gpx>\n' >>"$T/b30.gpx"
check "inspect and stats: peak memory does not grow with the track" python3 - "$POLISH" "$T" <<'PY'
import os, resource, subprocess, sys
P, T = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.environ["POLISH_TESTS_COMMON"])
import peakmem
def peak(*args): return peakmem.peak(P, *args)
i30, i150 = peak("inspect", T + "/b30.gpx"), peak("inspect", T + "/b150.gpx")
s30 = peak("track", "stats", T + "/b30.gpx", "-o", T + "/m30.json")
s150 = peak("track", "stats", T + "/b150.gpx", "-o", T + "/m150.json")
print("inspect %d / %d KiB, stats %d / %d KiB at 30k / 150k points" % (i30, i150, s30, s150))
assert i150 <= 1.10 * i30 and s150 <= 1.10 * s30, (i30, i150, s30, s150)
PY
finish
