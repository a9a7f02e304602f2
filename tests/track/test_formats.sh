#!/usr/bin/env bash
# polish — track formats through the command line: the commands checked from outside, original
# timestamps and extensions kept, a clean track left byte for byte, simplification within its
# tolerance (checked independently), conversions that read back the same, CSV kept from records.
. "$(dirname "$0")/../cli/lib.sh"
G="$(dirname "$0")/trackgen.py"
POLISH=$(realpath "$POLISH")

# A ride with a heart-rate extension, a waypoint, times with an offset and milliseconds.
python3 - "$T/ride.gpx" <<'PY'
import math, random, sys
r = random.Random(3)
out = ['<?xml version="1.0" encoding="UTF-8"?>',
       '<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1" '
       'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">',
       '<metadata><name>Ride &amp; coffee</name></metadata>',
       '<wpt lat="47.37" lon="8.54"><name>Cafe</name></wpt>', '<trk><name>Morning</name><trkseg>']
x = y = 0.0
h = 0.3
for i in range(300):
    h += 0.02 if (i // 60) % 2 else -0.01
    x += 5 * math.cos(h); y += 5 * math.sin(h)
    lat = 47.37 + (y + r.gauss(0, 3)) / 111195.0
    lon = 8.54 + (x + r.gauss(0, 3)) / (111195.0 * math.cos(math.radians(47.37)))
    s = 10 * 3600 + i
    t = "2024-05-01T%02d:%02d:%02d.000+02:00" % (s // 3600, s // 60 % 60, s % 60)
    out.append('<trkpt lat="%.7f" lon="%.7f"><ele>%.1f</ele><time>%s</time><extensions>'
               '<gpxtpx:TrackPointExtension><gpxtpx:hr>%d</gpxtpx:hr></gpxtpx:TrackPointExtension>'
               '</extensions></trkpt>' % (lat, lon, 400 + i * 0.1, t, 120 + i % 7))
out += ['</trkseg></trk>', '</gpx>']
open(sys.argv[1], 'w').write('\n'.join(out) + '\n')
PY

# polish fix ride.gpx -o out/ writes out/ride.gpx, each kept point with its original timestamp.
(cd "$T" && run_polish 0 fix ride.gpx -o out/ --quiet)
check "fix wrote out/ride.gpx" test -s "$T/out/ride.gpx"
check "fix moved the noisy points" bash -c "! cmp -s '$T/ride.gpx' '$T/out/ride.gpx'"
check "original timestamps kept" python3 - "$T/ride.gpx" "$T/out/ride.gpx" <<'PY'
import re, sys
a = re.findall(r"<time>([^<]*)</time>", open(sys.argv[1]).read())
b = re.findall(r"<time>([^<]*)</time>", open(sys.argv[2]).read())
assert len(b) >= 0.9 * len(a) and set(b) <= set(a) and all(t.endswith("+02:00") for t in b), (len(a), len(b))
PY
contains "$T/out/ride.gpx" "<gpxtpx:hr>"
contains "$T/out/ride.gpx" "Ride &amp; coffee"
contains "$T/out/ride.gpx" "<name>Cafe</name>"
check "output is well-formed XML" python3 -c "import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])" "$T/out/ride.gpx"

# polish inspect ride.gpx --json: the numbers a user asks first.
(cd "$T" && run_polish 0 inspect ride.gpx --json)
check "inspect --json" python3 - "$OUT" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
i = d["items"][0]["inspect"]
assert d["items"][0]["domain"] == "track"
assert i["points"] == 300 and i["waypoints"] == 1 and i["segments"] == 1, i
assert 1400 < i["distance_m"] < 3000 and i["duration_s"] == 299 and i["sampling_interval_s"] == 1, i
assert 1.5 < i["position_noise_m"] < 5, i
PY

# A clean track (noise well under a metre, always moving) is left alone, byte for byte.
python3 "$G" gen cycle 21 "$T/clean" --white 0.2 --seconds 200 --stops 0
run_polish 0 fix "$T/clean.gpx" -o "$T/cl/" --quiet
check "clean track unchanged" cmp -s "$T/clean.gpx" "$T/cl/clean.gpx"
# The same with stops: 0.2 m of jitter at rest adds 2-3% to the distance, so fix smooths it
python3 "$G" gen cycle 21 "$T/cstop" --white 0.2 --seconds 200
run_polish 0 fix "$T/cstop.gpx" -o "$T/cs/" --quiet
python3 "$G" score "$T/cstop.truth.csv" "$T/cstop.gpx" > "$T/cstop.raw.json"
python3 "$G" score "$T/cstop.truth.csv" "$T/cs/cstop.gpx" > "$T/cstop.out.json"
check "jitter at rest: raw distance over 2%, fixed under 0.5%" python3 - "$T/cstop.raw.json" "$T/cstop.out.json" <<'PY'
import json, sys
raw, out = (json.load(open(f))["distance_error"] for f in sys.argv[1:3])
assert raw > 0.02 and out < 0.005, (raw, out)
PY

# polish track simplify --tolerance 5 in.gpx -o out.gpx (metres): every input point within 5 m
# of the result, checked here independently.
python3 "$G" gen drive 22 "$T/in" --white 2 --seconds 400
run_polish 0 track simplify --tolerance 5 "$T/in.gpx" -o "$T/out.gpx" --json
check "simplified within 5 m" python3 - "$T/in.gpx" "$T/out.gpx" "$OUT" <<'PY'
import json, math, sys
sys.path.insert(0, sys.path[0] or ".")
import xml.etree.ElementTree as ET
def pts(p):
    return [(float(e.get("lat")), float(e.get("lon"))) for e in ET.parse(p).iter() if e.tag.endswith("trkpt")]
a, b = pts(sys.argv[1]), pts(sys.argv[2])
k = math.cos(math.radians(a[0][0]))
xy = lambda p: ((p[1] - a[0][1]) * 111195.08 * k, (p[0] - a[0][0]) * 111195.08)
B = [xy(p) for p in b]
def segd(p, u, v):
    dx, dy = v[0] - u[0], v[1] - u[1]; l = dx * dx + dy * dy
    f = max(0, min(1, ((p[0] - u[0]) * dx + (p[1] - u[1]) * dy) / l)) if l else 0
    return math.hypot(p[0] - u[0] - f * dx, p[1] - u[1] - f * dy)
worst = max(min(segd(xy(p), B[j], B[j + 1]) for j in range(len(B) - 1)) for p in a)
rep = [s for s in json.load(open(sys.argv[3]))["items"][0]["steps"] if s["op"] == "track.simplify"][0]
m = rep.get("measured") or rep.get("measure")
assert len(b) < len(a) / 3, (len(a), len(b))
assert worst <= 5.01, worst
assert m["max_deviation_m"] <= 5 and abs(m["max_deviation_m"] - worst) < 0.3, (m, worst)
print(len(a), "->", len(b), "points, worst", round(worst, 3), "m")
PY

# polish track export --format geojson in.gpx -o out.geojson, and back.
run_polish 0 track export --format geojson "$T/in.gpx" -o "$T/out.geojson" --quiet
check "geojson is a FeatureCollection of the points" python3 - "$T/in.gpx" "$T/out.geojson" <<'PY'
import json, sys, re
d = json.load(open(sys.argv[2]))
assert d["type"] == "FeatureCollection"
f = d["features"][0]
n = sum(len(l) for l in f["geometry"]["coordinates"])
assert n == open(sys.argv[1]).read().count("<trkpt"), n
assert f["properties"]["coordTimes"][0][0].startswith("2024-05-01T10:00:00")
PY
for fmt in geojson csv kml; do
    run_polish 0 track export --format $fmt "$T/in.gpx" -o "$T/rt.$fmt" --quiet
    run_polish 0 track export --format gpx "$T/rt.$fmt" -o "$T/rt-$fmt.gpx" --quiet
    check "$fmt round trip keeps points, times and coordinates" python3 - "$T/in.gpx" "$T/rt-$fmt.gpx" <<'PY'
import sys, xml.etree.ElementTree as ET
def pts(p):
    out = []
    for e in ET.parse(p).iter():
        if e.tag.endswith("trkpt"):
            t = [c.text for c in e if c.tag.endswith("time")]
            out.append((round(float(e.get("lat")), 7), round(float(e.get("lon")), 7), t[0] if t else None))
    return out
a, b = pts(sys.argv[1]), pts(sys.argv[2])
assert a == b, (len(a), len(b), a[:2], b[:2])
PY
done

# CSV: a track with other columns keeps them; a contact list stays with records.
printf 'time,latitude,longitude,speed,note\n' > "$T/log.csv"
python3 - >> "$T/log.csv" <<'PY'
import random
r = random.Random(4)
for i in range(120):
    print("2024-05-01T10:%02d:%02dZ,%.7f,%.7f,%.1f,\"n, %d\"" % (i // 60, i % 60, 47.37 + i * 4e-5 + r.gauss(0, 3e-5), 8.54 + r.gauss(0, 4e-5), 4.4, i))
PY
run_polish 0 fix "$T/log.csv" -o "$T/lc/" --quiet
check "csv track fixed as a track" test -s "$T/lc/log.csv"
check "csv columns and quoting kept" python3 - "$T/log.csv" "$T/lc/log.csv" <<'PY'
import csv, sys
a = list(csv.reader(open(sys.argv[1]))); b = list(csv.reader(open(sys.argv[2])))
assert a[0] == b[0], b[0]
A = {r[0]: r for r in a[1:]}
assert len(b) > 100
for r in b[1:]:
    assert r[3] == A[r[0]][3] and r[4] == A[r[0]][4], r
PY
printf 'name,email,phone\nAnn Lee,ann@example.com,+1 202 555 0101\nBob Roe,bob@example.com,+1 202 555 0102\n' > "$T/contacts.csv"
run_polish 0 inspect "$T/contacts.csv" --json
contains "$OUT" '"domain": "records"'
printf 'id,lat,lon,value\n1,47.1,8.2,3\n2,47.2,8.3,4\n' > "$T/stations.csv"
run_polish 0 inspect "$T/stations.csv" --json
contains "$OUT" '"domain": "track"'
# ... and, having no timestamps, fix leaves those points as they are.
run_polish 0 fix "$T/stations.csv" -o "$T/st/" --quiet
check "points without time untouched" cmp -s "$T/stations.csv" "$T/st/stations.csv"

# NMEA 0183: GGA + RMC of the same fix are one point; a bad checksum is skipped with a note.
python3 - "$T/log.nmea" <<'PY'
import sys
def s(body):
    c = 0
    for ch in body: c ^= ord(ch)
    return "$%s*%02X" % (body, c)
out = []
for i in range(30):
    hh, mm, ss = 10, i // 60, i % 60
    lat = 4722.2 + i * 0.001
    out.append(s("GPGGA,%02d%02d%02d.00,%.4f,N,00832.400,E,1,08,0.9,%.1f,M,48.0,M,," % (hh, mm, ss, lat, 400 + i)))
    out.append(s("GPRMC,%02d%02d%02d.00,A,%.4f,N,00832.400,E,3.0,90.0,010524,,,A" % (hh, mm, ss, lat)))
out.append("$GPGGA,bad*00")
open(sys.argv[1], "w").write("\r\n".join(out) + "\r\n")
PY
run_polish 0 inspect "$T/log.nmea" --json
check "nmea: 30 points with time" python3 -c "
import json,sys; i=json.load(open(sys.argv[1]))['items'][0]['inspect']; assert i['points']==30 and i['duration_s']==29, i" "$OUT"
run_polish 0 track export "$T/log.nmea" -o "$T/nm/" --quiet
check "nmea written as gpx" grep -q "2024-05-01T10:00:29Z" "$T/nm/log.gpx"

# elevation: hills of known climb under 2 m of noise; the raw sum counts the noise ten times over,
# the smoothed profile with hysteresis is within 10% of the truth.
python3 - "$T/ele.gpx" "$T/ele.truth" <<'PY'
import math, random, sys
r = random.Random(5)
out = ['<?xml version="1.0"?>', '<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>']
g = 0; prev = None
for i in range(1200):
    e = 400 + 30 * math.sin(i / 120.0) + 10 * math.sin(i / 37.0)
    if prev is not None and e > prev: g += e - prev
    prev = e
    s = 36000 + i
    out.append('<trkpt lat="%.7f" lon="8.54"><ele>%.1f</ele><time>2024-05-01T%02d:%02d:%02dZ</time></trkpt>'
               % (47.37 + i * 3e-5, e + r.gauss(0, 2), s // 3600, s // 60 % 60, s % 60))
out.append('</trkseg></trk></gpx>')
open(sys.argv[1], 'w').write('\n'.join(out) + '\n')
open(sys.argv[2], 'w').write("%.3f" % g)
PY
run_polish 0 track elevation "$T/ele.gpx" -o "$T/oe/" --json
check "elevation gain within 10% of the truth, raw far off" python3 - "$OUT" "$(cat "$T/ele.truth")" <<'PY'
import json, sys
m = [s for s in json.load(open(sys.argv[1]))["items"][0]["steps"] if s["op"] == "track.elevation"][0]["measured"]
truth = float(sys.argv[2])
assert abs(m["gain_m"] - truth) < 0.1 * truth, (m, truth)
assert m["gain_raw_m"] > 3 * truth, m
print("gain", m["gain_m"], "truth", round(truth, 1), "raw", m["gain_raw_m"])
PY

# split: a pause of two hours makes two trips, each written as its own file.
python3 "$G" gen cycle 7 "$T/sp" --white 3 --seconds 200 --stops 0
python3 - "$T/sp.gpx" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
open(sys.argv[1], "w").write("\n".join(l.replace("T10:", "T12:") if i > 100 and "<time>" in l else l for i, l in enumerate(lines)))
PY
run_polish 0 track split "$T/sp.gpx" -o "$T/osp/" --quiet
check "two trips" test -s "$T/osp/sp.trip-1.gpx" -a -s "$T/osp/sp.trip-2.gpx" -a ! -e "$T/osp/sp.trip-3.gpx"
check "trips hold every point once" test $(( $(grep -c '<trkpt' "$T/osp/sp.trip-1.gpx") + $(grep -c '<trkpt' "$T/osp/sp.trip-2.gpx") )) -eq "$(grep -c '<trkpt' "$T/sp.gpx")"

# stats is a document: -o stats.json holds the numbers.
run_polish 0 track stats "$T/sp.gpx" -o "$T/stats.json" --quiet
check "stats document" python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['points'] == 201 and d['distance_m'] > 500, d" "$T/stats.json"

# privacy: zones at both ends cut the start and the end (polish fix takes zones through a recipe).
python3 - "$T/sp.gpx" "$T/zones.csv" <<'PY'
import sys, xml.etree.ElementTree as ET
p = [(float(e.get("lat")), float(e.get("lon"))) for e in ET.parse(sys.argv[1]).iter() if e.tag.endswith("trkpt")]
open(sys.argv[2], "w").write("lat,lon,radius_m\n%.6f,%.6f,60\n%.6f,%.6f,60\n" % (p[0] + p[-1]))
PY
run_polish 0 track privacy --zones "$T/zones.csv" "$T/sp.gpx" -o "$T/opz/" --json
check "privacy cut some points at both ends" python3 - "$OUT" <<'PY'
import json, sys
st = [s for s in json.load(open(sys.argv[1]))["items"][0]["steps"] if s["op"] == "track.privacy"][0]
assert st["status"] == "applied" and st["measured"]["points_cut"] >= 4, st
PY
# stops: a drive with two stops of 30-60 s (and turns taken at speed, which are not stops);
# --trim on a track that starts and ends with a long stay cuts those stays and nothing else.
python3 "$G" gen drive 31 "$T/stp" --white 3 --seconds 500 --stops 2
run_polish 0 track stops --min-duration 25 "$T/stp.gpx" -o "$T/ostp/" --json
check "two stops found" python3 -c "
import json,sys; m=[s for s in json.load(open(sys.argv[1]))['items'][0]['steps'] if s['op']=='track.stops'][0]['measured']
assert m['stops'] == 2 and all(25 <= s['duration_s'] <= 70 for s in m['list']), m" "$OUT"
python3 - "$T/stp.gpx" "$T/home.gpx" <<'PY'
import sys, re
s = open(sys.argv[1]).read()
pts = re.findall(r"<trkpt .*?</trkpt>", s)
first, last = pts[0], pts[-1]
def at(p, k, off):
    m = re.search(r"<time>(\d+-\d+-\d+T)(\d+):(\d+):(\d+)Z</time>", p)
    t = int(m.group(2)) * 3600 + int(m.group(3)) * 60 + int(m.group(4)) + off
    return re.sub(r"<time>.*?</time>", "<time>%s%02d:%02d:%02dZ</time>" % (m.group(1), t // 3600, t // 60 % 60, t % 60), p)
head = [at(first, 0, k - 300) for k in range(300)]
tail = [at(last, 0, k + 1) for k in range(300)]
out = s.replace(first, "\n".join(head) + "\n" + first, 1)
out = out.replace(last, last + "\n" + "\n".join(tail))
open(sys.argv[2], "w").write(out)
PY
run_polish 0 track stops --trim "$T/home.gpx" -o "$T/ohome/" --json
check "stays at home cut at both ends" python3 - "$OUT" "$T/stp.gpx" "$T/ohome/home.gpx" <<'PY'
import json, sys
m = [s for s in json.load(open(sys.argv[1]))["items"][0]["steps"] if s["op"] == "track.stops"][0]["measured"]
n0 = open(sys.argv[2]).read().count("<trkpt"); n1 = open(sys.argv[3]).read().count("<trkpt")
assert 598 <= m["points_cut"] <= 610 and abs(n1 - n0) <= 10, (m["points_cut"], n0, n1)
PY
# resample: a walk with dropouts and one 300 s pause (longer than --max-gap 60) at 5 s and 10 m.
python3 "$G" gen walk 4 "$T/rs" --seconds 900 --dropouts 0.01
python3 - "$T/rs.gpx" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
# drop the points of 10:05:00..10:09:59: a 300 s pause in the recording
s = re.sub(r'<trkpt[^>]*><ele>[^<]*</ele><time>2024-05-01T10:0[5-9]:[0-9]{2}Z</time></trkpt>\n', '', s)
open(sys.argv[1], 'w').write(s)
PY
run_polish 0 track resample --every 5 "$T/rs.gpx" -o "$T/rs5.gpx" --quiet
run_polish 0 track resample --by distance --every 10 "$T/rs.gpx" -o "$T/rs10.gpx" --quiet
check "resample: every 5 s, none in the pause, the ends kept; every 10 m along the path" \
    python3 - "$G" "$T/rs.gpx" "$T/rs5.gpx" "$T/rs10.gpx" <<'PY'
import importlib.util, math, sys
spec = importlib.util.spec_from_file_location("tg", sys.argv[1]); tg = importlib.util.module_from_spec(spec); spec.loader.exec_module(tg)
o, t, d = tg.read_gpx(sys.argv[2]), tg.read_gpx(sys.argv[3]), tg.read_gpx(sys.argv[4])
dts = [round(b[0] - a[0], 3) for a, b in zip(t, t[1:])]
pause = [x for x in dts if x != 5.0]
assert len(pause) == 2 and max(pause) > 250, pause  # the end of run 1 is off the grid, then the pause
assert not any(tg.T0 + 300 < p[0] < tg.T0 + 595 for p in t)
assert t[0] == o[0] and t[-1] == o[-1], (t[0], o[0], t[-1], o[-1])
L = sum(math.hypot(*(u - v for u, v in zip(tg.xy(b[1], b[2]), tg.xy(a[1], a[2]))))
        for a, b in zip(o, o[1:]) if b[0] - a[0] <= 60)   # the pause is not walked
assert abs(len(d) - L / 10) < 4, (len(d), L)   # one point per 10 m of the path, plus run ends
assert d[0] == o[0] and d[-1] == o[-1]
assert not any(tg.T0 + 300 < p[0] < tg.T0 + 595 for p in d)
PY
# A GPX loaded whole (resample is not streamed) keeps each point it does not change as the
# source wrote it, as the streamed path does: coordinates with trailing zeros, attributes in
# another order and quoting, spaces in the tag, an elevation and a time in their own notation,
# an extension. The points resampled every 2 s fall on every second fix and the last.
python3 - "$T/odd.gpx" <<'PY'
import sys
out = ['<?xml version="1.0" encoding="UTF-8"?>',
       '<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">',
       '<trk><name>odd</name><trkseg>']
for i in range(40):
    lat, lon = "%.7f" % (47.37 + i * 1e-5), "%.7f" % (8.54 + i * 2e-5)
    tag = ("<trkpt lon='%s'  lat='%s' >" % (lon, lat) if i % 3 == 0 else
           '<trkpt lat="%s" lon="%s">' % (lat + "00", lon))
    out.append('  %s<ele>%s</ele><time>2024-05-01T10:00:%02d.000Z</time>'
               '<extensions><hr>%d</hr></extensions></trkpt>' % (tag, "4.0E2" if i % 2 else "400.50", i, 100 + i))
out += ['</trkseg></trk>', '</gpx>']
open(sys.argv[1], 'w').write('\n'.join(out) + '\n')
PY
run_polish 0 track resample --every 2 "$T/odd.gpx" -o "$T/odd2.gpx" --quiet
check "loaded whole: unchanged points byte for byte" python3 - "$T/odd.gpx" "$T/odd2.gpx" <<'PY'
import re, sys
src = re.findall(r"<trkpt.*?</trkpt>", open(sys.argv[1]).read())
out = open(sys.argv[2]).read()
want = src[::2] + src[-1:]  # every 2 s from the first, and the last point kept
kept = [e for e in want if e in out]
assert len(src) == 40 and len(kept) == 21, (len(kept), [e for e in want if e not in out][:2])
assert out.count("<trkpt") == 21, out.count("<trkpt")
assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="t"'), out[:80]
PY
finish
