#!/usr/bin/env bash
# polish — colour: a photograph panned as video with a warm cast added is corrected toward the
# original (mean CIEDE2000 against the untinted clip, three frames; at least 30% of it removed); a clip without a cast and a
# drawn one (test pattern) are left alone.
. "$(dirname "$0")/lib.sh"
mk() { $FF -loop 1 -i "$SKDATA/coffee.png" -vf "scale=400:-2,crop=320:240:'40*t/3':0,$1format=yuv420p" -t 3 -r 25 -c:v libx264 -preset ultrafast -crf 10 "$2"; }
mk "" "$T/ref.mp4"
mk "colorchannelmixer=rr=1.0:gg=0.86:bb=0.64," "$T/warm.mp4"
run_polish 0 video colour "$T/warm.mp4" -o "$T/fixed.mp4" --report "$T/r.json"
de() { # de A B: mean CIEDE2000 over frames 10, 40, 70 at 80x60
    for f in "$1" "$2"; do $FF -i "$f" -vf "select='eq(n\,10)+eq(n\,40)+eq(n\,70)',scale=80:60" -vsync 0 -f rawvideo -pix_fmt rgb24 "$f.rgb"; done
    python3 "$VT/de2000.py" "$1.rgb" "$2.rgb"
}
before=$(de "$T/ref.mp4" "$T/warm.mp4")
after=$(de "$T/ref.mp4" "$T/fixed.mp4")
echo "mean CIEDE2000 to the original: cast $before, corrected $after"
at_most "colour: at least 30% of the difference removed" "$after" "$(awk -v b="$before" 'BEGIN{print b*0.7}')"
# no cast: declined, the pixels as decoded
run_polish 0 video colour "$T/ref.mp4" -o "$T/same.mp4" --report "$T/r2.json"
contains "$T/r2.json" '"declined"'
$FF -f lavfi -i "testsrc2=s=320x240:r=25:d=2" -vf "colorchannelmixer=gg=0.85:bb=0.6" -c:v libx264 -preset ultrafast "$T/pattern.mp4"
run_polish 0 video colour "$T/pattern.mp4" -o "$T/p2.mp4" --report "$T/r3.json"
contains "$T/r3.json" '"declined"'
finish
