#!/usr/bin/env bash
# polish — video memory against length: a 4-minute and a one-hour clip (low resolution, 160x90 at
# 10 fps, to save time: the per-frame plan is what grows with length), each through
# `polish video reframe --aspect 9:16`; wall, user, sys seconds and peak RSS (kB) from GNU time.
# Usage: POLISH=build-rel/src/cli/polish bench/video/hour.sh
set -euo pipefail
P=$(realpath "${POLISH:-build/src/cli/polish}")
W=$(mktemp -d /tmp/polish-bench-hour-XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W"
FF="ffmpeg -nostdin -y -loglevel error"
for d in 240 3600; do
    s=$(date +%s)
    $FF -f lavfi -i "testsrc2=s=160x90:r=10:d=$d" -f lavfi -i "sine=f=220:r=16000:d=$d" -c:v libx264 \
        -preset ultrafast -c:a aac -b:a 32k "in_$d.mp4"
    g=$(($(date +%s) - s))
    /usr/bin/time -f "%e %U %S %M" -o "t_$d" "$P" video reframe --aspect 9:16 "in_$d.mp4" -o "out_$d.mp4" >/dev/null 2>&1
    echo "$d s clip: generated in $g s; polish video reframe wall/user/sys/maxrss_kB: $(cat "t_$d"); frames out $(ffprobe -v error -count_packets -select_streams v:0 -show_entries stream=nb_read_packets -of csv=p=0 "out_$d.mp4")"
done
uptime
