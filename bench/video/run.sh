#!/usr/bin/env bash
# polish — video benchmark: the issue's chain (crop to 9:16 + scale + colour + burned subtitles +
# x264 veryfast + loudness) in one polish run, against ffmpeg doing the same chain in one run and
# as chained separate passes (each re-encoding). Frames per second and peak memory (GNU time).
# Also: memory on a 4x longer clip (it must not grow), and reframing quality on opencv-doc's
# vtest.avi (people walking; no ground truth: the path's smoothness and the motion inside the crop).
# Usage: POLISH=build-rel/src/cli/polish bench/video/run.sh [SECONDS]
set -euo pipefail
POLISH=${POLISH:-$PWD/build/src/cli/polish}
SECS=${1:-20}
W=$(mktemp -d /tmp/polish-bench-video-XXXXXX)
trap 'rm -rf "$W"' EXIT
FF="ffmpeg -nostdin -y -loglevel error"
LIBRIVOX=/usr/share/pocketsphinx/test/data/librivox
SK=/usr/lib/python3/dist-packages/skimage/data
# clip(OUT SECONDS SIZE): a warm-tinted photograph panned, a moving square, read speech
clip() {
    local out=$1 d=$2 size=$3
    $FF -i "$LIBRIVOX"/*-0880.wav -i "$LIBRIVOX"/*-0890.wav -filter_complex "[0][1]concat=n=2:v=0:a=1,aloop=loop=-1:size=2e9,atrim=0:$d[a]" -map "[a]" -ar 48000 "$W/a.wav"
    $FF -loop 1 -i "$SK/coffee.png" -f lavfi -i "color=c=0x00FFFF:s=96x96:r=30" -i "$W/a.wav" \
        -filter_complex "[0]scale=2400:-2,crop=1920:1080:'240+200*sin(t/3)':'(ih-1080)/2',colorchannelmixer=gg=0.88:bb=0.7,setsar=1[b];[b][1]overlay=x='900+700*sin(2*PI*t/8)':y=500:shortest=1,scale=$size,format=yuv420p[v]" \
        -map "[v]" -map 2 -t "$d" -r 30 -c:v libx264 -preset veryfast -crf 18 -c:a aac -b:a 128k "$out"
}
# subtitles: a cue every 3 s
python3 - "$W/subs.srt" 7200 <<'PY'
import sys
with open(sys.argv[1], 'w') as f:
    for i in range(int(sys.argv[2]) // 3):
        t0, t1 = i * 3 + 0.2, i * 3 + 2.8
        ts = lambda t: '%02d:%02d:%02d,%03d' % (t // 3600, t // 60 % 60, t % 60, round((t % 1) * 1000))
        f.write('%d\n%s --> %s\nCaption number %d of the benchmark\n\n' % (i + 1, ts(t0), ts(t1), i + 1))
PY
cat > "$W/chain.yaml" <<'Y'
domain: video
steps:
  - op: reframe
    aspect: "9:16"
  - op: colour
  - op: captions
    burn: true
    inputs: {srt: subs.srt}
  - op: audio
    steps: loudness
  - op: export
    width: 540
    height: 960
    x264-preset: veryfast
Y
measure() { # measure LABEL FRAMES CMD...: prints label, wall seconds, fps, CPU seconds, peak RSS MiB
    local label=$1 frames=$2; shift 2
    /usr/bin/time -f "%e %M %U %S" -o "$W/t" "$@" >/dev/null 2>"$W/err" || { cat "$W/err" >&2; return 1; }
    read -r s kb u sy < "$W/t"
    awk -v l="$label" -v s="$s" -v kb="$kb" -v f="$frames" -v c="$(echo "$u + $sy" | bc)" \
        'BEGIN{printf "| %s | %.1f | %.1f | %.1f | %.0f |\n", l, s, f/s, c, kb/1024}'
}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ffmpeg: $(ffmpeg -version | head -1 | cut -d' ' -f1-3)"
clip "$W/in.mp4" "$SECS" 1920:1080
N=$((SECS * 30))
cd "$W"
echo
echo "### $SECS s of 1920x1080 30 fps with speech ($N frames): the chain"
echo
echo "| run | seconds | frames/s | CPU s | peak MiB |"
echo "|---|---|---|---|---|"
measure "polish (one run: subject-following crop, per-shot colour, libass, loudness, x264 veryfast)" $N \
    "$POLISH" run chain.yaml in.mp4 -o polish.mp4
VF="crop=606:1080:657:0,scale=540:960,colorchannelmixer=gg=1.12:bb=1.35,subtitles=subs.srt"
measure "ffmpeg one run (centre crop, fixed colour matrix, subtitles, loudnorm, x264 veryfast)" $N \
    $FF -i in.mp4 -vf "$VF" -af loudnorm=I=-16:TP=-1 -ar 48000 -c:v libx264 -preset veryfast -crf 20 -c:a aac ff1.mp4
t0=$(date +%s.%N)
peak=0
cpu=0
for step in "crop=606:1080:657:0,scale=540:960|copy|in.mp4|p1.mp4" "colorchannelmixer=gg=1.12:bb=1.35|copy|p1.mp4|p2.mp4" \
            "subtitles=subs.srt|copy|p2.mp4|p3.mp4" "null|loudnorm|p3.mp4|p4.mp4"; do
    IFS='|' read -r vf af i o <<<"$step"
    if [ "$af" = copy ]; then a=(-c:a copy); else a=(-af "$af=I=-16:TP=-1" -ar 48000 -c:a aac); fi
    if [ "$vf" = null ]; then v=(-c:v copy); else v=(-vf "$vf" -c:v libx264 -preset veryfast -crf 20); fi
    /usr/bin/time -f "%e %M %U %S" -o t1 $FF -i "$i" "${v[@]}" "${a[@]}" "$o"
    read -r _ kb u sy < t1
    cpu=$(echo "$cpu + $u + $sy" | bc)
    [ "$kb" -gt "$peak" ] && peak=$kb
done
t1=$(date +%s.%N)
awk -v s="$(echo "$t1 - $t0" | bc)" -v kb="$peak" -v f=$N -v c="$cpu" 'BEGIN{printf "| ffmpeg chained passes (4 runs, 3 video re-encodes) | %.1f | %.1f | %.1f | %.0f |\n", s, f/s, c, kb/1024}'
echo
echo "loudness of the results (LUFS): polish $(ffmpeg -nostdin -nostats -i polish.mp4 -af ebur128 -f null - 2>&1 | awk '/I:/{v=$2} END{print v}'), ffmpeg $(ffmpeg -nostdin -nostats -i ff1.mp4 -af ebur128 -f null - 2>&1 | awk '/I:/{v=$2} END{print v}')"
echo
echo "### memory against length (640x360, the same chain)"
echo
echo "| clip | seconds | frames/s | CPU s | peak MiB |"
echo "|---|---|---|---|---|"
for d in "$SECS" $((SECS * 4)); do
    clip "in_$d.mp4" "$d" 640:360
    measure "polish, $d s" $((d * 30)) "$POLISH" run chain.yaml "in_$d.mp4" -o "p_$d.mp4"
done
VT=$(dpkg -L opencv-doc 2>/dev/null | grep -m1 'vtest.avi$' || true)
if [ -n "$VT" ]; then
    echo
    echo "### reframing opencv-doc's vtest.avi (768x576, people walking) to 9:16"
    echo
    "$POLISH" video reframe --aspect 9:16 "$VT" -o vt.mp4 --save-path vt.path.csv --report vt.json >/dev/null 2>&1
    python3 - vt.json vt.path.csv <<'PY'
import csv, json, sys
m = [s for s in json.load(open(sys.argv[1]))["items"][0]["steps"] if s["op"] == "video.reframe"][0]["measured"]
rows = list(csv.DictReader(open(sys.argv[2])))
print("frames %d, window %dx%d, shots %d, largest step inside a shot %.1f px, mean step %.2f px"
      % (len(rows), m["window_width"], m["window_height"], m["shots"], m["path_max_step_px"], m["path_mean_step_px"]))
PY
fi
