#!/usr/bin/env bash
# polish — `polish fix` streamed against whole on the broad set's photos (bench/image/evalset.list)
# at MAXDIM px: the same pixels as TIFF (fix streams them; the automatic steps judge a preview,
# reduced from 2560 px up) and as PNG (loaded whole). Prints, per photo, the steps each path
# applied and whether they agree, then the largest pixel difference of the outputs (quality_score
# visible: mean CIEDE2000 between the two outputs).
# Usage: POLISH=build-rel/src/cli/polish SCORE=build-rel/tests/image/quality_score MAXDIM=2600 \
#        bench/image/stream_vs_whole.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
POLISH=${POLISH:-$PWD/build/src/cli/polish}
SCORE=${SCORE:?set SCORE= to tests/image/quality_score}
MAXDIM=${MAXDIM:-2600}
OUT=${OUT:-$PWD/bench/out/image-svw}
IM=convert-im6.q16
command -v $IM >/dev/null || IM=convert
rm -rf "$OUT"
mkdir -p "$OUT"/{png,tif,ow,os}
while read -r kind path; do
    case "$kind" in photo) ;; *) continue ;; esac
    case "$path" in *.dat) continue ;; esac
    case "$path" in */contents/images/*) n=$(basename "$(dirname "$(dirname "$(dirname "$path")")")") ;;
    *) n=$(basename "${path%.*}") ;; esac
    n=${n// /_}
    "$SCORE" degrade "$path" "$OUT/png/$n.png" "$MAXDIM" 1 1 1
    $IM "$OUT/png/$n.png" -depth 8 -compress zip "$OUT/tif/$n.tif"
done <bench/image/evalset.list
/usr/bin/time -f "whole:    %e s wall, %U+%S s CPU, %M KB peak" \
    "$POLISH" fix "$OUT/png" -o "$OUT/ow" -q --overwrite -j 1 --report "$OUT/w.json" || true
/usr/bin/time -f "streamed: %e s wall, %U+%S s CPU, %M KB peak" \
    "$POLISH" fix "$OUT/tif" -o "$OUT/os" -q --overwrite -j 1 --report "$OUT/s.json" || true
/usr/bin/python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
def steps(f):
    r = json.load(open(f))
    d = {}
    for it in r["items"]:
        name = it["input"].rsplit("/", 1)[-1].rsplit(".", 1)[0]
        d[name] = ([s["op"].split(".")[1] for s in it.get("steps", [])
                    if s.get("status") == "applied" and s["op"] != "image.export"],
                   it.get("streamed_fallback") is None and any(s.get("streamed") for s in it.get("steps", [])))
    return d
w, s = steps(f"{out}/w.json"), steps(f"{out}/s.json")
agree = sum(w[k][0] == s[k][0] for k in w if k in s)
streamed = sum(s[k][1] for k in s)
for k in sorted(w):
    if k in s and w[k][0] != s[k][0]:
        print(f"  differs: {k}: whole {w[k][0]}, streamed {s[k][0]}")
print(f"{len(w)} photos: same steps applied on both paths for {agree}; streamed to the end: {streamed}")
PY
for f in "$OUT"/os/*.tif; do
    n=$(basename "${f%.tif}")
    read -r de _ < <("$SCORE" visible "$OUT/ow/$n.png" "$f")
    echo "$n $de"
done | awk '{ s += $2; n++; if ($2 > m) { m = $2; mn = $1 } } END { printf "outputs: mean CIEDE2000 between the paths %.4f, largest %.4f (%s), over %d photos\n", s / n, m, mn, n }'
