#!/usr/bin/env bash
# polish — stabilisation against vid.stab, in one run on the same clip: tests/video/test_stabilise.sh's
# steady clip (skimage's coffee.png, a 320x180 window at 480x320, 25 fps) shaken by known whole-pixel
# offsets, then `polish video stabilise` (defaults) and ffmpeg's two passes `vidstabdetect` +
# `vidstabtransform` (defaults), each scored by tests/video/stabscore.py (RMS and largest translation
# between consecutive output frames, px). Then the same offsets with a rotation (+-1.7 degrees about
# the photo's centre, 0.85 degrees RMS between frames) over a scene with a moving object (a cat's
# photo crossing it), as the test's rotation clip, scored by tests/video/simscore.py (a direct
# similarity fit: residual translation px and rotation degrees RMS and largest). CPU seconds
# (user+sys) and wall from GNU time.
# Usage: POLISH=build-rel/src/cli/polish bench/video/stabilise.sh [FRAMES [OTHER_POLISH]]
#   OTHER_POLISH: an older build scored on the rotation clip for comparison.
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
vs() { # IN OUT: vid.stab's two passes
    ffmpeg -nostdin -y -loglevel error -i "$W/$1" -vf "vidstabdetect=result=$W/tr.trf" -f null - &&
    ffmpeg -nostdin -y -loglevel error -i "$W/$1" -vf "vidstabtransform=input=$W/tr.trf" \
        -c:v libx264 -preset veryfast -crf 18 "$W/$2"
}
export -f vs
export W
read -r vw vc < <(timed bash -c 'vs shaken.mp4 vidstab.mp4')
echo "stabilisation: $N frames of 320x180, $(uptime | sed 's/.*load average: //') load"
echo
echo "| clip | residual RMS px | largest px | wall s | CPU s |"
echo "|---|---|---|---|---|"
read -r a b _ < <(score "$W/shaken.mp4"); echo "| shaken input | $a | $b | | |"
read -r a b _ < <(score "$W/polish.mp4"); echo "| polish video stabilise | $a | $b | $pw | $pc |"
read -r a b _ < <(score "$W/vidstab.mp4"); echo "| ffmpeg vidstabdetect + vidstabtransform | $a | $b | $vw | $vc |"

# rotation
ROT='0.02*sin(n*0.7)+0.01*sin(n*1.9+2)'
$FF -loop 1 -framerate 25 -i "$SK/coffee.png" -loop 1 -framerate 25 -i "$SK/chelsea.png" \
    -filter_complex "[1]scale=64:48[m];[0]scale=480:320[b];[b][m]overlay=x='100+6*mod(n\,60)':y='150+40*sin(n*0.2)',rotate=a='$ROT',crop=320:180:'80+$SX':'70+$SY',lutyuv=y='48+val*0.8',format=yuv420p" \
    -frames:v "$N" -c:v libx264 -preset ultrafast -crf 16 "$W/turned.mp4"
sim() { $FF -i "$1" -f rawvideo -pix_fmt gray "$W/s.gray" && /usr/bin/python3 "$HERE/../../tests/video/simscore.py" "$W/s.gray" 320 180; }
read -r pw pc < <(timed "$POLISH" video stabilise "$W/turned.mp4" -o "$W/polish-r.mp4")
read -r vw vc < <(timed bash -c 'vs turned.mp4 vidstab-r.mp4')
echo
echo "with rotation and a moving object: $N frames of 320x180"
echo
echo "| clip | translation RMS px | largest px | rotation RMS deg | largest deg | wall s | CPU s |"
echo "|---|---|---|---|---|---|---|"
read -r a b c d _ < <(sim "$W/turned.mp4"); echo "| shaken input | $a | $b | $c | $d | | |"
read -r a b c d _ < <(sim "$W/polish-r.mp4"); echo "| polish video stabilise | $a | $b | $c | $d | $pw | $pc |"
if [ $# -ge 2 ]; then
    read -r ow oc < <(timed "$(realpath "$2")" video stabilise "$W/turned.mp4" -o "$W/other-r.mp4")
    read -r a b c d _ < <(sim "$W/other-r.mp4"); echo "| other polish | $a | $b | $c | $d | $ow | $oc |"
fi
read -r a b c d _ < <(sim "$W/vidstab-r.mp4"); echo "| ffmpeg vidstabdetect + vidstabtransform | $a | $b | $c | $d | $vw | $vc |"
