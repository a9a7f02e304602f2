#!/usr/bin/env bash
# polish — track speed against gpsbabel (the Debian-packaged peer) on a generated 1,000,000-point
# GPX (a cycling track, 1 Hz, 3 m jitter): conversion GPX->GPX and GPX->GeoJSON, simplification
# (5 m) and fix; simplification also at 50,000 points, where gpsbabel's simplify is still
# bearable. Time (CPU: user + system) and peak memory from /usr/bin/time -v; the two tools
# alternate, best of RUNS. polish streams a GPX written as GPX (fix, simplify, conversion).
# Then accuracy on generated truth (quality.sh). Usage: POLISH=build/src/cli/polish bench/track/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
POLISH=${POLISH:-$here/../../build/src/cli/polish}
RUNS=${RUNS:-3}
N=${N:-1000000}
W=$(mktemp -d /tmp/polish-bench-track-XXXXXX)
trap 'rm -rf "$W"' EXIT
python3 "$here/../../tests/track/trackgen.py" big "$N" "$W/big.gpx"
python3 "$here/../../tests/track/trackgen.py" big 50000 "$W/50k.gpx"
printf 'lat,lon,radius\n47.37,8.54,300\n' >"$W/zones.csv"
# The same track with pauses of an hour at a fifth, half and four fifths of it: five trips.
python3 - "$W/big.gpx" "$W/trips.gpx" <<'PY'
import re, sys, time
n = sum(1 for l in open(sys.argv[1]) if "<trkpt" in l)
cuts, k, shift = [n // 5, n // 2, 4 * n // 5], 0, 0
with open(sys.argv[2], "w") as o:
    for l in open(sys.argv[1]):
        if "<trkpt" in l:
            if shift < len(cuts) and k == cuts[shift]: shift += 1
            k += 1
            if shift:
                m = re.search(r"<time>([^<]+)</time>", l)
                t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(
                    time.mktime(time.strptime(m.group(1)[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone + 3600 * shift))
                l = l[:m.start(1)] + t + l[m.end(1):]
        o.write(l)
PY
echo "input: $N points, $(stat -c %s "$W/big.gpx") bytes; 50,000 points, $(stat -c %s "$W/50k.gpx") bytes"

# measure NAME COMMAND... -> "NAME  wall-seconds  cpu-seconds  peak-MB" (best CPU time, user +
# system, of RUNS — wall time also counts the neighbours on a shared machine; memory of that run)
measure() {
    local name=$1; shift
    local best="" wall="" mem=""
    for _ in $(seq "$RUNS"); do
        rm -rf "$W/out"; mkdir -p "$W/out"
        /usr/bin/time -v -o "$W/tv" "$@" >/dev/null 2>"$W/err" || { echo "$name failed:"; cat "$W/err"; return 1; }
        local s c m
        s=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); print (n==3? a[1]*3600+a[2]*60+a[3] : a[1]*60+a[2])}' "$W/tv")
        c=$(awk -F': ' '/User time|System time/{t+=$2} END{print t}' "$W/tv")
        m=$(awk -F': ' '/Maximum resident/{print $2}' "$W/tv")
        if [ -z "$best" ] || awk "BEGIN{exit !($c < $best)}"; then best=$c; wall=$s; mem=$m; fi
    done
    printf '%-44s %8.2f s wall %8.2f s cpu %8.1f MB\n' "$name" "$wall" "$best" "$(awk "BEGIN{print $mem/1024}")"
}

for r in 1; do
measure "gpsbabel GPX->GPX (1M)"            gpsbabel -i gpx -f "$W/big.gpx" -o gpx -F "$W/out/o.gpx"
measure "polish track export GPX->GPX (1M)" "$POLISH" track export --format gpx "$W/big.gpx" -o "$W/out/o.gpx" --quiet
measure "gpsbabel GPX->GeoJSON (1M)"        gpsbabel -i gpx -f "$W/big.gpx" -o geojson -F "$W/out/o.geojson"
measure "polish track export GPX->GeoJSON (1M)" "$POLISH" track export --format geojson "$W/big.gpx" -o "$W/out/o.geojson" --quiet
measure "polish track simplify 5 m (1M)"   "$POLISH" track simplify --tolerance 5 "$W/big.gpx" -o "$W/out/s.gpx" --quiet
measure "polish fix (1M)"                  "$POLISH" fix "$W/big.gpx" -o "$W/out/" --quiet
measure "polish fix --zones (1M, one pass)" "$POLISH" fix "$W/big.gpx" --zones "$W/zones.csv" -o "$W/out/" --quiet
measure "polish track split, 5 trips (1M, streamed)" "$POLISH" track split "$W/trips.gpx" -o "$W/out/" --quiet
measure "gpsbabel GPX->GPX (1M, the trips file)" gpsbabel -i gpx -f "$W/trips.gpx" -o gpx -F "$W/out/o.gpx"
measure "gpsbabel simplify error=5 m (50k)" gpsbabel -i gpx -f "$W/50k.gpx" -x simplify,error=0.005k -o gpx -F "$W/out/s.gpx"
measure "polish track simplify 5 m (50k)"  "$POLISH" track simplify --tolerance 5 "$W/50k.gpx" -o "$W/out/s.gpx" --quiet
done
# The points each simplifier kept at 50k.
gpsbabel -i gpx -f "$W/50k.gpx" -x simplify,error=0.005k -o gpx -F "$W/gs.gpx"
"$POLISH" track simplify --tolerance 5 "$W/50k.gpx" -o "$W/ps.gpx" --quiet
echo "kept at 50k: gpsbabel $(grep -c '<trkpt' "$W/gs.gpx"), polish $(grep -c '<trkpt' "$W/ps.gpx")"
echo
[ -n "${SKIP_QUALITY:-}" ] || bash "$here/quality.sh"
