#!/usr/bin/env bash
# polish — AO against Cycles' AO pass: Blender (Debian's, headless, Cycles, denoising off) renders
# a floor with two boxes and a sphere resting on it into a multi-layer EXR with beauty, depth,
# normal and AO passes (cycles_ao_scene.py); polish's `render ao` runs on that depth (beauty set
# to 1, so its output is the occlusion) at radii of 1, 2 and 3 times Cycles' AO distance, and
# rn_tool aocompare scores it against the AO pass: correlation and mean absolute error over the
# geometry and on the floor near contacts. A benchmark, not a test: the render takes over a
# minute on a loaded machine.
# Usage: POLISH=build/src/cli/polish bench/render/cycles_ao.sh [W H SAMPLES DISTANCE]
set -euo pipefail
cd "$(dirname "$0")/../.."
POLISH=${POLISH:-$PWD/build/src/cli/polish}
W=${1:-320} H=${2:-240} SPP=${3:-64} D=${4:-1.0}
T=$(mktemp -d /tmp/polish-bench-ao-XXXXXX)
trap 'rm -rf "$T"' EXIT
cc -O2 -o "$T/rn_tool" tests/render/rn_tool.c $(pkg-config --cflags --libs OpenEXR) -lm
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
t0=$(date +%s.%N)
/usr/bin/time -f "%U %S" -o "$T/cpu" blender -b --factory-startup --python bench/render/cycles_ao_scene.py \
    -- "$T/cycles.exr" "$W" "$H" "$SPP" "$D" > "$T/blender.log" 2>&1
t1=$(date +%s.%N)
echo "Cycles ${W}x${H}, $SPP samples, AO distance $D: $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s wall, $(awk '{printf "%.1f", $1+$2}' "$T/cpu") s CPU"
oiiotool --pattern constant:color=1,1,1,1 "${W}x${H}" 4 -d float --chnames R,G,B,A \
    "$T/cycles.exr" --ch ViewLayer.Depth.Z --chnames Z --chappend -o "$T/in.exr"
for k in 1 2 3; do
    r=$(awk -v d="$D" -v k="$k" 'BEGIN{print d*k}')
    for q in "" "--steps 16 --slices 4 --resolution half"; do
        # shellcheck disable=SC2086
        "$POLISH" render ao --strength 1 --fov 50 --radius "$r" $q "$T/in.exr" -o "$T/ao.exr" --format exr --float true -q --overwrite
        echo "polish radius $r (${k}x the distance)${q:+, $q}:"
        "$T/rn_tool" aocompare "$T/cycles.exr" "$T/ao.exr" | sed 's/^/    /'
    done
done
"$POLISH" render ao --strength 1 --fov 50 "$T/in.exr" -o "$T/ao.exr" --format exr --float true --json --overwrite 2>/dev/null |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print("polish automatic radius %.3g:" % d["items"][0]["steps"][0]["measured"]["radius"])'
"$T/rn_tool" aocompare "$T/cycles.exr" "$T/ao.exr" | sed 's/^/    /'
