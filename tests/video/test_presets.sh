#!/usr/bin/env bash
# polish — every export preset (youtube-1080p, reels, tiktok, instagram-square, linkedin, web-mp4)
# from an odd-sized input (641x359, 4:4:4) and from a rotated one (stored 640x360 with rotation
# metadata of 90 degrees: upright 360x640, its top quarter red): the preset's size (web-mp4: the
# picture's aspect, at most 1280 wide), H.264 and AAC, +faststart (moov before mdat), the input's
# frame rate and every frame, no rotation left in the output, and the rotated clip upright (in the
# presets that keep the whole picture).
. "$(dirname "$0")/lib.sh"
# 1 s at 10 fps with a tone
$FF -f lavfi -i "testsrc2=s=641x359:r=10:d=1" -f lavfi -i "sine=f=330:d=1:r=48000" -c:v libx264 -preset ultrafast \
    -pix_fmt yuv444p -c:a aac -shortest "$T/odd.mp4"
# upright: a 360x640 test pattern in grey (testsrc2's own red bar, turned, passes for the band)
# whose top 160 rows are red; stored turned a quarter clockwise,
# with a display matrix turning it back (ffmpeg 5.1 writes one only when copying: rotation=90,
# which ffmpeg's own player shows upright)
$FF -f lavfi -i "testsrc2=s=360x640:r=10:d=1" -f lavfi -i "sine=f=330:d=1:r=48000" \
    -vf "hue=s=0,drawbox=x=0:y=0:w=360:h=160:color=red:t=fill,transpose=1" -c:v libx264 -preset ultrafast -pix_fmt yuv420p \
    -c:a aac -shortest "$T/rot0.mp4"
$FF -i "$T/rot0.mp4" -c copy -metadata:s:v:0 rotate=90 "$T/rot.mp4"
$FF -i "$T/rot.mp4" -frames:v 1 -vf scale=36:64 -f rawvideo -pix_fmt rgb24 "$T/rot.rgb"
check "the rotated input shows upright in ffmpeg (red on top)" python3 - "$T/rot.rgb" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
assert len(d) == 36 * 64 * 3 and d[(4 * 36 + 18) * 3] > 180 and d[(60 * 36 + 18) * 3] < 180
PY
# faststart FILE: the top-level boxes have moov before mdat
faststart() {
    python3 - "$1" <<'PY'
import struct, sys
f, order = open(sys.argv[1], "rb"), []
while True:
    h = f.read(8)
    if len(h) < 8: break
    size, kind = struct.unpack(">I4s", h)
    if size == 1: size = struct.unpack(">Q", f.read(8))[0] - 8
    order.append(kind.decode("latin1"))
    f.seek(size - 8, 1)
sys.exit(0 if "moov" in order and "mdat" in order and order.index("moov") < order.index("mdat") else 1)
PY
}
for src in odd rot; do
    for spec in youtube-1080p:1920x1080 reels:1080x1920 tiktok:1080x1920 instagram-square:1080x1080 \
                linkedin:1920x1080 web-mp4:web; do
        p=${spec%%:*}
        want=${spec#*:}
        o="$T/${src}_$p.mp4"
        run_polish 0 video export --preset "$p" "$T/$src.mp4" -o "$o" || continue
        w=$(stream "$o" v width); h=$(stream "$o" v height)
        if [ "$want" = web ]; then
            # the picture's aspect, even sizes, at most 1280 wide (641x359 -> 640x358; 360x640 kept)
            if [ $src = odd ]; then want=640x358; else want=360x640; fi
        fi
        check "$src $p: $want (got ${w}x$h)" [ "${w}x$h" = "$want" ]
        check "$src $p: H.264" [ "$(stream "$o" v codec_name)" = h264 ]
        check "$src $p: 4:2:0" [ "$(stream "$o" v pix_fmt)" = yuv420p ]
        check "$src $p: AAC" [ "$(stream "$o" a codec_name)" = aac ]
        check "$src $p: +faststart (moov before mdat)" faststart "$o"
        check "$src $p: 10 fps" [ "$(stream "$o" v r_frame_rate)" = 10/1 ]
        n=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$o")
        check "$src $p: 10 frames (got $n)" [ "$n" = 10 ]
        check "$src $p: no rotation left" [ -z "$(ffprobe -v error -select_streams v:0 -show_entries stream_side_data=rotation -of csv=p=0 "$o")" ]
        if [ $src = rot ] && [ "${want%x*}" -lt "${want#*x}" ]; then
            # the whole upright picture (the landscape and square presets crop it): the top eighth
            # red, the bottom half not
            $FF -i "$o" -frames:v 1 -vf scale=36:64 -f rawvideo -pix_fmt rgb24 "$o.rgb"
            check "$src $p: upright (red on top)" python3 - "$o.rgb" <<'PY'
import sys
d = open(sys.argv[1], "rb").read()
row = lambda y: [d[(y * 36 + x) * 3:(y * 36 + x) * 3 + 3] for x in range(36)]
top = [p for y in range(2, 8) for p in row(y)]
red = sum(1 for r, g, b in top if r > 180 and g < 80 and b < 80) / len(top)
bot = [p for y in range(40, 64) for p in row(y)]
redb = sum(1 for r, g, b in bot if r > 180 and g < 80 and b < 80) / len(bot)
assert red > 0.9 and redb < 0.3, (red, redb)
PY
        fi
    done
done
finish
