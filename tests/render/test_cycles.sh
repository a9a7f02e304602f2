#!/usr/bin/env bash
# polish — against Cycles (Debian's Blender, headless), small enough for a test.
# 1. AO against Cycles' AO pass: Blender renders a floor with two boxes and a
# sphere resting on it (bench/render/cycles_ao_scene.py: 128x96, 16 samples, denoising off, AO
# distance 1) with depth, normal and AO passes, in about 15 s; polish's AO from that depth (the
# beauty set to 1, so the output is the occlusion) must follow Cycles' (correlation) and darken the
# floor at the contacts as much as Cycles does, at the same distance (`--radius 1`: an occluder
# nearer than the radius counts in full, as a ray's hit within Cycles' distance does;
# bench/render/cycles_ao.sh has the figures at 320x240 and other radii).
# 2. Blender's Vector pass as temporal AA reads it: four aliased frames of a box sliding over a
# checkered floor while the camera pans (blender_motion.py, 96x72, about 15 s), through `render aa`
# with the motion convention found from the pass's name (auto: Blender's) against the other one:
# the right one keeps more history (fewer pixels clipped to the neighbourhood or rejected by depth).
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
SRC=${POLISH_SRC:-$(dirname "$0")/../..}
if ! command -v blender >/dev/null; then
    echo "blender is not installed (scripts/setup installs it)"; exit 77
fi
blender -b --factory-startup --python "$SRC/bench/render/cycles_ao_scene.py" -- "$T/cyc.exr" 128 96 16 1.0 \
    > blender.log 2>&1 || { cat blender.log | tail -20; fail "Blender did not render"; finish; exit 1; }
check "Cycles wrote its passes" test -s cyc.exr
oiiotool --pattern constant:color=1,1,1,1 128x96 4 -d float --chnames R,G,B,A cyc.exr \
    --ch ViewLayer.Depth.Z --chnames Z --chappend -o in.exr
run_polish 0 render ao --strength 1 --fov 50 --radius 1 in.exr -o ao.exr --format exr --float true
"$RN" aocompare cyc.exr ao.exr > cmp.txt
sed 's/^/cycles vs polish: /' cmp.txt
get() { awk -v k="$1" -v f="$2" '$1 == k {for (i = 2; i < NF; i++) if ($i == f) print $(i + 1)}' cmp.txt; }
at_least "polish's AO follows Cycles' over the geometry (correlation)" "$(get all corr)" 0.8
at_least "and on the floor near the contacts" "$(get floor_contact corr)" 0.75
at_most "the floor near the contacts is as dark as Cycles' (polish's mean there within 0.08 of Cycles')" \
    "$(awk -v a="$(get floor_contact polish_mean)" -v b="$(get floor_contact cycles_mean)" 'BEGIN{d=a-b; print d<0?-d:d}')" 0.08
at_most "and the error there is small (mean absolute)" "$(get floor_contact mae)" 0.12
at_least "open floor stays open (within 3% of Cycles')" "$(get floor_open polish_mean)" 0.97

mkdir -p bm
blender -b --factory-startup --python "$SRC/tests/render/blender_motion.py" -- "$T/bm/f" 96 72 4 \
    > blender2.log 2>&1 || { tail -20 blender2.log; fail "Blender did not render the moving scene"; }
for m in auto forward; do
    run_polish 0 render aa --motion $m 'bm/f.####.exr' -o "bm_$m/" --format exr --json
    read -r clip_$m dis_$m <<<"$(json_get "$OUT" '" ".join("%.5f" % (sum(i["steps"][0]["measured"][k] for i in d["items"][1:]) / (len(d["items"]) - 1)) for k in ("clipped_fraction", "disoccluded_fraction"))')"
done
echo "Blender's Vector pass: read as Blender's, $clip_auto clipped and $dis_auto disoccluded; read the other way, $clip_forward and $dis_forward"
at_most "Blender's convention clips less history than the other (ratio)" "$(awk -v a="$clip_auto" -v b="$clip_forward" 'BEGIN{print a/b}')" 0.8
at_most "and finds less disoccluded (ratio)" "$(awk -v a="$dis_auto" -v b="$dis_forward" 'BEGIN{print a/b}')" 0.7
finish
