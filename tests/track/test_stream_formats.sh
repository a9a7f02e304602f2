#!/usr/bin/env bash
# polish — every track format is read and written as a stream: a conversion from each format
# (GPX, KML, GeoJSON, CSV, NMEA) into another takes the same peak memory for a track 3x as long,
# and a chain of streamed conversions through every format gives back every point's position
# and time. KML with all its <when>s before its <gx:coord>s (Google Earth's layout) and GeoJSON
# with its times before its coordinates pair each position with its time. (Under AddressSanitizer
# the resident size does not show a whole load growing either, so the report saying the item was
# streamed is checked too; bench/RESULTS.md has the release figures at 1,000,000 points.)
. "$(dirname "$0")/../cli/lib.sh"
G="$(dirname "$0")/trackgen.py"
POLISH=$(realpath "$POLISH")

# 90,000 and 30,000 points (chunks of 16,384): both are several chunks.
python3 "$G" big 90000 "$T/big.gpx"
head -n 30003 "$T/big.gpx" >"$T/small.gpx" && printf '</trkseg></trk>\n</gpx>\n' >>"$T/small.gpx"
# NMEA (GGA + RMC per fix) from the same points; polish does not write NMEA.
for s in big small; do
    python3 - "$T/$s.gpx" "$T/$s.nmea" <<'PY'
import re, sys
out = open(sys.argv[2], "w")
def cs(s):
    x = 0
    for c in s: x ^= ord(c)
    return "$%s*%02X\n" % (s, x)
def dm(v, w):
    a = abs(v); d = int(a)
    return "%0*d%07.4f" % (w, d, (a - d) * 60)
for m in re.finditer(r'lat="([^"]+)" lon="([^"]+)"><ele>([^<]+)</ele><time>\d+-(\d+)-(\d+)T(\d+):(\d+):(\d+)Z', open(sys.argv[1]).read()):
    la, lo, el = float(m[1]), float(m[2]), m[3]
    tod = "%s%s%s.00" % (m[6], m[7], m[8])
    out.write(cs("GPGGA,%s,%s,N,%s,E,1,08,0.9,%s,M,47.0,M,," % (tod, dm(la, 2), dm(lo, 3), el)))
    out.write(cs("GPRMC,%s,A,%s,N,%s,E,10.7,90.0,%s%s24,,," % (tod, dm(la, 2), dm(lo, 3), m[5], m[4])))
PY
done
for s in big small; do
    run_polish 0 track export "$T/$s.gpx" -o "$T/$s.kml" --quiet
    run_polish 0 track export "$T/$s.gpx" -o "$T/$s.geojson" --quiet
    run_polish 0 track export "$T/$s.gpx" -o "$T/$s.csv" --quiet
done

check "each format converted into another streams, peak memory flat with the track's length" \
    python3 - "$POLISH" "$T" <<'PY'
import json, os, sys
P, T = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.environ["POLISH_TESTS_COMMON"])
import peakmem
def peak(src, dst):
    kib = peakmem.peak(P, "track", "export", src, "-o", dst, "--report", dst + ".json")
    item = json.load(open(dst + ".json"))["items"][0]
    assert item.get("seconds", {}).get("stream") is not None, (src, dst, item.get("seconds"))
    return kib, item["points"]
bad = []
for a, b in [("gpx", "kml"), ("kml", "geojson"), ("geojson", "csv"), ("csv", "gpx"), ("nmea", "geojson")]:
    s, ps = peak("%s/small.%s" % (T, a), "%s/small-%s.%s" % (T, a, b))
    g, pg = peak("%s/big.%s" % (T, a), "%s/big-%s.%s" % (T, a, b))
    print("%s -> %s: %d KiB at 30k points, %d KiB at 90k" % (a, b, s, g))
    assert ps["written"] == 30000 and pg["written"] == 90000, (a, b, ps, pg)
    if g > 1.10 * s: bad.append((a, b, s, g))
assert not bad, bad
PY

# Every point's position and time through GPX -> KML -> GeoJSON -> CSV -> GPX, all streamed.
run_polish 0 track export "$T/big-gpx.kml" -o "$T/c.geojson" --quiet
run_polish 0 track export "$T/c.geojson" -o "$T/c.csv" --quiet
run_polish 0 track export "$T/c.csv" -o "$T/round.gpx" --quiet
check "a chain of streamed conversions keeps every position and time" \
    python3 - "$G" "$T/big.gpx" "$T/round.gpx" <<'PY'
import importlib.util, sys
spec = importlib.util.spec_from_file_location("tg", sys.argv[1]); tg = importlib.util.module_from_spec(spec); spec.loader.exec_module(tg)
a, b = tg.read_gpx(sys.argv[2]), tg.read_gpx(sys.argv[3])
assert len(a) == len(b) == 90000, (len(a), len(b))
worst = max(max(abs(p[1] - q[1]), abs(p[2] - q[2])) for p, q in zip(a, b))
assert all(p[0] == q[0] for p, q in zip(a, b)) and worst < 1e-9, worst
PY

# KML with the <when>s first, then the <gx:coord>s; GeoJSON with coordTimes before coordinates.
python3 - "$T/wf.kml" "$T/tf.geojson" <<'PY'
import json, sys
n = 20000
w = open(sys.argv[1], "w")
w.write('<?xml version="1.0"?>\n<kml xmlns="http://www.opengis.net/kml/2.2" '
        'xmlns:gx="http://www.google.com/kml/ext/2.2"><Document>\n')
for k in range(2):
    w.write("<Placemark><gx:Track>\n")
    for i in range(n): w.write("<when>2024-05-0%dT%02d:%02d:%02dZ</when>\n" % (k + 1, i // 3600, i // 60 % 60, i % 60))
    for i in range(n): w.write("<gx:coord>%.6f %.6f %.1f</gx:coord>\n" % (8.5 + i * 1e-5, 47.3 + k + i * 1e-5, i % 500))
    w.write("</gx:Track></Placemark>\n")
w.write("</Document></kml>\n")
times = ["2024-05-01T%02d:%02d:%02dZ" % (i // 3600, i // 60 % 60, i % 60) for i in range(n)]
json.dump({"type": "Feature", "properties": {"coordTimes": times},
           "geometry": {"coordinates": [[8.5 + i * 1e-5, 47.3 + i * 1e-5] for i in range(n)],
                        "type": "LineString"}}, open(sys.argv[2], "w"))
PY
run_polish 0 track export "$T/wf.kml" -o "$T/wf.csv" --quiet
run_polish 0 track export "$T/tf.geojson" -o "$T/tf.csv" --quiet
check "each <when> gets its own <gx:coord>; each GeoJSON position its time" \
    python3 - "$T/wf.csv" "$T/tf.csv" <<'PY'
import csv, sys
r = list(csv.DictReader(open(sys.argv[1])))
assert len(r) == 40000, len(r)
for j in (0, 1, 12345, 19999, 20000, 39999):
    k, i = divmod(j, 20000)
    assert r[j]["time"] == "2024-05-0%dT%02d:%02d:%02dZ" % (k + 1, i // 3600, i // 60 % 60, i % 60), r[j]
    assert abs(float(r[j]["lat"]) - (47.3 + k + i * 1e-5)) < 1e-9 and float(r[j]["ele"]) == i % 500, r[j]
g = list(csv.DictReader(open(sys.argv[2])))
assert len(g) == 20000 and g[17777]["time"] == "2024-05-01T04:56:17Z", g[17777]
assert abs(float(g[17777]["lon"]) - (8.5 + 17777e-5)) < 1e-9, g[17777]
PY
finish
