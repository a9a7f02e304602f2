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
finish
