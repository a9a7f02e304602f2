#!/usr/bin/env bash
# polish — render formats: EXR half and float, Blender's multi-layer names, tiled and multi-part
# EXR (written by oiiotool), groups of pass files, Radiance HDR, 16-bit PNG/TIFF, EXR with passes
# written back; every round trip checked for its values.
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
"$RN" scene f.exr 64 48 1 blender
"$RN" scene p.exr 64 48 1 plain
"$RN" scene ph.exr 64 48 1 plain half
# float and half EXR written back as EXR keep their values (half within half precision)
run_polish 0 render export --format exr p.exr -o p2.exr
read -r ps _ md <<<"$("$RN" compare p.exr p2.exr)"
check "float EXR round trip is exact (max diff $md)" [ "$md" = 0 ]
run_polish 0 render export --format exr ph.exr -o ph2.exr
read -r ps _ md <<<"$("$RN" compare ph.exr ph2.exr)"
check "half EXR round trip is exact (max diff $md)" [ "$md" = 0 ]
read -r ps _ md <<<"$("$RN" compare p.exr ph.exr)"
at_most "half differs from float by half's precision only" "$md" 0.02
# a luminance channel beside R, G, B is not the green (it replaced G before); alone, it is grey
oiiotool p.exr --ch "R,G,B,A,Y=0.9" -o py.exr
run_polish 0 render export --format exr py.exr -o py2.exr
read -r ps _ md <<<"$("$RN" compare p.exr py2.exr)"
check "an extra Y beside R, G, B is left out (max diff $md)" [ "$md" = 0 ]
contains "$ERR" "not used: Y"
oiiotool p.exr --ch G --chnames Y -o yonly.exr
run_polish 0 render export --format exr yonly.exr -o y2.exr
read -r r g b _ <<<"$("$RN" pixel y2.exr 10 10)"
read -r _ g0 _ _ <<<"$("$RN" pixel p.exr 10 10)"
check "a Y-only beauty is grey from Y ($r $g $b, Y $g0)" test "$r" = "$g0" -a "$g" = "$g0" -a "$b" = "$g0"
# Blender multi-layer: the Combined layer is the beauty
run_polish 0 render export --format exr f.exr -o f2.exr
read -r ps _ md <<<"$("$RN" compare p.exr f2.exr)"
check "Blender's ViewLayer.Combined read as the beauty (max diff $md)" [ "$md" = 0 ]
contains "$ERR" "depth (ViewLayer.Depth)"
contains "$ERR" "albedo (ViewLayer.DiffCol)"
contains "$ERR" "motion (ViewLayer.Vector)"
contains "$ERR" "not used: ViewLayer.Emit"
# passes written back as layers and read again
run_polish 0 render export --format exr --passes true f.exr -o fp.exr
run_polish 0 inspect fp.exr --json
found=$(json_get "$OUT" '",".join(d["items"][0]["inspect"]["passes_found"])')
check "passes written and read back ($found)" [ "$found" = "beauty,depth,normal,albedo,motion" ]
zmin=$(json_get "$OUT" 'd["items"][0]["inspect"]["depth_range"]["min"][0]')
at_least "depth values survive (min $zmin)" "$zmin" 1
# AO computed by the chain becomes an AO pass when the delivery writes passes (and only then:
# it is made at full resolution for that alone)
printf 'domain: render\nsteps:\n  - ao\n  - export: {format: exr, passes: true}\n' > aop.yaml
run_polish 0 run aop.yaml f.exr -o aop/
run_polish 0 inspect aop/f.exr --json
found=$(json_get "$OUT" '",".join(d["items"][0]["inspect"]["passes_found"])')
check "the AO pass written with the passes ($found)" [ "$found" = "beauty,depth,normal,albedo,motion,ao" ]
aomin=$(json_get "$OUT" 'd["items"][0]["inspect"]["ao_range"]["min"][0]')
aomax=$(json_get "$OUT" 'd["items"][0]["inspect"]["ao_range"]["max"][0]')
check "the AO pass holds occlusion ($aomin..$aomax)" awk -v a="$aomin" -v b="$aomax" 'BEGIN{exit !(a < 0.9 && b <= 1 && b > 0.99)}'
# tiled and multi-part EXR from oiiotool
oiiotool p.exr --tile 16 16 -o tiled.exr
run_polish 0 render export --format exr tiled.exr -o t2.exr
read -r ps _ md <<<"$("$RN" compare p.exr t2.exr)"
check "tiled EXR read (max diff $md)" [ "$md" = 0 ]
oiiotool --pattern constant:color=5 64x48 1 --chnames Z -o z.exr
oiiotool p.exr z.exr --siappend -o multi.exr 2>/dev/null
if [ -s multi.exr ]; then
    run_polish 0 inspect multi.exr --json
    found=$(json_get "$OUT" '",".join(d["items"][0]["inspect"]["passes_found"])')
    check "multi-part EXR: beauty and depth from two parts ($found)" [ "$found" = "beauty,depth" ]
fi
# a group of pass files: frame.0001.beauty.exr + frame.0001.depth.exr + ... is one item
"$RN" scene frame.0001 64 48 1 group
"$RN" scene frame.0002 64 48 1 group
run_polish 0 render ao --group stem frame.0001.beauty.exr frame.0001.depth.exr frame.0001.normal.exr \
    frame.0001.albedo.exr frame.0002.beauty.exr frame.0002.depth.exr -o grp/ --json
n=$(json_get "$OUT" 'len(d["items"])')
check "two frames, two items ($n)" [ "$n" = 2 ]
st=$(json_get "$OUT" 'd["items"][0]["steps"][0]["status"]')
check "AO ran from the grouped depth pass ($st)" [ "$st" = applied ]
check "the group is written under its stem" test -s grp/frame.0001.exr
contains "$ERR" "depth (frame.0001.depth.exr:Z)"
# Radiance HDR round trip (RGBE: about 1% precision)
run_polish 0 render export --format hdr p.exr -o p.hdr
check "HDR starts with its magic" grep -q "#?RADIANCE" p.hdr
run_polish 0 render export --format exr p.hdr -o ph3.exr
read -r ps _ md <<<"$("$RN" compare p.exr ph3.exr)"
at_least "HDR round trip PSNR" "$ps" 45
mx=$("$RN" stats ph3.exr | cut -d' ' -f3)
at_least "HDR keeps values above 1 ($mx)" "$mx" 20
# 16-bit PNG and TIFF named to a render op: read, linearised, written back at 16 bits
run_polish 0 render export --format png --bits 16 p.exr -o p16.png
check "16-bit PNG written" grep -q "16-bit" <(file p16.png)
run_polish 0 render vignette --amount 0 p16.png -o p16b.png
check "a 16-bit PNG source is written at 16 bits" grep -q "16-bit" <(file p16b.png)
cmp -s p16.png p16b.png && pass || fail "16-bit PNG through a declined step is not the same picture"
run_polish 0 render export --format tiff --bits 16 p.exr -o p16.tif
run_polish 0 render export --format exr p16.tif -o ptif.exr
read -r ps _ md <<<"$("$RN" compare p.exr ptif.exr)"
at_least "16-bit TIFF round trip PSNR (clipped above 1)" "$ps" 20
run_polish 0 render export --format jpeg p.exr -o p.jpg
check "JPEG written" grep -q "JPEG" <(file p.jpg)
# a folder: EXR and HDR are render's, a PNG beside them stays the image domain's
mkdir -p mix && cp p.exr mix/a.exr && cp p.hdr mix/b.hdr && cp p16.png mix/c.png
run_polish 0 fix mix -o mixed/ --json
doms=$(json_get "$OUT" '",".join(i["input"].split("/")[-1]+":"+i["domain"] for i in d["items"])')
check "automatic routing ($doms)" [ "$doms" = "a.exr:render,b.hdr:render,c.png:image" ]
finish
