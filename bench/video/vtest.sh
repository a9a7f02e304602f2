#!/usr/bin/env bash
# polish — reframing a real clip without ground truth: opencv-doc's vtest.avi (768x576, 10 fps,
# 795 frames, people walking past a still camera) to 9:16 with `polish video reframe`, scored by
# tests/video/fgscore.py: the share of the moving foreground (its own background-median mask,
# independent of polish's analysis) inside the window, mean per frame and pooled, the share of frames
# with at least half of it inside, and the path's largest step, mean step and largest second
# difference (px, px a frame^2). Also a fixed centre crop and, as an upper bound, the window holding
# the most foreground in each frame on its own (no smoothness). CPU seconds (user+sys) from GNU time.
# Usage: POLISH=build-rel/src/cli/polish bench/video/vtest.sh [OTHER_POLISH]
#   OTHER_POLISH: a second binary (an older build) scored on the same clip for comparison.
set -euo pipefail
POLISH=$(realpath "${POLISH:-build/src/cli/polish}")
HERE=$(cd "$(dirname "$0")" && pwd)
SCORE=$HERE/../../tests/video/fgscore.py
V=$(ls /usr/share/doc/opencv-doc/examples/data/vtest.avi* 2>/dev/null | head -1)
[ -n "$V" ] || { echo "vtest.avi not found (package opencv-doc)" >&2; exit 1; }
W=$(mktemp -d /tmp/polish-bench-vtest-XXXXXX)
trap 'rm -rf "$W"' EXIT
if [[ $V == *.gz ]]; then gzip -dc "$V" >"$W/vtest.avi"; V=$W/vtest.avi; fi
ffmpeg -nostdin -y -loglevel error -i "$V" -vf scale=192:144 -f rawvideo -pix_fmt gray "$W/v.gray"
echo "vtest.avi to 9:16, $(uptime | sed 's/.*load average: //') load"
echo
echo "| path | mean share | pooled share | frames >= half | largest step px | mean step px | largest accel px/frame^2 | CPU s |"
echo "|---|---|---|---|---|---|---|---|"
one() { # NAME BINARY
    /usr/bin/time -f "%U %S" -o "$W/t" "$2" video reframe --aspect 9:16 "$V" -o "$W/$1.mp4" \
        --save-path "$1.path.csv" >"$W/log" 2>&1 || { cat "$W/log" >&2; exit 1; }
    read -r a b c d e f < <(/usr/bin/python3 "$SCORE" "$W/v.gray" 192 144 "$W/$1.path.csv")
    echo "| $1 | $a | $b | $c | $d | $e | $f | $(awk '{printf "%.2f", $1 + $2}' "$W/t") |"
}
one polish "$POLISH"
if [ $# -ge 1 ]; then one other "$(realpath "$1")"; fi
read -r a b c _ < <(/usr/bin/python3 "$SCORE" "$W/v.gray" 192 144 "$W/polish.path.csv" centre)
echo "| centre crop | $a | $b | $c | 0 | 0 | 0 | |"
read -r a b c _ < <(/usr/bin/python3 "$SCORE" "$W/v.gray" 192 144 "$W/polish.path.csv" best)
echo "| best window per frame (bound) | $a | $b | $c | | | | |"
