#!/usr/bin/env bash
# polish — bad video input: an MP4 whose moov atom is missing, a zero-length file, an unknown codec,
# an audio-only file, a header claiming 16K: each a clear error naming the problem, exit 1, nothing
# written, the input untouched; limits configurable.
. "$(dirname "$0")/lib.sh"
# a good clip, its index at the end (no faststart), cut before the index
$FF -f lavfi -i "testsrc2=s=160x120:r=25:d=2" -c:v libx264 -preset ultrafast "$T/good.mp4"
head -c $(( $(stat -c %s "$T/good.mp4") * 6 / 10 )) "$T/good.mp4" > "$T/nomoov.mp4"
: > "$T/zero.mp4"
# an AVI whose video tag names no codec libavcodec knows
$FF -f lavfi -i "testsrc2=s=160x120:r=25:d=1" -c:v mpeg4 -vtag XVID "$T/x.avi"
python3 -c "import sys; d=open(sys.argv[1],'rb').read(); open(sys.argv[2],'wb').write(d.replace(b'XVID',b'QQZZ').replace(b'xvid',b'qqzz'))" "$T/x.avi" "$T/unknown.avi"
$FF -f lavfi -i "sine=d=1" -c:a aac "$T/audioonly.mp4"
# a YUV4MPEG2 header claiming 15360x8640, then one frame's worth of nothing
printf 'YUV4MPEG2 W15360 H8640 F30:1 Ip A1:1 C420jpeg\nFRAME\n' > "$T/huge.y4m"
head -c 4096 /dev/zero >> "$T/huge.y4m"
for spec in "nomoov.mp4:moov atom" "zero.mp4:empty" "unknown.avi:unknown video codec" \
            "audioonly.mp4:audio-only" "huge.y4m:video-pixels limit"; do
    f=${spec%%:*}
    msg=${spec#*:}
    before=$(md5sum < "$T/$f")
    rm -rf "$T/o"
    run_polish 1 video reframe --aspect 9:16 "$T/$f" -o "$T/o/"
    contains "$ERR" "$msg"
    check "$f: nothing written" [ -z "$(ls -A "$T/o" 2>/dev/null)" ]
    check "$f: input untouched" [ "$(md5sum < "$T/$f")" = "$before" ]
    run_polish 1 inspect "$T/$f"
    contains "$ERR" "$msg"
done
# the limits are configurable: a tighter one refuses an ordinary clip, before decoding
run_polish 1 video trim --in 0.5 --limit video-pixels=10000 "$T/good.mp4" -o "$T/o2.mp4"
contains "$ERR" "video-pixels limit"
run_polish 1 video trim --in 0.5 --limit duration=1 "$T/good.mp4" -o "$T/o2.mp4"
contains "$ERR" "duration limit"
run_polish 1 video trim --in 0.5 --limit video-frames=10 "$T/good.mp4" -o "$T/o2.mp4"
contains "$ERR" "video-frames limit"
check "no output after refusals" [ ! -e "$T/o2.mp4" ]
# a failure while rendering (an in point past the end leaves nothing) writes nothing either
run_polish 1 video trim --in 5 "$T/good.mp4" -o "$T/o3.mp4"
check "no partial output" [ -z "$(ls -A "$T" | grep -E '^o3|\.part$')" ]
# one bad item in a folder does not stop the others
mkdir -p "$T/batch"
cp "$T/good.mp4" "$T/batch/a.mp4"
cp "$T/nomoov.mp4" "$T/batch/b.mp4"
run_polish 1 video trim --in 0.5 "$T/batch" -o "$T/bo/"
check "the good clip of the batch is written" [ -f "$T/bo/a.mp4" ]
check "the bad clip of the batch is not" [ ! -e "$T/bo/b.mp4" ]
finish
