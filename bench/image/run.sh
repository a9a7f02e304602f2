#!/usr/bin/env bash
# polish — image benchmarks: polish against libvips (vips, vipsthumbnail) and ImageMagick 6 on the
# same inputs in one run; wall time and peak RSS (best of $REPS), ratios = peer time / polish time.
# Usage: POLISH=build/polish bench/image/run.sh   (inputs are made in bench/out/image)
set -euo pipefail
cd "$(dirname "$0")/../.."
POLISH=${POLISH:-$PWD/build/polish}
REPS=${REPS:-3}
OUT=$PWD/bench/out/image
SRC=${SRC:-/usr/share/backgrounds/mate/abstract/Elephants_5640x3172.jpg}
IM=convert-im6.q16
command -v $IM >/dev/null || IM=convert
mkdir -p "$OUT"

# best-of-REPS "seconds peak_kb cpu_seconds" of a command (its output goes to $OUT/.log); the
# CPU seconds (user + sys) stay honest when other work loads the machine
measure() {
    local best="" rss="" cpu=""
    for _ in $(seq "$REPS"); do
        if ! /usr/bin/time -f "%e %M %U %S" -o "$OUT/.time" "$@" >"$OUT/.log" 2>&1; then
            echo "FAILED: $*" >&2
            sed 's/^/    /' "$OUT/.log" >&2
            return 1
        fi
        read -r t m u s <"$OUT/.time"
        if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a < b)}'; then
            best=$t
            rss=$m
            cpu=$(awk -v u="$u" -v s="$s" 'BEGIN{print u + s}')
        fi
    done
    echo "$best $rss $cpu"
}

# row NAME "secs kb cpu" — one line of a table
row() {
    local t m c
    read -r t m c <<<"$2"
    printf '  %-34s %7.2f s %8.0f MB %7.2f s CPU\n' "$1" "$t" "$(awk -v k="$m" 'BEGIN{print k/1024}')" "$c"
}
ratio() { awk -v p="${1%% *}" -v q="${2%% *}" 'BEGIN{ if (p <= 0) p = 0.005; printf "%.2f", q / p }'; }
mem_ratio() { awk -v p="$1" -v q="$2" 'BEGIN{ split(p, a, " "); split(q, b, " "); printf "%.2f", a[2] / b[2] }'; }

echo "load average at the start: $(uptime | sed 's/.*load average: //')"
echo "image benchmarks: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "  polish $("$POLISH" --version 2>&1 | head -1); $(vips --version); $($IM -version | head -1 | cut -d' ' -f2-3)"
echo "  source photo: $SRC; best of $REPS runs"

# ---- inputs (made once) ------------------------------------------------------------------------
[ -s "$OUT/tiled.tif" ] || vips thumbnail "$SRC" "$OUT/tiled.tif[tile,tile-width=128,tile-height=128]" 5000 --height 5000 --crop centre
[ -s "$OUT/5k.jpg" ] || vips thumbnail "$SRC" "$OUT/5k.jpg[Q=90]" 5120 --height 2880 --crop centre
[ -s "$OUT/12mp.jpg" ] || vips thumbnail "$SRC" "$OUT/12mp.jpg[Q=92]" 4000 --height 3000 --crop centre
# (6): a photo white balance corrects (python3-skimage's motorcycle under a yellow light, blue
# x 0.75 on the encoded values), at 5120x2880
CAST_SRC=/usr/lib/python3/dist-packages/skimage/data/motorcycle_left.png
if [ ! -s "$OUT/5k-cast.jpg" ]; then
    vips thumbnail "$CAST_SRC" "$OUT/.t.v" 5120 --height 2880 --crop centre --size force
    vips linear "$OUT/.t.v" "$OUT/.tw.v" "1 1 0.75" "0 0 0"
    vips cast "$OUT/.tw.v" "$OUT/.tu.v" uchar
    vips extract_band "$OUT/.tu.v" "$OUT/5k-cast.jpg[Q=90]" 0 --n 3
    rm -f "$OUT/.t.v" "$OUT/.tw.v" "$OUT/.tu.v"
fi
# (7): a noisy photo denoise acts on (python3-skimage's coffee at 5120x2880, Gaussian noise of
# sigma 8 levels per channel, JPEG Q92); (8): the 5k photo in Display P3 (colour converts it);
# (9): a 6000x4000 RGBA PNG
noisy() { # noisy SRC OUT
    vips thumbnail "$1" "$OUT/.m.v" 5120 --height 2880 --crop centre --size force
    vips extract_band "$OUT/.m.v" "$OUT/.m3.v" 0 --n 3
    for k in 1 2 3; do vips gaussnoise "$OUT/.n$k.v" 5120 2880 --sigma 8 --mean 0; done
    vips bandjoin "$OUT/.n1.v $OUT/.n2.v $OUT/.n3.v" "$OUT/.n.v"
    vips add "$OUT/.m3.v" "$OUT/.n.v" "$OUT/.s.v"
    vips cast "$OUT/.s.v" "$OUT/.u.v" uchar
    vips copy "$OUT/.u.v" "$2[Q=92]"
    rm -f "$OUT"/.m.v "$OUT"/.m3.v "$OUT"/.n?.v "$OUT"/.n.v "$OUT"/.s.v "$OUT"/.u.v
}
[ -s "$OUT/5k-noisy.jpg" ] || noisy /usr/lib/python3/dist-packages/skimage/data/coffee.png "$OUT/5k-noisy.jpg"
[ -s "$OUT/5k-p3.jpg" ] || vips icc_transform "$OUT/5k.jpg" "$OUT/5k-p3.jpg[Q=90]" p3 --embedded
# (10): a tilted photo straighten levels (the ColdRipple wallpaper, plasma-workspace-wallpapers,
# rotated 3 degrees with vips similarity, cropped to 5120x2880 from a 1.2x cover), JPEG Q90; and
# (10') the same scene untilted (same resampling, angle 0: straighten declines)
tilted() { # tilted ANGLE OUT
    local src=/usr/share/wallpapers/ColdRipple/contents/images/2560x1600.jpg
    vips thumbnail "$src" "$OUT/.c.v" 6144 --height 3456 --crop centre --size force
    vips similarity "$OUT/.c.v" "$OUT/.cr.v" --angle "$1"
    local w h
    w=$(vipsheader -f width "$OUT/.cr.v") h=$(vipsheader -f height "$OUT/.cr.v")
    vips crop "$OUT/.cr.v" "$2[Q=90]" $(((w - 5120) / 2)) $(((h - 2880) / 2)) 5120 2880
    rm -f "$OUT/.c.v" "$OUT/.cr.v"
}
[ -s "$OUT/5k-tilt.jpg" ] || tilted 3 "$OUT/5k-tilt.jpg"
[ -s "$OUT/5k-level.jpg" ] || tilted 0 "$OUT/5k-level.jpg"
if [ ! -s "$OUT/6k.png" ]; then
    vips thumbnail "$SRC" "$OUT/.t.v" 6000 --height 4000 --crop centre --size force
    vips bandjoin_const "$OUT/.t.v" "$OUT/6k.png" 255
    rm -f "$OUT/.t.v"
fi

# ---- (1) the libvips speed-and-memory pipeline -------------------------------------------------
echo
echo "(1) 5000x5000 tiled TIFF: crop 100 px each side, shrink 10%, 3x3 sharpen, save TIFF"
# (the delivery as a step, not a named target: a target keeps the item whole; this way every
# step streams strip by strip)
cat >"$OUT/pipeline.yml" <<'EOF'
domain: image
steps:
  - crop: {box: "100,100,4800,4800"}
  - resize: {scale: 0.9}
  - sharpen: {amount: 1.0, radius: 0.5, threshold: 0}
  - export: {format: tiff}
EOF
# the mask libvips' own benchmark uses, as a file for `vips conv`
printf '3 3 8 0\n-1 -1 -1\n-1 16 -1\n-1 -1 -1\n' >"$OUT/sharpen.con"
vips_pipeline() {
    vips crop "$OUT/tiled.tif" "$OUT/t1.v" 100 100 4800 4800
    vips reduce "$OUT/t1.v" "$OUT/t2.v" 1.1111 1.1111
    vips conv "$OUT/t2.v" "$OUT/vips1.tif" "$OUT/sharpen.con"
    rm -f "$OUT/t1.v" "$OUT/t2.v"
}
export -f vips_pipeline
export OUT
p1=$(measure "$POLISH" run "$OUT/pipeline.yml" "$OUT/tiled.tif" -o "$OUT/p1" --overwrite -q)
v1=$(measure bash -c vips_pipeline)
m1=$(measure $IM "$OUT/tiled.tif" -crop 4800x4800+100+100 +repage -resize 90% \
    -morphology Convolve '3x3: -0.125,-0.125,-0.125 -0.125,2,-0.125 -0.125,-0.125,-0.125' \
    "$OUT/im1.tif")
row "polish run (recipe)" "$p1"
row "vips CLI (crop, reduce, conv)" "$v1"
row "ImageMagick convert" "$m1"
echo "  ratios: vips/polish $(ratio "$p1" "$v1"), ImageMagick/polish $(ratio "$p1" "$m1")"

# ---- (2) one large JPEG to a 1080-wide JPEG at quality 82 --------------------------------------
echo
echo "(2) 5120x2880 JPEG -> 1080 px wide JPEG, quality 82"
p2=$(measure "$POLISH" image resize --width 1080 --quality 82 "$OUT/5k.jpg" -o "$OUT/p2.jpg" --overwrite)
v2=$(measure vipsthumbnail "$OUT/5k.jpg" -s 1080x -o "$OUT/v2.jpg[Q=82]")
v2l=$(measure vipsthumbnail --linear "$OUT/5k.jpg" -s 1080x -o "$OUT/v2l.jpg[Q=82]")
m2=$(measure $IM "$OUT/5k.jpg" -resize 1080x -quality 82 "$OUT/m2.jpg")
row "polish image resize" "$p2"
row "vipsthumbnail" "$v2"
row "vipsthumbnail --linear" "$v2l"
row "ImageMagick convert -resize" "$m2"
echo "  ratios: vipsthumbnail/polish $(ratio "$p2" "$v2"), vipsthumbnail --linear/polish $(ratio "$p2" "$v2l"), ImageMagick/polish $(ratio "$p2" "$m2")"

# ---- (3) one photo to all six delivery presets -------------------------------------------------
echo
echo "(3) 12 MP JPEG -> six delivery presets"
cat >"$OUT/six.yml" <<'EOF'
domain: image
deliver: [web, instagram-square, instagram-portrait, story, google-business, print-300dpi]
EOF
six_vips() {
    local i=$OUT/12mp.jpg o=$OUT/v3
    mkdir -p "$o"
    vipsthumbnail "$i" -s 2048x2048 -o "$o/web.jpg[Q=82]"
    vipsthumbnail "$i" -s 1080x1080 --smartcrop centre -o "$o/square.jpg[Q=90]"
    vipsthumbnail "$i" -s 1080x1350 --smartcrop centre -o "$o/portrait.jpg[Q=90]"
    vipsthumbnail "$i" -s 1080x1920 --smartcrop centre -o "$o/story.jpg[Q=90]"
    vipsthumbnail "$i" -s 1200x900 --smartcrop centre -o "$o/business.jpg[Q=90]"
    vips copy "$i" "$o/print.jpg[Q=95]" --xres 11.811 --yres 11.811
}
export -f six_vips
p3=$(measure "$POLISH" run "$OUT/six.yml" "$OUT/12mp.jpg" -o "$OUT/p3" --overwrite -q)
v3=$(measure bash -c six_vips)
row "polish run (one decode, 6 targets)" "$p3"
row "6 vips runs" "$v3"
echo "  ratio: vips/polish $(ratio "$p3" "$v3")"

# ---- (4) polish fix on a 12 MP photo -----------------------------------------------------------
echo
echo "(4) polish fix on a 12 MP JPEG (ImageMagick's auto chain for reference)"
p4=$(measure "$POLISH" fix "$OUT/12mp.jpg" -o "$OUT/p4" --overwrite -q)
m4=$(measure $IM "$OUT/12mp.jpg" -auto-orient -channel RGB -auto-level -auto-gamma +channel \
    -unsharp 0x1 -quality 85 "$OUT/m4.jpg")
row "polish fix" "$p4"
row "ImageMagick auto chain" "$m4"
echo "  ratio: ImageMagick/polish $(ratio "$p4" "$m4")"

# ---- (5) issue 8's aims in one run: fix's memory against one vips sharpen pass ------------------
echo
echo "(5) 5120x2880 JPEG: polish fix against one vips sharpen pass (memory) and ImageMagick (time)"
p5=$(measure "$POLISH" fix "$OUT/5k.jpg" -o "$OUT/p5" --overwrite -q)
v5=$(measure vips sharpen "$OUT/5k.jpg" "$OUT/v5.jpg")
m5=$(measure $IM "$OUT/5k.jpg" -auto-orient -channel RGB -auto-level -auto-gamma +channel \
    -unsharp 0x1 -quality 85 "$OUT/m5.jpg")
row "polish fix" "$p5"
row "vips sharpen" "$v5"
row "ImageMagick auto chain" "$m5"
echo "  memory polish/vips sharpen $(mem_ratio "$p5" "$v5") (aim <= 2); time ImageMagick/polish $(ratio "$p5" "$m5") (aim >= 5)"

# ---- (6) the same aim on a photo the point steps change: white balance streams -----------------
echo
echo "(6) 5120x2880 JPEG under a cast: polish fix (white balance and sharpen applied) against one vips sharpen pass"
p6=$(measure "$POLISH" fix "$OUT/5k-cast.jpg" -o "$OUT/p6.jpg" --overwrite -q)
v6=$(measure vips sharpen "$OUT/5k-cast.jpg" "$OUT/v6.jpg")
row "polish fix" "$p6"
row "vips sharpen" "$v6"
echo "  memory polish/vips sharpen $(mem_ratio "$p6" "$v6") (aim <= 2)"

# ---- (7)-(9) denoise, colour and PNG in strips --------------------------------------------------
echo
echo "(7) 5120x2880 noisy JPEG: polish fix (denoise applied, streamed with its halo) against one vips sharpen pass"
p7=$(measure "$POLISH" fix "$OUT/5k-noisy.jpg" -o "$OUT/p7.jpg" --overwrite -q)
v7=$(measure vips sharpen "$OUT/5k-noisy.jpg" "$OUT/v7.jpg")
row "polish fix" "$p7"
row "vips sharpen" "$v7"
echo "  memory polish/vips sharpen $(mem_ratio "$p7" "$v7") (aim <= 2)"
echo
echo "(8) 5120x2880 Display P3 JPEG: polish fix (colour applied, streamed) against vips icc_transform to sRGB"
p8=$(measure "$POLISH" fix "$OUT/5k-p3.jpg" -o "$OUT/p8.jpg" --overwrite -q)
v8=$(measure vips icc_transform "$OUT/5k-p3.jpg" "$OUT/v8.jpg" srgb --embedded)
row "polish fix" "$p8"
row "vips icc_transform" "$v8"
echo "  memory polish/vips $(mem_ratio "$p8" "$v8")"
echo
echo "(9) 6000x4000 RGBA PNG: polish fix (streamed, PNG rows) against one vips sharpen pass"
p9=$(measure "$POLISH" fix "$OUT/6k.png" -o "$OUT/p9.png" --overwrite -q)
v9=$(measure vips sharpen "$OUT/6k.png" "$OUT/v9.png")
row "polish fix" "$p9"
row "vips sharpen" "$v9"
echo "  memory polish/vips sharpen $(mem_ratio "$p9" "$v9")"
echo
echo "(10) 5120x2880 tilted JPEG: polish fix (sharpen and straighten applied, rotated in strips) against the same scene level and one vips sharpen pass"
p10=$(measure "$POLISH" fix "$OUT/5k-tilt.jpg" -o "$OUT/p10.jpg" --overwrite -q)
p10l=$(measure "$POLISH" fix "$OUT/5k-level.jpg" -o "$OUT/p10l.jpg" --overwrite -q)
v10=$(measure vips sharpen "$OUT/5k-tilt.jpg" "$OUT/v10.jpg")
row "polish fix, tilted" "$p10"
row "polish fix, level" "$p10l"
row "vips sharpen" "$v10"
echo "  memory tilted/level $(mem_ratio "$p10" "$p10l"), polish/vips sharpen $(mem_ratio "$p10" "$v10") (aim <= 2)"
echo "  (1) again: memory polish/vips $(mem_ratio "$p1" "$v1") (aim <= 1), time vips/polish $(ratio "$p1" "$v1") (aim >= 1)"
echo "  load at the end: $(uptime | sed 's/.*load average: //')"
