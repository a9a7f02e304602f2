#!/usr/bin/env bash
# polish — video export: AV1 (SVT-AV1) round trips in WebM, MP4 and MKV with Opus or AAC (the
# output decodes without error, has the picture's size, every frame, the audio codec asked for and
# looks like the source), combinations a container cannot hold are refused with nothing written.
. "$(dirname "$0")/lib.sh"
# 2 s of a moving test pattern (320x180, 25 fps) with a 440 Hz tone at 44.1 kHz
$FF -f lavfi -i "testsrc2=s=320x180:r=25:d=2" -f lavfi -i "sine=f=440:d=2:r=44100" -c:v libx264 -preset ultrafast \
    -crf 12 -pix_fmt yuv420p -c:a aac -shortest "$T/in.mp4"
# psnr A B: mean PSNR (dB) of B's picture against A's
psnr() { ffmpeg -nostdin -i "$2" -i "$1" -lavfi "[0:v][1:v]psnr" -f null - 2>&1 | sed -n 's/.*average:\([0-9.inf]*\).*/\1/p' | tail -1; }
# av1_round_trip NAME ARGS...: export, then check it from outside
av1_round_trip() {
    local out=$1 acodec=$2; shift 2
    run_polish 0 video export "$T/in.mp4" --codec av1 "$@" -o "$T/$out" --report "$T/$out.json" || return
    check "$out: AV1 video" [ "$(stream "$T/$out" v codec_name)" = av1 ]
    check "$out: 320x180" [ "$(stream "$T/$out" v width),$(stream "$T/$out" v height)" = "320,180" ]
    local n
    n=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$T/$out")
    check "$out: every frame (50, got $n)" [ "$n" = 50 ]
    check "$out: $acodec audio" [ "$(stream "$T/$out" a codec_name)" = "$acodec" ]
    if [ "$acodec" = opus ]; then check "$out: Opus at 48 kHz" [ "$(stream "$T/$out" a sample_rate)" = 48000 ]; fi
    check "$out: decodes without an error" ffmpeg -nostdin -v error -xerror -i "$T/$out" -f null -
    at_least "$out: looks like the source (PSNR dB)" "$(psnr "$T/in.mp4" "$T/$out")" 30
    local d
    d=$(duration "$T/$out")
    at_least "$out: the sound lasts the clip (s)" "$d" 1.95
    at_most "$out: the sound lasts the clip (s)" "$d" 2.1
    contains "$T/$out.json" '"video_encoder": *"libsvtav1"'
}
av1_round_trip av1.webm opus
av1_round_trip av1.mp4 aac
av1_round_trip av1o.mp4 opus --audio-codec opus
av1_round_trip av1.mkv opus --audio-codec opus --x264-preset ultrafast
# what a container cannot hold, or SVT-AV1 cannot encode: an error naming it, nothing written
for spec in "bad.webm:--codec h264:cannot hold H.264" "bad2.webm:--audio-codec aac:cannot hold AAC" \
            "bad.mov:--codec av1:cannot hold AV1" "bad2.mov:--audio-codec opus:cannot hold Opus" \
            "tiny.mp4:--codec av1 --width 48:at least 64x64"; do
    IFS=: read -r out args msg <<<"$spec"
    # shellcheck disable=SC2086
    run_polish 1 video export "$T/in.mp4" $args -o "$T/$out"
    contains "$ERR" "$msg"
    check "$out: nothing written" [ ! -e "$T/$out" ]
done
# a render that keeps no frame: SVT-AV1 (1.4) hangs at the end of a stream it was never given a
# frame of; polish gives it one, so this is an error, not a hang
timeout 120 "$POLISH" video trim --in 1.99 --out 2 --codec av1 "$T/in.mp4" -o "$T/none.mp4" >"$OUT" 2>"$ERR"
check "an AV1 render that keeps no frame ends with an error (exit $?), not a hang" [ $? -eq 1 ]
contains "$ERR" "no frame was kept"
check "none.mp4: nothing written" [ ! -e "$T/none.mp4" ]
finish
