#!/usr/bin/env bash
# polish — the render commands that are checked from outside, run exactly as written, each checked
# for what it must do (not only that it exits 0).
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
"$RN" scene frame.exr 160 120 1 blender
"$RN" scene ref.exr 160 120 16 plain
"$RN" scene plain.exr 160 120 1 plain
cp plain.exr in.exr

# 1. tonemap --curve agx: a display PNG whose highlights roll off instead of clipping
run_polish 0 render tonemap --curve agx in.exr -o out.png
check "tonemap: out.png is an 8-bit PNG" grep -q "PNG image data, 160 x 120, 8-bit" <(file out.png)
# a ramp from 0 to 12 (scene-linear) through the same command: AgX rolls it off, never clipping
oiiotool --pattern fill:left=0,0,0:right=12,12,12 160x8 3 -d float -o ramp.exr
mkdir -p r && cp ramp.exr r/in.exr && (cd r && "$POLISH" render tonemap --curve agx in.exr -o out.png 2>/dev/null)
run_polish 0 render export --format exr r/out.png -o back.exr
prev=-1 mono=1
for x in 13 27 40 53 80 107 133 159; do   # scene values 1 to 12
    v=$("$RN" pixel back.exr $x 4 | cut -d' ' -f1)
    awk -v v="$v" -v p="$prev" 'BEGIN{exit !(v > p)}' || mono=0
    prev=$v
done
check "AgX: the ramp from 1 to 12 keeps rising (no clipping)" [ "$mono" = 1 ]
at_most "AgX: 12 stays below white ($prev)" "$prev" 0.995
mid=$("$RN" pixel back.exr 2 4 | cut -d' ' -f1) # about 0.16 scene-linear
at_least "AgX: a dark grey stays visible ($mid)" "$mid" 0.02
rm -f back.exr
(cd r && "$POLISH" render tonemap --curve none in.exr -o clip.png 2>/dev/null)
run_polish 0 render export --format exr r/clip.png -o back.exr
v=$("$RN" pixel back.exr 80 4 | cut -d' ' -f1)
at_least "without a curve 6.0 clips to white (the check can fail)" "$v" 0.999

# 2. aa on a PNG: the frame is read by the render domain and comes out closer to the reference
# (slanted edges and a disc, 1 sample against 4x4: what morphological AA is for; the textured
# scene's sub-pixel checker, clipped in a PNG, is scored in test_quality.sh)
"$RN" scene edge.exr 160 120 1 plain edge
"$RN" scene edge_ref.exr 160 120 16 plain edge
run_polish 0 render export --format png edge.exr -o in.png
rm -f out.png
run_polish 0 render aa in.png -o out.png
contains "$ERR" "passes found"
run_polish 0 render export --format exr in.png -o in_lin.exr
run_polish 0 render export --format exr out.png -o out_lin.exr
p_in=$("$RN" compare in_lin.exr edge_ref.exr | cut -d' ' -f1)
p_out=$("$RN" compare out_lin.exr edge_ref.exr | cut -d' ' -f1)
at_least "aa on the PNG moves it towards the supersampled reference (PSNR $p_in -> $p_out)" \
    "$(awk -v a="$p_out" -v b="$p_in" 'BEGIN{print a-b}')" 0.5
# a PNG given to polish fix still goes to the image domain
rm -rf fixed
run_polish 0 fix in.png -o fixed/ --json
check "polish fix in.png is the image domain's" grep -q '"domain": "image"' "$OUT"

# 3. grade --lut: a LUT baked by ociobakelut, written as it is
ociobakelut --slope 1.2 0.9 1.05 --power 0.8 1.1 1 --sat 1.3 --format resolve_cube --cubesize 17 look.cube >/dev/null
rm -f out.png
run_polish 0 render grade --lut look.cube in.exr -o out.png
check "grade: out.png is a PNG" grep -q "PNG image data, 160 x 120" <(file out.png)

# 4. fix writes out/frame.png and says which passes it found; inspect --json lists them
run_polish 0 fix frame.exr -o out/
check "fix wrote out/frame.png" test -s out/frame.png
check "out/frame.png is a PNG" grep -q "PNG image data" <(file out/frame.png)
contains "$ERR" "passes found: beauty (ViewLayer.Combined), depth (ViewLayer.Depth), normal"
run_polish 0 inspect frame.exr --json
found=$(json_get "$OUT" '",".join(d["items"][0]["inspect"]["passes_found"])')
check "inspect lists the passes ($found)" [ "$found" = "beauty,depth,normal,albedo,motion" ]
nan=$(json_get "$OUT" 'd["items"][0]["inspect"]["nan"]')
check "inspect counts NaN samples (none here: $nan)" [ "$nan" = 0 ]
mx=$(json_get "$OUT" 'max(d["items"][0]["inspect"]["beauty_range"]["max"][:3])')
at_least "inspect's range shows values above 1" "$mx" 5
# and what fix did: AO from depth, AA, bloom on the lamp, AgX
rm -rf out2
run_polish 0 fix frame.exr -o out2/ --json
for op in ao aa bloom tonemap; do
    st=$(json_get "$OUT" "[s['status'] for s in d['items'][0]['steps'] if s['op']=='render.$op'][0]")
    check "fix applied render.$op ($st)" [ "$st" = applied ]
done
# the HTML report: before/after pictures of the applied steps and the passes used
rm -rf out4
run_polish 0 fix frame.exr -o out4/ --report out4/r.html
figs=$(grep -o "data:image/png" out4/r.html | wc -l)
at_least "the report shows before/after pictures of AO, AA, bloom, tone map" "$figs" 4
contains out4/r.html "ViewLayer.Depth"
# a frame without passes: AO declines, the rest runs
rm -rf out3
cp plain.exr frame2.exr
run_polish 0 fix frame2.exr -o out3/ --json
st=$(json_get "$OUT" "[s['status'] for s in d['items'][0]['steps'] if s['op']=='render.ao'][0]")
check "fix without a depth pass: AO declines ($st)" [ "$st" = declined ]
check "fix without passes still writes out3/frame2.png" test -s out3/frame2.png
finish
