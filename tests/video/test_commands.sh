#!/usr/bin/env bash
# polish — the issue's commands, exactly as written, checked from outside with ffprobe/ffmpeg:
#   polish video reframe --aspect 9:16 in.mp4 -o out.mp4      (9:16, H.264 + AAC, +faststart)
#   polish video captions --srt subs.srt --burn in.mp4 -o out.mp4   (text drawn during cues only)
#   polish video trim --cut-pauses in.mp4 -o out.mp4          (the pauses go, no speech is lost)
#   polish fix clip.mp4 -o out/ writes out/clip.mp4           (loudness for the web)
#   polish inspect clip.mp4 --json                            (the measurements the issue lists)
. "$(dirname "$0")/lib.sh"
W=$T/w
mkdir -p "$W/r" "$W/c" "$W/t"
speech_clip "$W/in.mp4"
for d in r c t; do cp "$W/in.mp4" "$W/$d/in.mp4"; done
cp "$W/in.mp4" "$W/clip.mp4"
D_IN=$(duration "$W/in.mp4")

# reframe
cd "$W/r" && run_polish 0 video reframe --aspect 9:16 in.mp4 -o out.mp4
w=$(stream out.mp4 v width); h=$(stream out.mp4 v height)
at_least "reframe: width/height" "$(awk -v w="$w" -v h="$h" 'BEGIN{print w/h}')" 0.55
at_most "reframe: width/height" "$(awk -v w="$w" -v h="$h" 'BEGIN{print w/h}')" 0.575
check "reframe: full height kept (no letterbox)" [ "$h" = 180 ]
check "reframe: H.264" [ "$(stream out.mp4 v codec_name)" = h264 ]
check "reframe: AAC" [ "$(stream out.mp4 a codec_name)" = aac ]
check "reframe: moov before mdat (+faststart)" python3 - out.mp4 <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read(); i = 0; order = []
while i + 8 <= len(d):
    n, t = struct.unpack('>I4s', d[i:i + 8]); order.append(t)
    if n == 1: n = struct.unpack('>Q', d[i + 8:i + 16])[0]
    if n < 8: break
    i += n
sys.exit(0 if b'moov' in order and b'mdat' in order and order.index(b'moov') < order.index(b'mdat') else 1)
PY
at_least "reframe: duration kept" "$(duration out.mp4)" "$(awk -v d="$D_IN" 'BEGIN{print d-0.1}')"

# captions, burned in: the lower part of the picture changes during a cue and not outside one
cd "$W/c"
printf '1\n00:00:02,000 --> 00:00:04,000\nHello from the captions test\n' > subs.srt
run_polish 0 video captions --srt subs.srt --burn in.mp4 -o out.mp4
diff_at() { # diff_at T: mean absolute difference of the bottom third between in.mp4 and out.mp4 at T
    $FF -ss "$1" -i in.mp4 -frames:v 1 -vf "crop=iw:ih/3:0:ih*2/3,format=gray" -f rawvideo a.raw
    $FF -ss "$1" -i out.mp4 -frames:v 1 -vf "crop=iw:ih/3:0:ih*2/3,format=gray" -f rawvideo b.raw
    python3 -c "import sys; a=open('a.raw','rb').read(); b=open('b.raw','rb').read(); print(sum(abs(x-y) for x,y in zip(a,b))/len(a))"
}
at_least "captions: text drawn during the cue (mean |diff| of the bottom third)" "$(diff_at 3)" 3
at_most "captions: nothing drawn outside the cue" "$(diff_at 6)" 1.5

# trim --cut-pauses: 1.5 s + 2 s of silence were put in; speech energy stays
cd "$W/t" && run_polish 0 video trim --cut-pauses in.mp4 -o out.mp4
D_OUT=$(duration out.mp4)
at_least "trim: removed seconds" "$(awk -v a="$D_IN" -v b="$D_OUT" 'BEGIN{print a-b}')" 2.4
at_most "trim: removed seconds" "$(awk -v a="$D_IN" -v b="$D_OUT" 'BEGIN{print a-b}')" 3.5
energy() { # energy FILE: sum of squares of the sound, and the count of loud 20 ms frames
    $FF -i "$1" -map 0:a -ac 1 -ar 16000 -f s16le e.raw
    python3 - <<'PY'
import array
a = array.array('h', open('e.raw', 'rb').read())
fr = [sum(x * x for x in a[i:i + 320]) / 320 for i in range(0, len(a) - 320, 320)]
peak = max(fr)
print(sum(fr), sum(1 for e in fr if e > peak * 1e-3))
PY
}
read e_in f_in < <(energy in.mp4)
read e_out f_out < <(energy out.mp4)
at_least "trim: speech energy kept" "$(awk -v a="$e_in" -v b="$e_out" 'BEGIN{print b/a}')" 0.98
at_least "trim: loud frames kept (no word clipped)" "$(awk -v a="$f_in" -v b="$f_out" 'BEGIN{print b/a}')" 0.99

# an output port's file may have any name in the output file's folder (not only OUT-STEM.*);
# outside that folder it is refused before anything is written
cd "$W/t" && run_polish 0 video trim --cut-pauses in.mp4 -o cut.mp4 --cuts list-of-cuts.json
check "trim --cuts: a free name beside the output" python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))' list-of-cuts.json
cd "$W/r" && run_polish 0 video reframe --aspect 9:16 in.mp4 -o framed.mp4 --save-path "$W/r/crop path.csv"
check "reframe --save-path: a free (absolute) name beside the output" test -s "crop path.csv"
run_polish 2 video reframe --aspect 9:16 in.mp4 -o framed2.mp4 --save-path "$T/outside.csv"
check "reframe --save-path outside the output's folder: refused, nothing written" test ! -e "$T/outside.csv" -a ! -e framed2.mp4

# polish fix clip.mp4 -o out/
cd "$W" && run_polish 0 fix clip.mp4 -o out/
check "fix: out/clip.mp4 written" [ -s out/clip.mp4 ]
l=$(loudness out/clip.mp4)
at_least "fix: loudness for the web (LUFS)" "$l" -17.5
at_most "fix: loudness for the web (LUFS)" "$l" -14.5

# inspect --json
cd "$W" && run_polish 0 inspect clip.mp4 --json
check "inspect: the measurements" python3 - "$OUT" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["items"][0]["inspect"]
need = ["duration_s", "streams", "width", "height", "fps", "rotation", "loudness_lufs", "pauses",
        "scene_cuts_s", "black_spans_s", "frozen_spans_s", "shake_px"]
missing = [k for k in need if k not in d]
assert not missing, missing
assert d["width"] == 320 and d["height"] == 180 and abs(d["fps"] - 25) < 0.01, d
assert d["pauses"] >= 1, d["pauses"]
PY
finish
