#!/usr/bin/env bash
# polish — render benchmark: the full chain (AO + AA + bloom + AgX tone map + a 33^3 LUT) on a
# 1080p frame with its passes, 2 threads, against oiiotool on the parts it can do (the LUT through
# OpenColorIO's ocioconvert, a naive full-resolution bloom blur in oiiotool) in the same run. Quality figures (AA, LUT, AO,
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
echo "frame: 1920x1080, half-float EXR with depth, normal, albedo and motion passes ($(stat -c %s "$W/frame.exr") bytes); $N frames"
# polish: one frame at a time with 2 threads (the figure per frame), then the batch
t0=$(now)
for f in "$W"/in/*.exr; do "$POLISH" run "$W/chain.yaml" "$f" -o "$W/out1/" -j 2 -q; done
t1=$(now)
echo "polish full chain, frame by frame (-j 2): $(awk -v a="$t0" -v b="$t1" -v n="$N" 'BEGIN{printf "%.1f", (b-a)/n*1000}') ms/frame (EXR decode + chain + PNG encode)"
"$POLISH" run "$W/chain.yaml" "$W/in/f1.exr" -o "$W/out2/" -j 2 -q --report "$W/r.json" 2>/dev/null || \
"$POLISH" run "$W/chain.yaml" "$W/in/f$(printf %0${#N}d 1).exr" -o "$W/out2/" -j 2 -q --report "$W/r.json"
python3 - "$W/r.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
it = d["items"][0]
steps = [(s["op"], s.get("seconds", 0)) for s in it.get("steps", [])]
chain = sum(s for o, s in steps if o != "render.export")
print("polish chain only (steps' own seconds, -j 2): %.1f ms = %s" % (chain * 1000, ", ".join("%s %.1f" % (o.split(".")[1], s * 1000) for o, s in steps)))
PY
t0=$(now)
"$POLISH" run "$W/chain.yaml" "$W/in" -o "$W/out3/" -j 2 -q
t1=$(now)
echo "polish full chain, batch of $N (-j 2): $(awk -v a="$t0" -v b="$t1" -v n="$N" 'BEGIN{printf "%.1f", (b-a)/n*1000}') ms/frame"
# peers: the LUT (ocioconvert; oiiotool's --ociofiletransform needs an OCIO config) and a naive
# full-resolution bloom in oiiotool (threshold, blur, add)
t0=$(now)
for f in "$W"/in/*.exr; do ocioconvert --lut "$W/look.cube" "$f" "$W/o_lut.exr" >/dev/null; done
t1=$(now)
echo "OpenColorIO LUT only (ocioconvert --lut, EXR in and out): $(awk -v a="$t0" -v b="$t1" -v n="$N" 'BEGIN{printf "%.1f", (b-a)/n*1000}') ms/frame"
t0=$(now)
for f in "$W"/in/*.exr; do
    oiiotool --threads 2 "$f" --ch R,G,B --dup --subc 1 --clamp:min=0 --blur 61x61 --mulc 0.5 --add -o "$W/o_bloom.exr"
done
t1=$(now)
echo "oiiotool naive full-resolution bloom (threshold, 61x61 blur, add; --threads 2): $(awk -v a="$t0" -v b="$t1" -v n="$N" 'BEGIN{printf "%.1f", (b-a)/n*1000}') ms/frame"
t0=$(now)
for f in "$W"/in/*.exr; do oiiotool --threads 2 "$f" -o "$W/o_copy.exr"; done
t1=$(now)
echo "oiiotool read + write only (EXR to EXR, for scale): $(awk -v a="$t0" -v b="$t1" -v n="$N" 'BEGIN{printf "%.1f", (b-a)/n*1000}') ms/frame"
