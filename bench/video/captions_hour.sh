#!/usr/bin/env bash
# polish — captions from a transcript against length: read speech (pocketsphinx-testdata's five
# LibriVox readings, 1 s of silence before and 2 s after each) repeated for about 10 minutes and
# about one hour, under a 160x90 10 fps picture, with the readings' text repeated as the
# transcript; each through `polish video captions --transcript`. Peak RSS from
# tests/common/peakmem.py, user and sys CPU seconds from GNU time, and the report's alignment
# figures. Usage: POLISH=build-rel/src/cli/polish bench/video/captions_hour.sh [ROUNDS...]
# (default: 18 and 108 rounds of 33.4 s: 10 and 60 minutes)
set -euo pipefail
P=$(realpath "${POLISH:-build/src/cli/polish}")
HERE=$(realpath "$(dirname "$0")/../../tests/common")
L=/usr/share/pocketsphinx/test/data/librivox
W=$(mktemp -d /tmp/polish-bench-caphour-XXXXXX)
trap 'rm -rf "$W"' EXIT
cd "$W"
FF="ffmpeg -nostdin -y -loglevel error"
sox -n -r 16000 -c 1 -b 16 gap.wav trim 0 1
parts=()
for k in 0870 0880 0890 0920 0930; do
    sox "$L"/*-"$k".wav "u$k.wav" silence 1 0.01 1%
    parts+=(gap.wav "u$k.wav" gap.wav gap.wav)
done
sox "${parts[@]}" round.wav
sed 's/^<s> //; s/ <\/s>.*//' "$L/transcription" > five.txt
for r in "${@:-18 108}"; do
    sox round.wav "speech_$r.wav" repeat $((r - 1))
    for _ in $(seq "$r"); do cat five.txt; done > "t_$r.txt"
    $FF -f lavfi -i "color=c=gray:s=160x90:r=10" -i "speech_$r.wav" -c:v libx264 -preset ultrafast \
        -pix_fmt yuv420p -c:a aac -b:a 32k -shortest "in_$r.mp4"
    rm "speech_$r.wav"
    kib=$(/usr/bin/python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import peakmem; print(peakmem.peak(*sys.argv[2:]))' \
        "$HERE" /usr/bin/time -f "%U %S" -o "cpu_$r" "$P" video captions --transcript "t_$r.txt" "in_$r.mp4" \
        -o "out_$r.mp4" --report "r_$r.json")
    fig=$(/usr/bin/python3 -c 'import json, sys; m = json.load(open(sys.argv[1]))["items"][0]["steps"][0]["measured"]
print(m["alignment"], m["words_aligned"], "of", m["words"], "words aligned;", m.get("alignment_windows"), "windows; audio held",
      m.get("alignment_audio_held_s"), "s")' "r_$r.json")
    echo "$r rounds ($(ffprobe -v error -show_entries format=duration -of csv=p=0 "in_$r.mp4") s): user/sys CPU s $(cat "cpu_$r"); peak RSS $((kib / 1024)) MiB; $fig"
done
uptime
