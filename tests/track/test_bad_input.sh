#!/usr/bin/env bash
# polish — hostile and broken tracks: a clear error naming the file and the problem, no output,
# never a crash or a hang, bounded memory; backwards time kept with a warning.
. "$(dirname "$0")/../cli/lib.sh"
no_crash() { [ "$1" -lt 128 ] || fail "polish crashed (exit $1) on $2"; }
refused() { # refused NAME FILE MESSAGE [polish args...]
    local name=$1 file=$2 msg=$3; shift 3
    "$POLISH" fix "$file" -o "$T/o-$name/" "$@" >"$OUT" 2>"$ERR"; local rc=$?
    no_crash $rc "$name"
    check "$name refused (exit $rc)" test $rc -eq 1
    contains "$ERR" "$(basename "$file")"
    contains "$ERR" "$msg"
    check "$name: nothing written" test -z "$(ls -A "$T/o-$name" 2>/dev/null)"
}

printf '<?xml version="1.0"?>\n<gpx version="1.1"><trk><trkseg></trkseg></trk></gpx>\n' > "$T/empty.gpx"
refused empty "$T/empty.gpx" "no points"

printf '<?xml version="1.0"?>\n<gpx version="1.1"><trk><trkseg><trkpt lat="1" lon="2"></trkseg></trk></gpx>\n' > "$T/broken.gpx"
refused broken "$T/broken.gpx" "broken XML at line 2"

printf '<?xml version="1.0"?>\n<gpx version="1.1"><trk><trkseg><trkpt lat="47" lon="8"/><trkpt lat="95" lon="8"/></trkseg></trk></gpx>\n' > "$T/lat95.gpx"
refused lat95 "$T/lat95.gpx" "latitude 95"

printf 'lat,lon,time\n47.1,8.1,2024-05-01T10:00:00Z\n95.5,8.1,2024-05-01T10:00:01Z\n' > "$T/lat95.csv"
refused lat95csv "$T/lat95.csv" "latitude 95.5"

printf '<gpx version="1.1"><trk><trkseg><trkpt lat="north" lon="8"/></trkseg></trk></gpx>\n' > "$T/text.gpx"
refused textlat "$T/text.gpx" "numeric lat and lon"

# Billion laughs: entity declarations are refused at once (no expansion, small memory).
python3 - "$T/laughs.gpx" <<'PY'
import sys
d = ['<?xml version="1.0"?>', '<!DOCTYPE gpx [', ' <!ENTITY lol0 "lol">']
for i in range(1, 10):
    d.append(' <!ENTITY lol%d "%s">' % (i, ("&lol%d;" % (i - 1)) * 10))
d += [']>', '<gpx version="1.1"><trk><name>&lol9;</name><trkseg><trkpt lat="1" lon="2"/></trkseg></trk></gpx>']
open(sys.argv[1], "w").write("\n".join(d) + "\n")
PY
refused laughs "$T/laughs.gpx" "entities"
# An external entity (a local file) is refused the same way.
printf '<?xml version="1.0"?>\n<!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<gpx version="1.1"><trk><name>&x;</name><trkseg><trkpt lat="1" lon="2"/></trkseg></trk></gpx>\n' > "$T/xxe.gpx"
refused xxe "$T/xxe.gpx" "entities"

# A 2 GB file: a GPX head then nothing readable; refused quickly in bounded memory.
printf '<?xml version="1.0"?>\n<gpx version="1.1"><trk><trkseg>\n' > "$T/huge.gpx"
truncate -s 2000000000 "$T/huge.gpx"
/usr/bin/time -f "%M" -o "$T/mem" "$POLISH" fix "$T/huge.gpx" -o "$T/o-huge/" >"$OUT" 2>"$ERR"; rc=$?
no_crash $rc huge
check "huge file refused" test $rc -eq 1
contains "$ERR" "huge.gpx"
check "huge file: under 300 MB of memory ($(cat "$T/mem") KB)" test "$(tail -1 "$T/mem")" -lt 300000
rm -f "$T/huge.gpx"
# ... and limits: bytes and points, both named with the way out.
python3 "$(dirname "$0")/trackgen.py" big 3000 "$T/many.gpx"
refused bytes "$T/many.gpx" "limit" --limit bytes=100K
refused points "$T/many.gpx" "track-points" --limit track-points=1000

# Time going backwards: kept as it is, with a warning; the file is still processed.
printf '<?xml version="1.0"?>\n<gpx version="1.1"><trk><trkseg><trkpt lat="47" lon="8"><time>2024-05-01T10:00:05Z</time></trkpt><trkpt lat="47.0001" lon="8"><time>2024-05-01T10:00:01Z</time></trkpt><trkpt lat="47.0002" lon="8"><time>2024-05-01T10:00:09Z</time></trkpt></trkseg></trk></gpx>\n' > "$T/back.gpx"
run_polish 0 fix "$T/back.gpx" -o "$T/o-back/"
contains "$ERR" "time goes backwards"
check "backwards: all three points kept" test "$(grep -o '<trkpt' "$T/o-back/back.gpx" | wc -l)" -eq 3

# Not a track at all: random bytes named .gpx, a GeoJSON without geometry.
head -c 5000 /dev/urandom > "$T/noise.gpx"
"$POLISH" fix "$T/noise.gpx" -o "$T/o-noise/" >"$OUT" 2>"$ERR"; rc=$?
no_crash $rc noise
check "random bytes refused" test $rc -eq 1
printf '{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"LineString","coordinates":[[8,47],["x",47]]}}]}\n' > "$T/bad.geojson"
refused badgeojson "$T/bad.geojson" "position"
printf '{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"LineString","coordinates":[[8,47]' > "$T/cut.geojson"
refused cutgeojson "$T/cut.geojson" "broken JSON"
finish
