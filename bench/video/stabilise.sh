#!/usr/bin/env bash
# polish — stabilisation against vid.stab, in one run on the same clip: tests/video/test_stabilise.sh's
# steady clip (skimage's coffee.png, a 320x180 window at 480x320, 25 fps) shaken by known whole-pixel
# offsets, then `polish video stabilise` (defaults) and ffmpeg's two passes `vidstabdetect` +
# `vidstabtransform` (defaults), each scored by tests/video/stabscore.py (RMS and largest translation
# between consecutive output frames, px). CPU seconds (user+sys) and wall from GNU time.
# Usage: POLISH=build-rel/src/cli/polish bench/video/stabilise.sh [FRAMES]
set -euo pipefail
POLISH=$(realpath "${POLISH:-build/src/cli/polish}")
N=${1:-250}
HERE=$(cd "$(dirname "$0")" && pwd)
SCORE=$HERE/../../tests/video/stabscore.py
W=$(mktemp -d /tmp/polish-bench-stab-XXXXXX)
trap 'rm -rf "$W"' EXIT
FF="ffmpeg -nostdin -y -loglevel error"
SK=/usr/lib/python3/dist-packages/skimage/data
SX='trunc(8*sin(n*0.9)+5*sin(n*2.3+1))'
SY='trunc(6*sin(n*1.3+0.5)+4*sin(n*3.1))'
$FF -loop 1 -framerate 25 -i "$SK/coffee.png" \
    -vf "scale=480:320,crop=320:180:'80+$SX':'70+$SY',format=yuv420p" \
    -frames:v "$N" -c:v libx264 -preset ultrafast -crf 16 "$W/shaken.mp4"
score() { $FF -i "$1" -f rawvideo -pix_fmt gray "$W/s.gray" && /usr/bin/python3 "$SCORE" "$W/s.gray" 320 180; }
# timed NAME CMD...: runs CMD under GNU time; prints "wall cpu" seconds
timed() {
    /usr/bin/time -f "%e %U %S" -o "$W/t" "$@" >"$W/log" 2>&1 || { cat "$W/log" >&2; exit 1; }
    awk '{printf "%.2f %.2f\n", $1, $2 + $3}' "$W/t"
}
read -r pw pc < <(timed "$POLISH" video stabilise "$W/shaken.mp4" -o "$W/polish.mp4")
vs() {
    ffmpeg -nostdin -y -loglevel error -i "$W/shaken.mp4" -vf "vidstabdetect=result=$W/tr.trf" -f null - &&
    ffmpeg -nostdin -y -loglevel error -i "$W/shaken.mp4" -vf "vidstabtransform=input=$W/tr.trf" \
        -c:v libx264 -preset veryfast -crf 18 "$W/vidstab.mp4"
}
export -f vs
export W
read -r vw vc < <(timed bash -c vs)
echo "stabilisation: $N frames of 320x180, $(uptime | sed 's/.*load average: //') load"
echo
echo "| clip | residual RMS px | largest px | wall s | CPU s |"
echo "|---|---|---|---|---|"
read -r a b _ < <(score "$W/shaken.mp4"); echo "| shaken input | $a | $b | | |"
read -r a b _ < <(score "$W/polish.mp4"); echo "| polish video stabilise | $a | $b | $pw | $pc |"
read -r a b _ < <(score "$W/vidstab.mp4"); echo "| ffmpeg vidstabdetect + vidstabtransform | $a | $b | $vw | $vc |"
