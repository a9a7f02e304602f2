#!/usr/bin/env bash
# polish — the video encoders of `video export` on a real clip: opencv-doc's vtest.avi (768x576,
# 10 fps, 795 frames) exported with H.264 (x264 veryfast), VP9 (libvpx realtime, speed 8) and AV1
# (SVT-AV1 preset 10), each at its default quality: CPU seconds (user+sys, GNU time; the whole
# polish run, decode included), peak RSS, bytes, and SSIM of the result against the source
# (ffmpeg's ssim filter). ROUNDS runs each, alternating, and keeps each one's least CPU.
# Usage: POLISH=build-rel/src/cli/polish bench/video/codecs.sh [ROUNDS]
set -euo pipefail
POLISH=$(realpath "${POLISH:-build/src/cli/polish}")
ROUNDS=${1:-3}
V=$(ls /usr/share/doc/opencv-doc/examples/data/vtest.avi* 2>/dev/null | head -1)
[ -n "$V" ] || { echo "vtest.avi not found (package opencv-doc)" >&2; exit 1; }
W=$(mktemp -d /tmp/polish-bench-codecs-XXXXXX)
trap 'rm -rf "$W"' EXIT
if [[ $V == *.gz ]]; then gzip -dc "$V" >"$W/vtest.avi"; V=$W/vtest.avi; fi
echo "vtest.avi through polish video export, $ROUNDS rounds, load at start: $(uptime | sed 's/.*load average: //')"
declare -A best mem
for r in $(seq "$ROUNDS"); do
    for c in h264 vp9 av1; do
        ext=mp4; [ $c = vp9 ] && ext=webm
        /usr/bin/time -f "%U %S %M" -o "$W/t" "$POLISH" video export --codec $c "$V" -o "$W/$c.$ext" --overwrite >"$W/log" 2>&1 \
            || { cat "$W/log" >&2; exit 1; }
        read -r u s m <"$W/t"
        cpu=$(awk -v u="$u" -v s="$s" 'BEGIN{printf "%.2f", u + s}')
        if [ -z "${best[$c]:-}" ] || awk -v a="$cpu" -v b="${best[$c]}" 'BEGIN{exit !(a < b)}'; then best[$c]=$cpu; fi
        mem[$c]=$((m / 1024))
    done
done
echo "load at end: $(uptime | sed 's/.*load average: //')"
echo
echo "| encoder | CPU s (least of $ROUNDS) | frames/CPU s | peak MiB | bytes | SSIM |"
echo "|---|---|---|---|---|---|"
for c in h264 vp9 av1; do
    ext=mp4; [ $c = vp9 ] && ext=webm
    ssim=$(ffmpeg -nostdin -i "$W/$c.$ext" -i "$V" -lavfi "[0:v][1:v]ssim" -f null - 2>&1 | sed -n 's/.*All:\([0-9.]*\).*/\1/p')
    echo "| $c | ${best[$c]} | $(awk -v c="${best[$c]}" 'BEGIN{printf "%.0f", 795 / c}') | ${mem[$c]} | $(stat -c %s "$W/$c.$ext") | $ssim |"
done
