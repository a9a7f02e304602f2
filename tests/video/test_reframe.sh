#!/usr/bin/env bash
# polish — reframing to 9:16 on a generated clip with a moving subject of known position (a cyan
# square over a photograph, two shots): the share of frames with the subject inside the picture
# (measured on the output's pixels) against a centre crop, and the path's smoothness inside shots.
. "$(dirname "$0")/lib.sh"
# shot 1: the subject swings across the frame; shot 2: another photo, the subject drifts right
$FF -loop 1 -i "$SKDATA/coffee.png" -f lavfi -i "color=c=0x00FFFF:s=24x24:r=25" \
    -filter_complex "[0]scale=320:180,setsar=1[b];[b][1]overlay=x='148+120*sin(2*PI*t/4)':y='78+30*sin(2*PI*t/3)':shortest=1,format=yuv420p" \
    -t 4 -r 25 -c:v libx264 -preset ultrafast -crf 12 "$T/s1.mp4"
$FF -loop 1 -i "$SKDATA/chelsea.png" -f lavfi -i "color=c=0x00FFFF:s=24x24:r=25" \
    -filter_complex "[0]scale=320:180,setsar=1[b];[b][1]overlay=x='20+60*t':y=120:shortest=1,format=yuv420p" \
    -t 4 -r 25 -c:v libx264 -preset ultrafast -crf 12 "$T/s2.mp4"
$FF -i "$T/s1.mp4" -i "$T/s2.mp4" -filter_complex "[0:v][1:v]concat=n=2:v=1[v]" -map "[v]" \
    -c:v libx264 -preset ultrafast -crf 12 "$T/in.mp4"
run_polish 0 video reframe --aspect 9:16 "$T/in.mp4" -o "$T/out.mp4" --save-path out.path.csv
$FF -i "$T/in.mp4" -vf "crop=100:180" -c:v libx264 -preset ultrafast -crf 12 "$T/centre.mp4"
# share of frames whose cyan pixels are (nearly) all in the output
share() {
    $FF -i "$T/in.mp4" -f rawvideo -pix_fmt rgb24 "$T/in.rgb"
    $FF -i "$1" -f rawvideo -pix_fmt rgb24 "$T/o.rgb"
    python3 - "$T/in.rgb" 320 180 "$T/o.rgb" "$(stream "$1" v width)" "$(stream "$1" v height)" <<'PY'
import re, sys
cyan = re.compile(rb'[\x00-\x50][\xb4-\xff][\xb4-\xff]')
def frames(path, w, h):
    n = w * h * 3
    with open(path, 'rb') as f:
        while True:
            b = f.read(n)
            if len(b) < n: return
            yield len(cyan.findall(b))
a = list(frames(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
b = list(frames(sys.argv[4], int(sys.argv[5]), int(sys.argv[6])))
assert len(a) == len(b) and len(a) > 150, (len(a), len(b))
ok = sum(1 for x, y in zip(a, b) if x > 100 and y >= 0.9 * x)
print(ok / sum(1 for x in a if x > 100))
PY
}
ours=$(share "$T/out.mp4")
centre=$(share "$T/centre.mp4")
echo "subject inside the crop: polish $ours, centre crop $centre"
at_least "reframe: subject inside the crop" "$ours" 0.95
at_most "centre crop (the reference)" "$centre" 0.6
# the path: no jump inside a shot (the subject moves at most ~7.5 px a frame)
check "reframe: smooth path inside shots" python3 - "$T/out.path.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 200, len(rows)
steps = [abs(float(rows[i]['x']) - float(rows[i - 1]['x'])) for i in range(1, len(rows)) if i != 100]
assert max(steps) <= 10, max(steps)
PY
# a given path is followed: the window's centre at 0.2 of the width throughout
printf 't,cx,cy\n0,0.2,0.5\n10,0.2,0.5\n' > "$T/path.csv"
run_polish 0 video reframe --aspect 9:16 "$T/in.mp4" --path "$T/path.csv" -o "$T/given.mp4" --save-path given.path.csv
check "reframe --path: followed" python3 - "$T/given.path.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert all(abs(float(r['x']) - (0.2 * 320 - 50)) < 1.01 for r in rows), rows[:3]
PY
finish
