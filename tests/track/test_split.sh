#!/usr/bin/env bash
# polish — track.split streamed: a file of three chunks is cut into its trips one after another
# (a measuring pass, then the applying one), each trip's file byte for byte what the track loaded
# whole gives, in GPX, CSV, GeoJSON and KML; the trips go into place together or not at all; peak
# memory does not grow with the length of the file.
. "$(dirname "$0")/../cli/lib.sh"
POLISH=$(realpath "$POLISH")

# N points at 1 Hz with pauses of an hour at N/5, N/2 and 4N/5, a one-point trip after N/2, a
# second track from 3N/4 and a waypoint before the first. Coordinates in their shortest form (a
# GPX loaded whole writes its points so; streamed, they are the source's own bytes).
gen() { # OUT N
    /usr/bin/python3 - "$1" "$2" <<'PY'
import datetime, random, sys
n = int(sys.argv[2]); random.seed(1)
f = open(sys.argv[1], "w")
f.write('<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="t" '
        'xmlns="http://www.topografix.com/GPX/1/1">\n<metadata><name>m</name></metadata>\n'
        '<wpt lat="47.1" lon="8.1"><name>home</name></wpt>\n<trk><name>A</name><trkseg>\n')
t, la, lo = 1700000000, 47.37, 8.54
cuts = {n // 5, n // 2, n // 2 + 1, 4 * n // 5}
for i in range(n):
    if i in cuts: t += 3600
    if i == 3 * n // 4: f.write('</trkseg></trk>\n<trk><name>B</name><trkseg>\n')
    t += 1; la += random.gauss(0, 1e-5); lo += random.gauss(0, 1e-5)
    ts = datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    f.write('<trkpt lat="%r" lon="%r"><ele>1.0</ele><time>%s</time></trkpt>\n' % (round(la, 7), round(lo, 7), ts))
f.write('</trkseg></trk>\n</gpx>\n')
PY
}
gen "$T/sp.gpx" 34000

run_polish 0 track split "$T/sp.gpx" -o "$T/s/" --report "$T/s.json" --quiet
check "streamed: five trips in two passes, the one-point trip left out" \
    /usr/bin/python3 - "$T" <<'PY'
import json, os, sys, xml.etree.ElementTree as ET
T = sys.argv[1]
it = json.load(open(T + "/s.json"))["items"][0]
sp = [s for s in it["steps"] if s["op"] == "track.split"][0]
assert sp.get("streamed") and sp["status"] == "applied" and it["passes"] == 2, it
assert sp["measured"] == {"trips": 6, "trips_written": 5}, sp
names = ["sp.trip-%d.gpx" % k for k in range(1, 6)]
assert sorted(os.listdir(T + "/s")) == names, os.listdir(T + "/s")
assert [os.path.basename(o) for o in it["outputs"]] == names, it["outputs"]
ns = "{http://www.topografix.com/GPX/1/1}"
want = [6800, 10200, 8499, 1700, 6800]
for k, nm in enumerate(names):
    g = ET.parse(T + "/s/" + nm).getroot()
    pts = g.findall(".//%strkpt" % ns)
    assert len(pts) == want[k], (nm, len(pts))
    assert g.find(ns + "metadata/" + ns + "name").text == "m", nm
    assert len(g.findall(ns + "wpt")) == (1 if k == 0 else 0), nm
    tracks = [t.find(ns + "name").text for t in g.findall(ns + "trk") if t.findall(".//%strkpt" % ns)]
    assert tracks == (["A"] if k < 3 else ["B"]), (nm, tracks)
PY

# Loaded whole (an HTML report draws the track, so it is loaded): the same files, byte for byte.
run_polish 0 track split "$T/sp.gpx" -o "$T/w/" --report "$T/w.html" --quiet
check "whole and streamed trips are the same bytes (GPX)" diff -r "$T/s" "$T/w"

for fmt in csv geojson kml; do
    run_polish 0 track export --format $fmt "$T/sp.gpx" -o "$T/c-$fmt/" --quiet
    run_polish 0 track split "$T/c-$fmt/sp.$fmt" -o "$T/s-$fmt/" --report "$T/s-$fmt.json" --quiet
    run_polish 0 track split "$T/c-$fmt/sp.$fmt" -o "$T/w-$fmt/" --report "$T/w-$fmt.html" --quiet
    check "$fmt split streamed" grep -q '"streamed": *true' "$T/s-$fmt.json"
    check "$fmt: four or five trips" test "$(ls "$T/s-$fmt" | wc -l)" -ge 4
    check "whole and streamed trips are the same bytes ($fmt)" diff -r "$T/s-$fmt" "$T/w-$fmt"
done

# Together or not at all: the third trip's file is there already, so the item fails, and neither
# the first two trips nor any temporary are left; the file in the way is untouched.
mkdir -p "$T/a" && echo keep >"$T/a/sp.trip-3.gpx"
run_polish 1 track split "$T/sp.gpx" -o "$T/a/" --quiet
check "a failed split leaves only what was there" test "$(ls -A "$T/a")" = "sp.trip-3.gpx"
check "the file in the way is untouched" grep -qx keep "$T/a/sp.trip-3.gpx"
run_polish 0 track split "$T/sp.gpx" -o "$T/a/" --overwrite --quiet
check "with --overwrite the same five trips" diff -r "$T/s" "$T/a"

# Memory: 30,000 and 100,000 points split streamed peak within 10% of each other.
gen "$T/m150.gpx" 100000
gen "$T/m30.gpx" 30000
check "peak memory of a streamed split does not grow with the file" \
    /usr/bin/python3 - "$POLISH" "$T" <<'PY'
import os, resource, subprocess, sys
P, T = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.environ["POLISH_TESTS_COMMON"])
import peakmem
def peak(*args): return peakmem.peak(P, *args)
a = peak("track", "split", T + "/m30.gpx", "-o", T + "/m30/")
b = peak("track", "split", T + "/m150.gpx", "-o", T + "/m150/")
print("streamed split: %d KiB at 30k points, %d KiB at 100k" % (a, b))
assert len(os.listdir(T + "/m150")) == 5 and b <= 1.10 * a, (a, b, os.listdir(T + "/m150"))
PY
finish
