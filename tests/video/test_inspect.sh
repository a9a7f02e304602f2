#!/usr/bin/env bash
# polish — inspect's frozen spans mean no change at all: a slow sub-pixel pan over a low-texture
# scene (a blurred, low-contrast photo; the frame-to-frame difference is tiny) is not frozen, and
# the 1.5 s where its last frame is held (ffmpeg's tpad clones) is, with the right times.
. "$(dirname "$0")/lib.sh"
$FF -loop 1 -framerate 25 -t 3 -i "$SKDATA/coffee.png" \
    -vf "scale=2560:-2,gblur=sigma=30,eq=contrast=0.5,crop=1280:720:'200+100*t':600,scale=320:180,tpad=stop_mode=clone:stop_duration=1.5,format=yuv420p" \
    -c:v libx264 -preset ultrafast -crf 18 "$T/pan.mp4"
run_polish 0 inspect "$T/pan.mp4" --json
check "inspect: the pan is not frozen, the held frame is (one span, 3.0-4.5 s)" /usr/bin/python3 - "$OUT" <<'PY'
import json, sys
spans = json.load(open(sys.argv[1]))["items"][0]["inspect"]["frozen_spans_s"]
assert len(spans) == 1, spans
t0, t1 = spans[0]
assert 2.9 <= t0 <= 3.1 and t1 >= 4.4, spans
PY
# three shots (a test pattern 2 s, black 1 s, colour bars 2 s): the cuts, the black span; the same
# with frames dropped from 0.5-1.0 s (variable frame rate); and with rotation metadata (a phone
# held upright): sizes upright, and a reframe comes out the way ffmpeg's autorotation shows it
$FF -f lavfi -i "testsrc2=s=320x180:r=25:d=2" -f lavfi -i "color=c=black:s=320x180:r=25:d=1" \
    -f lavfi -i "smptebars=s=320x180:r=25:d=2" -filter_complex "[0][1][2]concat=n=3:v=1:a=0,format=yuv420p" \
    -c:v libx264 -preset ultrafast "$T/cuts.mp4"
$FF -i "$T/cuts.mp4" -vf "select='not(between(t,0.5,1.0))+between(t,0.5,1.0)*not(mod(n,3))'" -fps_mode vfr \
    -c:v libx264 -preset ultrafast "$T/vfr.mp4"
$FF -i "$T/cuts.mp4" -c copy -metadata:s:v rotate=90 "$T/rot.mp4"
for c in cuts vfr rot; do
    run_polish 0 inspect "$T/$c.mp4" --json
    check "inspect $c: cuts, black span, frame rate, rotation" /usr/bin/python3 - "$OUT" "$c" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["items"][0]["inspect"]
print({k: d[k] for k in ("width", "height", "rotation", "fps", "variable_frame_rate", "scene_cuts_s", "black_spans_s")})
assert d["scene_cuts_s"] == [2, 3] and d["black_spans_s"] == [[2, 3]] and d["shots"] == 3, d
assert d["variable_frame_rate"] == (sys.argv[2] == "vfr"), d
assert (d["rotation"], d["width"], d["height"]) == ((270, 180, 320) if sys.argv[2] == "rot" else (0, 320, 180)), d
PY
done
run_polish 0 video reframe --aspect 9:16 "$T/rot.mp4" -o "$T/rot-out.mp4"
$FF -ss 0.5 -i "$T/rot.mp4" -frames:v 1 -f rawvideo -pix_fmt gray "$T/ff.raw"
$FF -ss 0.5 -i "$T/rot-out.mp4" -frames:v 1 -f rawvideo -pix_fmt gray "$T/pol.raw"
check "reframe of a rotated clip: upright as ffmpeg shows it" /usr/bin/python3 - "$T/ff.raw" "$T/pol.raw" <<'PY'
import sys
a, b = (open(f, 'rb').read() for f in sys.argv[1:])
assert len(a) == len(b) == 180 * 320, (len(a), len(b))
d = sum(abs(x - y) for x, y in zip(a, b)) / len(a)
print("mean |difference| to ffmpeg's autorotated frame:", d)
assert d < 4, d
PY
finish
