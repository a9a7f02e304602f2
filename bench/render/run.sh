#!/usr/bin/env bash
# polish — render benchmark: the full chain (AO + AA + bloom + AgX tone map + a 33^3 LUT) on a
# 1080p frame with its passes, 2 threads, against oiiotool on the parts it can do (the LUT through
# OpenColorIO's ocioconvert, a naive full-resolution bloom blur in oiiotool) and Blender's
# compositor (blender_composite.py: AA, fog-glow bloom, Filmic) in the same run. Quality figures (AA, LUT, AO,
# denoise, bloom energy, NaN/Inf) are in tests/render/test_quality.sh; this script times.
# Usage: POLISH=build/src/cli/polish bench/render/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
POLISH=${POLISH:-$PWD/build/src/cli/polish}
W=$(mktemp -d /tmp/polish-bench-render-XXXXXX)
trap 'rm -rf "$W"' EXIT
N=${FRAMES:-8}
cc -O2 -o "$W/rn_tool" tests/render/rn_tool.c $(pkg-config --cflags --libs OpenEXR) -lm
"$W/rn_tool" scene "$W/frame.exr" 1920 1080 1 blender half
ociobakelut --slope 1.1 1 0.95 --power 0.95 1 1.05 --sat 1.1 --format resolve_cube --cubesize 33 "$W/look.cube" >/dev/null
mkdir -p "$W/in"
for i in $(seq -w 1 "$N"); do cp "$W/frame.exr" "$W/in/f$i.exr"; done
# the peers read plain R G B A: the beauty alone, as its own EXR (less to decode than polish's)
mkdir -p "$W/rgba"
oiiotool "$W/frame.exr" --ch "R=ViewLayer.Combined.R,G=ViewLayer.Combined.G,B=ViewLayer.Combined.B,A=ViewLayer.Combined.A" -o "$W/beauty.exr"
for i in $(seq -w 1 "$N"); do cp "$W/beauty.exr" "$W/rgba/f$i.exr"; done
cat > "$W/chain.yaml" <<Y
domain: render
steps:
  - ao
  - aa
  - bloom
  - tonemap: {curve: agx}
  - grade: {lut: $W/look.cube}
Y
now() { date +%s.%N; }
# cpu FILE: user+sys seconds GNU time wrote to FILE
cpu() { awk '{s += $1 + $2} END {printf "%.2f", s}' "$1"; }
T=/usr/bin/time
echo "frame: 1920x1080, half-float EXR with depth, normal, albedo and motion passes ($(stat -c %s "$W/frame.exr") bytes); $N frames; load: $(cut -d' ' -f1-3 /proc/loadavg)"
# polish: one frame at a time with 2 threads, then the batch
rm -f "$W/cpu1"
t0=$(now)
for f in "$W"/in/*.exr; do $T -a -o "$W/cpu1" -f "%U %S" "$POLISH" run "$W/chain.yaml" "$f" -o "$W/out1/" -j 2 -q; done
t1=$(now)
echo "polish full chain, frame by frame (-j 2): $(awk -v a="$t0" -v b="$t1" -v n="$N" 'BEGIN{printf "%.1f", (b-a)/n*1000}') ms/frame wall, $(awk -v c="$(cpu "$W/cpu1")" -v n="$N" 'BEGIN{printf "%.0f", c/n*1000}') ms CPU (EXR decode + chain + PNG encode)"
# the steps' own seconds (--json: no report figures, so the pointwise steps stay fused; their
# fused pass runs when the frame is written, shown as "export")
for k in 1 2 3; do
    "$POLISH" run "$W/chain.yaml" "$W/in/$(ls "$W/in" | head -1)" -o "$W/out2_$k/" -j 2 -q --json > "$W/r$k.json"
done
python3 - "$W"/r1.json "$W"/r2.json "$W"/r3.json <<'PY'
import json, sys
runs = []
for p in sys.argv[1:]:
    it = json.load(open(p))["items"][0]
    runs.append([(s["op"].split(".")[1], s.get("seconds", 0) * 1000) for s in it.get("steps", [])])
tot = sorted(sum(v for _, v in r) for r in runs)
best = min(runs, key=lambda r: sum(v for _, v in r))
print("polish chain only (steps' own seconds, -j 2, wall): median %.1f ms of 3; best run: %s" %
      (tot[1], ", ".join("%s %.1f" % (o, v) for o, v in best)))
PY
# the chain alone on a frame decoded once (bench/render/rn_bench.c, built beside the tests):
# median wall and CPU ms over 7 runs, 2 threads, then 1 thread
RNB=$(dirname "$(dirname "$(readlink -f "$POLISH")")")/../tests/render/rn_bench
if [ -x "$RNB" ]; then
    echo "polish chain only, frame decoded once, 2 threads: $("$RNB" "$W/frame.exr" "$W/look.cube" 7 2)"
    echo "polish chain only, frame decoded once, 1 thread: $("$RNB" "$W/frame.exr" "$W/look.cube" 7 1)"
fi
rm -f "$W/cpu3"
t0=$(now)
$T -o "$W/cpu3" -f "%U %S" "$POLISH" run "$W/chain.yaml" "$W/in" -o "$W/out3/" -j 2 -q
t1=$(now)
echo "polish full chain, batch of $N (-j 2): $(awk -v a="$t0" -v b="$t1" -v n="$N" 'BEGIN{printf "%.1f", (b-a)/n*1000}') ms/frame wall, $(awk -v c="$(cpu "$W/cpu3")" -v n="$N" 'BEGIN{printf "%.0f", c/n*1000}') ms CPU"
rm -f "$W/cpu4"
for f in "$W"/in/*.exr; do $T -a -o "$W/cpu4" -f "%U %S" "$POLISH" render export --format png "$f" -o "$W/out4/" -j 2 -q; done
echo "polish read + write only (EXR to PNG, for scale): $(awk -v c="$(cpu "$W/cpu4")" -v n="$N" 'BEGIN{printf "%.0f", c/n*1000}') ms CPU/frame"
# peers: the LUT (ocioconvert; oiiotool's --ociofiletransform needs an OCIO config) and a naive
# full-resolution bloom in oiiotool (threshold, blur, add)
rm -f "$W/cpu5"
t0=$(now)
for f in "$W"/rgba/*.exr; do $T -a -o "$W/cpu5" -f "%U %S" ocioconvert --lut "$W/look.cube" "$f" "$W/o_lut.exr" >/dev/null; done
t1=$(now)
echo "OpenColorIO LUT only (ocioconvert --lut, EXR in and out): $(awk -v a="$t0" -v b="$t1" -v n="$N" 'BEGIN{printf "%.1f", (b-a)/n*1000}') ms/frame wall, $(awk -v c="$(cpu "$W/cpu5")" -v n="$N" 'BEGIN{printf "%.0f", c/n*1000}') ms CPU"
rm -f "$W/cpu6"
t0=$(now)
for f in "$W"/rgba/*.exr; do
    $T -a -o "$W/cpu6" -f "%U %S" oiiotool --threads 2 "$f" --ch R,G,B --dup --subc 1 --clamp:min=0 --blur 61x61 --mulc 0.5 --add -o "$W/o_bloom.exr"
done
t1=$(now)
echo "oiiotool naive full-resolution bloom (threshold, 61x61 blur, add; --threads 2): $(awk -v a="$t0" -v b="$t1" -v n="$N" 'BEGIN{printf "%.1f", (b-a)/n*1000}') ms/frame wall, $(awk -v c="$(cpu "$W/cpu6")" -v n="$N" 'BEGIN{printf "%.0f", c/n*1000}') ms CPU"
rm -f "$W/cpu7"
t0=$(now)
for f in "$W"/rgba/*.exr; do $T -a -o "$W/cpu7" -f "%U %S" oiiotool --threads 2 "$f" -o "$W/o_copy.exr"; done
t1=$(now)
echo "oiiotool read + write only (EXR to EXR, for scale): $(awk -v a="$t0" -v b="$t1" -v n="$N" 'BEGIN{printf "%.1f", (b-a)/n*1000}') ms/frame wall, $(awk -v c="$(cpu "$W/cpu7")" -v n="$N" 'BEGIN{printf "%.0f", c/n*1000}') ms CPU"
# Blender's compositor (AA + Fog Glow bloom + Filmic) on one frame: its own seconds for the
# render call, and the whole process's CPU (start-up included)
if command -v blender >/dev/null; then
    out=$($T -o "$W/cpu8" -f "%U %S" blender -b --factory-startup --python bench/render/blender_composite.py -- "$W/frame.exr" "$W/o_blender.png" 2>&1 | grep BLENDER_COMPOSITE_SECONDS || true)
    echo "Blender 3.4 compositor (Anti-Aliasing + Glare fog glow + Filmic, 2 threads): ${out#BLENDER_COMPOSITE_SECONDS } s for the render call, $(cpu "$W/cpu8") s CPU for the whole process"
fi
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
