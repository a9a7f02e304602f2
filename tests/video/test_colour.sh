#!/usr/bin/env bash
# polish — colour: a photograph panned as video with a warm cast added is corrected toward the
# original (mean CIEDE2000 against the untinted clip, three frames; at least 30% of it removed); a clip without a cast and a
# drawn one (test pattern) are left alone. Flicker: two shots (a warm cast, then a cool one) with
# noise on every frame and a large coloured object crossing each; inside a shot the correction
# applied (output/input mean linear R, G, B per frame, tests/video/colourflicker.py) changes by under
# 0.5 CIEDE2000 between consecutive frames, both casts are corrected and the correction changes at
# the cut.
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
# flicker: shot 1 coffee panned, warm, a blue card crossing; shot 2 astronaut, cool, an orange card
# falling through; film grain on every frame; each 4 s at 25 fps; the same without the casts as the
# reference
shot() { # shot OUT PHOTO SCALE-CROP CARD-COLOUR CARD-SIZE CARD-XY CAST
    $FF -loop 1 -i "$SKDATA/$2" -f lavfi -i "color=c=$4:s=$5" -filter_complex \
        "[0]$3[bg];[bg][1]overlay=$6,${7}noise=alls=14:allf=t,format=yuv420p,setsar=1" \
        -t 4 -r 25 -c:v libx264 -preset ultrafast -crf 12 "$1"
}
for k in ref cast; do
    c1=""; c2=""
    [ $k = cast ] && c1="colorchannelmixer=rr=1.0:gg=0.86:bb=0.64," && c2="colorchannelmixer=rr=0.72:gg=0.9:bb=1.0,"
    shot "$T/a_$k.mp4" coffee.png "scale=400:-2,crop=320:240:'40*t/4':0" 0x2040ff 120x160 "x='-120+440*t/4':y=40" "$c1"
    shot "$T/b_$k.mp4" astronaut.png "scale=320:-2,crop=320:240:0:40" 0xffa020 100x100 "x=110:y='-100+340*t/4'" "$c2"
    $FF -i "$T/a_$k.mp4" -i "$T/b_$k.mp4" -filter_complex "[0:v][1:v]concat=n=2:v=1:a=0" -c:v libx264 -preset ultrafast \
        -crf 12 "$T/two_$k.mp4"
done
run_polish 0 video colour "$T/two_cast.mp4" -o "$T/two_fixed.mp4" --crf 10 --report "$T/r4.json"
for f in two_ref two_cast two_fixed; do $FF -i "$T/$f.mp4" -vf scale=64:48 -f rawvideo -pix_fmt rgb24 "$T/$f.rgb"; done
read -r s1 s2 cut r1 b1 r2 b2 < <(python3 "$VT/colourflicker.py" "$T/two_cast.rgb" "$T/two_fixed.rgb" 64 48 100)
echo "flicker: largest step of the correction inside shot 1 $s1, shot 2 $s2, at the cut $cut (CIEDE2000);" \
     "R/G B/G gains shot 1 $r1 $b1, shot 2 $r2 $b2"
at_most "colour: no flicker inside shot 1 (CIEDE2000 step)" "$s1" 0.5
at_most "colour: no flicker inside shot 2 (CIEDE2000 step)" "$s2" 0.5
at_least "colour: the correction changes at the cut (CIEDE2000 step)" "$cut" 2
at_most "colour: shot 1's warm cast corrected (R/G gain)" "$r1" 0.9
at_least "colour: shot 1's warm cast corrected (B/G gain)" "$b1" 1.2
at_least "colour: shot 2's cool cast corrected (R/G gain)" "$r2" 1.1
at_most "colour: shot 2's cool cast corrected (B/G gain)" "$b2" 0.9
before=$(python3 "$VT/de2000.py" "$T/two_ref.rgb" "$T/two_cast.rgb")
after=$(python3 "$VT/de2000.py" "$T/two_ref.rgb" "$T/two_fixed.rgb")
echo "two shots, mean CIEDE2000 to the clip without casts: cast $before, corrected $after"
at_most "colour: two shots, at least 30% of the difference removed" "$after" "$(awk -v b="$before" 'BEGIN{print b*0.7}')"
finish
