#!/usr/bin/env bash
# polish — reframing a real clip without ground truth: opencv-doc's vtest.avi (768x576, 10 fps,
# 795 frames, people walking past a still camera) to 9:16 with `polish video reframe`, scored by
# tests/video/fgscore.py from the clip's pixels alone (its own background median, blobs and tracks,
# independent of polish's analysis):
#   followed: the share of frames whose followed subject (the blob the window keeps following while
#     it stays wholly inside, else the one it holds most of) is wholly inside; changes of it;
#   primary: the share of frames whose primary subject by the scorer's own rule (the largest blob
#     seen for 5 frames, kept until gone or another is twice its area for 1 s; it never looks at
#     the window) is wholly inside;
#   largest: the share with the frame's largest blob wholly inside;
#   foreground: the share of the moving foreground inside (mean per frame, pooled, frames >= half);
#   the path's largest step, mean step and largest second difference (px, px a frame^2).
# Also a fixed centre crop and two bounds that ignore smoothness: the window holding the most
# foreground in each frame, and a window centred on the scorer's primary in each frame.
# CPU seconds (user+sys) from GNU time.
# Usage: POLISH=build-rel/src/cli/polish bench/video/vtest.sh [OTHER_POLISH] [-- EXTRA_ARGS]
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
echo "| path | followed | changes | primary | largest | fg mean | fg pooled | fg >= half | largest step px | mean step px | largest accel px/frame^2 | CPU s |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
row() { # NAME CPU PATH? SCORER-ARGS... (PATH? "yes": the row's own path, whose steps are shown)
    local name=$1 cpu=$2 own=$3
    shift 3
    local out
    out=$(/usr/bin/python3 "$SCORE" "$W/v.gray" 192 144 "$@")
    get() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<<"$out"; }
    echo "| $name | $(get subject_share) | $(get switches) | $(get primary_share) | $(get largest_share) |" \
        "$(get mean_share) | $(get pooled_share) | $(get frames_half) |" \
        "$([ "$own" = yes ] && echo "$(get max_step) | $(get mean_step) | $(get max_accel)" || echo " | | ") | $cpu |"
}
one() { # NAME BINARY
    /usr/bin/time -f "%U %S" -o "$W/t" "$2" video reframe --aspect 9:16 "$V" -o "$W/$1.mp4" \
        --save-path "$1.path.csv" >"$W/log" 2>&1 || { cat "$W/log" >&2; exit 1; }
    row "$1" "$(awk '{printf "%.2f", $1 + $2}' "$W/t")" yes "$W/$1.path.csv"
}
one polish "$POLISH"
if [ $# -ge 1 ]; then one other "$(realpath "$1")"; fi
row "centre crop (no motion)" "" no "$W/polish.path.csv" centre
row "most foreground per frame (bound)" "" no "$W/polish.path.csv" best
row "window on the primary per frame (bound)" "" no "$W/polish.path.csv" bestsubject
